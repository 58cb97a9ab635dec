#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One bus test case per invocation: `run-case.sh CASE`. Each case starts its
# own private bus and daemon (harness.sh) and checks the daemon through the
# client and through busctl.

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"

REFUSAL_WAN='Error: path "firewall name WAN" is managed by config replication and must not be modified locally.'
REFUSAL_OVPN='Error: path "interfaces openvpn" is managed by config replication and must not be modified locally.'

check_commit () {
  /usr/bin/python3 "$HERE/call-check-commit.py" "$@"
}

is_managed () {
  /usr/bin/python3 "$HERE/call-is-managed.py" "$@"
}

# A proposed config: the daemon's config with a sed script applied.
proposed () {
  local name=$1
  shift
  sed "$@" "$TMP/config.boot" > "$TMP/$name.boot"
  chmod 644 "$TMP/$name.boot"
  echo "$TMP/$name.boot"
}

case_properties () {
  write_config replica; start_bus; start_daemon
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Mode
  [ "$OUT" = 's "replica"' ] || fail "Mode: $OUT"
  # The pull at start fails at once (nothing listens on the primary's port).
  wait_for sh -c "busctl --address=$DBUS_SYSTEM_BUS_ADDRESS get-property $BUS_NAME $BUS_PATH $BUS_NAME State | grep -q out-of-sync" \
    || fail "State never became out-of-sync"
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME ReplicatedPaths
  [ "$OUT" = 'as 2 "firewall name WAN" "interfaces openvpn"' ] || fail "ReplicatedPaths: $OUT"
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Generation
  [ "$OUT" = 't 0' ] || fail "Generation: $OUT"
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Peers
  expect_contains "$OUT" 'a(ssstts) 1 "primary" "127.0.0.1:9" "error" 0 0 "127.0.0.1:9: '
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME ListenAddress
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Version
  expect_contains "$OUT" '"0.'
  expect_exit 0 client status
  expect_contains "$OUT" "Mode:           replica"
  expect_contains "$OUT" "  firewall name WAN"
  expect_contains "$OUT" "primary (127.0.0.1:9): error"
  expect_exit 0 client --json status
  echo "$OUT" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["mode"] == "replica", d
assert d["replicated_paths"] == ["firewall name WAN", "interfaces openvpn"], d
assert d["peers"][0]["name"] == "primary", d
' || fail "status --json: $OUT"
}

# ---- PropertiesChanged: one case per property ----------------------------
# watch_start PROPERTY: a watcher (watch-properties.py) takes every
# property and listens; the case changes PROPERTY; watch_check fails when
# PROPERTY did not change, or any property changed without
# PropertiesChanged announcing its new value.
watch_start () {
  /usr/bin/python3 "$HERE/watch-properties.py" "$1" "$TMP/watch.ready" "$TMP/watch.done" \
    > "$TMP/watch.out" 2>&1 &
  WATCH_PID=$!
  EXTRA_PIDS+=("$WATCH_PID")
  wait_for test -e "$TMP/watch.ready" || fail "the watcher did not start: $(cat "$TMP/watch.out")"
}

watch_check () {
  touch "$TMP/watch.done"
  wait "$WATCH_PID" || fail "$(cat "$TMP/watch.out")"
  log "$(cat "$TMP/watch.out")"
}

case_props_mode () {
  write_config replica; start_bus; start_daemon
  watch_start Mode
  write_config primary
  expect_exit 0 client reload
  watch_check
}

case_props_state () {
  write_config replica; start_bus; start_daemon
  watch_start State
  write_config none
  expect_exit 0 client reload
  watch_check
}

case_props_replicated_paths () {
  write_config replica; start_bus; start_daemon
  watch_start ReplicatedPaths
  sed -i 's|            path "interfaces openvpn"|&\n            path "protocols static"|' "$TMP/config.boot"
  expect_exit 0 client reload
  watch_check
}

