#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The post-commit hook vyos/commit-post-hook with a stand-in client (it
# records its calls; `push` waits until the test releases it), the
# stand-in cli-shell-api and a logger that writes to a file:
# `test-post-hook.sh CASE`. Needs VCR_SOURCE_ROOT.
set -u
HOOK=$VCR_SOURCE_ROOT/vyos/commit-post-hook
TMP=$(mktemp -d /tmp/vcr-post-hook-test.XXXXXX)
trap 'touch "$TMP/release"; rm -rf "$TMP"' EXIT

fail () { echo "FAIL: $*" >&2; [ -f "$TMP/log" ] && cat "$TMP/log" >&2; exit 1; }

# Waits (bounded: ~10 s) until a command succeeds.
wait_for () {
  for _ in $(seq 1 100); do
    "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

export VCR_FAKE_DIR=$TMP/fake
export VCR_CLIENT=$TMP/client
export VCR_LOGGER=$TMP/logger
export VCR_CLI_SHELL_API=$VCR_SOURCE_ROOT/tests/vyos/fake-cli-shell-api
export VCR_HOOK_STATE_DIR=$TMP/hook-state
export VCR_HOOK_DONE_FILE=$TMP/done
mkdir -p "$VCR_FAKE_DIR/active" "$VCR_FAKE_DIR/working" "$VCR_HOOK_STATE_DIR"
echo primary > "$TMP/mode"

cat > "$VCR_CLIENT" <<EOT
#!/bin/sh
echo "\$*" >> "$TMP/calls"
case "\$*" in
  "--json status")
    printf '{"mode" : "%s", "replicated_paths" : ["firewall name WAN", "interfaces openvpn"]}\n' "\$(cat "$TMP/mode")" ;;
  push)
    touch "$TMP/push-started"
    for _ in \$(seq 1 200); do [ -e "$TMP/release" ] && break; sleep 0.05; done
    [ -e "$TMP/release" ] || exit 1
    echo "Secondary: applied, generation 3" ;;
  reload) ;;
esac
EOT
cat > "$VCR_LOGGER" <<EOT
#!/bin/sh
# logger -t TAG MESSAGE
echo "\$2: \$3" >> "$TMP/log"
EOT
chmod +x "$VCR_CLIENT" "$VCR_LOGGER"

hook () {
  rm -f "$TMP/done"
  COMMIT_STATUS=$1 /usr/bin/python3 "$HOOK" || fail "the hook failed"
}

log_has () { grep -qF "$1" "$TMP/log"; }

case_failure () {
  hook FAILURE
  COMMIT_STATUS= /usr/bin/python3 "$HOOK" || fail "the hook failed"
  [ ! -e "$TMP/calls" ] || fail "called the client: $(cat "$TMP/calls")"
}

# The hook returns while the push still runs; the result is logged.
case_success () {
  hook SUCCESS
  wait_for test -e "$TMP/push-started" || fail "no push"
  [ ! -e "$TMP/done" ] || fail "the push finished before it was released"
  [ ! -e "$TMP/log" ] || fail "logged before the push ended"
  touch "$TMP/release"
  wait_for test -e "$TMP/done" || fail "the hook's child did not end"
  log_has "vyos-config-replication: push after the commit: Secondary: applied, generation 3" \
    || fail "result not logged"
  [ "$(cat "$TMP/calls")" = "$(printf -- '--json status\npush')" ] || fail "calls: $(cat "$TMP/calls")"
}

case_replica () {
  echo replica > "$TMP/mode"
  hook SUCCESS
  wait_for test -e "$TMP/done" || fail "the hook's child did not end"
  [ "$(cat "$TMP/calls")" = "--json status" ] || fail "calls: $(cat "$TMP/calls")"
}

case_partial () {
  touch "$TMP/release"
  # Both replicated paths failed: their working subtrees are not active.
  printf 'default-action drop\n' > "$VCR_FAKE_DIR/active/firewall name WAN"
  printf 'default-action accept\n' > "$VCR_FAKE_DIR/working/firewall name WAN"
  printf 'openvpn vtun0\n' > "$VCR_FAKE_DIR/working/interfaces openvpn"
  # The committing user was inside `edit firewall`: paths are still read
  # from the top.
  export VYATTA_EDIT_LEVEL=/firewall/ VYATTA_TEMPLATE_LEVEL=/firewall/
  hook PARTIAL
  wait_for test -e "$TMP/done" || fail "the hook's child did not end"
  log_has "partial commit: no replicated path was committed, no push" || fail "pushed"
  grep -qx push "$TMP/calls" && fail "pushed: $(cat "$TMP/calls")"
  # One of them was committed: push.
  cp "$VCR_FAKE_DIR/working/interfaces openvpn" "$VCR_FAKE_DIR/active/"
  hook PARTIAL
  wait_for test -e "$TMP/done" || fail "the hook's child did not end"
  grep -qx push "$TMP/calls" || fail "no push: $(cat "$TMP/calls")"
  log_has "push after the commit: Secondary" || fail "not logged"
  if grep -v -- '-only --show-show-defaults -- showConfig [a-z]' "$VCR_FAKE_DIR/calls"; then
    fail "cli-shell-api called otherwise than with the path from the top (above)"
  fi
}

case_bounded () {
  VCR_PUSH_TIMEOUT=1 hook SUCCESS
  wait_for test -e "$TMP/done" || fail "the push was not cut short"
  log_has "push after the commit failed: no answer within 1 s" || fail "timeout not logged"
}

case_reload () {
  touch "$TMP/release" "$VCR_HOOK_STATE_DIR/reload-pending"
  hook SUCCESS
  wait_for test -e "$TMP/done" || fail "the hook's child did not end"
  [ "$(head -1 "$TMP/calls")" = reload ] || fail "calls: $(cat "$TMP/calls")"
  [ ! -e "$VCR_HOOK_STATE_DIR/reload-pending" ] || fail "marker not removed"
  log_has "reload after the commit: done" || fail "reload not logged"
  rm "$TMP/calls"
  hook SUCCESS
  wait_for test -e "$TMP/done" || fail "the hook's child did not end"
  grep -qx reload "$TMP/calls" && fail "reloaded without a marker"
  true
}

"case_${1//-/_}"
echo ok
