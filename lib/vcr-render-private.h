/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The renderers' output, shared by vcr-render.c (the renderers, and the
 * GString form of the output) and vcr-render-stream.c (the sink form): a
 * buffer the renderers append to that is either a GString's own storage,
 * grown when full, or a fixed chunk handed to a sink when full. The appends
 * are inline because they are most of the rendering time. Nothing outside
 * lib/vcr-render*.c may include this.
 */
#pragma once

#include <string.h>

#include "vcr-tree-private.h"

G_BEGIN_DECLS

typedef struct _VcrOut VcrOut;

struct _VcrOut {
  char *buf;
  gsize len;
  gsize cap;        /* bytes buf can hold (a GString's NUL not counted) */
  /* A sink failed: the renderers stop early and appends are dropped. */
  gboolean failed;
  /* Takes @length bytes that do not fit in buf. */
  void (*overflow) (VcrOut *out, const char *str, gsize length);
  GString *string;  /* GString form: the string buf belongs to */
  /* The rendered tree's spliced nodes (VcrTree.spliced), set by
   * vcr_render_boot_nodes(). */
  GHashTable *spliced;
};

static inline void
out_len (VcrOut *out, const char *str, gsize len)
{
  if (G_UNLIKELY (out->len + len > out->cap))
    {
      out->overflow (out, str, len);
      return;
    }
  memcpy (out->buf + out->len, str, len);
  out->len += len;
}

static inline void
out_str (VcrOut *out, const char *str)
{
  out_len (out, str, strlen (str));
}

static inline void
out_c (VcrOut *out, char c)
{
  if (G_UNLIKELY (out->len >= out->cap))
    {
      out->overflow (out, &c, 1);
      return;
    }
  out->buf[out->len++] = c;
}

/* Bytes that the boot and JSON renderings write as an escape sequence. */
static inline gboolean
vcr_render_needs_escape (guchar c)
{
  return c == '"' || c == '\\' || c < 32 || c == 127;
}

/* The GString form: appends go to the end of @string. */
void vcr_out_init_string (VcrOut *out, GString *string);
/* Sets the string's length to what was appended and NUL-terminates it;
 * returns it. */
GString *vcr_out_finish_string (VcrOut *out);

/* The canonical boot rendering of the tree's nodes, before vyos-1x's
 * unescape_backslash() pass. Stops early once @out has failed. */
void vcr_render_boot_nodes (VcrOut *out, const VcrTree *tree);

G_END_DECLS
