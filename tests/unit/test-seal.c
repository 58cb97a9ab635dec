/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protocol v2 sealing and payloads: HKDF against RFC 5869, the test vector
 * of docs/protocol-v2.md (computed independently by
 * tests/unit/vcr2-reference.py with python3-cryptography, which the
 * `seal-reference` test runs), the header's bindings and bounds, every
 * byte of a frame altered, frames opened with the wrong binding, key or
 * direction, and the payload reader's refusals.
 */
#include <string.h>

#include "vcr-error.h"
#include "vcr-frame.h"
#include "vcr-seal.h"

#define SECRET "demo-secret-0123456789abcdef"
#define DEST "198.51.100.2:7790"
#define T0 G_GINT64_CONSTANT (1700000000)
#define NONCE_0F "000102030405060708090a0b0c0d0e0f"
#define WAN_TEXT "firewall {\n    name WAN {\n        default-action drop\n    }\n}\n"

/* The vector: tests/unit/vcr2-reference.py prints these. */
#define VECTOR_HEADER \
  "VCR2 ts=1700000000, nonce=000102030405060708090a0b0c0d0e0f, " \
  "sig=7f2abb8bc0c3ba68215f34c8080b9831f0dcce4ff58e223d0ea70c8146687f1c"
#define VECTOR_FRAME \
  "56435232505152535455565758595a5b20bf4a9adfc457c4af37863c1a36702a" \
  "b9c0afd7ed298876ec777dc5afaeaa7968143961971810653b32a1d1f1a33f4e" \
  "404142434445464748494a4bc254bcce2b54b5793d463f4bea26734821a2bfec" \
  "8729c0b700dcae221098a66fab61663c1afec45622f455a6a7f283dfefa9db02" \
  "8ed9e4c94bd1ff5611926c290cd9c9e977415f618e78344156e4444b2a234680" \
  "d0c199e7285e48b21a6f4855a07361fa4fd9a5c498bc8c36752d2d72ee258724" \
  "f3aa6795eef2a88a10aa4df4e90cb611dcb11822648d106d93895e346d353ae0" \
  "f52c6a63bae685c41191ea8223932d08519792a941b565da3a3a0fbae82f4d9e" \
  "d9137cab9fc44d89c09ade219b8d0547f82de51d1797f27a9206609ff9835154" \
  "f1ca5c42850b370e7102a8807bc60578aea2603cfdfc932f9508d945318c61bd" \
  "e3f00950c76e4747e5f4243ba3261e38e9ee85b5c6fe2b4f18763e50d75a2168" \
  "809b5b4b173290424fc5a5fe9e5d41c28cd1eefc3c6d8776add071a5a41ecc46" \
  "eb9d769ab39d3619aa8fc13e104a211e3f36a444b9e74e7f7e4b7089c81a9c3b" \
  "1a8189cb21a22598a32021ba3a148f98852bd31819938a8ead7fa1ca3d189fea" \
  "d17a2befc2e13fa7197a83b51ab267710ac88f3176a13179225038474de5c6f0" \
  "55c9004d898a4beeeda85f17c713cc"

