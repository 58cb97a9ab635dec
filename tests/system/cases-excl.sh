# SPDX-License-Identifier: GPL-2.0-or-later
#
# System cases of `replicate exclude`, per-replica overrides and the dry
# run (issue 13, docs/behaviour.md "Per-router values"), sourced by
# run-case.sh like cases.sh: three routers whose `interfaces openvpn vtun0
# local-host` differs, under an exclusion on every one of them.

EXCLUDE_LOCAL='interfaces openvpn vtun0 local-host'
REFUSAL_OVPN='Error: path "interfaces openvpn" is managed by config replication and must not be modified locally.'

# with_exclude ROUTER PATH: ROUTER's replicate block also excludes PATH.
with_exclude () {
  sed -i "s|^\( *\)path \"interfaces openvpn\"|&\n\1exclude \"$2\"|" "$(cfg "$1")"
  grep -q "exclude \"$2\"" "$(cfg "$1")" || fail "test set-up: no exclusion on $1"
}

# with_local_host ROUTER VALUE: ROUTER's own openvpn vtun0 local-host (a
# replica gets the block; the primary's value is set in its block).
with_local_host () {
  if grep -q 'openvpn vtun0 {' "$(cfg "$1")"; then
    sed -i "s|^\( *\)openvpn vtun0 {|&\n\1    local-host \"$2\"|" "$(cfg "$1")"
  else
    sed -i "s|^    ethernet eth0 {|    openvpn vtun0 {\n        local-host \"$2\"\n    }\n&|" "$(cfg "$1")"
  fi
  [ "$(local_host_of "$1")" = "$2" ] || fail "test set-up: $1's local-host is $(local_host_of "$1")"
}

local_host_of () {
  "$VCR_CLIENT" config show "$(cfg "$1")" --path "$EXCLUDE_LOCAL" --format commands |
    sed -n "s/^set $EXCLUDE_LOCAL '\(.*\)'$/\1/p"
}

remote_host_of () {
  "$VCR_CLIENT" config show "$(cfg "$1")" --path "interfaces openvpn vtun0 remote-host" \
    --format commands | sed -n "s/^set interfaces openvpn vtun0 remote-host '\(.*\)'$/\1/p"
}

# A primary and two replicas, all excluding local-host, each with its own
# value (the primary 10.0.0.1, r1 10.0.0.2, r2 10.0.0.3): written, not
# started.
three_written () {
  netns_setup sw primary=1 r1=2 r2=3 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2 r2=3
  write_replica r1 2 1
  write_replica r2 3 1
  local n=1 r
  for r in primary r1 r2; do
    with_exclude "$r" "$EXCLUDE_LOCAL"
    with_local_host "$r" "10.0.0.$n"
    n=$((n + 1))
  done
}

# three_started [DAEMON OPTION…]: the three routers started; the replicas
# pulled generation 1 and the primary holds both in sync when this returns.
three_started () {
  local r
  for r in primary r1 r2; do
    router_start "$r" "$@" || fail "$r did not start"
  done
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  wait_until 100 has_port r2 22 || fail "r2 did not pull"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync on the primary"
  wait_until 100 peer_is primary r2 in-sync || fail "r2 not in sync on the primary"
}

three_with_exclusion () {
  three_written
  three_started "$@"
}

