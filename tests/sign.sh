# SPDX-License-Identifier: GPL-2.0-or-later
#
# Request signing of the peer protocol (SPEC §7) in shell, with openssl
# only, independently of the C code: sourced by the peer server tests and
# the system tests to craft requests with curl and to check the response
# signature. Pure functions, no state.

sha256 () { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }

# key_hex SECRET: K = HMAC-SHA256(secret, "vyos-config-replication v1"), hex
key_hex () {
  printf '%s' 'vyos-config-replication v1' | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1
}

# hmac KEY_HEX < MESSAGE
hmac () { openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -r | cut -d' ' -f1; }

new_nonce () { openssl rand -hex 16; }

# auth_header SECRET METHOD PATH TS NONCE BODYFILE: the Authorization value
auth_header () {
  local k sig
  k=$(key_hex "$1")
  sig=$(printf 'VCR1\n%s\n%s\n%s\n%s\n%s' "$2" "$3" "$4" "$5" "$(sha256 "$6")" | hmac "$k")
  printf 'VCR1 ts=%s, nonce=%s, sig=%s' "$4" "$5" "$sig"
}

# response_signature SECRET NONCE STATUS BODYFILE: the X-VCR-Signature due
response_signature () {
  printf 'VCR1-RESPONSE\n%s\n%s\n%s' "$2" "$3" "$(sha256 "$4")" | hmac "$(key_hex "$1")"
}
