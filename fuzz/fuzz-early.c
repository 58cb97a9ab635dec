/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the peer server's check of a request before its
 * body is read (vcr_auth_check_request_header(): syntax, clock window, not
 * before the server's start, nonce not remembered) and the check once the
 * body is in (the body hashed in pieces as it arrives, then
 * vcr_auth_verify_request_signature()). Input: a flags byte, the clock
 * and the server's start as signed offsets from the header's own time (so
 * that every verdict is reachable), a byte that cuts the body into
 * pieces, then the Authorization header.
 *
 * Checks: the verdict is exactly the one the documented rules give, and
 * a refusal has a UTF-8 message; the check before the body never records
 * a nonce, whatever it says; the body hashed in any pieces equals its
 * hash in one go; a wrong signature records nothing; the right one records
 * the nonce once, after which both checks call the header a replay.
 */
#define G_LOG_DOMAIN "fuzz-early"

#include <string.h>

#include "vcr-auth.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define SECRET "fuzzing-secret-0123456789"
#define METHOD "POST"
#define PATH "/v1/snapshot"
#define BODY "{\"protocol\":1,\"origin\":\"p\",\"paths\":[]}"
#define T_DEFAULT G_GINT64_CONSTANT (1700000000)

enum {
  FLAG_NO_HEADER = 1 << 0,     /* the header is missing */
  FLAG_REMEMBERED = 1 << 1,    /* its nonce is in the memory already */
  FLAG_OTHER_NONCES = 1 << 2,  /* other nonces are */
};

/* @base + @delta without overflow (clamped). */
static gint64
offset (gint64 base, gint64 delta)
{
  if (delta > 0 && base > G_MAXINT64 - delta)
    return G_MAXINT64;
  if (delta < 0 && base < G_MININT64 - delta)
    return G_MININT64;
  return base + delta;
}

/* The error the rules give, -1 for none. */
static int
expected_verdict (const char *header, const VcrAuthHeader *h, gboolean parsed,
                  gboolean remembered, gint64 now, gint64 not_before)
{
  if (header == NULL)
    return VCR_AUTH_ERROR_MISSING;
  if (!parsed)
    return VCR_AUTH_ERROR_MALFORMED;
  if ((h->ts > now && (guint64) h->ts - (guint64) now > VCR_AUTH_WINDOW_SECONDS) ||
      (now > h->ts && (guint64) now - (guint64) h->ts > VCR_AUTH_WINDOW_SECONDS) ||
      h->ts < not_before)
    return VCR_AUTH_ERROR_STALE;
  if (remembered)
    return VCR_AUTH_ERROR_REPLAY;
  return -1;
}

/* BODY in pieces whose sizes come from @seed equals BODY in one go. */
static char *
hash_in_pieces (guint8 seed)
{
  g_autoptr(VcrAuthBodyHash) hash = vcr_auth_body_hash_new ();
  g_autofree char *whole = vcr_auth_sha256_hex ((const guint8 *) BODY, strlen (BODY));
  gsize len = strlen (BODY);
  char *pieces;

  /* pieces of 0 to 6 bytes; the steps of this generator go through all
   * 256 values, so the pieces are not all empty for long */
  for (gsize at = 0, step = 0; at < len; at += step)
    {
      step = MIN ((gsize) (seed % 7), len - at);
      vcr_auth_body_hash_update (hash, (const guint8 *) BODY + at, step);
      seed = (guint8) (seed * 37 + 11);
    }
  pieces = vcr_auth_body_hash_finish (hash);
  g_assert_cmpstr (pieces, ==, whole);
  return pieces;
}

/* The header passed the first check: the second with its own signature,
 * then with the right one. */
static void
check_body_step (const VcrAuthKey *key, VcrNonceCache *cache, const VcrAuthHeader *h,
                 gint64 now, guint8 seed)
{
  g_autofree char *body_hash = hash_in_pieces (seed);
  g_autofree char *right = vcr_auth_request_signature_hashed (key, METHOD, PATH, h->ts,
                                                              h->nonce, body_hash);
  g_autoptr(GError) error = NULL;
  guint size = vcr_nonce_cache_get_size (cache);
  VcrAuthHeader signed_h = *h;
  gboolean ok = vcr_auth_verify_request_signature (key, cache, h, METHOD, PATH,
                                                   body_hash, now, &error);

  g_assert_cmpint (ok, ==, g_str_equal (right, h->sig));
  if (!ok)
    {
      g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
      g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, size);
      g_clear_error (&error);
      g_strlcpy (signed_h.sig, right, sizeof signed_h.sig);
      g_assert_true (vcr_auth_verify_request_signature (key, cache, &signed_h, METHOD, PATH,
                                                        body_hash, now, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, size + 1);
  g_assert_true (vcr_nonce_cache_contains (cache, h->nonce, now));
  g_assert_false (vcr_auth_verify_request_signature (key, cache, &signed_h, METHOD, PATH,
                                                     body_hash, now, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new (SECRET);
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (8);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *header;
  VcrAuthHeader h = { 0 };
  VcrAuthHeader out;
  gboolean parsed, ok;
  gint64 base, now, not_before;
  guint before;
  int want;

  if (size < 4)
    return 0;
  /* Headers reach us as NUL-terminated strings. */
  text = g_strndup ((const char *) data + 4, size - 4);
  header = (data[0] & FLAG_NO_HEADER) ? NULL : text;
  parsed = vcr_auth_header_parse (header, &h, NULL);
  base = parsed ? h.ts : T_DEFAULT;
  /* about ±384 s around the header's time, and the start ±128 s */
  now = offset (base, (gint64) (gint8) data[1] * 3);
  not_before = offset (base, (gint64) (gint8) data[2]);
  if (data[0] & FLAG_OTHER_NONCES)
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *other = g_strdup_printf ("%032x", 0xabc0 + i);
        vcr_nonce_cache_add (cache, other, now, NULL);
      }
  if (parsed && (data[0] & FLAG_REMEMBERED))
    vcr_nonce_cache_add (cache, h.nonce, now, NULL);

  before = vcr_nonce_cache_get_size (cache);
  ok = vcr_auth_check_request_header (cache, header, now, not_before, &out, &error);
  want = expected_verdict (header, &h, parsed,
                           parsed && vcr_nonce_cache_contains (cache, h.nonce, now),
                           now, not_before);
  /* nothing is recorded before the signature is known to be right */
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, before);
  if (want >= 0)
    {
      g_assert_false (ok);
      g_assert_error (error, VCR_AUTH_ERROR, want);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (out.ts, ==, h.ts);
  g_assert_cmpstr (out.nonce, ==, h.nonce);
  g_assert_cmpstr (out.sig, ==, h.sig);
  check_body_step (key, cache, &out, now, data[3]);
  /* once recorded, the header is refused before any body */
  g_assert_false (vcr_auth_check_request_header (cache, header, now, not_before, NULL, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  return 0;
}
