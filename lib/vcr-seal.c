/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protocol v2 sealing with nettle: HKDF-SHA256 key derivation, the VCR2
 * request header (HMAC-SHA256), and AES-256-GCM frames made of a lock
 * (the content key, bound to one receiver and one exchange) and a payload
 * sealed once. See vcr-seal.h and docs/protocol-v2.md for the layout.
 */
#define G_LOG_DOMAIN "vcr-seal"

#include "vcr-seal.h"

#include <string.h>

#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>

#include "vcr-error.h"

#define SALT "vyos-config-replication v2"
#define INFO_AUTH "vcr2 request-auth"
#define INFO_REQUEST "vcr2 request-seal"
#define INFO_RESPONSE "vcr2 response-seal"
#define PAYLOAD_AD "VCR2-PAYLOAD\n"

struct _VcrSealKeys {
  guint8 auth[VCR_SEAL_KEY_BYTES];
  guint8 request[VCR_SEAL_KEY_BYTES];
  guint8 response[VCR_SEAL_KEY_BYTES];
};

struct _VcrSealedPayload {
  guint8 key[VCR_SEAL_KEY_BYTES];
  GBytes *bytes;  /* IV, ciphertext, tag */
};

static void
wipe (void *data, gsize length)
{
  /* volatile stores so the wipe is not optimised away before free() */
  for (gsize i = 0; i < length; i++)
    ((volatile guint8 *) data)[i] = 0;
}

void
vcr_seal_hkdf (const guint8 *salt, gsize salt_len,
               const guint8 *ikm, gsize ikm_len,
               const guint8 *info, gsize info_len,
               guint8 *out, gsize length)
{
  struct hmac_sha256_ctx ctx;
  guint8 prk[SHA256_DIGEST_SIZE];

  g_return_if_fail (length <= 255 * SHA256_DIGEST_SIZE);
  hmac_sha256_set_key (&ctx, salt_len, salt);
  hkdf_extract (&ctx, (nettle_hash_update_func *) hmac_sha256_update,
                (nettle_hash_digest_func *) hmac_sha256_digest,
                SHA256_DIGEST_SIZE, ikm_len, ikm, prk);
  hmac_sha256_set_key (&ctx, sizeof prk, prk);
  hkdf_expand (&ctx, (nettle_hash_update_func *) hmac_sha256_update,
               (nettle_hash_digest_func *) hmac_sha256_digest,
               SHA256_DIGEST_SIZE, info_len, info, length, out);
  wipe (prk, sizeof prk);
  wipe (&ctx, sizeof ctx);
}

static void
derive (const char *secret, const char *info, guint8 out[VCR_SEAL_KEY_BYTES])
{
  vcr_seal_hkdf ((const guint8 *) SALT, strlen (SALT),
                 (const guint8 *) secret, strlen (secret),
                 (const guint8 *) info, strlen (info), out, VCR_SEAL_KEY_BYTES);
}

VcrSealKeys *
vcr_seal_keys_new (const char *secret)
{
  VcrSealKeys *keys;

  g_return_val_if_fail (secret != NULL, NULL);
  keys = g_new0 (VcrSealKeys, 1);
  derive (secret, INFO_AUTH, keys->auth);
  derive (secret, INFO_REQUEST, keys->request);
  derive (secret, INFO_RESPONSE, keys->response);
  return keys;
}

VcrSealKeys *
vcr_seal_keys_copy (const VcrSealKeys *keys)
{
  return g_memdup2 (keys, sizeof *keys);
}

void
vcr_seal_keys_free (VcrSealKeys *keys)
{
  if (keys == NULL)
    return;
  wipe (keys, sizeof *keys);
  g_free (keys);
}

char *
vcr_seal_binding_string (VcrSealDirection direction,
                         const VcrSealBinding *binding)
{
  GString *s = g_string_new (direction == VCR_SEAL_REQUEST ? "VCR2-REQUEST\n"
                                                           : "VCR2-RESPONSE\n");

  g_string_append_printf (s, "%s\n%s\n%s\n%" G_GINT64_FORMAT "\n%s\n",
                          binding->method, binding->path, binding->destination,
                          binding->ts, binding->nonce);
  if (direction == VCR_SEAL_RESPONSE)
    g_string_append_printf (s, "%u\n", binding->status);
  return g_string_free (s, FALSE);
}

/* 64 lowercase hex of the header signature: HMAC over the request binding
 * followed by the body's length in decimal. */
