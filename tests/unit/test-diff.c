/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tree difference: exact lines for small cases, and the property
 * apply (diff (old, new), old) == new over the real configs, over pairs of
 * them, under paths, and over seeded random edits. */
#include <string.h>

#include "vcr-commands.h"
#include "vcr-diff.h"
#include "vcr-test-util.h"

static char *
render_boot (const VcrTree *tree)
{
  return vcr_tree_render (tree, VCR_FORMAT_BOOT, NULL, NULL);
}

/* The property, with @new_tree as the flag hints. @boot: compare the boot
 * renderings too (not for VCR_PARSE_RAW trees, which render their own way
 * while the result, built from a default tree, does not). */
static void
assert_applies (const VcrTree *old_tree, const VcrTree *new_tree, const char *const *under,
                gboolean boot)
{
  static const char *const root[] = { NULL };
  g_auto(GStrv) lines = vcr_diff (old_tree, new_tree, under);
  g_autofree char *script = g_strjoinv ("\n", lines);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) result = vcr_commands_apply (old_tree, script, strlen (script),
                                                  new_tree, "diff", &error);
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_auto(GStrv) again = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (result);
  if (under == NULL)
    under = root;
  want = render_boot (new_tree);
  got = render_boot (result);
  if (under[0] == NULL && boot)
    g_assert_cmpstr (got, ==, want);
  g_assert_true (vcr_tree_subtree_equal (result, new_tree, under));
  /* And nothing is left to do. */
  again = vcr_diff (result, new_tree, under);
  g_assert_cmpuint (g_strv_length (again), ==, 0);
}

static void
assert_diff_applies (const VcrTree *old_tree, const VcrTree *new_tree, const char *const *under)
{
  assert_applies (old_tree, new_tree, under, TRUE);
}

static void
assert_lines (const char *old_text, const char *new_text, const char *expected)
{
  g_autoptr(VcrTree) old_tree = vcr_test_parse_default (old_text);
  g_autoptr(VcrTree) new_tree = vcr_test_parse_default (new_text);
  g_auto(GStrv) lines = vcr_diff (old_tree, new_tree, NULL);
  g_autofree char *joined = g_strjoinv ("\n", lines);

  g_assert_cmpstr (joined, ==, expected);
  assert_diff_applies (old_tree, new_tree, NULL);
}

static void
test_diff_basic (void)
{
  const char *base = "firewall {\n    name WAN {\n        default-action drop\n"
                     "        rule 10 {\n            action accept\n        }\n    }\n}\n"
                     "system {\n    host-name vyos\n    name-server 192.0.2.1\n"
                     "    name-server 192.0.2.2\n}\n";

  assert_lines (base, base, "");
  assert_lines (base,
                "firewall {\n    name WAN {\n        default-action accept\n"
                "        rule 10 {\n            action accept\n        }\n"
                "        rule 20 {\n            action drop\n            disable\n        }\n    }\n}\n"
                "system {\n    host-name vyos\n    name-server 192.0.2.2\n"
                "    name-server 192.0.2.3\n}\n",
                "delete firewall name WAN default-action\n"
                "delete system name-server '192.0.2.1'\n"
                "set firewall name WAN default-action 'accept'\n"
                "set firewall name WAN rule 20 action 'drop'\n"
                "set firewall name WAN rule 20 disable\n"
                "set system name-server '192.0.2.3'");
  /* Removing a subtree deletes its highest node only. */
  assert_lines (base, "system {\n    host-name vyos\n    name-server 192.0.2.1\n"
                "    name-server 192.0.2.2\n}\n",
                "delete firewall");
  /* Value order changes replace the leaf. */
  assert_lines (base, "firewall {\n    name WAN {\n        default-action drop\n"
                "        rule 10 {\n            action accept\n        }\n    }\n}\n"
                "system {\n    host-name vyos\n    name-server 192.0.2.2\n"
                "    name-server 192.0.2.1\n}\n",
                "delete system name-server\n"
                "set system name-server '192.0.2.2'\n"
                "set system name-server '192.0.2.1'");
}

