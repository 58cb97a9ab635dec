/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request and response signing of the peer protocol (SPEC §7): the derived
 * key K, the `Authorization: VCR1 …` header (format and strict parse), the
 * response signature, constant-time comparison and a bounded nonce cache.
 * Pure: no clock and no randomness here; callers pass `now` (unix seconds)
 * and the nonce's random bytes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VCR_AUTH_ERROR (vcr_auth_error_quark ())

typedef enum {
  VCR_AUTH_ERROR_MISSING,        /* no Authorization header */
  VCR_AUTH_ERROR_MALFORMED,      /* not exactly the VCR1 syntax */
  VCR_AUTH_ERROR_STALE,          /* |now - ts| > VCR_AUTH_WINDOW_SECONDS */
  VCR_AUTH_ERROR_BAD_SIGNATURE,  /* signature does not match */
  VCR_AUTH_ERROR_REPLAY,         /* nonce seen in the last 600 s */
  VCR_AUTH_ERROR_BUSY,           /* nonce cache full of live nonces */
} VcrAuthError;

GQuark vcr_auth_error_quark (void);

#define VCR_AUTH_WINDOW_SECONDS 300
#define VCR_AUTH_NONCE_TTL_SECONDS 600
#define VCR_AUTH_NONCE_BYTES 16
#define VCR_AUTH_NONCE_HEX_LEN 32
#define VCR_AUTH_SIG_HEX_LEN 64
#define VCR_AUTH_RESPONSE_HEADER "X-VCR-Signature"

/* K = HMAC-SHA256(key = secret's UTF-8 bytes, "vyos-config-replication v1").
 * Only K is kept; the memory is wiped when freed. */
typedef struct _VcrAuthKey VcrAuthKey;

VcrAuthKey *vcr_auth_key_new (const char *secret);
VcrAuthKey *vcr_auth_key_copy (const VcrAuthKey *key);
void vcr_auth_key_free (VcrAuthKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrAuthKey, vcr_auth_key_free)

/* Lowercase hex SHA-256 of @length bytes (@data may be NULL when 0). */
char *vcr_auth_sha256_hex (const guint8 *data, gsize length);

/* Lowercase hex of @length bytes. */
char *vcr_auth_hex (const guint8 *data, gsize length);

/* TRUE when @a and @b are equal; the time taken does not depend on where
 * they differ (it does on their lengths, which are public). */
gboolean vcr_auth_equal (const char *a, const char *b);

/* The request signature (64 lowercase hex) over METHOD, PATH, ts, nonce and
 * the body's SHA-256. */
char *vcr_auth_request_signature (const VcrAuthKey *key,
                                  const char *method,
                                  const char *path,
                                  gint64 ts,
                                  const char *nonce,
                                  const guint8 *body,
                                  gsize body_length);

/* The same, from the hex SHA-256 of the body (vcr_auth_sha256_hex()):
 * a primary sends one body to many replicas and hashes it once. */
char *vcr_auth_request_signature_hashed (const VcrAuthKey *key,
                                         const char *method,
                                         const char *path,
                                         gint64 ts,
                                         const char *nonce,
                                         const char *body_hash);

/* The complete Authorization header value for a request, made with the
 * nonce from @nonce_bytes (VCR_AUTH_NONCE_BYTES random bytes from a
 * cryptographic source). @nonce_out (nullable) receives the nonce in hex,
 * which the caller needs to check the response. */
char *vcr_auth_request_header (const VcrAuthKey *key,
                               const char *method,
                               const char *path,
                               gint64 ts,
                               const guint8 *nonce_bytes,
                               const guint8 *body,
                               gsize body_length,
                               char **nonce_out);
char *vcr_auth_request_header_hashed (const VcrAuthKey *key,
                                      const char *method,
                                      const char *path,
                                      gint64 ts,
                                      const guint8 *nonce_bytes,
                                      const char *body_hash,
                                      char **nonce_out);

/* The parts of a parsed Authorization header. */
typedef struct {
  gint64 ts;
  char nonce[VCR_AUTH_NONCE_HEX_LEN + 1];
  char sig[VCR_AUTH_SIG_HEX_LEN + 1];
} VcrAuthHeader;

/* Parses exactly "VCR1 ts=<digits>, nonce=<32 lowercase hex>,
 * sig=<64 lowercase hex>": one space after VCR1, ", " between fields, this
 * order, ts 1 to 19 decimal digits without leading zeros (or "0"), nothing
 * before or after. Anything else is VCR_AUTH_ERROR_MALFORMED. */
gboolean vcr_auth_header_parse (const char *value,
                                VcrAuthHeader *out,
                                GError **error);

