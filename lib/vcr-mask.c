/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exclusions and overrides applied to a replicate path's subtree. The
 * common case, a path with neither, renders through a view of the
 * subtree without copying it; only a path with an exclusion or an
 * override under it pays for a copy.
 */
#define G_LOG_DOMAIN "vcr-mask"

#include "vcr-mask.h"

#include <string.h>

#include "vcr-path.h"
#include "vcr-tree-edit.h"

static gboolean
is_empty (GPtrArray *array)
{
  return array == NULL || array->len == 0;
}

/* Sets override @o in @copy: its leaf holds exactly its values. Only
 * where the leaf's parent exists: an override changes a value of a subtree
 * the primary has, and never invents the ancestors, whose shape (a tag
 * node or not) only the existing config knows. */
static void
set_override (VcrTree *copy, const VcrOverride *o)
{
  const char *const *path = (const char *const *) o->path;
  guint n = g_strv_length (o->path);
  g_autofree char **parent = g_new0 (char *, n);
  g_autoptr(VcrTree) leaf = NULL;
  VcrNode *node;

  memcpy (parent, o->path, (n - 1) * sizeof (char *));
  if (vcr_tree_lookup (copy, (const char *const *) parent) == NULL)
    return;
  /* The leaf is made in a tree of its own and grafted: whatever the node
   * was (a leaf, a node with children), it becomes exactly this leaf. */
  leaf = vcr_tree_new ();
  node = vcr_tree_ensure_path (leaf, path);
  vcr_node_set_leaf (node, TRUE);
  for (guint v = 0; o->values[v] != NULL; v++)
    vcr_node_append_value (leaf, node, o->values[v]);
  vcr_tree_graft (copy, leaf, path);
}

/* A copy of the subtree at @path with the exclusions removed and the
 * overrides set. */
static VcrTree *
masked_copy (const VcrTree *tree, const char *const *path,
             GPtrArray *excludes, GPtrArray *overrides)
{
  VcrTree *copy = vcr_tree_new ();

  vcr_tree_graft (copy, tree, path);
  for (guint i = 0; excludes != NULL && i < excludes->len; i++)
    {
      const char *const *exclude = g_ptr_array_index (excludes, i);

      g_return_val_if_fail (vcr_path_is_under (exclude, path), copy);
      vcr_tree_delete (copy, exclude);
    }
  for (guint i = 0; overrides != NULL && i < overrides->len; i++)
    {
      const VcrOverride *o = g_ptr_array_index (overrides, i);

      g_return_val_if_fail (vcr_path_is_under ((const char *const *) o->path, path), copy);
      set_override (copy, o);
    }
  return copy;
}

char *
vcr_mask_snapshot_text (const VcrTree *tree, const char *const *path,
                        GPtrArray *excludes, GPtrArray *overrides)
{
  g_autoptr(VcrTree) copy = NULL;

  g_return_val_if_fail (tree != NULL && path != NULL, NULL);
  if (is_empty (excludes) && is_empty (overrides))
    return vcr_path_snapshot_text (tree, path);
  copy = masked_copy (tree, path, excludes, overrides);
  return vcr_path_snapshot_text (copy, path);
}

GPtrArray *
vcr_mask_overrides_under (const VcrPeerSettings *peer, const char *const *path)
{
  GPtrArray *under = g_ptr_array_new ();

  for (guint i = 0; peer != NULL && peer->overrides != NULL && i < peer->overrides->len; i++)
    {
      VcrOverride *o = g_ptr_array_index (peer->overrides, i);

      if (vcr_path_is_under ((const char *const *) o->path, path))
        g_ptr_array_add (under, o);
    }
  return under;
}

void
vcr_mask_keep_local (VcrTree *incoming, const VcrTree *running, GPtrArray *excludes)
{
  g_return_if_fail (incoming != NULL && running != NULL);
  for (guint i = 0; excludes != NULL && i < excludes->len; i++)
    vcr_tree_graft (incoming, running, g_ptr_array_index (excludes, i));
}

VcrTree *
vcr_mask_take_local (const VcrTree *tree, GPtrArray *excludes)
{
  VcrTree *local = vcr_tree_new ();

  g_return_val_if_fail (tree != NULL, local);
  vcr_mask_keep_local (local, tree, excludes);
  return local;
}

VcrTree *
vcr_mask_copy_pruned (const VcrTree *tree, const VcrSettings *settings)
{
  VcrTree *copy;

  g_return_val_if_fail (tree != NULL && settings != NULL, NULL);
  copy = vcr_tree_copy_pruned (tree, settings->paths);
  vcr_mask_keep_local (copy, tree, settings->excludes);
  return copy;
}

