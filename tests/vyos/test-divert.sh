#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The maintainer-script snippets of the VyOS package (vyos/debian-*.snippet)
# with the real dpkg-divert, in a mount namespace whose /opt is a tmpfs
# holding VyOS's /opt/vyatta/sbin/my_commit → my_cli_bin, and with a
# diversion database of its own (--admindir): install moves VyOS's link
# aside and puts the guard's in its place, an upgrade changes nothing,
# removal gives VyOS its link back. Needs root. Usage: test-divert.sh SNIPPET_DIR
set -u
dir=$1
GUARD=/usr/libexec/vyos-config-replication-commit-guard
SBIN=/opt/vyatta/sbin

fail () { echo "FAIL: $*" >&2; exit 1; }

if [ "${2:-}" != inner ]; then
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: mount namespaces need root" >&2; exit 77; }
  TMP=$(mktemp -d /tmp/vcr-divert-test.XXXXXX)
  trap 'rm -rf "$TMP"' EXIT
  export TMP
  unshare --mount --propagation private "$BASH" "$0" "$dir" inner
  exit $?
fi

mount -t tmpfs vcr-divert-opt /opt || fail "cannot mount a tmpfs on /opt"
mkdir -p "$SBIN" "$TMP/dpkg" "$TMP/bin"
touch "$SBIN/my_cli_bin"
ln -s my_cli_bin "$SBIN/my_commit"
# The real dpkg-divert, with this test's own database.
cat > "$TMP/bin/dpkg-divert" <<EOT
#!/bin/sh
exec /usr/bin/dpkg-divert --admindir "$TMP/dpkg" "\$@"
EOT
chmod 755 "$TMP/bin/dpkg-divert"
export PATH="$TMP/bin:$PATH"

# step SCRIPT ARG: one maintainer script.
step () {
  sh -e "$dir/debian-$1.snippet" "$2" > "$TMP/out" 2>&1 || fail "$1 $2: $(cat "$TMP/out")"
}

diversion () { dpkg-divert --list "$SBIN/my_commit"; }

expect_installed () {
  [ "$(readlink "$SBIN/my_commit")" = "$GUARD" ] || fail "$1: my_commit is $(ls -l "$SBIN/my_commit")"
  [ "$(readlink "$SBIN/my_commit.vyos-config-replication")" = my_cli_bin ] ||
    fail "$1: VyOS's link was not kept aside"
  [ "$(diversion)" = "diversion of $SBIN/my_commit to $SBIN/my_commit.vyos-config-replication by vyos-config-replication-vyos" ] ||
    fail "$1: diversion: $(diversion)"
}

step preinst install
[ ! -e "$SBIN/my_commit" ] && [ ! -L "$SBIN/my_commit" ] || fail "my_commit still there after preinst"
step postinst configure
expect_installed install
# An upgrade runs preinst upgrade, postrm upgrade, postinst configure.
step preinst upgrade
step postrm upgrade
step postinst configure
expect_installed upgrade
step postrm remove
[ "$(readlink "$SBIN/my_commit")" = my_cli_bin ] || fail "VyOS's link is not back: $(ls -l "$SBIN" )"
[ ! -e "$SBIN/my_commit.vyos-config-replication" ] || fail "the diverted name is left"
[ -z "$(diversion)" ] || fail "diversion left: $(diversion)"
step postrm purge
echo ok
