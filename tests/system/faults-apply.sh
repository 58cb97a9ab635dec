# SPDX-License-Identifier: GPL-2.0-or-later
#
# The fault suite's apply cases (sourced by run-case.sh; each case_NAME is
# its own meson test, listed in fault_cases_apply): a replica's apply
# under crashes (kill -9 at random instants and in the middle of the
# --apply-command), full filesystems (the config's, the state's), a
# state.json replaced by a folder, a local commit during the apply, and an
# --apply-command that leaves processes behind or hangs. Small filesystems
# are tmpfs mounts the case makes and always unmounts; every wait is
# bounded.

WAN="firewall name WAN"
APPLY_MOUNTS=()

# Unmounted (lazily: a daemon may still hold them) before run-case.sh's
# own cleanup removes the folders.
apply_cleanup () {
  local rc=$?
  for m in "${APPLY_MOUNTS[@]}"; do
    umount -l "$m" 2>/dev/null
  done
  (exit "$rc")
  on_exit
}

# apply_mount DIR SIZE: a tmpfs of SIZE at DIR (made), unmounted at exit.
apply_mount () {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2,mode=0755" "vcr-apply-$$" "$1" || fail "cannot mount a tmpfs on $1"
  APPLY_MOUNTS+=("$1")
  trap apply_cleanup EXIT
}

# Fills the filesystem of folder $1 to the last byte.
fill_up () {
  dd if=/dev/zero of="$1/filler" bs=4096 status=none 2>/dev/null
  dd if=/dev/zero of="$1/filler2" bs=1 status=none 2>/dev/null
  return 0
}

# ---- big snapshots ---------------------------------------------------------

# wan_rules VARIANT COUNT: a "firewall name WAN" of COUNT rules whose
# descriptions and ports name VARIANT (A or B), so that the two variants
# differ in every rule.
wan_rules () {
  local v=$1 n=$2 port=1000
  [ "$v" = B ] && port=2000
  echo 'firewall {'
  echo '    name WAN {'
  echo '        default-action "drop"'
  for ((k = 1; k <= n; k++)); do
    printf '        rule %d {\n            action "accept"\n            description "%s %d"\n' \
      "$k" "$v" "$k"
    printf '            destination {\n                port "%d"\n            }\n' $((port + k))
    printf '            protocol "tcp"\n        }\n'
  done
  echo '    }'
  echo '}'
}

# big_primary VARIANT COUNT REPLICA=N…: the primary's config.boot with the
# big WAN of VARIANT.
big_primary () {
  local v=$1 n=$2
  shift 2
  local -a replicas=()
  for r in "$@"; do replicas+=("${r%%=*}=198.51.100.${r#*=}"); done
  {
    wan_rules "$v" "$n"
    ha_settings primary "$SECRET" 198.51.100.1 "${replicas[@]}"
    primary_local
  } > "$WORK/primary/config.boot.new"
  mv "$WORK/primary/config.boot.new" "$WORK/primary/config.boot"
}

# The SHA-256 of a config file's snapshot text of "firewall name WAN" (the
# digest replication uses); fails when the file does not parse.
wan_digest_of () {
  local text
  text=$("$VCR_CLIENT" config show "$1" --path "$WAN") || return 1
  printf '%s\n' "$text" | sha256sum | cut -d' ' -f1
}
wan_digest () { wan_digest_of "$(cfg "$1")"; }

# The digest of router $1's reference copy of WAN, "none" without one.
reference_digest () {
  local f
  f="$(reference_dir "$1")/firewall%20name%20WAN"
  if [ -f "$f" ]; then sha256sum < "$f" | cut -d' ' -f1; else echo none; fi
}

state_field () { jq -r "$2" "$WORK/$1/state/state.json"; }
# For wait_until, which must look again each time:
state_is () { [ "$(state_field "$1" "$2")" = "$3" ]; }   # ROUTER JQ VALUE
status_is () { [ "$(status_field "$1" .state)" = "$2" ]; }

# ---- the processes of an apply command -----------------------------------

# PIDs whose environment names router $1's config as VCR_CONFIG: its apply
# command's runner, shell and everything they started.
command_pids () {
  grep -lzx "VCR_CONFIG=$(cfg "$1")" /proc/[0-9]*/environ 2>/dev/null |
    sed 's|/proc/\([0-9]*\)/environ|\1|'
}
no_command_left () { [ -z "$(command_pids "$1")" ]; }

