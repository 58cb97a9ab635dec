/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer protocol signing (SPEC §7): HMAC-SHA256 request and response
 * signatures, the strict Authorization header parser and the replay cache.
 * Everything here is deterministic; time and randomness come from callers.
 */
#define G_LOG_DOMAIN "vcr-auth"

#include "vcr-auth.h"

#include <string.h>

#include <nettle/hmac.h>
#include <nettle/sha2.h>

G_DEFINE_QUARK (vcr-auth-error-quark, vcr_auth_error)

#define SHA256_LEN 32
#define KEY_CONTEXT "vyos-config-replication v1"

struct _VcrAuthKey {
  guint8 k[SHA256_LEN];
};

static void
hmac_sha256 (const guint8 *key, gsize key_len,
             const guint8 *msg, gsize msg_len,
             guint8 out[SHA256_LEN])
{
  struct hmac_sha256_ctx ctx;

  hmac_sha256_set_key (&ctx, key_len, key);
  hmac_sha256_update (&ctx, msg_len, msg);
  hmac_sha256_digest (&ctx, SHA256_LEN, out);
}

VcrAuthKey *
vcr_auth_key_new (const char *secret)
{
  VcrAuthKey *key;

  g_return_val_if_fail (secret != NULL, NULL);
  key = g_new0 (VcrAuthKey, 1);
  hmac_sha256 ((const guint8 *) secret, strlen (secret),
               (const guint8 *) KEY_CONTEXT, strlen (KEY_CONTEXT), key->k);
  return key;
}

VcrAuthKey *
vcr_auth_key_copy (const VcrAuthKey *key)
{
  return g_memdup2 (key, sizeof *key);
}

void
vcr_auth_key_free (VcrAuthKey *key)
{
  if (key == NULL)
    return;
  /* volatile stores so the wipe is not optimised away before free() */
  for (gsize i = 0; i < sizeof key->k; i++)
    ((volatile guint8 *) key->k)[i] = 0;
  g_free (key);
}

char *
vcr_auth_hex (const guint8 *data, gsize length)
{
  static const char digits[] = "0123456789abcdef";
  char *out = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0xf];
    }
  out[length * 2] = '\0';
  return out;
}

char *
vcr_auth_sha256_hex (const guint8 *data, gsize length)
{
  struct sha256_ctx ctx;
  guint8 digest[SHA256_DIGEST_SIZE];

  /* nettle runs on the CPU's SHA extensions where it has them */
  sha256_init (&ctx);
  sha256_update (&ctx, length, data);
  sha256_digest (&ctx, sizeof digest, digest);
  return vcr_auth_hex (digest, sizeof digest);
}

gboolean
vcr_auth_equal (const char *a, const char *b)
{
  gsize len;
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  len = strlen (a);
  if (len != strlen (b))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i];
  return diff == 0;
}

static char *
sign_text (const VcrAuthKey *key, const GString *text)
{
  guint8 mac[SHA256_LEN];

  hmac_sha256 (key->k, sizeof key->k, (const guint8 *) text->str, text->len, mac);
  return vcr_auth_hex (mac, sizeof mac);
}

char *
vcr_auth_request_signature_hashed (const VcrAuthKey *key,
                                   const char *method,
                                   const char *path,
                                   gint64 ts,
                                   const char *nonce,
                                   const char *body_hash)
{
  g_autoptr(GString) text = g_string_new ("VCR1\n");

  g_string_append_printf (text, "%s\n%s\n%" G_GINT64_FORMAT "\n%s\n%s",
                          method, path, ts, nonce, body_hash);
  return sign_text (key, text);
}

char *
vcr_auth_request_signature (const VcrAuthKey *key,
                            const char *method,
                            const char *path,
                            gint64 ts,
                            const char *nonce,
                            const guint8 *body,
                            gsize body_length)
{
  g_autofree char *body_hash = vcr_auth_sha256_hex (body, body_length);
  return vcr_auth_request_signature_hashed (key, method, path, ts, nonce, body_hash);
}