void
vcr_mask_graft (VcrTree *dst, const VcrTree *src, const char *const *path,
                GPtrArray *excludes)
{
  g_autoptr(GPtrArray) under = g_ptr_array_new ();
  g_autoptr(VcrTree) local = NULL;

  g_return_if_fail (dst != NULL && src != NULL && path != NULL);
  for (guint i = 0; excludes != NULL && i < excludes->len; i++)
    if (vcr_path_is_under (g_ptr_array_index (excludes, i), path))
      g_ptr_array_add (under, g_ptr_array_index (excludes, i));
  if (under->len == 0)
    {
      vcr_tree_graft (dst, src, path);
      return;
    }
  local = vcr_mask_take_local (dst, under);
  vcr_tree_graft (dst, src, path);
  vcr_mask_keep_local (dst, local, under);
}

const char *const *
vcr_mask_find_carried (const VcrTree *tree, GPtrArray *excludes)
{
  for (guint i = 0; excludes != NULL && i < excludes->len; i++)
    {
      const char *const *exclude = g_ptr_array_index (excludes, i);

      if (vcr_tree_lookup (tree, exclude) != NULL)
        return exclude;
    }
  return NULL;
}

gboolean
vcr_mask_subtree_equal (const VcrTree *a, const VcrTree *b, const char *const *path,
                        GPtrArray *excludes)
{
  g_autofree char *text_a = NULL;
  g_autofree char *text_b = NULL;

  if (is_empty (excludes))
    return vcr_tree_subtree_equal (a, b, path);
  text_a = vcr_mask_snapshot_text (a, path, excludes, NULL);
  text_b = vcr_mask_snapshot_text (b, path, excludes, NULL);
  return strcmp (text_a, text_b) == 0;
}

/* Appends to @out the exclusions of @mine that @other lacks, as
 * '@name excludes "X", "Y" and @other_name does not'. */
static void
describe_only (GString *out, const char *const *mine, const char *name,
               const char *const *other, const char *other_name)
{
  guint n = 0;

  for (guint i = 0; mine != NULL && mine[i] != NULL; i++)
    {
      if (other != NULL && g_strv_contains (other, mine[i]))
        continue;
      if (n++ == 0)
        g_string_append_printf (out, "%s%s excludes ", out->len > 0 ? "; " : "", name);
      else
        g_string_append (out, ", ");
      g_string_append_printf (out, "\"%s\"", mine[i]);
    }
  if (n > 0)
    g_string_append_printf (out, " and %s does not", other_name);
}

char *
vcr_mask_excludes_differ (const char *const *a, const char *a_name,
                          const char *const *b, const char *b_name)
{
  g_autoptr(GString) out = g_string_new (NULL);

  describe_only (out, a, a_name, b, b_name);
  describe_only (out, b, b_name, a, a_name);
  if (out->len == 0)
    return NULL;
  g_string_prepend (out, "exclusions differ: ");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
vcr_path_text_free (VcrPathText *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->path);
  g_free (entry->text);
  g_free (entry->digest);
  g_free (entry);
}

/* Replicate path number @i of @settings in @tree, masked, with its digest. */
static VcrPathText *
path_text (const VcrTree *tree, const VcrSettings *settings, guint i,
           const VcrPeerSettings *peer)
{
  const char *const *path = g_ptr_array_index (settings->paths, i);
  g_autoptr(GPtrArray) excludes = vcr_settings_excludes_under (settings, path);
  g_autoptr(GPtrArray) overrides = vcr_mask_overrides_under (peer, path);
  VcrPathText *entry = g_new0 (VcrPathText, 1);

  entry->path = vcr_path_to_string (path);
  entry->text = vcr_mask_snapshot_text (tree, path, excludes, overrides);
  entry->length = strlen (entry->text);
  entry->digest = vcr_digest (entry->text, entry->length);
  return entry;
}

GPtrArray *
vcr_mask_path_texts (const VcrTree *tree, const VcrSettings *settings,
                     const VcrPeerSettings *peer)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_path_text_free);

  for (guint i = 0; i < settings->paths->len; i++)
    g_ptr_array_add (texts, path_text (tree, settings, i, peer));
  return texts;
}

GHashTable *
vcr_mask_path_digests (const VcrTree *tree, const VcrSettings *settings,
                       const VcrPeerSettings *peer)
{
  GHashTable *digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < settings->paths->len; i++)
    {
      g_autoptr(VcrPathText) entry = path_text (tree, settings, i, peer);

      g_hash_table_insert (digests, g_steal_pointer (&entry->path),
                           g_steal_pointer (&entry->digest));
    }
  return digests;
}
