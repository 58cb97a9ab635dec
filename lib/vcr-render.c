/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rendering a config tree as text: the canonical config.boot form (byte for
 * byte what vyos1x-config's render_config plus vyos-1x's unescape_backslash
 * write), VyOS's compact JSON (with valid \u00XX escapes where VyOS writes
 * \ddd), and `set` command lines. The renderers append to a VcrOut
 * (vcr-render-private.h); here it is a GString sized up front from the
 * tree's arena size, in vcr-render-stream.c a chunk handed to a sink.
 */
#define G_LOG_DOMAIN "vcr-render"

#include <string.h>

#include "vcr-error.h"
#include "vcr-render-private.h"
#include "vcr-splice.h"

/* ---- output --------------------------------------------------------- */

/* GLib 2.74's g_string_append*() are not inlined; out_len() and out_c()
 * are, and grow the string here only when it is full. */
static void
string_overflow (VcrOut *out, const char *str, gsize length)
{
  out->string->len = out->len;
  g_string_append_len (out->string, str, length);
  out->buf = out->string->str;
  out->len = out->string->len;
  out->cap = out->string->allocated_len - 1;
}

void
vcr_out_init_string (VcrOut *out, GString *string)
{
  *out = (VcrOut) {
    .buf = string->str,
    .len = string->len,
    .cap = string->allocated_len - 1,
    .overflow = string_overflow,
    .string = string,
  };
}

GString *
vcr_out_finish_string (VcrOut *out)
{
  out->string->len = out->len;
  out->string->str[out->len] = '\0';
  return out->string;
}

/* ---- escaping --------------------------------------------------------- */

/* vyos1x-config Util.escape_string: \" \\ \n \t \r \b as two characters,
 * other control bytes as \ddd (decimal), bytes >= 128 unchanged. With
 * @json, the \ddd form becomes \u00XX so the JSON stays valid. */
static void
append_escaped (VcrOut *out, const char *str, gboolean json)
{
  const char *p = str;

  while (*p != '\0')
    {
      const char *start = p;
      guchar c;

      while (*p != '\0' && !vcr_render_needs_escape ((guchar) *p))
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
          {
            char code[8];

            out_len (out, code, g_snprintf (code, sizeof code, json ? "\\u%04x" : "\\%03u", c));
          }
          break;
        }
    }
}

static void
append_indent (VcrOut *out, guint level)
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

static void render_boot_node (VcrOut *out, const VcrNode *node, guint level);

/* A spliced node: the snapshot text's own lines for it, which are what
 * rendering its parsed tree here would write (vcr-splice.h). */
static void
render_boot_spliced (VcrOut *out, const VcrNode *node)
{
  const VcrSplice *splice = out->spliced != NULL ? g_hash_table_lookup (out->spliced, node) : NULL;

  g_return_if_fail (splice != NULL);
  out_len (out, splice->text + splice->start, splice->end - splice->start);
}

static void
render_boot_comment (VcrOut *out, const VcrNode *node, guint level)
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
render_boot_children (VcrOut *out, const VcrNode *node, guint level)
{
  for (guint i = 0; i < node->n_children && !out->failed; i++)
    render_boot_node (out, node->children[i], level);
}

/* A child of a tag node: `parent tag {` whatever it holds `}`. The tag
 * value is written bare, as VyOS does (even when it holds a space). */
static void
render_boot_tag_child (VcrOut *out, const VcrNode *parent, const VcrNode *child, guint level)
{
  if (G_UNLIKELY (child->spliced))
    {
      render_boot_spliced (out, child);
      return;
    }
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
render_boot_node (VcrOut *out, const VcrNode *node, guint level)
{
  if (G_UNLIKELY (node->spliced))
    {
      render_boot_spliced (out, node);
      return;
    }
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
render_json_node (VcrOut *out, const VcrNode *node, GError **error)
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
render_json (VcrOut *out, const VcrNode *root, GError **error)
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
append_single_quoted (VcrOut *out, const char *word)
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
append_path_word (VcrOut *out, const char *word)
{
  out_c (out, ' ');
  if (is_shell_safe (word))
    out_str (out, word);
  else
    append_single_quoted (out, word);
}

static void
render_commands_node (VcrOut *out, VcrOut *path, const VcrNode *node)
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
      out_len (out, path->buf, path->len);
      out_c (out, '\n');
    }
  else
    {
      for (guint i = 0; i < node->n_values; i++)
        {
          out_str (out, "set");
          out_len (out, path->buf, path->len);
          out_c (out, ' ');
          append_single_quoted (out, node->values[i]);
          out_c (out, '\n');
        }
    }
  path->len = path_len;
}