static const guint8 nonce_0f[VCR_AUTH_NONCE_BYTES] = {
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

/* content key 0x20…0x3f, payload IV 0x40…0x4b, lock IV 0x50…0x5b */
static void
vector_random (guint8 random[VCR_SEAL_RANDOM_BYTES])
{
  for (guint i = 0; i < VCR_SEAL_KEY_BYTES; i++)
    random[i] = 0x20 + i;
  for (guint i = 0; i < VCR_SEAL_IV_BYTES; i++)
    {
      random[VCR_SEAL_KEY_BYTES + i] = 0x40 + i;
      random[VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES + i] = 0x50 + i;
    }
}

static VcrSealBinding
request_binding (void)
{
  VcrSealBinding b = { "POST", "/v1/snapshot", DEST, T0, NONCE_0F, 0 };
  return b;
}

static VcrSnapshot *
wan_snapshot (void)
{
  VcrSnapshot *snapshot = vcr_snapshot_new ("primary", "00112233445566778899aabbccddeeff", 7);

  vcr_snapshot_add (snapshot, "firewall name WAN", WAN_TEXT, NULL);
  vcr_snapshot_add (snapshot, "interfaces openvpn", "", NULL);
  return snapshot;
}

static GBytes *
vector_frame (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autoptr(VcrSnapshot) snapshot = wan_snapshot ();
  g_autoptr(GBytes) plain = vcr_frame_snapshot_payload (snapshot);
  VcrSealBinding b = request_binding ();
  guint8 random[VCR_SEAL_RANDOM_BYTES];
  gsize len;
  const guint8 *data = g_bytes_get_data (plain, &len);

  vector_random (random);
  return vcr_seal_frame (keys, VCR_SEAL_REQUEST, &b, data, len, random);
}

static char *
hex (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return vcr_auth_hex (data, len);
}

static void
test_hkdf_rfc5869 (void)
{
  /* RFC 5869, A.1 */
  guint8 ikm[22], salt[13], info[10], okm[42];
  g_autofree char *okm_hex = NULL;

  memset (ikm, 0x0b, sizeof ikm);
  for (guint i = 0; i < sizeof salt; i++)
    salt[i] = i;
  for (guint i = 0; i < sizeof info; i++)
    info[i] = 0xf0 + i;
  vcr_seal_hkdf (salt, sizeof salt, ikm, sizeof ikm, info, sizeof info, okm, sizeof okm);
  okm_hex = vcr_auth_hex (okm, sizeof okm);
  g_assert_cmpstr (okm_hex, ==,
                   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                   "34007208d5b887185865");
}

static void
test_vector (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autoptr(GBytes) frame = vector_frame ();
  g_autofree char *frame_hex = hex (frame);
  g_autofree char *header = NULL;
  g_autofree char *nonce = NULL;

  header = vcr_seal_request_header (keys, "POST", "/v1/snapshot", DEST, T0, nonce_0f,
                                    g_bytes_get_size (frame), &nonce);
  g_assert_cmpstr (nonce, ==, NONCE_0F);
  g_assert_cmpstr (header, ==, VECTOR_HEADER);
  g_assert_cmpstr (frame_hex, ==, VECTOR_FRAME);
}

static void
test_open_round_trip (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autoptr(GBytes) frame = vector_frame ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  VcrSealBinding b = request_binding ();
  gsize len;
  guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (frame), &len);
  guint8 *plain;
  gsize plain_len;
  const VcrSnapshotEntry *wan, *ovpn;

  g_assert_true (vcr_seal_open_in_place (keys, VCR_SEAL_REQUEST, &b, copy, len,
                                         &plain, &plain_len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (plain_len, ==, len - VCR_SEAL_FRAME_OVERHEAD);
  snapshot = vcr_frame_snapshot_read_in_place (plain, plain_len, g_free, copy, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (snapshot->origin, ==, "primary");
  g_assert_cmpuint (snapshot->generation, ==, 7);
  g_assert_cmpuint (snapshot->entries->len, ==, 2);
  wan = vcr_snapshot_lookup (snapshot, "firewall name WAN");
  ovpn = vcr_snapshot_lookup (snapshot, "interfaces openvpn");
  g_assert_cmpstr (wan->config, ==, WAN_TEXT);
  g_assert_cmpuint (wan->config_len, ==, strlen (WAN_TEXT));
  g_assert_cmpstr (ovpn->config, ==, "");
  g_assert_true (vcr_snapshot_check_digests (snapshot, &error));
  g_assert_no_error (error);
}

static gboolean
try_open (const VcrSealKeys *keys, VcrSealDirection direction, const VcrSealBinding *b,
          GBytes *frame, GError **error)
{
  gsize len;
  g_autofree guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (frame), &len);
  guint8 *plain;
  gsize plain_len;

  return vcr_seal_open_in_place (keys, direction, b, copy, len, &plain, &plain_len, error);
}

static void
test_every_byte_altered (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autoptr(GBytes) frame = vector_frame ();
  VcrSealBinding b = request_binding ();
  gsize len = g_bytes_get_size (frame);

  for (gsize i = 0; i < len; i++)
    for (guint bit = 0; bit < 8; bit += 7)
      {
        g_autoptr(GError) error = NULL;
        g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (frame, NULL), len);
        guint8 *plain;
        gsize plain_len;

        copy[i] ^= 1u << bit;
        g_assert_false (vcr_seal_open_in_place (keys, VCR_SEAL_REQUEST, &b, copy, len,
                                                &plain, &plain_len, &error));
        g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      }
  /* cut short, at every length */
  for (gsize cut = 0; cut < len; cut += 7)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) shorter = g_bytes_new_from_bytes (frame, 0, cut);

      g_assert_false (try_open (keys, VCR_SEAL_REQUEST, &b, shorter, &error));
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
    }
}