# 14. Pushes and pulls keep each router's own value under the exclusion
# (from the running config read, and from the replica's cached copy of
# what it wrote); Verify is in sync although the values differ; a local
# edit of the excluded leaf passes the commit check and stays through the
# next push, an edit of its sibling is refused.
case_exclude_keeps_local () {
  three_with_exclusion
  local r
  for r in r1 r2; do
    [ "$(remote_host_of "$r")" = 203.0.113.7 ] || fail "$r did not take remote-host"
  done
  [ "$(local_host_of r1)" = 10.0.0.2 ] || fail "the pull replaced r1's local-host: $(local_host_of r1)"
  [ "$(local_host_of r2)" = 10.0.0.3 ] || fail "the pull replaced r2's local-host: $(local_host_of r2)"
  run_client primary verify
  expect_rc 0

  # the primary changes the replicated rest and its own excluded value
  sed -i -e 's/port "22"/port "2222"/' -e 's/remote-host "203.0.113.7"/remote-host "203.0.113.8"/' \
    -e 's/local-host "10.0.0.1"/local-host "10.0.0.9"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  grep -qx 'r1: ok, generation 2: applied' <<< "$OUT" || fail "push, r1: $OUT"
  grep -qx 'r2: ok, generation 2: applied' <<< "$OUT" || fail "push, r2: $OUT"
  for r in r1 r2; do
    has_port "$r" 2222 || fail "$r did not apply generation 2"
    [ "$(remote_host_of "$r")" = 203.0.113.8 ] || fail "$r's remote-host: $(remote_host_of "$r")"
  done
  [ "$(local_host_of r1)" = 10.0.0.2 ] || fail "the push replaced r1's local-host: $(local_host_of r1)"
  [ "$(local_host_of r2)" = 10.0.0.3 ] || fail "the push replaced r2's local-host: $(local_host_of r2)"
  [ "$(local_host_of primary)" = 10.0.0.9 ] || fail "the primary's local-host changed"
  run_client r1 pull
  expect_rc 0
  [ "$(local_host_of r1)" = 10.0.0.2 ] || fail "the pull replaced r1's local-host"
  run_client primary verify
  expect_rc 0

  # a local edit under the exclusion: allowed, committed, kept
  sed 's/local-host "10.0.0.2"/local-host "10.0.0.22"/' "$(cfg r1)" > "$TMPF/r1-local.boot"
  run_client r1 check-commit "$TMPF/r1-local.boot"
  expect_rc 0
  # its sibling: refused
  sed 's/mode "site-to-site"/mode "server"/' "$(cfg r1)" > "$TMPF/r1-sibling.boot"
  run_client r1 check-commit "$TMPF/r1-sibling.boot"
  expect_rc 1
  [ "$OUT" = "$REFUSAL_OVPN" ] || fail "check-commit of the sibling: $OUT"
  cp "$TMPF/r1-local.boot" "$(cfg r1)"
  run_client primary verify
  expect_rc 0
  sed -i 's/port "2222"/port "2223"/' "$(cfg primary)"
  run_client primary push
  expect_rc 0
  has_port r1 2223 || fail "r1 did not apply generation 3"
  [ "$(local_host_of r1)" = 10.0.0.22 ] || fail "the push replaced r1's local edit: $(local_host_of r1)"
  [ "$(local_host_of r2)" = 10.0.0.3 ] || fail "r2's local-host: $(local_host_of r2)"
  run_client r2 verify
  expect_rc 0
}

# 15. Exclusion lists that differ are refused like a path mismatch (409
# path-mismatch naming the exclusions), both ways; nothing is written;
# the dry run reports the refusal instead of lines; once both sides list
# the same, the replica converges.
case_exclude_mismatch () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  with_exclude primary "$EXCLUDE_LOCAL"
  cp "$(cfg r1)" "$TMPF/r1.before"
  router_start primary || fail "primary did not start"
  router_start r1 || fail "r1 did not start"
  wait_until 100 peer_is r1 primary error || fail "r1's pull did not fail"
  [[ "$(peer_field r1 primary last_error)" == *'path-mismatch: exclusions differ: the snapshot excludes "interfaces openvpn vtun0 local-host" and this replica does not'* ]] ||
    fail "r1's error: $(peer_field r1 primary last_error)"
  run_client primary push
  expect_rc 1
  grep -q '^r1: failed, generation 1: .*409 path-mismatch: exclusions differ' <<< "$OUT" || fail "push: $OUT"
  cmp "$(cfg r1)" "$TMPF/r1.before" || fail "r1's config changed"
  # the dry run says so instead of listing lines
  run_client primary push --dry-run
  expect_rc 1
  [ "$OUT" = 'r1: refused: 409 path-mismatch: exclusions differ: the snapshot excludes "interfaces openvpn vtun0 local-host" and the replica does not' ] ||
    fail "dry run: $OUT"
  run_client primary --json push --dry-run
  expect_rc 1
  [ "$(jq -c '.results[0] | [.reachable, (.error | startswith("refused: 409 path-mismatch")), .commands]' <<< "$OUT")" = '[true,true,[]]' ] ||
    fail "--json dry run: $OUT"

  # the other way round: only the replica excludes
  router_stop r1
  with_exclude r1 "$EXCLUDE_LOCAL"
  with_exclude r1 "firewall name WAN description"
  cp "$(cfg r1)" "$TMPF/r1.before"
  router_start r1 || fail "r1 did not restart"
  run_client primary push
  expect_rc 1
  grep -q 'this replica excludes "firewall name WAN description" and the snapshot does not' <<< "$OUT" ||
    fail "push: $OUT"
  cmp "$(cfg r1)" "$TMPF/r1.before" || fail "r1's config changed"

  # the same lists: r1 takes it
  sed -i '/exclude "firewall name WAN description"/d' "$(cfg r1)"
  run_client r1 reload
  expect_rc 0
  run_client r1 pull
  expect_rc 0
  has_port r1 22 || fail "r1 did not apply"
  run_client primary verify
  expect_rc 0
}