char *
vcr_auth_request_header_hashed (const VcrAuthKey *key,
                                const char *method,
                                const char *path,
                                gint64 ts,
                                const guint8 *nonce_bytes,
                                const char *body_hash,
                                char **nonce_out)
{
  g_autofree char *nonce = vcr_auth_hex (nonce_bytes, VCR_AUTH_NONCE_BYTES);
  g_autofree char *sig = vcr_auth_request_signature_hashed (key, method, path, ts,
                                                            nonce, body_hash);
  char *header = g_strdup_printf ("VCR1 ts=%" G_GINT64_FORMAT ", nonce=%s, sig=%s",
                                  ts, nonce, sig);

  if (nonce_out != NULL)
    *nonce_out = g_steal_pointer (&nonce);
  return header;
}

char *
vcr_auth_request_header (const VcrAuthKey *key,
                         const char *method,
                         const char *path,
                         gint64 ts,
                         const guint8 *nonce_bytes,
                         const guint8 *body,
                         gsize body_length,
                         char **nonce_out)
{
  g_autofree char *body_hash = vcr_auth_sha256_hex (body, body_length);
  return vcr_auth_request_header_hashed (key, method, path, ts, nonce_bytes, body_hash,
                                         nonce_out);
}

/* Consumes exactly @len lowercase hex digits at *p into @out. */
static gboolean
take_hex (const char **p, gsize len, char *out)
{
  for (gsize i = 0; i < len; i++)
    {
      char c = (*p)[i];

      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return FALSE;
      out[i] = c;
    }
  out[len] = '\0';
  *p += len;
  return TRUE;
}

static gboolean
take_literal (const char **p, const char *literal)
{
  gsize len = strlen (literal);

  if (strncmp (*p, literal, len) != 0)
    return FALSE;
  *p += len;
  return TRUE;
}

/* 1 to 19 digits, no leading zero except "0" itself, fits in gint64. */
static gboolean
take_ts (const char **p, gint64 *out)
{
  guint64 value = 0;
  gsize n = 0;

  while ((*p)[n] >= '0' && (*p)[n] <= '9')
    {
      if (n == 19)
        return FALSE;
      value = value * 10 + (guint64) ((*p)[n] - '0');
      n++;
    }
  if (n == 0 || (n > 1 && (*p)[0] == '0') || value > G_MAXINT64)
    return FALSE;
  *out = (gint64) value;
  *p += n;
  return TRUE;
}

gboolean
vcr_auth_header_parse (const char *value, VcrAuthHeader *out, GError **error)
{
  const char *p = value;
  VcrAuthHeader h = { 0 };

  if (value == NULL)
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MISSING,
                           "missing Authorization header");
      return FALSE;
    }
  if (!take_literal (&p, "VCR1 ts=") || !take_ts (&p, &h.ts) ||
      !take_literal (&p, ", nonce=") ||
      !take_hex (&p, VCR_AUTH_NONCE_HEX_LEN, h.nonce) ||
      !take_literal (&p, ", sig=") ||
      !take_hex (&p, VCR_AUTH_SIG_HEX_LEN, h.sig) || *p != '\0')
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED,
                           "malformed Authorization header (want \"VCR1 ts=N, "
                           "nonce=<32 hex>, sig=<64 hex>\")");
      return FALSE;
    }
  if (out != NULL)
    *out = h;
  return TRUE;
}

/* Unsigned differences: exact for any two gint64 in this order. */
static gboolean
within_window (gint64 ts, gint64 now)
{
  if (ts > now)
    return (guint64) ts - (guint64) now <= VCR_AUTH_WINDOW_SECONDS;
  return (guint64) now - (guint64) ts <= VCR_AUTH_WINDOW_SECONDS;
}

