/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rendering a config tree as text: the canonical config.boot form (byte for
 * byte what vyos1x-config's render_config plus vyos-1x's unescape_backslash
 * write), VyOS's compact JSON (with valid \u00XX escapes where VyOS writes
 * \ddd), and `set` command lines. Everything is written into one GString
 * sized up front from the tree's arena size.
 */
#define G_LOG_DOMAIN "vcr-render"

#include <string.h>

#include "vcr-error.h"
#include "vcr-tree-private.h"

/* ---- output ----------------------------------------------------------- */

/* GLib 2.74's g_string_append*() are not inlined; these are, and they are
 * most of the rendering time. The text is NUL-terminated by finish(). */
static inline void
out_len (GString *out, const char *str, gsize len)
{
  if (G_UNLIKELY (out->len + len >= out->allocated_len))
    {
      g_string_append_len (out, str, len);
      return;
    }
  memcpy (out->str + out->len, str, len);
  out->len += len;
}

static inline void
out_str (GString *out, const char *str)
{
  out_len (out, str, strlen (str));
}

static inline void
out_c (GString *out, char c)
{
  if (G_UNLIKELY (out->len + 1 >= out->allocated_len))
    {
      g_string_append_c (out, c);
      return;
    }
  out->str[out->len++] = c;
}

static void
out_finish (GString *out)
{
  out->str[out->len] = '\0';
}

/* ---- escaping --------------------------------------------------------- */

static gboolean
needs_escape (guchar c)
{
  return c == '"' || c == '\\' || c < 32 || c == 127;
}

/* vyos1x-config Util.escape_string: \" \\ \n \t \r \b as two characters,
 * other control bytes as \ddd (decimal), bytes >= 128 unchanged. With
 * @json, the \ddd form becomes \u00XX so the JSON stays valid. */
static void
append_escaped (GString *out, const char *str, gboolean json)
{
  const char *p = str;

  while (*p != '\0')
    {
      const char *start = p;
      guchar c;

      while (*p != '\0' && !needs_escape ((guchar) *p))
        p++;
      out_len (out, start, p - start);
      if (*p == '\0')
        break;
      c = (guchar) *p++;
      switch (c)
        {
        case '"': out_str (out, "\\\""); break;
        case '\\': out_str (out, "\\\\"); break;
        case '\n': out_str (out, "\\n"); break;
        case '\t': out_str (out, "\\t"); break;
        case '\r': out_str (out, "\\r"); break;
        case '\b': out_str (out, "\\b"); break;
        default:
          if (json)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_printf (out, "\\%03u", c);
          break;
        }
    }
}

static void
append_indent (GString *out, guint level)
{
  static const char spaces[] = "                                                                ";

  for (gsize left = (gsize) level * 4; left > 0;)
    {
      gsize n = MIN (left, sizeof spaces - 1);

      out_len (out, spaces, n);
      left -= n;
    }
}

/* ---- boot ------------------------------------------------------------- */

static void render_boot_node (GString *out, const VcrNode *node, guint level);

static void
render_boot_comment (GString *out, const VcrNode *node, guint level)
{
  const char *comment = vcr_node_comment (node);

  if (comment == NULL)
    return;
  append_indent (out, level);
  out_str (out, "/* ");
  out_str (out, comment);
  out_str (out, " */\n");
}

static void
render_boot_children (GString *out, const VcrNode *node, guint level)
{
  for (guint i = 0; i < node->n_children; i++)
    render_boot_node (out, node->children[i], level);
}

/* A child of a tag node: `parent tag {` whatever it holds `}`. The tag
 * value is written bare, as VyOS does (even when it holds a space). */
static void
render_boot_tag_child (GString *out, const VcrNode *parent, const VcrNode *child, guint level)
{
  render_boot_comment (out, child, level);
  append_indent (out, level);
  out_str (out, parent->name);
  out_c (out, ' ');
  out_str (out, child->name);
  out_str (out, " {\n");
  render_boot_children (out, child, level + 1);
  append_indent (out, level);
  out_str (out, "}\n");
}