# with_override ROUTER REPLICA PATH VALUE: on the primary ROUTER, REPLICA
# receives VALUE at PATH.
with_override () {
  sed -i "/^        replica $2 {/,/^        }/ s|^\( *\)address \(.*\)$|&\n\1override \"$3\" {\n\1    value \"$4\"\n\1}|" \
    "$(cfg "$1")"
  grep -q "override \"$3\"" "$(cfg "$1")" || fail "test set-up: no override on $1"
}

# files_digest ROUTER: the SHA-256 of every file of ROUTER's config and
# state (its log aside).
files_digest () {
  find "$(cfg "$1")" "$WORK/$1/state" -type f -print0 | sort -z | xargs -0 sha256sum
}

# 16. An override gives two replicas different values: r1 gets the
# primary's remote-host, r2 its override; each replica's digests are
# those of what it received, so Verify (the primary's of both, and each
# replica's own, which asks the primary from its configured address) is
# in sync; pushes and pulls keep it so, and each router's excluded value.
case_override_verify () {
  local r
  three_written
  with_override primary r2 "interfaces openvpn vtun0 remote-host" 203.0.113.9
  three_started
  [ "$(remote_host_of r1)" = 203.0.113.7 ] || fail "r1's remote-host: $(remote_host_of r1)"
  [ "$(remote_host_of r2)" = 203.0.113.9 ] || fail "r2's pull did not get its override: $(remote_host_of r2)"
  run_client primary verify
  expect_rc 0
  for r in r1 r2; do
    run_client "$r" verify
    expect_rc 0
  done

  # a push: r1 and r2 each get their own remote-host, their own local-host stays
  sed -i -e 's/port "22"/port "2222"/' -e 's/remote-host "203.0.113.7"/remote-host "203.0.113.8"/' \
    "$(cfg primary)"
  run_client primary push
  expect_rc 0
  grep -qx 'r1: ok, generation 2: applied' <<< "$OUT" || fail "push, r1: $OUT"
  grep -qx 'r2: ok, generation 2: applied' <<< "$OUT" || fail "push, r2: $OUT"
  has_port r1 2222 && has_port r2 2222 || fail "a replica did not apply generation 2"
  [ "$(remote_host_of r1)" = 203.0.113.8 ] || fail "r1's remote-host: $(remote_host_of r1)"
  [ "$(remote_host_of r2)" = 203.0.113.9 ] || fail "the push replaced r2's override: $(remote_host_of r2)"
  [ "$(local_host_of r1)" = 10.0.0.2 ] || fail "r1's local-host: $(local_host_of r1)"
  [ "$(local_host_of r2)" = 10.0.0.3 ] || fail "r2's local-host: $(local_host_of r2)"
  run_client primary verify
  expect_rc 0
  grep -q 'out of sync\|false' <<< "$OUT" && fail "verify: $OUT"
  # r2's pull and its own verify keep its override
  run_client r2 pull
  expect_rc 0
  [ "$(remote_host_of r2)" = 203.0.113.9 ] || fail "the pull replaced r2's override: $(remote_host_of r2)"
  run_client r2 verify
  expect_rc 0
  run_client r1 verify
  expect_rc 0
  # nothing to do: both unchanged
  run_client primary push
  expect_rc 0
  grep -qx 'r1: ok, generation 2: unchanged' <<< "$OUT" || fail "push again, r1: $OUT"
  grep -qx 'r2: ok, generation 2: unchanged' <<< "$OUT" || fail "push again, r2: $OUT"
}

