#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Loopback tests of the peer HTTP server: starts peer-test-server on
# 127.0.0.1, port 0, crafts requests independently of the C code (protocol
# v1: curl, signed with openssl, the server started with --allow-v1;
# protocol v2, cases v2-*: ../vcr2-tool.py, python3-cryptography), and
# checks status, error body, response signature or seal and that refused
# requests never reached the handler.
# Usage: test-peer-server.sh SERVER_BINARY CASE
set -euo pipefail

server_bin=$1
case_name=$2
secret="correct horse battery staple"
tmp=$(mktemp -d)
server_pid=

cleanup () {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${failed:-}" ] && [ -f "$tmp/server.log" ]; then
    echo "--- server log"; cat "$tmp/server.log"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail () { failed=1; echo "FAIL: $*" >&2; exit 1; }

# SERVER_WRAP (an array) runs the server under a command, e.g. prlimit.
SERVER_WRAP=()

# The v1 cases run the server with allow-protocol-v1; v2 cases as it is by
# default, v1 refused.
case "$case_name" in v2-*|v1-refused) allow_v1= ;; *) allow_v1=1 ;; esac

start_server () {
  : > "$tmp/calls"
  G_MESSAGES_DEBUG=all "${SERVER_WRAP[@]}" "$server_bin" --secret "$secret" \
    --calls "$tmp/calls" ${allow_v1:+--allow-v1} "$@" > "$tmp/server.out" 2> "$tmp/server.log" &
  server_pid=$!
  wait_listen 1
}