static void
render_boot_node (GString *out, const VcrNode *node, guint level)
{
  if (node->n_children > 0 && node->tag)
    {
      /* The tag node's own comment is not written (as in VyOS). */
      for (guint i = 0; i < node->n_children; i++)
        render_boot_tag_child (out, node, node->children[i], level);
      return;
    }
  render_boot_comment (out, node, level);
  if (node->n_children == 0 && node->leaf)
    {
      if (node->n_values == 0)
        {
          append_indent (out, level);
          out_str (out, node->name);
          out_c (out, '\n');
        }
      for (guint i = 0; i < node->n_values; i++)
        {
          append_indent (out, level);
          out_str (out, node->name);
          out_str (out, " \"");
          append_escaped (out, node->values[i], FALSE);
          out_str (out, "\"\n");
        }
      return;
    }
  /* Written with braces; values next to children are dropped, as VyOS
   * does. */
  append_indent (out, level);
  out_str (out, node->name);
  out_str (out, " {\n");
  render_boot_children (out, node, level + 1);
  append_indent (out, level);
  out_str (out, "}\n");
}

/* ---- json ------------------------------------------------------------- */

static gboolean
render_json_node (GString *out, const VcrNode *node, GError **error)
{
  out_c (out, '"');
  append_escaped (out, node->name, TRUE);
  out_str (out, "\": ");
  if (node->n_children > 0 && node->n_values > 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "node \"%s\" has both values and children, which JSON cannot show",
                   node->name);
      return FALSE;
    }
  if (node->n_values == 1)
    {
      out_c (out, '"');
      append_escaped (out, node->values[0], TRUE);
      out_c (out, '"');
      return TRUE;
    }
  if (node->n_values > 1)
    {
      out_c (out, '[');
      for (guint i = 0; i < node->n_values; i++)
        {
          if (i > 0)
            out_c (out, ',');
          out_c (out, '"');
          append_escaped (out, node->values[i], TRUE);
          out_c (out, '"');
        }
      out_c (out, ']');
      return TRUE;
    }
  out_c (out, '{');
  for (guint i = 0; i < node->n_children; i++)
    {
      if (i > 0)
        out_c (out, ',');
      if (!render_json_node (out, node->children[i], error))
        return FALSE;
    }
  out_c (out, '}');
  return TRUE;
}

static gboolean
render_json (GString *out, const VcrNode *root, GError **error)
{
  out_c (out, '{');
  for (guint i = 0; i < root->n_children; i++)
    {
      if (i > 0)
        out_c (out, ',');
      if (!render_json_node (out, root->children[i], error))
        return FALSE;
    }
  out_c (out, '}');
  return TRUE;
}

/* ---- commands --------------------------------------------------------- */

static gboolean
is_shell_safe (const char *word)
{
  if (*word == '\0')
    return FALSE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.:/@+=,%^", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* A POSIX shell single-quoted word: a ' inside becomes '\'' (close, escaped
 * quote, reopen), which is how the VyOS shell reads it back. Other bytes are
 * written as they are. */
static void
append_single_quoted (GString *out, const char *word)
{
  out_c (out, '\'');
  for (const char *p = word; *p != '\0'; p++)
    {
      if (*p == '\'')
        out_str (out, "'\\''");
      else
        out_c (out, *p);
    }
  out_c (out, '\'');
}

static void
append_path_word (GString *out, const char *word)
{
  out_c (out, ' ');
  if (is_shell_safe (word))
    out_str (out, word);
  else
    append_single_quoted (out, word);
}

static void
render_commands_node (GString *out, GString *path, const VcrNode *node)
{
  gsize path_len = path->len;

  append_path_word (path, node->name);
  if (node->n_children > 0)
    {
      for (guint i = 0; i < node->n_children; i++)
        render_commands_node (out, path, node->children[i]);
    }
  else if (node->n_values == 0)
    {
      out_str (out, "set");
      out_len (out, path->str, path->len);
      out_c (out, '\n');
    }
  else
    {
      for (guint i = 0; i < node->n_values; i++)
        {
          out_str (out, "set");
          out_len (out, path->str, path->len);
          out_c (out, ' ');
          append_single_quoted (out, node->values[i]);
          out_c (out, '\n');
        }
    }
  g_string_truncate (path, path_len);
}