# 17. The dry run: exactly the lines the following push changes on each
# replica (config diff of its file before and after the push), none for
# an excluded leaf, a replica's override respected; a dry run changes no
# file on any router; a replica that is down is reported unreachable.
case_dry_run () {
  local r
  three_written
  with_override primary r2 "interfaces openvpn vtun0 remote-host" 203.0.113.9
  three_started

  run_client primary push --dry-run
  expect_rc 0
  [ "$OUT" = $'r1: no changes\nr2: no changes' ] || fail "dry run in sync: $OUT"

  # the primary changes a port, a remote-host (r2 overrides it), adds a
  # rule, deletes rule 10, and its own local-host (excluded)
  sed -i -e 's/port "22"/port "2222"/' -e 's/remote-host "203.0.113.7"/remote-host "203.0.113.8"/' \
    -e 's/local-host "10.0.0.1"/local-host "10.0.0.9"/' "$(cfg primary)"
  sed -i '/^        rule 10 {/,/^        }/d' "$(cfg primary)"
  sed -i 's/^\( *\)mode "site-to-site"/&\n\1description "tunnel"/' "$(cfg primary)"
  for r in primary r1 r2; do files_digest "$r" > "$TMPF/$r.before"; done
  run_client primary push --dry-run
  expect_rc 1
  local dry=$OUT
  run_client primary --json push --dry-run
  expect_rc 1
  local json=$OUT
  for r in primary r1 r2; do
    files_digest "$r" > "$TMPF/$r.after"
    cmp -s "$TMPF/$r.before" "$TMPF/$r.after" ||
      fail "the dry run changed files of $r: $(diff "$TMPF/$r.before" "$TMPF/$r.after")"
  done
  grep -q 'local-host' <<< "$dry" && fail "a line touches the excluded leaf: $dry"
  [ "$(jq -r '.results[] | select(.replica == "r2") | .reachable' <<< "$json")" = true ] ||
    fail "--json: $json"

  for r in r1 r2; do cp "$(cfg "$r")" "$TMPF/$r.boot"; done
  run_client primary push
  expect_rc 0
  for r in r1 r2; do
    local want got
    want=$(for p in "firewall name WAN" "interfaces openvpn"; do
             "$VCR_CLIENT" config diff "$TMPF/$r.boot" "$(cfg "$r")" --path "$p"
           done | sed 's/^/  /')
    got=$(sed -n "/^$r: /,/^r[0-9]*: /p" <<< "$dry" | grep '^  ')
    [ -n "$want" ] || fail "the push changed nothing on $r"
    [ "$got" = "$want" ] || fail "$r: the dry run said
$got
the push changed
$want"
    [ "$(sed -n "s/^$r: \([0-9]*\) changes\?$/\1/p" <<< "$dry")" = "$(wc -l <<< "$want")" ] ||
      fail "$r's header: $dry"
  done
  grep -q 'remote-host' <<< "$(sed -n '/^r2: /,$p' <<< "$dry")" && fail "r2's lines touch its override: $dry"
  grep -q "set interfaces openvpn vtun0 remote-host '203.0.113.8'" <<< "$dry" || fail "r1's remote-host: $dry"
  run_client primary push --dry-run
  expect_rc 0

  # a replica down: unreachable, exit 1; the other still shown
  router_stop r2
  run_client primary push --dry-run
  expect_rc 1
  grep -q '^r1: no changes$' <<< "$OUT" || fail "dry run with r2 down: $OUT"
  grep -q '^r2: unreachable: 198.51.100.3:' <<< "$OUT" || fail "dry run with r2 down: $OUT"
  run_client primary --json push --dry-run
  expect_rc 1
  [ "$(jq -c '.results[] | select(.replica == "r2") | [.reachable, .commands]' <<< "$OUT")" = '[false,[]]' ] ||
    fail "--json with r2 down: $OUT"
  # for the record (no assertion on time): how long the rounds took
  log "$(grep -h 'Preview: ' "$WORK/primary/daemon.log")"
}