static void
test_wrong_binding_key_direction (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autoptr(VcrSealKeys) other = vcr_seal_keys_new (SECRET "x");
  g_autoptr(GBytes) frame = vector_frame ();
  VcrSealBinding variants[6];

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    variants[i] = request_binding ();
  variants[0].destination = "198.51.100.3:7790";  /* another replica */
  variants[1].destination = "198.51.100.2:7791";
  variants[2].ts = T0 + 1;
  variants[3].nonce = "ffffffffffffffffffffffffffffffff";
  variants[4].method = "GET";
  variants[5].path = "/v1/digests";
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (try_open (keys, VCR_SEAL_REQUEST, &variants[i], frame, &error));
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_assert_nonnull (strstr (error->message, "another"));
    }
  {
    g_autoptr(GError) error = NULL;
    VcrSealBinding b = request_binding ();

    g_assert_false (try_open (other, VCR_SEAL_REQUEST, &b, frame, &error));
    g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
    g_clear_error (&error);
    /* a request reflected back as a response */
    g_assert_false (try_open (keys, VCR_SEAL_RESPONSE, &b, frame, &error));
    g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  }
}

static void
test_response_status_bound (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  const char *doc = "{\"result\":\"applied\",\"generation\":7}";
  g_autoptr(GBytes) plain = vcr_frame_document_payload (doc, strlen (doc));
  VcrSealBinding b = { "POST", "/v1/snapshot", DEST, T0, NONCE_0F, 200 };
  VcrSealBinding b409 = b;
  guint8 random[VCR_SEAL_RANDOM_BYTES];
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  guint8 *copy, *payload;
  gsize payload_len, json_len;
  const char *json;

  vector_random (random);
  frame = vcr_seal_frame (keys, VCR_SEAL_RESPONSE, &b,
                          g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), random);
  b409.status = 409;
  g_assert_false (try_open (keys, VCR_SEAL_RESPONSE, &b409, frame, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_clear_error (&error);

  copy = g_bytes_unref_to_data (g_bytes_ref (frame), &len);
  g_assert_true (vcr_seal_open_in_place (keys, VCR_SEAL_RESPONSE, &b, copy, len,
                                         &payload, &payload_len, &error));
  g_assert_true (vcr_frame_document_read (payload, payload_len, &json, &json_len, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (json, json_len, doc, strlen (doc));
  g_free (copy);
}

/* A primary seals once and locks per replica: each replica opens its own
 * frame, and the other's lock on the same payload is refused. */
static void
test_one_payload_many_locks (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autoptr(VcrSnapshot) snapshot = wan_snapshot ();
  g_autoptr(GBytes) plain = vcr_frame_snapshot_payload (snapshot);
  guint8 random[VCR_SEAL_RANDOM_BYTES];
  g_autoptr(VcrSealedPayload) payload = NULL;
  g_autoptr(GBytes) shared = NULL;
  const char *dests[] = { "198.51.100.2:7790", "198.51.100.3:7790" };
  GBytes *frames[2];

  vector_random (random);
  payload = vcr_sealed_payload_new (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
                                    random);
  shared = vcr_sealed_payload_get_bytes (payload);
  for (guint i = 0; i < 2; i++)
    {
      VcrSealBinding b = request_binding ();
      g_autoptr(GBytes) lock = NULL;
      GByteArray *frame = g_byte_array_new ();

      b.destination = dests[i];
      lock = vcr_seal_lock (keys, VCR_SEAL_REQUEST, &b, payload, random + 44);
      g_byte_array_append (frame, g_bytes_get_data (lock, NULL), g_bytes_get_size (lock));
      g_byte_array_append (frame, g_bytes_get_data (shared, NULL), g_bytes_get_size (shared));
      frames[i] = g_byte_array_free_to_bytes (frame);
    }
  for (guint i = 0; i < 2; i++)
    for (guint j = 0; j < 2; j++)
      {
        g_autoptr(GError) error = NULL;
        VcrSealBinding b = request_binding ();

        b.destination = dests[j];
        g_assert_cmpint (try_open (keys, VCR_SEAL_REQUEST, &b, frames[i], &error), ==, i == j);
      }
  g_bytes_unref (frames[0]);
  g_bytes_unref (frames[1]);
}

static void
test_header (void)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autoptr(VcrSealKeys) other = vcr_seal_keys_new ("another-secret-0123456789");
  g_autoptr(VcrNonceCache) cache = vcr_nonce_cache_new (16);
  g_autofree char *header = vcr_seal_request_header (keys, "POST", "/v1/snapshot", DEST, T0,
                                                     nonce_0f, 1234, NULL);
  struct {
    const VcrSealKeys *keys;
    const char *header, *method, *path, *dest;
    guint64 length;
    gint64 now, not_before;
    int code;
  } cases[] = {
    { keys, NULL, "POST", "/v1/snapshot", DEST, 1234, T0, 0, VCR_AUTH_ERROR_MISSING },
    { keys, "VCR1 ts=1700000000, nonce=" NONCE_0F ", sig=0", "POST", "/v1/snapshot", DEST, 1234, T0, 0, VCR_AUTH_ERROR_MALFORMED },
    { keys, "VCR2 ts=1700000000,nonce=" NONCE_0F, "POST", "/v1/snapshot", DEST, 1234, T0, 0, VCR_AUTH_ERROR_MALFORMED },
    { keys, header, "POST", "/v1/snapshot", DEST, 1234, T0 + 301, 0, VCR_AUTH_ERROR_STALE },
    { keys, header, "POST", "/v1/snapshot", DEST, 1234, T0 - 301, 0, VCR_AUTH_ERROR_STALE },
    { keys, header, "POST", "/v1/snapshot", DEST, 1234, T0, T0 + 1, VCR_AUTH_ERROR_STALE },
    { keys, header, "POST", "/v1/snapshot", "198.51.100.3:7790", 1234, T0, 0, VCR_AUTH_ERROR_BAD_SIGNATURE },
    { keys, header, "POST", "/v1/snapshot", DEST, 1235, T0, 0, VCR_AUTH_ERROR_BAD_SIGNATURE },
    { keys, header, "GET", "/v1/snapshot", DEST, 1234, T0, 0, VCR_AUTH_ERROR_BAD_SIGNATURE },
    { other, header, "POST", "/v1/snapshot", DEST, 1234, T0, 0, VCR_AUTH_ERROR_BAD_SIGNATURE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vcr_seal_verify_request_header (cases[i].keys, cache, cases[i].header,
                                                      cases[i].method, cases[i].path,
                                                      cases[i].dest, cases[i].length,
                                                      cases[i].now, cases[i].not_before,
                                                      NULL, &error));
      g_assert_error (error, VCR_AUTH_ERROR, cases[i].code);
    }
  /* refusals recorded nothing: the good one passes once, then is a replay */
  g_assert_cmpuint (vcr_nonce_cache_get_size (cache), ==, 0);
  {
    g_autoptr(GError) error = NULL;
    VcrAuthHeader out;

    g_assert_true (vcr_seal_verify_request_header (keys, cache, header, "POST", "/v1/snapshot",
                                                   DEST, 1234, T0 + 300, T0, &out, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (out.nonce, ==, NONCE_0F);
    g_assert_false (vcr_seal_verify_request_header (keys, cache, header, "POST", "/v1/snapshot",
                                                    DEST, 1234, T0, 0, NULL, &error));
    g_assert_error (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_REPLAY);
  }
}

static void
check_refused (const char *payload, gsize len, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  guint8 *copy = g_memdup2 (payload, len);
  g_autoptr(VcrSnapshot) snapshot = vcr_frame_snapshot_read_in_place (copy, len, g_free,
                                                                      copy, &error);

  g_assert_null (snapshot);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, fragment);
}

/* A payload of @doc followed by @texts (@texts_len bytes). */
static GBytes *
payload_of (const char *doc, const char *texts, gsize texts_len)
{
  g_autoptr(GBytes) head = vcr_frame_document_payload (doc, strlen (doc));
  GByteArray *all = g_byte_array_new ();

  g_byte_array_append (all, g_bytes_get_data (head, NULL), g_bytes_get_size (head));
  g_byte_array_append (all, (const guint8 *) texts, texts_len);
  return g_byte_array_free_to_bytes (all);
}

#define DIGEST "0000000000000000000000000000000000000000000000000000000000000000"
#define EPOCH "00112233445566778899aabbccddeeff"
#define DOC(paths) \
  "{\"protocol\":2,\"origin\":\"p\",\"epoch\":\"" EPOCH "\",\"generation\":1,\"paths\":[" paths "]}"
#define PATH_A(len) "{\"path\":\"a\",\"digest\":\"" DIGEST "\",\"length\":" #len "}"

static void
test_payload_refusals (void)
{
  struct {
    const char *doc;
    const char *texts;
    gsize texts_len;
    const char *fragment;
  } cases[] = {
    { DOC (PATH_A (3)), "abc", 3, "past the payload's end" },
    { DOC (PATH_A (3)), "abcd", 4, "ended by one NUL" },
    { DOC (PATH_A (3)), "a\0c\0", 4, "ended by one NUL" },
    { DOC (PATH_A (3)), "abc\0x", 5, "after the last text" },
    { DOC (PATH_A (-1)), "", 0, "not a non-negative integer" },
    { DOC (PATH_A (1.5)), "", 0, "not a non-negative integer" },
    { DOC (PATH_A (0) "," PATH_A (0)), "\0\0", 2, "appears twice" },
    { DOC ("{\"path\":\"a  b\",\"digest\":\"" DIGEST "\",\"length\":0}"), "\0", 1, "canonical" },
    { DOC ("{\"path\":\"a\",\"digest\":\"" DIGEST "\",\"length\":0,\"x\":1}"), "\0", 1, "unknown member" },
    { DOC ("{\"path\":\"a\",\"digest\":\"ABC\",\"length\":0}"), "\0", 1, "lowercase hex" },
    { DOC ("{\"path\":\"a\",\"length\":0}"), "\0", 1, "missing member \"digest\"" },
    { DOC ("7"), "", 0, "not an object" },
    { "{\"protocol\":1,\"origin\":\"p\",\"epoch\":\"" EPOCH "\",\"generation\":1,\"paths\":[]}", "", 0, "unsupported protocol" },
    { "{\"protocol\":2,\"origin\":\"\",\"epoch\":\"" EPOCH "\",\"generation\":1,\"paths\":[]}", "", 0, "origin" },
    { "{\"protocol\":2,\"origin\":\"p\",\"epoch\":\"x\",\"generation\":1,\"paths\":[]}", "", 0, "epoch" },
    { "{\"protocol\":2,\"origin\":\"p\",\"epoch\":\"" EPOCH "\",\"generation\":\"1\",\"paths\":[]}", "", 0, "generation" },
    { "{\"protocol\":2,\"origin\":\"p\",\"epoch\":\"" EPOCH "\",\"generation\":1,\"paths\":{}}", "", 0, "not an array" },
    { "[1]", "", 0, "not a JSON object" },
    { DOC ("{\"path\":\"a\\u0000b\",\"digest\":\"" DIGEST "\",\"length\":0}"), "\0", 1, "u0000" },
    { DOC ("{\"path\":\"a\xff\",\"digest\":\"" DIGEST "\",\"length\":0}"), "\0", 1, "not UTF-8" },
    { "{\"protocol\":2", "", 0, "not JSON" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) p = payload_of (cases[i].doc, cases[i].texts, cases[i].texts_len);
      gsize len;
      const char *data = g_bytes_get_data (p, &len);

      check_refused (data, len, cases[i].fragment);
    }
  /* the length field itself */
  check_refused ("\0\0", 2, "shorter than its length");
  check_refused ("\0\0\0\x09{}", 6, "beyond the payload's end");
  check_refused ("\0\x10\0\x01{}", 6, "over the limit");
  {
    g_autoptr(GError) error = NULL;
    const char *json;
    gsize json_len;

    g_assert_false (vcr_frame_document_read ((const guint8 *) "\0\0\0\x02{}x", 7,
                                             &json, &json_len, &error));
    g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/seal/hkdf-rfc5869", test_hkdf_rfc5869);
  g_test_add_func ("/seal/vector", test_vector);
  g_test_add_func ("/seal/open-round-trip", test_open_round_trip);
  g_test_add_func ("/seal/every-byte-altered", test_every_byte_altered);
  g_test_add_func ("/seal/wrong-binding-key-direction", test_wrong_binding_key_direction);
  g_test_add_func ("/seal/response-status-bound", test_response_status_bound);
  g_test_add_func ("/seal/one-payload-many-locks", test_one_payload_many_locks);
  g_test_add_func ("/seal/header", test_header);
  g_test_add_func ("/frame/payload-refusals", test_payload_refusals);
  return g_test_run ();
}
