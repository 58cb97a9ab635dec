/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bytes of a config.boot file handed to a sink in bounded chunks, so
 * that a replica writes a big config without ever holding its text whole:
 * the boot renderers of vcr-render.c append to a fixed chunk that goes on
 * when full, through a streaming form of vyos-1x's unescape_backslash()
 * pass when the tree can render a backslash at all, and the version footer
 * follows. Pure: the sink does any I/O.
 */
#define G_LOG_DOMAIN "vcr-render"

#include "vcr-error.h"
#include "vcr-render-private.h"

typedef struct {
  VcrOut out;           /* first, so that a VcrOut * is a Stream * */
  VcrSink sink;
  gpointer user_data;
  GError *error;        /* the sink's; once set, nothing more is sent */
  gsize chunk_size;
  /* The unescape pass, when on: the text not decided yet (from a quote
   * whose closing quote, or the byte after it, is still to come), how far
   * after that quote the closing one was looked for, and a chunk of the
   * pass's output. */
  gboolean unescape;
  GString *held;
  gsize searched;
  char *done;
  gsize done_len;
} Stream;

static void
sink_put (Stream *s, const char *data, gsize length)
{
  if (s->error != NULL || length == 0)
    return;
  if (s->sink (data, length, s->user_data, &s->error))
    return;
  if (s->error == NULL)
    g_set_error_literal (&s->error, VCR_ERROR, VCR_ERROR_FAILED,
                         "the output failed without saying why");
  s->out.failed = TRUE;
}

static void
done_flush (Stream *s)
{
  sink_put (s, s->done, s->done_len);
  s->done_len = 0;
}

static void
done_put (Stream *s, const char *data, gsize length)
{
  while (length > 0 && s->error == NULL)
    {
      gsize n = MIN (length, s->chunk_size - s->done_len);

      memcpy (s->done + s->done_len, data, n);
      s->done_len += n;
      data += n;
      length -= n;
      if (s->done_len == s->chunk_size)
        done_flush (s);
    }
}

/* ---- vyos-1x unescape_backslash(), streamed --------------------------- */

static const char *
find_quote (const char *text, gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (text[i] == '"' || text[i] == '\'')
      return text + i;
  return NULL;
}

/* A match with each pair of backslashes made one, left to right. */
static void
put_unescaped (Stream *s, const char *text, gsize length)
{
  const char *end = text + length;

  while (text < end)
    {
      const char *backslash = memchr (text, '\\', end - text);

      if (backslash == NULL)
        {
          done_put (s, text, end - text);
          return;
        }
      done_put (s, text, backslash + 1 - text);
      text = backslash + 1;
      if (text < end && *text == '\\')
        text++;
    }
}

/* Passes on what can be decided of the held text, scanning it as
 * vcr_replace_backslash() does: text up to a quote as it is; at a quote,
 * once its closing quote and the byte after that are known (or at @eof),
 * the match unescaped, or else the quote alone and the scan goes on after
 * it. What is left starts at a quote. */
static void
unescape_run (Stream *s, gboolean eof)
{
  const char *text = s->held->str;
  gsize length = s->held->len;
  gsize pos = 0;

  while (pos < length && s->error == NULL)
    {
      const char *here = text + pos;
      gsize left = length - pos;
      const char *close;
      gsize end = 0;

      if (*here != '"' && *here != '\'')
        {
          const char *quote = find_quote (here, left);
          gsize n = quote != NULL ? (gsize) (quote - here) : left;

          done_put (s, here, n);
          pos += n;
          continue;
        }
      close = memchr (here + s->searched, *here, left - s->searched);
      if (!eof && (close == NULL || close + 1 == here + left))
        {
          s->searched = close != NULL ? (gsize) (close - here) : left;
          break;
        }
      if (close != NULL && close + 1 < here + left && close[1] == '\n' &&
          memchr (here + 1, '\\', close - here - 1) != NULL)
        end = close + 2 - here;
      s->searched = 1;
      if (end == 0)
        {
          done_put (s, here, 1);
          pos++;
        }
      else
        {
          put_unescaped (s, here, end);
          pos += end;
        }
    }
  g_string_erase (s->held, 0, pos);
}

/* Whether the boot rendering of @node may hold a backslash: names and
 * comments are written as they are, values escaped. Without one the pass
 * changes nothing, and is skipped (it would hold back the text after a
 * lone apostrophe). */
static gboolean
may_render_backslash (const VcrNode *node)
{
  const char *comment = vcr_node_comment (node);

  if (strchr (node->name, '\\') != NULL || (comment != NULL && strchr (comment, '\\') != NULL))
    return TRUE;
  for (guint i = 0; i < node->n_values; i++)
    for (const char *p = node->values[i]; *p != '\0'; p++)
      if (vcr_render_needs_escape ((guchar) *p))
        return TRUE;
  for (guint i = 0; i < node->n_children; i++)
    if (may_render_backslash (node->children[i]))
      return TRUE;
  return FALSE;
}

/* ---- the renderers' chunk --------------------------------------------- */

static void
stream_flush (Stream *s, gboolean eof)
{
  if (s->unescape)
    {
      g_string_append_len (s->held, s->out.buf, s->out.len);
      unescape_run (s, eof);
    }
  else
    sink_put (s, s->out.buf, s->out.len);
  s->out.len = 0;
}

static void
stream_overflow (VcrOut *out, const char *str, gsize length)
{
  Stream *s = (Stream *) out;

  while (length > 0 && s->error == NULL)
    {
      gsize n = MIN (length, out->cap - out->len);

      memcpy (out->buf + out->len, str, n);
      out->len += n;
      str += n;
      length -= n;
      if (out->len == out->cap)
        stream_flush (s, FALSE);
    }
  if (s->error != NULL)
    out->len = 0;
}

gboolean
vcr_tree_stream_file_contents (const VcrTree *tree,
                               gsize chunk_size,
                               VcrSink sink,
                               gpointer user_data,
                               GError **error)
{
  g_autofree char *chunk = NULL;
  g_autofree char *done = NULL;
  g_autoptr(GString) held = NULL;
  Stream s;

  g_return_val_if_fail (tree != NULL, FALSE);
  g_return_val_if_fail (sink != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (chunk_size == 0)
    chunk_size = VCR_STREAM_CHUNK_SIZE;
  chunk = g_malloc (chunk_size);
  memset (&s, 0, sizeof s);
  s.out.buf = chunk;
  s.out.cap = chunk_size;
  s.out.overflow = stream_overflow;
  s.sink = sink;
  s.user_data = user_data;
  s.chunk_size = chunk_size;
  s.unescape = !tree->raw && may_render_backslash (tree->root);
  if (s.unescape)
    {
      s.held = held = g_string_new (NULL);
      s.done = done = g_malloc (chunk_size);
      s.searched = 1;
    }

  vcr_render_boot_nodes (&s.out, tree);
  if (s.unescape)
    {
      /* The pass covers the rendering, not the footer. */
      stream_flush (&s, TRUE);
      done_flush (&s);
      s.unescape = FALSE;
    }
  if (tree->footer != NULL)
    {
      /* ConfigTree.to_string(): f'{config_string}\n{self.__version}' */
      out_c (&s.out, '\n');
      out_str (&s.out, tree->footer);
    }
  stream_flush (&s, TRUE);
  if (s.error != NULL)
    {
      g_propagate_error (error, s.error);
      return FALSE;
    }
  return TRUE;
}
