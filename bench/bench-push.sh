#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Replication figures: a push of "firewall name WAN" with 10,000 rules to one
# replica against a baseline (curl POST of the same snapshot bytes to a
# trivial HTTP server + one parse of the config by the project's parser), the
# same push to 16 replicas against 1, and the replica's peak RSS (VmHWM)
# against the snapshot's size: on its first push (its config small before)
# and on a steady one (it already holds the 10,000 rules, VmHWM reset
# through /proc/PID/clear_refs, after an idle moment), over the timed
# pushes in a row, and its RSS once idle after the pushes. And the CPU time
# the daemons use per push: the primary's own fan-out cost (its CPU per
# push with 16 replicas against 1: the snapshot is built, serialized and
# hashed once, each further replica is only a send), and, with every
# replica on this one machine, the 16-replica push's wall time against
# the floor that all daemons' CPU time spread over the cores sets.
# Every daemon has its own private bus and a loopback address (127.0.0.x,
# port 7790), as in tools/demo (tests/system/routers.sh). Each timed push
# follows a one-rule change on the primary, so every replica really writes
# its config.boot. Prints figures and a summary; asserts nothing.
# With BENCH_STATE_TMPFS=1 the routers' files (configs, state folders) are
# on a tmpfs of their own (in a private mount namespace), so that the
# replicas' writes and fsyncs wait for no disk: the wall time against the
# CPU floor then shows what the daemons' own fan-out costs, apart from the
# disk of this machine (docs/performance.md).
# Usage: [BENCH_STATE_TMPFS=1] bench-push.sh BUILD_DIR [RUNS]
set -uo pipefail

if [ "${BENCH_STATE_TMPFS:-}" = 1 ] && [ -z "${BENCH_IN_MOUNT_NS:-}" ]; then
  exec env BENCH_IN_MOUNT_NS=1 unshare -m --propagation private "$0" "$@"
fi

