#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One system test case per invocation: `run-case.sh CASE`. Each case starts
# its own routers (routers.sh: a private bus, config.boot, state folder and
# daemon per router), each in its own network namespace on one bridge with an
# address 198.51.100.N, so that cases run in parallel on port 7790 without
# meeting. Routers are driven through the client on their buses, and the
# peer protocol is probed with curl + openssl (../sign.sh). Needs root (exit
# 77 otherwise). Crafted v2 requests come from ../vcr2-tool.py (an
# independent implementation of docs/protocol-v2.md); v1 ones from curl +
# openssl. Every wait is bounded; on failure the daemons' logs are
# printed; everything started is stopped by PID and the namespaces removed.

HERE=$(cd "$(dirname "$0")" && pwd)
case_name=${1:?usage: run-case.sh CASE}

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: system tests need root (network namespaces)" >&2
  exit 77
fi

# shellcheck source=routers.sh
. "$HERE/routers.sh"
# shellcheck source=../sign.sh
. "$HERE/../sign.sh"

SECRET="system-test-secret-0123456789"
PORT=7790
EXTRA_PIDS=()

on_exit () {
  local rc=$?
  for pid in "${EXTRA_PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [ "$rc" -ne 0 ]; then
    routers_dump_logs
  fi
  routers_cleanup
  exit "$rc"
}

routers_init
trap on_exit EXIT
trap 'exit 1' INT TERM

