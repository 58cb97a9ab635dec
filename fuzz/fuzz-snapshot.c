/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the peer protocol's JSON documents (SPEC §7), the
 * bytes a peer receives from the network. The first input byte picks the
 * parser (snapshot, digests, POST answer, error body); the rest is the
 * body. A document that parses is written out again and must parse back to
 * an equal value; a snapshot's digests are checked and its config texts
 * parsed into trees, so the whole receive path of a replica runs
 * (protocol v1 as a replica takes it during a rolling upgrade; every small
 * document in both versions).
 */
#define G_LOG_DOMAIN "fuzz-snapshot"

#include <string.h>

#include "vcr-error.h"
#include "vcr-snapshot.h"
#include "vcr-splice.h"
#include "vcr-tree.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* A refusal goes back to the peer in a JSON error body and into the log
 * and D-Bus: its message must be UTF-8 whatever the input was. */
static void
assert_refused (const GError *error, int code)
{
  g_assert_error (error, VCR_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
assert_entries_equal (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      const VcrSnapshotEntry *x = g_ptr_array_index (a, i);
      const VcrSnapshotEntry *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpstr (x->config, ==, y->config);
      g_assert_cmpstr (x->digest, ==, y->digest);
      g_assert_cmpuint (x->config_len, ==, x->config != NULL ? strlen (x->config) : 0);
      g_assert_cmpuint (x->config_len, ==, y->config_len);
      g_assert_true (vcr_snapshot_path_is_canonical (x->path));
      g_assert_cmpuint (strlen (x->digest), ==, VCR_DIGEST_HEX_LEN);
    }
}

static void
check_snapshot (const char *body, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) snapshot = vcr_snapshot_from_json (body, length, &error);
  g_autoptr(VcrSnapshot) again = NULL;
  g_autoptr(GPtrArray) trees = NULL;
  g_autoptr(GPtrArray) spliced_trees = NULL;
  g_autoptr(GArray) splices = NULL;
  g_autofree char *json = NULL;
  gsize json_length = 0;

  if (snapshot == NULL)
    {
      assert_refused (error, VCR_ERROR_PEER_FAILED);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->generation, <=, G_MAXINT64);
  g_assert_cmpuint (strlen (snapshot->epoch), ==, VCR_EPOCH_HEX_LEN);

  json = vcr_snapshot_to_json (snapshot, &json_length);
  again = vcr_snapshot_from_json (json, json_length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->origin, ==, snapshot->origin);
  g_assert_cmpstr (again->epoch, ==, snapshot->epoch);
  g_assert_cmpuint (again->generation, ==, snapshot->generation);
  assert_entries_equal (snapshot->entries, again->entries);
  /* the exclusions travel as they came; an empty list reads as none */
  g_assert_true ((snapshot->excludes == NULL) == (again->excludes == NULL));
  g_assert_true (snapshot->excludes == NULL ||
                 g_strv_equal ((const char *const *) snapshot->excludes,
                               (const char *const *) again->excludes));
  g_assert_null (snapshot->kept);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);

      g_assert_nonnull (entry->config);
      g_assert_true (vcr_snapshot_lookup (snapshot, entry->path) != NULL);
    }

  if (!vcr_snapshot_check_digests (snapshot, &error))
    {
      assert_refused (error, VCR_ERROR_PEER_FAILED);
      g_clear_error (&error);
    }
  trees = vcr_snapshot_parse_trees (snapshot, NULL, &error);
  if (trees == NULL)
    {
      assert_refused (error, VCR_ERROR_INVALID_CONFIG);
      /* a text refused when parsed is never spliced */
      g_clear_error (&error);
      g_assert_null (vcr_snapshot_parse_trees (snapshot, &splices, &error));
      assert_refused (error, VCR_ERROR_INVALID_CONFIG);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (trees->len, ==, snapshot->entries->len);
  for (guint i = 0; i < trees->len; i++)
    g_free (vcr_tree_render (g_ptr_array_index (trees, i), VCR_FORMAT_BOOT, NULL, NULL));
  /* The receive path of a replica that has its config cached: some texts
   * spliced, the others parsed, all of them taken. */
  spliced_trees = vcr_snapshot_parse_trees (snapshot, &splices, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (splices->len, ==, trees->len);
  for (guint i = 0; i < trees->len; i++)
    g_assert_true ((g_array_index (splices, VcrSplice, i).text == NULL) ==
                   (g_ptr_array_index (spliced_trees, i) != NULL));
}

static void
check_digests (const char *body, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = vcr_digests_from_json (body, length, &error);
  g_autoptr(VcrDigests) again = NULL;
  g_autofree char *json = NULL;
  gsize json_length = 0;

  if (digests == NULL)
    {
      assert_refused (error, VCR_ERROR_PEER_FAILED);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (g_str_equal (digests->mode, "primary") || g_str_equal (digests->mode, "replica"));
  g_assert_true (*digests->epoch == '\0' || strlen (digests->epoch) == VCR_EPOCH_HEX_LEN);

  json = vcr_digests_to_json (digests, &json_length);
  again = vcr_digests_from_json (json, json_length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->mode, ==, digests->mode);
  g_assert_cmpstr (again->epoch, ==, digests->epoch);
  g_assert_cmpuint (again->generation, ==, digests->generation);
  assert_entries_equal (digests->entries, again->entries);
  for (guint i = 0; i < digests->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (digests->entries, i);

      g_assert_null (entry->config);
      g_assert_true (vcr_digests_lookup (digests, entry->path) != NULL);
    }
}

static void
check_post_result (const char *body, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  gboolean applied = FALSE;
  gboolean applied2 = FALSE;
  guint64 generation = 0;
  guint64 generation2 = 0;
  gsize json_length = 0;

  if (!vcr_post_result_from_json (body, length, &applied, &generation, &error))
    {
      assert_refused (error, VCR_ERROR_PEER_FAILED);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (generation, <=, G_MAXINT64);
  json = vcr_post_result_to_json (applied, generation, &json_length);
  g_assert_true (vcr_post_result_from_json (json, json_length, &applied2, &generation2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (applied, ==, applied2);
  g_assert_cmpuint (generation, ==, generation2);
}

static void
check_error_body (const char *body, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  g_autofree char *code2 = NULL;
  g_autofree char *message2 = NULL;
  g_autofree char *json = NULL;
  gsize json_length = 0;

  if (!vcr_error_body_from_json (body, length, &code, &message, &error))
    {
      assert_refused (error, VCR_ERROR_PEER_FAILED);
      return;
    }
  g_assert_no_error (error);
  g_assert_nonnull (code);
  g_assert_nonnull (message);
  g_assert_cmpstr (code, !=, "");
  json = vcr_error_body_to_json (code, message, &json_length);
  g_assert_true (vcr_error_body_from_json (json, json_length, &code2, &message2, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (code, ==, code2);
  g_assert_cmpstr (message, ==, message2);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const char *body;
  gsize length;

  if (size == 0)
    return 0;
  body = (const char *) data + 1;
  length = size - 1;
  switch (data[0] & 3)
    {
    case 0:
      check_snapshot (body, length);
      break;
    case 1:
      check_digests (body, length);
      break;
    case 2:
      check_post_result (body, length);
      break;
    default:
      check_error_body (body, length);
      break;
    }
  return 0;
}
