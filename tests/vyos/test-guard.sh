#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The commit guard (guard/), one branch per case: `test-guard.sh CASE`.
# VyOS's tools are stand-ins: fake-cli-shell-api behaves as VyOS's
# showConfig does (exit codes, edit level, --show-ignore-edit) and prints
# the files under $VCR_FAKE_DIR/{active,working}; fake-my-cli-bin records
# the argv it was exec'd with. Most cases run the test build of the guard
# (locations from VCR_*); `installed` runs the installed build in a mount
# namespace laid out like a VyOS router and shows that the environment
# does not redirect it. The daemon cases use the bus tests' private bus and
# daemon (tests/bus/harness.sh).
#
# Needs from meson: VCR_GUARD (test build), VCR_GUARD_INSTALLED, VCR_FAKE_API,
# VCR_FAKE_BIN, and harness.sh's VCR_DAEMON, VCR_CLIENT, VCR_SOURCE_ROOT.

# The installed guard's side of case `installed`, inside the namespace.
if [ "${1:-}" = installed-inner ]; then
  shift
  . "$(dirname "$0")/guard-namespace.sh"
  exit $?
fi

# shellcheck source=../bus/harness.sh
. "$VCR_SOURCE_ROOT/tests/bus/harness.sh"

REFUSAL_WAN='Error: path "firewall name WAN" is managed by config replication and must not be modified locally.'
REFUSAL_OVPN='Error: path "interfaces openvpn" is managed by config replication and must not be modified locally.'

export VCR_FAKE_DIR=$TMP/fake
export VCR_CLI_SHELL_API=$VCR_FAKE_API
export VCR_MY_CLI_BIN=$VCR_FAKE_BIN
export VCR_BOOT_DONE_FILE=$TMP/vyos-config-status
export VCR_APPLY_TOKEN_FILE=$TMP/run/apply-token
# No bus unless a case starts one.
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/no-bus-here"
unset VCR_APPLY_TOKEN VYATTA_EDIT_LEVEL VYATTA_TEMPLATE_LEVEL VYATTA_ACTIVE_CONFIGURATION_DIR
mkdir -p "$VCR_FAKE_DIR/active" "$VCR_FAKE_DIR/working"
mkdir -m 700 "$TMP/run"
touch "$VCR_BOOT_DONE_FILE"

# settings MODE [FOLDER]: the active `high-availability config-replication`
# node as showConfig prints it with those words.
settings () {
  cat > "${2:-$VCR_FAKE_DIR/active}/high-availability config-replication" <<EOT
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
SETTINGS_FILE="$VCR_FAKE_DIR/active/high-availability config-replication"

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
  rm -f "$VCR_FAKE_DIR/ran" "$VCR_FAKE_DIR/ran-token"
  expect_exit "$1" "$VCR_GUARD" arg1 "two words"
}

expect_ran () {
  [ -f "$VCR_FAKE_DIR/ran" ] || fail "my_cli_bin was not run; stdout: $OUT; stderr: $ERR"
  local want
  want=$(printf 'my_commit\narg1\ntwo words')
  [ "$(cat "$VCR_FAKE_DIR/ran")" = "$want" ] || fail "my_cli_bin ran with: $(cat "$VCR_FAKE_DIR/ran")"
}

expect_not_ran () {
  [ ! -e "$VCR_FAKE_DIR/ran" ] || fail "my_cli_bin was run: $(cat "$VCR_FAKE_DIR/ran")"
}

# Refused for a reason other than a changed path: exit 1, nothing run, one
# line on stdout that says why.
expect_cannot_check () {
  expect_not_ran
  case $OUT in
    "Error: config replication cannot check this commit ("*"$1"*"); the commit is refused.") ;;
    *) fail "stdout: $OUT" ;;
  esac
}

