/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer request/response signing: known-answer vectors (computed
 * independently with `openssl dgst -sha256 -hmac` / `-mac HMAC`), the strict
 * header parser, the time window, the replay cache and its bound.
 */
#include "vcr-auth.h"

static const guint8 nonce_0f[VCR_AUTH_NONCE_BYTES] = {
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};
#define NONCE_0F "000102030405060708090a0b0c0d0e0f"
#define NONCE_FF "ffffffffffffffffffffffffffffffff"
#define BODY "{\"a\":1}"
/* openssl: see the commands in the comments below */
#define SIG_POST "a91481c81a9d0f96f72bae8a92ffa6afab89052460077eb597763f4d0d94485a"
#define SIG_GET0 "8235308831a7386f5dbc5b541e3ec8ab30a4e63028c387f42c1937b3a32d8b53"
#define SIG_RESP409 "987b715d6351f83c9c97dfc73d657877dbb7c007382c86d893ae7e0eadf1a573"
#define SIG_RESP_UTF8 "79e7259c4d7dc4add6857a114e3501b66ef8323b41130f869945a6099b6eb08d"
#define T0 G_GINT64_CONSTANT (1700000000)

static void
test_auth_known_answers (void)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new ("qwerty");
  g_autoptr(VcrAuthKey) key_utf8 = vcr_auth_key_new ("pässwörd-ß");
  g_autofree char *sig = NULL;
  g_autofree char *sig0 = NULL;
  g_autofree char *rsig = NULL;
  g_autofree char *rsig_utf8 = NULL;
  g_autofree char *empty = vcr_auth_sha256_hex (NULL, 0);

  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  /* K=$(printf 'vyos-config-replication v1' | openssl dgst -sha256 -hmac qwerty)
   * printf 'VCR1\nPOST\n/v1/snapshot\n1700000000\n<nonce>\n<sha256(body)>' |
   *   openssl dgst -sha256 -mac HMAC -macopt hexkey:$K */
  sig = vcr_auth_request_signature (key, "POST", "/v1/snapshot", T0, NONCE_0F,
                                    (const guint8 *) BODY, strlen (BODY));
  g_assert_cmpstr (sig, ==, SIG_POST);
  sig0 = vcr_auth_request_signature (key, "GET", "/v1/digests", 0, NONCE_FF, NULL, 0);
  g_assert_cmpstr (sig0, ==, SIG_GET0);

  rsig = vcr_auth_response_signature (key, NONCE_0F, 409,
                                      (const guint8 *) "{\"error\":\"wrong-mode\",\"message\":\"x\"}",
                                      strlen ("{\"error\":\"wrong-mode\",\"message\":\"x\"}"));
  g_assert_cmpstr (rsig, ==, SIG_RESP409);
  rsig_utf8 = vcr_auth_response_signature (key_utf8, NONCE_FF, 200, (const guint8 *) "", 0);
  g_assert_cmpstr (rsig_utf8, ==, SIG_RESP_UTF8);
}

static void
test_auth_header_format (void)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new ("qwerty");
  g_autofree char *nonce = NULL;
  g_autofree char *header = vcr_auth_request_header (key, "POST", "/v1/snapshot", T0,
                                                     nonce_0f, (const guint8 *) BODY,
                                                     strlen (BODY), &nonce);
  VcrAuthHeader h;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (header, ==, "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST);
  g_assert_cmpstr (nonce, ==, NONCE_0F);
  g_assert_true (vcr_auth_header_parse (header, &h, &error));
  g_assert_no_error (error);
  g_assert_cmpint (h.ts, ==, T0);
  g_assert_cmpstr (h.nonce, ==, NONCE_0F);
  g_assert_cmpstr (h.sig, ==, SIG_POST);
}

/* A primary hashes a body once for all replicas: the header made from the
 * hash is the known answer too. */