static void
test_diff_comments_and_flags (void)
{
  const char *old_text = "/* outside */\nfirewall {\n    name WAN {\n        rule 1 {\n"
                         "            action accept\n        }\n    }\n}\n";

  /* A comment changes; a node emptied then refilled keeps its comment. */
  assert_lines (old_text,
                "/* inside */\nfirewall {\n    name WAN {\n        rule 2 {\n"
                "            action accept\n        }\n    }\n}\n",
                "delete firewall name WAN rule 1\n"
                "set firewall name WAN rule 2 action 'accept'\n"
                "comment firewall 'inside'");
  /* The deletes prune `system`; the sets bring it back and its comment
   * is set again. */
  assert_lines ("/* c */\nsystem {\n    host-name a\n}\n", "/* c */\nsystem {\n    host-name b\n}\n",
                "delete system host-name\n"
                "set system host-name 'b'\n"
                "comment system 'c'");
  /* An emptied node that stays empty comes back with a bare set. */
  assert_lines ("a {\n    b {\n        c\n    }\n}\n", "a {\n    b {\n    }\n}\n",
                "delete a b c\nset a b");
  /* A valueless leaf becomes an empty node with braces. */
  assert_lines ("a {\n    b\n}\nc {\n    d\n}\n", "a {\n    b {\n    }\n}\nc {\n    d\n}\n",
                "delete a b\nset a b");
  /* Quoting of odd values and names. */
  assert_lines ("a {\n}\n", "a {\n    b \"x y\" {\n        c \"it's\"\n    }\n}\n",
                "set a b x\\ y c 'it'\\''s'");
}

static void
test_diff_under (void)
{
  const char *old_text = "firewall {\n    name LAN {\n        default-action accept\n    }\n"
                         "    name WAN {\n        default-action drop\n    }\n}\n";
  const char *new_text = "firewall {\n    name LAN {\n        default-action drop\n    }\n"
                         "    name WAN {\n        default-action accept\n    }\n}\n";
  g_autoptr(VcrTree) old_tree = vcr_test_parse_default (old_text);
  g_autoptr(VcrTree) new_tree = vcr_test_parse_default (new_text);
  g_autoptr(VcrTree) empty = vcr_tree_new ();
  const char *wan[] = { "firewall", "name", "WAN", NULL };
  g_auto(GStrv) lines = vcr_diff (old_tree, new_tree, wan);
  g_auto(GStrv) gone = vcr_diff (old_tree, empty, wan);
  g_auto(GStrv) made = vcr_diff (empty, new_tree, wan);

  /* A single value that changes: the old one goes, the new one comes. */
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_cmpstr (lines[0], ==, "delete firewall name WAN default-action");
  g_assert_cmpstr (lines[1], ==, "set firewall name WAN default-action 'accept'");
  g_assert_cmpuint (g_strv_length (gone), ==, 1);
  g_assert_cmpstr (gone[0], ==, "delete firewall name WAN");
  g_assert_cmpuint (g_strv_length (made), ==, 1);
  assert_diff_applies (old_tree, new_tree, wan);
  assert_diff_applies (old_tree, empty, wan);
  assert_diff_applies (empty, new_tree, wan);
}

static void
test_diff_real_configs (void)
{
  g_autoptr(GPtrArray) trees = vcr_test_load_real_configs ();
  g_autoptr(VcrTree) empty = vcr_tree_new ();

  for (guint i = 0; i < trees->len; i++)
    {
      VcrTree *a = g_ptr_array_index (trees, i);
      VcrTree *b = g_ptr_array_index (trees, (i + 1) % trees->len);
      g_auto(GStrv) same = vcr_diff (a, a, NULL);

      g_assert_cmpuint (g_strv_length (same), ==, 0);
      assert_diff_applies (empty, a, NULL);
      assert_diff_applies (a, empty, NULL);
      assert_diff_applies (a, b, NULL);
      assert_diff_applies (b, a, NULL);
    }
}

/* A random walk to a node of @tree; fills @path (borrowed names). */
static VcrNode *
random_node (const VcrTree *tree, GRand *rand, GPtrArray *path)
{
  VcrNode *node = vcr_tree_get_root (tree);

  g_ptr_array_set_size (path, 0);
  while (vcr_node_get_n_children (node) > 0)
    {
      node = vcr_node_get_child (node, g_rand_int_range (rand, 0, vcr_node_get_n_children (node)));
      g_ptr_array_add (path, (gpointer) vcr_node_get_name (node));
      if (g_rand_int_range (rand, 0, 4) == 0)
        break;
    }
  return node;
}

/* One random edit as a command line (deletes, new values, new nodes,
 * comments), quoted with the same functions the diff uses. */