static char *
header_signature (const VcrSealKeys *keys,
                  const VcrSealBinding *binding,
                  guint64 body_length)
{
  g_autofree char *message = NULL;
  g_autofree char *bound = vcr_seal_binding_string (VCR_SEAL_REQUEST, binding);
  struct hmac_sha256_ctx ctx;
  guint8 digest[SHA256_DIGEST_SIZE];

  message = g_strdup_printf ("%s%" G_GUINT64_FORMAT "\n", bound, body_length);
  hmac_sha256_set_key (&ctx, sizeof keys->auth, keys->auth);
  hmac_sha256_update (&ctx, strlen (message), (const guint8 *) message);
  hmac_sha256_digest (&ctx, sizeof digest, digest);
  wipe (&ctx, sizeof ctx);
  return vcr_auth_hex (digest, sizeof digest);
}

char *
vcr_seal_request_header (const VcrSealKeys *keys,
                         const char *method,
                         const char *path,
                         const char *destination,
                         gint64 ts,
                         const guint8 nonce_bytes[VCR_AUTH_NONCE_BYTES],
                         guint64 body_length,
                         char **nonce_out)
{
  g_autofree char *nonce = vcr_auth_hex (nonce_bytes, VCR_AUTH_NONCE_BYTES);
  VcrSealBinding binding = { method, path, destination, ts, nonce, 0 };
  g_autofree char *sig = header_signature (keys, &binding, body_length);
  char *header = g_strdup_printf ("VCR2 ts=%" G_GINT64_FORMAT ", nonce=%s, sig=%s",
                                  ts, nonce, sig);

  if (nonce_out != NULL)
    *nonce_out = g_steal_pointer (&nonce);
  return header;
}

/* The v2 header has exactly the v1 grammar with another scheme word, so
 * the strict v1 parser reads it once the word is checked. */
static gboolean
parse_v2_header (const char *value, VcrAuthHeader *out, GError **error)
{
  g_autofree char *as_v1 = NULL;

  if (value == NULL)
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MISSING,
                           "no Authorization header");
      return FALSE;
    }
  if (strncmp (value, "VCR2 ", 5) != 0)
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED,
                           strncmp (value, "VCR1 ", 5) == 0
                             ? "a protocol v1 request; this node speaks v2 only"
                             : "Authorization is not a VCR2 header");
      return FALSE;
    }
  as_v1 = g_strconcat ("VCR1 ", value + 5, NULL);
  if (!vcr_auth_header_parse (as_v1, out, NULL))
    {
      /* not the v1 parser's words: a v1-only peer's refusal of a VCR2
       * header is what makes a client fall back to v1 */
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED,
                           "malformed VCR2 Authorization header (want \"VCR2 ts=N, "
                           "nonce=<32 hex>, sig=<64 hex>\")");
      return FALSE;
    }
  return TRUE;
}

gboolean
vcr_seal_verify_request_header (const VcrSealKeys *keys,
                                VcrNonceCache *cache,
                                const char *header,
                                const char *method,
                                const char *path,
                                const char *destination,
                                guint64 body_length,
                                gint64 now,
                                gint64 not_before,
                                VcrAuthHeader *out,
                                GError **error)
{
  VcrAuthHeader parsed;
  g_autofree char *expected = NULL;

  if (!parse_v2_header (header, &parsed, error))
    return FALSE;
  if (parsed.ts > now + VCR_AUTH_WINDOW_SECONDS || parsed.ts < now - VCR_AUTH_WINDOW_SECONDS)
    {
      g_set_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_STALE,
                   "request time %" G_GINT64_FORMAT " is more than %d s from ours (%"
                   G_GINT64_FORMAT "); check both clocks",
                   parsed.ts, VCR_AUTH_WINDOW_SECONDS, now);
      return FALSE;
    }
  if (not_before > 0 && parsed.ts < not_before)
    {
      g_set_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_STALE,
                   "request time %" G_GINT64_FORMAT " is before this server started (%"
                   G_GINT64_FORMAT "); sign it again", parsed.ts, not_before);
      return FALSE;
    }
  {
    VcrSealBinding binding = { method, path, destination, parsed.ts, parsed.nonce, 0 };
    expected = header_signature (keys, &binding, body_length);
  }
  if (!vcr_auth_equal (expected, parsed.sig))
    {
      g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE,
                           "signature does not match (other secret, other destination or altered request)");
      return FALSE;
    }
  if (!vcr_nonce_cache_add (cache, parsed.nonce, now, error))
    return FALSE;
  if (out != NULL)
    *out = parsed;
  return TRUE;
}

