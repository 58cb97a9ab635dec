#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The commit guard (guard/vcr-commit-guard.c), one branch per case:
# `test-guard.sh CASE`. VyOS's tools are stand-ins: fake-cli-shell-api
# prints the files under $VCR_FAKE_DIR/{active,working}, fake-my-cli-bin
# records the argv it was exec'd with. The daemon cases use the bus tests'
# private bus and daemon (tests/bus/harness.sh).
#
# Needs from meson: VCR_GUARD, VCR_FAKE_API, VCR_FAKE_BIN, and harness.sh's
# VCR_DAEMON, VCR_CLIENT, VCR_SOURCE_ROOT.

# shellcheck source=../bus/harness.sh
. "$VCR_SOURCE_ROOT/tests/bus/harness.sh"

REFUSAL_WAN='Error: path "firewall name WAN" is managed by config replication and must not be modified locally.'
REFUSAL_OVPN='Error: path "interfaces openvpn" is managed by config replication and must not be modified locally.'

export VCR_FAKE_DIR=$TMP/fake
export VCR_CLI_SHELL_API=$VCR_FAKE_API
export VCR_MY_CLI_BIN=$VCR_FAKE_BIN
export VCR_BOOT_DONE_FILE=$TMP/vyos-config-status
export VCR_APPLY_TOKEN_FILE=$TMP/apply-token
# No bus unless a case starts one.
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/no-bus-here"
unset VCR_APPLY_TOKEN
mkdir -p "$VCR_FAKE_DIR/active" "$VCR_FAKE_DIR/working"
touch "$VCR_BOOT_DONE_FILE"

# settings MODE: the active `high-availability config-replication` node
# as showConfig prints it with those words.
settings () {
  cat > "$VCR_FAKE_DIR/active/high-availability config-replication" <<EOT
authentication {
    pre-shared-secret 0123456789abcdef0123
}
mode $1
primary {
    address 127.0.0.1
    port 9
}
replicate {
    path "firewall name WAN"
    path "interfaces openvpn"
}
EOT
}

# path_text WHICH WORDS TEXT: what showConfig prints for those words.
path_text () {
  printf '%s\n' "$3" > "$VCR_FAKE_DIR/$1/$2"
}

# The same replicated subtrees in the active and the working config.
same_paths () {
  for w in active working; do
    path_text $w "firewall name WAN" 'default-action drop'
    path_text $w "interfaces openvpn" 'openvpn vtun0 {
    mode site-to-site
}'
  done
}

guard () {
  rm -f "$VCR_FAKE_DIR/ran"
  expect_exit "$1" "$VCR_GUARD" arg1 "two words"
}

expect_ran () {
  [ -f "$VCR_FAKE_DIR/ran" ] || fail "my_cli_bin was not run"
  local want
  want=$(printf 'my_commit\narg1\ntwo words')
  [ "$(cat "$VCR_FAKE_DIR/ran")" = "$want" ] || fail "my_cli_bin ran with: $(cat "$VCR_FAKE_DIR/ran")"
}

expect_not_ran () {
  [ ! -e "$VCR_FAKE_DIR/ran" ] || fail "my_cli_bin was run: $(cat "$VCR_FAKE_DIR/ran")"
}

# Every configuration read is `showConfig` with the allowed flags.
check_calls () {
  [ -f "$VCR_FAKE_DIR/calls" ] || return 0
  if grep -Ev '^--show-(active|working)-only( --show-show-defaults)?( --show-ignore-edit)? showConfig( .*)?$' \
       "$VCR_FAKE_DIR/calls"; then
    fail "cli-shell-api called otherwise than as allowed (above)"
  fi
}

case_boot_not_done () {
  rm -f "$VCR_BOOT_DONE_FILE"
  settings replica
  path_text working "firewall name WAN" 'default-action accept'
  guard 0
  expect_ran
  [ ! -e "$VCR_FAKE_DIR/calls" ] || fail "the config was read during boot: $(cat "$VCR_FAKE_DIR/calls")"
}

case_not_replica () {
  path_text working "firewall name WAN" 'default-action accept'
  # No config-replication node at all.
  guard 0
  expect_ran
  settings primary
  guard 0
  expect_ran
  # Settings the daemon refuses are no replica either (and say so).
  printf 'mode replica\n' > "$VCR_FAKE_DIR/active/high-availability config-replication"
  guard 0
  expect_ran
  expect_contains "$ERR" "not valid"
  # The same commit on a replica is refused: the cases above passed for
  # their reason.
  settings replica
  guard 1
  expect_not_ran
}

case_exit_status () {
  settings primary
  VCR_FAKE_EXIT=3 expect_exit 3 "$VCR_GUARD" x
  VCR_MY_CLI_BIN=$TMP/missing expect_exit 1 "$VCR_GUARD" x
  expect_contains "$ERR" "cannot run $TMP/missing"
}

