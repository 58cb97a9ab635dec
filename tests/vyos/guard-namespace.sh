# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sourced by test-guard.sh (case `installed`) inside `unshare --mount`:
# lays out VyOS's paths in this mount namespace only (tmpfs on /opt and
# /run, overlays on /usr/bin and /tmp whose writes vanish with the
# namespace), puts the stand-ins where VyOS has its tools, and runs the
# installed guard ($VCR_GUARD_INSTALLED) against a hostile environment, each
# variable alone: the test build ($VCR_GUARD) is fooled by each of them
# (shown first, so that this test could fail), the installed one by none.
# Expects from test-guard.sh: TMP, VCR_FAKE_DIR (a replica whose working
# config changes "firewall name WAN"), REFUSAL_WAN, the daemon on
# $TMP/system_bus_socket allowing that commit, $TMP/says-primary,
# $TMP/mine/apply-token.
set -u
fail () { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

mount -t tmpfs vcr-vyos-opt /opt || fail "cannot mount a tmpfs on /opt"
mkdir -p /opt/vyatta/sbin /opt/ovl/tmp/up /opt/ovl/tmp/work /opt/ovl/bin/up /opt/ovl/bin/work
cp "$VCR_FAKE_BIN" /opt/vyatta/sbin/my_cli_bin
cp "$VCR_FAKE_API" /opt/ovl/bin/up/cli-shell-api
# A unix socket cannot be reached through an overlay: keep the private
# bus's socket at a place outside the overlaid /tmp.
touch /opt/bus-socket
mount --bind "$TMP/system_bus_socket" /opt/bus-socket || fail "cannot bind the bus socket"
mount -t overlay vcr-vyos-bin -o lowerdir=/usr/bin,upperdir=/opt/ovl/bin/up,workdir=/opt/ovl/bin/work /usr/bin \
  || fail "cannot overlay /usr/bin"
mount -t overlay vcr-vyos-tmp -o lowerdir=/tmp,upperdir=/opt/ovl/tmp/up,workdir=/opt/ovl/tmp/work /tmp \
  || fail "cannot overlay /tmp"
mount -t tmpfs vcr-vyos-run /run || fail "cannot mount a tmpfs on /run"
touch /tmp/vyos-config-status
[ -x /bin/cli-shell-api ] || fail "no /bin/cli-shell-api in the namespace"

# No redirection at all, for either build.
unset VCR_CLI_SHELL_API VCR_MY_CLI_BIN VCR_BOOT_DONE_FILE VCR_APPLY_TOKEN_FILE VCR_APPLY_TOKEN
NO_BUS="unix:path=/run/dbus/system_bus_socket"
export DBUS_SYSTEM_BUS_ADDRESS=$NO_BUS

# run BUILD CODE [VAR=VALUE…]: the guard of that build with those variables.
run () {
  local exe=$1 want=$2 got
  shift 2
  rm -f "$VCR_FAKE_DIR/ran"
  OUT=$(env "$@" "$exe" arg1 2> /tmp/guard-stderr)
  got=$?
  [ "$got" -eq "$want" ] ||
    fail "$exe $* exited $got, expected $want; stdout: $OUT; stderr: $(cat /tmp/guard-stderr)"
  if [ "$want" -eq 0 ]; then
    [ -f "$VCR_FAKE_DIR/ran" ] || fail "$exe $*: my_cli_bin did not run"
  else
    [ ! -e "$VCR_FAKE_DIR/ran" ] || fail "$exe $*: my_cli_bin ran"
    [ "$OUT" = "$REFUSAL_WAN" ] || fail "$exe $*: stdout: $OUT"
  fi
}

token=$(cat "$TMP/mine/apply-token")
hostile=(
  "VCR_BOOT_DONE_FILE=$TMP/no-such-file"
  "VCR_CLI_SHELL_API=$TMP/says-primary"
  "VCR_MY_CLI_BIN=/bin/true"
  "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/opt/bus-socket"
)
# Both builds refuse when nothing is redirected (no system bus here).
run "$VCR_GUARD" 1
run "$VCR_GUARD_INSTALLED" 1
for var in "${hostile[@]}"; do
  case $var in
    VCR_MY_CLI_BIN=*) ;;   # the test build runs /bin/true: nothing recorded
    *) run "$VCR_GUARD" 0 "$var" ;;
  esac
  run "$VCR_GUARD_INSTALLED" 1 "$var"
done
run "$VCR_GUARD" 0 "VCR_APPLY_TOKEN_FILE=$TMP/mine/apply-token" "VCR_APPLY_TOKEN=$token"
run "$VCR_GUARD_INSTALLED" 1 "VCR_APPLY_TOKEN_FILE=$TMP/mine/apply-token" "VCR_APPLY_TOKEN=$token"

# The installed guard does use VyOS's own places: the token file under
# /run, the system bus socket (the daemon allows this commit), and
# /opt/vyatta/sbin/my_cli_bin whatever VCR_MY_CLI_BIN says.
mkdir -m 700 /run/vyos-config-replication
cp "$TMP/mine/apply-token" /run/vyos-config-replication/apply-token
run "$VCR_GUARD_INSTALLED" 0 "VCR_APPLY_TOKEN=$token" VCR_MY_CLI_BIN=/bin/true
rm /run/vyos-config-replication/apply-token
mkdir -p /run/dbus
touch /run/dbus/system_bus_socket
mount --bind /opt/bus-socket /run/dbus/system_bus_socket || fail "cannot bind the bus socket"
run "$VCR_GUARD_INSTALLED" 0 VCR_MY_CLI_BIN=/bin/true
echo "ok: the installed guard ignores the environment"
