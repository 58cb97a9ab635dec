/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tree difference as command lines (see vcr-diff.h).
 *
 * The lines are applied in order, and `delete` removes ancestors it leaves
 * empty, as VyOS does. A node whose flags or value order change, or whose
 * values all go, is *replaced*: deleted whole, then set again from the new
 * tree. Everything else is edited in place. A node that exists in both
 * trees but that the deletes *empty* (all its values and children go) is
 * pruned before the `set` lines run and recreated by them: its flags come
 * back from the hints (or VyOS's schema), its comment is set again, and
 * when the new node is empty a bare `set` brings it back.
 */
#define G_LOG_DOMAIN "vcr-diff"

#include "vcr-diff.h"

#include <string.h>

#include "vcr-commands.h"

typedef struct {
  GPtrArray *path;      /* of const char*: the words down to the node */
  GPtrArray *deletes;   /* of char*: the lines */
  GPtrArray *sets;
  GPtrArray *comments;
} Diff;

static void
add_line (GPtrArray *lines, const char *verb, GPtrArray *path, const char *value)
{
  GString *line = g_string_new (verb);

  for (guint i = 0; i < path->len; i++)
    {
      g_autofree char *word = vcr_commands_quote_word (g_ptr_array_index (path, i));

      g_string_append_c (line, ' ');
      g_string_append (line, word);
    }
  if (value != NULL)
    {
      g_autofree char *quoted = vcr_commands_quote_value (value);

      g_string_append_c (line, ' ');
      g_string_append (line, quoted);
    }
  g_ptr_array_add (lines, g_string_free (line, FALSE));
}

static gboolean
values_same (const VcrNode *o, const VcrNode *n)
{
  guint count = vcr_node_get_n_values (o);

  if (count != vcr_node_get_n_values (n))
    return FALSE;
  for (guint i = 0; i < count; i++)
    if (strcmp (vcr_node_get_value (o, i), vcr_node_get_value (n, i)) != 0)
      return FALSE;
  return TRUE;
}

/* The node's values as a set (borrowed strings); FALSE when one repeats.
 * A set, not a scan: a firewall group can hold thousands of addresses. */
static gboolean
value_set (const VcrNode *node, GHashTable **set)
{
  *set = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < vcr_node_get_n_values (node); i++)
    if (!g_hash_table_add (*set, (gpointer) vcr_node_get_value (node, i)))
      return FALSE;
  return TRUE;
}

/* The values of @o that stay in @n; TRUE when @n's values are exactly
 * those, in the same order, followed by new ones: then deleting the others
 * and appending the new ones gives @n's list. */
static gboolean
values_editable (const VcrNode *o, const VcrNode *n, guint *n_kept)
{
  g_autoptr(GHashTable) old_set = NULL;
  g_autoptr(GHashTable) new_set = NULL;
  guint kept = 0;

  if (values_same (o, n))
    {
      *n_kept = vcr_node_get_n_values (n);
      return TRUE;
    }
  if (!value_set (o, &old_set) || !value_set (n, &new_set))
    return FALSE;
  for (guint i = 0; i < vcr_node_get_n_values (o); i++)
    {
      const char *value = vcr_node_get_value (o, i);

      if (!g_hash_table_contains (new_set, value))
        continue;
      if (kept >= vcr_node_get_n_values (n) ||
          strcmp (vcr_node_get_value (n, kept), value) != 0)
        return FALSE;
      kept++;
    }
  *n_kept = kept;
  /* Deleting every value deletes the leaf: that is a replace. */
  return kept > 0 || vcr_node_get_n_values (o) == 0;
}

/* Flags and value order cannot be edited in place. */
static gboolean
needs_replace (const VcrNode *o, const VcrNode *n)
{
  guint kept = 0;

  return vcr_node_is_tag (o) != vcr_node_is_tag (n) ||
         vcr_node_is_leaf (o) != vcr_node_is_leaf (n) ||
         !values_editable (o, n, &kept);
}

/* TRUE when the deletes take every value and child of @o (not replaced),
 * so that `delete` prunes it and the sets bring it back bare. */
static gboolean
is_emptied (const VcrNode *o, const VcrNode *n)
{
  guint kept = 0;

  /* An empty node stays as it is: only a node with something can be
   * emptied by the deletes. */
  if (vcr_node_get_n_values (o) == 0 && vcr_node_get_n_children (o) == 0)
    return FALSE;
  values_editable (o, n, &kept);
  if (kept > 0)
    return FALSE;
  for (guint i = 0; i < vcr_node_get_n_children (o); i++)
    {
      VcrNode *oc = vcr_node_get_child (o, i);
      VcrNode *nc = vcr_node_lookup (n, vcr_node_get_name (oc));

      if (nc != NULL && !needs_replace (oc, nc) && !is_emptied (oc, nc))
        return FALSE;
    }
  return TRUE;
}