static void
test_auth_header_hashed (void)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new ("qwerty");
  g_autofree char *hash = vcr_auth_sha256_hex ((const guint8 *) BODY, strlen (BODY));
  g_autofree char *nonce = NULL;
  g_autofree char *header = vcr_auth_request_header_hashed (key, "POST", "/v1/snapshot", T0,
                                                            nonce_0f, hash, &nonce);
  g_autofree char *sig = vcr_auth_request_signature_hashed (key, "POST", "/v1/snapshot", T0,
                                                            NONCE_0F, hash);

  g_assert_cmpstr (header, ==, "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST);
  g_assert_cmpstr (nonce, ==, NONCE_0F);
  g_assert_cmpstr (sig, ==, SIG_POST);
}

static void
test_auth_header_malformed (void)
{
  const char *bad[] = {
    "",
    "VCR1",
    "VCR1 ts=1700000000, nonce=" NONCE_0F,
    "vcr1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1  ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST,
    " VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST " ",
    "VCR1 ts=1700000000,nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=1700000000, sig=" SIG_POST ", nonce=" NONCE_0F,
    "VCR1 ts=01700000000, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=-1, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=+1, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=17e8, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=99999999999999999999, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=9223372036854775808, nonce=" NONCE_0F ", sig=" SIG_POST,
    "VCR1 ts=1700000000, nonce=000102030405060708090A0B0C0D0E0F, sig=" SIG_POST,
    "VCR1 ts=1700000000, nonce=000102030405060708090a0b0c0d0e0, sig=" SIG_POST,
    "VCR1 ts=1700000000, nonce=000102030405060708090a0b0c0d0e0f0, sig=" SIG_POST,
    "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=A91481c81a9d0f96f72bae8a92ffa6afab89052460077eb597763f4d0d94485a",
    "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=a91481c81a9d0f96f72bae8a92ffa6afab89052460077eb597763f4d0d94485",
    "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST "0",
    "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=g91481c81a9d0f96f72bae8a92ffa6afab89052460077eb597763f4d0d94485a",
    "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST ", x=1",
    "Bearer abc",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      VcrAuthHeader h;

      g_assert_false (vcr_auth_header_parse (bad[i], &h, &error));
      g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED);
    }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (vcr_auth_header_parse (NULL, NULL, &error));
    g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MISSING);
  }
  {
    /* the largest ts that fits is well formed (and then stale) */
    g_autoptr(GError) error = NULL;
    g_assert_true (vcr_auth_header_parse ("VCR1 ts=9223372036854775807, nonce=" NONCE_0F
                                          ", sig=" SIG_POST, NULL, &error));
    g_assert_no_error (error);
  }
}

static gboolean
verify (VcrAuthKey *key, VcrNonceCache *cache, const char *header,
        const char *method, const char *path, const char *body, gint64 now,
        GError **error)
{
  return vcr_auth_verify_request (key, cache, header, method, path,
                                  (const guint8 *) body, strlen (body), now,
                                  NULL, error);
}

