# SPDX-License-Identifier: GPL-2.0-or-later
#
# The checks of test-package.sh on what runs on a VyOS router (sourced):
# the node.def templates (the conf-mode owner, the op-mode run: lines), the
# scripts the packages ship (their interpreters and the programs of ours
# they run), and the commit guard taking my_commit's place through a
# divert held by the package that ships it. Paths under VyOS's own folders
# (/usr/libexec/vyos/ but conf_mode, /opt/vyatta/) come from vyos-1x,
# which the VyOS package depends on and which is not on this host: they
# are counted, not checked.

# The shell variables VyOS's templates use (vyatta-cfg's environment, the
# values vyos-1x sets).
vyos_var () {
  case $1 in
    vyos_conf_scripts_dir) echo /usr/libexec/vyos/conf_mode ;;
    vyos_op_scripts_dir) echo /usr/libexec/vyos/op_mode ;;
    vyos_libexec_dir) echo /usr/libexec/vyos ;;
    vyos_validators_dir) echo /usr/libexec/vyos/validators ;;
    vyos_completion_dir) echo /usr/libexec/vyos/completion ;;
    vyos_bin_dir) echo /usr/bin ;;
    vyos_sbin_dir) echo /usr/sbin ;;
    *) return 1 ;;
  esac
}

