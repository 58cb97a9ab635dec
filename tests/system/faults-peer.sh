# SPDX-License-Identifier: GPL-2.0-or-later
#
# The fault suite's peer cases (issue 9), sourced by run-case.sh: the
# network (a link cut during a push), clocks (10 minutes apart), floods
# (thousands of mixed requests and a thousand idle connections against a
# replica's peer port) and a listener moved to another address (its nonce
# memory kept). One function per case, case_NAME; each registered in
# `fault_cases_peer` (meson.build) with its timeout.

# /proc figures of router $1's daemon: descriptors, VmRSS (kB).
daemon_pid () { echo "${ROUTER_DAEMON_PID[$1]}"; }
fds_of () { ls "/proc/$(daemon_pid "$1")/fd" | wc -l; }
rss_of () { awk '/^VmRSS:/ { print $2 }' "/proc/$(daemon_pid "$1")/status"; }

# 1. r2's link is cut while it applies a push (its apply command is slow)
# and restored later: the Push reply comes, within a bound, with r1
# applied and r2 named as failed; r1 is unaffected; r2 converges through
# the primary's retries once its link is back.
case_link_cut_push () {
  netns_setup sw primary=1 r1=2 r2=3 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2 r2=3
  write_replica r1 2 1
  write_replica r2 3 1
  router_start primary || fail "primary did not start"
  router_start r1 || fail "r1 did not start"
  router_start r2 --apply-command "touch '$TMPF/r2-applying'; sleep 3" || fail "r2 did not start"
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  wait_until 100 has_port r2 22 || fail "r2 did not pull"
  wait_until 100 peer_is primary r2 in-sync || fail "r2 not in sync on the primary"
  rm -f "$TMPF/r2-applying"

  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  local start push rc=0
  start=$(date +%s%N)
  vcr_on primary push > "$TMPF/push" 2>&1 &
  push=$!
  wait_until 100 test -e "$TMPF/r2-applying" || fail "r2's apply did not start"
  netns_link r2 down
  # the reply, bounded: r2's answer is lost; the primary's connection to
  # it is found dead (TCP keepalive, 20 s), long before the POST's 300 s
  wait_until 900 sh -c "! kill -0 $push" || fail "no Push reply within 90 s"
  wait "$push" || rc=$?
  log "Push reply after $(( ($(date +%s%N) - start) / 1000000 )) ms, exit $rc: $(cat "$TMPF/push")"
  [ "$rc" = 1 ] || fail "push exit $rc: $(cat "$TMPF/push")"
  grep -qx 'r1: ok, generation 2: applied' "$TMPF/push" || fail "push, r1: $(cat "$TMPF/push")"
  grep -q '^r2: failed, generation 2: 198.51.100.3:7790: ' "$TMPF/push" ||
    fail "push, r2: $(cat "$TMPF/push")"
  has_port r1 2222 || fail "r1 did not apply"
  peer_is primary r1 in-sync || fail "r1 is $(peer_field primary r1 state) on the primary"
  # error, or syncing once the primary's retry has begun
  case "$(peer_field primary r2 state)" in
    error | syncing) ;;
    *) fail "r2's Peers state: $(peer_field primary r2 state)" ;;
  esac

  netns_link r2 up
  wait_until 600 peer_is primary r2 in-sync || fail "r2 did not converge: $(peer_field primary r2 last_error)"
  has_port r2 2222 || fail "r2 is in sync without the change"
  [ "$(peer_field primary r2 acknowledged_generation)" = 2 ] || fail "r2 not acknowledged"
  peer_is primary r1 in-sync || fail "r1 left in-sync"
}

# 2. The replica's clock is 10 minutes ahead: its pull and the primary's
# push are refused as stale (401, unsigned), each side logs a line that
# says to check the clocks, and nothing is applied.
case_clock_skew () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  cp "$(cfg r1)" "$TMPF/r1.before"
  router_start primary || fail "primary did not start"
  ROUTER_WRAPPER="faketime -f +600s" router_start r1 || fail "r1 did not start"
  wait_until 100 peer_is r1 primary error || fail "r1's pull did not fail"
  [[ "$(peer_field r1 primary last_error)" == *"401"*"check both clocks"* ]] ||
    fail "r1's error: $(peer_field r1 primary last_error)"
  run_client primary push
  expect_rc 1
  grep -q '^r1: failed, generation 1: .*401.*check both clocks' <<< "$OUT" || fail "push: $OUT"
  # both daemons' logs: the refusal (server side) and the failure (client side)
  grep -q 'Refused a request from 198.51.100.2:[0-9]*: request time .* check both clocks' \
    "$WORK/primary/daemon.log" || fail "the primary did not log r1's stale request"
  grep -q 'Refused a request from 198.51.100.1:[0-9]*: request time .* check both clocks' \
    "$WORK/r1/daemon.log" || fail "r1 did not log the primary's stale request"
  grep -q 'Pull from the primary failed: .*check both clocks' "$WORK/r1/daemon.log" ||
    fail "r1 did not log why its pull failed"
  grep -q 'Push to r1 failed: .*check both clocks' "$WORK/primary/daemon.log" ||
    fail "the primary did not log why its push failed"
  cmp "$(cfg r1)" "$TMPF/r1.before" || fail "r1's config changed"
  [ "$(generation_of r1)" = 0 ] || fail "r1's generation $(generation_of r1)"
}