static void
test_auth_verify_request (void)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new ("qwerty");
  g_autoptr(VcrAuthKey) other = vcr_auth_key_new ("qwertz");
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (16);
  const char *good = "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST;
  struct {
    VcrAuthKey *key;
    const char *header, *method, *path, *body;
    gint64 now;
    int code;
  } cases[] = {
    { key, NULL, "POST", "/v1/snapshot", BODY, T0, VCR_AUTH_ERROR_MISSING },
    { key, "VCR1 ts=1", "POST", "/v1/snapshot", BODY, T0, VCR_AUTH_ERROR_MALFORMED },
    { key, good, "POST", "/v1/snapshot", BODY, T0 + 301, VCR_AUTH_ERROR_STALE },
    { key, good, "POST", "/v1/snapshot", BODY, T0 - 301, VCR_AUTH_ERROR_STALE },
    { key, good, "POST", "/v1/snapshot", BODY, G_MININT64, VCR_AUTH_ERROR_STALE },
    { key, good, "POST", "/v1/snapshot", BODY, G_MAXINT64, VCR_AUTH_ERROR_STALE },
    { other, good, "POST", "/v1/snapshot", BODY, T0, VCR_AUTH_ERROR_BAD_SIGNATURE },
    { key, good, "GET", "/v1/snapshot", BODY, T0, VCR_AUTH_ERROR_BAD_SIGNATURE },
    { key, good, "POST", "/v1/digests", BODY, T0, VCR_AUTH_ERROR_BAD_SIGNATURE },
    { key, good, "POST", "/v1/snapshot", "{\"a\":2}", T0, VCR_AUTH_ERROR_BAD_SIGNATURE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (verify (cases[i].key, cache, cases[i].header, cases[i].method,
                              cases[i].path, cases[i].body, cases[i].now, &error));
      g_assert_error (error, VCR_AUTH_ERROR, cases[i].code);
    }
  /* refused requests leave no trace in the replay memory */
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 0);

  {
    g_autoptr(GError) error = NULL;
    VcrAuthHeader h;

    /* both window edges are inside */
    g_assert_true (vcr_auth_verify_request (key, cache, good, "POST", "/v1/snapshot",
                                            (const guint8 *) BODY, strlen (BODY),
                                            T0 + 300, &h, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (h.nonce, ==, NONCE_0F);
    g_assert_false (verify (key, cache, good, "POST", "/v1/snapshot", BODY, T0 - 300, &error));
    g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  }
}

/* The check when the headers arrive: every refusal, and that nothing is
 * recorded, whatever the verdict (anyone can write such a header). */
static void
test_auth_check_header (void)
{
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (4);
  const char *good = "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=" SIG_POST;
  const char *seen = "VCR1 ts=1700000000, nonce=" NONCE_FF ", sig=" SIG_POST;
  struct {
    const char *header;
    gint64 now, not_before;
    int code;
  } cases[] = {
    { NULL, T0, 0, VCR_AUTH_ERROR_MISSING },
    { "VCR1 ts=1700000000", T0, 0, VCR_AUTH_ERROR_MALFORMED },
    { good, T0 + 301, 0, VCR_AUTH_ERROR_STALE },
    { good, T0 - 301, 0, VCR_AUTH_ERROR_STALE },
    { good, G_MAXINT64, 0, VCR_AUTH_ERROR_STALE },
    /* signed a second before the server started */
    { good, T0 + 10, T0 + 1, VCR_AUTH_ERROR_STALE },
    { seen, T0, 0, VCR_AUTH_ERROR_REPLAY },
  };
  VcrAuthHeader h;

  g_assert_true (vcr_nonce_cache_add (cache, NONCE_FF, T0 - 10, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vcr_auth_check_request_header (cache, cases[i].header, cases[i].now,
                                                     cases[i].not_before, &h, &error));
      g_assert_error (error, VCR_AUTH_ERROR, cases[i].code);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
  {
    g_autoptr(GError) error = NULL;

    /* the start itself, and both window edges, are inside */
    g_assert_true (vcr_auth_check_request_header (cache, good, T0 + 300, T0, &h, &error));
    g_assert_no_error (error);
    g_assert_true (vcr_auth_check_request_header (cache, good, T0 - 300, G_MININT64, &h,
                                                  &error));
    g_assert_no_error (error);
    g_assert_cmpint (h.ts, ==, T0);
    g_assert_cmpstr (h.nonce, ==, NONCE_0F);
    g_assert_cmpstr (h.sig, ==, SIG_POST);
  }
  /* only the nonce recorded by hand: checking records nothing */
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 1);
  g_assert_false (vcr_nonce_cache_contains (cache, NONCE_0F, T0));
}

/* The body hashed in pieces as it arrives equals the hash of the whole. */
static void
test_auth_body_hash (void)
{
  g_autoptr(VcrAuthBodyHash) hash = vcr_auth_body_hash_new ();
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *whole = NULL;
  g_autofree char *pieces = NULL;
  g_autofree char *empty = NULL;

  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (body, "rule %u ", i);
  whole = vcr_auth_sha256_hex ((const guint8 *) body->str, body->len);
  for (gsize at = 0, step = 1; at < body->len; at += step, step = step * 3 + 1)
    vcr_auth_body_hash_update (hash, (const guint8 *) body->str + at,
                               MIN (step, body->len - at));
  pieces = vcr_auth_body_hash_finish (hash);
  g_assert_cmpstr (pieces, ==, whole);
  /* finish resets: nothing fed is the empty body */
  empty = vcr_auth_body_hash_finish (hash);
  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* The check once the body is in: a wrong signature records nothing (an
 * unauthenticated request must not fill the memory); a right one records
 * its nonce, and a second request with it (both passed the header check
 * while neither was finished) is a replay. */
static void
test_auth_verify_signature (void)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new ("qwerty");
  g_autoptr(VcrAuthKey) other = vcr_auth_key_new ("qwertz");
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (4);
  g_autofree char *body_hash = vcr_auth_sha256_hex ((const guint8 *) BODY, strlen (BODY));
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(GError) e3 = NULL;
  VcrAuthHeader h;

  g_assert_true (vcr_auth_check_request_header (cache, "VCR1 ts=1700000000, nonce=" NONCE_0F
                                                ", sig=" SIG_POST, T0, T0, &h, NULL));
  g_assert_false (vcr_auth_verify_request_signature (other, cache, &h, "POST", "/v1/snapshot",
                                                     body_hash, T0, &e1));
  g_assert_error (e1, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_assert_false (vcr_auth_verify_request_signature (key, cache, &h, "POST", "/v1/digests",
                                                     body_hash, T0, &e2));
  g_assert_error (e2, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 0);

  g_assert_true (vcr_auth_verify_request_signature (key, cache, &h, "POST", "/v1/snapshot",
                                                    body_hash, T0, NULL));
  g_assert_true (vcr_nonce_cache_contains (cache, NONCE_0F, T0));
  g_assert_false (vcr_auth_verify_request_signature (key, cache, &h, "POST", "/v1/snapshot",
                                                     body_hash, T0 + 1, &e3));
  g_assert_error (e3, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 1);
}

static void
test_auth_verify_response (void)
{
  g_autoptr(VcrAuthKey) key = vcr_auth_key_new ("qwerty");
  const char *body = "{\"error\":\"wrong-mode\",\"message\":\"x\"}";
  const guint8 *b = (const guint8 *) body;
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(GError) e3 = NULL;
  g_autoptr(GError) e4 = NULL;

  g_assert_true (vcr_auth_verify_response (key, NONCE_0F, 409, b, strlen (body), SIG_RESP409, NULL));
  g_assert_false (vcr_auth_verify_response (key, NONCE_0F, 409, b, strlen (body), NULL, &e1));
  g_assert_error (e1, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MISSING);
  g_assert_false (vcr_auth_verify_response (key, NONCE_0F, 200, b, strlen (body), SIG_RESP409, &e2));
  g_assert_error (e2, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_assert_false (vcr_auth_verify_response (key, NONCE_FF, 409, b, strlen (body), SIG_RESP409, &e3));
  g_assert_error (e3, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
  g_assert_false (vcr_auth_verify_response (key, NONCE_0F, 409, b, strlen (body) - 1, SIG_RESP409, &e4));
  g_assert_error (e4, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BAD_SIGNATURE);
}

static void
test_auth_equal (void)
{
  g_assert_true (vcr_auth_equal ("", ""));
  g_assert_true (vcr_auth_equal ("abc", "abc"));
  g_assert_false (vcr_auth_equal ("abc", "abd"));
  g_assert_false (vcr_auth_equal ("abc", "ab"));
  g_assert_false (vcr_auth_equal ("abc", NULL));
  g_assert_false (vcr_auth_equal (NULL, NULL));
}

static char *
nonce_n (guint n)
{
  return g_strdup_printf ("%032x", n);
}

static void
test_nonce_cache_expiry (void)
{
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (4);
  g_autofree char *a = nonce_n (1);
  g_autofree char *b = nonce_n (2);
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;

  g_assert_true (vcr_nonce_cache_add (cache, a, 1000, NULL));
  g_assert_true (vcr_nonce_cache_add (cache, b, 1300, NULL));
  /* exactly 600 s later a is still remembered */
  g_assert_false (vcr_nonce_cache_add (cache, a, 1600, &e1));
  g_assert_error (e1, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  /* 601 s later it is forgotten, b is not */
  g_assert_true (vcr_nonce_cache_add (cache, a, 1601, NULL));
  g_assert_false (vcr_nonce_cache_add (cache, b, 1601, &e2));
  g_assert_error (e2, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 2);
}

static void
test_nonce_cache_full (void)
{
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (3);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *n = nonce_n (i);
      g_assert_true (vcr_nonce_cache_add (cache, n, 5000 + i, NULL));
    }
  {
    g_autofree char *n = nonce_n (99);
    /* full of live nonces: refuse rather than forget one */
    g_assert_false (vcr_nonce_cache_add (cache, n, 5100, &error));
    g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BUSY);
    g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 3);
  }
  {
    /* every old nonce is still refused while full */
    g_autofree char *n0 = nonce_n (0);
    g_assert_false (vcr_nonce_cache_add (cache, n0, 5100, &error2));
    g_assert_error (error2, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  }
  {
    /* once the oldest has expired there is room again, and the ring wraps */
    for (guint i = 100; i < 110; i++)
      {
        g_autofree char *n = nonce_n (i);
        g_assert_true (vcr_nonce_cache_add (cache, n, 6000 + 700 * (i - 100), NULL));
      }
    g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 1);
  }
}

static void
test_nonce_cache_clock_back (void)
{
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (4);
  g_autofree char *a = nonce_n (1);
  g_autoptr(GError) error = NULL;

  g_assert_true (vcr_nonce_cache_add (cache, a, 10000, NULL));
  /* a clock that went back keeps the nonce */
  g_assert_false (vcr_nonce_cache_add (cache, a, 100, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
}

/* Found by fuzz-auth: now - seen overflowed for clocks far apart, and the
 * wrapped difference kept a nonce for ever. */
static void
test_nonce_cache_far_clocks (void)
{
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (2);
  g_autofree char *a = nonce_n (1);
  g_autoptr(GError) error = NULL;

  g_assert_true (vcr_nonce_cache_add (cache, a, G_MININT64, NULL));
  g_assert_true (vcr_nonce_cache_add (cache, a, G_MAXINT64, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 1);
  /* and the other way round: a clock far back keeps it */
  g_assert_false (vcr_nonce_cache_add (cache, a, G_MININT64, &error));
  g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth/known-answers", test_auth_known_answers);
  g_test_add_func ("/auth/header/format", test_auth_header_format);
  g_test_add_func ("/auth/header/hashed", test_auth_header_hashed);
  g_test_add_func ("/auth/header/malformed", test_auth_header_malformed);
  g_test_add_func ("/auth/verify/request", test_auth_verify_request);
  g_test_add_func ("/auth/verify/response", test_auth_verify_response);
  g_test_add_func ("/auth/check-header", test_auth_check_header);
  g_test_add_func ("/auth/body-hash", test_auth_body_hash);
  g_test_add_func ("/auth/verify/signature", test_auth_verify_signature);
  g_test_add_func ("/auth/equal", test_auth_equal);
  g_test_add_func ("/auth/nonce-cache/expiry", test_nonce_cache_expiry);
  g_test_add_func ("/auth/nonce-cache/full", test_nonce_cache_full);
  g_test_add_func ("/auth/nonce-cache/clock-back", test_nonce_cache_clock_back);
  g_test_add_func ("/auth/nonce-cache/far-clocks", test_nonce_cache_far_clocks);
  return g_test_run ();
}
