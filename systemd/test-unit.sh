#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks the unit's resource limits: LimitNOFILE=, MemoryMax= and
# TasksMax= are set, and TimeoutStopSec= is longer than the daemon's own
# wait for an apply in flight on SIGTERM (daemon/main.c), so that systemd
# never SIGKILLs a daemon that is finishing an apply. $1 = the unit,
# $2 = daemon/main.c.
unit=${1:?unit} main=${2:?main.c}
fail () { echo "FAIL: $*" >&2; exit 1; }

for key in LimitNOFILE MemoryMax TasksMax TimeoutStopSec; do
  grep -q "^$key=." "$unit" || fail "$unit sets no $key="
done
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\{0,1\}$/\1/p' "$unit")
[ -n "$stop" ] || fail "TimeoutStopSec= is not in seconds"
tick=$(sed -n 's/^#define APPLY_WAIT_TICK_MS \([0-9]*\)$/\1/p' "$main")
ticks=$(sed -n 's/^#define APPLY_WAIT_MAX_TICKS \([0-9]*\)$/\1/p' "$main")
[ -n "$tick" ] && [ -n "$ticks" ] || fail "cannot find the apply wait in $main"
wait_ms=$((tick * ticks))
[ $((stop * 1000)) -gt "$wait_ms" ] ||
  fail "TimeoutStopSec=${stop}s is not longer than the apply wait of ${wait_ms} ms"
echo "ok: TimeoutStopSec=${stop}s > ${wait_ms} ms"