# ours PATH: shipped by one of the packages, or named as they name theirs.
ours () {
  cat "$tmp"/list/* | grep -qxF "$1" && return 0
  case $1 in
    *config-replication*|/usr/libexec/vyos/conf_mode/*) return 0 ;;
  esac
  return 1
}

vyos_skipped=0
# check_run_path WHO PATH: a program a template or a script runs.
check_run_path () {
  local who=$1 path=$2 file
  if ours "$path"; then
    file=$(in_root "$path") || { fail "$who runs $path, which the packages do not ship"; return; }
    [ -f "$file" ] && [ -x "$file" ] || fail "$who runs $path, which is not an executable file"
  elif [[ $path == /opt/vyatta/* || $path == /usr/libexec/vyos/* ]]; then
    vyos_skipped=$((vyos_skipped + 1))
  else
    check_path "$who" "$path" exec
  fi
}

# The text of a node.def's fields that run something (help texts left
# out), continuation lines included.
node_def_commands () {
  awk '/^[a-z_:]+:/ { keep = ($0 !~ /^(help|val_help|comp_help|type|tag|multi|priority|default):/) }
       keep' "$1"
}

# The paths in a template command: absolute, or under a VyOS variable.
template_paths () {
  grep -oE "(^|[[:space:]\"'=])(\\\$\{[a-z_]+\}/|/)[A-Za-z0-9_.+-][A-Za-z0-9_./+-]*" |
    sed -e "s/^[[:space:]\"'=]//"
}

check_templates () {
  have_vyos || { echo "#   (no $vyos among the .debs)"; return 0; }
  local f who path var dir owners=0 runs=0
  while IFS= read -r f; do
    who=${f#"$root"}
    while IFS= read -r path; do
      if [[ $path == \$\{* ]]; then
        var=${path#\$\{}; var=${var%%\}*}
        dir=$(vyos_var "$var") || { fail "$who: unknown variable \${$var}"; continue; }
        path=$dir/${path#*\}/}
      fi
      case $path in /usr/libexec/vyos/conf_mode/*) owners=$((owners + 1)) ;; esac
      check_run_path "$who" "$path"
    done < <(node_def_commands "$f" | template_paths)
    grep -q '^run:' "$f" && runs=$((runs + 1))
  done < <(find "$root/opt/vyatta/share/vyatta-cfg/templates" "$root/opt/vyatta/share/vyatta-op/templates" \
             -name node.def -path '*config-replication*' | sort)
  [ "$owners" -gt 0 ] || fail "no configuration template runs a conf-mode script"
  [ "$runs" -gt 0 ] || fail "no op-mode template has a run: line"
  echo "#   $owners conf-mode script calls, $runs op-mode commands; $vyos_skipped paths are vyos-1x's (not here)"
}

check_scripts () {
  local f rel line interp prog path pkg scripts=0
  for pkg in "${!deb_of[@]}"; do
    while IFS= read -r rel; do
      f=$root$rel
      [ -f "$f" ] && [ ! -L "$f" ] && [ -x "$f" ] || continue
      is_elf "$f" && continue
      scripts=$((scripts + 1))
      line=$(head -n 1 "$f")
      [[ $line == '#!'* ]] || { fail "$rel is executable but has no #! line"; continue; }
      read -r interp prog _ <<< "${line#\#!}"
      check_path "$rel's #!" "$interp" exec
      if [ "$interp" = /usr/bin/env ]; then
        grep -qxF "$prog" "$tmp/known" ||
          fail "$rel runs $prog through env, but $pkg does not depend on $prog"
      fi
      while IFS= read -r path; do
        ours "$path" && check_run_path "$rel" "$path"
      done < <(grep -oE "['\"]/(usr/)?(s?bin|libexec)/[^'\" ]+['\"]|['\"]/opt/vyatta/s?bin/[^'\" ]+['\"]" "$f" |
                 tr -d "'\"" | sort -u)
    done < "$tmp/list/$pkg"
  done
  echo "#   $scripts scripts"
}

# divert_of SCRIPT ACTION: "PACKAGE DIVERT-TO PATH RENAME" of the
# dpkg-divert --ACTION command in a maintainer script.
divert_of () {
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1" | grep -E "^[[:space:]]*dpkg-divert .*--$2 " |
    awk '{ pkg = ""; to = ""; ren = "no"
           for (i = 2; i <= NF; i++) {
             if ($i == "--package") pkg = $(++i)
             else if ($i == "--divert") to = $(++i)
             else if ($i == "--rename") ren = "rename"
             else if ($i !~ /^--/) path = $i
           }
           print pkg, to, path, ren }'
}

check_divert () {
  local s my_commit=/opt/vyatta/sbin/my_commit file add remove
  for s in "$tmp/control/$generic"/*; do
    grep -q dpkg-divert "$s" && fail "$generic's $(basename "$s") diverts something"
  done
  have_vyos || { echo "#   (no $vyos among the .debs)"; return 0; }
  ships $vyos $my_commit || fail "$vyos does not ship $my_commit"
  if file=$(in_root $my_commit); then
    is_elf "$file" && [ -x "$file" ] || fail "$my_commit does not lead to an executable program"
    [ "$(basename "$file")" = vyos-config-replication-commit-guard ] ||
      fail "$my_commit leads to ${file#"$root"}, not the commit guard"
  else
    fail "$my_commit leads nowhere in the package"
  fi
  add=$(divert_of "$tmp/control/$vyos/preinst" add)
  remove=$(divert_of "$tmp/control/$vyos/postrm" remove)
  [ "$(echo "$add" | awk '{ print $1, $3, $4 }')" = "$vyos $my_commit rename" ] ||
    fail "the preinst does not divert $my_commit for $vyos with --rename (it says: ${add:-nothing})"
  [ "$(echo "$remove" | awk '{ print $1, $3, $4 }')" = "$vyos $my_commit rename" ] ||
    fail "the postrm does not undo the divert of $my_commit for $vyos (it says: ${remove:-nothing})"
  [ "$(echo "$add" | awk '{ print $2 }')" = "$(echo "$remove" | awk '{ print $2 }')" ] ||
    fail "the preinst diverts to $(echo "$add" | awk '{ print $2 }'), the postrm restores from $(echo "$remove" | awk '{ print $2 }')"
  if cat "$tmp"/list/* | grep -qxF "$(echo "$add" | awk '{ print $2 }')"; then
    fail "the divert's target $(echo "$add" | awk '{ print $2 }') is a file a package ships"
  fi
}
