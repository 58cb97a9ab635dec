#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What a -Dvyos=true build installs (what the VyOS package holds): every
# VyOS file at VyOS's own path (vyos-1x debian/rules, vyatta-cfg), and no
# parent node.def that VyOS owns (dpkg would refuse the clash).
# Usage: test-install.sh BUILD_DIR PREFIX LIBEXECDIR UNITDIR
set -u
build=$1 prefix=$2 libexecdir=$3 unitdir=$4
tmp=$(mktemp -d /tmp/vcr-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail () { echo "FAIL: $*" >&2; exit 1; }

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" > "$tmp/log" 2>&1 ||
  { cat "$tmp/log" >&2; fail "meson install"; }
cfg=/opt/vyatta/share/vyatta-cfg/templates
op=/opt/vyatta/share/vyatta-op/templates
for f in \
  $cfg/high-availability/config-replication/node.def \
  $cfg/high-availability/config-replication/mode/node.def \
  $cfg/high-availability/config-replication/replica/node.tag/address/node.def \
  $op/show/high-availability/node.def \
  $op/show/high-availability/config-replication/node.def \
  $op/force/high-availability/config-replication/push/node.def \
  $op/restart/high-availability/config-replication/node.def \
  $op/monitor/high-availability/config-replication/node.def \
  /usr/libexec/vyos/conf_mode/high-availability_config-replication.py \
  "$libexecdir/vyos-config-replication-commit-guard" \
  "$libexecdir/vyos-config-replication/commit-post-hook" \
  "$unitdir/vyos-config-replicationd.service.d/vyos-backend.conf" \
  "$prefix/share/polkit-1/rules.d/50-vyos-config-replication.rules"; do
  [ -f "$tmp/root$f" ] || fail "not installed: $f"
done
for f in $cfg/high-availability/node.def $op/show/node.def $op/force/node.def \
         $op/restart/node.def $op/monitor/node.def; do
  [ ! -e "$tmp/root$f" ] || fail "installs VyOS's own $f"
done
for f in /usr/libexec/vyos/conf_mode/high-availability_config-replication.py \
         "$libexecdir/vyos-config-replication/commit-post-hook" \
         "$libexecdir/vyos-config-replication-commit-guard"; do
  [ -x "$tmp/root$f" ] || fail "not executable: $f"
done
grep -q "^ExecStart=$libexecdir/vyos-config-replicationd --backend vyos$" \
  "$tmp/root$unitdir/vyos-config-replicationd.service.d/vyos-backend.conf" || fail "drop-in ExecStart"
echo ok