# 3. A flood against a replica's peer port from a host without the secret
# (and with it): a thousand idle connections (silent, half a header, a
# POST's headers and no body) held while 3,000 requests come from 8
# threads, a sixth each good, replayed, wrongly signed, stale, malformed
# and oversized (tests/system/peer-flood.py). Every bad one is refused
# with its status, every good one answered and signed; the replica's
# descriptors and memory go back to where they were, and it still
# replicates. Prints the figures.
case_flood () {
  netns_setup sw primary=1 r1=2 flood=9 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 || fail "r1 did not start"
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  local flood=(ip netns exec "$ROUTER_NETNS_flood" /usr/bin/python3 "$HERE/peer-flood.py"
               198.51.100.2 "$PORT" "$SECRET")
  # a small flood first, so that what GLib and libsoup make on first use,
  # and the shape of malloc's heap under 64 connections at once, are in
  # the baseline; then quiet (memory is released 2 s after the last)
  "${flood[@]}" 200 600 8 > "$TMPF/warmup.json" || fail "warm-up: $(cat "$TMPF/warmup.json")"
  sleep 3
  local fds0 rss0 peak=0
  fds0=$(fds_of r1)
  rss0=$(rss_of r1)
  echo 5 > "/proc/$(daemon_pid r1)/clear_refs"   # VmHWM from here: the flood's peak
  ( while :; do fds_of r1; sleep 0.1; done ) > "$TMPF/fds" 2>/dev/null &
  EXTRA_PIDS+=($!)
  "${flood[@]}" 1000 3000 8 > "$TMPF/flood.json" || fail "flood: $(cat "$TMPF/flood.json")"
  log "flood: $(cat "$TMPF/flood.json")"
  peak=$(sort -n "$TMPF/fds" | tail -n1)
  # settled: no connection left in r1's accept queue (the flood's last
  # ones, closed by their client, are taken and ended), descriptors back
  settled () {
    [ "$(ip netns exec "$ROUTER_NETNS_r1" ss -ltnH "sport = :$PORT" | awk '{ s += $2 } END { print s + 0 }')" = 0 ] &&
      [ "$(fds_of r1)" -le "$fds0" ]
  }
  wait_until 300 settled || fail "descriptors did not go back: $fds0 before, $(fds_of r1) now"
  # 1 MiB of slack: malloc keeps some of its heap's shape (valgrind finds
  # no leak in a flood of the peer server). AddressSanitizer keeps freed
  # memory in quarantine: there the figures are only printed.
  local sanitized=
  grep -q __asan_init "$VCR_DAEMON" 2>/dev/null && sanitized=1
  [ -n "$sanitized" ] ||
    wait_until 300 sh -c "[ \$(awk '/^VmRSS:/ { print \$2 }' /proc/$(daemon_pid r1)/status) -le $((rss0 + 1024)) ]"
  local fds1 rss1 hwm
  fds1=$(fds_of r1)
  rss1=$(rss_of r1)
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(daemon_pid r1)/status")
  echo "figures: r1's descriptors $fds0 before, at most $peak during, $fds1 after;" \
       "VmRSS $rss0 kB before, at most $hwm kB during, $rss1 kB after"
  [ -n "$sanitized" ] || [ "$rss1" -le $((rss0 + 1024)) ] || fail "VmRSS grew from $rss0 to $rss1 kB"
  [ "$peak" -le $((fds0 + 2 * 64 + 8)) ] || fail "$peak descriptors during the flood (cap 64)"
  # thousands of refusals, a log line every 10 s at most
  local lines
  lines=$(grep -c 'Refused a request from' "$WORK/r1/daemon.log")
  echo "figures: $lines log lines for $(jq '.counts.wrong + .counts.stale + .counts.malformed + .counts.replay' "$TMPF/flood.json") refused requests"
  [ "$lines" -le 10 ] || fail "$lines lines of refusals in r1's log"
  # and it still replicates
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  has_port r1 2222 || fail "r1 did not apply after the flood"
}

# 4. A replica's listen address changes (SIGHUP): the same server listens
# on the new address with its nonce memory, so a request taken on the old
# address is refused as a replay on the new one (protocol v2 binds it to
# the old address too; the replay is shown with the same nonce signed for
# the new one).
case_rebind_replay () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  ip -n "$ROUTER_NETNS_r1" addr add 198.51.100.12/24 dev eth0
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 || fail "r1 did not start"
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  v2 r1 GET /v1/digests --save "$TMPF/digests.req"
  expect_status 200; expect_sealed
  sed -i 's/listen-address "198.51.100.2"/listen-address "198.51.100.12"/' "$(cfg r1)"
  kill -HUP "$(daemon_pid r1)"
  wait_until 100 sh -c "DBUS_SYSTEM_BUS_ADDRESS=$(router_bus r1) $VCR_CLIENT --json status | jq -e '.listen_address == \"198.51.100.12:$PORT\"'" ||
    fail "r1 did not move: $(status_field r1 .listen_address)"
  [ "$(router_addr r1)" = 198.51.100.12 ] || fail "test set-up: $(router_addr r1)"
  # a v2 request is bound to the old address: refused there already for
  # its destination; re-signed for the new one with the same nonce, a
  # replay
  v2_replay r1 r1 "$TMPF/digests.req"
  expect_status 401; expect_error unauthorized
  local nonce ts
  nonce=$(grep -o 'nonce=[0-9a-f]*' "$TMPF/digests.req" | cut -d= -f2)
  ts=$(grep -o 'ts=[0-9]*' "$TMPF/digests.req" | cut -d= -f2)
  v2 r1 GET /v1/digests --nonce "$nonce" --ts "$ts"
  expect_status 401; expect_error unauthorized
  grep -q replay "$TMPF/resp" || fail "not refused as a replay: $(cat "$TMPF/resp")"
  v2 r1 GET /v1/digests
  expect_status 200; expect_sealed
}
