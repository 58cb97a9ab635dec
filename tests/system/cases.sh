# SPDX-License-Identifier: GPL-2.0-or-later
#
# The system test cases, sourced by run-case.sh (which provides the set-ups,
# observations and crafted-request helpers). One function per case,
# case_NAME for `run-case.sh NAME`; each fails with a message naming what it
# saw.

# 1. A change on the primary + push reaches the replica (its texts spliced
# into the config it has cached, lib/vcr-splice.h); a replicated path
# deleted on the primary disappears there; the replica's local config and
# its version footer stay as they were, including a local edit made between
# the pushes in place (same inode, same size), which the replica's cached
# copy of what it wrote must not hide.
case_push_applies_deletes () {
  two_or_three 1
  local footer local_ha offset
  footer=$(tail -n 3 "$(cfg r1)")

  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  [[ "$OUT" == "r1: ok, generation 2: applied" ]] || fail "push: $OUT"
  has_port r1 2222 || fail "the change did not reach r1"
  [ "$(wan_text r1)" = "$(wan_text primary)" ] || fail "r1's firewall name WAN differs"
  # r1 holds its config cached: the texts went in spliced, not parsed
  grep -q "snapshot texts checked" "$(dirname "$(cfg r1)")/daemon.log" ||
    fail "r1 parsed the snapshot's texts instead of splicing them"

  offset=$(grep -bo 'host-name "r1"' "$(cfg r1)" | cut -d: -f1)
  [ -n "$offset" ] || fail "test set-up: r1 has no host-name"
  printf 'host-name "x1"' | dd of="$(cfg r1)" bs=1 seek="$offset" conv=notrunc status=none
  local_ha=$("$VCR_CLIENT" config show "$(cfg r1)" --path "high-availability")
  sed -i '/openvpn vtun0 {/,/^    }/d' "$(cfg primary)"
  grep -q "openvpn vtun0" "$(cfg primary)" && fail "test set-up: openvpn still on the primary"
  grep -q 'openvpn vtun0' "$(cfg r1)" || fail "r1 had no openvpn before the delete"
  run_client primary push
  expect_rc 0
  [[ "$OUT" == "r1: ok, generation 3: applied" ]] || fail "push: $OUT"
  grep -q "openvpn vtun0" "$(cfg r1)" && fail "interfaces openvpn is still on r1"

  grep -q 'address "203.0.113.2/24"' "$(cfg r1)" || fail "r1 lost its eth0 address"
  grep -q 'host-name "x1"' "$(cfg r1)" || fail "r1 lost its local host-name edit"
  [ "$(tail -n 3 "$(cfg r1)")" = "$footer" ] || fail "r1's version footer changed"
  [ "$("$VCR_CLIENT" config show "$(cfg r1)" --path "high-availability")" = "$local_ha" ] ||
    fail "r1's replication settings changed"
  run_client r1 verify
  expect_rc 0
}

# 2. Three routers, one replica down: the push reports each, the Peers
# property shows the error, and the down replica converges when it comes
# back, without a new push.
case_replica_down () {
  two_or_three 2
  router_stop r2
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 1
  grep -qx 'r1: ok, generation 2: applied' <<< "$OUT" || fail "push, r1: $OUT"
  grep -q '^r2: failed, generation 2: ' <<< "$OUT" || fail "push, r2: $OUT"
  has_port r1 2222 || fail "r1 did not apply"
  [ "$(peer_field primary r2 state)" = error ] || fail "r2's Peers state: $(peer_field primary r2 state)"
  [ -n "$(peer_field primary r2 last_error)" ] || fail "r2's Peers entry has no error"
  [ "$(peer_field primary r1 acknowledged_generation)" = 2 ] || fail "r1 not acknowledged"
  [ "$(status_field primary .state)" = degraded ] || fail "State $(status_field primary .state)"

  router_start r2 || fail "r2 did not restart"
  wait_until 300 has_port r2 2222 || fail "r2 did not converge"
  wait_until 300 peer_is primary r2 in-sync || fail "the primary does not see r2 in sync"
  [ "$(peer_field primary r2 acknowledged_generation)" = 2 ] || fail "r2 not acknowledged"
  [ "$(peer_field primary r2 last_error)" = "" ] || fail "r2 keeps an error"
  wait_until 100 sh -c "[ \"\$(DBUS_SYSTEM_BUS_ADDRESS=$(router_bus primary) $VCR_CLIENT --json status | jq -r .state)\" = in-sync ]" ||
    fail "the primary's State is $(status_field primary .state)"
}

