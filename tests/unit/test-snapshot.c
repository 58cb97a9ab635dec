/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer protocol documents: build → parse round trips, the digest check, and
 * every kind of malformed document refused with a message naming the
 * problem.
 */
#include <string.h>

#include "vcr-error.h"
#include "vcr-snapshot.h"

#define EPOCH "0123456789abcdef0123456789abcdef"
#define D_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FW_TEXT "firewall {\n}\n"

static void
test_snapshot_roundtrip (void)
{
  g_autoptr(VcrSnapshot) s = vcr_snapshot_new ("vyos-1", EPOCH, 42);
  g_autoptr(VcrSnapshot) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  const char *tricky = "a \"quoted\" \\ value\n\t\x01 é ✓ /* */\n";
  gsize len = 0;

  vcr_snapshot_add (s, "firewall name WAN", tricky, NULL);
  vcr_snapshot_add (s, "interfaces openvpn", "", NULL);
  json = vcr_snapshot_to_json (s, &len);
  g_assert_cmpuint (len, ==, strlen (json));
  back = vcr_snapshot_from_json (json, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpstr (back->origin, ==, "vyos-1");
  g_assert_cmpstr (back->epoch, ==, EPOCH);
  g_assert_cmpuint (back->generation, ==, 42);
  g_assert_cmpuint (back->entries->len, ==, 2);
  g_assert_cmpstr (vcr_snapshot_lookup (back, "firewall name WAN")->config, ==, tricky);
  g_assert_cmpstr (vcr_snapshot_lookup (back, "interfaces openvpn")->digest, ==, D_EMPTY);
  g_assert_null (vcr_snapshot_lookup (back, "interfaces"));
  g_assert_true (vcr_snapshot_check_digests (back, &error));
  g_assert_no_error (error);
}

static void
test_snapshot_digest_mismatch (void)
{
  g_autoptr(VcrSnapshot) s = vcr_snapshot_new ("r", EPOCH, 0);
  g_autoptr(GError) error = NULL;

  vcr_snapshot_add (s, "firewall", FW_TEXT, D_EMPTY);
  g_assert_false (vcr_snapshot_check_digests (s, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_nonnull (strstr (error->message, "\"firewall\""));
}

#define HEAD "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,"
#define ENTRY(p) "{\"path\":\"" p "\",\"config\":\"\",\"digest\":\"" D_EMPTY "\"}"
#define GOOD HEAD "\"paths\":[" ENTRY ("firewall name WAN") "]}"

static void
test_snapshot_good_forms (void)
{
  const char *good[] = {
    GOOD,
    HEAD "\"paths\":[]}",
    " \r\n\t" GOOD " \n",
    "{\"paths\":[" ENTRY ("a") "],\"generation\":0,\"epoch\":\"" EPOCH "\",\"origin\":\"o\",\"protocol\":1}",
    HEAD "\"paths\":[{\"digest\":\"" D_EMPTY "\",\"config\":\"\\u00e9\\ud83d\\ude00\\/\",\"path\":\"x\"}]}",
    "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":9223372036854775807,\"paths\":[]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VcrSnapshot) s = vcr_snapshot_from_json (good[i], strlen (good[i]), &error);

      g_test_message ("good[%" G_GSIZE_FORMAT "]: %s", i, good[i]);
      g_assert_no_error (error);
      g_assert_nonnull (s);
    }
}

static void
test_snapshot_malformed (void)
{
  static const struct {
    const char *doc;
    const char *why;   /* a fragment of the message */
  } bad[] = {
    { "", "not a JSON object" },
    { "[]", "not a JSON object" },
    { "\"x\"", "not a JSON object" },
    { "{", "expected a member name" },
    { GOOD "x", "text after" },
    { GOOD GOOD, "text after" },
    { "{'protocol':1}", "expected a member name" },
    { "/**/" GOOD, "not a JSON object" },
    { HEAD "\"paths\":[" ENTRY ("a") ",]}", "unexpected character" },
    { HEAD "\"paths\":[" ENTRY ("a") "],}", "expected a member name" },
    { "{\"protocol\":01,\"origin\":\"o\"}", "expected ',' or '}'" },
    { "{\"protocol\":1,\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "duplicate member" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"path\":\"a\",\"config\":\"\",\"digest\":\"" D_EMPTY "\"}]}", "duplicate member" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\u0000\",\"digest\":\"" D_EMPTY "\"}]}", "\\u0000" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\ud800\",\"digest\":\"" D_EMPTY "\"}]}", "surrogate" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\udc00\",\"digest\":\"" D_EMPTY "\"}]}", "surrogate" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\x\",\"digest\":\"" D_EMPTY "\"}]}", "bad escape" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\t\",\"digest\":\"" D_EMPTY "\"}]}", "control character" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\xff\",\"digest\":\"" D_EMPTY "\"}]}", "UTF-8" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"", "unterminated" },
    { "{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}", "nested too deeply" },
    /* schema */
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7}", "missing member \"paths\"" },
    { HEAD "\"paths\":[],\"extra\":1}", "unknown member \"extra\"" },
    { "{\"protocol\":2,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "protocol" },
    { "{\"protocol\":\"1\",\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "protocol" },
    { "{\"protocol\":1.0,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "protocol" },
    { "{\"protocol\":1,\"origin\":\"\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "origin" },
    { "{\"protocol\":1,\"origin\":\"a\\nb\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "origin" },
    { "{\"protocol\":1,\"origin\":null,\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "origin: not a string" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"0123456789ABCDEF0123456789abcdef\",\"generation\":7,\"paths\":[]}", "epoch" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"0123\",\"generation\":7,\"paths\":[]}", "epoch" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "0\",\"generation\":7,\"paths\":[]}", "epoch" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":1,\"generation\":7,\"paths\":[]}", "epoch: not a string" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":-1,\"paths\":[]}", "generation" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":1.5,\"paths\":[]}", "generation" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":1e2,\"paths\":[]}", "generation" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":\"7\",\"paths\":[]}", "generation" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":true,\"paths\":[]}", "generation" },
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":9223372036854775808,\"paths\":[]}", "out of range" },
    { HEAD "\"paths\":{}}", "paths: not an array" },
    { HEAD "\"paths\":[1]}", "paths[0]: not an object" },
    { HEAD "\"paths\":[" ENTRY ("a") ",[]]}", "paths[1]: not an object" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"digest\":\"" D_EMPTY "\"}]}", "missing member \"config\"" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\",\"digest\":\"" D_EMPTY "\",\"x\":1}]}", "unknown member \"x\"" },
    { HEAD "\"paths\":[{\"path\":1,\"config\":\"\",\"digest\":\"" D_EMPTY "\"}]}", "path: not a string" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":[],\"digest\":\"" D_EMPTY "\"}]}", "config: not a string" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\",\"digest\":\"E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]}", "digest" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\",\"digest\":\"e3b0\"}]}", "digest" },
    { HEAD "\"paths\":[" ENTRY ("") "]}", "single spaces" },
    { HEAD "\"paths\":[" ENTRY (" a") "]}", "single spaces" },
    { HEAD "\"paths\":[" ENTRY ("a ") "]}", "single spaces" },
    { HEAD "\"paths\":[" ENTRY ("a  b") "]}", "single spaces" },
    { HEAD "\"paths\":[" ENTRY ("a\\tb") "]}", "single spaces" },
    { HEAD "\"paths\":[" ENTRY ("a\\u00a0b") "]}", "single spaces" },
    { HEAD "\"paths\":[" ENTRY ("firewall name WAN") "," ENTRY ("firewall name WAN") "]}", "appears twice" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VcrSnapshot) s = NULL;

      g_test_message ("bad[%" G_GSIZE_FORMAT "]: %s", i, bad[i].doc);
      s = vcr_snapshot_from_json (bad[i].doc, strlen (bad[i].doc), &error);
      g_assert_null (s);
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_test_message ("  -> %s", error->message);
      g_assert_nonnull (strstr (error->message, bad[i].why));
    }
}

static void
test_snapshot_embedded_nul (void)
{
  /* a NUL byte inside the body must not cut the document short */
  const char doc[] = GOOD "\0garbage";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) s = vcr_snapshot_from_json (doc, sizeof doc - 1, &error);

  g_assert_null (s);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
}

static void
test_digests (void)
{
  g_autoptr(VcrDigests) d = vcr_digests_new ("replica", "", 3);
  g_autoptr(VcrDigests) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  gsize len;
  const char *bad[] = {
    "{\"mode\":\"disabled\",\"epoch\":\"\",\"generation\":0,\"paths\":[]}",
    "{\"mode\":\"primary\",\"epoch\":\"x\",\"generation\":0,\"paths\":[]}",
    "{\"mode\":\"primary\",\"epoch\":\"\",\"generation\":-3,\"paths\":[]}",
    "{\"mode\":\"primary\",\"epoch\":\"\",\"generation\":0}",
    "{\"mode\":\"primary\",\"epoch\":\"\",\"generation\":0,\"paths\":[" ENTRY ("a") "]}",
    "{\"mode\":\"primary\",\"epoch\":\"\",\"generation\":0,\"paths\":[{\"path\":\"a\",\"digest\":\"x\"}]}",
    "{\"mode\":\"primary\",\"epoch\":\"\",\"generation\":0,\"paths\":[{\"path\":\"a\",\"digest\":\"" D_EMPTY "\"},{\"path\":\"a\",\"digest\":\"" D_EMPTY "\"}]}",
  };

  vcr_digests_add (d, "firewall name WAN", D_EMPTY);
  json = vcr_digests_to_json (d, &len);
  back = vcr_digests_from_json (json, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->mode, ==, "replica");
  g_assert_cmpstr (back->epoch, ==, "");
  g_assert_cmpuint (back->generation, ==, 3);
  g_assert_cmpstr (vcr_digests_lookup (back, "firewall name WAN")->digest, ==, D_EMPTY);
  g_assert_null (vcr_digests_lookup (back, "firewall name WAN")->config);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(VcrDigests) x = vcr_digests_from_json (bad[i], strlen (bad[i]), &e);

      g_test_message ("bad[%" G_GSIZE_FORMAT "]: %s", i, bad[i]);
      g_assert_null (x);
      g_assert_error (e, VCR_ERROR, VCR_ERROR_PEER_FAILED);
    }
}

static void
test_post_result (void)
{
  g_autofree char *a = vcr_post_result_to_json (TRUE, 5, NULL);
  g_autofree char *u = vcr_post_result_to_json (FALSE, 0, NULL);
  gboolean applied = FALSE;
  guint64 gen = 99;
  const char *bad[] = {
    "{\"result\":\"done\",\"generation\":1}",
    "{\"result\":\"applied\"}",
    "{\"result\":\"applied\",\"generation\":1,\"x\":0}",
    "{\"result\":true,\"generation\":1}",
    "{\"result\":\"applied\",\"generation\":-1}",
  };

  g_assert_cmpstr (a, ==, "{\"result\":\"applied\",\"generation\":5}");
  g_assert_true (vcr_post_result_from_json (a, strlen (a), &applied, &gen, NULL));
  g_assert_true (applied);
  g_assert_cmpuint (gen, ==, 5);
  g_assert_true (vcr_post_result_from_json (u, strlen (u), &applied, &gen, NULL));
  g_assert_false (applied);
  g_assert_cmpuint (gen, ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_assert_false (vcr_post_result_from_json (bad[i], strlen (bad[i]), &applied, &gen, &e));
      g_assert_error (e, VCR_ERROR, VCR_ERROR_PEER_FAILED);
    }
}

static void
test_error_body (void)
{
  g_autofree char *json = vcr_error_body_to_json ("path-mismatch", "paths \"a\" differ", NULL);
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  const char *bad[] = {
    "{\"error\":\"\",\"message\":\"m\"}",
    "{\"error\":\"x\"}",
    "{\"error\":\"x\",\"message\":1}",
    "{\"error\":\"x\",\"message\":\"m\",\"detail\":\"d\"}",
    "not json",
  };

  g_assert_cmpstr (json, ==, "{\"error\":\"path-mismatch\",\"message\":\"paths \\\"a\\\" differ\"}");
  g_assert_true (vcr_error_body_from_json (json, strlen (json), &code, &message, NULL));
  g_assert_cmpstr (code, ==, "path-mismatch");
  g_assert_cmpstr (message, ==, "paths \"a\" differ");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autofree char *c = NULL;
      g_autofree char *m = NULL;
      g_assert_false (vcr_error_body_from_json (bad[i], strlen (bad[i]), &c, &m, &e));
      g_assert_error (e, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_assert_null (c);
    }
}

static void
test_path_canonical (void)
{
  g_assert_true (vcr_snapshot_path_is_canonical ("firewall name WAN"));
  g_assert_true (vcr_snapshot_path_is_canonical ("a"));
  g_assert_true (vcr_snapshot_path_is_canonical ("interfaces ethernet eth0 vif 10.2"));
  g_assert_false (vcr_snapshot_path_is_canonical (""));
  g_assert_false (vcr_snapshot_path_is_canonical (NULL));
  g_assert_false (vcr_snapshot_path_is_canonical (" "));
  g_assert_false (vcr_snapshot_path_is_canonical ("a\nb"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snapshot/roundtrip", test_snapshot_roundtrip);
  g_test_add_func ("/snapshot/digest-mismatch", test_snapshot_digest_mismatch);
  g_test_add_func ("/snapshot/good-forms", test_snapshot_good_forms);
  g_test_add_func ("/snapshot/malformed", test_snapshot_malformed);
  g_test_add_func ("/snapshot/embedded-nul", test_snapshot_embedded_nul);
  g_test_add_func ("/snapshot/digests", test_digests);
  g_test_add_func ("/snapshot/post-result", test_post_result);
  g_test_add_func ("/snapshot/error-body", test_error_body);
  g_test_add_func ("/snapshot/path-canonical", test_path_canonical);
  return g_test_run ();
}
