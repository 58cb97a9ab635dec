# SPDX-License-Identifier: GPL-2.0-or-later
#
# Helpers of test-package.sh (sourced): the scratch root the .debs are
# unpacked into, and the one question asked of every path a packaged file
# names: is it there, and can it run? A path is looked up first in the
# scratch root (symlinks followed inside it); a path the packages do not
# ship must be on this host, in a package that is Essential or that the
# packages depend on, since that is all an installation can count on.
# Needs: $root, $tmp, and fail() from the caller.

# in_root PATH: prints the file PATH is inside $root, symlinks (absolute
# or relative) followed within $root; fails when it is not there.
in_root () {
  local path=$1 hops=0 target
  while [ -L "$root$path" ]; do
    hops=$((hops + 1))
    [ $hops -le 16 ] || return 1
    target=$(readlink "$root$path")
    case $target in
      /*) path=$target ;;
      *) path=$(dirname "$path")/$target ;;
    esac
  done
  [ -e "$root$path" ] || return 1
  echo "$root$path"
}

# The names in a Depends/Recommends field, without versions, architectures
# or build profiles; alternatives each count.
dep_names () {
  tr ',|' '\n\n' | sed -e 's/[[:space:]]*(.*//' -e 's/:.*//' -e 's/^[[:space:]]*//' \
    -e 's/[[:space:]]*$//' | grep -v '^$'
}

# The packages an installation of the unpacked ones can count on: the
# Essential ones and everything the .debs depend on (read once).
load_known_packages () {
  dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" { print $1 }' > "$tmp/known"
  local deb
  for deb in "${debs[@]}"; do
    dpkg-deb -f "$deb" Depends | dep_names >> "$tmp/known"
    dpkg-deb -f "$deb" Package >> "$tmp/known"
  done
  sort -u -o "$tmp/known" "$tmp/known"
}

# check_path WHO PATH [exec]: PATH, named by WHO, exists in the packages
# or on the host from a package they can count on; with "exec" it must be
# an executable file (after symlinks).
check_path () {
  local who=$1 path=$2 mode=${3:-} file owner
  case $path in
    /*) ;;
    *) fail "$who names \"$path\", not an absolute path"; return ;;
  esac
  if file=$(in_root "$path"); then
    if [ "$mode" = exec ] && { [ ! -f "$file" ] || [ ! -x "$file" ]; }; then
      fail "$who names $path, which the package ships but not as an executable file"
    fi
    return
  fi
  owner=$(dpkg-query -S "$path" 2>/dev/null | grep -v '^diversion ' | sed -n 's/: .*//p' | head -n 1)
  if [ -z "$owner" ]; then
    fail "$who names $path: not in the packages, nor in any package installed here"
  elif ! grep -qxF "$owner" "$tmp/known"; then
    fail "$who names $path: it belongs to $owner, which is neither Essential nor a dependency of the packages"
  elif [ "$mode" = exec ] && [ ! -x "$path" ]; then
    fail "$who names $path (from $owner), which is not executable"
  fi
}

# The first word of an Exec*= value, without systemd's prefixes (-@:+!).
exec_path () {
  sed -e 's/^[-@:+!]*//' -e 's/[[:space:]].*//'
}

# key_values FILE KEY: the values of KEY= in an INI-style file (systemd
# unit, D-Bus activation file), comments skipped.
key_values () {
  sed -n "s/^$2=//p" "$1"
}

# is_elf FILE
is_elf () {
  [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}