# wait_listen N: until the server reported its Nth address; sets $addr.
wait_listen () {
  for _ in $(seq 1 100); do
    if [ "$(grep -c '^LISTEN ' "$tmp/server.out" 2>/dev/null)" -ge "$1" ]; then break; fi
    sleep 0.05
  done
  addr=$(sed -n 's/^LISTEN //p' "$tmp/server.out" | sed -n "${1}p")
  [ -n "$addr" ] || fail "server did not report address $1"
  host=${addr%:*}
  port=${addr##*:}
}

# Bounded wait: until "$@" succeeds, at most $1 tenths of a second.
wait_until () {
  local tries=$1
  shift
  for _ in $(seq 1 "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

fds () { ls "/proc/$server_pid/fd" | wc -l; }

# AddressSanitizer keeps freed memory in quarantine: resident-size figures
# mean nothing in such a build, so those checks only print them.
if grep -q __asan_init "$server_bin" 2>/dev/null; then sanitized=1; else sanitized=; fi
memory_check () {  # memory_check CONDITION… : fails unless true (ignored under ASan)
  if [ -n "$sanitized" ]; then echo "(not checked under AddressSanitizer)"; return 0; fi
  "$@"
}

# raw_open: a TCP connection to the server on a new fd, kept in $raw
raw_open () { exec {raw}<>"/dev/tcp/$host/$port"; }
# raw_closed FD: the server closed it (EOF) within 10 s
raw_closed () { timeout 10 cat <&"$1" > /dev/null; }

# raw_post_headers FD LENGTH: the headers of a POST announcing LENGTH body
# bytes, correctly signed for a body that never comes in full
raw_post_headers () {
  local n hdr
  n=$(new_nonce)
  head -c "$2" /dev/zero > "$tmp/announced"
  hdr=$(auth_header "$secret" POST /v1/snapshot "$(date +%s)" "$n" "$tmp/announced")
  printf 'POST /v1/snapshot HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n' \
    "$addr" "$hdr" "$2" >&"$1"
}

# sha256, key_hex, hmac, new_nonce, auth_header, response_signature
# shellcheck source=../sign.sh
. "$(dirname "$0")/../sign.sh"

# request METHOD PATH BODYFILE [curl args…]: sets $status, $tmp/resp, $tmp/headers
request () {
  local method=$1 path=$2 body=$3; shift 3
  status=$(curl -s -o "$tmp/resp" -D "$tmp/headers" -w '%{http_code}' \
                --max-time 20 -X "$method" "$@" --data-binary "@$body" \
                "http://$addr$path")
}

# signed METHOD PATH BODYFILE [curl args…]: a correctly signed request
signed () {
  local method=$1 path=$2 body=$3; shift 3
  nonce=$(new_nonce)
  request "$method" "$path" "$body" \
    -H "Authorization: $(auth_header "$secret" "$method" "$path" "$(date +%s)" "$nonce" "$body")" "$@"
}

header () { grep -i "^$1:" "$tmp/headers" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }

expect_status () { [ "$status" = "$1" ] || fail "status $status, want $1: $(cat "$tmp/resp")"; }

expect_error () {
  grep -q "\"error\":\"$1\"" "$tmp/resp" || fail "error body $(cat "$tmp/resp"), want code $1"
  grep -q '"message":"' "$tmp/resp" || fail "error body without message"
}

expect_close () { [ "$(header Connection)" = close ] || fail "no Connection: close"; }

expect_signed () {
  local want
  want=$(response_signature "$secret" "$nonce" "$status" "$tmp/resp")
  [ "$(header X-VCR-Signature)" = "$want" ] ||
    fail "X-VCR-Signature '$(header X-VCR-Signature)', want '$want'"
}

expect_unsigned () { [ -z "$(header X-VCR-Signature)" ] || fail "refusal is signed"; }
expect_no_calls () { [ ! -s "$tmp/calls" ] || fail "handler was called: $(cat "$tmp/calls")"; }
expect_calls () { [ "$(cat "$tmp/calls")" = "$1" ] || fail "calls '$(cat "$tmp/calls")', want '$1'"; }

# v2 METHOD PATH [vcr2-tool options…]: a v2 request (sealed body with
# --snapshot-json or --payload); sets $status, $kind (sealed or plain) and
# $tmp/resp (the opened document, or the plain body)
v2 () {
  local method=$1 path=$2 out
  shift 2
  out=$(/usr/bin/python3 "$(dirname "$0")/../vcr2-tool.py" request "http://$addr" "$method" "$path" \
          --secret "$secret" --out "$tmp/resp" "$@") || fail "vcr2-tool failed"
  status=${out% *}
  kind=${out#* }
}
expect_sealed () { [ "$kind" = sealed ] || fail "answer not sealed: $(cat "$tmp/resp")"; }
expect_plain () { [ "$kind" = plain ] || fail "answer sealed, want plain"; }

make_snapshot () {  # make_snapshot FILE GENERATION TEXT
  local digest
  digest=$(printf '%s' "$3" | openssl dgst -sha256 -r | cut -d' ' -f1)
  printf '{"protocol":1,"origin":"p","epoch":"0123456789abcdef0123456789abcdef","generation":%s,"paths":[{"path":"firewall name WAN","config":"%s","digest":"%s"}]}' \
    "$2" "$3" "$digest" > "$1"
}

: > "$tmp/empty"
make_snapshot "$tmp/snap" 3 'firewall {\n}\n'
printf 'firewall {\n}\n' > "$tmp/text"
# the JSON above carries the text with \n escapes: recompute its digest on
# the decoded text so the snapshot is valid
digest=$(sha256 "$tmp/text")
sed -i "s/\"digest\":\"[0-9a-f]*\"/\"digest\":\"$digest\"/" "$tmp/snap"

case "$case_name" in
  good-digests)
    start_server --mode replica
    signed GET /v1/digests "$tmp/empty"
    expect_status 200; expect_signed; expect_close
    grep -q '"mode":"replica"' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    expect_calls get-digests ;;
  good-get-snapshot)
    start_server --mode primary
    signed GET /v1/snapshot "$tmp/empty"
    expect_status 200; expect_signed; expect_close
    grep -q '"protocol":1' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    expect_calls get-snapshot ;;
  good-post)
    start_server --mode replica
    signed POST /v1/snapshot "$tmp/snap" -H 'Content-Type: application/json'
    expect_status 200; expect_signed; expect_close
    [ "$(cat "$tmp/resp")" = '{"result":"applied","generation":3}' ] || fail "body $(cat "$tmp/resp")"
    signed POST /v1/snapshot "$tmp/snap" -H 'Content-Type: application/json; charset=utf-8'
    expect_status 200; expect_signed
    [ "$(cat "$tmp/resp")" = '{"result":"unchanged","generation":3}' ] || fail "body $(cat "$tmp/resp")"
    expect_calls "$(printf 'post 3\npost 3')" ;;
  handler-error)
    start_server --mode primary
    signed POST /v1/snapshot "$tmp/snap" -H 'Content-Type: application/json'
    expect_status 409; expect_error wrong-mode; expect_signed; expect_close ;;
  missing-auth)
    start_server --mode replica
    nonce=x
    request GET /v1/digests "$tmp/empty"
    expect_status 401; expect_error unauthorized; expect_unsigned; expect_close; expect_no_calls ;;
  malformed-auth)
    start_server --mode replica
    nonce=$(new_nonce)
    good=$(auth_header "$secret" GET /v1/digests "$(date +%s)" "$nonce" "$tmp/empty")
    # (trailing white space is trimmed by HTTP itself; the unit test covers it)
    for bad in "${good^^}" "${good/, /,}" "${good/nonce=/nonce= }" "Bearer x" "${good/VCR1/VCR2}"; do
      request GET /v1/digests "$tmp/empty" -H "Authorization: $bad"
      expect_status 401; expect_error unauthorized; expect_unsigned
    done
    expect_no_calls ;;
  wrong-secret)
    start_server --mode replica
    nonce=$(new_nonce)
    request GET /v1/digests "$tmp/empty" \
      -H "Authorization: $(auth_header "not the secret" GET /v1/digests "$(date +%s)" "$nonce" "$tmp/empty")"
    expect_status 401; expect_error unauthorized; expect_unsigned; expect_no_calls ;;
  wrong-signature-path)
    start_server --mode primary
    nonce=$(new_nonce)
    request GET /v1/snapshot "$tmp/empty" \
      -H "Authorization: $(auth_header "$secret" GET /v1/digests "$(date +%s)" "$nonce" "$tmp/empty")"
    expect_status 401; expect_no_calls ;;
  tampered-body)
    start_server --mode replica
    nonce=$(new_nonce)
    hdr=$(auth_header "$secret" POST /v1/snapshot "$(date +%s)" "$nonce" "$tmp/snap")
    sed 's/"generation":3/"generation":4/' "$tmp/snap" > "$tmp/snap4"
    request POST /v1/snapshot "$tmp/snap4" -H "Authorization: $hdr" -H 'Content-Type: application/json'
    expect_status 401; expect_error unauthorized; expect_no_calls ;;
  stale-ts)
    start_server --mode replica
    for ts in $(( $(date +%s) - 400 )) $(( $(date +%s) + 400 )); do
      nonce=$(new_nonce)
      request GET /v1/digests "$tmp/empty" \
        -H "Authorization: $(auth_header "$secret" GET /v1/digests "$ts" "$nonce" "$tmp/empty")"
      expect_status 401; expect_error unauthorized
      grep -q 'clocks' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    done
    expect_no_calls ;;
  replay)
    start_server --mode replica
    nonce=$(new_nonce)
    hdr=$(auth_header "$secret" GET /v1/digests "$(date +%s)" "$nonce" "$tmp/empty")
    request GET /v1/digests "$tmp/empty" -H "Authorization: $hdr"
    expect_status 200; expect_signed
    request GET /v1/digests "$tmp/empty" -H "Authorization: $hdr"
    expect_status 401; expect_error unauthorized; expect_unsigned
    grep -q 'replay' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    expect_calls get-digests ;;
  nonce-memory-full)
    start_server --mode replica --nonce-capacity 2
    signed GET /v1/digests "$tmp/empty"; expect_status 200
    signed GET /v1/digests "$tmp/empty"; expect_status 200
    signed GET /v1/digests "$tmp/empty"
    expect_status 503; expect_error busy; expect_signed
    [ "$(wc -l < "$tmp/calls")" = 2 ] || fail "calls $(cat "$tmp/calls")" ;;
  oversized)
    start_server --mode replica --body-limit 1000
    head -c 2000 /dev/zero | tr '\0' 'a' > "$tmp/big"
    signed POST /v1/snapshot "$tmp/big" -H 'Content-Type: application/json'
    expect_status 413; expect_error too-large; expect_unsigned; expect_close; expect_no_calls ;;
  oversized-chunked)
    start_server --mode replica --body-limit 1000
    head -c 200000 /dev/zero | tr '\0' 'a' > "$tmp/big"
    signed POST /v1/snapshot "$tmp/big" -H 'Content-Type: application/json' \
      -H 'Transfer-Encoding: chunked'
    expect_status 413; expect_error too-large; expect_no_calls ;;
  oversized-expect)
    # Over the limit by its Content-Length: 413 before a 100 Continue
    start_server --mode replica --body-limit 1000
    head -c 2000 /dev/zero | tr '\0' 'a' > "$tmp/big"
    signed POST /v1/snapshot "$tmp/big" -H 'Content-Type: application/json' -H 'Expect: 100-continue'
    expect_status 413; expect_error too-large; expect_unsigned
    grep -q '^HTTP/1.1 100' "$tmp/headers" && fail "the body was asked for"
    expect_no_calls ;;
  refused-body-dropped)
    # The body of a request refused on its headers is read and dropped,
    # not kept (by libsoup, or by us) until the answer: 30 MB over the
    # 20 MB limit and 15 MB with a stale signature, sent without Expect,
    # leave the peak memory where it was.
    start_server --mode replica --body-limit 20000000
    head -c 30000000 /dev/zero > "$tmp/huge"
    head -c 15000000 /dev/zero > "$tmp/big"
    hwm () { awk '/^VmHWM/ { print $2 }' "/proc/$server_pid/status"; }
    before=$(hwm)
    signed POST /v1/snapshot "$tmp/huge" -H 'Content-Type: application/json' -H 'Expect:' --max-time 60
    expect_status 413; expect_error too-large
    nonce=$(new_nonce)
    request POST /v1/snapshot "$tmp/big" -H 'Content-Type: application/json' -H 'Expect:' \
      -H "Authorization: $(auth_header "$secret" POST /v1/snapshot $(( $(date +%s) - 400 )) "$nonce" "$tmp/big")" --max-time 60
    expect_status 401; expect_error unauthorized
    echo "VmHWM $before kB before, $(hwm) kB after refused bodies of 30 and 15 MB"
    memory_check [ "$(hwm)" -lt $((before + 8000)) ] || fail "peak memory grew from $before to $(hwm) kB"
    expect_no_calls ;;
  refused-body-unmapped)
    # A body read in full, then refused for its signature: its pages go
    # back to the kernel at once, not kept as the spare for the next body.
    start_server --mode replica --body-limit 40000000
    head -c 15000000 /dev/zero | tr '\0' ' ' > "$tmp/big"
    rss () { awk '/^VmRSS/ { print $2 }' "/proc/$server_pid/status"; }
    before=$(rss)
    nonce=$(new_nonce)
    request POST /v1/snapshot "$tmp/big" -H 'Content-Type: application/json' -H 'Expect:' \
      -H "Authorization: $(auth_header "not the secret" POST /v1/snapshot "$(date +%s)" "$nonce" "$tmp/big")" --max-time 60
    expect_status 401; expect_error unauthorized
    grep -q 'wrong request signature' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    echo "VmRSS $before kB before, $(rss) kB after a refused body of 15 MB"
    memory_check [ "$(rss)" -lt $((before + 4000)) ] || fail "VmRSS grew from $before to $(rss) kB"
    expect_no_calls ;;
  limit-exact)
    start_server --mode replica --body-limit "$(stat -c %s "$tmp/snap")"
    signed POST /v1/snapshot "$tmp/snap" -H 'Content-Type: application/json'
    expect_status 200; expect_signed ;;
  content-type)
    start_server --mode replica
    for ct in 'text/plain' 'application/x-www-form-urlencoded'; do
      signed POST /v1/snapshot "$tmp/snap" -H "Content-Type: $ct"
      expect_status 415; expect_error unsupported-media-type; expect_signed; expect_close
    done
    expect_no_calls ;;
  malformed-json)
    start_server --mode replica
    for doc in '{' '{"protocol":1}' "{'a':1}" 'null' \
               '{"protocol":1,"origin":"p","epoch":"0123456789abcdef0123456789abcdef","generation":-1,"paths":[]}'; do
      printf '%s' "$doc" > "$tmp/bad"
      signed POST /v1/snapshot "$tmp/bad" -H 'Content-Type: application/json'
      expect_status 400; expect_error bad-request; expect_signed
    done
    expect_no_calls ;;
  bad-digest)
    start_server --mode replica
    sed 's/"digest":"./"digest":"0/' "$tmp/snap" > "$tmp/bad"
    cmp -s "$tmp/bad" "$tmp/snap" && sed -i 's/"digest":"./"digest":"1/' "$tmp/bad"
    signed POST /v1/snapshot "$tmp/bad" -H 'Content-Type: application/json'
    expect_status 400; expect_error bad-snapshot; expect_signed; expect_no_calls ;;
  unknown-endpoint)
    start_server --mode replica
    for p in / /v1 /v1/snapshots /v2/snapshot /v1/digests/x; do
      signed GET "$p" "$tmp/empty"
      expect_status 404; expect_error not-found; expect_signed; expect_close
    done
    expect_no_calls ;;
  wrong-method)
    start_server --mode replica
    signed PUT /v1/snapshot "$tmp/snap" -H 'Content-Type: application/json'
    expect_status 405; expect_error method-not-allowed; expect_signed
    signed POST /v1/digests "$tmp/snap" -H 'Content-Type: application/json'
    expect_status 405; expect_signed
    [ "$(header Allow)" = GET ] || fail "Allow: $(header Allow)"
    signed DELETE /v1/snapshot "$tmp/empty"
    expect_status 405
    expect_no_calls ;;
  get-with-body)
    start_server --mode primary
    signed GET /v1/snapshot "$tmp/snap"
    expect_status 400; expect_error bad-request; expect_signed; expect_no_calls ;;
  fd-flat)
    # libsoup 3.2.3 leaks idle keep-alive sockets; Connection: close avoids
    # it. 2,000 requests, signed and unsigned, must leave the fd count as is.
    start_server --mode replica
    signed GET /v1/digests "$tmp/empty"; expect_status 200
    sleep 0.2
    before=$(ls "/proc/$server_pid/fd" | wc -l)
    for i in $(seq 1 1000); do
      printf 'url = "http://%s/v1/digests"\noutput = "/dev/null"\n' "$addr"
      printf 'url = "http://%s/v1/nope"\noutput = "/dev/null"\n' "$addr"
    done > "$tmp/curl.cfg"
    # one curl process, keep-alive allowed on its side: the server must close
    curl -s --max-time 300 -K "$tmp/curl.cfg" -w '%{http_code}\n' > "$tmp/codes"
    [ "$(grep -c '^401$' "$tmp/codes")" = 2000 ] || fail "codes: $(sort "$tmp/codes" | uniq -c)"
    for i in $(seq 1 50); do signed GET /v1/digests "$tmp/empty"; expect_status 200; done
    sleep 0.5
    after=$(ls "/proc/$server_pid/fd" | wc -l)
    echo "fds before $before, after $after"
    [ "$after" -le "$before" ] || fail "fd count grew from $before to $after" ;;
  expect-continue)
    # A request refused on its headers gets its 401 without a 100 Continue:
    # its body is never asked for, never read.
    start_server --mode replica
    continue_seen () { grep -q '^HTTP/1.1 100' "$tmp/headers"; }
    head -c 100000 /dev/zero | tr '\0' 'x' > "$tmp/padded"
    signed POST /v1/snapshot "$tmp/padded" -H 'Content-Type: application/json' -H 'Expect: 100-continue'
    expect_status 400; expect_signed
    continue_seen || fail "a good request was not asked for its body (the check cannot see)"
    nonce=$(new_nonce)
    stale=$(auth_header "$secret" POST /v1/snapshot $(( $(date +%s) - 400 )) "$nonce" "$tmp/padded")
    used=$(auth_header "$secret" POST /v1/snapshot "$(date +%s)" "$(new_nonce)" "$tmp/snap")
    request POST /v1/snapshot "$tmp/snap" -H "Authorization: $used" -H 'Content-Type: application/json'
    expect_status 200
    for hdr in "$stale" "$used" "VCR1 ts=1, nonce=x" ""; do
      request POST /v1/snapshot "$tmp/padded" -H "Authorization: $hdr" \
        -H 'Content-Type: application/json' -H 'Expect: 100-continue'
      expect_status 401; expect_error unauthorized; expect_unsigned; expect_close
      continue_seen && fail "a refused request was asked for its body: $(cat "$tmp/headers")"
    done
    expect_calls "post 3" ;;
  headers-deadline)
    # A silent client, and one that stops within its headers, are closed
    # (the test waits at most 10 s; the deadline is 300 ms).
    start_server --mode replica --headers-ms 300
    raw_open; silent=$raw
    raw_open; partial=$raw
    printf 'GET /v1/digests HTTP/1.1\r\nHost: x\r\n' >&"$partial"
    raw_closed "$silent" || fail "a silent connection was not closed"
    raw_closed "$partial" || fail "a connection with half its headers was not closed"
    signed GET /v1/digests "$tmp/empty"; expect_status 200 ;;
  body-deadline)
    # Headers that pass the early check, then a body that stops.
    start_server --mode replica --transfer-ms 300
    raw_open
    raw_post_headers "$raw" 1000
    printf '{"protocol":' >&"$raw"
    raw_closed "$raw" || fail "a stalled body was not cut off"
    expect_no_calls
    signed GET /v1/digests "$tmp/empty"; expect_status 200 ;;
  eviction)
    # At the cap (4), each new connection evicts the oldest one that is
    # not authenticated: silent connections never hold the server, and the
    # descriptors stay bounded.
    start_server --mode replica --max-connections 4 --headers-ms 60000
    base=$(fds)
    opened=()
    for _ in $(seq 1 12); do raw_open; opened+=("$raw"); done
    signed GET /v1/digests "$tmp/empty"; expect_status 200; expect_signed
    closed=0
    for fd in "${opened[@]}"; do
      if timeout 0.5 cat <&"$fd" > /dev/null; then closed=$((closed + 1)); fi
    done
    echo "fds: $base before, $(fds) with 12 silent connections; $closed of them evicted"
    [ "$(fds)" -le $((base + 4)) ] || fail "$(fds) descriptors, the cap is 4 over $base"
    [ "$closed" -ge 8 ] || fail "only $closed of 12 silent connections were evicted" ;;
  held-not-evicted)
    # Authenticated requests that the handler holds (an apply) are never
    # evicted; a further request waits for room instead of being refused.
    start_server --mode replica --max-connections 2 --post-delay-ms 3000 --headers-ms 60000
    for i in 1 2; do
      make_snapshot "$tmp/held$i" "$((10 + i))" 'firewall {\n}\n'
      sed -i "s/\"digest\":\"[0-9a-f]*\"/\"digest\":\"$digest\"/" "$tmp/held$i"
      n=$(new_nonce)
      curl -s -o "$tmp/held$i.resp" -w '%{http_code}' --max-time 30 -X POST \
        -H "Authorization: $(auth_header "$secret" POST /v1/snapshot "$(date +%s)" "$n" "$tmp/held$i")" \
        -H 'Content-Type: application/json' --data-binary "@$tmp/held$i" \
        "http://$addr/v1/snapshot" > "$tmp/held$i.status" &
      eval "held_pid$i=\$!"
    done
    posts_held () { [ "$(grep -c '^post' "$tmp/calls")" = 2 ]; }
    wait_until 100 posts_held || fail "the posts did not reach the handler: $(cat "$tmp/calls") $(cat "$tmp"/held*.status) $(tail -5 "$tmp/server.out")"
    for _ in $(seq 1 6); do raw_open; done
    signed GET /v1/digests "$tmp/empty"   # waits for room: accepted after a post ends
    expect_status 200
    wait "$held_pid1"; wait "$held_pid2"
    [ "$(cat "$tmp/held1.status") $(cat "$tmp/held2.status")" = "200 200" ] ||
      fail "held posts: $(cat "$tmp/held1.status") $(cat "$tmp/held2.status")" ;;
  budget)
    # Two requests announcing a body of the limit each (signed headers,
    # no body yet) hold the whole in-flight budget (2 x 1000): a third is
    # refused with 503 busy before its body is read; a GET needs no room.
    start_server --mode replica --body-limit 1000
    raw_open; first=$raw; raw_post_headers "$first" 1000
    raw_open; second=$raw; raw_post_headers "$second" 1000
    head -c 1000 /dev/zero | tr '\0' ' ' > "$tmp/kb"
    reserved () { [ "$(grep -c ' 1000 body bytes reserved' "$tmp/server.out")" -ge 2 ]; }  # debug goes to stdout
    wait_until 100 reserved || fail "the two announced bodies were not reserved"
    signed POST /v1/snapshot "$tmp/kb" -H 'Content-Type: application/json'
    expect_status 503; expect_error busy; expect_unsigned
    signed GET /v1/digests "$tmp/empty"; expect_status 200
    exec {first}>&- {second}>&-
    retry_post () { signed POST /v1/snapshot "$tmp/kb" -H 'Content-Type: application/json'; [ "$status" != 503 ]; }
    wait_until 100 retry_post || fail "the budget was not given back"
    expect_status 400
    expect_calls get-digests ;;
  nonce-not-recorded)
    # A request with a wrong signature leaves no trace: its nonce is free
    # for the real one.
    start_server --mode replica
    nonce=$(new_nonce)
    request GET /v1/digests "$tmp/empty" \
      -H "Authorization: $(auth_header "not the secret" GET /v1/digests "$(date +%s)" "$nonce" "$tmp/empty")"
    expect_status 401
    request GET /v1/digests "$tmp/empty" \
      -H "Authorization: $(auth_header "$secret" GET /v1/digests "$(date +%s)" "$nonce" "$tmp/empty")"
    expect_status 200; expect_signed ;;
  ts-before-start)
    # Signed before the server started: its nonce may have been used with
    # the server before, refused; the primary signs again.
    start_server --mode replica
    nonce=$(new_nonce)
    request GET /v1/digests "$tmp/empty" \
      -H "Authorization: $(auth_header "$secret" GET /v1/digests $(( $(date +%s) - 30 )) "$nonce" "$tmp/empty")"
    expect_status 401; expect_error unauthorized; expect_unsigned
    grep -q 'before this server started' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    signed GET /v1/digests "$tmp/empty"; expect_status 200
    expect_calls get-digests ;;
  rebind-nonces)
    # The nonce memory survives listening again on another port.
    start_server --mode replica
    nonce=$(new_nonce)
    hdr=$(auth_header "$secret" GET /v1/digests "$(date +%s)" "$nonce" "$tmp/empty")
    request GET /v1/digests "$tmp/empty" -H "Authorization: $hdr"
    expect_status 200
    old=$addr
    kill -USR1 "$server_pid"
    wait_listen 2
    [ "$addr" != "$old" ] || fail "the server did not move ($addr)"
    request GET /v1/digests "$tmp/empty" -H "Authorization: $hdr"
    expect_status 401; expect_error unauthorized
    grep -q replay "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    signed GET /v1/digests "$tmp/empty"; expect_status 200
    expect_calls "$(printf 'get-digests\nget-digests')" ;;
  emfile)
    # More connections than the server has descriptors: accept() fails
    # with EMFILE. The server backs off and keeps accepting: once the idle
    # connections have timed out, a signed request gets through.
    SERVER_WRAP=(prlimit --nofile=32:32 --)
    start_server --mode replica --headers-ms 1000
    opened=()
    for _ in $(seq 1 60); do raw_open; opened+=("$raw"); done
    wait_until 100 grep -q 'Cannot accept peer connections' "$tmp/server.log" ||
      fail "the server never ran out of descriptors"
    signed GET /v1/digests "$tmp/empty" --max-time 30
    expect_status 200; expect_signed
    for fd in "${opened[@]}"; do exec {fd}>&-; done
    grep -q 'Accepting peer connections again' "$tmp/server.log" || fail "no end of the episode logged"
    [ "$(grep -c 'Cannot accept peer connections' "$tmp/server.log")" = 1 ] ||
      fail "the warning was repeated: $(grep -c 'Cannot accept' "$tmp/server.log")" ;;
  ipv6)
    if ! "$server_bin" --help >/dev/null 2>&1 || ! ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
      echo "no IPv6 loopback"; exit 77
    fi
    start_server --mode replica --listen ::1
    case "$addr" in "[::1]:"*) ;; *) fail "address $addr" ;; esac
    signed GET /v1/digests "$tmp/empty"
    expect_status 200; expect_signed ;;
  v2-good)
    # digests, the snapshot and a POST, each answered sealed for its request
    start_server --mode replica
    v2 GET /v1/digests
    expect_status 200; expect_sealed
    grep -q '"mode":"replica"' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap"
    expect_status 200; expect_sealed
    [ "$(cat "$tmp/resp")" = '{"result":"applied","generation":3}' ] || fail "body $(cat "$tmp/resp")"
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap"
    expect_status 200; expect_sealed
    [ "$(cat "$tmp/resp")" = '{"result":"unchanged","generation":3}' ] || fail "body $(cat "$tmp/resp")"
    expect_calls "$(printf 'get-digests\npost 3\npost 3')" ;;
  v2-get-snapshot)
    start_server --mode primary
    v2 GET /v1/snapshot --texts
    expect_status 200; expect_sealed
    grep -q '"protocol":2' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    grep -q 'default-action drop' "$tmp/resp" || fail "the text is not in the payload"
    expect_calls get-snapshot ;;
  texts)
    # GET /v1/texts: a replica's texts, sealed, in v2 only; a v1 request
    # (allowed on this server) does not find it; GET only.
    start_server --mode replica
    v2 GET /v1/texts --texts
    expect_status 200; expect_sealed
    grep -q '"epoch":""' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    grep -q '"kept":\["firewall name WAN description"\]' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    grep -q 'default-action drop' "$tmp/resp" || fail "the text is not in the payload"
    expect_calls get-texts
    signed GET /v1/texts "$tmp/empty"
    expect_status 404; expect_error not-found; expect_signed
    v2 POST /v1/texts --payload '{}'
    expect_status 405; expect_sealed
    expect_calls get-texts ;;
  texts-primary)
    start_server --mode primary
    v2 GET /v1/texts
    expect_status 409; expect_sealed; expect_error wrong-mode
    expect_calls get-texts ;;
  v1-refused)
    # Without allow-protocol-v1 a correctly signed v1 request is refused
    # when its headers arrive, with a message that says why and what to do.
    start_server --mode replica
    signed POST /v1/snapshot "$tmp/snap" -H 'Content-Type: application/json'
    expect_status 401; expect_error unauthorized; expect_unsigned
    grep -q 'protocol v1 is refused on this node' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    grep -q 'allow-protocol-v1' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    signed GET /v1/digests "$tmp/empty"
    expect_status 401
    expect_no_calls ;;
  v2-wrong-secret)
    start_server --mode replica
    secret="not the secret" v2 POST /v1/snapshot --snapshot-json "$tmp/snap"
    expect_status 401; expect_plain; expect_error unauthorized; expect_no_calls ;;
  v2-other-destination)
    # A request signed for another receiver (a capture on its way to
    # another replica) is refused on its headers; one whose header is for
    # this receiver but whose body was sealed for another, once its body
    # is in.
    start_server --mode replica
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --dest "127.0.0.2:$port"
    expect_status 401; expect_plain; expect_error unauthorized
    grep -q 'other destination' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --body-dest "127.0.0.2:$port"
    expect_status 400; expect_sealed; expect_error bad-request
    grep -q 'sealed for another receiver' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    expect_no_calls ;;
  v2-tampered)
    # One byte changed in each region of the frame: refused, the handler
    # never called; the same request untouched is applied.
    start_server --mode replica
    for region in magic lock lock-tag payload tag; do
      v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --tamper "$region"
      expect_status 400; expect_sealed; expect_error bad-request
      echo "$region: $(cat "$tmp/resp")"
    done
    expect_no_calls
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap"
    expect_status 200; expect_sealed
    expect_calls "post 3" ;;
  v2-replay)
    start_server --mode replica
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --save "$tmp/req"
    expect_status 200
    out=$(/usr/bin/python3 "$(dirname "$0")/../vcr2-tool.py" replay "http://$addr" "$tmp/req" \
            --out "$tmp/resp")
    [ "$out" = "401 plain" ] || fail "replayed: $out $(cat "$tmp/resp")"
    grep -q 'already used' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    expect_calls "post 3" ;;
  v2-time)
    # Out of the window either way, or signed before the server started.
    start_server --mode replica
    for ts in $(( $(date +%s) - 400 )) $(( $(date +%s) + 400 )) $(( $(date +%s) - 30 )); do
      v2 GET /v1/digests --ts "$ts"
      expect_status 401; expect_plain; expect_error unauthorized
    done
    grep -q 'before this server started' "$tmp/resp" || fail "body $(cat "$tmp/resp")"
    expect_no_calls ;;
  v2-length)
    # The header signs the body's length: another Content-Length is
    # refused on the headers.
    start_server --mode replica
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --length 5
    expect_status 401; expect_plain; expect_no_calls ;;
  v2-errors-sealed)
    # Every answer to an authenticated v2 request is sealed, refusals too.
    start_server --mode primary --body-limit 600
    v2 GET /v1/nope
    expect_status 404; expect_sealed; expect_error not-found
    v2 PUT /v1/snapshot
    expect_status 405; expect_sealed; expect_error method-not-allowed
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --content-type application/json
    expect_status 415; expect_sealed; expect_error unsupported-media-type
    v2 POST /v1/snapshot --payload '{"protocol":2}'
    expect_status 400; expect_sealed; expect_error bad-request
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap"
    expect_status 409; expect_sealed; expect_error wrong-mode
    head -c 700 /dev/zero | tr '\0' ' ' > "$tmp/pad"
    v2 POST /v1/snapshot --payload "$(cat "$tmp/pad")"
    expect_status 413; expect_sealed; expect_error too-large
    expect_calls "post 3" ;;
  v2-refused-unread)
    # A v2 request whose header is wrong gets its 401 without a 100
    # Continue: its body is never asked for, never read.
    start_server --mode replica
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --dest "127.0.0.2:$port" --expect \
      --save-head "$tmp/head" --no-send
    raw_open
    cat "$tmp/head" >&"$raw"
    timeout 10 cat <&"$raw" > "$tmp/answer" || true
    grep -q '^HTTP/1.1 401' "$tmp/answer" || fail "answer: $(head -c 300 "$tmp/answer")"
    grep -q '^HTTP/1.1 100' "$tmp/answer" && fail "the body was asked for"
    # the same head signed right is asked for its body (the check can see)
    v2 POST /v1/snapshot --snapshot-json "$tmp/snap" --expect --save-head "$tmp/head" --no-send
    raw_open
    cat "$tmp/head" >&"$raw"
    timeout 2 cat <&"$raw" > "$tmp/answer" || true
    grep -q '^HTTP/1.1 100' "$tmp/answer" || fail "a good request was not asked for its body"
    expect_no_calls ;;
  v2-chunked)
    start_server --mode replica
    nonce=$(new_nonce)
    request POST /v1/snapshot "$tmp/snap" -H 'Transfer-Encoding: chunked' \
      -H "Content-Type: application/vnd.vyos-config-replication.v2" \
      -H "Authorization: VCR2 ts=$(date +%s), nonce=$nonce, sig=$(printf '%064d' 0)"
    expect_status 411; expect_unsigned; expect_no_calls ;;
  *)
    echo "unknown case $case_name" >&2; exit 2 ;;
esac
echo "ok $case_name"
