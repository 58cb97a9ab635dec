#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The unit and its VyOS drop-in, read by systemd's own parser in an offline
# root: `systemd-analyze verify` (one ExecStart= in effect: a second one
# makes systemd refuse a Type=dbus unit) and `systemd-analyze security
# --offline` (which protections are on). Alone, the unit keeps the strict
# sandbox (the file backend); with the drop-in, the protections VyOS's
# commit cannot live with are off and the ones docs/vyos.md says remain are
# still on. Both with the unit as built and with the main unit as the
# package ships it on VyOS (`--backend file --config /config/config.boot`,
# ConditionPathExists=/config/config.boot).
# Usage: test-unit.sh UNIT DROPIN LIBEXECDIR
set -u
unit=$1 dropin=$2 libexecdir=$3
name=vyos-config-replicationd.service
tmp=$(mktemp -d /tmp/vcr-unit-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
units=$tmp/etc/systemd/system

fail () { echo "FAIL: $*" >&2; exit 1; }

# root UNIT [DROPIN]: a fresh offline root with the unit (and drop-in), every
# command they name as an executable, and the targets the unit needs.
root () {
  rm -rf "$tmp/etc" "$tmp/usr" "$tmp/bin"
  mkdir -p "$units"
  sed -n 's/^Exec[A-Za-z]*=[-@+!:]*\(\/[^ ]*\).*/\1/p' "$@" | while read -r exe; do
    mkdir -p "$tmp$(dirname "$exe")"
    printf '#!/bin/sh\n' > "$tmp$exe"
    chmod 755 "$tmp$exe"
  done
  for t in sysinit.target basic.target shutdown.target network-online.target \
           multi-user.target dbus.service; do
    printf '[Unit]\nDescription=%s\n' "$t" > "$units/$t"
  done
  cp "$1" "$units/$name"
  if [ $# -gt 1 ]; then
    mkdir -p "$units/$name.d"
    cp "$2" "$units/$name.d/vyos-backend.conf"
  fi
}

verify () {
  systemd-analyze verify --man=no --recursive-errors=no --root="$tmp" "$name" > "$tmp/verify" 2>&1
}

security () {
  systemd-analyze security --offline=yes --no-pager --root="$tmp" "$name" > "$tmp/out" 2>&1 \
    || { cat "$tmp/out" >&2; fail "systemd-analyze refused the unit"; }
}

# expect ✓|✗ SETTING: the line of that setting starts with the mark.
expect () {
  grep -q "^$1 $2" "$tmp/out" || { grep -F "$2" "$tmp/out" >&2; fail "expected $1 $2"; }
}

# The main unit as the package ships it (whatever the built one says).
sed -e "s|^ExecStart=.*|ExecStart=$libexecdir/vyos-config-replicationd --backend file --config /config/config.boot|" \
    -e 's|^\[Unit\]$|[Unit]\nConditionPathExists=/config/config.boot|' "$unit" > "$tmp/file-unit"
grep -q -- '--backend file' "$tmp/file-unit" || fail "test set-up: $(cat "$tmp/file-unit")"

for main in "$unit" "$tmp/file-unit"; do
  root "$main"
  verify || { cat "$tmp/verify" >&2; fail "systemd-analyze verify refused $main"; }
  security
  for s in ProtectSystem= PrivateTmp= PrivateDevices= NoNewPrivileges= \
           RestrictAddressFamilies=~AF_NETLINK ProtectKernelModules= LockPersonality= \
           SystemCallArchitectures= RestrictRealtime= UMask=; do
    expect ✓ "$s"
  done

  root "$main" "$dropin"
  verify || { cat "$tmp/verify" >&2; fail "systemd-analyze verify refused the unit with the drop-in"; }
  security
  for s in ProtectSystem= ProtectHome= PrivateTmp= PrivateDevices= PrivateMounts= \
           RestrictAddressFamilies=~AF_NETLINK ProtectKernelModules= ProtectKernelTunables= \
           ProtectKernelLogs= ProtectControlGroups= ProtectClock= ProtectHostname= \
           RestrictSUIDSGID= RestrictNamespaces=~net MemoryDenyWriteExecute= \
           SystemCallFilter=~@mount; do
    expect ✗ "$s"
  done
  for s in NoNewPrivileges= LockPersonality= SystemCallArchitectures= RestrictRealtime= \
           NotifyAccess= UMask= AmbientCapabilities= KeyringMode=; do
    expect ✓ "$s"
  done

  # Without the empty ExecStart= the drop-in would add a second command,
  # which systemd refuses for a Type=dbus unit: the reset is what counts.
  grep -v '^ExecStart=$' "$dropin" > "$tmp/no-reset.conf"
  root "$main" "$tmp/no-reset.conf"
  if verify; then
    fail "systemd-analyze accepted a drop-in that does not reset ExecStart="
  fi
  grep -q 'more than one ExecStart=' "$tmp/verify" || { cat "$tmp/verify" >&2; fail "unexpected refusal"; }
done

# The command that remains is the vyos backend's, after the reset.
sed -n '/^ExecStart=/p' "$dropin" > "$tmp/execstart"
[ "$(cat "$tmp/execstart")" = "$(printf 'ExecStart=\nExecStart=%s/vyos-config-replicationd --backend vyos' "$libexecdir")" ] ||
  fail "the drop-in's ExecStart= lines: $(cat "$tmp/execstart")"
grep -qx 'Group=vyattacfg' "$dropin" || fail "the drop-in does not run the daemon in group vyattacfg"
grep -qx 'KillMode=mixed' "$dropin" || fail "a stop would cut off a session in the middle of a commit"
echo "ok"