# Every configuration read is `showConfig` with the allowed flags, and no
# read with path words uses --show-ignore-edit (VyOS ignores the words then).
check_calls () {
  [ -f "$VCR_FAKE_DIR/calls" ] || return 0
  if grep -Ev '^--show-(active|working)-only( --show-show-defaults)?( --show-ignore-edit)? -- showConfig( .*)?$' \
       "$VCR_FAKE_DIR/calls"; then
    fail "cli-shell-api called otherwise than as allowed (above)"
  fi
  if grep -E -- '--show-ignore-edit -- showConfig .' "$VCR_FAKE_DIR/calls"; then
    fail "path words read with --show-ignore-edit (above)"
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
  # No config-replication node at all (showConfig: "empty", exit 3).
  guard 0
  expect_ran
  settings primary
  guard 0
  expect_ran
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
  # Deleting a replicated subtree (showConfig: "empty") is a change.
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

# With the daemon down, a replicate path with a `replicate exclude` under
# it is compared on the whole active and working configs with the
# exclusion left out: a change of the excluded leaf passes, one of its
# sibling is refused; when the active config cannot be read, the path is
# compared as bytes again (strict).
case_exclude_unreachable () {
  local ovpn active_all
  settings replica
  sed -i 's|^    path "interfaces openvpn"|&\n    exclude "interfaces openvpn vtun0 local-host"|' "$SETTINGS_FILE"
  grep -q exclude "$SETTINGS_FILE" || fail "test set-up: no exclusion"
  same_paths
  ovpn='openvpn vtun0 {
    local-host 10.0.0.2
    mode site-to-site
}'
  active_all="firewall {
    name WAN {
        default-action drop
    }
}
interfaces {
    $ovpn
}"
  path_text active "interfaces openvpn" "$ovpn"
  path_text active ALL "$active_all"
  path_text working "interfaces openvpn" "${ovpn/10.0.0.2/10.0.0.22}"
  path_text working ALL "${active_all/10.0.0.2/10.0.0.22}"
  guard 0
  expect_ran
  expect_contains "$ERR" "comparing the replicated paths here"
  # the sibling
  path_text working "interfaces openvpn" "${ovpn/site-to-site/server}"
  path_text working ALL "${active_all/site-to-site/server}"
  guard 1
  expect_not_ran
  [ "$OUT" = "$REFUSAL_OVPN" ] || fail "stdout: $OUT"
  # the excluded leaf again, but the active config cannot be read
  path_text working "interfaces openvpn" "${ovpn/10.0.0.2/10.0.0.22}"
  path_text working ALL "${active_all/10.0.0.2/10.0.0.22}"
  touch "$VCR_FAKE_DIR/active/ALL.fail"
  guard 1
  [ "$OUT" = "$REFUSAL_OVPN" ] || fail "stdout: $OUT"
  expect_contains "$ERR" "cannot read the active config"
  rm "$VCR_FAKE_DIR/active/ALL.fail"
  # without the exclusion the same change is refused
  settings replica
  guard 1
  [ "$OUT" = "$REFUSAL_OVPN" ] || fail "stdout: $OUT"
  check_calls
}

# Committing from inside `edit firewall`: the guard's reads must not be
# relative to the user's edit level.
case_edit_level () {
  settings replica
  same_paths
  path_text working "firewall name WAN" 'default-action accept'
  VYATTA_EDIT_LEVEL=/firewall/ VYATTA_TEMPLATE_LEVEL=/firewall/ guard 1
  expect_not_ran
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "stdout: $OUT"
  check_calls
}

# A user's own "active config" folder does not make the router a primary.
case_active_root () {
  mkdir -p "$TMP/mine"
  settings primary "$TMP/mine"
  settings replica
  same_paths
  path_text working "firewall name WAN" 'default-action accept'
  VYATTA_ACTIVE_CONFIGURATION_DIR=$TMP/mine guard 1
  expect_not_ran
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "stdout: $OUT"
}

# cli-shell-api failing, hanging, printing too much or garbage for the
# settings: fail closed (no daemon to ask).
case_show_fails () {
  settings replica
  same_paths
  touch "$SETTINGS_FILE.fail"
  guard 1
  expect_cannot_check "cannot read the active settings: cli-shell-api: it exited with status 1"
  rm "$SETTINGS_FILE.fail"
  touch "$SETTINGS_FILE.hang"
  VCR_GUARD_SHOW_TIMEOUT_MS=1000 guard 1
  expect_cannot_check "no answer within 1000 ms"
  rm "$SETTINGS_FILE.hang"
  touch "$SETTINGS_FILE.huge"
  guard 1
  expect_cannot_check "more than 64 MiB of output"
  rm "$SETTINGS_FILE.huge"
  printf 'mode replica\n}}} {\n' > "$SETTINGS_FILE"
  guard 1
  expect_cannot_check "active config-replication settings:"
  # Settings of a replica that the daemon would refuse.
  printf 'mode replica\n' > "$SETTINGS_FILE"
  guard 1
  expect_cannot_check "the active settings are not valid"
  # A replicated path that cannot be read counts as changed; the other one
  # is still compared.
  settings replica
  touch "$VCR_FAKE_DIR/working/interfaces openvpn.fail"
  guard 1
  [ "$OUT" = "$REFUSAL_OVPN" ] || fail "stdout: $OUT"
  expect_contains "$ERR" 'cannot read "interfaces openvpn" (cli-shell-api: it exited with status 1); counted as changed'
  check_calls
}

