/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exclusion list in the snapshot documents (lib/vcr-snapshot.c for
 * v1's JSON, lib/vcr-frame.c for v2's payload) and a replica's texts
 * (GET /v1/texts): "excludes" is written only when there is one, so a
 * document without exclusions is byte for byte what a peer without them
 * reads; read back equal; refused when it is not a list of distinct
 * canonical paths; "kept" only in a replica's texts (v2 only: there is no
 * v1 texts request), each one of its exclusions; a replica's texts may
 * have an empty epoch.
 */
#define _GNU_SOURCE 1   /* memmem */
#include <string.h>

#include "vcr-error.h"
#include "vcr-frame.h"
#include "vcr-snapshot.h"

#define EPOCH "0123456789abcdef0123456789abcdef"
#define TEXT "firewall {\n    name WAN {\n        default-action drop\n    }\n}\n"

static const char *const excludes[] = { "firewall name WAN description", "interfaces openvpn vtun0 local-host", NULL };

static VcrSnapshot *
sample (const char *epoch)
{
  VcrSnapshot *s = vcr_snapshot_new ("r1", epoch, 3);

  vcr_snapshot_add (s, "firewall name WAN", TEXT, NULL);
  vcr_snapshot_add (s, "interfaces openvpn", "", NULL);
  return s;
}

/* The v1 JSON of @s, read back. */
static VcrSnapshot *
v1_again (const VcrSnapshot *s, char **json_out, GError **error)
{
  gsize len = 0;
  g_autofree char *json = vcr_snapshot_to_json (s, &len);
  VcrSnapshot *back = vcr_snapshot_from_json (json, len, error);

  if (json_out != NULL)
    *json_out = g_steal_pointer (&json);
  return back;
}

/* The v2 payload of @s, read back (@texts: as a replica's texts). */
static VcrSnapshot *
v2_again (const VcrSnapshot *s, gboolean texts, GError **error)
{
  g_autoptr(GBytes) payload = vcr_frame_snapshot_payload (s);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (payload, &len);
  guint8 *copy = g_memdup2 (data, len);

  return texts ? vcr_frame_texts_read_in_place (copy, len, g_free, copy, error)
               : vcr_frame_snapshot_read_in_place (copy, len, g_free, copy, error);
}

static void
test_round_trip (void)
{
  g_autoptr(VcrSnapshot) s = sample (EPOCH);
  g_autoptr(VcrSnapshot) plain = sample (EPOCH);
  g_autofree char *json = NULL;
  g_autofree char *plain_json = NULL;

  vcr_snapshot_set_excludes (s, excludes);
  for (guint v = 1; v <= 2; v++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VcrSnapshot) back = v == 1 ? v1_again (s, NULL, &error)
                                           : v2_again (s, FALSE, &error);

      g_assert_no_error (error);
      g_assert_true (g_strv_equal ((const char *const *) back->excludes, excludes));
      g_assert_null (back->kept);
      g_assert_cmpuint (back->entries->len, ==, 2);
    }
  /* without exclusions: no member at all (an older peer reads it) */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VcrSnapshot) back = v1_again (plain, &plain_json, &error);
    g_autoptr(GBytes) payload = vcr_frame_snapshot_payload (plain);

    g_assert_no_error (error);
    g_assert_null (back->excludes);
    g_assert_null (strstr (plain_json, "excludes"));
    g_assert_null (memmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload),
                           "excludes", 8));
    vcr_snapshot_set_excludes (plain, (const char *const[]) { NULL });
    g_assert_null (plain->excludes);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VcrSnapshot) back = v1_again (s, &json, &error);

    g_assert_no_error (error);
    g_assert_nonnull (back);
    g_assert_nonnull (strstr (json, "],\"excludes\":[\"firewall name WAN description\","
                                    "\"interfaces openvpn vtun0 local-host\"]}"));
  }
}

/* A replica's texts: "kept" and an empty epoch pass there, not in a
 * snapshot; v1 JSON never carries "kept". */
