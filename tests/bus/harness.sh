# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared set-up for the bus tests, sourced by run-case.sh: a private system
# bus (a dbus-daemon with a copy of Debian's system.conf, listening in a
# temporary folder and including the project's bus policy), the daemon on
# that bus with its own config.boot and state folder, and clean-up of only
# the processes started here. On failure the daemon's log is printed.
#
# Needs from the environment (set by meson): VCR_DAEMON, VCR_CLIENT,
# VCR_SOURCE_ROOT. VALGRIND="valgrind …" runs the daemon under it.

set -u

TMP=$(mktemp -d /tmp/vcr-bus-test.XXXXXX)
chmod 755 "$TMP"   # polkitd and nobody must reach the socket
BUS_PID=
DAEMON_PID=
POLKIT_PID=
POLICY_INSTALLED=
EXTRA_PIDS=()

export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/system_bus_socket"
BUS_NAME=org.vyos.ConfigReplication
BUS_PATH=/org/vyos/ConfigReplication
POLKIT_ACTIONS=/usr/share/polkit-1/actions
POLICY_FILE=$POLKIT_ACTIONS/org.vyos.ConfigReplication.policy

log () { printf '# %s\n' "$*" >&2; }

fail () {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

skip () {
  printf 'SKIP: %s\n' "$*" >&2
  exit 77
}

cleanup () {
  local rc=$?
  for pid in "${EXTRA_PIDS[@]}" $DAEMON_PID $POLKIT_PID $BUS_PID; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [ -n "$POLICY_INSTALLED" ]; then
    rm -f "$POLICY_FILE"
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
    echo "---- daemon log ----" >&2
    cat "$TMP/daemon.log" >&2 2>/dev/null
    echo "---- end of daemon log ----" >&2
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Waits (bounded: ~10 s) until a command succeeds.
wait_for () {
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

start_bus () {
  local conf=$TMP/system.conf
  mkdir -p "$TMP/policy.d"
  cp "$VCR_SOURCE_ROOT/dbus/org.vyos.ConfigReplication.conf" "$TMP/policy.d/"
  # A non-root test user may own the name on this private bus only.
  if [ "$(id -u)" -ne 0 ]; then
    cat > "$TMP/policy.d/test-user.conf" <<EOT
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><policy user="$(id -un)"><allow own="$BUS_NAME"/></policy></busconfig>
EOT
  fi
  sed -e '/<user>/d' -e '/<fork\/>/d' -e '/<pidfile>/d' -e '/<syslog\/>/d' \
      -e '/<servicehelper>/d' -e '/<standard_system_servicedirs\/>/d' \
      -e "s|<listen>.*</listen>|<listen>unix:path=$TMP/system_bus_socket</listen>|" \
      -e "s|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir><includedir>$TMP/policy.d</includedir>|" \
      -e '/<includedir>\/etc\/dbus-1\/system.d<\/includedir>/d' \
      -e '/system-local.conf/d' -e '/\/etc\/dbus-1\/system.conf/d' \
      /usr/share/dbus-1/system.conf > "$conf"
  dbus-daemon --config-file="$conf" --nofork --print-address=1 > "$TMP/bus.address" 2> "$TMP/bus.log" &
  BUS_PID=$!
  wait_for test -s "$TMP/bus.address" || fail "the private bus did not start: $(cat "$TMP/bus.log")"
}

# A config.boot for the daemon; $1 = mode (replica, primary, none).
write_config () {
  local mode=$1 file=${2:-$TMP/config.boot}
  cat > "$file" <<'EOT'
firewall {
    name WAN {
        default-action "drop"
        rule 10 {
            action "accept"
            protocol "tcp"
        }
    }
    name WAN2 {
        default-action "accept"
    }
}
EOT
  case $mode in
    replica|primary)
      {
        echo 'high-availability {'
        echo '    config-replication {'
        echo '        authentication {'
        echo '            pre-shared-secret "0123456789abcdef0123"'
        echo '        }'
        echo "        mode \"$mode\""
        if [ "$mode" = replica ]; then
          echo '        primary {'
          echo '            address "127.0.0.1"'
          echo '            port "9"'
          echo '        }'
        else
          echo '        replica Secondary {'
          echo '            address "127.0.0.2"'
          echo '            port "9"'
          echo '        }'
        fi
        echo '        replicate {'
        echo '            path "firewall name WAN"'
        echo '            path "interfaces openvpn"'
        echo '        }'
        echo '    }'
        echo '}'
      } >> "$file"
      ;;
  esac
  cat >> "$file" <<'EOT'
interfaces {
    ethernet eth0 {
        address "192.168.0.1/24"
    }
}
EOT
}

# The daemon listens on a free port of its own (cases run in parallel) and
# its peers are at port 9, where nothing listens: every peer request fails
# at once, which these single-router cases rely on.
start_daemon () {
  # shellcheck disable=SC2086
  ${VALGRIND:-} "$VCR_DAEMON" --config "$TMP/config.boot" --state-dir "$TMP/state" \
    --listen 127.0.0.1:0 --verbose "$@" > "$TMP/daemon.log" 2>&1 &
  DAEMON_PID=$!
  wait_for busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status "$BUS_NAME" \
    || fail "the daemon did not take its bus name"
}

daemon_alive () {
  kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon died"
}

start_polkit () {
  [ "$(id -u)" -eq 0 ] || skip "polkitd needs root"
  [ -x /usr/lib/polkit-1/polkitd ] || fail "/usr/lib/polkit-1/polkitd is missing"
  if [ ! -e "$POLICY_FILE" ]; then
    cp "$VCR_SOURCE_ROOT/polkit/org.vyos.ConfigReplication.policy" "$POLICY_FILE"
    POLICY_INSTALLED=1
  fi
  /usr/lib/polkit-1/polkitd --no-debug > "$TMP/polkit.log" 2>&1 &
  POLKIT_PID=$!
  wait_for busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.freedesktop.PolicyKit1 \
    || fail "polkitd did not start: $(cat "$TMP/polkit.log")"
}

bctl () {
  busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" "$@"
}

client () {
  "$VCR_CLIENT" "$@"
}

as_nobody () {
  setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# expect_exit CODE COMMAND…: runs COMMAND, stores stdout in $OUT and stderr
# in $ERR, and fails unless it exited with CODE.
expect_exit () {
  local want=$1 got
  shift
  OUT=$("$@" 2> "$TMP/stderr")
  got=$?
  ERR=$(cat "$TMP/stderr")
  [ "$got" -eq "$want" ] || fail "\`$*\` exited $got, expected $want; stdout: $OUT; stderr: $ERR"
}

expect_contains () {
  case $1 in
    *"$2"*) ;;
    *) fail "expected \"$2\" in: $1" ;;
  esac
}
