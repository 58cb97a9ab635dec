# SPDX-License-Identifier: GPL-2.0-or-later
#
# A check of test-package.sh (sourced): the packaged daemon, run as the
# packaged unit runs it but on a config.boot without replication settings
# (what an enabled unit meets on a host nobody set up), must be harmless:
# it owns its bus name and says Mode "disabled", listens on no socket and
# leaves the config folder as it was. It runs on a private system bus made
# from Debian's system.conf and the package's own bus policy (no systemd
# here); every wait is bounded; only the processes started here are ended.

# Ends what check_idle started, the last first (the daemon before its bus).
idle_pids=()
idle_stop () {
  local i
  for ((i = ${#idle_pids[@]} - 1; i >= 0; i--)); do
    kill "${idle_pids[i]}" 2> /dev/null && wait "${idle_pids[i]}" 2> /dev/null
  done
  idle_pids=()
}

# The listening TCP and UDP sockets of process $1 (ss needs root for -p).
listening_sockets () {
  ss -Hltunp 2> /dev/null | grep "pid=$1," || true
}

check_idle () {
  local dir=$tmp/idle exec daemon args bus i mode=
  command -v dbus-daemon > /dev/null && command -v busctl > /dev/null && command -v ss > /dev/null ||
    { fail "dbus-daemon, busctl and ss are needed"; return; }
  exec=$(key_values "$unit" ExecStart | head -n 1)
  daemon=$(in_root "$(printf '%s' "$exec" | exec_path)") || { fail "no daemon to run"; return; }
  # The unit's own arguments, its config file moved into the scratch folder.
  args=$(printf '%s' "$exec" | sed -e 's/^[^[:space:]]*//' -e "s| /config/config.boot| $dir/config/config.boot|")
  case $args in *"$dir/config/config.boot"*) ;; *) fail "the unit's ExecStart has no --config /config/config.boot: $exec"; return ;; esac
  mkdir -p "$dir/config" "$dir/state"
  printf 'system {\n    host-name "plain-host"\n}\n' > "$dir/config/config.boot"
  (cd "$dir/config" && find . -printf '%p %s %m %T@\n' | sort > "$dir/before")
  sed -e '/<user>/d' -e '/<fork\/>/d' -e '/<pidfile>/d' \
      -e "s|<listen>.*</listen>|<listen>unix:path=$dir/bus</listen>|" \
      -e "s|</busconfig>|<includedir>$root/usr/share/dbus-1/system.d</includedir></busconfig>|" \
      /usr/share/dbus-1/system.conf > "$dir/bus.conf"
  dbus-daemon --config-file="$dir/bus.conf" --nofork > "$dir/bus.log" 2>&1 &
  idle_pids+=($!)
  bus=unix:path=$dir/bus
  for i in $(seq 100); do [ -S "$dir/bus" ] && break; sleep 0.1; done
  # shellcheck disable=SC2086 # the unit's arguments, split as systemd would
  DBUS_SYSTEM_BUS_ADDRESS=$bus STATE_DIRECTORY=$dir/state "$daemon" $args > "$dir/daemon.log" 2>&1 &
  idle_pids+=($!)
  for i in $(seq 100); do
    mode=$(busctl --address="$bus" get-property org.vyos.ConfigReplication /org/vyos/ConfigReplication \
             org.vyos.ConfigReplication Mode 2> /dev/null) && break
    kill -0 "${idle_pids[1]}" 2> /dev/null || break
    sleep 0.1
  done
  [ "$mode" = 's "disabled"' ] ||
    fail "the daemon did not come up idle (Mode: ${mode:-none}); its log: $(tr '\n' ' ' < "$dir/daemon.log")"
  listening_sockets "${idle_pids[1]}" > "$dir/sockets"
  [ -s "$dir/sockets" ] && fail "the daemon listens: $(tr -s ' \n' ' ' < "$dir/sockets")"
  idle_stop
  (cd "$dir/config" && find . -printf '%p %s %m %T@\n' | sort > "$dir/after")
  cmp -s "$dir/before" "$dir/after" || fail "the daemon changed the config folder: $(diff "$dir/before" "$dir/after" | tr '\n' ' ')"
  echo "#   $(grep -c . "$dir/daemon.log") log lines, e.g. $(tail -n 1 "$dir/daemon.log")"
}