/* AES-256-GCM of @length bytes from @src to @dst (may be equal) with
 * associated data; the tag goes to @tag. */
static void
gcm_seal (const guint8 key[VCR_SEAL_KEY_BYTES], const guint8 iv[VCR_SEAL_IV_BYTES],
          const char *ad, gsize ad_len,
          const guint8 *src, gsize length, guint8 *dst, guint8 tag[VCR_SEAL_TAG_BYTES])
{
  struct gcm_aes256_ctx ctx;

  gcm_aes256_set_key (&ctx, key);
  gcm_aes256_set_iv (&ctx, VCR_SEAL_IV_BYTES, iv);
  gcm_aes256_update (&ctx, ad_len, (const guint8 *) ad);
  gcm_aes256_encrypt (&ctx, length, dst, src);
  gcm_aes256_digest (&ctx, VCR_SEAL_TAG_BYTES, tag);
  wipe (&ctx, sizeof ctx);
}

/* The reverse, in place or not; FALSE when the tag does not match (then
 * @dst holds garbage the caller must not use). */
static gboolean
gcm_open (const guint8 key[VCR_SEAL_KEY_BYTES], const guint8 iv[VCR_SEAL_IV_BYTES],
          const char *ad, gsize ad_len,
          const guint8 *src, gsize length, guint8 *dst, const guint8 tag[VCR_SEAL_TAG_BYTES])
{
  struct gcm_aes256_ctx ctx;
  guint8 computed[VCR_SEAL_TAG_BYTES];
  gboolean ok;

  gcm_aes256_set_key (&ctx, key);
  gcm_aes256_set_iv (&ctx, VCR_SEAL_IV_BYTES, iv);
  gcm_aes256_update (&ctx, ad_len, (const guint8 *) ad);
  gcm_aes256_decrypt (&ctx, length, dst, src);
  gcm_aes256_digest (&ctx, VCR_SEAL_TAG_BYTES, computed);
  wipe (&ctx, sizeof ctx);
  ok = memeql_sec (computed, tag, VCR_SEAL_TAG_BYTES);
  return ok;
}

VcrSealedPayload *
vcr_sealed_payload_new (const guint8 *plain,
                        gsize length,
                        const guint8 random[VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES])
{
  VcrSealedPayload *payload = g_atomic_rc_box_new0 (VcrSealedPayload);
  guint8 *out = g_malloc (VCR_SEAL_PAYLOAD_OVERHEAD + length);
  const guint8 *iv = random + VCR_SEAL_KEY_BYTES;

  memcpy (payload->key, random, VCR_SEAL_KEY_BYTES);
  memcpy (out, iv, VCR_SEAL_IV_BYTES);
  gcm_seal (payload->key, iv, PAYLOAD_AD, strlen (PAYLOAD_AD), plain, length,
            out + VCR_SEAL_IV_BYTES, out + VCR_SEAL_IV_BYTES + length);
  payload->bytes = g_bytes_new_take (out, VCR_SEAL_PAYLOAD_OVERHEAD + length);
  return payload;
}

VcrSealedPayload *
vcr_sealed_payload_ref (VcrSealedPayload *payload)
{
  return g_atomic_rc_box_acquire (payload);
}

static void
sealed_payload_clear (gpointer data)
{
  VcrSealedPayload *payload = data;

  wipe (payload->key, sizeof payload->key);
  g_clear_pointer (&payload->bytes, g_bytes_unref);
}

void
vcr_sealed_payload_unref (VcrSealedPayload *payload)
{
  if (payload != NULL)
    g_atomic_rc_box_release_full (payload, sealed_payload_clear);
}

gsize
vcr_sealed_payload_get_frame_size (const VcrSealedPayload *payload)
{
  return VCR_SEAL_LOCK_BYTES + g_bytes_get_size (payload->bytes);
}

GBytes *
vcr_sealed_payload_get_bytes (const VcrSealedPayload *payload)
{
  return g_bytes_ref (payload->bytes);
}

static const guint8 *
direction_key (const VcrSealKeys *keys, VcrSealDirection direction)
{
  return direction == VCR_SEAL_REQUEST ? keys->request : keys->response;
}