# 2b. The same with the replica's link down: the push waits for the peer
# timeout, fails for it, and the primary's retries deliver once the link is
# back.
case_replica_link_down () {
  two_or_three 2
  netns_link r2 down
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 1
  grep -qx 'r1: ok, generation 2: applied' <<< "$OUT" || fail "push, r1: $OUT"
  grep -q '^r2: failed, generation 2: ' <<< "$OUT" || fail "push, r2: $OUT"
  [ "$(peer_field primary r2 state)" = error ] || fail "r2's Peers state"
  netns_link r2 up
  wait_until 600 has_port r2 2222 || fail "r2 did not converge"
  wait_until 300 peer_is primary r2 in-sync || fail "the primary does not see r2 in sync"
}

# 3. A replica started while its primary is down converges once the primary
# comes up (its pull is retried with backoff).
case_primary_late () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start r1 || fail "r1 did not start"
  wait_until 100 peer_is r1 primary error || fail "r1's pull did not fail: $(peer_field r1 primary state)"
  [ -n "$(peer_field r1 primary last_error)" ] || fail "no error shown on r1"
  grep -q 'openvpn vtun0' "$(cfg r1)" && fail "r1 has a snapshot without a primary"
  sleep 2   # let the backoff grow past the first attempt
  router_start primary || fail "primary did not start"
  wait_until 300 has_port r1 22 || fail "r1 did not converge"
  wait_until 100 peer_is r1 primary in-sync || fail "r1's primary entry is not in sync"
  run_client r1 history
  grep -q 'pull primary generation 0 .*: .*' <<< "$OUT" || fail "no failed pull in the history"
  run_client r1 verify
  expect_rc 0
}

# 4. A wrong secret on either side: refused with 401 both ways, nothing
# applied, the error visible in status and history.
case_wrong_secret () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 "another-secret-0123456789" r1=2
  write_replica r1 2 1
  cp "$(cfg r1)" "$TMPF/r1.before"
  router_start primary || fail "primary did not start"
  router_start r1 || fail "r1 did not start"
  # the replica's pull: the primary refuses it
  wait_until 100 peer_is r1 primary error || fail "r1's pull did not fail"
  [[ "$(peer_field r1 primary last_error)" == *401* ]] ||
    fail "r1's error: $(peer_field r1 primary last_error)"
  # the primary's push: the replica refuses it
  run_client primary push
  expect_rc 1
  grep -q '^r1: failed, generation 1: .*401' <<< "$OUT" || fail "push: $OUT"
  [[ "$(peer_field primary r1 last_error)" == *401* ]] ||
    fail "primary's error: $(peer_field primary r1 last_error)"
  run_client primary history
  grep -q 'push r1 generation 1 .*401' <<< "$OUT" || fail "history: $OUT"
  run_client r1 history
  grep -q 'pull primary .*401' <<< "$OUT" || fail "history: $OUT"
  cmp "$(cfg r1)" "$TMPF/r1.before" || fail "r1's config changed"
  [ "$(generation_of r1)" = 0 ] || fail "r1 generation $(generation_of r1)"
  run_client primary verify
  expect_rc 1
}

