#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The man pages: `man --warnings -l` renders each without a warning, and
# every option that the daemon's and the client's --help (and each
# command's --help) prints is in the page.
# Usage: test-man.sh DAEMON CLIENT PAGE.8 PAGE.1
set -uo pipefail
daemon=$1 client=$2 page8=$3 page1=$4
failed=0

for page in "$page8" "$page1"; do
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  if [ -n "$warnings" ]; then
    echo "FAIL: $page renders with warnings: $warnings"
    failed=1
  fi
done

# check_options PAGE HELP-TEXT: every --long option of the text is in PAGE.
check_options () {
  local page=$1 text=$2 rendered opt
  rendered=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g')
  for opt in $(grep -oE -- '--[a-z][a-z-]*' <<< "$text" | sort -u); do
    if ! grep -qE -- "${opt}([^A-Za-z0-9_-]|$)" <<< "$rendered"; then
      echo "FAIL: $opt (from --help) is not in $(basename "$page")"
      failed=1
    fi
  done
}

check_options "$page8" "$("$daemon" --help)"
help=$("$client" --help)
rendered1=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page1" 2>/dev/null | sed 's/.\x08//g')
for verb in $(sed -n '/^Commands:/,/^$/p' <<< "$help" | awk 'NR > 1 && NF { print $1 }'); do
  help+=$'\n'$("$client" "$verb" --help 2>&1)
  if ! grep -qE "^ +$verb( |$)" <<< "$rendered1"; then
    echo "FAIL: command $verb (from --help) has no entry in $(basename "$page1")"
    failed=1
  fi
done
for sub in show diff check; do
  help+=$'\n'$("$client" config "$sub" --help 2>&1)
done
check_options "$page1" "$help"

[ "$failed" = 0 ] && echo "ok: both pages render clean and name every option"
exit "$failed"
