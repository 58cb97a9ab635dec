#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The conf-mode script vyos/conf_mode/high-availability_config-replication.py
# with a stand-in `vyos` package (tests/vyos/python) and a recording
# systemctl: `test-conf-mode.sh CASE`. Needs VCR_CLIENT, VCR_SOURCE_ROOT.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$VCR_SOURCE_ROOT/vyos/conf_mode/high-availability_config-replication.py
TMP=$(mktemp -d /tmp/vcr-conf-mode-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail () { echo "FAIL: $*" >&2; exit 1; }

export PYTHONPATH=$HERE/python
export VCR_TEST_CONFIG=$TMP/config.json
export VCR_RUN_DIR=$TMP/run/vyos-config-replication
export VCR_HOOK_STATE_DIR=$TMP/run/vyos-config-replication-hook
export VCR_POST_HOOKS_DIR=$TMP/run/scripts/commit/post-hooks.d
export VCR_POST_HOOK=/usr/libexec/vyos-config-replication/commit-post-hook
export VCR_CFG_TEMPLATES=$TMP/templates
export VCR_SYSTEMCTL=$TMP/systemctl
mkdir -p "$VCR_CFG_TEMPLATES/firewall/ipv4/name/node.tag" "$VCR_CFG_TEMPLATES/interfaces/openvpn/node.tag"
cat > "$VCR_SYSTEMCTL" <<EOT
#!/bin/sh
echo "\$*" >> "$TMP/systemctl.calls"
[ "\$1" = is-active ] && exit \$(cat "$TMP/active" 2>/dev/null || echo 3)
exit 0
EOT
chmod +x "$VCR_SYSTEMCTL"

# The words of a text, however it is wrapped.
words () { printf '%s' "$1" | tr -s '[:space:]' ' ' | sed 's/^ //; s/ $//'; }

# config JSON: the proposed config.
config () { printf '%s\n' "$1" > "$VCR_TEST_CONFIG"; }

run () {
  rm -f "$TMP/systemctl.calls"
  OUT=$(/usr/bin/python3 "$SCRIPT" 2> "$TMP/stderr")
  RC=$?
  ERR=$(cat "$TMP/stderr")
}

PRIMARY='{"high-availability": {"config-replication": {
  "authentication": {"pre-shared-secret": "0123456789ab\"cd\\\\ef"},
  "mode": "primary", "port": "7790",
  "replica": {"Secondary": {"address": "192.0.2.2", "port": "7791"}},
  "replicate": {"path": ["firewall ipv4 name WAN", "interfaces openvpn"]}}}}'

case_primary () {
  config "$PRIMARY"
  run
  [ "$RC" -eq 0 ] || fail "exit $RC: $OUT $ERR"
  [ -z "$ERR" ] || fail "stderr: $ERR"
  [ "$(stat -c %a "$VCR_RUN_DIR")" = 700 ] || fail "run dir mode"
  [ "$(stat -c %a "$VCR_RUN_DIR/settings.boot")" = 600 ] || fail "settings mode"
  "$VCR_CLIENT" config check "$VCR_RUN_DIR/settings.boot" > /dev/null \
    || fail "the written settings do not pass config check: $(cat "$VCR_RUN_DIR/settings.boot")"
  "$VCR_CLIENT" config show "$VCR_RUN_DIR/settings.boot" --format json > "$TMP/back.json"
  /usr/bin/python3 - "$VCR_TEST_CONFIG" "$TMP/back.json" <<'EOT' || fail "settings.boot is not the proposed node"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a == b, (a, b)
EOT
  [ "$(readlink "$VCR_POST_HOOKS_DIR/50-vyos-config-replication")" = "$VCR_POST_HOOK" ] \
    || fail "post-commit hook not linked"
  [ -e "$VCR_HOOK_STATE_DIR/reload-pending" ] || fail "no reload-pending marker"
  [ "$(stat -c %a "$VCR_HOOK_STATE_DIR")" = 770 ] || fail "hook state dir mode"
  [ "$(cat "$TMP/systemctl.calls")" = "$(printf 'is-active --quiet vyos-config-replicationd.service\nenable --now vyos-config-replicationd.service')" ] \
    || fail "systemctl: $(cat "$TMP/systemctl.calls")"
  # Running already: reloaded.
  echo 0 > "$TMP/active"
  run
  [ "$(cat "$TMP/systemctl.calls")" = "$(printf 'is-active --quiet vyos-config-replicationd.service\nreload vyos-config-replicationd.service')" ] \
    || fail "systemctl: $(cat "$TMP/systemctl.calls")"
}

