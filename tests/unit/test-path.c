/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Paths: parsing, word checks, "under", snapshot text and digest,
 * is_within (SPEC §3, §4). */
#include <string.h>

#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-tree-view.h"
#include "vcr-test-util.h"

static void
test_path_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = vcr_path_parse ("  firewall\tname   WAN \n", &error);
  g_auto(GStrv) none = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (words), ==, 3);
  g_assert_cmpstr (words[0], ==, "firewall");
  g_assert_cmpstr (words[1], ==, "name");
  g_assert_cmpstr (words[2], ==, "WAN");

  none = vcr_path_parse (" \t ", &error);
  g_assert_null (none);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH);
  g_clear_error (&error);
  g_assert_null (vcr_path_parse ("", &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH);
}

static void
test_path_check_words (void)
{
  const char *good[] = { "firewall", "name", "WAN", NULL };
  const char *empty_list[] = { NULL };
  const char *empty_word[] = { "firewall", "", NULL };
  const char *space[] = { "firewall", "name WAN", NULL };
  const char *tab[] = { "fire\twall", NULL };
  const char *bad_utf8[] = { "fire\xffwall", NULL };
  const char *const *bad[] = { empty_list, empty_word, space, tab, bad_utf8, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (vcr_path_check_words (good, &error));
  g_assert_no_error (error);
  g_assert_false (vcr_path_check_words (NULL, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH);
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_clear_error (&error);
      g_assert_false (vcr_path_check_words (bad[i], &error));
      g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH);
    }
}

static void
test_path_under (void)
{
  const char *wan[] = { "firewall", "name", "WAN", NULL };
  const char *wan2[] = { "firewall", "name", "WAN2", NULL };
  const char *rule[] = { "firewall", "name", "WAN", "rule", "10", NULL };
  const char *fw[] = { "firewall", NULL };
  g_autofree char *text = vcr_path_to_string (rule);

  g_assert_cmpstr (text, ==, "firewall name WAN rule 10");
  g_assert_true (vcr_path_is_under (wan, wan));
  g_assert_true (vcr_path_is_under (rule, wan));
  g_assert_true (vcr_path_is_under (wan, fw));
  g_assert_false (vcr_path_is_under (wan2, wan));
  g_assert_false (vcr_path_is_under (wan, wan2));
  g_assert_false (vcr_path_is_under (fw, wan));
}

static const char *config =
  "firewall {\n"
  "    /* the outside */\n"
  "    name WAN {\n"
  "        default-action drop\n"
  "        rule 10 {\n"
  "            action accept\n"
  "        }\n"
  "    }\n"
  "    name LAN {\n"
  "        default-action accept\n"
  "    }\n"
  "    state-policy {\n"
  "        established {\n"
  "            action accept\n"
  "        }\n"
  "    }\n"
  "}\n"
  "system {\n"
  "    host-name vyos\n"
  "}\n";

