# SPDX-License-Identifier: GPL-2.0-or-later
#
# The fault suite's bus cases (issue 9), sourced by run-case.sh: local
# callers of the daemon's D-Bus API, concurrent and hostile. Each case is
# case_NAME, registered in meson.build's fault_cases_bus.

# The primary's rule 20 port, which each commit of these cases raises.
port_of () { grep -o 'port "[0-9]*"' "$1" | head -n1 | tr -dc 0-9; }

# A primary and r1, whose --apply-command logs the generation and port of
# each apply into $TMPF/applied; r1 pulled port 3000 when this returns.
primary_and_logging_replica () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 3000 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 --apply-command \
    "sleep 0.2; echo \"\$VCR_GENERATION \$(grep -o 'port \"[0-9]*\"' \"\$VCR_CONFIG\" | head -n1 | tr -dc 0-9)\" >> '$TMPF/applied'" ||
    fail "r1 did not start"
  wait_until 100 has_port r1 3000 || fail "r1 did not pull"
}

# 20 concurrent Push callers while commits land between them: every "ok"
# names a generation the replica applied with a config at least as new as
# the one committed before that caller started (the replica's
# --apply-command logs generation and port of each apply). A push may
# fail only with the replica's 503 busy (applying a snapshot of its own
# pull's retry longer than the primary sends again); the last commit
# reaches the replica.
case_bus_push_during_commits () {
  local i port gen applied_port pids=() oks=0 busy=0
  primary_and_logging_replica
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  for i in $(seq 1 20); do
    port=$((3000 + i))
    sed -i "s/port \"[0-9]*\"/port \"$port\"/" "$(cfg primary)"
    vcr_on primary push > "$TMPF/push.$i" 2>&1 &
    pids+=($!)
    sleep 0.05   # lets a push begin now and then between the commits
  done
  for i in $(seq 1 20); do
    wait "${pids[$((i - 1))]}"
  done
  for i in $(seq 1 20); do
    # a replica busy with another apply (its own pull retry) answers 503
    # busy and the push fails for it: allowed, but nothing else
    if grep -q "^r1: failed, generation [0-9]*: .*503 busy" "$TMPF/push.$i"; then
      busy=$((busy + 1))
      continue
    fi
    gen=$(sed -n 's/^r1: ok, generation \([0-9]*\): .*/\1/p' "$TMPF/push.$i")
    [ -n "$gen" ] || fail "push $i: $(cat "$TMPF/push.$i")"
    applied_port=$(awk -v g="$gen" '$1 == g { print $2; exit }' "$TMPF/applied")
    [ -n "$applied_port" ] || fail "push $i: generation $gen was never applied on r1"
    [ "$applied_port" -ge $((3000 + i)) ] ||
      fail "push $i (after the commit of port $((3000 + i))) was answered ok with generation $gen, which holds port $applied_port"
    oks=$((oks + 1))
  done
  [ "$oks" -gt 0 ] || fail "no push was ok"
  wait_until 100 has_port r1 3020 || fail "r1 does not hold the last commit: port $(port_of "$(cfg r1)")"
  log "20 callers, $oks ok, $busy busy; pushes that ran (generations applied): $(cut -d' ' -f1 "$TMPF/applied" | tr '\n' ' ')"
}

# The same for Pull: 20 concurrent Pull callers on the replica while the
# primary's commits land between them; each "ok" generation holds (on the
# replica) a config at least as new as the one committed before the call.
case_bus_pull_during_commits () {
  local i port gen applied_port pids=() oks=0 busy=0
  primary_and_logging_replica
  for i in $(seq 1 20); do
    port=$((3000 + i))
    sed -i "s/port \"[0-9]*\"/port \"$port\"/" "$(cfg primary)"
    vcr_on r1 --json pull > "$TMPF/pull.$i" 2>&1 &
    pids+=($!)
    sleep 0.05
  done
  for i in $(seq 1 20); do
    wait "${pids[$((i - 1))]}"
  done
  for i in $(seq 1 20); do
    if grep -q "503 busy" "$TMPF/pull.$i"; then   # as in the push case
      busy=$((busy + 1))
      continue
    fi
    gen=$(jq -r .generation "$TMPF/pull.$i" 2>/dev/null)
    [ -n "$gen" ] && [ "$gen" != null ] || fail "pull $i: $(cat "$TMPF/pull.$i")"
    applied_port=$(awk -v g="$gen" '$1 == g { print $2; exit }' "$TMPF/applied")
    [ -n "$applied_port" ] || fail "pull $i: generation $gen was never applied on r1"
    [ "$applied_port" -ge $((3000 + i)) ] ||
      fail "pull $i (after the commit of port $((3000 + i))) was answered with generation $gen, which holds port $applied_port"
    oks=$((oks + 1))
  done
  [ "$oks" -gt 0 ] || fail "no pull was ok"
  wait_until 100 has_port r1 3020 || fail "r1 does not hold the last commit: port $(port_of "$(cfg r1)")"
  log "20 pull callers, $oks ok, $busy busy; generations applied: $(cut -d' ' -f1 "$TMPF/applied" | tr '\n' ' ')"
}

