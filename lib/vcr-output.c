/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bounded capture of a child's output and its escaping into log text
 * (see vcr-output.h). Pure: the caller reads the pipe and hands the bytes
 * over.
 */
#define G_LOG_DOMAIN "vcr-output"

#include "vcr-output.h"

#include <string.h>

struct _VcrOutput {
  GString *kept;
  gsize limit;
  guint64 dropped;
};

VcrOutput *
vcr_output_new (gsize limit)
{
  VcrOutput *output = g_new0 (VcrOutput, 1);

  output->kept = g_string_sized_new (MIN (limit, 4096));
  output->limit = limit;
  return output;
}

void
vcr_output_free (VcrOutput *output)
{
  if (output == NULL)
    return;
  g_string_free (output->kept, TRUE);
  g_free (output);
}

void
vcr_output_append (VcrOutput *output, const char *data, gsize length)
{
  gsize room = output->limit - output->kept->len;
  gsize take = MIN (room, length);

  g_string_append_len (output->kept, data, (gssize) take);
  output->dropped += length - take;
}

gsize
vcr_output_get_kept (const VcrOutput *output)
{
  return output->kept->len;
}

guint64
vcr_output_get_dropped (const VcrOutput *output)
{
  return output->dropped;
}

/* Whether the character @c (valid UTF-8) may stand as it is in a log line:
 * not a control character, newline and tab aside. */
static gboolean
printable (gunichar c)
{
  if (c == '\n' || c == '\t')
    return TRUE;
  return !g_unichar_iscntrl (c);
}

char *
vcr_text_escape (const char *data, gsize length)
{
  GString *s = g_string_sized_new (length + 16);
  const char *p = data, *end = data + length;

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2 || !printable (c))
        {
          /* One byte at a time: the next may start a valid character. */
          g_string_append_printf (s, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }
      if (c == '\\')
        g_string_append (s, "\\\\");
      else
        g_string_append_len (s, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (s, FALSE);
}

char *
vcr_output_to_text (const VcrOutput *output)
{
  return vcr_text_escape (output->kept->str, output->kept->len);
}

char *
vcr_output_excerpt (const VcrOutput *output, gsize max)
{
  g_autofree char *text = vcr_output_to_text (output);
  char *start = g_strstrip (text);
  gsize length = strlen (start);
  gboolean cut = output->dropped > 0;

  if (length > max)
    {
      /* Cut on a character boundary (the text is valid UTF-8). */
      const char *at = g_utf8_find_prev_char (start, start + max + 1);

      length = at != NULL ? (gsize) (at - start) : 0;
      cut = TRUE;
    }
  return g_strdup_printf ("%.*s%s", (int) length, start, cut ? "…" : "");
}
