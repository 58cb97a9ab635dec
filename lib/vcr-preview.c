/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dry run's lines (see vcr-preview.h): both texts of a path are
 * parsed and diffed under it. Texts of the same path are small next to a
 * whole config, and a replica's texts are checked like a snapshot's.
 */
#define G_LOG_DOMAIN "vcr-preview"

#include "vcr-preview.h"

#include <string.h>

#include "vcr-diff.h"
#include "vcr-mask.h"
#include "vcr-path.h"
#include "vcr-tree-edit.h"

/* The tree of our own text @text (a canonical rendering: it parses). */
static VcrTree *
parse_own (const VcrPathText *entry, GError **error)
{
  g_autofree char *origin = g_strdup_printf ("text \"%s\"", entry->path);

  return vcr_tree_parse (entry->text, entry->length, VCR_PARSE_DEFAULT, origin, error);
}

/* Makes the node at @words exist in @tree, each node it creates shaped
 * (tag, leaf) as @model's at the same words when @model has one. */
static void
ensure_like (VcrTree *tree, const char *const *words, const VcrTree *model)
{
  guint n = g_strv_length ((char **) words);
  g_autofree const char **prefix = g_new0 (const char *, n + 1);

  for (guint k = 0; k < n; k++)
    {
      VcrNode *node, *shape;

      prefix[k] = words[k];
      if (vcr_tree_lookup (tree, prefix) != NULL)
        continue;
      node = vcr_tree_ensure_path (tree, prefix);
      shape = vcr_tree_lookup (model, prefix);
      if (shape != NULL)
        {
          vcr_node_set_tag (node, vcr_node_is_tag (shape));
          vcr_node_set_leaf (node, vcr_node_is_leaf (shape));
        }
    }
}

/* A stand-in for what the replica keeps at each of @kept under @path: the
 * same node in both trees (shaped alike: a node only one tree has lends
 * the other its shape), so no line touches it, but it keeps its ancestors
 * from being deleted, as the push keeps them. */
static void
add_kept (VcrTree *old_tree, VcrTree *new_tree, char **path, GPtrArray *kept)
{
  for (guint i = 0; kept != NULL && i < kept->len; i++)
    {
      const char *const *exclude = g_ptr_array_index (kept, i);

      if (!vcr_path_is_under (exclude, (const char *const *) path))
        continue;
      ensure_like (old_tree, exclude, new_tree);
      ensure_like (new_tree, exclude, old_tree);
    }
}

GStrv
vcr_preview_commands (GPtrArray *wanted, const VcrSnapshot *current, GPtrArray *kept,
                      GError **error)
{
  g_autoptr(GStrvBuilder) lines = g_strv_builder_new ();

  g_return_val_if_fail (wanted != NULL && current != NULL, NULL);
  for (guint i = 0; i < wanted->len; i++)
    {
      const VcrPathText *want = g_ptr_array_index (wanted, i);
      const VcrSnapshotEntry *have = vcr_snapshot_lookup (current, want->path);
      g_autoptr(VcrTree) new_tree = parse_own (want, error);
      g_autoptr(VcrTree) old_tree = NULL;
      g_auto(GStrv) words = NULL;
      g_auto(GStrv) diff = NULL;

      if (new_tree == NULL)
        return NULL;
      old_tree = have != NULL ? vcr_snapshot_entry_parse (have, error) : vcr_tree_new ();
      if (old_tree == NULL)
        return NULL;
      words = vcr_path_parse (want->path, error);
      if (words == NULL)
        return NULL;
      add_kept (old_tree, new_tree, words, kept);
      diff = vcr_diff (old_tree, new_tree, (const char *const *) words);
      g_strv_builder_addv (lines, (const char **) diff);
    }
  return g_strv_builder_end (lines);
}

char *
vcr_preview_unreachable (const char *reason)
{
  return g_strdup_printf ("# unreachable: %s", reason);
}

gboolean
vcr_preview_is_note (const char *line)
{
  return line != NULL && line[0] == '#';
}