gboolean
vcr_auth_check_request_header (VcrNonceCache *cache,
                               const char *header,
                               gint64 now,
                               gint64 not_before,
                               VcrAuthHeader *out,
                               GError **error)
{
  VcrAuthHeader h;

  if (!vcr_auth_header_parse (header, &h, error))
    return FALSE;
  if (!within_window (h.ts, now))
    {
      g_set_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_STALE,
                   "request time %" G_GINT64_FORMAT " is more than %d s from "
                   "ours (%" G_GINT64_FORMAT "); check both clocks",
                   h.ts, VCR_AUTH_WINDOW_SECONDS, now);
      return FALSE;
    }
  /* The nonce memory begins at @not_before: a request signed earlier may
   * have been accepted by the process before, and would be taken again. */
  if (h.ts < not_before)
    {
      g_set_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_STALE,
                   "request time %" G_GINT64_FORMAT " is before this server "
                   "started (%" G_GINT64_FORMAT "); sign it again",
                   h.ts, not_before);
      return FALSE;
    }
  if (vcr_nonce_cache_contains (cache, h.nonce, now))
    {
      g_set_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY,
                   "nonce %s was already used (replayed request)", h.nonce);
      return FALSE;
    }
  if (out != NULL)
    *out = h;
  return TRUE;
}

struct _VcrAuthBodyHash {
  struct sha256_ctx ctx;
};

VcrAuthBodyHash *
vcr_auth_body_hash_new (void)
{
  VcrAuthBodyHash *hash = g_new (VcrAuthBodyHash, 1);

  sha256_init (&hash->ctx);
  return hash;
}

void
vcr_auth_body_hash_update (VcrAuthBodyHash *hash, const guint8 *data, gsize length)
{
  sha256_update (&hash->ctx, length, data);
}

char *
vcr_auth_body_hash_finish (VcrAuthBodyHash *hash)
{
  guint8 digest[SHA256_DIGEST_SIZE];

  /* nettle's digest also resets the context for the next message */
  sha256_digest (&hash->ctx, sizeof digest, digest);
  return vcr_auth_hex (digest, sizeof digest);
}

void
vcr_auth_body_hash_free (VcrAuthBodyHash *hash)
{
  g_free (hash);
}

gboolean
vcr_auth_verify_request_signature (const VcrAuthKey *key,
                                   VcrNonceCache *cache,
                                   const VcrAuthHeader *header,
                                   const char *method,
                                   const char *path,
                                   const char *body_hash,
                                   gint64 now,
                                   GError **error)
{
  g_autofree char *expected = vcr_auth_request_signature_hashed (key, method, path,
                                                                 header->ts, header->nonce,
                                                                 body_hash);

  if (!vcr_auth_equal (expected, header->sig))
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE,
                           "wrong request signature (different pre-shared secret?)");
      return FALSE;
    }
  /* only signed requests reach the cache, so only key holders can fill it */
  return vcr_nonce_cache_add (cache, header->nonce, now, error);
}

gboolean
vcr_auth_verify_request (const VcrAuthKey *key,
                         VcrNonceCache *cache,
                         const char *header,
                         const char *method,
                         const char *path,
                         const guint8 *body,
                         gsize body_length,
                         gint64 now,
                         VcrAuthHeader *out,
                         GError **error)
{
  VcrAuthHeader h;
  g_autofree char *body_hash = NULL;

  if (!vcr_auth_check_request_header (cache, header, now, G_MININT64, &h, error))
    return FALSE;
  body_hash = vcr_auth_sha256_hex (body, body_length);
  if (!vcr_auth_verify_request_signature (key, cache, &h, method, path, body_hash,
                                          now, error))
    return FALSE;
  if (out != NULL)
    *out = h;
  return TRUE;
}