case_deleted () {
  config "$PRIMARY"
  run
  config '{"high-availability": {"vrrp": {}}}'
  run
  [ "$RC" -eq 0 ] || fail "exit $RC: $OUT $ERR"
  [ ! -e "$VCR_POST_HOOKS_DIR/50-vyos-config-replication" ] || fail "hook still linked"
  [ ! -e "$VCR_RUN_DIR/settings.boot" ] || fail "settings still there"
  [ ! -e "$VCR_HOOK_STATE_DIR/reload-pending" ] || fail "reload marker still there"
  [ "$(cat "$TMP/systemctl.calls")" = "disable --now vyos-config-replicationd.service" ] \
    || fail "systemctl: $(cat "$TMP/systemctl.calls")"
}

# Every refusal is config check's own message, the file name left out.
case_refused () {
  for bad in \
    '{"high-availability": {"config-replication": {"mode": "primary", "authentication": {"pre-shared-secret": "0123456789abcdef"}, "replica": {"A": {"address": "192.0.2.2"}}}}}' \
    '{"high-availability": {"config-replication": {"mode": "replica", "authentication": {"pre-shared-secret": "0123456789abcdef"}, "replicate": {"path": "firewall ipv4 name WAN"}}}}' \
    '{"high-availability": {"config-replication": {"mode": "primary", "authentication": {"pre-shared-secret": "0123456789abcdef"}, "replica": {"A": {"address": "192.0.2.2"}}, "replicate": {"path": ["firewall", "firewall ipv4"]}}}}' \
    '{"high-availability": {"config-replication": {"mode": "primary", "replica": {"A": {"address": "192.0.2.2"}}, "replicate": {"path": "firewall"}}}}'; do
    config "$bad"
    run
    [ "$RC" -eq 1 ] || fail "accepted: $bad"
    [ ! -e "$TMP/systemctl.calls" ] || fail "applied after a refusal"
    [ -n "$OUT" ] || fail "no message for $bad"
    case $OUT in *"$TMP"*|*vcr-settings-*) fail "message names the temporary file: $OUT" ;; esac
    # What config check says about the same settings, as a file.
    expect=$(/usr/bin/python3 - "$SCRIPT" <<'EOT'
import importlib.util, sys
spec = importlib.util.spec_from_file_location('cm', sys.argv[1])
cm = importlib.util.module_from_spec(spec); spec.loader.exec_module(cm)
print(cm.get_config()['text'], end='')
EOT
)
    printf '%s' "$expect" > "$TMP/same.boot"
    want=$("$VCR_CLIENT" config check "$TMP/same.boot" 2>&1 | sed "s|$TMP/same.boot: ||")
    # Exactly (VyOS's ConfigError would wrap it at 72 columns and break
    # "high-availability" in two; the script prints the message itself).
    [ "$OUT" = "$want" ] || fail "message \"$OUT\", config check says \"$want\""
  done
}

