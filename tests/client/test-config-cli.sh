#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The client's offline verbs (`config show|diff|check`) and its global
# options, run as a user would: exit codes and output of SPEC §6. One case
# per meson test: test-config-cli.sh CLIENT DATA_DIR CASE.
set -u

CLIENT=$1
DATA=$2
CASE=$3
CONFIGS=$DATA/vyos-configs/configs
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail () {
  echo "FAIL: $*"
  echo "--- stdout"; cat "$TMP/out" 2>/dev/null
  echo "--- stderr"; cat "$TMP/err" 2>/dev/null
  exit 1
}

# run EXPECTED_EXIT ARGS…: runs the client, output in $TMP/out and $TMP/err.
run () {
  want=$1
  shift
  "$CLIENT" "$@" >"$TMP/out" 2>"$TMP/err"
  got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}

out_has () { grep -qF -- "$1" "$TMP/out" || fail "stdout lacks '$1'"; }
err_has () { grep -qF -- "$1" "$TMP/err" || fail "stderr lacks '$1'"; }

settings () {
  # settings MODE_LINES: a config.boot with config-replication settings.
  cat > "$TMP/settings.boot" <<EOT
high-availability {
    config-replication {
$1
    }
}
system {
    host-name r1
}
// Warning: Do not remove the following line.
// vyos-config-version: "system@27"
EOT
}

GOOD_PRIMARY='        authentication {
            pre-shared-secret "0123456789abcdef0123"
        }
        mode primary
        replica Secondary {
            address 192.0.2.2
        }
        replicate {
            path "firewall name WAN"
            path "interfaces openvpn"
        }'

is_json () {
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out" ||
    fail "stdout is not JSON"
}

case $CASE in
help)
  run 0 --help; out_has "Usage: vyos-config-replication"; out_has "config"
  run 0 config --help; out_has "config show"
  run 0 config show --help; out_has "--format"
  run 0 config diff --help; out_has "--path"
  run 0 config check --help; out_has "FILE"
  # every command named by --help answers COMMAND --help
  for verb in status is-managed check-commit push pull reload verify history monitor; do
    run 0 "$verb" --help; out_has "Usage: vyos-config-replication [--json] $verb"
  done
  ;;
version)
  run 0 --version; out_has "vyos-config-replication "
  ;;
usage)
  run 2
  run 2 frobnicate; err_has 'Unknown command "frobnicate"'
  run 2 --frobnicate
  run 2 config
  run 2 config frobnicate
  run 2 config show
  run 2 config show a b
  run 2 config show --format xml "$CONFIGS/basic-vyos"; err_has 'Unknown format "xml"'
  run 2 config show --path "  " "$CONFIGS/basic-vyos"
  run 2 config show --nope "$CONFIGS/basic-vyos"
  run 2 config show --path interfaces ethernet "$CONFIGS/basic-vyos"; err_has "as one argument"
  run 2 config diff "$CONFIGS/basic-vyos"
  run 2 config check
  ;;
show-expected)
  # Every real config renders as VyOS's own parser does, without footer.
  n=0
  for f in "$CONFIGS"/*.expected.boot; do
    base=${f%.expected.boot}
    run 0 config show "$base"
    cmp -s "$TMP/out" "$f" || fail "boot rendering of $base differs"
    run 0 config show --format json "$base"
    cmp -s "$TMP/out" "$base.expected.json" || fail "json rendering of $base differs"
    n=$((n + 1))
  done
  [ "$n" -gt 20 ] || fail "only $n configs"
  ;;
show-path)
  run 0 config show --path "interfaces ethernet eth0" "$CONFIGS/basic-vyos"
  head -n 2 "$TMP/out" | tr '\n' '|' | grep -qF 'interfaces {|    ethernet eth0 {|' ||
    fail "snapshot text does not start with its ancestors"
  grep -q "system" "$TMP/out" && fail "snapshot holds more than its path"
  run 0 config show --path "interfaces ethernet eth0" --format commands "$CONFIGS/basic-vyos"
  out_has "set interfaces ethernet eth0 address '192.168.0.1/24'"
  run 0 config show --path "no such path" "$CONFIGS/basic-vyos"
  [ -s "$TMP/out" ] && fail "absent path printed something"
  run 0 --json config show --format commands "$CONFIGS/basic-vyos"
  is_json
  ;;
show-bad-input)
  run 4 config show "$TMP/missing.boot"; err_has "missing.boot"
  printf 'interfaces {\n    ethernet eth0 {\n' > "$TMP/bad.boot"
  run 4 config show "$TMP/bad.boot"; err_has "$TMP/bad.boot:3:1:"
  run 4 config diff "$CONFIGS/basic-vyos" "$TMP/bad.boot"; err_has "$TMP/bad.boot:3:1:"
  run 4 config check "$TMP/bad.boot"
  ;;
diff)
  run 0 config diff "$CONFIGS/basic-vyos" "$CONFIGS/basic-vyos"
  [ -s "$TMP/out" ] && fail "equal configs gave output"
  run 1 config diff "$CONFIGS/basic-vyos" "$CONFIGS/nat-basic"
  grep -qvE "^(delete|set|comment) " "$TMP/out" && fail "a line is not a command"
  run 0 config diff --path "interfaces loopback" "$CONFIGS/basic-vyos" "$CONFIGS/nat-basic"
  run 1 --json config diff "$CONFIGS/basic-vyos" "$CONFIGS/nat-basic"
  is_json; out_has '"equal" : false'
  run 0 config diff --json "$CONFIGS/basic-vyos" "$CONFIGS/basic-vyos"
  is_json; out_has '"equal" : true'
  ;;
check)
  run 0 config check "$CONFIGS/basic-vyos"; out_has "not configured"
  settings "$GOOD_PRIMARY"
  run 0 config check "$TMP/settings.boot"; out_has "Settings are valid"
  out_has "Replicate path: firewall name WAN"; out_has "Replica: Secondary port 7790"
  run 0 --json config check "$TMP/settings.boot"; is_json; out_has '"valid" : true'
  settings "$(echo "$GOOD_PRIMARY" | sed 's/0123456789abcdef0123/qwerty/')"
  run 0 config check "$TMP/settings.boot"; out_has "Warning: authentication pre-shared-secret is shorter"
  grep -q qwerty "$TMP/out" "$TMP/err" && fail "the secret was printed"
  settings "$(echo "$GOOD_PRIMARY" | sed 's/mode primary/mode master/')"
  run 1 config check "$TMP/settings.boot"; out_has 'mode "master" is unknown'
  run 1 --json config check "$TMP/settings.boot"; is_json; out_has '"valid" : false'
  settings "$(echo "$GOOD_PRIMARY" | sed 's/192.0.2.2/192.0.2.300/')"
  run 1 config check "$TMP/settings.boot"; out_has '"192.0.2.300"'
  ;;
*)
  echo "unknown case $CASE"
  exit 2
  ;;
esac
echo "PASS: $CASE"