char *
vcr_auth_response_signature (const VcrAuthKey *key,
                             const char *nonce,
                             guint status,
                             const guint8 *body,
                             gsize body_length)
{
  g_autoptr(GString) text = g_string_new ("VCR1-RESPONSE\n");
  g_autofree char *body_hash = vcr_auth_sha256_hex (body, body_length);

  g_string_append_printf (text, "%s\n%u\n%s", nonce, status, body_hash);
  return sign_text (key, text);
}

gboolean
vcr_auth_verify_response (const VcrAuthKey *key,
                          const char *nonce,
                          guint status,
                          const guint8 *body,
                          gsize body_length,
                          const char *signature,
                          GError **error)
{
  g_autofree char *expected = NULL;

  if (signature == NULL)
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MISSING,
                           "response has no " VCR_AUTH_RESPONSE_HEADER);
      return FALSE;
    }
  expected = vcr_auth_response_signature (key, nonce, status, body, body_length);
  if (!vcr_auth_equal (expected, signature))
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE,
                           "wrong response signature");
      return FALSE;
    }
  return TRUE;
}

/* The nonce cache: a ring of entries in insertion order (oldest at @head)
 * plus a hash set over the same strings for lookup. */
typedef struct {
  char nonce[VCR_AUTH_NONCE_HEX_LEN + 1];
  gint64 seen;
} NonceEntry;

struct _VcrNonceCache {
  NonceEntry *ring;
  guint capacity;
  guint head;
  guint count;
  GHashTable *set;   /* char* (into ring) → itself */
};

VcrNonceCache *
vcr_nonce_cache_new (guint capacity)
{
  VcrNonceCache *cache;

  g_return_val_if_fail (capacity > 0, NULL);
  cache = g_new0 (VcrNonceCache, 1);
  cache->capacity = capacity;
  cache->ring = g_new0 (NonceEntry, capacity);
  cache->set = g_hash_table_new (g_str_hash, g_str_equal);
  return cache;
}

void
vcr_nonce_cache_free (VcrNonceCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->set);
  g_free (cache->ring);
  g_free (cache);
}

guint
vcr_nonce_cache_get_size (VcrNonceCache *cache)
{
  return cache->count;
}

static void
nonce_cache_expire (VcrNonceCache *cache, gint64 now)
{
  while (cache->count > 0)
    {
      NonceEntry *oldest = &cache->ring[cache->head];

      /* "seen in the last 600 s" includes exactly 600 s ago; unsigned
       * difference, since now - seen overflows for clocks far apart */
      if (now <= oldest->seen ||
          (guint64) now - (guint64) oldest->seen <= VCR_AUTH_NONCE_TTL_SECONDS)
        return;
      g_hash_table_remove (cache->set, oldest->nonce);
      cache->head = (cache->head + 1) % cache->capacity;
      cache->count--;
    }
}

gboolean
vcr_nonce_cache_contains (VcrNonceCache *cache, const char *nonce, gint64 now)
{
  nonce_cache_expire (cache, now);
  return g_hash_table_contains (cache->set, nonce);
}

gboolean
vcr_nonce_cache_add (VcrNonceCache *cache,
                     const char *nonce,
                     gint64 now,
                     GError **error)
{
  NonceEntry *slot;

  g_return_val_if_fail (nonce != NULL && strlen (nonce) == VCR_AUTH_NONCE_HEX_LEN, FALSE);

  nonce_cache_expire (cache, now);
  if (g_hash_table_contains (cache->set, nonce))
    {
      g_set_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY,
                   "nonce %s was already used (replayed request)", nonce);
      return FALSE;
    }
  if (cache->count == cache->capacity)
    {
      g_set_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BUSY,
                   "too many requests in the last %d s (nonce memory full)",
                   VCR_AUTH_NONCE_TTL_SECONDS);
      return FALSE;
    }
  slot = &cache->ring[(cache->head + cache->count) % cache->capacity];
  memcpy (slot->nonce, nonce, sizeof slot->nonce);
  slot->seen = now;
  g_hash_table_add (cache->set, slot->nonce);
  cache->count++;
  return TRUE;
}