# allow-protocol-v1 (valueless, `{}` in VyOS's JSON form) reaches the
# settings the daemon reads, passes config check, and is warned about.
case_allow_v1 () {
  local with='"mode": "primary", "allow-protocol-v1": {},'
  config "${PRIMARY/\"mode\": \"primary\",/$with}"
  grep -q allow-protocol-v1 "$VCR_TEST_CONFIG" || fail "test set-up: $(cat "$VCR_TEST_CONFIG")"
  run
  [ "$RC" -eq 0 ] || fail "exit $RC: $OUT $ERR"
  grep -qx '        allow-protocol-v1' "$VCR_RUN_DIR/settings.boot" ||
    fail "settings.boot: $(cat "$VCR_RUN_DIR/settings.boot")"
  "$VCR_CLIENT" config check "$VCR_RUN_DIR/settings.boot" > /dev/null \
    || fail "the written settings do not pass config check"
  case $(words "$OUT") in
    *'WARNING: allow-protocol-v1 is set'*'clear text'*) ;;
    *) fail "no warning: $OUT" ;;
  esac
  config "$PRIMARY"
  run
  case $OUT in *allow-protocol-v1*) fail "warned without the setting: $OUT" ;; esac
  grep -q allow-protocol-v1 "$VCR_RUN_DIR/settings.boot" && fail "still in settings.boot"
  return 0
}
case_warn_path () {
  config "${PRIMARY/firewall ipv4 name WAN/firewall name WAN}"
  run
  [ "$RC" -eq 0 ] || fail "exit $RC: $OUT $ERR"
  # vyos.base.Warning prints on stdout, wrapped.
  case $(words "$OUT") in
    *'WARNING: Replicate path "firewall name WAN" names no node this VyOS defines'*) ;;
    *) fail "no warning: $OUT" ;;
  esac
  case $OUT in *openvpn*) fail "warned about a defined path: $OUT" ;; esac
}

# Exclusions and per-replica overrides reach settings.boot as they are;
# one outside the replicate paths is refused with config check's message.
case_excludes () {
  local good='{"high-availability": {"config-replication": {
  "authentication": {"pre-shared-secret": "0123456789abcdef0123"},
  "mode": "primary",
  "replica": {"r1": {"address": "192.0.2.2",
                     "override": {"interfaces openvpn vtun0 remote-host": {"value": ["203.0.113.8", "203.0.113.9"]},
                                  "firewall ipv4 name WAN default-action": {"value": "reject"}}}},
  "replicate": {"path": ["firewall ipv4 name WAN", "interfaces openvpn"],
                "exclude": ["interfaces openvpn vtun0 local-host", "firewall ipv4 name WAN rule 10 description"]}}}}'
  config "$good"
  run
  [ "$RC" -eq 0 ] || fail "exit $RC: $OUT $ERR"
  "$VCR_CLIENT" config check "$VCR_RUN_DIR/settings.boot" > /dev/null \
    || fail "the written settings do not pass config check: $(cat "$VCR_RUN_DIR/settings.boot")"
  "$VCR_CLIENT" config show "$VCR_RUN_DIR/settings.boot" --format json > "$TMP/back.json"
  /usr/bin/python3 - "$VCR_TEST_CONFIG" "$TMP/back.json" <<'EOT' || fail "settings.boot is not the proposed node: $(cat "$VCR_RUN_DIR/settings.boot")"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a == b, (a, b)
EOT
  config "${good/interfaces openvpn vtun0 local-host/system host-name}"
  run
  [ "$RC" -eq 1 ] || fail "an exclusion outside the paths was accepted"
  [ "$OUT" = 'Invalid config-replication settings: exclusion "system host-name" does not lie under a replicate path (an exclusion names a part of one)' ] ||
    fail "message: $OUT"
  [ ! -e "$TMP/systemctl.calls" ] || fail "applied after a refusal"
  config "${good/interfaces openvpn vtun0 remote-host/interfaces openvpn vtun0 local-host}"
  run
  [ "$RC" -eq 1 ] || fail "an override of an excluded leaf was accepted"
  case $OUT in *'lies under exclusion "interfaces openvpn vtun0 local-host"'*) ;; *) fail "message: $OUT" ;; esac
}

"case_${1//-/_}"
echo ok
