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
# value (the primary 10.0.0.1, r1 10.0.0.2, r2 10.0.0.3); the replicas
# pulled generation 1 when this returns.
three_with_exclusion () {
  netns_setup sw primary=1 r1=2 r2=3 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2 r2=3
  write_replica r1 2 1
  write_replica r2 3 1
  local n=1
  for r in primary r1 r2; do
    with_exclude "$r" "$EXCLUDE_LOCAL"
    with_local_host "$r" "10.0.0.$n"
    n=$((n + 1))
  done
  for r in primary r1 r2; do
    router_start "$r" "$@" || fail "$r did not start"
  done
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  wait_until 100 has_port r2 22 || fail "r2 did not pull"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync on the primary"
  wait_until 100 peer_is primary r2 in-sync || fail "r2 not in sync on the primary"
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
# once both sides list the same, the replica converges.
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
