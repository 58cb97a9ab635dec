/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Subtree views (see vcr-tree-view.h). The view's nodes are built the way
 * vcr_tree_graft() builds missing ancestors (same name, tag and leaf flags,
 * nothing else), so rendering a view gives the bytes a graft into an empty
 * tree would; the unit tests compare the two on every fixture.
 */
#define G_LOG_DOMAIN "vcr-tree"

#include "vcr-tree-view.h"

#include "vcr-tree-private.h"

/* Makes @child the only child of @parent (as node_insert_child() would into
 * an empty node). */
static void
set_only_child (VcrTree *view, VcrNode *parent, VcrNode *child)
{
  vcr_node_append_children (&view->arena, parent, &child, 1);
  if (vcr_name_has_odd_digits (child->name))
    parent->odd_order = TRUE;
}

/* The bare chain to @words; its last node is @tree's own (@share) or a
 * fresh one with only its name and flags. */
static VcrTree *
view_new (const VcrTree *tree, const char *const *words, gboolean share)
{
  g_autoptr(VcrTree) view = NULL;
  const VcrNode *src;
  VcrNode *parent;

  if (vcr_tree_lookup (tree, words) == NULL)
    return NULL;
  view = vcr_tree_new ();
  parent = view->root;
  src = tree->root;
  for (guint i = 0; words[i] != NULL; i++)
    {
      VcrNode *link;

      src = vcr_node_lookup (src, words[i]);
      if (words[i + 1] == NULL && share)
        {
          /* the subtree itself: shared, never written through the view */
          set_only_child (view, parent, (VcrNode *) src);
          break;
        }
      link = vcr_node_new (view, vcr_arena_strdup (&view->arena, words[i]));
      link->tag = src->tag;
      link->leaf = src->leaf;
      set_only_child (view, parent, link);
      parent = link;
    }
  return g_steal_pointer (&view);
}

VcrTree *
vcr_tree_view_new (const VcrTree *tree, const char *const *words)
{
  g_return_val_if_fail (tree != NULL && words != NULL && words[0] != NULL, NULL);
  return view_new (tree, words, TRUE);
}

void
vcr_tree_graft_shared (VcrTree *dst, const VcrTree *src, const char *const *words)
{
  const VcrNode *node;
  g_autoptr(VcrTree) stub = NULL;

  g_return_if_fail (dst != NULL && src != NULL && words != NULL && words[0] != NULL);

  node = vcr_tree_lookup (src, words);
  if (node == NULL)
    {
      vcr_tree_graft (dst, src, words);   /* deletes: nothing to share */
      return;
    }
  /* A graft of the bare chain creates the ancestors (with @src's flags)
   * and the node itself exactly as a full graft would; the node then takes
   * over @src's contents. */
  stub = view_new (src, words, FALSE);
  vcr_tree_graft (dst, stub, words);
  *vcr_tree_lookup (dst, words) = *node;
}

void
vcr_tree_graft_owned (VcrTree *dst, VcrTree *src, const char *const *words)
{
  g_autofree char *key = NULL;

  g_return_if_fail (dst != NULL && src != NULL && words != NULL && words[0] != NULL);

  key = g_strjoinv (" ", (char **) words);
  vcr_tree_graft_shared (dst, src, words);
  if (dst->owned == NULL)
    dst->owned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) vcr_tree_free);
  /* What @dst took over for @words before is out of reach now: the node
   * at @words was its only way in (replicate paths never nest). */
  if (vcr_tree_lookup (src, words) == NULL)
    {
      g_hash_table_remove (dst->owned, key);
      vcr_tree_free (src);
      return;
    }
  g_hash_table_replace (dst->owned, g_steal_pointer (&key), src);
}
