#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The shipped node.def trees are exactly what VyOS's own pipeline makes of
# the CLI definitions, minus the empty parents VyOS owns (and only those:
# a node of ours left without help would be dropped too, and be missing on
# the router); and the definitions use only validators VyOS ships.
# Usage: test-templates.sh config|op SRC_DIR SHIPPED_DIR VYOS1X_DIR
#        test-templates.sh regenerate SOURCE_ROOT VYOS1X_DIR   (rewrites both trees)
set -u
fail () { echo "FAIL: $*" >&2; exit 1; }

# The parents VyOS defines (vyos-1x interface-definitions/high-availability.xml.in;
# op mode: show, force, restart, monitor): their empty node.def is not ours
# to ship. vyos-1x has no op-mode `high-availability` under any of them.
owned () {
  case $1 in
    config) echo high-availability/node.def ;;
    op) printf '%s/node.def\n' force monitor restart show ;;
  esac
}

# generate KIND SRC OUT: the pipeline, then the empty parents dropped.
generate () {
  "$vyos1x/build-templates" "$1" "$2" "$3" 2> "$tmp/build.log" \
    || { cat "$tmp/build.log" >&2; fail "VyOS's build-templates refused $2"; }
  (cd "$3" && find . -name node.def -type f -empty | sed 's|^\./||' | sort) > "$tmp/dropped"
  owned "$1" | sort | diff - "$tmp/dropped" >&2 \
    || fail "empty node.def files other than VyOS's own parents (> above): give those nodes a <help>"
  find "$3" -name node.def -type f -empty -delete
  find "$3" -depth -type d -empty -delete
}

tmp=$(mktemp -d /tmp/vcr-templates-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ "$1" = regenerate ]; then
  root=$2 vyos1x=$3
  for kind in config:interface-definitions:templates-cfg op:op-mode-definitions:templates-op; do
    k=${kind%%:*} rest=${kind#*:}
    rm -rf "$root/vyos/${rest#*:}"
    generate "$k" "$root/vyos/${rest%%:*}" "$root/vyos/${rest#*:}"
  done
  exit 0
fi

kind=$1 src=$2 shipped=$3 vyos1x=$4
[ -x "$vyos1x/build-templates" ] || fail "no VyOS build tools at $vyos1x"
[ -d "$shipped" ] || fail "no shipped tree $shipped"

# Validators: only what vyos-1x ships, plus vyos-utils' numeric.
for f in "$src"/*.xml.in; do
  grep -o '<validator name="[^"]*"' "$f" | sed 's/.*name="//; s/"$//'
done | sort -u > "$tmp/used"
{ cat "$vyos1x/validators.txt"; echo numeric; } | sort -u > "$tmp/allowed"
bad=$(comm -23 "$tmp/used" "$tmp/allowed")
[ -z "$bad" ] || fail "validators VyOS does not ship: $bad"

generate "$kind" "$src" "$tmp/out"
diff -r "$tmp/out" "$shipped" || fail "$shipped differs from what VyOS's pipeline makes of $src (run: tests/vyos/test-templates.sh regenerate . ../shared/vyos-1x)"
[ -n "$(find "$shipped" -name node.def -empty)" ] && fail "$shipped ships an empty parent node.def"
echo ok