static void
test_path_snapshot (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse_default (config);
  const char *wan[] = { "firewall", "name", "WAN", NULL };
  const char *missing[] = { "firewall", "name", "WAN2", NULL };
  g_autofree char *text = vcr_path_snapshot_text (tree, wan);
  g_autofree char *absent = vcr_path_snapshot_text (tree, missing);
  g_autofree char *digest = NULL;
  g_autofree char *empty_digest = NULL;

  /* Bare ancestors, the tag flag of `name` kept, the node's comment kept. */
  g_assert_cmpstr (text, ==,
                   "firewall {\n"
                   "    /* the outside */\n"
                   "    name WAN {\n"
                   "        default-action \"drop\"\n"
                   "        rule 10 {\n"
                   "            action \"accept\"\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
  g_assert_cmpstr (absent, ==, "");

  digest = vcr_digest (text, strlen (text));
  g_assert_cmpuint (strlen (digest), ==, 64);
  empty_digest = vcr_digest ("", 0);
  g_assert_cmpstr (empty_digest, ==,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_path_snapshot_independent (void)
{
  /* The same subtree in two different configs gives the same bytes. */
  g_autoptr(VcrTree) a = vcr_test_parse_default (config);
  g_autoptr(VcrTree) b = vcr_test_parse_default ("firewall {\n    name WAN {\n        rule 10 {\n"
                                "            action accept\n        }\n"
                                "        default-action drop\n    }\n}\n");
  const char *rule[] = { "firewall", "name", "WAN", "rule", "10", NULL };
  g_autofree char *ta = vcr_path_snapshot_text (a, rule);
  g_autofree char *tb = vcr_path_snapshot_text (b, rule);
  g_autofree char *da = vcr_digest (ta, strlen (ta));
  g_autofree char *db = vcr_digest (tb, strlen (tb));

  g_assert_cmpstr (ta, ==, tb);
  g_assert_cmpstr (da, ==, db);
}

static void
test_path_within (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse_default (config);
  g_autoptr(VcrTree) empty = vcr_tree_new ();
  const char *wan[] = { "firewall", "name", "WAN", NULL };
  const char *fw[] = { "firewall", NULL };
  g_autofree char *text = vcr_path_snapshot_text (tree, wan);
  g_autoptr(VcrTree) snap = vcr_test_parse_default (text);
  g_autoptr(VcrTree) more = vcr_test_parse_default ("firewall {\n    name WAN {\n    }\n    name LAN {\n    }\n}\n");
  g_autoptr(VcrTree) commented = vcr_test_parse_default ("/* c */\nfirewall {\n    name WAN {\n    }\n}\n");

  g_assert_true (vcr_tree_is_within (empty, wan));
  g_assert_true (vcr_tree_is_within (snap, wan));
  g_assert_true (vcr_tree_is_within (snap, fw));
  g_assert_false (vcr_tree_is_within (tree, wan));
  g_assert_true (vcr_tree_is_within (tree, (const char *[]) { NULL }));
  g_assert_false (vcr_tree_is_within (more, wan));
  g_assert_false (vcr_tree_is_within (commented, wan));
  g_assert_false (vcr_tree_is_within (snap, (const char *[]) { "firewall", "name", "LAN", NULL }));
}

/* Every real config: the snapshot of each top-level node parses back and
 * lies within its path. */
static void
test_path_real_configs (void)
{
  g_autoptr(GPtrArray) trees = vcr_test_load_real_configs ();

  for (guint t = 0; t < trees->len; t++)
    {
      const VcrTree *tree = g_ptr_array_index (trees, t);
      VcrNode *root = vcr_tree_get_root (tree);

      for (guint i = 0; i < vcr_node_get_n_children (root); i++)
        {
          const char *words[] = { vcr_node_get_name (vcr_node_get_child (root, i)), NULL };
          g_autofree char *text = vcr_path_snapshot_text (tree, words);
          g_autoptr(VcrTree) back = vcr_test_parse_default (text);

          g_assert_true (vcr_tree_is_within (back, words));
          g_assert_true (vcr_tree_subtree_equal (tree, back, words));
        }
    }
}

/* A replica's cycle: the running config pruned at @words, then snapshot
 * subtrees taken over there, each replacing (and freeing) the one before;
 * the result renders as @tree does (@whole), or as @emptied once the
 * snapshot has nothing at @words. AddressSanitizer checks that nothing
 * still points into a tree freed on the way. */
static void
check_graft_owned (const VcrTree *tree, const VcrTree *only, const char *const *words,
                   const char *whole, const VcrTree *emptied)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(VcrTree) pruned = NULL;
  g_autofree char *gone = vcr_tree_render (emptied, VCR_FORMAT_BOOT, NULL, NULL);
  const VcrNode *stub;

  g_ptr_array_add (paths, (gpointer) words);
  pruned = vcr_tree_copy_pruned (tree, paths);
  stub = vcr_tree_lookup (pruned, words);
  g_assert_nonnull (stub);
  g_assert_cmpuint (vcr_node_get_n_children (stub), ==, 0);
  g_assert_cmpuint (vcr_node_get_n_values (stub), ==, 0);
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *text = NULL;

      vcr_tree_graft_owned (pruned, vcr_tree_copy (only), words);
      text = vcr_tree_render (pruned, VCR_FORMAT_BOOT, NULL, NULL);
      g_assert_cmpstr (text, ==, whole);
    }
  {
    g_autofree char *text = NULL;

    vcr_tree_graft_owned (pruned, vcr_tree_new (), words);
    g_assert_null (vcr_tree_lookup (pruned, words));
    text = vcr_tree_render (pruned, VCR_FORMAT_BOOT, NULL, NULL);
    g_assert_cmpstr (text, ==, gone);
  }
  vcr_tree_graft_owned (pruned, vcr_tree_copy (only), words);
  g_assert_true (vcr_tree_subtree_equal (pruned, tree, words));
}

/* vcr_tree_graft_shared() builds what vcr_tree_graft() builds: into an
 * empty tree, and over the same subtree of a whole config. */
static void
check_graft_shared (const VcrTree *tree, const VcrTree *only, const char *const *words,
                    const char *expected)
{
  g_autoptr(VcrTree) into_empty = vcr_tree_new ();
  g_autoptr(VcrTree) into_copy = vcr_tree_copy (tree);
  g_autoptr(VcrTree) emptied = vcr_tree_copy (tree);
  g_autofree char *text = NULL;
  g_autofree char *whole = vcr_tree_render (tree, VCR_FORMAT_BOOT, NULL, NULL);
  g_autofree char *again = NULL;
  g_autoptr(VcrTree) none = vcr_tree_new ();

  vcr_tree_graft_shared (into_empty, tree, words);
  text = vcr_tree_render (into_empty, VCR_FORMAT_BOOT, NULL, NULL);
  g_assert_cmpstr (text, ==, expected);
  vcr_tree_delete (into_copy, words);
  vcr_tree_graft_shared (into_copy, only, words);
  again = vcr_tree_render (into_copy, VCR_FORMAT_BOOT, NULL, NULL);
  g_assert_cmpstr (again, ==, whole);
  /* nothing at @words in the source: the subtree goes */
  vcr_tree_graft_shared (emptied, none, words);
  g_assert_null (vcr_tree_lookup (emptied, words));
  check_graft_owned (tree, only, words, whole, emptied);
}

/* The snapshot text (rendered from a view that shares the subtree) is byte
 * for byte what a graft into an empty tree renders, for every node down to
 * four words deep of every real config: tag nodes, leaves, odd names. */
static guint
compare_with_graft (const VcrTree *tree, const VcrNode *node, GPtrArray *words)
{
  guint n = 0;

  for (guint i = 0; i < vcr_node_get_n_children (node) && words->len < 4; i++)
    {
      const VcrNode *child = vcr_node_get_child (node, i);
      g_autoptr(VcrTree) only = vcr_tree_new ();
      g_autofree char *text = NULL;
      g_autofree char *expected = NULL;

      g_ptr_array_add (words, (gpointer) vcr_node_get_name (child));
      g_ptr_array_add (words, NULL);
      vcr_tree_graft (only, tree, (const char *const *) words->pdata);
      expected = vcr_tree_render (only, VCR_FORMAT_BOOT, NULL, NULL);
      text = vcr_path_snapshot_text (tree, (const char *const *) words->pdata);
      g_assert_cmpstr (text, ==, expected);
      check_graft_shared (tree, only, (const char *const *) words->pdata, expected);
      g_ptr_array_set_size (words, words->len - 1);
      n += 1 + compare_with_graft (tree, child, words);
      g_ptr_array_set_size (words, words->len - 1);
    }
  return n;
}

static void
test_path_snapshot_view (void)
{
  g_autoptr(GPtrArray) trees = vcr_test_load_real_configs ();
  guint n_paths = 0;

  for (guint t = 0; t < trees->len; t++)
    {
      const VcrTree *tree = g_ptr_array_index (trees, t);
      g_autoptr(GPtrArray) words = g_ptr_array_new ();

      n_paths += compare_with_graft (tree, vcr_tree_get_root (tree), words);
    }
  g_assert_cmpuint (n_paths, >, 1000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/path/parse", test_path_parse);
  g_test_add_func ("/path/check-words", test_path_check_words);
  g_test_add_func ("/path/under", test_path_under);
  g_test_add_func ("/path/snapshot", test_path_snapshot);
  g_test_add_func ("/path/snapshot-independent", test_path_snapshot_independent);
  g_test_add_func ("/path/within", test_path_within);
  vcr_test_add_shared_func ("/path/real-configs", test_path_real_configs);
  vcr_test_add_shared_func ("/path/snapshot-view", test_path_snapshot_view);
  return g_test_run ();
}