# 5. Crafted requests (protocol v2, tests/vcr2-tool.py): each refusal has
# its status and error code, answered sealed once the request is
# authenticated, and the replica's config and state stay exactly as they
# were.
case_crafted () {
  two_or_three 1
  v2 primary GET /v1/snapshot --snapshot-out "$TMPF/snap1"
  expect_status 200; expect_sealed
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  v2 primary GET /v1/snapshot --snapshot-out "$TMPF/snap2"
  expect_status 200; expect_sealed
  [ "$(jq .generation "$TMPF/snap2")" = 2 ] || fail "snapshot: $(cat "$TMPF/snap2")"

  cp "$(cfg r1)" "$TMPF/r1.boot"
  local sum
  sum=$(state_sum r1)
  unchanged () {
    cmp "$(cfg r1)" "$TMPF/r1.boot" || fail "$1: r1's config.boot changed"
    [ "$(state_sum r1)" = "$sum" ] || fail "$1: r1's state changed"
    has_port r1 2222 || fail "$1: r1 lost generation 2"
  }

  # a good request, to show the harness seals right: 200 unchanged
  v2 r1 POST /v1/snapshot --snapshot-json "$TMPF/snap2" --save "$TMPF/good.req"
  expect_status 200; expect_sealed
  [ "$(cat "$TMPF/resp")" = '{"result":"unchanged","generation":2}' ] || fail "$(cat "$TMPF/resp")"
  unchanged good
  # replayed
  v2_replay r1 r1 "$TMPF/good.req"
  expect_status 401; expect_plain; expect_error unauthorized
  grep -q replay "$TMPF/resp" || fail "replay: $(cat "$TMPF/resp")"
  unchanged replay
  # stale timestamp
  v2 r1 POST /v1/snapshot --snapshot-json "$TMPF/snap1" --ts $(( $(date +%s) - 400 ))
  expect_status 401; expect_plain; expect_error unauthorized
  unchanged stale-ts
  # a byte of the sealed body changed
  v2 r1 POST /v1/snapshot --snapshot-json "$TMPF/snap2" --tamper payload
  expect_status 400; expect_sealed; expect_error bad-request
  unchanged tampered
  # oversized: over the 64 MiB default, refused on its headers (sealed)
  head -c $(( 64 * 1024 * 1024 + 1 )) /dev/zero | tr '\0' ' ' > "$TMPF/big"
  v2 r1 POST /v1/snapshot --payload-file "$TMPF/big"
  rm -f "$TMPF/big"
  expect_status 413; expect_sealed; expect_error too-large
  unchanged oversized
  # malformed document
  v2 r1 POST /v1/snapshot --payload '{"protocol":2,'
  expect_status 400; expect_sealed; expect_error bad-request
  unchanged malformed
  # path mismatch: one of the two paths only
  jq -c '.generation = 5 | del(.paths[1])' "$TMPF/snap2" > "$TMPF/onepath"
  v2 r1 POST /v1/snapshot --snapshot-json "$TMPF/onepath"
  expect_status 409; expect_sealed; expect_error path-mismatch
  grep -q 'firewall name WAN' "$TMPF/resp" || fail "path-mismatch names no path: $(cat "$TMPF/resp")"
  unchanged path-mismatch
  # stale generation: generation 1 after 2 was applied, same epoch
  v2 r1 POST /v1/snapshot --snapshot-json "$TMPF/snap1"
  expect_status 409; expect_sealed; expect_error stale-generation
  unchanged stale-generation
  # wrong mode: a snapshot posted to the primary
  cp "$(cfg primary)" "$TMPF/primary.boot"
  v2 primary POST /v1/snapshot --snapshot-json "$TMPF/snap1"
  expect_status 409; expect_sealed; expect_error wrong-mode
  cmp "$(cfg primary)" "$TMPF/primary.boot" || fail "the primary's config changed"
  unchanged wrong-mode
  # and the replica answers GET /v1/snapshot with wrong-mode too
  v2 r1 GET /v1/snapshot
  expect_status 409; expect_sealed; expect_error wrong-mode
  unchanged get-snapshot
  # protocol v1, correctly signed, is refused (allow-protocol-v1 not set)
  signed r1 POST /v1/snapshot "$TMPF/snap2" -H 'Content-Type: application/json'
  expect_status 401; expect_error unauthorized
  grep -q 'protocol v1 is refused on this node' "$TMPF/resp" || fail "v1: $(cat "$TMPF/resp")"
  unchanged v1
  [ "$(generation_of r1)" = 2 ] || fail "r1's generation $(generation_of r1)"
}

# 6. A failing --apply-command: 422 apply-failed, the old file back byte for
# byte, the reference unchanged; a succeeding one sees VCR_CONFIG and
# VCR_GENERATION.
case_apply_command () {
  two_or_three 1
  router_stop r1
  # a local edit that is the same tree but not in canonical form
  sed -i 's/^    host-name "r1"/        host-name   "r1"/' "$(cfg r1)"
  router_start r1 --apply-command 'echo "it broke" >&2; exit 3' || fail "r1 did not restart"
  wait_until 100 peer_is r1 primary in-sync || fail "r1 not in sync after restart"
  cp "$(cfg r1)" "$TMPF/r1.boot"
  cp -a "$(reference_dir r1)" "$TMPF/reference"
  sed "s/port \"22\"/port \"2222\"/" "$(cfg r1)" > "$TMPF/proposed.boot"
  run_client r1 check-commit "$TMPF/proposed.boot"
  expect_rc 1
  run_client r1 check-commit "$(cfg r1)"
  expect_rc 0

  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 1
  grep -q '^r1: failed, generation 2: .*apply-failed' <<< "$OUT" || fail "push: $OUT"
  grep -q 'exit status 3' <<< "$OUT" || fail "the reason is not shown: $OUT"
  cmp "$(cfg r1)" "$TMPF/r1.boot" || fail "r1's config.boot was not restored byte for byte"
  diff -r "$(reference_dir r1)" "$TMPF/reference" || fail "r1's reference changed"
  run_client r1 check-commit "$TMPF/proposed.boot"
  expect_rc 1
  run_client r1 check-commit "$(cfg r1)"
  expect_rc 0
  [ "$(generation_of r1)" = 1 ] || fail "r1's generation $(generation_of r1)"
  run_client r1 history
  grep -q 'apply .*generation 2 .*exit status 3' <<< "$OUT" || fail "history: $OUT"

  # now an apply command that works: the primary's retry delivers
  router_stop r1
  router_start r1 --apply-command "echo \"\$VCR_CONFIG \$VCR_GENERATION\" >> '$TMPF/applied'" ||
    fail "r1 did not restart"
  wait_until 300 has_port r1 2222 || fail "r1 did not apply generation 2"
  wait_until 100 test -s "$TMPF/applied" || fail "the apply command did not run"
  [ "$(head -n1 "$TMPF/applied")" = "$(cfg r1) 2" ] || fail "apply command saw: $(cat "$TMPF/applied")"
}