/* The replay memory: the nonces of accepted requests, each kept for
 * VCR_AUTH_NONCE_TTL_SECONDS after it was seen, at most @capacity of them.
 *
 * When the cache is full of nonces that are all younger than the TTL it
 * refuses new ones (VCR_AUTH_ERROR_BUSY) instead of forgetting one: evicting
 * a live nonce would let its request be replayed. Only nonces of requests
 * whose signature is valid are recorded, so only holders of the secret can
 * fill it; at the default capacity that takes more than 100 requests per
 * second sustained for ten minutes. Expiry goes oldest-inserted first; a
 * clock that steps back only keeps nonces longer, never shorter. */
typedef struct _VcrNonceCache VcrNonceCache;

#define VCR_NONCE_CACHE_DEFAULT_CAPACITY 65536

VcrNonceCache *vcr_nonce_cache_new (guint capacity);
void vcr_nonce_cache_free (VcrNonceCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrNonceCache, vcr_nonce_cache_free)

/* Records @nonce (VCR_AUTH_NONCE_HEX_LEN lowercase hex) seen at @now.
 * VCR_AUTH_ERROR_REPLAY when it is still remembered, VCR_AUTH_ERROR_BUSY
 * when the cache is full of live nonces; nothing is recorded then. */
gboolean vcr_nonce_cache_add (VcrNonceCache *cache,
                              const char *nonce,
                              gint64 now,
                              GError **error);

guint vcr_nonce_cache_get_size (VcrNonceCache *cache);

/* TRUE when @nonce is remembered at @now (expired nonces are dropped
 * first, as vcr_nonce_cache_add() does). */
gboolean vcr_nonce_cache_contains (VcrNonceCache *cache,
                                   const char *nonce,
                                   gint64 now);

/* A server checks a request in two steps, so that a request that cannot
 * be good is refused before its body is read:
 *
 * 1. vcr_auth_check_request_header(), when the headers arrive: header
 *    present and well formed, |now - ts| within the window, ts not before
 *    @not_before (the server's start: its nonce memory is no older; G_MININT64
 *    for no such bound), nonce not remembered (VCR_AUTH_ERROR_REPLAY).
 *    Nothing is recorded: anyone can write such a header.
 * 2. vcr_auth_verify_request_signature(), once the body is in and hashed
 *    (VcrAuthBodyHash): signature right (constant time), then the nonce is
 *    recorded (VCR_AUTH_ERROR_REPLAY when a request with the same nonce
 *    got there first, VCR_AUTH_ERROR_BUSY when the memory is full).
 *
 * Protocol v2 signs the headers alone and does both at once
 * (vcr_seal_verify_request_header()). */
gboolean vcr_auth_check_request_header (VcrNonceCache *cache,
                                        const char *header,
                                        gint64 now,
                                        gint64 not_before,
                                        VcrAuthHeader *out,
                                        GError **error);

/* SHA-256 of a body fed as it arrives; lowercase hex at the end. */
typedef struct _VcrAuthBodyHash VcrAuthBodyHash;

VcrAuthBodyHash *vcr_auth_body_hash_new (void);
void vcr_auth_body_hash_update (VcrAuthBodyHash *hash,
                                const guint8 *data,
                                gsize length);
/* The hex digest of everything fed; @hash is reset (fed nothing). */
char *vcr_auth_body_hash_finish (VcrAuthBodyHash *hash);
void vcr_auth_body_hash_free (VcrAuthBodyHash *hash);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrAuthBodyHash, vcr_auth_body_hash_free)

gboolean vcr_auth_verify_request_signature (const VcrAuthKey *key,
                                            VcrNonceCache *cache,
                                            const VcrAuthHeader *header,
                                            const char *method,
                                            const char *path,
                                            const char *body_hash,
                                            gint64 now,
                                            GError **error);

/* Both steps in one, for a body already in hand (no @not_before bound).
 * @header is the raw Authorization value or NULL. On success @out
 * (nullable) gets the parsed header, whose nonce signs the response. */
gboolean vcr_auth_verify_request (const VcrAuthKey *key,
                                  VcrNonceCache *cache,
                                  const char *header,
                                  const char *method,
                                  const char *path,
                                  const guint8 *body,
                                  gsize body_length,
                                  gint64 now,
                                  VcrAuthHeader *out,
                                  GError **error);

/* X-VCR-Signature of a response: 64 lowercase hex. */
char *vcr_auth_response_signature (const VcrAuthKey *key,
                                   const char *nonce,
                                   guint status,
                                   const guint8 *body,
                                   gsize body_length);

/* The client's check of a response's X-VCR-Signature value (nullable):
 * VCR_AUTH_ERROR_MISSING or VCR_AUTH_ERROR_BAD_SIGNATURE. */
gboolean vcr_auth_verify_response (const VcrAuthKey *key,
                                   const char *nonce,
                                   guint status,
                                   const guint8 *body,
                                   gsize body_length,
                                   const char *signature,
                                   GError **error);

G_END_DECLS