/* ---- entry points ----------------------------------------------------- */

void
vcr_render_boot_nodes (VcrOut *out, const VcrTree *tree)
{
  out->spliced = tree->spliced;
  render_boot_children (out, tree->root, 0);
}

static GString *
render_boot (const VcrTree *tree)
{
  VcrOut out;
  GString *text;

  vcr_out_init_string (&out, g_string_sized_new (tree->arena.total + 64));
  vcr_render_boot_nodes (&out, tree);
  text = vcr_out_finish_string (&out);
  if (!tree->raw && memchr (text->str, '\\', text->len) != NULL)
    {
      /* vyos-1x's to_string() runs unescape_backslash() over the text
       * (vcr-render-stream.c does the same pass chunk by chunk). */
      GString *undone = vcr_replace_backslash (text->str, text->len, FALSE, NULL);

      if (undone != NULL)
        {
          g_string_free (text, TRUE);
          text = undone;
        }
    }
  return text;
}

char *
vcr_tree_render (const VcrTree *tree, VcrFormat format, gsize *length, GError **error)
{
  g_autoptr(GString) text = NULL;
  VcrOut out;

  g_return_val_if_fail (tree != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (format)
    {
    case VCR_FORMAT_BOOT:
      text = render_boot (tree);
      break;
    case VCR_FORMAT_JSON:
      text = g_string_sized_new (tree->arena.total + 64);
      vcr_out_init_string (&out, text);
      if (!render_json (&out, tree->root, error))
        return NULL;
      vcr_out_finish_string (&out);
      break;
    case VCR_FORMAT_COMMANDS:
      {
        g_autoptr(GString) path_text = g_string_new ("");
        VcrOut path;

        text = g_string_sized_new (tree->arena.total * 2 + 64);
        vcr_out_init_string (&out, text);
        vcr_out_init_string (&path, path_text);
        for (guint i = 0; i < tree->root->n_children; i++)
          render_commands_node (&out, &path, tree->root->children[i]);
        vcr_out_finish_string (&out);
        vcr_out_finish_string (&path);
      }
      break;
    default:
      g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED, "unknown format %d", (int) format);
      return NULL;
    }
  if (length != NULL)
    *length = text->len;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
vcr_tree_to_file_contents (const VcrTree *tree, gsize *length)
{
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (tree != NULL, NULL);
  text = render_boot (tree);
  if (tree->footer != NULL)
    {
      /* ConfigTree.to_string(): f'{config_string}\n{self.__version}' */
      g_string_append_c (text, '\n');
      g_string_append (text, tree->footer);
    }
  if (length != NULL)
    *length = text->len;
  return g_string_free (g_steal_pointer (&text), FALSE);
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
  VcrOut out = { .failed = FALSE };
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
      if (out.string == NULL)
        vcr_out_init_string (&out, g_string_sized_new (length + length / 16 + 16));
      out_len (&out, text + copied, i - copied);
      for (gsize k = i; k < end; k++)
        {
          if (text[k] != '\\')
            out_c (&out, text[k]);
          else if (double_them)
            {
              if (inserted != NULL)
                {
                  gsize at = out.len + 1;
                  g_array_append_val (inserted, at);
                }
              out_len (&out, "\\\\", 2);
            }
          else
            {
              /* str.replace('\\\\', '\\'): pairs, left to right. */
              out_c (&out, '\\');
              if (k + 1 < end && text[k + 1] == '\\')
                k++;
            }
        }
      copied = i = end;
    }
  if (out.string == NULL)
    return NULL;
  out_len (&out, text + copied, length - copied);
  return vcr_out_finish_string (&out);
}