fail () { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
log () { printf '# %s\n' "$*" >&2; }

# ---- configs -------------------------------------------------------------

# The primary's replicated subtrees (rule 20's port is $1) and local config.
primary_body () {
  cat <<EOF
firewall {
    name WAN {
        default-action "drop"
        rule 10 {
            action "accept"
            state {
                established "enable"
            }
        }
        rule 20 {
            action "accept"
            destination {
                port "$1"
            }
            protocol "tcp"
        }
    }
}
EOF
}

primary_local () {
  cat <<'EOF'
interfaces {
    ethernet eth0 {
        address "203.0.113.1/24"
    }
    openvpn vtun0 {
        mode "site-to-site"
        remote-host "203.0.113.7"
    }
}
system {
    host-name "primary"
}
EOF
}

# write_primary NAME N PORT22 [SECRET] REPLICA=N…
write_primary () {
  local name=$1 n=$2 port=$3 secret=$SECRET
  shift 3
  if [[ "${1:-}" != *=* ]]; then secret=$1; shift; fi
  local -a replicas=()
  for r in "$@"; do replicas+=("${r%%=*}=198.51.100.${r#*=}"); done
  mkdir -p "$WORK/$name"
  {
    primary_body "$port"
    ha_settings primary "$secret" "198.51.100.$n" "${replicas[@]}"
    primary_local
  } > "$WORK/$name/config.boot"
}

# write_replica NAME N PRIMARY_N [SECRET]: local config only, with a footer.
write_replica () {
  local name=$1 n=$2 p=$3 secret=${4:-$SECRET}
  mkdir -p "$WORK/$name"
  {
    ha_settings replica "$secret" "198.51.100.$n" "198.51.100.$p"
    cat <<EOF
interfaces {
    ethernet eth0 {
        address "203.0.113.$n/24"
    }
}
system {
    host-name "$name"
}
EOF
    printf '// Warning: Do not remove the following line.\n// vyos-config-version: "firewall@10:interfaces@31:system@27"\n// Release version: 1.4.0\n'
  } > "$WORK/$name/config.boot"
}

# ---- observations --------------------------------------------------------

cfg () { echo "$WORK/$1/config.boot"; }
status_field () { vcr_on "$1" --json status | jq -r "$2"; }
generation_of () { status_field "$1" .generation; }
peer_field () {  # peer_field ROUTER PEER FIELD
  vcr_on "$1" --json status | jq -r --arg p "$2" ".peers[] | select(.name == \$p) | .$3"
}
peer_is () { [ "$(peer_field "$1" "$2" state)" = "$3" ]; }
has_port () { grep -q "port \"$2\"" "$(cfg "$1")"; }

# The folder of router $1's reference copies in force (named in state.json).
reference_dir () {
  echo "$WORK/$1/state/$(jq -r '.reference_dir // "reference"' "$WORK/$1/state/state.json")"
}

# The replicated text of router $1 for "firewall name WAN", offline.
wan_text () { "$VCR_CLIENT" config show "$(cfg "$1")" --path "firewall name WAN"; }

# A fingerprint of router $1's state: state.json without the history (the
# daemon writes history a little later, batched) and the reference copies.
state_sum () {
  {
    jq -S -c 'del(.history)' "$WORK/$1/state/state.json"
    (cd "$WORK/$1/state" && find . -type f ! -name state.json | sort | xargs -r sha256sum)
  } | sha256sum
}

# vcr_json_expect ROUTER VERB… : runs the client, keeps $OUT and $RC
run_client () {
  OUT=$(vcr_on "$@" 2>&1)
  RC=$?
  log "vcr $*: exit $RC: $OUT"
}

expect_rc () { [ "$RC" = "$1" ] || fail "exit $RC, want $1: $OUT"; }

# ---- crafted peer requests -----------------------------------------------

# peer_request ROUTER METHOD PATH BODYFILE [curl args…]: from inside the
# router's namespace to its own listener; sets $status, $TMPF/resp, headers.
peer_request () {
  local name=$1 method=$2 path=$3 body=$4 ns_var="ROUTER_NETNS_$1"
  shift 4
  status=$(ip netns exec "${!ns_var}" curl -s -o "$TMPF/resp" -D "$TMPF/headers" \
             -w '%{http_code}' --max-time 20 -X "$method" "$@" --data-binary "@$body" \
             "http://$(router_addr "$name"):$PORT$path")
}

# signed ROUTER METHOD PATH BODYFILE [curl args…]: correctly signed, now
signed () {
  local name=$1 method=$2 path=$3 body=$4
  shift 4
  nonce=$(new_nonce)
  peer_request "$name" "$method" "$path" "$body" \
    -H "Authorization: $(auth_header "$SECRET" "$method" "$path" "$(date +%s)" "$nonce" "$body")" \
    "$@"
}

router_addr () { sed -n 's/.*listen-address "\(.*\)"/\1/p' "$(cfg "$1")" | head -n1; }

# v2 ROUTER METHOD PATH [vcr2-tool options…]: a protocol v2 request from
# inside the router's namespace to its own listener (--dest, --save and
# the rest as vcr2-tool.py has them); sets $status, $kind (sealed or
# plain) and $TMPF/resp (the opened document, or the plain body).
V2_TOOL="$HERE/../vcr2-tool.py"
v2 () {
  local name=$1 method=$2 path=$3 ns_var="ROUTER_NETNS_$1" out
  shift 3
  out=$(ip netns exec "${!ns_var}" /usr/bin/python3 "$V2_TOOL" request \
          "http://$(router_addr "$name"):$PORT" "$method" "$path" --secret "$SECRET" \
          --out "$TMPF/resp" "$@") || fail "vcr2-tool: $out"
  status=${out% *}
  kind=${out#* }
}

# v2_replay FROM TO FILE: the saved request bytes FILE sent, from inside
# router FROM's namespace, to router TO's listener; sets $status, $kind.
v2_replay () {
  local ns_var="ROUTER_NETNS_$1" out
  out=$(ip netns exec "${!ns_var}" /usr/bin/python3 "$V2_TOOL" replay \
          "http://$(router_addr "$2"):$PORT" "$3" --out "$TMPF/resp") || fail "vcr2-tool: $out"
  status=${out% *}
  kind=${out#* }
}

expect_sealed () { [ "$kind" = sealed ] || fail "answer not sealed: $(cat "$TMPF/resp")"; }
expect_plain () { [ "$kind" = plain ] || fail "answer sealed, want plain"; }

expect_status () { [ "$status" = "$1" ] || fail "status $status, want $1: $(cat "$TMPF/resp")"; }
expect_error () {
  grep -q "\"error\":\"$1\"" "$TMPF/resp" || fail "error body $(cat "$TMPF/resp"), want $1"
  grep -q '"message":"' "$TMPF/resp" || fail "error body without a message"
}

# ---- set-ups -------------------------------------------------------------

# A primary (198.51.100.1) and replicas r1 (…2), r2 (…3) as asked: $1 = number
# of replicas; the replicas pulled generation 1 when this returns.
two_or_three () {
  local count=$1
  shift
  local -a pairs=(primary=1 r1=2) reps=(r1=2)
  [ "$count" = 2 ] && pairs+=(r2=3) && reps+=(r2=3)
  netns_setup sw "${pairs[@]}" || fail "cannot create the namespaces"
  write_primary primary 1 22 "${reps[@]}"
  write_replica r1 2 1
  [ "$count" = 2 ] && write_replica r2 3 1
  router_start primary "$@" || fail "primary did not start"
  router_start r1 "$@" || fail "r1 did not start"
  if [ "$count" = 2 ]; then router_start r2 "$@" || fail "r2 did not start"; fi
  wait_until 100 has_port r1 22 || fail "r1 did not pull"
  if [ "$count" = 2 ]; then wait_until 100 has_port r2 22 || fail "r2 did not pull"; fi
  wait_until 100 peer_is primary r1 in-sync || fail "r1 not in sync on the primary"
}

TMPF="$WORK/files"
mkdir -p "$TMPF"
chmod 755 "$TMPF"

. "$HERE/cases.sh"
. "$HERE/cases-excl.sh"
# The fault suite (issue 9): one file per area, each case_NAME as above.
for f in "$HERE"/faults-*.sh; do
  [ -f "$f" ] && . "$f"
done

if ! declare -F "case_${case_name//-/_}" >/dev/null; then
  echo "unknown case $case_name" >&2
  exit 2
fi
"case_${case_name//-/_}"
echo "ok $case_name"