static void
test_texts (void)
{
  g_autoptr(VcrSnapshot) s = sample ("");
  const char *const kept[] = { "interfaces openvpn vtun0 local-host", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) snapshot_error = NULL;
  g_autoptr(VcrSnapshot) back = NULL;
  g_autoptr(VcrSnapshot) refused = NULL;
  g_autofree char *json = NULL;

  vcr_snapshot_set_excludes (s, excludes);
  vcr_snapshot_set_kept (s, kept);
  back = v2_again (s, TRUE, &error);
  refused = v2_again (s, FALSE, &snapshot_error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->epoch, ==, "");
  g_assert_true (g_strv_equal ((const char *const *) back->kept, kept));
  g_assert_null (refused);
  g_assert_error (snapshot_error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  json = vcr_snapshot_to_json (s, NULL);
  g_assert_null (strstr (json, "kept"));
}

static void
check_v1_refused (const char *doc, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) s = vcr_snapshot_from_json (doc, strlen (doc), &error);

  g_test_message ("%s", doc);
  g_assert_null (s);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, fragment);
}

static void
check_v2_refused (const char *doc, gboolean texts, const char *fragment)
{
  g_autoptr(GBytes) payload = vcr_frame_document_payload (doc, strlen (doc));
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (payload, &len);
  guint8 *copy = g_memdup2 (data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) s =
    texts ? vcr_frame_texts_read_in_place (copy, len, g_free, copy, &error)
          : vcr_frame_snapshot_read_in_place (copy, len, g_free, copy, &error);

  g_test_message ("%s", doc);
  g_assert_null (s);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, fragment);
}

#define V1(tail) "{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]" tail "}"
#define V2(tail) "{\"protocol\":2,\"origin\":\"o\",\"epoch\":\"" EPOCH "\",\"generation\":7,\"paths\":[]" tail "}"

static void
test_refusals (void)
{
  static const struct {
    const char *tail;
    gboolean texts;
    const char *why;
  } bad[] = {
    { ",\"excludes\":\"a b\"", FALSE, "excludes: not an array" },
    { ",\"excludes\":[1]", FALSE, "excludes[0]: not canonical" },
    { ",\"excludes\":[\"a  b\"]", FALSE, "excludes[0]: not canonical" },
    { ",\"excludes\":[\"a b\",\"a b\"]", FALSE, "excludes[1]: \"a b\" appears twice" },
    { ",\"kept\":[\"a b\"]", FALSE, "unknown member \"kept\"" },
    { ",\"kept\":[\"a b\"]", TRUE, "kept[0]: \"a b\" is not one of its excludes" },
    { ",\"excludes\":[\"a b\"],\"kept\":[\"a c\"]", TRUE, "kept[0]: \"a c\" is not one of" },
    { ",\"excludes\":[\"a b\"],\"kept\":\"a b\"", TRUE, "kept: not an array" },
    { ",\"other\":[]", TRUE, "unknown member \"other\"" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *v1 = g_strdup_printf (V1 ("%s"), bad[i].tail);
      g_autofree char *v2 = g_strdup_printf (V2 ("%s"), bad[i].tail);

      if (!bad[i].texts)
        check_v1_refused (v1, bad[i].why);
      check_v2_refused (v2, bad[i].texts, bad[i].why);
    }
  /* an empty epoch only in a replica's texts */
  check_v1_refused ("{\"protocol\":1,\"origin\":\"o\",\"epoch\":\"\",\"generation\":0,\"paths\":[]}",
                    "epoch");
  check_v2_refused ("{\"protocol\":2,\"origin\":\"o\",\"epoch\":\"\",\"generation\":0,\"paths\":[]}",
                    FALSE, "epoch");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/document-excludes/round-trip", test_round_trip);
  g_test_add_func ("/document-excludes/texts", test_texts);
  g_test_add_func ("/document-excludes/refusals", test_refusals);
  return g_test_run ();
}