# ---- 1. kill -9 during 200 applies ------------------------------------------

# What a crash left on router $1's disk (its daemon is dead): config.boot
# parses and holds A or B, never a mix, its other replicated path is
# whole, and the state agrees with it: without an intent record the
# reference is the file's WAN and the applied generation's variant is the
# file's; with one, the file holds the reference or the snapshot the
# record names (start-up settles which).
check_crash_left () {
  local r=$1 d ref intent applied want
  d=$(wan_digest "$r") || fail "after kill -9, $r's config.boot does not parse"
  [ "$d" = "$DIGEST_A" ] || [ "$d" = "$DIGEST_B" ] ||
    fail "after kill -9, $r's WAN is neither A nor B"
  [ "$("$VCR_CLIENT" config show "$(cfg "$r")" --path "interfaces openvpn" | sha256sum)" = \
    "$VPN_SUM" ] || fail "after kill -9, $r's interfaces openvpn changed"
  ref=$(reference_digest "$r")
  intent=$(state_field "$r" '.applying.digests["firewall name WAN"] // "none"')
  applied=$(state_field "$r" .applied_generation)
  want=$DIGEST_B
  [ $((applied % 2)) = 1 ] && want=$DIGEST_A
  if [ "$intent" = none ]; then
    [ "$d" = "$ref" ] || fail "after kill -9, $r's reference is not its file's WAN"
    [ "$d" = "$want" ] || fail "after kill -9, $r applied generation $applied but holds the other WAN"
  else
    INTENTS=$((INTENTS + 1))
    [ "$d" = "$ref" ] || [ "$d" = "$intent" ] ||
      fail "after kill -9, $r holds neither its reference nor the snapshot it was applying"
  fi
}

# Router $1's applied generation is one its command completed.
command_completed () { grep -qx "$(state_field "$1" .applied_generation)" "$TMPF/done"; }

# How many start-ups of r1 and r2 settled an apply as $1.
recoveries () { cat "$WORK"/r[12]/daemon.log | grep -c "Start-up recovery of generation [0-9]*: $1"; }

# Router $1 holds variant $2, settled: no intent record, the reference is
# the file's.
settled () {
  local d
  d=$(wan_digest "$1") && [ "$d" = "$2" ] &&
    [ "$(state_field "$1" .applying)" = null ] &&
    [ "$(reference_digest "$1")" = "$d" ]
}

case_kill9_applies () {
  local rounds=${VCR_FAULT_APPLIES:-200} rules=${VCR_FAULT_RULES:-1500}
  local kills=0 start=$SECONDS variant victim push delay want=""
  # r1's command notes each generation it completed: a generation r1
  # records as applied must be one of them
  local -A args=([r1]="--apply-command=sleep 0.05; echo \$VCR_GENERATION >> '$TMPF/done'"
                 [r2]="--verify-interval=300")
  INTENTS=0
  netns_setup sw primary=1 r1=2 r2=3 || fail "cannot create the namespaces"
  mkdir -p "$WORK/primary"
  wan_rules A "$rules" > "$TMPF/a.boot"
  wan_rules B "$rules" > "$TMPF/b.boot"
  DIGEST_A=$(wan_digest_of "$TMPF/a.boot")
  DIGEST_B=$(wan_digest_of "$TMPF/b.boot")
  big_primary A "$rules" r1=2 r2=3
  VPN_SUM=$("$VCR_CLIENT" config show "$(cfg primary)" --path "interfaces openvpn" | sha256sum)
  write_replica r1 2 1
  write_replica r2 3 1
  router_start primary || fail "primary did not start"
  router_start r1 "${args[r1]}" || fail "r1 did not start"
  router_start r2 "${args[r2]}" || fail "r2 did not start"
  wait_until 300 settled r1 "$DIGEST_A" || fail "r1 did not pull"
  wait_until 300 settled r2 "$DIGEST_A" || fail "r2 did not pull"
  for ((i = 1; i <= rounds; i++)); do
    variant=A
    [ $((i % 2)) = 1 ] && variant=B
    big_primary "$variant" "$rules" r1=2 r2=3
    if [ $((i % 4)) != 0 ]; then
      run_client primary push
      expect_rc 0
      continue
    fi
    # a crash at a random instant of the push: reading, writing, the
    # command, the record
    victim=r1
    [ $((i % 8)) = 0 ] && victim=r2
    vcr_on primary push > "$TMPF/push" 2>&1 &
    push=$!
    printf -v delay '0.%03d' $((RANDOM % 150))
    sleep "$delay"
    router_stop "$victim" KILL
    wait "$push"
    kills=$((kills + 1))
    wait_until 100 no_command_left "$victim" || fail "$victim's apply command outlived it"
    check_crash_left "$victim"
    router_start "$victim" "${args[$victim]}" || fail "$victim did not restart"
    want=$DIGEST_A
    [ "$variant" = B ] && want=$DIGEST_B
    wait_until 600 settled "$victim" "$want" || fail "$victim did not settle on $variant"
    command_completed r1 || fail "r1 records generation $(state_field r1 .applied_generation)," \
      "whose command never completed"
  done
  want=$DIGEST_A
  [ "$variant" = B ] && want=$DIGEST_B
  for r in r1 r2; do
    wait_until 600 settled "$r" "$want" || fail "$r is not in sync at the end"
  done
  command_completed r1 || fail "r1 records a generation whose command never completed"
  log "kill9-applies: $rounds applies of $rules rules, $kills kills at random instants" \
      "($INTENTS left an intent record; start-up: $(recoveries undone) undone," \
      "$(recoveries finished) finished, $(recoveries dropped) dropped), $((SECONDS - start)) s"
}