static char *
random_edit (const VcrTree *tree, GRand *rand)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new ();
  VcrNode *node = random_node (tree, rand, path);
  g_autoptr(GString) line = g_string_new (NULL);
  int kind = g_rand_int_range (rand, 0, 4);

  if (path->len == 0)
    return g_strdup ("");
  if (kind == 0)
    g_string_append (line, "delete");
  else if (kind == 3)
    g_string_append (line, "comment");
  else
    g_string_append (line, "set");
  for (guint i = 0; i < path->len; i++)
    {
      g_autofree char *word = vcr_commands_quote_word (g_ptr_array_index (path, i));

      g_string_append_printf (line, " %s", word);
    }
  if (kind == 1 && vcr_node_get_n_children (node) == 0)
    g_string_append_printf (line, " 'v%u'", g_rand_int_range (rand, 0, 5));
  else if (kind == 2)
    g_string_append_printf (line, " new%u leaf 'x'", g_rand_int_range (rand, 0, 5));
  else if (kind == 3)
    g_string_append_printf (line, " 'note %u'", g_rand_int_range (rand, 0, 3));
  g_string_append_c (line, '\n');
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
test_diff_random_edits (void)
{
  g_autoptr(GPtrArray) trees = vcr_test_load_real_configs ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (7790);
  guint n_checked = 0;

  for (guint i = 0; i < trees->len; i++)
    {
      VcrTree *orig = g_ptr_array_index (trees, i);

      for (guint round = 0; round < 20; round++)
        {
          g_autoptr(VcrTree) edited = vcr_tree_copy (orig);

          for (guint n = g_rand_int_range (rand, 1, 8); n > 0; n--)
            {
              g_autofree char *edit = random_edit (edited, rand);
              g_autoptr(GError) error = NULL;
              VcrTree *next = vcr_commands_apply (edited, edit, strlen (edit), orig, "edit", &error);

              /* An edit can be refused (a value on a node with children). */
              if (next != NULL)
                {
                  vcr_tree_free (edited);
                  edited = next;
                }
            }
          assert_diff_applies (orig, edited, NULL);
          assert_diff_applies (edited, orig, NULL);
          n_checked++;
        }
    }
  g_test_message ("%u random edits checked", n_checked);
}

/* The hand-written edge cases, parsed as the bare library does. Two are
 * beyond commands by design (vcr-diff.h): a leaf with a value and children
 * (VyOS cannot set it either) and a leaf holding one value twice. */
static void
test_diff_synthetic (void)
{
  const char *data = g_getenv ("VCR_SHARED_DATA");
  g_autofree char *dir_name = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(VcrTree) empty = vcr_tree_new ();
  const char *name;
  guint n_checked = 0;

  g_assert_nonnull (data);
  dir_name = g_build_filename (data, "vyos1x-config-fixtures", "synthetic", NULL);
  dir = g_dir_open (dir_name, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir_name, name, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(VcrTree) tree = NULL;
      gsize length = 0;

      if (!g_str_has_suffix (name, ".boot") || strstr (name, ".expected.") != NULL)
        continue;
      g_assert_true (g_file_get_contents (file, &contents, &length, NULL));
      tree = vcr_tree_parse (contents, length, VCR_PARSE_RAW, file, NULL);
      if (tree == NULL)
        continue;   /* an error fixture */
      g_test_message ("%s", name);
      if (g_str_equal (name, "node-with-value-and-children.boot") ||
          g_str_equal (name, "tag-nodes-multi-values-duplicates.boot"))
        {
          g_auto(GStrv) lines = vcr_diff (empty, tree, NULL);
          g_autofree char *script = g_strjoinv ("\n", lines);
          g_autoptr(VcrTree) result = vcr_commands_apply (empty, script, strlen (script),
                                                          tree, "diff", NULL);

          g_assert_true (result == NULL ||
                         !vcr_tree_subtree_equal (result, tree, (const char *[]) { NULL }));
          continue;
        }
      assert_applies (empty, tree, NULL, FALSE);
      assert_applies (tree, empty, NULL, FALSE);
      n_checked++;
    }
  g_assert_cmpuint (n_checked, >, 10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/diff/basic", test_diff_basic);
  g_test_add_func ("/diff/comments-and-flags", test_diff_comments_and_flags);
  g_test_add_func ("/diff/under", test_diff_under);
  vcr_test_add_shared_func ("/diff/real-configs", test_diff_real_configs);
  vcr_test_add_shared_func ("/diff/random-edits", test_diff_random_edits);
  vcr_test_add_shared_func ("/diff/synthetic", test_diff_synthetic);
  return g_test_run ();
}