BUILD=$(cd "${1:?usage: bench-push.sh BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-7}
SRC=$(cd "$(dirname "$0")/.." && pwd)
export VCR_DAEMON=$BUILD/daemon/vyos-config-replicationd
export VCR_CLIENT=$BUILD/client/vyos-config-replication
export VCR_SOURCE_ROOT=$SRC
HELPER=$BUILD/bench/bench-push
RULES=10000
N_REPLICAS=16
SECRET="bench-secret-0123456789abcdef"
BASE_ADDR=127.0.0.99
BASE_PORT=7790
# shellcheck source=../tests/system/routers.sh
. "$SRC/tests/system/routers.sh"

SERVER_PID=
routers_init
if [ -n "${BENCH_IN_MOUNT_NS:-}" ]; then
  mount -t tmpfs -o size=2g,mode=755 vcr-bench "$WORK" || { echo "bench-push: no tmpfs" >&2; exit 1; }
  echo "== the routers' files on a tmpfs ($WORK)"
fi
cleanup () {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "${BENCH_IN_MOUNT_NS:-}" ] && { routers_cleanup; umount "$WORK"; rmdir "$WORK"; return; }
  routers_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die () { echo "bench-push: $*" >&2; routers_dump_logs; exit 1; }
median () { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
hwm_kb () { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# CPU time (user + system) a process has used, in clock ticks.
cpu_ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Clock ticks over $2 pushes, as ms per push.
ms_per_push () { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1000 / hz / n }'; }

# "firewall name WAN" with $1 rules, several leaves each; rule 1 carries the
# marker that bench-push bumps before every timed push.
firewall () {
  awk -v n="$1" 'BEGIN {
    print "firewall {"
    print "    name WAN {"
    print "        default-action \"drop\""
    for (i = 1; i <= n; i++) {
      printf "        rule %d {\n", i
      print  "            action \"accept\""
      if (i == 1)
        print "            description \"bench-mark-00000000\""
      else
        printf "            description \"rule %d of the benchmark\"\n", i
      print  "            destination {"
      printf "                address \"10.%d.%d.0/24\"\n", int(i / 256) % 256, i % 256
      printf "                port \"%d\"\n", 1024 + i
      print  "            }"
      print  "            log \"enable\""
      print  "            protocol \"tcp\""
      print  "            source {"
      printf "                address \"172.16.%d.%d\"\n", int(i / 256) % 256, i % 256
      print  "            }"
      print  "            state {"
      print  "                established \"enable\""
      print  "                new \"enable\""
      print  "            }"
      print  "        }"
    }
    print "    }"
    print "}"
  }'
}

# The primary's config.boot: $1 rules, then NAME=ADDRESS replicas.
primary_config () {
  local rules=$1
  shift
  firewall "$rules"
  ha_settings primary "$SECRET" 127.0.0.1 "$@"
  printf 'interfaces {\n    openvpn vtun0 {\n        mode "site-to-site"\n    }\n}\n'
  printf 'system {\n    host-name "primary"\n}\n'
}

# A replica's config.boot: $1 = its address; local settings only.
replica_config () {
  ha_settings replica "$SECRET" "$1" 127.0.0.1
  printf 'interfaces {\n    ethernet eth0 {\n        address "203.0.113.9/24"\n    }\n}\n'
  printf 'system {\n    host-name "replica"\n}\n'
  printf '// Warning: Do not remove the following line.\n// vyos-config-version: "firewall@10:interfaces@31:system@27"\n// Release version: 1.4.0\n'
}

# Runs $@ against the primary's private bus.
on_primary () { DBUS_SYSTEM_BUS_ADDRESS=$(router_bus primary) "$@"; }

# Gives the primary's marker the next number (as bench-push push does).
bump_marker () {
  local n
  n=$(grep -o 'bench-mark-[0-9]*' "$1" | cut -d- -f3)
  sed -i "s/bench-mark-$n/bench-mark-$(printf '%08d' $((10#$n + 1)))/" "$1"
}

# Waits until every replica named in $@ holds the primary's marker.
wait_synced () {
  local marker
  marker=$(grep -o 'bench-mark-[0-9]*' "$WORK/primary/config.boot")
  for r in "$@"; do
    wait_until 600 grep -q "$marker" "$WORK/$r/config.boot" || die "$r did not sync"
  done
  # The primary's own start-up send may still be in flight: wait until it
  # reports every replica in sync, so a timed push never meets a busy one.
  wait_until 600 sh -c "[ \$(DBUS_SYSTEM_BUS_ADDRESS=$(router_bus primary) '$VCR_CLIENT' status \
    | grep -c ': in-sync') -eq $# ]" || die "the primary does not see every replica in sync"
}

[ -x "$HELPER" ] || die "build first: $HELPER is missing"
echo "== machine: $(nproc) cores, $(uname -r)"

# ---- 1 replica -------------------------------------------------------------
mkdir -p "$WORK/primary" "$WORK/replica"
primary_config 10 Secondary=127.0.0.2 > "$WORK/primary/config.boot"
replica_config 127.0.0.2 > "$WORK/replica/config.boot"
router_start primary || die "the primary did not start"
router_start replica || die "the replica did not start"
wait_synced replica
REPLICA_PID=${ROUTER_DAEMON_PID[replica]}
HWM_BEFORE=$(hwm_kb "$REPLICA_PID")
RSS_BEFORE=$(awk '/^VmRSS:/ { print $2 }' "/proc/$REPLICA_PID/status")

primary_config "$RULES" Secondary=127.0.0.2 > "$WORK/primary/config.boot"
echo "== primary config: $RULES rules, $(stat -c %s "$WORK/primary/config.boot") bytes"
echo "== first push of the $RULES-rule config (the replica applies it)"
on_primary "$HELPER" push 1 "$WORK/primary/config.boot" "$WORK/replica/config.boot" || die "push failed"
HWM_AFTER=$(hwm_kb "$REPLICA_PID")

"$HELPER" fetch "$SECRET" 127.0.0.1 7790 "$WORK/snapshot.frame" > "$WORK/fetch.out" ||
  die "GET /v1/snapshot failed"
SNAP_BYTES=$(stat -c %s "$WORK/snapshot.frame")
echo "== snapshot (GET /v1/snapshot, as the frame a push sends): $SNAP_BYTES bytes; $(cat "$WORK/fetch.out")"

# The push and its baseline alternate, run by run, so both meet the same
# load on this machine.
echo "== $RUNS rounds, 1 replica: Push call until its reply | curl POST of the snapshot to a trivial server | one parse"
"$HELPER" serve "$BASE_ADDR" "$BASE_PORT" &
SERVER_PID=$!
wait_until 100 curl -s -o /dev/null "http://$BASE_ADDR:$BASE_PORT/" || die "the trivial server did not start"
: > "$WORK/push1.ms"; : > "$WORK/curl.ms"; : > "$WORK/parse.ms"
echo 5 > "/proc/$REPLICA_PID/clear_refs"
PRIMARY_CPU0=$(cpu_ticks "${ROUTER_DAEMON_PID[primary]}")
REPLICA_CPU0=$(cpu_ticks "$REPLICA_PID")
for i in $(seq 1 "$RUNS"); do
  p=$(on_primary "$HELPER" push 1 "$WORK/primary/config.boot" "$WORK/replica/config.boot" \
      | awk '/^median/ { print $2 }')
  [ -n "$p" ] || die "push failed"
  c=$(curl -sS -o /dev/null -w '%{time_total}' -H 'Content-Type: application/octet-stream' -H 'Expect:' \
      --data-binary @"$WORK/snapshot.frame" "http://$BASE_ADDR:$BASE_PORT/v1/snapshot" \
      | awk '{ print $1 * 1000 }')
  q=$("$HELPER" parse "$WORK/primary/config.boot" 1 | awk '/^median/ { print $2 }')
  echo "round $i: push $p ms | curl $c ms | parse $q ms"
  echo "$p" >> "$WORK/push1.ms"; echo "$c" >> "$WORK/curl.ms"; echo "$q" >> "$WORK/parse.ms"
done
HWM_BURST=$(hwm_kb "$REPLICA_PID")
# Over the rounds (the baselines run in other processes).
PRIMARY_CPU1=$(ms_per_push $(( $(cpu_ticks "${ROUTER_DAEMON_PID[primary]}") - PRIMARY_CPU0 )) "$RUNS")
REPLICA_CPU1=$(ms_per_push $(( $(cpu_ticks "$REPLICA_PID") - REPLICA_CPU0 )) "$RUNS")
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
PUSH1=$(median < "$WORK/push1.ms")
CURL_MS=$(median < "$WORK/curl.ms")
PARSE_MS=$(median < "$WORK/parse.ms")
BASELINE=$(awk -v a="$CURL_MS" -v b="$PARSE_MS" 'BEGIN { print a + b }')
echo "medians: push $PUSH1 ms; curl POST $CURL_MS ms + parse $PARSE_MS ms = baseline $BASELINE ms"

# Steady state: the replica already holds the 10,000 rules, as on a router
# after its first sync. The peak of one more push (VmHWM reset first), and
# what the replica keeps once it has been idle for a few seconds.
sleep 3
RSS_IDLE=$(awk '/^VmRSS:/ { print $2 }' "/proc/$REPLICA_PID/status")
echo 5 > "/proc/$REPLICA_PID/clear_refs"
on_primary "$HELPER" push 1 "$WORK/primary/config.boot" "$WORK/replica/config.boot" >/dev/null \
  || die "push failed"
HWM_STEADY=$(hwm_kb "$REPLICA_PID")
echo "replica after $((RUNS + 1)) pushes: VmRSS $RSS_IDLE kB idle; VmHWM of one more push $HWM_STEADY kB"

echo "== the client, for comparison: vyos-config-replication push, process wall time"
for _ in 1 2 3; do
  bump_marker "$WORK/primary/config.boot"
  t0=$(date +%s%N)
  vcr_on primary push >/dev/null || die "client push failed"
  echo $(( ($(date +%s%N) - t0) / 1000 ))
done | awk '{ printf "client push: %.1f ms\n", $1 / 1000 }'
router_stop replica
router_stop primary

# ---- 16 replicas -----------------------------------------------------------
replicas=()
pairs=()
for i in $(seq 1 "$N_REPLICAS"); do
  name=$(printf 'r%02d' "$i")
  replicas+=("$name")
  pairs+=("$name=127.0.0.$((i + 1))")
  mkdir -p "$WORK/$name"
  replica_config "127.0.0.$((i + 1))" > "$WORK/$name/config.boot"
done
primary_config "$RULES" "${pairs[@]}" > "$WORK/primary/config.boot"
rm -rf "$WORK/primary/state"
router_start primary || die "the primary did not start"
for r in "${replicas[@]}"; do
  router_start "$r" || die "$r did not start"
done
wait_synced "${replicas[@]}"
echo "== $RUNS timed pushes, $N_REPLICAS replicas"
PRIMARY_CPU0=$(cpu_ticks "${ROUTER_DAEMON_PID[primary]}")
REPLICAS_CPU0=0
for r in "${replicas[@]}"; do REPLICAS_CPU0=$((REPLICAS_CPU0 + $(cpu_ticks "${ROUTER_DAEMON_PID[$r]}"))); done
on_primary "$HELPER" push "$RUNS" "$WORK/primary/config.boot" "$WORK/r$N_REPLICAS/config.boot" \
  | tee "$WORK/push16.out" || die "push failed"
REPLICAS_CPU=0
for r in "${replicas[@]}"; do REPLICAS_CPU=$((REPLICAS_CPU + $(cpu_ticks "${ROUTER_DAEMON_PID[$r]}"))); done
PRIMARY_CPU16=$(ms_per_push $(( $(cpu_ticks "${ROUTER_DAEMON_PID[primary]}") - PRIMARY_CPU0 )) "$RUNS")
REPLICAS_CPU16=$(ms_per_push $((REPLICAS_CPU - REPLICAS_CPU0)) "$RUNS")
# What the daemons' CPU time alone takes on this machine's cores.
CPU_FLOOR16=$(awk -v a="$PRIMARY_CPU16" -v b="$REPLICAS_CPU16" -v n="$(nproc)" 'BEGIN { printf "%.0f", (a + b) / n }')
PUSH16=$(awk '/^median/ { print $2 }' "$WORK/push16.out")
FAILED16=$(awk '/^failed/ { print $2 }' "$WORK/push16.out")

# ---- Summary ---------------------------------------------------------------
echo
echo "== summary ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $RULES rules; medians of $RUNS runs)"
printf '%-44s %12s %12s %8s %s\n' figure value reference ratio target
printf '%-44s %9.1f ms %9.1f ms %8s %s\n' "push, 1 replica vs curl POST + parse" \
  "$PUSH1" "$BASELINE" "$(ratio "$PUSH1" "$BASELINE")" "<= 3"
printf '%-44s %9.1f ms %9.1f ms %8s %s\n' "primary CPU per push, $N_REPLICAS replicas vs 1" \
  "$PRIMARY_CPU16" "$PRIMARY_CPU1" "$(ratio "$PRIMARY_CPU16" "$PRIMARY_CPU1")" "<= 2"
printf '%-44s %9.1f ms %9.1f ms %8s %s\n' "push, $N_REPLICAS replicas, wall vs CPU floor" \
  "$PUSH16" "$CPU_FLOOR16" "$(ratio "$PUSH16" "$CPU_FLOOR16")" "<= 1.25"
printf '%-44s %9.1f ms %9.1f ms %8s %s\n' "push, $N_REPLICAS replicas vs 1 replica" \
  "$PUSH16" "$PUSH1" "$(ratio "$PUSH16" "$PUSH1")" ""
printf '%-44s %9d kB %9d kB %8s %s\n' "replica VmHWM, first push vs snapshot size" \
  "$HWM_AFTER" "$((SNAP_BYTES / 1024))" "$(ratio "$HWM_AFTER" "$((SNAP_BYTES / 1024))")" "<= 4"
printf '%-44s %9d kB %9d kB %8s %s\n' "replica VmHWM, steady push vs snapshot size" \
  "$HWM_STEADY" "$((SNAP_BYTES / 1024))" "$(ratio "$HWM_STEADY" "$((SNAP_BYTES / 1024))")" "<= 4"
printf '%-44s %9d kB %9d kB %8s %s\n' "replica VmHWM over $RUNS pushes in a row" \
  "$HWM_BURST" "$((SNAP_BYTES / 1024))" "$(ratio "$HWM_BURST" "$((SNAP_BYTES / 1024))")" ""
printf '%-44s %9d kB %9d kB %8s %s\n' "  growth of VmHWM over the first apply" \
  "$((HWM_AFTER - HWM_BEFORE))" "$((SNAP_BYTES / 1024))" \
  "$(ratio "$((HWM_AFTER - HWM_BEFORE))" "$((SNAP_BYTES / 1024))")" ""
echo "replica before the first apply: VmHWM $HWM_BEFORE kB, VmRSS $RSS_BEFORE kB; idle after $((RUNS + 1)) pushes: VmRSS $RSS_IDLE kB; snapshot $SNAP_BYTES bytes"
echo "baseline parts: curl POST $CURL_MS ms, parse $PARSE_MS ms"
echo "$N_REPLICAS replicas: ${FAILED16:-?} of $RUNS pushes failed (not timed); $(nproc) cores run all $((N_REPLICAS + 1)) daemons"
echo "CPU per push (user + system): 1 replica: primary $PRIMARY_CPU1 ms, replica $REPLICA_CPU1 ms;" \
  "$N_REPLICAS replicas: primary $PRIMARY_CPU16 ms, replicas $REPLICAS_CPU16 ms in all" \
  "($(awk -v a="$REPLICAS_CPU16" -v n="$N_REPLICAS" 'BEGIN { printf "%.0f", a / n }') ms each)," \
  "that is at least $CPU_FLOOR16 ms of wall time on $(nproc) cores" \
  "($(ratio "$CPU_FLOOR16" "$PUSH1")x the 1-replica push) before any waiting"
