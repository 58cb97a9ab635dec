/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer protocol documents: build → parse round trips, the digest check, and
 * every kind of malformed document refused with a message naming the
 * problem (json-glib reads the grammar, lib/vcr-json.c makes it strict).
 */
#include <string.h>

#include "vcr-error.h"
#include "vcr-snapshot.h"

#define EPOCH "0123456789abcdef0123456789abcdef"
#define D_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FW_TEXT "firewall {\n}\n"

static VcrSnapshot *
parse_both (const char *doc, gsize length, GError **error)
{
  return vcr_snapshot_from_json (doc, length, error);
}

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
  back = parse_both (json, len, &error);
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
      g_autoptr(VcrSnapshot) s = parse_both (good[i], strlen (good[i]), &error);

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
    { "", "snapshot" },
    { "[]", "snapshot" },
    { "\"x\"", "snapshot" },
    { "{", "snapshot" },
    { GOOD "x", "snapshot" },
    { GOOD GOOD, "snapshot" },
    { "{'protocol':1}", "single quotes" },
    { "/**/" GOOD, "no comments" },
    { GOOD "//", "text after" },
    { "{\"a\":1 /* x */}", "no comments" },
    { HEAD "\"paths\":[" ENTRY ("a") ",]}", "snapshot" },
    { HEAD "\"paths\":[" ENTRY ("a") "],}", "snapshot" },
    { "{\"protocol\":01,\"origin\":\"o\"}", "snapshot" },
    { "{\"protocol\":1,\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]}", "duplicate member" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"path\":\"a\",\"config\":\"\",\"digest\":\"" D_EMPTY "\"}]}", "duplicate member" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\u0000\",\"digest\":\"" D_EMPTY "\"}]}", "\\u0000" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\ud800\",\"digest\":\"" D_EMPTY "\"}]}", "snapshot" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\udc00\",\"digest\":\"" D_EMPTY "\"}]}", "snapshot" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\\x\",\"digest\":\"" D_EMPTY "\"}]}", "snapshot" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\t\",\"digest\":\"" D_EMPTY "\"}]}", "snapshot" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\xff\",\"digest\":\"" D_EMPTY "\"}]}", "UTF-8" },
    { HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"", "snapshot" },
    { "{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}", "snapshot" },
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
    { "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":9223372036854775808,\"paths\":[]}", "generation" },
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
      /* escaped: some documents hold bytes that are not UTF-8, which TAP
       * readers refuse */
      g_autofree char *shown = g_strescape (bad[i].doc, NULL);

      g_test_message ("bad[%" G_GSIZE_FORMAT "]: %s", i, shown);
      s = parse_both (bad[i].doc, strlen (bad[i].doc), &error);
      g_assert_null (s);
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_test_message ("  -> %s", error->message);
      g_assert_nonnull (strstr (error->message, bad[i].why));
    }
}

/* The whole message, byte for byte, of what json-glib would take but the
 * peer documents may not hold (lib/vcr-json.c, before json-glib reads). */