# 7. Restarts (SIGTERM and kill -9) of either side keep generation, epoch
# and reference; a push with no change does not grow the generation.
case_restart () {
  two_or_three 1
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  : > "$TMPF/empty"
  sed "s/port \"2222\"/port \"2223\"/" "$(cfg r1)" > "$TMPF/proposed.boot"
  digests () {  # digests ROUTER: epoch generation digests, one line
    signed "$1" GET /v1/digests "$TMPF/empty"
    expect_status 200
    jq -c '[.epoch, .generation, .paths]' "$TMPF/resp"
  }
  local p r
  p=$(digests primary)
  r=$(digests r1)
  [ "$p" = "$r" ] || fail "primary $p, r1 $r"
  check_reference () {
    run_client r1 check-commit "$TMPF/proposed.boot"
    expect_rc 1
    run_client r1 check-commit "$(cfg r1)"
    expect_rc 0
  }
  check_reference
  for sig in TERM KILL; do
    router_stop primary "$sig"
    router_start primary || fail "primary did not restart after $sig"
    [ "$(digests primary)" = "$p" ] || fail "after $sig the primary has $(digests primary), had $p"
    [ "$(generation_of primary)" = 2 ] || fail "generation $(generation_of primary)"
    run_client primary push
    expect_rc 0
    [ "$OUT" = "r1: ok, generation 2: unchanged" ] || fail "push after $sig: $OUT"
    router_stop r1 "$sig"
    router_start r1 || fail "r1 did not restart after $sig"
    wait_until 100 peer_is r1 primary in-sync || fail "r1 not in sync after $sig"
    [ "$(digests r1)" = "$r" ] || fail "after $sig r1 has $(digests r1), had $r"
    [ "$(generation_of r1)" = 2 ] || fail "r1 generation $(generation_of r1)"
    check_reference
  done
}

# 8a. Two concurrent pushes: the second joins the first (same results)
# or waits for one follow-up push (unchanged), never an older answer.
case_push_join () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  # a slow apply keeps the first push running while the second one comes
  router_start r1 --apply-command 'sleep 1' || fail "r1 did not start"
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push1" 2>&1 &
  local a=$!
  vcr_on primary push > "$TMPF/push2" 2>&1 &
  local b=$!
  wait "$a" || fail "push 1 failed: $(cat "$TMPF/push1")"
  wait "$b" || fail "push 2 failed: $(cat "$TMPF/push2")"
  # The second caller joined the first push (before its read: the same
  # answer) or waited for the follow-up, which read the same config again
  # and found the replica holding it.
  cat "$TMPF/push1" "$TMPF/push2" | sort > "$TMPF/pushes"
  case "$(cat "$TMPF/pushes")" in
    "r1: ok, generation 2: applied"$'\n'"r1: ok, generation 2: applied") ;;
    "r1: ok, generation 2: applied"$'\n'"r1: ok, generation 2: unchanged") ;;
    *) fail "pushes: $(cat "$TMPF/pushes")" ;;
  esac
  [ "$(generation_of primary)" = 2 ] || fail "generation $(generation_of primary)"
}

