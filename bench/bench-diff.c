/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints how long the diff, the command applier and the snapshot text take
 * on a big config (default: the 1.2 MB firewall-big smoketest config):
 * whole-tree diff against an empty tree and against a copy with one rule
 * changed, applying those diffs, and the snapshot text + digest of every
 * top-level node. Figures only; nothing is asserted.
 */
#include <stdio.h>
#include <string.h>

#include "vcr-commands.h"
#include "vcr-diff.h"
#include "vcr-path.h"

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static VcrTree *
apply_lines (const VcrTree *tree, GStrv lines, const VcrTree *hints)
{
  g_autofree char *script = g_strjoinv ("\n", lines);
  g_autoptr(GError) error = NULL;
  VcrTree *result = vcr_commands_apply (tree, script, strlen (script), hints, "bench", &error);

  if (result == NULL)
    fprintf (stderr, "apply failed: %s\n", error->message);
  return result;
}

int
main (int argc, char **argv)
{
  const char *file = argc > 1 ? argv[1]
    : BENCH_DATA "/vyos-configs/configs.no-load/firewall-big";
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(VcrTree) empty = vcr_tree_new ();
  g_autoptr(VcrTree) built = NULL;
  g_autoptr(VcrTree) edited = NULL;
  g_autoptr(VcrTree) back = NULL;
  g_auto(GStrv) all = NULL;
  g_auto(GStrv) one = NULL;
  VcrNode *root;
  gsize length = 0;
  double t;

  if (!g_file_get_contents (file, &contents, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  tree = vcr_tree_parse (contents, length, VCR_PARSE_DEFAULT, file, &error);
  if (tree == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("input: %s (%zu bytes)\n", file, length);

  t = now_ms ();
  all = vcr_diff (empty, tree, NULL);
  printf ("diff empty -> config: %u lines in %.1f ms\n", g_strv_length (all), now_ms () - t);
  t = now_ms ();
  built = apply_lines (empty, all, tree);
  printf ("apply those lines: %.1f ms (%s)\n", now_ms () - t,
          built != NULL && vcr_tree_subtree_equal (built, tree, (const char *[]) { NULL })
          ? "equal" : "NOT EQUAL");

  t = now_ms ();
  edited = vcr_commands_apply (tree, "set firewall bench-edit value 'x'\n", 34, NULL, "e", &error);
  printf ("apply one line to the config (includes the copy): %.1f ms\n", now_ms () - t);
  t = now_ms ();
  one = vcr_diff (tree, edited, NULL);
  printf ("diff config -> config + 1 leaf: %u lines in %.1f ms\n", g_strv_length (one), now_ms () - t);
  t = now_ms ();
  back = apply_lines (edited, (GStrv) (const char *[]) { "delete firewall bench-edit", NULL }, NULL);
  printf ("apply the reverse: %.1f ms\n", now_ms () - t);

  root = vcr_tree_get_root (tree);
  t = now_ms ();
  for (guint i = 0; i < vcr_node_get_n_children (root); i++)
    {
      const char *words[] = { vcr_node_get_name (vcr_node_get_child (root, i)), NULL };
      g_autofree char *text = vcr_path_snapshot_text (tree, words);
      g_autofree char *digest = vcr_digest (text, strlen (text));

      g_assert (digest != NULL && strlen (digest) == 64);
    }
  printf ("snapshot text + digest of %u top-level nodes: %.1f ms\n",
          vcr_node_get_n_children (root), now_ms () - t);
  return 0;
}
