#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks the built .debs (tools/build-package) without installing them:
# unpacks them with dpkg-deb -x into one scratch root and follows every
# path that a packaged file names — the unit and its drop-in (Exec*=,
# Documentation=), the D-Bus activation file (Exec=, SystemdService=), the
# bus policy and the polkit action and rule (names, exec.path), the man
# pages and the completion, the VyOS templates (the conf-mode owner, the
# op-mode run: lines), the scripts' interpreters, the commit guard's place
# over my_commit and the divert in the maintainer scripts — to a file in
# that root (executable where it must run) or to a package an installation
# can count on (paths.sh). Also: what the maintainer scripts do with the
# unit (enabled, never started by the package), `systemd-analyze verify`,
# lintian (no error, no warning, no stale override), and the packaged daemon
# run as its unit runs it on a config without settings: idle (idle.sh).
#
# Usage: test-package.sh DEB...  (vyos-config-replication and, when given,
# vyos-config-replication-vyos). Prints TAP, one test per group of checks;
# exits 1 when any failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
generic="vyos-config-replication"
vyos="vyos-config-replication-vyos"
unit_name="vyos-config-replicationd.service"

[ $# -gt 0 ] || { echo "usage: $0 DEB..." >&2; exit 2; }
debs=("$@")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vcr-test-package.XXXXXX")
trap 'declare -F idle_stop > /dev/null && idle_stop; rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root" "$tmp/control" "$tmp/list"

# shellcheck source=paths.sh
. "$here/paths.sh"

group_failed=0
tests=0
any_failed=0
fail () { echo "#   FAIL: $*"; group_failed=1; }

# run_group NAME FUNCTION: one TAP test.
run_group () {
  group_failed=0
  tests=$((tests + 1))
  "$2"
  if [ "$group_failed" -eq 0 ]; then
    echo "ok $tests - $1"
  else
    echo "not ok $tests - $1"
    any_failed=1
  fi
}

declare -A deb_of
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || { echo "$deb: no such file" >&2; exit 2; }
  pkg=$(dpkg-deb -f "$deb" Package) || exit 2
  deb_of[$pkg]=$deb
  dpkg-deb -x "$deb" "$root" || exit 2
  dpkg-deb -e "$deb" "$tmp/control/$pkg" || exit 2
  dpkg-deb -c "$deb" | awk '{ p = $6; sub(/^\./, "", p); print p }' > "$tmp/list/$pkg"
done
[ -n "${deb_of[$generic]:-}" ] || { echo "$generic is not among the .debs" >&2; exit 2; }
have_vyos () { [ -n "${deb_of[$vyos]:-}" ]; }
load_known_packages

# ships PACKAGE PATH
ships () { grep -qxF "$2" "$tmp/list/$1"; }

unit_dir=/lib/systemd/system
[ -f "$root$unit_dir/$unit_name" ] || unit_dir=/usr/lib/systemd/system
unit=$root$unit_dir/$unit_name
activation=$root/usr/share/dbus-1/system-services
policy_dir=$root/usr/share/polkit-1

# --- what the issue lists, each in its package ------------------------------
check_contents () {
  local p
  for p in /usr/bin/vyos-config-replication /usr/libexec/vyos-config-replicationd \
           "$unit_dir/$unit_name" \
           /usr/share/dbus-1/system.d/org.vyos.ConfigReplication.conf \
           /usr/share/dbus-1/system-services/org.vyos.ConfigReplication.service \
           /usr/share/dbus-1/interfaces/org.vyos.ConfigReplication.xml \
           /usr/share/polkit-1/actions/org.vyos.ConfigReplication.policy \
           /usr/share/man/man1/vyos-config-replication.1.gz \
           /usr/share/man/man8/vyos-config-replicationd.8.gz \
           /usr/share/bash-completion/completions/vyos-config-replication; do
    ships "$generic" "$p" || fail "$generic does not ship $p"
  done
  # A plain Debian host never gets the VyOS files, the relaxed sandbox or
  # my_commit diverted: none of it is in the generic package.
  if grep -qE '^/opt/|\.service\.d/.|/polkit-1/rules\.d/.|/usr/libexec/vyos/' "$tmp/list/$generic"; then
    fail "$generic ships VyOS files: $(grep -E '^/opt/|\.service\.d/.|/polkit-1/rules\.d/.|/usr/libexec/vyos/' "$tmp/list/$generic" | head -n 3 | tr '\n' ' ')"
  fi
  have_vyos || return 0
  for p in /usr/libexec/vyos-config-replication-commit-guard /opt/vyatta/sbin/my_commit \
           /usr/libexec/vyos/conf_mode/high-availability_config-replication.py \
           /usr/libexec/vyos-config-replication/commit-post-hook \
           /opt/vyatta/share/vyatta-cfg/templates/high-availability/config-replication/node.def \
           /opt/vyatta/share/vyatta-op/templates/show/high-availability/config-replication/node.def; do
    ships "$vyos" "$p" || fail "$vyos does not ship $p"
  done
  grep -q "^$unit_dir/$unit_name\.d/.*\.conf\$" "$tmp/list/$vyos" ||
    fail "$vyos ships no drop-in for $unit_name in $unit_dir"
  grep -q '^/usr/share/polkit-1/rules\.d/.*\.rules$' "$tmp/list/$vyos" || fail "$vyos ships no polkit rule"
}

# --- the unit and its drop-ins -----------------------------------------------
check_unit () {
  local f key v page sec name
  for f in "$unit" "$root$unit_dir/$unit_name.d"/*.conf; do
    [ -f "$f" ] || continue
    for key in ExecStart ExecStartPre ExecStartPost ExecReload ExecStop ExecStopPost; do
      while IFS= read -r v; do
        [ -n "$v" ] || continue   # an empty ExecStart= resets the list
        check_path "${f#"$root"} $key=" "$(printf '%s' "$v" | exec_path)" exec
      done < <(key_values "$f" "$key")
    done
  done
  [ -n "$(key_values "$unit" ExecStart)" ] || fail "the unit has no ExecStart="
  for v in $(key_values "$unit" Documentation); do
    case $v in
      man:*)
        page=${v#man:}; name=${page%%(*}; sec=${page#*(}; sec=${sec%)}
        [ -f "$root/usr/share/man/man$sec/$name.$sec.gz" ] ||
          fail "the unit's Documentation=$v: no /usr/share/man/man$sec/$name.$sec.gz" ;;
    esac
  done
  grep -qx 'WantedBy=multi-user.target' "$unit" || fail "the unit has no WantedBy=multi-user.target (nothing to enable)"
  grep -qx 'ConditionPathExists=/config/config.boot' "$unit" ||
    fail "the unit does not keep itself off hosts without /config/config.boot"
}

# systemd's own reading of the unit (with the drop-ins): anything it says
# but "Command X is not executable" for an X the packages ship is a fault.
check_unit_verify () {
  local dir=$tmp/verify line cmd file
  command -v systemd-analyze > /dev/null || { fail "systemd-analyze is not installed"; return; }
  mkdir -p "$dir"
  cp "$unit" "$dir/"
  [ -d "$root$unit_dir/$unit_name.d" ] && cp -r "$root$unit_dir/$unit_name.d" "$dir/"
  systemd-analyze verify --man=no "$dir/$unit_name" > "$tmp/verify.out" 2>&1
  while IFS= read -r line; do
    cmd=$(printf '%s\n' "$line" | sed -n 's/^.*: Command \(\/[^ ]*\) is not executable: .*$/\1/p')
    if [ -n "$cmd" ] && file=$(in_root "$cmd") && [ -x "$file" ]; then
      continue
    fi
    fail "systemd-analyze verify: $line"
  done < "$tmp/verify.out"
}

# --- D-Bus: activation file, bus policy, interface ----------------------------
check_dbus () {
  local f name service bus policy iface xml
  bus=$(key_values "$unit" BusName)
  [ -n "$bus" ] || fail "the unit has no BusName="
  for f in "$activation"/*.service; do
    [ -f "$f" ] || { fail "no D-Bus activation file"; continue; }
    name=$(key_values "$f" Name)
    [ "$(basename "$f")" = "$name.service" ] ||
      fail "activation file $(basename "$f") is not named after its Name=$name (the system bus requires it)"
    [ "$name" = "$bus" ] || fail "activation Name=$name, unit BusName=$bus"
    check_path "${f#"$root"} Exec=" "$(key_values "$f" Exec | exec_path)" exec
    service=$(key_values "$f" SystemdService)
    [ -f "$root$unit_dir/$service" ] || fail "${f#"$root"} SystemdService=$service: no such unit in $unit_dir"
  done
  policy=$root/usr/share/dbus-1/system.d/$bus.conf
  [ -f "$policy" ] || { fail "no bus policy $bus.conf"; return; }
  xmllint --noout "$policy" 2> "$tmp/xml.err" || fail "bus policy: $(head -n 1 "$tmp/xml.err")"
  grep -q "<allow own=\"$bus\"/>" "$policy" || fail "the bus policy does not let the daemon own $bus"
  for name in $(grep -o 'send_destination="[^"]*"' "$policy" | cut -d'"' -f2 | sort -u); do
    [ "$name" = "$bus" ] || fail "the bus policy opens send_destination=$name, not $bus"
  done
  xml=$root/usr/share/dbus-1/interfaces/$bus.xml
  [ -f "$xml" ] || { fail "no interface XML $bus.xml"; return; }
  xmllint --noout "$xml" 2> "$tmp/xml.err" || fail "interface XML: $(head -n 1 "$tmp/xml.err")"
  for iface in $(grep -o 'send_interface="[^"]*"' "$policy" | cut -d'"' -f2 | sort -u); do
    case $iface in org.freedesktop.DBus.*) continue ;; esac
    grep -q "<interface name=\"$iface\"" "$xml" ||
      fail "the bus policy allows interface $iface, which $bus.xml does not define"
  done
}

# --- polkit: actions the daemon asks for, rules, exec paths -------------------
check_polkit () {
  local f id ids daemon path
  ids=$tmp/actions
  : > "$ids"
  for f in "$policy_dir"/actions/*.policy; do
    [ -f "$f" ] || { fail "no polkit action"; return; }
    xmllint --noout "$f" 2> "$tmp/xml.err" || fail "polkit action: $(head -n 1 "$tmp/xml.err")"
    grep -o '<action id="[^"]*"' "$f" | cut -d'"' -f2 >> "$ids"
    for path in $(sed -n 's|.*<annotate key="org.freedesktop.policykit.exec.path">\([^<]*\)<.*|\1|p' "$f"); do
      check_path "${f#"$root"} exec.path" "$path" exec
    done
  done
  if daemon=$(in_root "$(key_values "$unit" ExecStart | head -n 1 | exec_path)"); then
    while read -r id; do
      grep -qaF "$id" "$daemon" || fail "polkit action $id: the daemon never asks for it"
    done < "$ids"
  fi
  for f in "$policy_dir"/rules.d/*.rules; do
    [ -f "$f" ] || continue
    for id in $(grep -o 'action\.id *== *"[^"]*"' "$f" | cut -d'"' -f2); do
      grep -qxF "$id" "$ids" || fail "${f#"$root"} grants $id, an action no package defines"
    done
  done
}

# --- man pages and completion -------------------------------------------------
check_docs () {
  local f cmd page
  for f in "$root"/usr/bin/* "$root"/usr/sbin/*; do
    [ -e "$f" ] || continue
    cmd=$(basename "$f")
    page=$(ls "$root"/usr/share/man/man[18]/"$cmd".[18].gz 2> /dev/null | head -n 1)
    if [ -z "$page" ]; then
      fail "/usr/bin/$cmd has no man page"
    else
      gzip -t "$page" || fail "${page#"$root"} is not a valid gzip file"
    fi
    f=$root/usr/share/bash-completion/completions/$cmd
    if [ ! -f "$f" ]; then
      fail "no bash completion for $cmd where bash-completion loads it (${f#"$root"})"
    else
      bash -n "$f" || fail "${f#"$root"} is not valid bash"
      grep -q "complete .*$cmd\$" "$f" || fail "${f#"$root"} does not complete $cmd"
    fi
  done
}

# --- maintainer scripts --------------------------------------------------------
# dh_installsystemd: enabled on install; never started by the package (no
# start, restart or enable --now, only a try-restart of a running daemon
# after an upgrade); stopped when the package goes.
check_maintainer_scripts () {
  local pkg s line q="'\\{0,1\\}"
  for pkg in "${!deb_of[@]}"; do
    for s in "$tmp/control/$pkg"/{preinst,postinst,prerm,postrm}; do
      [ -f "$s" ] || continue
      [ "$(head -n 1 "$s")" = '#!/bin/sh' ] || fail "$pkg $(basename "$s") is not a #!/bin/sh script"
      sh -n "$s" || fail "$pkg $(basename "$s") is not valid sh"
      grep -q '^set -e$' "$s" || fail "$pkg $(basename "$s") does not set -e"
      # deb-systemd-invoke only to stop or try-restart (debhelper's own
      # start is "deb-systemd-invoke $_dh_action"), systemctl only to reload
      # its units.
      while IFS= read -r line; do
        fail "$pkg $(basename "$s") may start a service: $line"
      done < <(grep -E 'deb-systemd-invoke|systemctl' "$s" |
                 grep -vE 'deb-systemd-invoke +(try-restart|stop) |systemctl +(--system +)?daemon-reload')
    done
    [ "$pkg" = "$generic" ] || [ "$pkg" = "$vyos" ] || continue
    grep -q "deb-systemd-invoke stop $q$unit_name" "$tmp/control/$pkg/prerm" 2> /dev/null ||
      fail "$pkg's prerm does not stop $unit_name on removal"
  done
  grep -q "deb-systemd-helper enable $q$unit_name" "$tmp/control/$generic/postinst" 2> /dev/null ||
    fail "$generic's postinst does not enable $unit_name"
  grep -q "deb-systemd-helper purge $q$unit_name" "$tmp/control/$generic/postrm" 2> /dev/null ||
    fail "$generic's postrm does not forget $unit_name on purge"
}

# --- lintian ---------------------------------------------------------------------
# On the .changes beside the .debs when there is one (source included),
# else on the .debs. Errors and warnings fail; so does an override that no
# longer matches anything, which would hide the next real finding.
check_lintian () {
  local version changes out line
  command -v lintian > /dev/null || { fail "lintian is not installed"; return; }
  version=$(dpkg-deb -f "${deb_of[$generic]}" Version)
  changes=$(ls "$(dirname "${deb_of[$generic]}")/${generic}_${version}_"*.changes 2> /dev/null | head -n 1)
  local -a targets=("${debs[@]}")
  [ -n "$changes" ] && targets=("$changes")
  out=$tmp/lintian.out
  lintian -I "${targets[@]}" > "$out" 2>&1
  [ $? -le 1 ] || { fail "lintian failed: $(tail -n 3 "$out")"; return; }
  echo "#   lintian on ${targets[*]##*/}"
  while IFS= read -r line; do
    fail "lintian: $line"
  done < <(grep -E '^[EW]: |^I: .*(unused-override|mismatched-override)' "$out")
}

# shellcheck source=vyos.sh
. "$here/vyos.sh"
# shellcheck source=idle.sh
. "$here/idle.sh"

run_group "contents: each file in its package" check_contents
run_group "unit and drop-ins: every Exec*= path and Documentation= page" check_unit
run_group "unit: systemd-analyze verify" check_unit_verify
run_group "D-Bus: activation file, bus policy, interface XML" check_dbus
run_group "the packaged daemon on a host without settings: idle, no listener, config untouched" check_idle
run_group "polkit: actions, rules, exec paths" check_polkit
run_group "man pages and bash completion" check_docs
run_group "VyOS templates: conf-mode owner and op-mode run: paths" check_templates
run_group "scripts: interpreters and the paths they run" check_scripts
run_group "commit guard over my_commit, diverted by its package" check_divert
run_group "maintainer scripts: unit enabled, never started; stopped on removal" check_maintainer_scripts
run_group "lintian: no error, no warning, no stale override" check_lintian
echo "1..$tests"
exit "$any_failed"