# With the settings unreadable, the daemon (it knows its settings) decides.
case_show_fails_daemon () {
  start_replica_daemon
  touch "$SETTINGS_FILE.fail"
  cp "$TMP/config.boot" "$VCR_FAKE_DIR/working/ALL"
  guard 0
  expect_ran
  sed 's/default-action "drop"/default-action "accept"/' "$TMP/config.boot" > "$VCR_FAKE_DIR/working/ALL"
  guard 1
  [ "$OUT" = "$REFUSAL_WAN" ] || fail "stdout: $OUT"
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
  # my_cli_bin (and what it starts) does not get the token.
  [ "$(cat "$VCR_FAKE_DIR/ran-token")" = unset ] || fail "my_cli_bin got the token"
  [ ! -e "$VCR_FAKE_DIR/calls" ] || fail "the daemon's own commit read the config"
  # Wrong token, short token, no token.
  VCR_APPLY_TOKEN=${token%f}0 guard 1
  expect_not_ran
  printf 'short\n' > "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=short guard 1
  guard 1
  # A file others may read is no proof.
  printf '%s\n' "$token" > "$VCR_APPLY_TOKEN_FILE"
  chmod 640 "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=$token guard 1
  expect_not_ran
  chmod 600 "$VCR_APPLY_TOKEN_FILE"
  # Nor one in a folder others may write to.
  chmod 770 "$TMP/run"
  VCR_APPLY_TOKEN=$token guard 1
  expect_not_ran
  chmod 700 "$TMP/run"
  # Nor a symlink to a good one.
  mv "$VCR_APPLY_TOKEN_FILE" "$TMP/run/real-token"
  ln -s "$TMP/run/real-token" "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=$token guard 1
  expect_not_ran
  rm "$VCR_APPLY_TOKEN_FILE"
  mv "$TMP/run/real-token" "$VCR_APPLY_TOKEN_FILE"
  VCR_APPLY_TOKEN=$token guard 0
  if [ "$(id -u)" -eq 0 ]; then
    # A caller who is not root cannot read the file: even the right token
    # does not pass.
    chmod -R a+rX "$VCR_FAKE_DIR" && chmod a+rwx "$VCR_FAKE_DIR"
    rm -f "$VCR_FAKE_DIR/ran" "$VCR_FAKE_DIR/calls"
    OUT=$(VCR_APPLY_TOKEN=$token as_nobody "$VCR_GUARD" arg1 "two words" 2> "$TMP/stderr")
    [ $? -eq 1 ] || fail "a caller who is not root passed with the token: $OUT"
    expect_not_ran
    # Nor a file someone else owns.
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

# The installed guard ignores every redirecting variable: run in a mount
# namespace where VyOS's paths hold the stand-ins (guard-namespace.sh).
case_installed () {
  [ "$(id -u)" -eq 0 ] || skip "mount namespaces need root"
  start_replica_daemon
  same_paths
  path_text working "firewall name WAN" 'default-action accept'
  sed 's|192.168.0.1/24|192.168.0.2/24|' "$TMP/config.boot" > "$VCR_FAKE_DIR/working/ALL"
  # A stand-in that says "primary" to everything, and a token of the user's.
  printf '#!/bin/sh\necho "mode primary"\n' > "$TMP/says-primary"
  chmod 755 "$TMP/says-primary"
  mkdir -m 700 "$TMP/mine"
  printf '%s\n' 0123456789abcdef0123456789abcdef > "$TMP/mine/apply-token"
  chmod 600 "$TMP/mine/apply-token"
  export TMP REFUSAL_WAN
  unshare --mount --propagation private "$BASH" "$0" installed-inner \
    || fail "the installed guard (above)"
}

"case_${1//-/_}"
check_calls
