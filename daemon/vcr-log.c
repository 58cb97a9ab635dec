/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's GLib log writer (see vcr-log.h): journald when stderr is the
 * journal, "LEVEL domain: message" lines on stderr otherwise, debug only when
 * verbose.
 */
#define G_LOG_DOMAIN "vcr-log"

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "vcr-log.h"

static gboolean log_verbose;
static gboolean log_to_journal;

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "message";
  if (level & G_LOG_LEVEL_INFO)
    return "info";
  return "debug";
}

/* The plain form for a terminal or a test log: one line per record, with
 * any VCR_* fields appended so nothing is lost outside the journal. */
static void
write_plain (GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
  const char *domain = NULL;
  const char *message = NULL;
  g_autoptr(GString) extra = g_string_new (NULL);

  for (gsize i = 0; i < n_fields; i++)
    {
      const GLogField *f = &fields[i];
      if (f->length >= 0)
        continue;   /* binary field: not for a text line */
      if (g_str_equal (f->key, "GLIB_DOMAIN"))
        domain = f->value;
      else if (g_str_equal (f->key, "MESSAGE"))
        message = f->value;
      else if (g_str_has_prefix (f->key, "VCR_"))
        g_string_append_printf (extra, " %s=%s", f->key, (const char *) f->value);
    }
  fprintf (stderr, "%s %s: %s%s\n", level_name (level),
           domain != NULL ? domain : "vcr", message != NULL ? message : "",
           extra->str);
  fflush (stderr);
}

static GLogWriterOutput
vcr_log_writer (GLogLevelFlags level,
                const GLogField *fields,
                gsize n_fields,
                gpointer user_data)
{
  if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose)
    return G_LOG_WRITER_HANDLED;
  if (log_to_journal &&
      g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  write_plain (level, fields, n_fields);
  return G_LOG_WRITER_HANDLED;
}

void
vcr_log_init (gboolean verbose)
{
  log_verbose = verbose;
  log_to_journal = g_log_writer_is_journald (STDERR_FILENO);
  g_log_set_writer_func (vcr_log_writer, NULL, NULL);
}

gboolean
vcr_log_get_verbose (void)
{
  return log_verbose;
}
