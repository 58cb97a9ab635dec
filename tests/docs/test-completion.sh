#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Drives the bash completion (completion/vyos-config-replication) as bash
# does, with COMP_WORDS / COMP_CWORD / COMP_LINE / COMP_POINT, through
# bash-completion's own helpers when installed, and checks COMPREPLY.
# Usage: test-completion.sh CLIENT COMPLETION-FILE
set -u
client=$1
[ -r /usr/share/bash-completion/bash_completion ] &&
  . /usr/share/bash-completion/bash_completion
# shellcheck source=../../completion/vyos-config-replication
. "$2"
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/router.boot" <<'CFG'
firewall {
    name LAN {
        default-action "accept"
    }
    name WAN {
        default-action "drop"
        rule 10 {
            action "accept"
        }
    }
}
interfaces {
    openvpn vtun0 {
        mode "site-to-site"
    }
}
CFG
mkdir "$tmp/dir" && touch "$tmp/dir/proposed.boot"

# complete WORD… : the words of a line whose last one is being completed.
complete_words () {
  COMP_WORDS=("$client" "$@")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _vyos_config_replication "$client" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

# expect DESCRIPTION WANTED… : every wanted reply is in COMPREPLY.
expect () {
  local what=$1 want got
  shift
  got=$(printf '[%s]\n' "${COMPREPLY[@]}")
  for want in "$@"; do
    if ! grep -qxF "[$want]" <<< "$got"; then
      echo "FAIL: $what: no [$want] in: $(tr '\n' ' ' <<< "$got")"
      failed=1
    fi
  done
}
# expect_not DESCRIPTION UNWANTED…
expect_not () {
  local what=$1 bad got
  shift
  got=$(printf '[%s]\n' "${COMPREPLY[@]}")
  for bad in "$@"; do
    if grep -qxF "[$bad]" <<< "$got"; then
      echo "FAIL: $what: [$bad] offered"
      failed=1
    fi
  done
}

complete_words ""
expect "commands" status is-managed check-commit push pull reload verify history monitor config --json --help
complete_words --json con
expect "after --json" config
complete_words config ""
expect "config commands" show diff check
complete_words config show --
expect "config show options" --path --format
complete_words config show --format j
expect "formats" json
complete_words history ""
expect "history" -n
complete_words push ""
expect "push" --dry-run
complete_words check-commit "$tmp/dir/pro"
expect "a FILE" "$tmp/dir/proposed.boot"
complete_words config show "$tmp/router.boot" --path '"fire'
expect "first path word, quoted" '"firewall '
complete_words config show "$tmp/router.boot" --path '"firewall name '
expect "tag values" '"firewall name LAN ' '"firewall name WAN '
complete_words config show "$tmp/router.boot" --path '"firewall name WAN rule 10 '
expect "under a tag" '"firewall name WAN rule 10 action '
complete_words config show "$tmp/router.boot" --path '"firewall name WAN rule 10 action '
[ ${#COMPREPLY[@]} -eq 0 ] || { echo "FAIL: a leaf's value offered as a path word: ${COMPREPLY[*]}"; failed=1; }
complete_words config show "$tmp/router.boot" --path 'firewall\ n'
expect "unquoted, spaces escaped" 'firewall\ name\ '
complete_words config diff "$tmp/router.boot" "$tmp/router.boot" --path '"int'
expect "config diff --path" '"interfaces '
complete_words config show --path '"fire'
expect_not "no FILE on the line: nothing to read" '"firewall '

[ "$failed" = 0 ] && echo "ok: every completion as expected"
exit "$failed"