static void
test_snapshot_messages (void)
{
  static const struct {
    const char *doc;
    const char *message;
  } cases[] = {
    { "{\"a\":1} x", "snapshot: not JSON: text after the document at byte 8" },
    { "{\"a\":1}{\"a\":1}", "snapshot: not JSON: text after the document at byte 7" },
    { "{\"a\":\"\x01\"}", "snapshot: not JSON: control character in a string at byte 6" },
    { "{\"a\":\"\\q\"}", "snapshot: not JSON: bad escape in a string at byte 6" },
    { "{\"a\":\"\\u12\"}", "snapshot: not JSON: bad escape in a string at byte 6" },
    { "{\"a\":\"\\u0000\"}", "snapshot: \\u0000 in a string at byte 6" },
    { "{\"a\":\"\\\\u0000\", \"b\":'x'}", "snapshot: not JSON: ''' at byte 20 (no comments or single quotes)" },
    { "{\"a\":1 // x\n}", "snapshot: not JSON: '/' at byte 7 (no comments or single quotes)" },
    { "{\"a\":[[[[[[[[1]]]]]]]]}", "snapshot: not JSON: nested too deeply at byte 12" },
    /* json-glib would make a lone surrogate into bytes that are not UTF-8
     * (found by fuzz-snapshot, fuzz/corpus/snapshot/regress-lone-surrogate) */
    { "{\"a\":\"\\ud800/*x*/\"}", "snapshot: not JSON: lone high surrogate at byte 6" },
    { "{\"a\":\"\\ud800\\u0041\"}", "snapshot: not JSON: lone high surrogate at byte 6" },
    { "{\"a\":\"x\\udc00\"}", "snapshot: not JSON: lone low surrogate at byte 7" },
    { "{x \xff", "snapshot: not UTF-8 text (or holds a NUL byte)" },
    { "{\"a\":1,\"a\":2}", "snapshot: duplicate member name" },
    { "{\"a\":{\"b\":1,\"b\":2}}", "snapshot: duplicate member name" },
    { "[1]", "snapshot: not a JSON object" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VcrSnapshot) s = NULL;
      g_autofree char *shown = g_strescape (cases[i].doc, NULL);

      g_test_message ("cases[%" G_GSIZE_FORMAT "]: %s", i, shown);
      s = parse_both (cases[i].doc, strlen (cases[i].doc), &error);
      g_assert_null (s);
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

static void
assert_snapshot_refused (const char *doc, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) s = parse_both (doc, strlen (doc), &error);

  g_test_message ("%s", doc);
  g_assert_null (s);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_cmpstr (error->message, ==, message);
}

/* With several unknown members the message names the first in the
 * document. */
static void
test_unknown_member_order (void)
{
  const char *doc = "{\"mode\":\"replica\",\"epoch\":\"\",\"generode\":1,"
    "\"epOch\":1,\"generation\":0,\"pathsation\":0,\"paths\":[]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) d = vcr_digests_from_json (doc, strlen (doc), &error);

  g_assert_null (d);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_cmpstr (error->message, ==, "digests: unknown member \"generode\"");
}

static void
test_snapshot_duplicates (void)
{
  /* at the top level, inside a paths entry, and names that differ only
   * in how they are escaped */
  assert_snapshot_refused (HEAD "\"origin\":\"p\",\"paths\":[]}",
                           "snapshot: duplicate member name");
  assert_snapshot_refused (HEAD "\"paths\":[{\"path\":\"a\",\"config\":\"\",\"config\":\"\","
                           "\"digest\":\"" D_EMPTY "\"}]}",
                           "snapshot: duplicate member name");
  assert_snapshot_refused (HEAD "\"paths\":[" ENTRY ("a") ",{\"path\":\"b\",\"config\":\"\","
                           "\"digest\":\"" D_EMPTY "\",\"digest\":\"" D_EMPTY "\"}]}",
                           "snapshot: duplicate member name");
  assert_snapshot_refused (HEAD "\"p\\u0061ths\":[],\"paths\":[]}",
                           "snapshot: duplicate member name");
}

static void
test_snapshot_escapes (void)
{
  const char *doc = HEAD "\"paths\":[{\"path\":\"x\",\"digest\":\"" D_EMPTY "\",\"config\":"
    "\"<\\n\\t\\\"\\\\\\/\\b\\f\\r\\u00e9\\u00E9\\u0041\\u20ac\\ud83d\\ude00>\"}]}";
  const char *expected = "<\n\t\"\\/\b\f\r\xc3\xa9\xc3\xa9" "A\xe2\x82\xac\xf0\x9f\x98\x80>";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) s = parse_both (doc, strlen (doc), &error);
  const VcrSnapshotEntry *entry;

  g_assert_no_error (error);
  entry = vcr_snapshot_lookup (s, "x");
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->config, ==, expected);
  g_assert_cmpuint (strlen (entry->config), ==, 22);
}

/* A few MB of config text holding every kind of character the writer
 * escapes, and multi-byte characters, comes back byte for byte. */