# 8b. A manual edit of a replicated path on the replica shows in Verify, and
# the periodic verification repairs it.
case_verify_repair () {
  two_or_three 1
  sed -i 's/port "22"/port "2299"/' "$(cfg r1)"
  run_client primary verify
  expect_rc 1
  grep -q 'r1: "firewall name WAN" differs' <<< "$OUT" || fail "verify: $OUT"
  grep -q 'r1: "interfaces openvpn" in sync' <<< "$OUT" || fail "verify: $OUT"
  run_client r1 verify
  expect_rc 1
  has_port r1 2299 || fail "something repaired r1 before the periodic check could"
  router_stop primary
  router_start primary --verify-interval 1 || fail "primary did not restart"
  wait_until 100 has_port r1 22 || fail "the periodic verification did not repair r1"
  run_client primary verify
  expect_rc 0
}

# 9. monitor sees SnapshotApplied on the replica and PushFinished on the
# primary.
case_signals () {
  two_or_three 1
  vcr_on r1 monitor > "$TMPF/mon.r1" 2>&1 &
  EXTRA_PIDS+=($!)
  vcr_on primary monitor > "$TMPF/mon.primary" 2>&1 &
  EXTRA_PIDS+=($!)
  # the monitors must be subscribed before the push: wait until each sees
  # a signal of its own making (a pull on the replica, a push on the primary)
  wait_until 100 sh -c "DBUS_SYSTEM_BUS_ADDRESS=$(router_bus r1) $VCR_CLIENT pull >/dev/null; grep -q PullFinished '$TMPF/mon.r1'" ||
    fail "the replica's monitor saw no PullFinished: $(cat "$TMPF/mon.r1")"
  wait_until 100 sh -c "DBUS_SYSTEM_BUS_ADDRESS=$(router_bus primary) $VCR_CLIENT push >/dev/null; grep -q PushFinished '$TMPF/mon.primary'" ||
    fail "the primary's monitor saw nothing: $(cat "$TMPF/mon.primary")"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  wait_until 100 grep -q 'SnapshotApplied.*2' "$TMPF/mon.r1" ||
    fail "no SnapshotApplied on r1: $(cat "$TMPF/mon.r1")"
  wait_until 100 grep -q 'PushFinished.*r1.*2' "$TMPF/mon.primary" ||
    fail "no PushFinished on the primary: $(cat "$TMPF/mon.primary")"
  log "r1: $(cat "$TMPF/mon.r1")"
  log "primary: $(cat "$TMPF/mon.primary")"
}

# 10. SIGTERM while a snapshot is being applied (SPEC §8): the apply
# finishes (file, reference and answer), then the daemon exits.
case_sigterm_during_apply () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 --apply-command "touch '$TMPF/started'; sleep 2" || fail "r1 did not start"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  rm -f "$TMPF/started"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push" 2>&1 &
  local push=$!
  wait_until 100 test -e "$TMPF/started" || fail "the apply command did not start"
  router_stop r1 TERM
  wait "$push"
  log "push: $(cat "$TMPF/push")"
  has_port r1 2222 || fail "the apply in flight was not finished"
  [ "$(jq .applied_generation "$WORK/r1/state/state.json")" = 2 ] ||
    fail "the apply was not recorded: $(cat "$WORK/r1/state/state.json")"
  [ "$(cat "$TMPF/push")" = "r1: ok, generation 2: applied" ] || fail "push: $(cat "$TMPF/push")"
  grep -q 'Waiting for the apply' "$WORK/r1/daemon.log" || fail "no wait in the log"
}

# 11. A state file that is there but cannot be read (here a folder in its
# place; EACCES and EIO take the same path) stops start-up with a clear
# message: starting afresh would make a new epoch and forget the applied
# generation.
case_state_unreadable () {
  write_replica r1 2 1
  mkdir -p "$WORK/r1/state/state.json"
  local rc=0
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent timeout 20 \
    "$VCR_DAEMON" --config "$(cfg r1)" --state-dir "$WORK/r1/state" \
    > "$WORK/r1/daemon.log" 2>&1 || rc=$?
  [ "$rc" != 0 ] || fail "the daemon started"
  [ "$rc" != 124 ] || fail "the daemon kept running on an unreadable state file"
  grep -q 'Cannot read the state file.*state.json' "$WORK/r1/daemon.log" ||
    fail "no clear message: $(cat "$WORK/r1/daemon.log")"
  [ -d "$WORK/r1/state/state.json" ] || fail "the state file was moved or replaced"
}

# ---- a Reload in the middle of a receive ---------------------------------