# ---- 2. the config's filesystem full --------------------------------------

case_config_full () {
  local mnt="$WORK/r1-config" gen
  netns_setup sw primary=1 r1=2 r2=3 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2 r2=3
  write_replica r1 2 1
  write_replica r2 3 1
  apply_mount "$mnt" 256k
  mv "$(cfg r1)" "$mnt/config.boot"
  ln -s "$mnt/config.boot" "$(cfg r1)"
  router_start primary || fail "primary did not start"
  router_start r1 || fail "r1 did not start"
  router_start r2 || fail "r2 did not start"
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  wait_until 100 has_port r2 22 || fail "r2 did not pull"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  cp "$mnt/config.boot" "$TMPF/r1.before"
  gen=$(generation_of r1)
  fill_up "$mnt"
  # a snapshot that cannot fit in what is left
  big_primary A 300 r1=2 r2=3
  run_client primary push
  expect_rc 1
  grep -q '^r1: failed, .*apply-failed.*No space left on device' <<< "$OUT" || fail "push: $OUT"
  grep -q '^r2: ok' <<< "$OUT" || fail "r2 did not apply: $OUT"
  cmp "$mnt/config.boot" "$TMPF/r1.before" || fail "r1's config.boot changed"
  [ -L "$(cfg r1)" ] || fail "r1's config.boot is no longer a symlink"
  [ "$(find "$mnt" -name 'config.boot.*' | wc -l)" = 0 ] || fail "temporary files left: $(ls "$mnt")"
  [ "$(generation_of r1)" = "$gen" ] || fail "r1's generation moved to $(generation_of r1)"
  wait_until 100 state_is r1 .applying null || fail "r1 kept an intent record"
  [ "$(reference_digest r1)" = "$(wan_digest r1)" ] || fail "r1's reference is not its file's"
  # space again: the primary's retry gets through by itself
  rm -f "$mnt/filler" "$mnt/filler2"
  wait_until 600 settled r1 "$(wan_digest primary)" || fail "r1 did not converge"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync on the primary"
  [ "$(generation_of r1)" = "$(generation_of primary)" ] || fail "r1's generation $(generation_of r1)"
  [ -L "$(cfg r1)" ] || fail "r1's config.boot was replaced by a plain file"
}

# ---- 3. the state's filesystem full ---------------------------------------