rss_kb () { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
fd_count () { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# Commits port $1 on the primary and pushes it: the milliseconds the push
# took in $PUSH_MS, or the case fails.
timed_push () {
  local start end
  sed -i "s/port \"[0-9]*\"/port \"$1\"/" "$(cfg primary)"
  start=$(date +%s%N)
  OUT=$(DBUS_SYSTEM_BUS_ADDRESS=$(router_bus primary) timeout 120 "$VCR_CLIENT" push 2>&1)
  RC=$?
  end=$(date +%s%N)
  [ "$RC" != 124 ] || fail "push $1: no answer within 120 s"
  expect_rc 0
  # ok (applied, or unchanged when a retry of the replica's own pull got
  # there first), and the replica holds it
  [[ "$OUT" == "r1: ok, generation "* ]] || fail "push: $OUT"
  has_port r1 "$1" || fail "r1 does not hold port $1"
  PUSH_MS=$(((end - start) / 1000000))
}

# An unprivileged user floods the primary with CheckCommit (pipes that
# never close, 4 MiB each), IsPathManaged (256 and 100,000 words) and
# Verify, from 24 connections: root's Push still completes, the daemon's
# RSS and descriptors stay bounded, and the replica is asked for its
# digests a few times, not once per Verify.
case_bus_unprivileged_flood () {
  local pid rss0 fd0 rss_max=0 fd_max=0 rss fds flood t base=() during=() i rounds
  two_or_three 1
  pid=${ROUTER_DAEMON_PID[primary]}
  for i in 1 2 3; do timed_push $((4000 + i)); base+=("$PUSH_MS"); done
  rss0=$(rss_kb "$pid"); fd0=$(fd_count "$pid")
  mkdir -m 777 "$WORK/flood"   # where the flood, as nobody, says it is ready
  DBUS_SYSTEM_BUS_ADDRESS=$(router_bus primary) setpriv --reuid=65534 --regid=65534 --clear-groups \
    /usr/bin/python3 "$HERE/flood-bus.py" 40 "$WORK/flood/ready" > "$TMPF/flood.out" 2>&1 &
  flood=$!
  EXTRA_PIDS+=("$flood")
  wait_until 300 test -e "$WORK/flood/ready" || fail "the flood did not get going: $(cat "$TMPF/flood.out")"
  rounds=$(grep -c "Verify: a round for callers" "$(router_dir primary)/daemon.log")
  for i in 1 2 3; do
    timed_push $((5000 + i))
    during+=("$PUSH_MS")
    rss=$(rss_kb "$pid"); fds=$(fd_count "$pid")
    [ "$rss" -gt "$rss_max" ] && rss_max=$rss
    [ "$fds" -gt "$fd_max" ] && fd_max=$fds
  done
  for _ in $(seq 1 20); do   # the flood at its height, sampled
    rss=$(rss_kb "$pid"); fds=$(fd_count "$pid")
    [ "$rss" -gt "$rss_max" ] && rss_max=$rss
    [ "$fds" -gt "$fd_max" ] && fd_max=$fds
    sleep 0.5
  done
  kill -0 "$flood" 2>/dev/null || fail "the flood ended early: $(cat "$TMPF/flood.out")"
  rounds=$(( $(grep -c "Verify: a round for callers" "$(router_dir primary)/daemon.log") - rounds ))
  wait "$flood"
  EXTRA_PIDS=()
  # what the calls held goes back once they pause (2 s after the last)
  wait_until 100 sh -c "[ \$(awk '/^VmRSS/ { print \$2 }' /proc/$pid/status) -lt $((rss0 + 16 * 1024)) ]" ||
    log "RSS still $(rss_kb "$pid") kB 10 s after the flood"
  log "flood outcomes: $(tr '\n' ';' < "$TMPF/flood.out")"
  log "push ms without the flood: ${base[*]}; during it: ${during[*]}"
  log "RSS kB before: $rss0, at most during the flood: $rss_max, after it: $(rss_kb "$pid"); fds before: $fd0, at most: $fd_max, after: $(fd_count "$pid")"
  log "Verify rounds for callers while the pushes ran and the flood was sampled: $rounds"
  grep -q "^CheckCommit org.freedesktop.DBus.Error.LimitsExceeded" "$TMPF/flood.out" ||
    fail "no CheckCommit was refused: $(cat "$TMPF/flood.out")"
  grep -q "^IsPathManaged org.vyos.ConfigReplication.Error.InvalidPath" "$TMPF/flood.out" ||
    fail "no IsPathManaged was refused: $(cat "$TMPF/flood.out")"
  grep -q "^Verify ok" "$TMPF/flood.out" || fail "no Verify answered: $(cat "$TMPF/flood.out")"
  # 64 MiB of proposed configs at most, plus what reading them costs
  # (a heap buffer grown by doubling went past 100 MiB)
  # (AddressSanitizer's quarantine or valgrind would hold much more)
  if grep -qa __asan_init "$VCR_DAEMON" || [ -n "${VALGRIND:-}" ]; then
    log "the daemon runs under a sanitizer or valgrind: its RSS is not checked"
  else
    [ $((rss_max - rss0)) -lt $((100 * 1024)) ] ||
      fail "RSS grew by $(((rss_max - rss0) / 1024)) MiB during the flood"
  fi
  # two descriptors per CheckCommit in flight (16): the caller's pipe and
  # the worker's wake-up for a cancellation; a few for pushes
  [ $((fd_max - fd0)) -le 40 ] || fail "descriptors grew from $fd0 to $fd_max"
  # one round per 5 s at most, each may be joined: ~15 s sampled
  [ "$rounds" -le 10 ] || fail "$rounds Verify rounds while flooded"
  timed_push 6000
}