# with_replicate_path ROUTER PATH: a copy of ROUTER's config.boot (to stdout)
# whose replicate block also lists PATH.
with_replicate_path () {
  sed "s|^\( *\)path \"interfaces openvpn\"|&\n\1path \"$2\"|" "$(cfg "$1")"
}

# The history's apply event of generation $2 on router $1: its paths, one
# line of JSON.
apply_event_paths () {
  vcr_on "$1" --json history |
    jq -c --argjson g "$2" '[.[] | select(.event == "apply" and .generation == $g) | .paths]'
}

APPLIED_TWO='[["firewall name WAN","interfaces openvpn"]]'

# 12. A Reload that adds a replicate path while the replica runs its
# --apply-command: the apply finishes on the path set it started with (its
# history entry names those paths), the newly added path's local subtree
# stays, and the reload's paths are in force afterwards.
case_reload_during_apply () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 --apply-command "touch '$TMPF/started'; sleep 3" || fail "r1 did not start"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  rm -f "$TMPF/started"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push" 2>&1 &
  local push=$!
  wait_until 100 test -e "$TMPF/started" || fail "the apply command did not start"
  # the config is written; the command runs: now the reload
  with_replicate_path r1 "interfaces ethernet" > "$TMPF/r1.new"
  grep -q 'path "interfaces ethernet"' "$TMPF/r1.new" || fail "test set-up: no new path"
  cp "$TMPF/r1.new" "$(cfg r1)"
  run_client r1 reload
  expect_rc 0
  kill -0 "$push" 2>/dev/null || fail "test set-up: the push ended before the reload"
  wait "$push" || fail "push: $(cat "$TMPF/push")"
  [ "$(cat "$TMPF/push")" = "r1: ok, generation 2: applied" ] || fail "push: $(cat "$TMPF/push")"
  has_port r1 2222 || fail "r1 did not apply generation 2"
  grep -q 'address "203.0.113.2/24"' "$(cfg r1)" || fail "r1 lost its interfaces ethernet"
  grep -q 'path "interfaces ethernet"' "$(cfg r1)" || fail "r1 lost the reloaded settings"
  [ "$(apply_event_paths r1 2)" = "$APPLIED_TWO" ] ||
    fail "the apply of generation 2 names $(apply_event_paths r1 2)"
  [ "$(status_field r1 '.replicated_paths | length')" = 3 ] ||
    fail "r1 replicates $(status_field r1 .replicated_paths)"
}

# 13. The same while the replica reads its running config (the receive's
# first step): config.boot is a FIFO then, so the read waits until the
# test has reloaded the replica with a third replicate path and feeds it
# the old config. The receive must replace only the two subtrees it
# checked the snapshot against: the third path's local subtree stays.
case_reload_during_read () {
  two_or_three 1
  cp "$(cfg r1)" "$TMPF/r1.old"
  with_replicate_path r1 "interfaces ethernet" > "$TMPF/r1.new"
  grep -q 'path "interfaces ethernet"' "$TMPF/r1.new" || fail "test set-up: no new path"
  grep -q 'address "203.0.113.2/24"' "$TMPF/r1.new" || fail "test set-up: no local subtree"
  mkfifo "$TMPF/fifo"
  ln -sf "$TMPF/fifo" "$(cfg r1)"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push" 2>&1 &
  local push=$!
  # the texts are parsed; the read of the running config waits on the FIFO
  wait_until 100 grep -q 'Generation 2: snapshot texts parsed' "$WORK/r1/daemon.log" ||
    fail "r1's receive did not start"
  cp "$TMPF/r1.new" "$(cfg r1).tmp"
  mv -f "$(cfg r1).tmp" "$(cfg r1)"
  run_client r1 reload
  expect_rc 0
  timeout 20 sh -c "cat '$TMPF/r1.old' > '$TMPF/fifo'" || fail "r1 did not read the FIFO"
  wait "$push" || fail "push: $(cat "$TMPF/push")"
  [ "$(cat "$TMPF/push")" = "r1: ok, generation 2: applied" ] || fail "push: $(cat "$TMPF/push")"
  has_port r1 2222 || fail "r1 did not apply generation 2"
  grep -q 'address "203.0.113.2/24"' "$(cfg r1)" ||
    fail "the receive deleted r1's interfaces ethernet, a path added while it ran"
  grep -q 'path "interfaces ethernet"' "$(cfg r1)" || fail "r1 lost the reloaded settings"
  [ "$(apply_event_paths r1 2)" = "$APPLIED_TWO" ] ||
    fail "the apply of generation 2 names $(apply_event_paths r1 2)"
}
