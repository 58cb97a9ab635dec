# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fault cases of protocol v2 (docs/protocol-v2.md), sourced by run-case.sh:
# what an eavesdropper sees on the peer link, and what an active attacker
# can do with what it captured or with protocol v1. Requests are crafted
# with tests/vcr2-tool.py, an implementation of the protocol independent of
# the C code.

# A marker written into the primary's replicated subtree: a secret that
# must never cross the wire in clear.
V2_MARKER="vcr-marker-secret-$$-7f3a"

# The TCP streams to the peer port in $1 (a pcap), one file each,
# $TMPF/stream.N; prints how many.
capture_streams () {
  rm -f "$TMPF"/stream.*
  /usr/bin/python3 "$V2_TOOL" streams "$1" "$PORT" "$TMPF/stream"
}

# The first captured stream whose request line and Host are "$1" and "$2".
captured_request () {
  local f
  for f in "$TMPF"/stream.*; do
    if head -c 300 "$f" | grep -q "^$1 " && head -c 300 "$f" | grep -q "^Host: $2"; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

# 1. A capture of the peer link (tcpdump on the bridge every router is on)
# during a push, a pull and a verify of a subtree holding a marker secret:
# neither the marker nor any line of the replicated config is in it, while
# the capture does hold the v2 requests (so it saw the traffic). Then
# what was captured is of no use: the push's request replayed to another
# replica (bound to r1's address), to r1 itself (a replay) and to r1 after
# a restart (signed before it started); its sealed body under a fresh,
# valid header (bound to the old request); and fresh requests with one
# byte changed in each region of the frame: all refused, nothing applied.
case_v2_capture () {
  two_or_three 2
  local sw="vcr-sw-$$" dump
  # the secret goes into a replicated subtree ("interfaces openvpn")
  sed -i "s/remote-host \"203.0.113.7\"/remote-host \"203.0.113.7\"\n        shared-secret-key \"$V2_MARKER\"/" \
    "$(cfg primary)"
  grep -q "$V2_MARKER" "$(cfg primary)" || fail "test set-up: no marker in the primary's config"
  ip netns exec "$sw" tcpdump -i br0 -U -s 0 -w "$TMPF/link.pcap" "tcp port $PORT" \
    > "$TMPF/tcpdump.log" 2>&1 &
  dump=$!
  EXTRA_PIDS+=("$dump")
  wait_until 100 grep -q 'listening on' "$TMPF/tcpdump.log" || fail "tcpdump did not start"

  run_client primary push                      # the marker goes to r1 and r2
  expect_rc 0
  grep -q "$V2_MARKER" "$(cfg r1)" || fail "the push did not bring the marker to r1"
  run_client r1 pull
  expect_rc 0
  run_client primary verify
  expect_rc 0
  run_client r2 verify
  expect_rc 0
  sleep 1                                      # the last packets into the file
  kill "$dump"; wait "$dump" 2>/dev/null
  local size text_len
  size=$(stat -c %s "$TMPF/link.pcap")
  text_len=$(wan_text primary | wc -c)
  log "capture: $size bytes; $(capture_streams "$TMPF/link.pcap") TCP streams to port $PORT"

  # nothing of what was replicated is in the capture
  grep -aq "$V2_MARKER" "$TMPF/link.pcap" && fail "the marker secret is in the capture"
  local line
  for line in 'default-action "drop"' 'remote-host "203.0.113.7"' 'established "enable"' \
              'firewall {' 'openvpn vtun0 {' 'port "22"'; do
    grep -aqF "$line" "$TMPF/link.pcap" && fail "config line '$line' is in the capture"
  done

  # and it saw the exchanges: their (public) headers are in it
  [ "$(grep -ac 'Authorization: VCR2 ' "$TMPF/link.pcap")" -ge 6 ] ||
    fail "the capture holds too few v2 requests: $(grep -ac 'Authorization: VCR2 ' "$TMPF/link.pcap")"
  captured_request POST 198.51.100.2 > /dev/null || fail "no push to r1 captured"
  captured_request GET 198.51.100.1 > /dev/null || fail "no pull from the primary captured"
  [ "$size" -gt $((2 * text_len)) ] || fail "the capture is smaller than the configs sent"
  local req sum1 sum2
  req=$(captured_request POST 198.51.100.2)
  sum1=$(state_sum r1)
  sum2=$(state_sum r2)
  cp "$(cfg r1)" "$TMPF/r1.boot"
  cp "$(cfg r2)" "$TMPF/r2.boot"
  untouched () {
    cmp -s "$(cfg r1)" "$TMPF/r1.boot" || fail "$1: r1's config changed"
    cmp -s "$(cfg r2)" "$TMPF/r2.boot" || fail "$1: r2's config changed"
    [ "$(state_sum r1)" = "$sum1" ] || fail "$1: r1's state changed"
    [ "$(state_sum r2)" = "$sum2" ] || fail "$1: r2's state changed"
  }
  # sent on its way to r1, replayed to r2: bound to r1's address
  v2_replay primary r2 "$req"
  expect_status 401; expect_plain; expect_error unauthorized
  grep -q 'other destination' "$TMPF/resp" || fail "to r2: $(cat "$TMPF/resp")"
  untouched "replayed to r2"
  # to r1 again: its nonce is remembered
  v2_replay primary r1 "$req"
  expect_status 401; expect_plain
  grep -q 'already used' "$TMPF/resp" || fail "to r1: $(cat "$TMPF/resp")"
  untouched "replayed to r1"
  # to r1 after a restart (its nonce memory empty): signed before it started
  router_stop r1
  sleep 1.1                                    # a second boundary: ts < start
  router_start r1 || fail "r1 did not start again"
  wait_until 100 peer_is r1 primary in-sync || fail "r1 not in sync after its restart"
  sum1=$(state_sum r1)
  v2_replay primary r1 "$req"
  expect_status 401; expect_plain
  grep -q 'before this server started' "$TMPF/resp" || fail "after the restart: $(cat "$TMPF/resp")"
  untouched "replayed after r1's restart"
  # the captured body under a fresh header that is right for r1
  sed '1,/^\r$/d' "$req" > "$TMPF/captured.frame"
  v2 r1 POST /v1/snapshot --raw-body "$TMPF/captured.frame"
  expect_status 400; expect_sealed; expect_error bad-request
  grep -q 'sealed for another receiver, another request or with another secret' "$TMPF/resp" ||
    fail "captured body, fresh header: $(cat "$TMPF/resp")"
  untouched "captured body under a fresh header"

  # one byte changed in each region of a frame: refused, nothing applied
  v2 primary GET /v1/snapshot --snapshot-out "$TMPF/snap"
  expect_status 200; expect_sealed
  grep -q "$V2_MARKER" "$TMPF/snap" || fail "test set-up: the opened snapshot has no marker"
  local region
  for region in magic lock lock-tag payload tag; do
    v2 r1 POST /v1/snapshot --snapshot-json "$TMPF/snap" --tamper "$region"
    expect_status 400; expect_sealed; expect_error bad-request
    log "$region altered: $(cat "$TMPF/resp")"
    untouched "$region altered"
  done
  # the same, untouched, is taken (the refusals above were for the byte)
  v2 r1 POST /v1/snapshot --snapshot-json "$TMPF/snap"
  expect_status 200; expect_sealed
  grep -q '"result":"unchanged"' "$TMPF/resp" || fail "untouched: $(cat "$TMPF/resp")"
}

# 2. A peer that speaks v1 (crafted with curl + openssl, as a node of the
# previous release signs) against a v2 node: refused when its headers
# arrive, with a message that says why and how to allow it; nothing is
# applied. With allow-protocol-v1 set on the node the same request is
# answered (signed, v1), and `status` warns for as long as it is set.
case_v2_v1_peer () {
  two_or_three 1
  v2 primary GET /v1/snapshot --snapshot-out "$TMPF/snap.v1"
  expect_status 200
  local sum
  sum=$(state_sum r1)
  cp "$(cfg r1)" "$TMPF/r1.boot"
  signed r1 POST /v1/snapshot "$TMPF/snap.v1" -H 'Content-Type: application/json'
  expect_status 401; expect_error unauthorized
  grep -q 'protocol v1 is refused on this node' "$TMPF/resp" || fail "v1: $(cat "$TMPF/resp")"
  grep -q 'allow-protocol-v1' "$TMPF/resp" || fail "v1: $(cat "$TMPF/resp")"
  cmp -s "$(cfg r1)" "$TMPF/r1.boot" || fail "r1's config changed"
  [ "$(state_sum r1)" = "$sum" ] || fail "r1's state changed"
  run_client r1 status
  grep -q 'allow-protocol-v1' <<< "$OUT" && fail "a warning without the setting: $OUT"

  # the rolling upgrade: r1 allows v1
  sed -i 's/        mode "replica"/        mode "replica"\n        allow-protocol-v1/' "$(cfg r1)"
  run_client r1 reload
  expect_rc 0
  run_client r1 status
  grep -q '^Warning: .*allow-protocol-v1 is set.*clear text' <<< "$OUT" || fail "no warning: $OUT"
  [ "$(status_field r1 '.warnings | length')" -ge 1 ] || fail "Warnings: $(status_field r1 .warnings)"
  wait_until 100 peer_is r1 primary in-sync || fail "r1's pull after the reload"
  # the primary's next snapshot, not pushed: what a v1 primary would send
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  v2 primary GET /v1/snapshot --snapshot-out "$TMPF/snap.v1"
  expect_status 200
  grep -q 'port \\"2222\\"' "$TMPF/snap.v1" || fail "test set-up: $(cat "$TMPF/snap.v1")"
  signed r1 POST /v1/snapshot "$TMPF/snap.v1" -H 'Content-Type: application/json'
  expect_status 200
  grep -q '"result":"applied"' "$TMPF/resp" || fail "v1 allowed: $(cat "$TMPF/resp")"
  [ -n "$(grep -i '^X-VCR-Signature:' "$TMPF/headers")" ] || fail "the v1 answer is not signed"
  has_port r1 2222 || fail "the v1 snapshot was not applied"
  # v2 still spoken to it: the primary's push
  sed -i 's/port "2222"/port "2223"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  has_port r1 2223 || fail "the v2 push did not reach r1"
}