static void
test_snapshot_big_roundtrip (void)
{
  g_autoptr(VcrSnapshot) s = vcr_snapshot_new ("vyos-1", EPOCH, 1);
  g_autoptr(VcrSnapshot) back = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  const VcrSnapshotEntry *entry;
  gsize len = 0;

  for (guint i = 0; text->len < 3 * 1024 * 1024; i++)
    g_string_append_printf (text, "    rule %u {\n        description \"a \\\"q\\\" \\\\ \t"
                            "\x01\x1f é ✓ \xf0\x9f\x98\x80 /%u\"\n    }\n", i, i * 7);
  vcr_snapshot_add (s, "firewall name WAN", text->str, NULL);
  json = vcr_snapshot_to_json (s, &len);
  back = parse_both (json, len, &error);
  g_assert_no_error (error);
  entry = vcr_snapshot_lookup (back, "firewall name WAN");
  g_assert_nonnull (entry);
  g_assert_cmpuint (strlen (entry->config), ==, text->len);
  g_assert_true (memcmp (entry->config, text->str, text->len) == 0);
  g_assert_true (vcr_snapshot_check_digests (back, &error));
  g_assert_no_error (error);
}

#define GEN(g) "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":" g ",\"paths\":[]}"

static void
test_snapshot_integers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) s = parse_both (GEN ("9223372036854775807"),
                                         strlen (GEN ("9223372036854775807")), &error);
  const char *max = "{\"result\":\"applied\",\"generation\":9223372036854775807}";
  const char *one = "{\"result\":\"applied\",\"generation\":1.0}";
  gboolean applied;
  guint64 generation = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (s->generation, ==, G_MAXINT64);
  assert_snapshot_refused (GEN ("9223372036854775808"),
                           "snapshot.generation: not a non-negative integer");
  assert_snapshot_refused (GEN ("99999999999999999999999"),
                           "snapshot.generation: not a non-negative integer");
  assert_snapshot_refused (GEN ("-1"), "snapshot.generation: not a non-negative integer");
  assert_snapshot_refused (GEN ("-9223372036854775808"),
                           "snapshot.generation: not a non-negative integer");
  assert_snapshot_refused (GEN ("1.0"), "snapshot.generation: not a non-negative integer");
  assert_snapshot_refused (GEN ("1e0"), "snapshot.generation: not a non-negative integer");
  assert_snapshot_refused (GEN ("-0.0"), "snapshot.generation: not a non-negative integer");
  g_clear_pointer (&s, vcr_snapshot_free);
  s = parse_both (GEN ("-0"), strlen (GEN ("-0")), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (s->generation, ==, 0);

  g_assert_true (vcr_post_result_from_json (max, strlen (max), &applied, &generation, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (generation, ==, G_MAXINT64);
  g_assert_false (vcr_post_result_from_json (one, strlen (one), &applied, &generation, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_cmpstr (error->message, ==, "result.generation: not a non-negative integer");
}

static void
test_snapshot_embedded_nul (void)
{
  /* a NUL byte inside the body must not cut the document short */
  const char doc[] = GOOD "\0garbage";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) s = parse_both (doc, sizeof doc - 1, &error);

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
  g_test_add_func ("/snapshot/messages", test_snapshot_messages);
  g_test_add_func ("/snapshot/duplicates", test_snapshot_duplicates);
  g_test_add_func ("/snapshot/unknown-member-order", test_unknown_member_order);
  g_test_add_func ("/snapshot/escapes", test_snapshot_escapes);
  g_test_add_func ("/snapshot/big-roundtrip", test_snapshot_big_roundtrip);
  g_test_add_func ("/snapshot/integers", test_snapshot_integers);
  g_test_add_func ("/snapshot/embedded-nul", test_snapshot_embedded_nul);
  g_test_add_func ("/snapshot/digests", test_digests);
  g_test_add_func ("/snapshot/post-result", test_post_result);
  g_test_add_func ("/snapshot/error-body", test_error_body);
  g_test_add_func ("/snapshot/path-canonical", test_path_canonical);
  return g_test_run ();
}
