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
#include "vcr-error.h"
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

/* The paths of @wanted and @current, the same set? */
static gboolean
same_paths (GPtrArray *wanted, const VcrSnapshot *current)
{
  if (wanted->len != current->entries->len)
    return FALSE;
  for (guint i = 0; i < wanted->len; i++)
    if (vcr_snapshot_lookup (current, ((const VcrPathText *) g_ptr_array_index (wanted, i))->path)
        == NULL)
      return FALSE;
  return TRUE;
}

static char *
join_paths (GPtrArray *wanted, const VcrSnapshot *current)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; wanted != NULL && i < wanted->len; i++)
    g_string_append_printf (out, "%s\"%s\"", i > 0 ? ", " : "",
                            ((const VcrPathText *) g_ptr_array_index (wanted, i))->path);
  for (guint i = 0; current != NULL && i < current->entries->len; i++)
    g_string_append_printf (out, "%s\"%s\"", i > 0 ? ", " : "",
                            ((const VcrSnapshotEntry *) g_ptr_array_index (current->entries,
                                                                           i))->path);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
vcr_preview_refusal (GPtrArray *wanted, const char *const *excludes,
                     const VcrSnapshot *current)
{
  g_autofree char *differ = NULL;

  g_return_val_if_fail (wanted != NULL && current != NULL, NULL);
  if (!same_paths (wanted, current))
    {
      g_autofree char *ours = join_paths (wanted, NULL);
      g_autofree char *theirs = join_paths (NULL, current);

      return g_strdup_printf ("# refused: 409 path-mismatch: the snapshot would carry %s; "
                              "the replica replicates %s", ours,
                              *theirs != '\0' ? theirs : "nothing");
    }
  differ = vcr_mask_excludes_differ (excludes, "the snapshot",
                                     (const char *const *) current->excludes, "the replica");
  if (differ != NULL)
    return g_strdup_printf ("# refused: 409 path-mismatch: %s", differ);
  return NULL;
}

GPtrArray *
vcr_preview_kept_paths (const VcrSnapshot *current, GError **error)
{
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; current->kept != NULL && current->kept[i] != NULL; i++)
    {
      g_autoptr(GError) local = NULL;
      GStrv words = vcr_path_parse (current->kept[i], &local);

      if (words == NULL)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED, "texts.kept[%u]: %s", i,
                       local->message);
          return NULL;
        }
      g_ptr_array_add (kept, words);
    }
  return g_steal_pointer (&kept);
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