case_state_full () {
  local mnt="$WORK/r1/state"
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  apply_mount "$mnt" 512k
  router_start primary || fail "primary did not start"
  router_start r1 || fail "r1 did not start"
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  cp "$(cfg r1)" "$TMPF/r1.before"
  fill_up "$mnt"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 1
  grep -q '^r1: failed, .*apply-failed.*No space left on device' <<< "$OUT" || fail "push: $OUT"
  cmp "$(cfg r1)" "$TMPF/r1.before" || fail "r1's config.boot changed"
  [ "$(status_field r1 .state)" = error ] || fail "r1's State is $(status_field r1 .state)"
  status_field r1 '.warnings[]' | grep -q 'The state cannot be saved: .*No space left' ||
    fail "status does not say why: $(vcr_on r1 --json status)"
  [ "$(generation_of r1)" = 1 ] || fail "r1's generation moved"
  rm -f "$mnt/filler" "$mnt/filler2"
  wait_until 600 has_port r1 2222 || fail "r1 did not converge"
  wait_until 300 status_is r1 in-sync || fail "r1 stays $(status_field r1 .state)"
  [ "$(status_field r1 '.warnings | length')" = 0 ] || fail "warnings stay"
  wait_until 100 state_is r1 .applied_generation 2 || fail "state.json: $(cat "$mnt/state.json")"
}

# ---- 4. state.json replaced by a folder while running ---------------------

case_state_replaced () {
  local state="$WORK/r1/state/state.json"
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  # the command replaces state.json by a folder the first time it runs
  # for generation 3: the config is written, the command succeeds, and
  # the record cannot be saved
  router_start r1 --apply-command "[ \"\$VCR_GENERATION\" != 3 ] || [ -e '$TMPF/done' ] ||
    { rm -f '$state' && mkdir '$state' && touch '$TMPF/done'; }" || fail "r1 did not start"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  cp "$(cfg r1)" "$TMPF/r1.before"

  # before an apply: refused, nothing written
  rm -f "$state"
  mkdir "$state"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  run_client primary push
  expect_rc 1
  grep -q '^r1: failed, .*apply-failed.*cannot save the state before the apply' <<< "$OUT" ||
    fail "push: $OUT"
  cmp "$(cfg r1)" "$TMPF/r1.before" || fail "r1's config.boot changed"
  [ "$(status_field r1 .state)" = error ] || fail "r1's State is $(status_field r1 .state)"
  rmdir "$state"
  wait_until 600 has_port r1 2222 || fail "r1 did not converge"
  wait_until 100 test -f "$state" || fail "state.json was not written again"
  # the config is written before the command runs and the record is saved
  wait_until 100 state_is r1 .applied_generation 2 || fail "state.json: $(cat "$state")"

  # after the config is written: 422, never "applied", CheckCommit judges
  # against what the config holds, State error until it is saved
  sed -i 's/port "2222"/port "2223"/' "$(cfg primary)"
  run_client primary push
  expect_rc 1
  grep -q "^r1: failed, .*the config holds it, but the state cannot be saved" <<< "$OUT" ||
    fail "push: $OUT"
  has_port r1 2223 || fail "r1's config does not hold generation 3"
  [ "$(status_field r1 .state)" = error ] || fail "r1's State is $(status_field r1 .state)"
  sed 's/port "2223"/port "2224"/' "$(cfg r1)" > "$TMPF/proposed.boot"
  run_client r1 check-commit "$TMPF/proposed.boot"
  expect_rc 1
  run_client r1 check-commit "$(cfg r1)"
  expect_rc 0
  vcr_on r1 --json history | jq -e '[.[] | select(.event == "apply" and .generation == 3)][0].result |
    startswith("apply failed")' > /dev/null || fail "the history calls it applied"
  rmdir "$state"
  wait_until 300 status_is r1 in-sync || fail "r1 stays $(status_field r1 .state)"
  wait_until 100 state_is r1 .applied_generation 3 || fail "state.json: $(cat "$state")"
  [ "$(state_field r1 .applying)" = null ] || fail "an intent record stays"
  [ "$(reference_digest r1)" = "$(wan_digest r1)" ] || fail "r1's reference is not its file's"
}

# ---- 5. kill -9 during the apply command ----------------------------------