case_unreachable () {
  settings replica
  same_paths
  guard 0
  expect_ran
  expect_contains "$ERR" "comparing the replicated paths here"
  path_text working "firewall name WAN" 'default-action accept'
  guard 1
  expect_not_ran
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "stdout: $OUT"
  # Deleting a replicated subtree (showConfig fails on it) is a change.
  rm "$VCR_FAKE_DIR/working/interfaces openvpn"
  guard 1
  expect_not_ran
  [ "$OUT" = "$REFUSAL_WAN"$'\n'"$REFUSAL_OVPN" ] || fail "stdout: $OUT"
  # An unparsable working config falls back to the comparison as well.
  same_paths
  printf 'firewall {\n' > "$VCR_FAKE_DIR/working/ALL"
  guard 0
  expect_ran
  check_calls
}

case_token () {
  settings replica
  same_paths
  path_text working "firewall name WAN" 'default-action accept'
  local token=0123456789abcdef0123456789abcdef
  printf '%s\n' "$token" > "$VCR_APPLY_TOKEN_FILE"
  chmod 600 "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=$token guard 0
  expect_ran
  # Wrong token, short token, no token.
  VCR_APPLY_TOKEN=${token%0}1 guard 1
  expect_not_ran
  printf 'short\n' > "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=short guard 1
  guard 1
  # A file others may read is no proof.
  printf '%s\n' "$token" > "$VCR_APPLY_TOKEN_FILE"
  chmod 640 "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=$token guard 1
  expect_not_ran
  # Nor a symlink to a good one.
  chmod 600 "$VCR_APPLY_TOKEN_FILE"
  mv "$VCR_APPLY_TOKEN_FILE" "$TMP/real-token"
  ln -s "$TMP/real-token" "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=$token guard 1
  expect_not_ran
  # Nor a file someone else owns.
  if [ "$(id -u)" -eq 0 ]; then
    rm "$VCR_APPLY_TOKEN_FILE"
    mv "$TMP/real-token" "$VCR_APPLY_TOKEN_FILE"
    VCR_APPLY_TOKEN=$token guard 0
    chown 65534 "$VCR_APPLY_TOKEN_FILE"
    VCR_APPLY_TOKEN=$token guard 1
    expect_not_ran
  fi
  check_calls
}

# The daemon on the private bus answers; the local comparison would say
# the opposite in each case, so the verdict shows who decided.
start_replica_daemon () {
  write_config replica
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/system_bus_socket"
  start_bus
  start_daemon
  settings replica
}

case_daemon_refuses () {
  start_replica_daemon
  same_paths
  sed 's/default-action "drop"/default-action "accept"/' "$TMP/config.boot" > "$VCR_FAKE_DIR/working/ALL"
  guard 1
  expect_not_ran
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "stdout: $OUT"
  [ -z "$ERR" ] || fail "stderr: $ERR"
  expect_exit 0 client history
  expect_contains "$OUT" "commit-refused"
  check_calls
}

case_daemon_allows () {
  start_replica_daemon
  same_paths
  path_text working "firewall name WAN" 'default-action accept'
  sed 's|192.168.0.1/24|192.168.0.2/24|' "$TMP/config.boot" > "$VCR_FAKE_DIR/working/ALL"
  guard 0
  expect_ran
  [ -z "$ERR" ] || fail "stderr: $ERR"
  check_calls
}

# showConfig prints values without escapes, config.boot with them: the
# guard parses the first and hands the daemon the second, so a value with
# a backslash and quotes that did not change is not a change. (A value
# holding a double quote cannot be read back from showConfig at all; see
# docs/vyos.md.)
case_daemon_quoting () {
  write_config replica
  sed -i "s|default-action \"drop\"|default-action \"drop\"\n        description \"a \\\\ b ' c\"|" "$TMP/config.boot"
  grep -qF "description \"a \\ b ' c\"" "$TMP/config.boot" || fail "test set-up: $(cat "$TMP/config.boot")"
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/system_bus_socket"
  start_bus
  start_daemon
  settings replica
  same_paths
  path_text working "firewall name WAN" 'changed'
  cp "$TMP/config.boot" "$VCR_FAKE_DIR/working/ALL"
  guard 0
  expect_ran
  sed -i "s|a \\\\ b ' c|a \\\\ b ' d|" "$VCR_FAKE_DIR/working/ALL"
  grep -qF "description \"a \\ b ' d\"" "$VCR_FAKE_DIR/working/ALL" || fail "test set-up: $(cat "$VCR_FAKE_DIR/working/ALL")"
  guard 1
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "stdout: $OUT"
}

"case_${1//-/_}"
check_calls
