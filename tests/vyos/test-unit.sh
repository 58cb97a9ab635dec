#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The unit and its VyOS drop-in, read by systemd's own parser
# (`systemd-analyze security --offline`): alone, the unit keeps the strict
# sandbox (the file backend); with the drop-in, the protections VyOS's
# commit cannot live with are off and the ones docs/vyos.md says remain
# are still on. Usage: test-unit.sh UNIT DROPIN
set -u
unit=$1 dropin=$2
name=vyos-config-replicationd.service
tmp=$(mktemp -d /tmp/vcr-unit-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/etc/systemd/system"
cp "$unit" "$tmp/etc/systemd/system/$name"

fail () { echo "FAIL: $*" >&2; exit 1; }

security () {
  systemd-analyze security --offline=yes --no-pager --root="$tmp" "$name" > "$tmp/out" 2>&1 \
    || { cat "$tmp/out" >&2; fail "systemd-analyze refused the unit"; }
}

# expect ✓|✗ SETTING: the line of that setting starts with the mark.
expect () {
  grep -q "^$1 $2" "$tmp/out" || { grep -F "$2" "$tmp/out" >&2; fail "expected $1 $2"; }
}

security
for s in ProtectSystem= PrivateTmp= PrivateDevices= NoNewPrivileges= \
         RestrictAddressFamilies=~AF_NETLINK ProtectKernelModules= LockPersonality= \
         SystemCallArchitectures= RestrictRealtime=; do
  expect ✓ "$s"
done

mkdir -p "$tmp/etc/systemd/system/$name.d"
cp "$dropin" "$tmp/etc/systemd/system/$name.d/"
security
for s in ProtectSystem= PrivateTmp= PrivateDevices= NoNewPrivileges= \
         RestrictAddressFamilies=~AF_NETLINK ProtectKernelModules= ProtectKernelTunables= \
         RestrictSUIDSGID=; do
  expect ✗ "$s"
done
for s in LockPersonality= SystemCallArchitectures= RestrictRealtime= NotifyAccess=; do
  expect ✓ "$s"
done
grep -qx 'Group=vyattacfg' "$dropin" || fail "the drop-in does not run the daemon in group vyattacfg"
grep -qx 'RuntimeDirectory=vyos-config-replication' "$dropin" || fail "no runtime directory for the apply token"
echo "ok"