/* ---- entry points ----------------------------------------------------- */

static GString *
render_boot (const VcrTree *tree)
{
  GString *out = g_string_sized_new (tree->arena.total + 64);

  render_boot_children (out, tree->root, 0);
  out_finish (out);
  if (!tree->raw && memchr (out->str, '\\', out->len) != NULL)
    {
      /* vyos-1x's to_string() runs unescape_backslash() over the text. */
      GString *undone = vcr_replace_backslash (out->str, out->len, FALSE, NULL);

      if (undone != NULL)
        {
          g_string_free (out, TRUE);
          out = undone;
        }
    }
  return out;
}

char *
vcr_tree_render (const VcrTree *tree, VcrFormat format, gsize *length, GError **error)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (tree != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (format)
    {
    case VCR_FORMAT_BOOT:
      out = render_boot (tree);
      break;
    case VCR_FORMAT_JSON:
      out = g_string_sized_new (tree->arena.total + 64);
      if (!render_json (out, tree->root, error))
        return NULL;
      break;
    case VCR_FORMAT_COMMANDS:
      {
        g_autoptr(GString) path = g_string_new ("");

        out = g_string_sized_new (tree->arena.total * 2 + 64);
        for (guint i = 0; i < tree->root->n_children; i++)
          render_commands_node (out, path, tree->root->children[i]);
      }
      break;
    default:
      g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED, "unknown format %d", (int) format);
      return NULL;
    }
  out_finish (out);
  if (length != NULL)
    *length = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
vcr_tree_to_file_contents (const VcrTree *tree, gsize *length)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (tree != NULL, NULL);
  out = render_boot (tree);
  if (tree->footer != NULL)
    {
      /* ConfigTree.to_string(): f'{config_string}\n{self.__version}' */
      out_c (out, '\n');
      out_str (out, tree->footer);
    }
  out_finish (out);
  if (length != NULL)
    *length = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- vyos-1x replace_backslash() -------------------------------------- */

/* The end (one past the '\n') of a match of "[^"]*[\\][^"]*"\n (or the
 * same with ') starting at @i, or 0. The closing quote can only be the next
 * quote character, so no backtracking is needed. */
static gsize
backslash_match_end (const char *text, gsize length, gsize i)
{
  char quote = text[i];
  const char *close = memchr (text + i + 1, quote, length - i - 1);
  gsize j;

  if (close == NULL)
    return 0;
  j = close - text;
  if (j + 1 >= length || text[j + 1] != '\n')
    return 0;
  if (memchr (text + i + 1, '\\', j - i - 1) == NULL)
    return 0;
  return j + 2;
}

GString *
vcr_replace_backslash (const char *text, gsize length, gboolean double_them, GArray *inserted)
{
  GString *out = NULL;
  gsize copied = 0;
  gsize i = 0;

  while (i < length)
    {
      gsize end;

      if (text[i] != '"' && text[i] != '\'')
        {
          i++;
          continue;
        }
      end = backslash_match_end (text, length, i);
      if (end == 0)
        {
          i++;
          continue;
        }
      if (out == NULL)
        out = g_string_sized_new (length + length / 16 + 16);
      out_len (out, text + copied, i - copied);
      for (gsize k = i; k < end; k++)
        {
          if (text[k] != '\\')
            out_c (out, text[k]);
          else if (double_them)
            {
              if (inserted != NULL)
                {
                  gsize at = out->len + 1;
                  g_array_append_val (inserted, at);
                }
              out_len (out, "\\\\", 2);
            }
          else
            {
              /* str.replace('\\\\', '\\'): pairs, left to right. */
              out_c (out, '\\');
              if (k + 1 < end && text[k + 1] == '\\')
                k++;
            }
        }
      copied = i = end;
    }
  if (out != NULL)
    {
      out_len (out, text + copied, length - copied);
      out_finish (out);
    }
  return out;
}