GBytes *
vcr_seal_lock (const VcrSealKeys *keys,
               VcrSealDirection direction,
               const VcrSealBinding *binding,
               const VcrSealedPayload *payload,
               const guint8 lock_iv[VCR_SEAL_IV_BYTES])
{
  g_autofree char *ad = vcr_seal_binding_string (direction, binding);
  guint8 *lock = g_malloc (VCR_SEAL_LOCK_BYTES);
  guint8 *p = lock;

  memcpy (p, VCR_SEAL_MAGIC, VCR_SEAL_MAGIC_BYTES);
  p += VCR_SEAL_MAGIC_BYTES;
  memcpy (p, lock_iv, VCR_SEAL_IV_BYTES);
  p += VCR_SEAL_IV_BYTES;
  gcm_seal (direction_key (keys, direction), lock_iv, ad, strlen (ad),
            payload->key, VCR_SEAL_KEY_BYTES, p, p + VCR_SEAL_KEY_BYTES);
  return g_bytes_new_take (lock, VCR_SEAL_LOCK_BYTES);
}

GBytes *
vcr_seal_frame (const VcrSealKeys *keys,
                VcrSealDirection direction,
                const VcrSealBinding *binding,
                const guint8 *plain,
                gsize length,
                const guint8 random[VCR_SEAL_RANDOM_BYTES])
{
  g_autoptr(VcrSealedPayload) payload = vcr_sealed_payload_new (plain, length, random);
  g_autoptr(GBytes) lock = vcr_seal_lock (keys, direction, binding, payload,
                                          random + VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES);
  gsize payload_len = g_bytes_get_size (payload->bytes);
  guint8 *frame = g_malloc (VCR_SEAL_LOCK_BYTES + payload_len);

  memcpy (frame, g_bytes_get_data (lock, NULL), VCR_SEAL_LOCK_BYTES);
  memcpy (frame + VCR_SEAL_LOCK_BYTES, g_bytes_get_data (payload->bytes, NULL), payload_len);
  return g_bytes_new_take (frame, VCR_SEAL_LOCK_BYTES + payload_len);
}

static gboolean
refuse (GError **error, const char *message)
{
  g_set_error_literal (error, VCR_ERROR, VCR_ERROR_PEER_FAILED, message);
  return FALSE;
}

gboolean
vcr_seal_open_in_place (const VcrSealKeys *keys,
                        VcrSealDirection direction,
                        const VcrSealBinding *binding,
                        guint8 *frame,
                        gsize frame_length,
                        guint8 **plain,
                        gsize *plain_length,
                        GError **error)
{
  g_autofree char *ad = NULL;
  guint8 content_key[VCR_SEAL_KEY_BYTES];
  const guint8 *lock_iv, *sealed_key;
  guint8 *payload;
  gsize length;
  gboolean ok;

  /* (@frame may be NULL when empty: no pointer arithmetic before this) */
  if (frame_length < VCR_SEAL_FRAME_OVERHEAD
      || memcmp (frame, VCR_SEAL_MAGIC, VCR_SEAL_MAGIC_BYTES) != 0)
    return refuse (error, "not a protocol v2 frame");
  lock_iv = frame + VCR_SEAL_MAGIC_BYTES;
  sealed_key = lock_iv + VCR_SEAL_IV_BYTES;
  payload = frame + VCR_SEAL_LOCK_BYTES;
  ad = vcr_seal_binding_string (direction, binding);
  ok = gcm_open (direction_key (keys, direction), lock_iv, ad, strlen (ad),
                 sealed_key, VCR_SEAL_KEY_BYTES, content_key,
                 sealed_key + VCR_SEAL_KEY_BYTES);
  if (!ok)
    {
      wipe (content_key, sizeof content_key);
      return refuse (error, "frame sealed for another receiver, another request or with another secret");
    }
  length = frame_length - VCR_SEAL_FRAME_OVERHEAD;
  ok = gcm_open (content_key, payload, PAYLOAD_AD, strlen (PAYLOAD_AD),
                 payload + VCR_SEAL_IV_BYTES, length, payload + VCR_SEAL_IV_BYTES,
                 payload + VCR_SEAL_IV_BYTES + length);
  wipe (content_key, sizeof content_key);
  if (!ok)
    return refuse (error, "sealed payload was altered");
  *plain = payload + VCR_SEAL_IV_BYTES;
  *plain_length = length;
  return TRUE;
}
