/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for request signing (SPEC §7): the Authorization header
 * parser and the server's whole check with a fixed key, the response
 * signature check, and the nonce cache driven by fuzzed sequences of
 * nonces and clock readings (including clocks that jump anywhere in the
 * gint64 range), compared step by step with a plain queue that models
 * its documented behaviour. The first input byte picks the mode.
 */
#define G_LOG_DOMAIN "fuzz-auth"

#include <string.h>

#include "vcr-auth.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define SECRET "fuzzing-secret-0123456789"
#define METHOD "POST"
#define PATH "/v1/snapshot"
#define BODY "{\"protocol\":1}"
#define MAX_OPS 2048

/* Mode 0: the header. A header that parses is exactly what the formatter
 * writes for its parts; signed with the right key it passes once, then is
 * a replay; as given, it passes only when its signature happens to be
 * right. */
static void
check_header (const char *text)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new (SECRET);
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (4);
  g_autoptr(GError) error = NULL;
  g_autofree char *formatted = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *good = NULL;
  VcrAuthHeader h;
  VcrAuthHeader out;
  gboolean ok;

  if (!vcr_auth_header_parse (text, &h, &error))
    {
      g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED);
      g_clear_error (&error);
      g_assert_false (vcr_auth_verify_request (key, cache, text, METHOD, PATH,
                                               NULL, 0, 0, NULL, &error));
      g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED);
      g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 0);
      return;
    }
  g_assert_cmpint (h.ts, >=, 0);
  formatted = g_strdup_printf ("VCR1 ts=%" G_GINT64_FORMAT ", nonce=%s, sig=%s",
                               h.ts, h.nonce, h.sig);
  g_assert_cmpstr (formatted, ==, text);

  /* As given, at its own time. */
  sig = vcr_auth_request_signature (key, METHOD, PATH, h.ts, h.nonce, NULL, 0);
  ok = vcr_auth_verify_request (key, cache, text, METHOD, PATH, NULL, 0, h.ts, &out, &error);
  g_assert_cmpint (ok, ==, g_str_equal (sig, h.sig));
  if (!ok)
    g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* Outside the window. */
  if (h.ts <= G_MAXINT64 - VCR_AUTH_WINDOW_SECONDS - 1)
    {
      g_assert_false (vcr_auth_verify_request (key, cache, text, METHOD, PATH, NULL, 0,
                                               h.ts + VCR_AUTH_WINDOW_SECONDS + 1,
                                               NULL, &error));
      g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_STALE);
      g_clear_error (&error);
    }
  g_assert_false (vcr_auth_verify_request (key, cache, text, METHOD, PATH, NULL, 0,
                                           G_MININT64, NULL, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_STALE);
  g_clear_error (&error);

  /* Signed properly with the parsed time and nonce. */
  g_clear_pointer (&cache, vcr_nonce_cache_free);
  cache = vcr_nonce_cache_new (4);
  good = g_strdup_printf ("VCR1 ts=%" G_GINT64_FORMAT ", nonce=%s, sig=%s", h.ts, h.nonce, sig);
  g_assert_true (vcr_auth_verify_request (key, cache, good, METHOD, PATH, NULL, 0,
                                          h.ts, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out.nonce, ==, h.nonce);
  g_assert_false (vcr_auth_verify_request (key, cache, good, METHOD, PATH, NULL, 0,
                                           h.ts, NULL, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  g_clear_error (&error);
  /* Another method, path or body breaks the signature (with the nonce
   * forgotten: a remembered one is refused before the signature). */
  g_clear_pointer (&cache, vcr_nonce_cache_free);
  cache = vcr_nonce_cache_new (4);
  g_assert_false (vcr_auth_verify_request (key, cache, good, "GET", PATH, NULL, 0,
                                           h.ts, NULL, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (vcr_auth_verify_request (key, cache, good, METHOD, PATH,
                                           (const guint8 *) BODY, strlen (BODY),
                                           h.ts, NULL, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 0);
}

/* Mode 1: a response signature header as a peer may send it. */
static void
check_response (const char *text)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new (SECRET);
  g_autoptr(GError) error = NULL;
  const char *nonce = "0123456789abcdef0123456789abcdef";
  g_autofree char *expected = vcr_auth_response_signature (key, nonce, 200,
                                                           (const guint8 *) BODY,
                                                           strlen (BODY));
  gboolean ok = vcr_auth_verify_response (key, nonce, 200, (const guint8 *) BODY,
                                          strlen (BODY), text, &error);

  g_assert_cmpint (ok, ==, g_str_equal (expected, text));
  if (!ok)
    g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (vcr_auth_equal (expected, text), ==, ok);
}

/* The documented cache: insertion order, expiry from the oldest while
 * now - seen > TTL, refuse a remembered nonce, refuse when full. */
typedef struct {
  guint id;
  gint64 seen;
} ModelEntry;

static gboolean
model_expired (gint64 now, gint64 seen)
{
  return now > seen && (guint64) now - (guint64) seen > VCR_AUTH_NONCE_TTL_SECONDS;
}

/* The error code the model expects, or -1 for success. */
static int
model_add (GQueue *model, guint capacity, guint id, gint64 now)
{
  while (!g_queue_is_empty (model) &&
         model_expired (now, ((ModelEntry *) g_queue_peek_head (model))->seen))
    g_free (g_queue_pop_head (model));
  for (GList *l = model->head; l != NULL; l = l->next)
    if (((ModelEntry *) l->data)->id == id)
      return VCR_AUTH_ERROR_REPLAY;
  if (model->length == capacity)
    return VCR_AUTH_ERROR_BUSY;
  g_queue_push_tail (model, g_memdup2 (&(ModelEntry) { id, now }, sizeof (ModelEntry)));
  return -1;
}

static gint64
read_i64 (const guint8 *p)
{
  guint64 v = 0;

  for (guint i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return (gint64) v;
}

/* Advances the clock as op byte @op says; returns the bytes consumed. */
static gsize
step_clock (guint8 op, const guint8 *p, gsize left, gint64 *now)
{
  gint64 delta;

  switch ((op >> 4) & 3)
    {
    case 0:
      return 0;
    case 1:
    case 2:
      if (left < 1)
        return 0;
      delta = (gint64) p[0] * 10;
      if ((op >> 4 & 3) == 2)
        delta = -delta;
      if ((delta > 0 && *now <= G_MAXINT64 - delta) || (delta < 0 && *now >= G_MININT64 - delta))
        *now += delta;
      return 1;
    default:
      if (left < 8)
        return left;
      *now = read_i64 (p);
      return 8;
    }
}

/* Mode 2: a sequence of ops, each a byte (nonce id in the low 4 bits, the
 * clock step in bits 4-5, bit 6: through the whole request check) and the
 * clock step's bytes. */
static void
check_cache (const guint8 *data, gsize size)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new (SECRET);
  g_autoptr(VcrNonceCache) cache = NULL;
  g_autoptr(GQueue) model = g_queue_new ();
  guint capacity;
  gint64 now = 1700000000;
  gsize i = 1;

  if (size < 1)
    return;
  capacity = 1 + (data[0] & 7);
  cache = vcr_nonce_cache_new (capacity);
  for (guint n = 0; n < MAX_OPS && i < size; n++)
    {
      g_autoptr(GError) error = NULL;
      guint8 op = data[i++];
      guint id = op & 15;
      guint8 bytes[VCR_AUTH_NONCE_BYTES] = { 0 };
      g_autofree char *nonce = NULL;
      gboolean ok;
      int want;

      i += step_clock (op, data + i, size - i, &now);
      bytes[0] = (guint8) id;
      bytes[VCR_AUTH_NONCE_BYTES - 1] = 0xa5;
      if ((op & 0x40) != 0 && now >= 0)
        {
          g_autofree char *header = vcr_auth_request_header (key, METHOD, PATH, now, bytes,
                                                             NULL, 0, &nonce);

          ok = vcr_auth_verify_request (key, cache, header, METHOD, PATH, NULL, 0, now,
                                        NULL, &error);
        }
      else
        {
          nonce = vcr_auth_hex (bytes, sizeof bytes);
          ok = vcr_nonce_cache_add (cache, nonce, now, &error);
        }
      want = model_add (model, capacity, id, now);
      if (want < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, VCR_AUTH_ERROR, want);
        }
      g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, model->length);
    }
  g_queue_free_full (g_steal_pointer (&model), g_free);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = NULL;

  if (size == 0)
    return 0;
  /* Headers reach us as NUL-terminated strings. */
  text = g_strndup ((const char *) data + 1, size - 1);
  switch (data[0] % 3)
    {
    case 0:
      check_header (text);
      break;
    case 1:
      check_response (text);
      break;
    default:
      check_cache (data + 1, size - 1);
      break;
    }
  return 0;
}