/* The sets (and comments) that create @n and everything under it. */
static void
diff_create (Diff *diff, const VcrNode *n)
{
  guint n_values = vcr_node_get_n_values (n);

  for (guint i = 0; i < n_values; i++)
    add_line (diff->sets, "set", diff->path, vcr_node_get_value (n, i));
  if (n_values == 0 && vcr_node_get_n_children (n) == 0)
    add_line (diff->sets, "set", diff->path, NULL);
  if (vcr_node_get_comment (n) != NULL)
    add_line (diff->comments, "comment", diff->path, vcr_node_get_comment (n));

  for (guint i = 0; i < vcr_node_get_n_children (n); i++)
    {
      VcrNode *child = vcr_node_get_child (n, i);

      g_ptr_array_add (diff->path, (gpointer) vcr_node_get_name (child));
      diff_create (diff, child);
      g_ptr_array_remove_index (diff->path, diff->path->len - 1);
    }
}

/* Both nodes exist at diff->path and @o is not replaced. @emptied: the
 * deletes prune the node, so the sets recreate it (with the flags the
 * hints give) and its comment must be set again. */
static void
diff_edit (Diff *diff, const VcrNode *o, const VcrNode *n, gboolean emptied)
{
  guint kept = 0;
  const char *oc_text = vcr_node_get_comment (o);
  const char *nc_text = vcr_node_get_comment (n);

  if (!values_same (o, n))
    {
      g_autoptr(GHashTable) new_set = NULL;

      values_editable (o, n, &kept);
      value_set (n, &new_set);
      for (guint i = 0; i < vcr_node_get_n_values (o); i++)
        if (!g_hash_table_contains (new_set, vcr_node_get_value (o, i)))
          add_line (diff->deletes, "delete", diff->path, vcr_node_get_value (o, i));
      for (guint i = kept; i < vcr_node_get_n_values (n); i++)
        add_line (diff->sets, "set", diff->path, vcr_node_get_value (n, i));
    }
  /* Nothing below would bring an emptied node back. */
  if (emptied && vcr_node_get_n_values (n) == 0 && vcr_node_get_n_children (n) == 0)
    add_line (diff->sets, "set", diff->path, NULL);
  if (emptied && nc_text != NULL)
    add_line (diff->comments, "comment", diff->path, nc_text);
  else if (!emptied && g_strcmp0 (oc_text, nc_text) != 0 && diff->path->len > 0)
    add_line (diff->comments, "comment", diff->path, nc_text != NULL ? nc_text : "");

  /* Old children first, for the deletes; the new order drives the sets. */
  for (guint i = 0; i < vcr_node_get_n_children (o); i++)
    {
      VcrNode *oc = vcr_node_get_child (o, i);

      if (vcr_node_lookup (n, vcr_node_get_name (oc)) == NULL)
        {
          g_ptr_array_add (diff->path, (gpointer) vcr_node_get_name (oc));
          add_line (diff->deletes, "delete", diff->path, NULL);
          g_ptr_array_remove_index (diff->path, diff->path->len - 1);
        }
    }
  for (guint i = 0; i < vcr_node_get_n_children (n); i++)
    {
      VcrNode *nc = vcr_node_get_child (n, i);
      VcrNode *oc = vcr_node_lookup (o, vcr_node_get_name (nc));

      g_ptr_array_add (diff->path, (gpointer) vcr_node_get_name (nc));
      if (oc == NULL)
        diff_create (diff, nc);
      else if (needs_replace (oc, nc))
        {
          add_line (diff->deletes, "delete", diff->path, NULL);
          diff_create (diff, nc);
        }
      else
        diff_edit (diff, oc, nc, is_emptied (oc, nc));
      g_ptr_array_remove_index (diff->path, diff->path->len - 1);
    }
}

GStrv
vcr_diff (const VcrTree *old_tree, const VcrTree *new_tree, const char *const *under)
{
  static const char *const root[] = { NULL };
  Diff diff = { 0 };
  g_autoptr(GPtrArray) path = g_ptr_array_new ();
  g_autoptr(GPtrArray) deletes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) comments = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  VcrNode *o;
  VcrNode *n;

  g_return_val_if_fail (old_tree != NULL, NULL);
  g_return_val_if_fail (new_tree != NULL, NULL);

  if (under == NULL)
    under = root;
  for (guint i = 0; under[i] != NULL; i++)
    g_ptr_array_add (path, (gpointer) under[i]);
  diff = (Diff) { path, deletes, sets, comments };

  o = vcr_tree_lookup (old_tree, under);
  n = vcr_tree_lookup (new_tree, under);
  if (o != NULL && n == NULL)
    add_line (deletes, "delete", path, NULL);
  else if (o == NULL && n != NULL)
    diff_create (&diff, n);
  else if (o != NULL && n != NULL)
    {
      if (path->len > 0 && needs_replace (o, n))
        {
          add_line (deletes, "delete", path, NULL);
          diff_create (&diff, n);
        }
      else
        diff_edit (&diff, o, n, path->len > 0 && is_emptied (o, n));
    }

  for (guint i = 0; i < deletes->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (deletes, i));
  for (guint i = 0; i < sets->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (sets, i));
  for (guint i = 0; i < comments->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (comments, i));
  return g_strv_builder_end (builder);
}
