/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command lines applied to a tree (see vcr-commands.h for the rules). The
 * lexer follows the POSIX shell that VyOS's op-mode runs commands in, for
 * the part a config command can use: words split on unquoted blanks, a
 * command ends at an unquoted newline, '…' is literal, "…" takes the
 * escapes \" \\ \$ \` (other backslashes stay), a bare \x is x, and # starts
 * a comment at the start of a word. Quotes may hold newlines, since values
 * may.
 */
#define G_LOG_DOMAIN "vcr-commands"

#include "vcr-commands.h"

#include <string.h>

#include "vcr-error.h"
#include "vcr-tree-edit.h"

typedef struct {
  char *text;
  gboolean quoted;   /* some part of it was in quotes */
  guint line;
  guint column;
} Word;

static void
word_free (Word *word)
{
  g_free (word->text);
  g_free (word);
}

typedef struct {
  const char *p;
  const char *end;
  guint line;
  guint column;
  const char *origin;
} Lexer;

static gboolean G_GNUC_PRINTF (5, 6)
fail_at (GError **error, const char *origin, guint line, guint column,
         const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = vcr_error_message_valist (format, args);
  va_end (args);
  g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG, "%s:%u:%u: %s",
               origin, line, column, message);
  return FALSE;
}

static char
lexer_next (Lexer *lx)
{
  char c = *lx->p++;

  if (c == '\n')
    {
      lx->line++;
      lx->column = 1;
    }
  else
    lx->column++;
  return c;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* Reads the quoted part that starts at lx->p (a quote) into @out. */
static gboolean
lex_quoted (Lexer *lx, GString *out, GError **error)
{
  guint line = lx->line;
  guint column = lx->column;
  char quote = lexer_next (lx);

  while (lx->p < lx->end)
    {
      char c = lexer_next (lx);

      if (c == quote)
        return TRUE;
      if (c == '\0')
        break;
      if (quote == '"' && c == '\\' && lx->p < lx->end &&
          strchr ("\"\\$`\n", *lx->p) != NULL)
        {
          c = lexer_next (lx);
          if (c == '\n')
            continue;   /* a line continuation */
        }
      g_string_append_c (out, c);
    }
  return fail_at (error, lx->origin, line, column,
                  "unterminated %s quote", quote == '"' ? "double" : "single");
}

/* Reads one word at lx->p (not a blank, newline or end). */
static Word *
lex_word (Lexer *lx, GError **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  Word *word = g_new0 (Word, 1);

  word->line = lx->line;
  word->column = lx->column;
  while (lx->p < lx->end && !is_blank (*lx->p) && *lx->p != '\n')
    {
      if (*lx->p == '\0')
        {
          fail_at (error, lx->origin, lx->line, lx->column, "NUL byte in command");
          word_free (word);
          return NULL;
        }
      if (*lx->p == '\'' || *lx->p == '"')
        {
          word->quoted = TRUE;
          if (!lex_quoted (lx, text, error))
            {
              word_free (word);
              return NULL;
            }
          continue;
        }
      if (*lx->p == '\\')
        {
          lexer_next (lx);
          if (lx->p >= lx->end || *lx->p == '\n')
            {
              fail_at (error, lx->origin, word->line, word->column,
                       "a backslash at the end of a line is not supported");
              word_free (word);
              return NULL;
            }
        }
      g_string_append_c (text, lexer_next (lx));
    }
  word->text = g_string_free (g_steal_pointer (&text), FALSE);
  return word;
}

/* Fills @words with the next command's words; an empty array at the end. */
static gboolean
lex_command (Lexer *lx, GPtrArray *words, GError **error)
{
  while (lx->p < lx->end)
    {
      Word *word;

      if (is_blank (*lx->p))
        {
          lexer_next (lx);
          continue;
        }
      if (*lx->p == '\n')
        {
          lexer_next (lx);
          if (words->len > 0)
            return TRUE;
          continue;
        }
      if (*lx->p == '#')
        {
          while (lx->p < lx->end && *lx->p != '\n')
            lexer_next (lx);
          continue;
        }
      word = lex_word (lx, error);
      if (word == NULL)
        return FALSE;
      g_ptr_array_add (words, word);
    }
  return TRUE;
}

typedef struct {
  VcrTree *tree;
  const VcrTree *hints;
  const char *origin;
  GError **error;
} Applier;

static gboolean G_GNUC_PRINTF (3, 4)
fail_word (Applier *ap, const Word *word, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return fail_at (ap->error, ap->origin, word->line, word->column, "%s", message);
}

/* The texts of words[from..to) as a NULL-terminated vector that borrows
 * the strings (free with g_free only). */
static const char **
borrow_path (GPtrArray *words, guint from, guint to)
{
  const char **path = g_new0 (const char *, to - from + 1);

  for (guint i = from; i < to; i++)
    path[i - from] = ((Word *) g_ptr_array_index (words, i))->text;
  return path;
}

static char *
describe (const char *const *path)
{
  return g_strjoinv (" ", (char **) path);
}

/* Number of leading words of @path that exist in @tree. */
static guint
existing_depth (const VcrTree *tree, const char *const *path)
{
  VcrNode *node = vcr_tree_get_root (tree);
  guint depth = 0;

  while (path[depth] != NULL)
    {
      node = vcr_node_lookup (node, path[depth]);
      if (node == NULL)
        break;
      depth++;
    }
  return depth;
}

/* Flags for a node this command created at path[0..depth]. */
static void
flag_created (Applier *ap, VcrNode *node, const char **path, guint depth, gboolean last)
{
  const char *saved = path[depth + 1];
  VcrNode *hint = NULL;

  path[depth + 1] = NULL;
  if (ap->hints != NULL)
    hint = vcr_tree_lookup (ap->hints, path);
  path[depth + 1] = saved;

  vcr_node_set_tag (node, hint != NULL ? vcr_node_is_tag (hint) : FALSE);
  /* A node the command goes on below gets a child: never a leaf, whatever
   * the hints had there. */
  vcr_node_set_leaf (node, last && (hint != NULL ? vcr_node_is_leaf (hint) : TRUE));
}

/* The node at @path, created as rule 2 of vcr-commands.h says. */
static VcrNode *
ensure_node (Applier *ap, const char **path, const Word *at)
{
  guint depth = existing_depth (ap->tree, path);
  guint n = g_strv_length ((char **) path);
  VcrNode *node = vcr_tree_get_root (ap->tree);

  /* Nodes under a value-holding leaf would be dropped by the rendering. */
  for (guint i = 0; i < depth; i++)
    {
      node = vcr_node_lookup (node, path[i]);
      if (i + 1 < n && vcr_node_get_n_values (node) > 0)
        {
          g_autofree char *where = describe (path);

          fail_word (ap, at, "cannot create \"%s\": \"%s\" holds a value", where, path[i]);
          return NULL;
        }
      if (i + 1 < n && vcr_node_is_leaf (node))
        vcr_node_set_leaf (node, FALSE);
    }
  node = vcr_tree_ensure_path (ap->tree, path);
  if (node == NULL)
    {
      g_autofree char *where = describe (path);

      fail_word (ap, at, "cannot create \"%s\"", where);
      return NULL;
    }

  node = vcr_tree_get_root (ap->tree);
  for (guint i = 0; i < n; i++)
    {
      node = vcr_node_lookup (node, path[i]);
      if (i >= depth)
        flag_created (ap, node, path, i, i + 1 == n);
    }
  return node;
}

/* Rule 1: is the last word a value? */
static gboolean
last_is_value (Applier *ap, GPtrArray *words)
{
  Word *last = g_ptr_array_index (words, words->len - 1);
  g_autofree const char **parent = NULL;
  g_autofree const char **full = NULL;
  VcrNode *node;

  if (last->quoted)
    return TRUE;
  if (words->len < 3)
    return FALSE;
  full = borrow_path (words, 1, words->len);
  if (vcr_tree_lookup (ap->tree, full) != NULL)
    return FALSE;
  parent = borrow_path (words, 1, words->len - 1);
  node = vcr_tree_lookup (ap->tree, parent);
  return node != NULL && vcr_node_is_leaf (node) && vcr_node_get_n_values (node) > 0;
}

static gboolean
check_names (Applier *ap, GPtrArray *words, guint to)
{
  for (guint i = 1; i < to; i++)
    {
      Word *word = g_ptr_array_index (words, i);

      if (*word->text == '\0')
        return fail_word (ap, word, "empty node name");
    }
  return TRUE;
}

static gboolean
apply_set (Applier *ap, GPtrArray *words)
{
  Word *last = g_ptr_array_index (words, words->len - 1);
  gboolean is_value = last_is_value (ap, words);
  guint path_end = is_value ? words->len - 1 : words->len;
  g_autofree const char **path = NULL;
  VcrNode *node;

  if (path_end < 2)
    return fail_word (ap, g_ptr_array_index (words, 0), "set needs a path");
  if (!check_names (ap, words, path_end))
    return FALSE;
  path = borrow_path (words, 1, path_end);
  node = ensure_node (ap, path, g_ptr_array_index (words, 0));
  if (node == NULL)
    return FALSE;
  if (!is_value)
    return TRUE;
  if (vcr_node_get_n_children (node) > 0)
    {
      g_autofree char *where = describe (path);

      return fail_word (ap, last, "\"%s\" has child nodes; it cannot hold a value", where);
    }
  if (!vcr_node_is_leaf (node) && vcr_node_get_n_values (node) == 0)
    vcr_node_set_leaf (node, TRUE);
  if (vcr_node_find_value (node, last->text) < 0)
    vcr_node_append_value (ap->tree, node, last->text);
  return TRUE;
}

static gboolean
apply_delete (Applier *ap, GPtrArray *words)
{
  Word *last = g_ptr_array_index (words, words->len - 1);
  gboolean is_value = last_is_value (ap, words);
  guint path_end = is_value ? words->len - 1 : words->len;
  g_autofree const char **path = NULL;
  g_autofree char *where = NULL;
  VcrNode *node;
  int index;

  if (path_end < 2)
    return fail_word (ap, g_ptr_array_index (words, 0), "delete needs a path");
  path = borrow_path (words, 1, path_end);
  where = describe (path);
  node = vcr_tree_lookup (ap->tree, path);
  if (node == NULL)
    return fail_word (ap, g_ptr_array_index (words, 1), "nothing to delete at \"%s\"", where);
  if (!is_value)
    return vcr_tree_delete (ap->tree, path);

  index = vcr_node_find_value (node, last->text);
  if (index < 0)
    return fail_word (ap, last, "\"%s\" has no value \"%s\"", where, last->text);
  vcr_node_remove_value (node, index);
  /* VyOS removes a leaf with its last value. */
  if (vcr_node_get_n_values (node) == 0 && vcr_node_get_n_children (node) == 0)
    vcr_tree_delete (ap->tree, path);
  return TRUE;
}

static gboolean
apply_comment (Applier *ap, GPtrArray *words)
{
  Word *last = g_ptr_array_index (words, words->len - 1);
  g_autofree const char **path = NULL;
  VcrNode *node;

  if (words->len < 3)
    return fail_word (ap, g_ptr_array_index (words, 0), "comment needs a path and a text");
  path = borrow_path (words, 1, words->len - 1);
  node = vcr_tree_lookup (ap->tree, path);
  if (node == NULL)
    {
      g_autofree char *where = describe (path);

      return fail_word (ap, g_ptr_array_index (words, 1), "nothing to comment at \"%s\"", where);
    }
  /* The boot format writes comments as C comments. */
  if (strstr (last->text, "*/") != NULL)
    return fail_word (ap, last, "a comment cannot hold \"*/\"");
  vcr_node_set_comment (ap->tree, node, last->text);
  return TRUE;
}

static gboolean
apply_command (Applier *ap, GPtrArray *words)
{
  Word *verb = g_ptr_array_index (words, 0);

  if (verb->quoted)
    return fail_word (ap, verb, "unknown command \"%s\"", verb->text);
  if (strcmp (verb->text, "set") == 0)
    return apply_set (ap, words);
  if (strcmp (verb->text, "delete") == 0)
    return apply_delete (ap, words);
  if (strcmp (verb->text, "comment") == 0)
    return apply_comment (ap, words);
  return fail_word (ap, verb, "unknown command \"%s\"; expected set, delete or comment",
                    verb->text);
}

VcrTree *
vcr_commands_apply (const VcrTree *tree,
                    const char *text,
                    gsize length,
                    const VcrTree *hints,
                    const char *origin,
                    GError **error)
{
  g_autoptr(VcrTree) result = NULL;
  Lexer lx = { text, text + length, 1, 1, origin != NULL ? origin : "<commands>" };
  Applier ap = { NULL, hints, lx.origin, error };

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  result = tree != NULL ? vcr_tree_copy (tree) : vcr_tree_new ();
  ap.tree = result;
  for (;;)
    {
      g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func ((GDestroyNotify) word_free);

      if (!lex_command (&lx, words, error))
        return NULL;
      if (words->len == 0)
        break;
      if (!apply_command (&ap, words))
        return NULL;
    }
  return g_steal_pointer (&result);
}

/* ---- quoting ---------------------------------------------------------- */

char *
vcr_commands_quote_value (const char *value)
{
  GString *out = g_string_new ("'");

  g_return_val_if_fail (value != NULL, NULL);

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append (out, "'\\''");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}

static gboolean
needs_escape (char c)
{
  return (guchar) c <= ' ' || c == 0x7f || strchr ("'\"\\$`;&|<>()*?[]#~{}!", c) != NULL;
}

char *
vcr_commands_quote_word (const char *word)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (word != NULL, NULL);

  if (*word == '\0')
    return g_strdup ("''");
  for (const char *p = word; *p != '\0'; p++)
    {
      /* A backslash-newline is a line continuation: only quotes keep a
       * newline, so such a (most unusual) name is quoted. */
      if (*p == '\n')
        {
          g_string_free (out, TRUE);
          return vcr_commands_quote_value (word);
        }
      if (needs_escape (*p))
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}
