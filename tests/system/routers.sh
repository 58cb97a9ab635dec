# SPDX-License-Identifier: GPL-2.0-or-later
#
# Several routers on one machine, for the demonstration (tools/demo) and the
# system tests. A router is a name; each gets its own folder under $WORK with
# its own private system bus (a dbus-daemon on a socket in that folder), its
# own config.boot and state directory, and its own vyos-config-replicationd.
# A router may run inside a network namespace (ROUTER_NETNS_<name>).
#
# Only processes started here are ever stopped, by PID. Callers set
# VCR_DAEMON, VCR_CLIENT and VCR_SOURCE_ROOT, then call routers_init.

set -u

BUS_NAME=org.vyos.ConfigReplication
declare -A ROUTER_BUS_PID=()
declare -A ROUTER_DAEMON_PID=()
ROUTER_NETNS_LIST=()

routers_init () {
  WORK=$(mktemp -d /tmp/vcr-routers.XXXXXX)
  chmod 755 "$WORK"
}

# Waits (bounded: $2 tenths of a second, default 100) until $1… succeeds.
wait_until () {
  local tries=$1
  shift
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

router_dir () { echo "$WORK/$1"; }
router_bus () { echo "unix:path=$WORK/$1/system_bus_socket"; }

# Starts router $1's private system bus.
router_bus_start () {
  local name=$1 dir="$WORK/$1"
  mkdir -p "$dir/policy.d"
  chmod 755 "$dir"
  cp "$VCR_SOURCE_ROOT/dbus/org.vyos.ConfigReplication.conf" "$dir/policy.d/"
  sed -e '/<user>/d' -e '/<fork\/>/d' -e '/<pidfile>/d' -e '/<syslog\/>/d' \
      -e '/<servicehelper>/d' -e '/<standard_system_servicedirs\/>/d' \
      -e "s|<listen>.*</listen>|<listen>unix:path=$dir/system_bus_socket</listen>|" \
      -e "s|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir><includedir>$dir/policy.d</includedir>|" \
      -e '/<includedir>\/etc\/dbus-1\/system.d<\/includedir>/d' \
      -e '/system-local.conf/d' -e '/\/etc\/dbus-1\/system.conf/d' \
      /usr/share/dbus-1/system.conf > "$dir/bus.conf"
  dbus-daemon --config-file="$dir/bus.conf" --nofork --print-address=1 \
    > "$dir/bus.address" 2> "$dir/bus.log" &
  ROUTER_BUS_PID[$name]=$!
  wait_until 100 test -s "$dir/bus.address" || {
    echo "router $name: the private bus did not start" >&2
    cat "$dir/bus.log" >&2
    return 1
  }
}

# Starts router $1's daemon on its config.boot ($dir/config.boot, written by
# the caller); further arguments go to the daemon. Waits for its bus name.
# ROUTER_WRAPPER (e.g. "faketime -f +600s") runs the daemon under a command.
router_start () {
  local name=$1 dir="$WORK/$1" ns_var="ROUTER_NETNS_$1"
  shift
  local netns=${!ns_var:-}
  local -a prefix=()
  [ -n "$netns" ] && prefix=(ip netns exec "$netns")
  [ -n "${ROUTER_BUS_PID[$name]:-}" ] || router_bus_start "$name" || return 1
  # shellcheck disable=SC2086
  DBUS_SYSTEM_BUS_ADDRESS=$(router_bus "$name") \
    "${prefix[@]}" ${ROUTER_WRAPPER:-} ${VALGRIND:-} "$VCR_DAEMON" --config "$dir/config.boot" \
    --state-dir "$dir/state" --verbose "$@" >> "$dir/daemon.log" 2>&1 &
  ROUTER_DAEMON_PID[$name]=$!
  if ! wait_until 100 vcr_on "$name" status; then
    echo "router $name: the daemon did not come up" >&2
    cat "$dir/daemon.log" >&2
    return 1
  fi
}

# Stops router $1's daemon: SIGTERM (or $2), then waits for it.
router_stop () {
  local name=$1 sig=${2:-TERM} pid=${ROUTER_DAEMON_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "ROUTER_DAEMON_PID[$name]"
}

# The client against router $1's bus.
vcr_on () {
  local name=$1
  shift
  DBUS_SYSTEM_BUS_ADDRESS=$(router_bus "$name") "$VCR_CLIENT" "$@"
}

# A namespace per router, all on one bridge in a "switch" namespace,
# addresses 198.51.100.N/24 (TEST-NET-2, inside the namespaces only).
# $1 = switch name, then NAME=N pairs. Sets ROUTER_NETNS_<name>.
netns_setup () {
  local sw="vcr-sw-$$"
  shift
  ip netns add "$sw" || return 1
  ROUTER_NETNS_LIST+=("$sw")
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for pair in "$@"; do
    local name=${pair%%=*} n=${pair#*=} ns="vcr-$$-${pair%%=*}"
    ip netns add "$ns" || return 1
    ROUTER_NETNS_LIST+=("$ns")
    ip link add "v$$-$n" netns "$ns" type veth peer name "p$n" netns "$sw"
    ip -n "$ns" link set "v$$-$n" name eth0
    ip -n "$ns" addr add "198.51.100.$n/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$sw" link set "p$n" master br0
    ip -n "$sw" link set "p$n" up
    printf -v "ROUTER_NETNS_$name" '%s' "$ns"
  done
}

# Cuts router $1 off the network (or reconnects it with $2 = up).
netns_link () {
  local ns_var="ROUTER_NETNS_$1"
  ip -n "${!ns_var}" link set eth0 "${2:-down}"
}

routers_cleanup () {
  for name in "${!ROUTER_DAEMON_PID[@]}"; do
    kill "${ROUTER_DAEMON_PID[$name]}" 2>/dev/null && wait "${ROUTER_DAEMON_PID[$name]}" 2>/dev/null
  done
  for name in "${!ROUTER_BUS_PID[@]}"; do
    kill "${ROUTER_BUS_PID[$name]}" 2>/dev/null && wait "${ROUTER_BUS_PID[$name]}" 2>/dev/null
  done
  for ns in "${ROUTER_NETNS_LIST[@]}"; do
    ip netns del "$ns" 2>/dev/null
  done
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
}

# Prints every router's daemon log (on failure).
routers_dump_logs () {
  for f in "$WORK"/*/daemon.log; do
    [ -f "$f" ] || continue
    echo "---- $f ----" >&2
    tail -n 60 "$f" >&2
  done
}

# The replication settings block of a router config.
# $1 = mode, $2 = secret, $3 = listen address, then for a primary
# NAME=ADDRESS entries, for a replica the primary's ADDRESS.
ha_settings () {
  local mode=$1 secret=$2 listen=$3
  shift 3
  echo 'high-availability {'
  echo '    config-replication {'
  echo '        authentication {'
  echo "            pre-shared-secret \"$secret\""
  echo '        }'
  echo "        listen-address \"$listen\""
  echo "        mode \"$mode\""
  if [ "$mode" = replica ]; then
    echo '        primary {'
    echo "            address \"$1\""
    echo '        }'
  else
    for r in "$@"; do
      echo "        replica ${r%%=*} {"
      echo "            address \"${r#*=}\""
      echo '        }'
    done
  fi
  echo '        replicate {'
  echo '            path "firewall name WAN"'
  echo '            path "interfaces openvpn"'
  echo '        }'
  echo '    }'
  echo '}'
}
