/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replicate paths (SPEC §3, §4): words parsed from text or checked as they
 * arrive over D-Bus, the word-wise "under" relation, and the snapshot text of
 * a path with its SHA-256 digest. The snapshot text is what travels between
 * peers and what digests compare, so it is always the canonical boot
 * rendering of the path's subtree with bare ancestors: two routers that hold
 * the same subtree get the same bytes whatever else their configs contain.
 */
#define G_LOG_DOMAIN "vcr-path"

#include "vcr-path.h"

#include <string.h>

#include "vcr-error.h"
#include "vcr-auth.h"
#include "vcr-tree-view.h"

/* The white space that separates words, as the VyOS shell splits them. */
static gboolean
is_word_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

GStrv
vcr_path_parse (const char *text, GError **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *p = text;
  guint n_words = 0;

  g_return_val_if_fail (text != NULL, NULL);

  while (*p != '\0')
    {
      const char *start;

      while (is_word_space (*p))
        p++;
      if (*p == '\0')
        break;
      start = p;
      while (*p != '\0' && !is_word_space (*p))
        p++;
      {
        g_autofree char *word = g_strndup (start, p - start);

        g_strv_builder_add (builder, word);
      }
      n_words++;
    }

  if (n_words == 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH,
                   "Invalid path \"%s\": a path needs at least one word", text);
      return NULL;
    }
  return g_strv_builder_end (builder);
}

gboolean
vcr_path_check_words (const char *const *words, GError **error)
{
  if (words == NULL || words[0] == NULL)
    {
      g_set_error_literal (error, VCR_ERROR, VCR_ERROR_INVALID_PATH,
                           "Invalid path: a path needs at least one word");
      return FALSE;
    }

  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *word = words[i];

      if (*word == '\0')
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH,
                       "Invalid path: word %u is empty", i + 1);
          return FALSE;
        }
      if (!g_utf8_validate (word, -1, NULL))
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH,
                       "Invalid path: word %u is not valid UTF-8", i + 1);
          return FALSE;
        }
      for (const char *p = word; *p != '\0'; p++)
        {
          if (is_word_space (*p))
            {
              g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH,
                           "Invalid path: word %u \"%s\" holds white space",
                           i + 1, word);
              return FALSE;
            }
        }
    }
  return TRUE;
}

char *
vcr_path_to_string (const char *const *words)
{
  g_return_val_if_fail (words != NULL, NULL);
  return g_strjoinv (" ", (char **) words);
}

gboolean
vcr_path_is_under (const char *const *path, const char *const *root)
{
  guint i;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (root != NULL, FALSE);

  for (i = 0; root[i] != NULL; i++)
    {
      if (path[i] == NULL || strcmp (path[i], root[i]) != 0)
        return FALSE;
    }
  return TRUE;
}

char *
vcr_path_snapshot_text (const VcrTree *tree, const char *const *words)
{
  g_autoptr(VcrTree) only = NULL;
  g_autoptr(GError) error = NULL;
  char *text;

  g_return_val_if_fail (tree != NULL, NULL);
  g_return_val_if_fail (words != NULL, NULL);

  if (words[0] == NULL)
    {
      /* the whole config: a copy only to leave the footer out */
      only = vcr_tree_new ();
      vcr_tree_graft (only, tree, words);
    }
  else if ((only = vcr_tree_view_new (tree, words)) == NULL)
    return g_strdup ("");
  /* The view has the snapshot's shape (bare ancestors with the source's
   * flags) and shares the subtree instead of copying it. */
  text = vcr_tree_render (only, VCR_FORMAT_BOOT, NULL, &error);
  /* The boot rendering has no failure mode; keep the contract anyway. */
  if (text == NULL)
    {
      g_critical ("boot rendering failed: %s", error->message);
      return g_strdup ("");
    }
  return text;
}

char *
vcr_digest (const char *data, gsize length)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);

  return vcr_auth_sha256_hex ((const guint8 *) data, length);
}

/* An ancestor in a snapshot is bare: no values, no comment, one child. */
static gboolean
node_is_bare_link (const VcrNode *node, const char *next)
{
  return vcr_node_get_n_values (node) == 0 &&
         vcr_node_get_comment (node) == NULL &&
         vcr_node_get_n_children (node) == 1 &&
         strcmp (vcr_node_get_name (vcr_node_get_child (node, 0)), next) == 0;
}

gboolean
vcr_tree_is_within (const VcrTree *tree, const char *const *words)
{
  VcrNode *node;

  g_return_val_if_fail (tree != NULL, FALSE);
  g_return_val_if_fail (words != NULL, FALSE);

  node = vcr_tree_get_root (tree);
  /* An empty tree is the snapshot of an absent path. */
  if (vcr_node_get_n_children (node) == 0 &&
      vcr_node_get_n_values (node) == 0 &&
      vcr_node_get_comment (node) == NULL)
    return TRUE;

  /* Otherwise the chain of ancestors must run, bare, down to the node;
   * whatever is at the node itself is the payload. */
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (!node_is_bare_link (node, words[i]))
        return FALSE;
      node = vcr_node_get_child (node, 0);
    }
  return TRUE;
}
