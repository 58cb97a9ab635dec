/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IsPathManaged's index (lib/vcr-path-index.c): word-wise prefixes, the
 * bounds on the words (256 of them, 4,096 bytes: InvalidPath beyond,
 * naming the limit) and the lookup that stops at the depth of the
 * deepest replicate path, however long the path asked about.
 */
#include <string.h>

#include "vcr-error.h"
#include "vcr-path-index.h"
#include "vcr-tree.h"

#define SETTINGS \
  "high-availability {\n    config-replication {\n" \
  "        authentication {\n            pre-shared-secret \"0123456789abcdef-long\"\n        }\n" \
  "        mode replica\n" \
  "        primary {\n            address 192.0.2.1\n        }\n" \
  "        replicate {\n            path \"firewall name WAN\"\n" \
  "            path \"interfaces openvpn\"\n        }\n    }\n}\n"

static VcrPathIndex *
make_index (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (SETTINGS, strlen (SETTINGS), VCR_PARSE_DEFAULT,
                                            "test", &error);
  g_autoptr(VcrSettings) settings = NULL;

  g_assert_no_error (error);
  settings = vcr_settings_from_tree (tree, &error);
  g_assert_no_error (error);
  return vcr_path_index_new (settings);
}

static const char *
lookup (VcrPathIndex *index, const char *const *words)
{
  g_autoptr(GError) error = NULL;
  const char *hit = "unset";

  g_assert_true (vcr_path_index_lookup (index, words, &hit, &error));
  g_assert_no_error (error);
  return hit;
}

static void
test_prefixes (void)
{
  g_autoptr(VcrPathIndex) index = make_index ();

  g_assert_cmpstr (lookup (index, (const char *const[]) { "firewall", "name", "WAN", "rule", "10", NULL }),
                   ==, "firewall name WAN");
  g_assert_cmpstr (lookup (index, (const char *const[]) { "interfaces", "openvpn", NULL }),
                   ==, "interfaces openvpn");
  g_assert_null (lookup (index, (const char *const[]) { "firewall", "name", "WAN2", NULL }));
  g_assert_null (lookup (index, (const char *const[]) { "firewall", NULL }));
}

static GPtrArray *
words_of (guint count, gsize size, const char *first)
{
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);

  if (first != NULL)
    g_ptr_array_add (words, g_strdup (first));
  while (words->len < count)
    g_ptr_array_add (words, g_strnfill (size, 'w'));
  g_ptr_array_add (words, NULL);
  return words;
}

static void
expect_invalid (VcrPathIndex *index, GPtrArray *words, const char *message)
{
  g_autoptr(GError) error = NULL;
  const char *hit = "unset";

  g_assert_false (vcr_path_index_lookup (index, (const char *const *) words->pdata, &hit, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_null (hit);
}

static void
test_limits (void)
{
  g_autoptr(VcrPathIndex) index = make_index ();
  g_autoptr(GPtrArray) most = words_of (256, 1, "interfaces");
  g_autoptr(GPtrArray) too_many = words_of (257, 1, NULL);
  g_autoptr(GPtrArray) full = words_of (16, 256, NULL);
  g_autoptr(GPtrArray) too_long = words_of (1, 4097, NULL);
  g_autoptr(GPtrArray) one_more = words_of (17, 256, NULL);

  ((char *) g_ptr_array_index (one_more, 16))[0] = 0;   /* 16 full words + an empty one */
  g_assert_null (lookup (index, (const char *const *) most->pdata));
  expect_invalid (index, too_many, "Invalid path: more than 256 words");
  g_assert_null (lookup (index, (const char *const *) full->pdata));
  expect_invalid (index, too_long, "Invalid path: more than 4096 bytes in total");
  g_assert_true (vcr_path_index_check ((const char *const *) full->pdata, NULL));
  g_assert_false (vcr_path_index_check ((const char *const *) too_many->pdata, NULL));
  expect_invalid (index, one_more, "Invalid path: word 17 is empty");
}

/* However many words, at most as many prefixes as the deepest replicate
 * path has words are looked up (3 here). */
static void
test_depth (void)
{
  g_autoptr(VcrPathIndex) index = make_index ();
  g_autoptr(GPtrArray) deep = words_of (256, 15, "firewall");

  g_assert_null (lookup (index, (const char *const *) deep->pdata));
  g_assert_cmpuint (vcr_path_index_last_probes (index), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/path-index/prefixes", test_prefixes);
  g_test_add_func ("/path-index/limits", test_limits);
  g_test_add_func ("/path-index/depth", test_depth);
  return g_test_run ();
}