# r1 applies generation 2 with a command that never ends, and dies: its
# command dies with it; start-up (the primary down, so nothing else
# happens) puts the old config back byte for byte; once the primary is
# back, generation 2 is applied again with its command. Without the
# intent record the identical snapshot would be taken as "unchanged" and
# the command never run.
case_crash_during_command () {
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 --apply-command "echo \$VCR_GENERATION >> '$TMPF/ran'
    [ \"\$VCR_GENERATION\" = 1 ] || { setsid sleep 1000 & echo \$! > '$TMPF/pid'; sleep 1000; }" ||
    fail "r1 did not start"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  # a comment and odd spacing: only a byte-exact undo keeps them
  router_stop r1
  sed -i 's/^    host-name "r1"/    \/* local *\/\n        host-name   "r1"/' "$(cfg r1)"
  cp "$(cfg r1)" "$TMPF/r1.before"
  router_start r1 --apply-command "echo \$VCR_GENERATION >> '$TMPF/ran'
    [ \"\$VCR_GENERATION\" = 1 ] || { setsid sleep 1000 & echo \$! > '$TMPF/pid'; sleep 1000; }" ||
    fail "r1 did not restart"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push" 2>&1 &
  EXTRA_PIDS+=($!)
  wait_until 100 test -s "$TMPF/pid" || fail "the command did not start"
  has_port r1 2222 || fail "the config was not written before the command"
  router_stop r1 KILL
  wait_until 100 no_command_left r1 || fail "the command outlived the daemon: $(command_pids r1)"
  wait_until 100 test ! -e "/proc/$(cat "$TMPF/pid")" || fail "the setsid child outlived the daemon"
  [ "$(state_field r1 .applying.generation)" = 2 ] || fail "no intent record: $(cat "$WORK/r1/state/state.json")"
  [ "$(state_field r1 .applying.command)" = true ] || fail "the record does not owe the command"

  router_stop primary
  router_start r1 --apply-command "echo \$VCR_GENERATION >> '$TMPF/ran'" || fail "r1 did not restart"
  wait_until 100 grep -q 'Start-up recovery of generation 2: undone' "$WORK/r1/daemon.log" ||
    fail "start-up did not undo the apply"
  cmp "$(cfg r1)" "$TMPF/r1.before" || fail "the undo is not byte for byte"
  [ "$(state_field r1 .applying)" = null ] || fail "the intent record stays"
  [ "$(state_field r1 .applied_generation)" = 1 ] || fail "generation 2 recorded"
  : > "$TMPF/ran"
  router_start primary || fail "primary did not restart"
  wait_until 300 has_port r1 2222 || fail "r1 did not apply generation 2 again"
  wait_until 100 state_is r1 .applied_generation 2 || fail "not recorded"
  grep -qx 2 "$TMPF/ran" || fail "the command did not run for generation 2: $(cat "$TMPF/ran")"
  grep -q 'host-name "r1"' "$(cfg r1)" || fail "r1 lost its host name"

  # the same crash, but the undo file is lost: start-up cannot settle it,
  # keeps the record, and the identical snapshot the pull brings is
  # applied with its command, not taken as "unchanged"
  router_stop r1
  rm -f "$TMPF/pid"
  router_start r1 --apply-command "echo \$VCR_GENERATION >> '$TMPF/ran'
    [ \"\$VCR_GENERATION\" != 3 ] || { setsid sleep 1000 & echo \$! > '$TMPF/pid'; sleep 1000; }" ||
    fail "r1 did not restart"
  wait_until 100 peer_is r1 primary in-sync || fail "r1 not in sync"
  sed -i 's/port "2222"/port "2223"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push" 2>&1 &
  EXTRA_PIDS+=($!)
  wait_until 100 test -s "$TMPF/pid" || fail "the command did not start"
  router_stop r1 KILL
  [ "$(state_field r1 .applying.generation)" = 3 ] || fail "no intent record for generation 3"
  rm -f "$WORK/r1/state/undo/"*
  : > "$TMPF/ran"
  router_start r1 --apply-command "echo \$VCR_GENERATION >> '$TMPF/ran'" || fail "r1 did not restart"
  wait_until 100 grep -q 'Start-up recovery of generation 3: not settled' "$WORK/r1/daemon.log" ||
    fail "start-up claimed to settle an apply it could not undo"
  wait_until 300 state_is r1 .applied_generation 3 || fail "generation 3 was not applied again"
  grep -qx 3 "$TMPF/ran" || fail "generation 3 was taken without its command: $(cat "$TMPF/ran")"
  [ "$(state_field r1 .applying)" = null ] || fail "the intent record stays"
}

# ---- 6. a local commit while the command runs ------------------------------

# history_has ROUTER TEXT: some history entry's result holds TEXT.
history_has () {
  vcr_on "$1" --json history | jq -e --arg t "$2" 'any(.[]; .result | contains($t))' > /dev/null
}

# The command edits config.boot outside the replicated paths (a local
# commit while it ran), then fails: the undo puts back only the replicated
# subtrees and keeps the edit. The same after a crash in the command. The
# primary is stopped once the command ran, so no retry interferes.
case_undo_keeps_local () {
  local edit="sed -i 's/host-name \"r1\"/host-name \"r1-local\"/' \"\$VCR_CONFIG\""
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 --apply-command "[ \"\$VCR_GENERATION\" = 1 ] || { $edit; touch '$TMPF/edited'; exit 1; }" ||
    fail "r1 did not start"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push" 2>&1 &
  EXTRA_PIDS+=($!)
  wait_until 100 test -e "$TMPF/edited" || fail "the command did not run"
  router_stop primary
  wait_until 100 history_has r1 "exit status 1" || fail "the apply did not fail"
  has_port r1 22 || fail "the replicated subtree was not put back"
  has_port r1 2222 && fail "the new subtree stayed"
  grep -q 'host-name "r1-local"' "$(cfg r1)" || fail "the local commit was thrown away"
  [ "$(reference_digest r1)" = "$(wan_digest r1)" ] || fail "r1's reference is not its file's"

  # a crash in the command after the edit: start-up does the same
  router_stop r1
  sed -i 's/host-name "r1-local"/host-name "r1"/' "$(cfg r1)"
  router_start r1 --apply-command "[ \"\$VCR_GENERATION\" = 1 ] || { $edit; touch '$TMPF/edited2'; sleep 1000; }" ||
    fail "r1 did not restart"
  router_start primary || fail "primary did not restart"
  wait_until 300 test -e "$TMPF/edited2" || fail "the command did not run"
  router_stop primary
  router_stop r1 KILL
  router_start r1 || fail "r1 did not restart"
  wait_until 100 grep -q 'Start-up recovery of generation 2: undone' "$WORK/r1/daemon.log" ||
    fail "start-up did not undo the apply"
  has_port r1 22 || fail "start-up did not put the replicated subtree back"
  grep -q 'host-name "r1-local"' "$(cfg r1)" || fail "start-up threw the local commit away"
}

# ---- 7. an apply command that hangs, and leaves a setsid child ------------

# With --apply-timeout 2 the command and everything it started are ended
# (nothing of it left in /proc) and the apply undone; with --apply-bound 3
# and a longer command timeout the whole apply is ended the same way. The
# primary is stopped once the command runs, so no retry starts another.
case_command_timeout () {
  local cmd="setsid sleep 1000 & echo \$! > '$TMPF/pid'; [ \"\$VCR_GENERATION\" = 1 ] || sleep 1000"
  netns_setup sw primary=1 r1=2 || fail "cannot create the namespaces"
  write_primary primary 1 22 r1=2
  write_replica r1 2 1
  router_start primary || fail "primary did not start"
  router_start r1 --apply-timeout 2 --apply-command "$cmd" || fail "r1 did not start"
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync"
  wait_until 100 test ! -e "/proc/$(cat "$TMPF/pid")" ||
    fail "the setsid child of a command that exited 0 stays"
  rm -f "$TMPF/pid"
  sed -i 's/port "22"/port "2222"/' "$(cfg primary)"
  vcr_on primary push > "$TMPF/push" 2>&1 &
  EXTRA_PIDS+=($!)
  wait_until 100 test -s "$TMPF/pid" || fail "the command did not start"
  router_stop primary
  wait_until 100 history_has r1 "ran longer than 2 s and was ended" ||
    fail "the command was not ended at its timeout"
  no_command_left r1 || fail "processes of the command are left: $(command_pids r1)"
  [ ! -e "/proc/$(cat "$TMPF/pid")" ] || fail "the setsid child is left"
  has_port r1 22 || fail "the apply was not undone"

  router_stop r1
  rm -f "$TMPF/pid"
  router_start r1 --apply-timeout 100 --apply-bound 3 --apply-command "$cmd" ||
    fail "r1 did not restart"
  router_start primary || fail "primary did not restart"
  wait_until 100 test -s "$TMPF/pid" || fail "the command did not start"
  router_stop primary
  wait_until 100 history_has r1 "the apply took longer than 3 s" ||
    fail "the apply was not ended at its bound"
  no_command_left r1 || fail "processes of the command are left: $(command_pids r1)"
  [ ! -e "/proc/$(cat "$TMPF/pid")" ] || fail "the setsid child is left"
  has_port r1 22 || fail "the apply was not undone"
}
