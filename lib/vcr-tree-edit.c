/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Node editing beyond vcr-tree.c's path-level operations (see
 * vcr-tree-edit.h), on the tree's private layout. Removing a value only
 * shortens the count: the array keeps its room, which the capacity rule of
 * vcr-tree-private.h never overestimates for a shorter count.
 */
#define G_LOG_DOMAIN "vcr-tree"

#include "vcr-tree-edit.h"

#include <string.h>

#include "vcr-tree-private.h"

void
vcr_node_set_tag (VcrNode *node, gboolean tag)
{
  g_return_if_fail (node != NULL);
  node->tag = tag ? 1 : 0;
}

void
vcr_node_set_leaf (VcrNode *node, gboolean leaf)
{
  g_return_if_fail (node != NULL);
  node->leaf = leaf ? 1 : 0;
}

void
vcr_node_set_comment (VcrTree *tree, VcrNode *node, const char *comment)
{
  g_return_if_fail (tree != NULL);
  g_return_if_fail (node != NULL);

  if (comment == NULL || *comment == '\0')
    vcr_node_set_comment_len (&tree->arena, node, NULL, 0);
  else
    vcr_node_set_comment_len (&tree->arena, node, comment, strlen (comment));
}

void
vcr_node_append_value (VcrTree *tree, VcrNode *node, const char *value)
{
  const char *copy;

  g_return_if_fail (tree != NULL);
  g_return_if_fail (node != NULL);
  g_return_if_fail (value != NULL);

  copy = vcr_arena_strdup (&tree->arena, value);
  vcr_node_append_values (&tree->arena, node, &copy, 1);
}

int
vcr_node_find_value (const VcrNode *node, const char *value)
{
  g_return_val_if_fail (node != NULL, -1);
  g_return_val_if_fail (value != NULL, -1);

  for (guint i = 0; i < node->n_values; i++)
    if (strcmp (node->values[i], value) == 0)
      return (int) i;
  return -1;
}

void
vcr_node_remove_value (VcrNode *node, guint index)
{
  g_return_if_fail (node != NULL);
  g_return_if_fail (index < node->n_values);

  memmove (&node->values[index], &node->values[index + 1],
           (node->n_values - index - 1) * sizeof (char *));
  node->n_values--;
}
