#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bus figures: IsPathManaged with 1,000 replicate paths vs Peer.Ping,
# CheckCommit of firewall-big vs one parse, and the idle daemon's RSS.
# Starts its own private bus and daemons (tests/bus/harness.sh). Prints
# figures; asserts nothing. Usage: bench-bus.sh BUILD_DIR
BUILD=$(cd "${1:?usage: bench-bus.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
export VCR_DAEMON=$BUILD/daemon/vyos-config-replicationd
export VCR_CLIENT=$BUILD/client/vyos-config-replication
export VCR_SOURCE_ROOT=$SRC
BENCH=$BUILD/bench/bench-bus
BIG=$SRC/../shared/data/vyos-configs/configs.no-load/firewall-big
# shellcheck source=../tests/bus/harness.sh
. "$SRC/tests/bus/harness.sh"

# RSS counts the shared libraries' pages too (libsoup alone brings krb5,
# sqlite, psl…); RssAnon is the daemon's own memory, Pss its fair share.
memory_figures () {
  grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$DAEMON_PID/status" | tr -s '\t ' ' '
  awk '/^Pss:/{print "Pss: " $2 " kB"}' "/proc/$DAEMON_PID/smaps_rollup"
}

settings () {   # $1 = extra replicate paths
  echo '    config-replication {'
  echo '        authentication {'
  echo '            pre-shared-secret "0123456789abcdef0123"'
  echo '        }'
  echo '        mode "replica"'
  echo '        primary {'
  echo '            address "127.0.0.1"'
  echo '        }'
  echo '        replicate {'
  cat "$1"
  echo '        }'
  echo '    }'
}

start_bus

# 1. IsPathManaged with 1,000 replicate paths.
for i in $(seq 0 999); do echo "            path \"firewall name WAN$i\""; done > "$TMP/paths"
{ echo 'high-availability {'; settings "$TMP/paths"; echo '}'; } > "$TMP/config.boot"
start_daemon
sleep 3
echo "== idle daemon, 1,000 replicate paths"
memory_figures
echo "== IsPathManaged vs Ping (20,000 each)"
"$BENCH" managed 20000 firewall name WAN999 rule 10
kill "$DAEMON_PID"; wait "$DAEMON_PID"
wait_for sh -c "! busctl --address='$DBUS_SYSTEM_BUS_ADDRESS' status $BUS_NAME"

# 2. CheckCommit on firewall-big (settings inserted into its own
# high-availability block).
echo '            path "firewall name LAN-INBOUND"' > "$TMP/paths"
settings "$TMP/paths" > "$TMP/settings"
sed -e "/^high-availability {/r $TMP/settings" "$BIG" > "$TMP/config.boot"
chmod 644 "$TMP/config.boot"
start_daemon
sleep 3   # the memory of the first read goes back 2 s after it
echo "== idle daemon, firewall-big loaded"
memory_figures
echo "== CheckCommit of firewall-big"
"$BENCH" check "$TMP/config.boot" 20
memory_figures