case_props_generation_primary () {
  write_config primary; start_bus; start_daemon
  wait_for sh -c "busctl --address=$DBUS_SYSTEM_BUS_ADDRESS get-property $BUS_NAME $BUS_PATH $BUS_NAME Generation | grep -q 't 1'" \
    || fail "no first snapshot"
  watch_start Generation
  sed -i 's/default-action "drop"/default-action "reject"/' "$TMP/config.boot"
  expect_exit 1 client push   # the replica is unreachable; the snapshot is new
  watch_check
}

# A replica's Generation changes when it takes a snapshot: a primary on a
# second private bus, whose replica is this daemon, pushes to it. Its
# first snapshot holds what the replica has already ("unchanged", yet
# recorded as applied: Generation 0 -> 1), the second a change (applied).
case_props_generation_replica () {
  local port dir=$TMP/primary
  write_config replica; start_bus; start_daemon
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME ListenAddress
  port=${OUT##*:}; port=${port%\"}
  mkdir -p "$dir"
  write_config primary "$dir/config.boot"
  sed -i -e 's/address "127.0.0.2"/address "127.0.0.1"/' -e "s/port \"9\"/port \"$port\"/" "$dir/config.boot"
  sed -e "s|$TMP/system_bus_socket|$dir/bus_socket|" "$TMP/system.conf" > "$dir/system.conf"
  dbus-daemon --config-file="$dir/system.conf" --nofork --print-address=1 > "$dir/bus.address" 2>&1 &
  EXTRA_PIDS+=($!)
  wait_for test -s "$dir/bus.address" || fail "the second bus did not start"
  watch_start Generation
  DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus_socket" "$VCR_DAEMON" --config "$dir/config.boot" \
    --state-dir "$dir/state" --listen 127.0.0.1:0 --verbose > "$dir/daemon.log" 2>&1 &
  EXTRA_PIDS+=($!)
  wait_for grep -q "Push to Secondary: unchanged (generation 1)" "$dir/daemon.log" ||
    fail "the primary's first push did not arrive: $(tail -n 20 "$dir/daemon.log")"
  watch_check
  rm -f "$TMP/watch.ready" "$TMP/watch.done"
  watch_start Generation
  sed -i 's/default-action "drop"/default-action "reject"/' "$dir/config.boot"
  expect_exit 0 env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus_socket" "$VCR_CLIENT" push
  [ "$OUT" = "Secondary: ok, generation 2: applied" ] || fail "push: $OUT"
  watch_check
}

case_props_peers () {
  write_config primary; start_bus; start_daemon
  watch_start Peers
  sed -i 's|        replica Secondary {|        replica Third {\n            address "127.0.0.3"\n            port "9"\n        }\n&|' "$TMP/config.boot"
  expect_exit 0 client reload
  watch_check
}

case_props_listen_address () {
  write_config replica; start_bus; start_daemon
  watch_start ListenAddress
  write_config none
  expect_exit 0 client reload
  watch_check
}

case_props_warnings () {
  write_config replica; start_bus; start_daemon
  watch_start Warnings
  sed -i 's/pre-shared-secret "0123456789abcdef0123"/pre-shared-secret "short"/' "$TMP/config.boot"
  expect_exit 0 client reload
  watch_check
}

case_introspection () {
  write_config replica; start_bus; start_daemon
  expect_exit 0 bctl introspect --xml-interface $BUS_NAME $BUS_PATH
  echo "$OUT" > "$TMP/live.xml"
  /usr/bin/python3 "$HERE/compare-introspection.py" \
    "$VCR_SOURCE_ROOT/dbus/org.vyos.ConfigReplication.xml" "$TMP/live.xml" \
    || fail "the introspection differs from dbus/org.vyos.ConfigReplication.xml"
}

case_is_managed () {
  write_config replica; start_bus; start_daemon
  expect_exit 0 client is-managed firewall name WAN rule 10
  [ "$OUT" = 'managed by "firewall name WAN"' ] || fail "$OUT"
  expect_exit 0 client is-managed "firewall name WAN"
  expect_exit 1 client is-managed firewall name WAN2
  [ "$OUT" = 'not managed' ] || fail "$OUT"
  expect_exit 1 client is-managed firewall
  expect_exit 0 client --json is-managed interfaces openvpn vtun0
  expect_contains "$OUT" '"replicate_path" : "interfaces openvpn"'
  expect_exit 2 client is-managed
  expect_exit 0 bctl call $BUS_NAME $BUS_PATH $BUS_NAME IsPathManaged as 3 firewall name WAN
  [ "$OUT" = 'bs true "firewall name WAN"' ] || fail "$OUT"
  expect_exit 0 bctl call $BUS_NAME $BUS_PATH $BUS_NAME IsPathManaged as 2 firewall name
  [ "$OUT" = 'bs false ""' ] || fail "$OUT"
}

# IsPathManaged takes at most 256 words and 4,096 bytes of words
# (InvalidPath beyond, the message names the limit); up to there it answers.
case_is_managed_limits () {
  write_config replica; start_bus; start_daemon
  # shellcheck disable=SC2046
  expect_exit 0 bctl call $BUS_NAME $BUS_PATH $BUS_NAME IsPathManaged as 256 \
    firewall name WAN $(seq 4 256)
  [ "$OUT" = 'bs true "firewall name WAN"' ] || fail "256 words: $OUT"
  expect_exit 1 is_managed 254 1 firewall name WAN
  expect_contains "$ERR" "org.vyos.ConfigReplication.Error.InvalidPath: Invalid path: more than 256 words"
  # 16 words of 256 bytes: exactly the limit
  expect_exit 0 is_managed 16 256
  [ "$OUT" = "false	" ] || fail "4096 bytes: $OUT"
  expect_exit 1 is_managed 16 256 y
  expect_contains "$ERR" "org.vyos.ConfigReplication.Error.InvalidPath: Invalid path: more than 4096 bytes in total"
  # one word of a megabyte, and 100,000 words: refused, the daemon unharmed
  expect_exit 1 is_managed 1 1048576
  expect_contains "$ERR" "more than 4096 bytes"
  expect_exit 1 is_managed 100000 1
  expect_contains "$ERR" "more than 256 words"
  daemon_alive
  expect_exit 0 client is-managed firewall name WAN rule 10
}

case_check_commit_refusals () {
  local f
  write_config replica; start_bus; start_daemon
  # set under the path
  f=$(proposed set-under -e 's/default-action "drop"/default-action "reject"/')
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "set under R: $OUT"
  # delete of the path
  f=$(proposed delete-path -e '/name WAN {/,/^    }/d')
  grep -q 'name WAN {' "$f" && fail "test set-up: WAN still in $f"
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "delete R: $OUT"
  # delete of an ancestor: the whole firewall
  f=$(proposed delete-ancestor -e '/^firewall {/,/^}/d')
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "delete firewall: $OUT"
  # creating a path that did not exist
  f=$(proposed create -e 's/^interfaces {/interfaces {\n    openvpn vtun0 {\n        mode "site-to-site"\n    }/')
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_OVPN" ] || fail "create R: $OUT"
  # both at once: one line each
  f=$(proposed both -e 's/default-action "drop"/default-action "reject"/' \
        -e 's/^interfaces {/interfaces {\n    openvpn vtun0 {\n    }/')
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN"$'\n'"$REFUSAL_OVPN" ] || fail "two paths: $OUT"
  expect_exit 1 client --json check-commit "$f"
  expect_contains "$OUT" '"replicate_path" : "interfaces openvpn"'
  # the raw method, the fd passed directly
  expect_exit 0 check_commit "$f"
  [ "$OUT" = "firewall name WAN	$REFUSAL_WAN"$'\n'"interfaces openvpn	$REFUSAL_OVPN" ] || fail "raw: $OUT"
  # a pipe
  OUT=$(cat "$f" | check_commit -) || fail "pipe"
  expect_contains "$OUT" "interfaces openvpn	$REFUSAL_OVPN"
  # Background pull retries add events too: look among the newest few.
  expect_exit 0 client history -n 4
  expect_contains "$OUT" "commit-refused"
  daemon_alive
}

pipes () {
  /usr/bin/python3 "$HERE/check-commit-pipes.py" "$@"
}

# CheckCommit calls in flight are bounded per connection (4) and in total
# (16), and so are the bytes they hold (64 MiB): beyond, LimitsExceeded.
# A caller that leaves the bus has its pipes let go of at once.
case_check_commit_limits () {
  write_config replica; start_bus; start_daemon
  expect_exit 0 pipes per-sender
  grep -q "left the bus: cancelling its 4 CheckCommit calls" "$TMP/daemon.log" ||
    fail "the daemon did not notice the caller leaving"
  expect_exit 0 pipes total
  expect_exit 0 pipes budget
  daemon_alive
  # everything given back: a plain check still works
  expect_exit 0 client check-commit "$(proposed same -e 's/x/x/')"
}

# A pipe that never ends is refused at the deadline (10 s), and the daemon
# lets go of it.
case_check_commit_deadline () {
  write_config replica; start_bus; start_daemon
  expect_exit 0 pipes deadline
  daemon_alive
}

# CheckCommit reads and parses in a worker: while a 30 MB config is read,
# parsed and hashed, the main loop goes on answering.
case_check_commit_off_loop () {
  write_config replica; start_bus; start_daemon
  /usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("firewall {\n    name WAN {\n        default-action \"drop\"\n")
    for i in range(1, 250000):
        f.write("        rule %d {\n            action \"accept\"\n            protocol \"tcp\"\n        }\n" % i)
    f.write("    }\n}\n")
' "$TMP/big.boot"
  chmod 644 "$TMP/big.boot"
  expect_exit 0 pipes off-loop "$TMP/big.boot"
  log "$ERR"
}

saved_events () {   # saved_events EVENT: how many state.json holds
  jq "[.history[] | select(.event == \"$1\")] | length" "$TMP/state/state.json"
}

# Refusals of callers other than root go to a ring of their own (32), in
# memory only: 1,100 of them push none of root's events out of the
# history, never reach state.json, and are logged once, not 1,100 times.
case_check_commit_history () {
  local f reloads
  [ "$(id -u)" -eq 0 ] || skip "setpriv needs root"
  write_config replica; start_bus; start_daemon
  f=$(proposed refused -e '/^firewall {/,/^}/d')
  expect_exit 0 client reload
  expect_exit 1 client check-commit "$f"
  wait_for sh -c "[ \$(jq '[.history[] | select(.event == \"commit-refused\")] | length' '$TMP/state/state.json') = 1 ]" ||
    fail "root's refusal was not saved"
  expect_exit 0 as_nobody /usr/bin/python3 "$HERE/call-check-commit.py" "$f" 1100
  expect_contains "$OUT" "firewall name WAN"
  expect_exit 0 client --json history
  echo "$OUT" | jq -e '[.[] | select(.event == "reload")] | length >= 2' > /dev/null ||
    fail "root's reloads were pushed out of the history"
  echo "$OUT" | jq -e '[.[] | select(.event == "commit-refused")] | length == 33' > /dev/null ||
    fail "want root's refusal and the newest 32 others: $(echo "$OUT" | jq -c 'map(.event) | group_by(.) | map([.[0], length])')"
  # root's next event saves the state: still only root's refusal in it
  reloads=$(saved_events reload)
  expect_exit 0 client reload
  wait_for sh -c "[ \$(jq '[.history[] | select(.event == \"reload\")] | length' '$TMP/state/state.json') -gt $reloads ]" ||
    fail "the reload was not saved"
  [ "$(saved_events commit-refused)" = 1 ] || fail "state.json holds $(saved_events commit-refused) refusals"
  [ "$(grep -c "Commit refused for a caller other than root" "$TMP/daemon.log")" = 1 ] ||
    fail "the unprivileged refusals were logged $(grep -c "Commit refused for a caller other than root" "$TMP/daemon.log") times"
  grep -q 'Commit refused: Error: path "firewall name WAN"' "$TMP/daemon.log" || fail "root's refusal not logged"
}

case_check_commit_allowed () {
  local f ref
  write_config replica; start_bus; start_daemon
  f=$(proposed same -e 's/x/x/')
  expect_exit 0 client check-commit "$f"
  [ -z "$OUT" ] || fail "unchanged config: $OUT"
  # a sibling of R
  f=$(proposed sibling -e 's/default-action "accept"/default-action "drop"/')
  expect_exit 0 client check-commit "$f"
  # a change outside every R
  f=$(proposed outside -e 's|192.168.0.1/24|192.168.0.2/24|')
  expect_exit 0 client check-commit "$f"
  expect_exit 0 check_commit "$f"
  [ -z "$OUT" ] || fail "$OUT"
}

# Under a `replicate exclude` path a replica's own edits pass, beside it
# they are refused; the exclusion is the replica's even with a reference
# on disk that says otherwise.
case_check_commit_exclude () {
  local f
  write_config replica
  sed -i -e 's|            path "firewall name WAN"|&\n            exclude "firewall name WAN rule 10 protocol"|' "$TMP/config.boot"
  grep -q 'exclude "firewall name WAN rule 10 protocol"' "$TMP/config.boot" || fail "test set-up: no exclusion"
  start_bus; start_daemon
  f=$(proposed excluded -e 's/protocol "tcp"/protocol "udp"/')
  expect_exit 0 client check-commit "$f"
  [ -z "$OUT" ] || fail "a change under the exclusion was refused: $OUT"
  f=$(proposed excluded-gone -e '/protocol "tcp"/d')
  expect_exit 0 client check-commit "$f"
  f=$(proposed sibling -e 's/action "accept"/action "drop"/')
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "$OUT"
  f=$(proposed both -e 's/action "accept"/action "drop"/' -e 's/protocol "tcp"/protocol "udp"/')
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "$OUT"
}

# The reference (what the primary sent last) may be committed; a commit
# that leaves a drifted R alone passes.
case_check_commit_reference () {
  local f
  write_config replica
  f=$(proposed from-primary -e 's/default-action "drop"/default-action "reject"/')
  mkdir -p "$TMP/state/reference"
  client config show "$f" --path "firewall name WAN" > "$TMP/state/reference/firewall%20name%20WAN" \
    || fail "config show --path"
  : > "$TMP/state/reference/interfaces%20openvpn"
  start_bus; start_daemon
  expect_exit 0 client check-commit "$f"
  [ -z "$OUT" ] || fail "the reference was refused: $OUT"
  # R drifted (running differs from the reference) but this commit leaves it.
  f=$(proposed leave-drift -e 's|192.168.0.1/24|192.168.0.3/24|')
  expect_exit 0 client check-commit "$f"
  # Anything else than the reference is still refused.
  f=$(proposed other -e 's/default-action "drop"/default-action "accept"/')
  expect_exit 1 client check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "$OUT"
  # The running config changed on disk: the cache must notice.
  cp "$TMP/from-primary.boot" "$TMP/config.boot"
  f=$(proposed back -e 's/default-action "reject"/default-action "drop"/')
  expect_exit 1 client check-commit "$f"
  expect_exit 0 client check-commit "$TMP/from-primary.boot"
}

# Verify calls join the round that runs and reuse its answer for 5 s: 40
# calls, 20 at once then 20 more, make the daemon ask its peer once or
# twice, not 40 times; every caller gets the same answer.
case_verify_join () {
  local before after pids=()
  write_config replica; start_bus; start_daemon
  wait_for sh -c "busctl --address=$DBUS_SYSTEM_BUS_ADDRESS get-property $BUS_NAME $BUS_PATH $BUS_NAME State | grep -q out-of-sync" \
    || fail "State never became out-of-sync"
  before=$(grep -c "Cannot verify with" "$TMP/daemon.log")
  for round in 1 2; do
    for i in $(seq 1 20); do
      "$VCR_CLIENT" verify > "$TMP/verify.$round.$i" 2>&1 &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    pids=()
  done
  after=$(grep -c "Cannot verify with" "$TMP/daemon.log")
  log "peer asked $((after - before)) times for 40 Verify calls"
  [ $((after - before)) -ge 1 ] && [ $((after - before)) -le 4 ] ||
    fail "the peer was asked $((after - before)) times for 40 Verify calls"
  for f in "$TMP"/verify.*; do
    cmp -s "$f" "$TMP/verify.1.1" || fail "answers differ: $(cat "$f") vs $(cat "$TMP/verify.1.1")"
  done
  expect_contains "$(cat "$TMP/verify.1.1")" "primary"
}

case_primary () {
  local f
  write_config primary; start_bus; start_daemon
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Mode
  [ "$OUT" = 's "primary"' ] || fail "Mode: $OUT"
  expect_exit 1 client is-managed firewall name WAN
  f=$(proposed change -e '/^firewall {/,/^}/d')
  expect_exit 0 client check-commit "$f"
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Peers
  expect_contains "$OUT" '"Secondary" "127.0.0.2:9"'
  expect_exit 1 client pull
  expect_contains "$ERR" "only possible on a replica"
  # The replica is unreachable: the push reports it, exit 1.
  expect_exit 1 client push
  expect_contains "$OUT" "Secondary: failed"
}

case_disabled () {
  local f
  write_config none; start_bus; start_daemon
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Mode
  [ "$OUT" = 's "disabled"' ] || fail "Mode: $OUT"
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME State
  [ "$OUT" = 's "disabled"' ] || fail "State: $OUT"
  expect_exit 1 client is-managed firewall name WAN
  f=$(proposed change -e '/^firewall {/,/^}/d')
  expect_exit 0 client check-commit "$f"
  for verb in push pull verify; do
    expect_exit 1 client $verb
    expect_contains "$ERR" "not configured"
  done
  expect_exit 1 bctl call $BUS_NAME $BUS_PATH $BUS_NAME Push
  expect_contains "$ERR" "not configured"
  expect_exit 0 client status
  expect_contains "$OUT" "Mode:           disabled"
}

case_replica_wrong_mode () {
  write_config replica; start_bus; start_daemon
  expect_exit 1 client push
  expect_contains "$ERR" "only possible on a primary"
  expect_exit 1 client pull
  expect_contains "$ERR" "127.0.0.1:9"   # the primary is unreachable
  expect_exit 1 client verify
  expect_exit 0 client reload
  expect_exit 0 client --json history
  expect_contains "$OUT" '"event" : "reload"'
}

case_bad_arguments () {
  write_config replica; start_bus; start_daemon
  expect_exit 1 bctl call $BUS_NAME $BUS_PATH $BUS_NAME IsPathManaged as 0
  expect_contains "$ERR" "ath"
  expect_exit 1 bctl call $BUS_NAME $BUS_PATH $BUS_NAME IsPathManaged as 2 firewall ""
  expect_exit 1 bctl call $BUS_NAME $BUS_PATH $BUS_NAME IsPathManaged as 1 "firewall name"
  # the error names: busctl -j shows nothing more, so ask through gdbus
  expect_exit 1 gdbus call --system -d $BUS_NAME -o $BUS_PATH -m $BUS_NAME.IsPathManaged "['a b']"
  expect_contains "$ERR" "org.vyos.ConfigReplication.Error.InvalidPath"
  expect_exit 1 check_commit "$TMP"
  expect_contains "$ERR" "org.vyos.ConfigReplication.Error.InvalidConfig: The proposed config must be a regular file or a pipe"
  expect_exit 1 check_commit /dev/null
  expect_contains "$ERR" "InvalidConfig"
  printf 'firewall {\n    name WAN {\n        rule 10 {\n' > "$TMP/garbage.boot"
  expect_exit 1 check_commit "$TMP/garbage.boot"
  expect_contains "$ERR" "org.vyos.ConfigReplication.Error.InvalidConfig: $TMP/garbage.boot:"
  expect_exit 1 sh -c "cat '$TMP/garbage.boot' | /usr/bin/python3 '$HERE/call-check-commit.py' -"
  expect_contains "$ERR" "InvalidConfig: proposed config:"
  expect_exit 4 client check-commit "$TMP/garbage.boot"
  expect_contains "$ERR" "$TMP/garbage.boot:"
  head -c 4096 /dev/urandom > "$TMP/random.boot"
  expect_exit 4 client check-commit "$TMP/random.boot"
  expect_exit 4 client check-commit "$TMP/missing.boot"
  expect_exit 2 client history -n zero
  daemon_alive
  expect_exit 0 client is-managed firewall name WAN
}

case_reload_invalid () {
  write_config replica; start_bus; start_daemon
  sed -i 's/mode "replica"/mode "bogus"/' "$TMP/config.boot"
  expect_exit 1 client reload
  expect_contains "$ERR" "bogus"
  expect_exit 1 gdbus call --system -d $BUS_NAME -o $BUS_PATH -m $BUS_NAME.Reload
  expect_contains "$ERR" "org.vyos.ConfigReplication.Error.InvalidSettings"
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Mode
  [ "$OUT" = 's "replica"' ] || fail "the previous settings were not kept: $OUT"
  expect_exit 0 client is-managed firewall name WAN
  write_config primary
  expect_exit 0 client reload
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Mode
  [ "$OUT" = 's "primary"' ] || fail "Mode after reload: $OUT"
}

case_sighup () {
  write_config replica; start_bus; start_daemon
  write_config primary
  kill -HUP "$DAEMON_PID"
  wait_for sh -c "busctl --address='$DBUS_SYSTEM_BUS_ADDRESS' get-property $BUS_NAME $BUS_PATH $BUS_NAME Mode | grep -q primary" \
    || fail "SIGHUP did not reload"
  daemon_alive
}

case_monitor () {
  local f mon
  write_config replica; start_bus; start_daemon
  "$VCR_CLIENT" monitor > "$TMP/monitor.out" 2> "$TMP/monitor.err" &
  mon=$!
  EXTRA_PIDS+=("$mon")
  wait_for grep -q Monitoring "$TMP/monitor.err" || fail "monitor did not start"
  f=$(proposed refused -e '/^firewall {/,/^}/d')
  expect_exit 1 client check-commit "$f"
  wait_for grep -q 'CommitRefused: "firewall name WAN"' "$TMP/monitor.out" \
    || fail "monitor did not see CommitRefused: $(cat "$TMP/monitor.out")"
  kill -INT "$mon"
  wait "$mon" || fail "monitor exited $? on SIGINT"
  EXTRA_PIDS=()
}

case_polkit () {
  local f
  [ "$(id -u)" -eq 0 ] || skip "polkitd needs root"
  write_config replica; start_bus; start_polkit; start_daemon
  expect_exit 0 client reload
  expect_exit 3 as_nobody "$VCR_CLIENT" reload
  expect_contains "$ERR" "org.freedesktop.DBus.Error.AccessDenied"
  expect_exit 3 as_nobody "$VCR_CLIENT" push
  expect_contains "$ERR" "org.freedesktop.DBus.Error.AccessDenied"
  expect_exit 3 as_nobody "$VCR_CLIENT" pull
  expect_contains "$ERR" "org.freedesktop.DBus.Error.AccessDenied"
  # Preview answers with config values: manage, not anyone (polkit comes
  # before the mode check: nobody never learns it is a replica)
  expect_exit 3 as_nobody "$VCR_CLIENT" push --dry-run
  expect_contains "$ERR" "org.freedesktop.DBus.Error.AccessDenied"
  expect_exit 1 as_nobody gdbus call --system -d $BUS_NAME -o $BUS_PATH -m $BUS_NAME.Preview
  expect_contains "$ERR" "org.freedesktop.DBus.Error.AccessDenied"
  expect_exit 1 client push --dry-run
  expect_contains "$ERR" "only possible on a primary"
  expect_exit 0 as_nobody "$VCR_CLIENT" is-managed firewall name WAN
  f=$(proposed refused -e '/^firewall {/,/^}/d')
  expect_exit 1 as_nobody "$VCR_CLIENT" check-commit "$f"
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "$OUT"
  expect_exit 0 as_nobody "$VCR_CLIENT" status
  # root's pull passes polkit and reaches the daemon's own answer
  expect_exit 1 client pull
  expect_contains "$ERR" "127.0.0.1:9"   # the primary is unreachable
  grep -q "refused by polkit" "$TMP/daemon.log" || fail "no polkit refusal in the log"
}

# Preview (push --dry-run): a primary reports each replica, one it cannot
# ask as such (exit 1); a replica and a disabled node refuse it.
case_preview () {
  write_config primary; start_bus; start_daemon
  expect_exit 1 client push --dry-run
  expect_contains "$OUT" "Secondary: unreachable: 127.0.0.2:9: "
  [ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] || fail "more than one line: $OUT"
  expect_exit 1 client --json push --dry-run
  echo "$OUT" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
[r] = d["results"]
assert r["replica"] == "Secondary" and r["reachable"] is False and r["commands"] == [], d
assert r["error"].startswith("unreachable: 127.0.0.2:9: "), d
' || fail "push --dry-run --json: $OUT"
  expect_exit 0 gdbus call --system -d $BUS_NAME -o $BUS_PATH -m $BUS_NAME.Preview
  expect_contains "$OUT" "[('Secondary', ["
  expect_contains "$OUT" "# unreachable: 127.0.0.2:9: "
  expect_exit 2 client push --dry-run extra
  write_config replica
  expect_exit 0 client reload
  expect_exit 1 client push --dry-run
  expect_contains "$ERR" "Preview is only possible on a primary"
  write_config none
  expect_exit 0 client reload
  expect_exit 1 client push --dry-run
  expect_contains "$ERR" "not configured"
}

# A secret shorter than 16 characters is accepted, with a warning in the
# log and in status (SPEC §2).
case_short_secret () {
  write_config replica
  sed -i 's/pre-shared-secret "0123456789abcdef0123"/pre-shared-secret "short"/' "$TMP/config.boot"
  start_bus; start_daemon
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Mode
  [ "$OUT" = 's "replica"' ] || fail "Mode: $OUT"
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Warnings
  expect_contains "$OUT" 'as 1 "'
  expect_exit 0 client status
  expect_contains "$OUT" "Warning:        "
  expect_contains "$OUT" "16"
  grep -q "16" "$TMP/daemon.log" || fail "no warning in the log"
  # A long secret: no warning.
  write_config replica
  expect_exit 0 client reload
  expect_exit 0 bctl get-property $BUS_NAME $BUS_PATH $BUS_NAME Warnings
  [ "$OUT" = 'as 0' ] || fail "Warnings after reload: $OUT"
}

case=${1:?usage: run-case.sh CASE}
declare -F "case_${case//-/_}" > /dev/null || fail "unknown case $case"
"case_${case//-/_}"
echo "PASS: $case"
