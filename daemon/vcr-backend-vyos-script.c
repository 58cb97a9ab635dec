/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shell script of one VyOS configuration session (pure text; the vyos
 * backend writes and runs it). Each step is a call of VyOS's
 * vyatta-cfg-cmd-wrapper (vyatta-cfg scripts/vyatta-cfg-cmd-wrapper), all
 * in the one session that CMD_WRAPPER_SESSION_ID names: `begin`, the
 * delete/set/comment lines of lib's diff, `commit_with_error`, `save`,
 * `end`. The wrapper's plain `commit` is not used: it runs my_commit three
 * times and sends what it prints to /var/log/vyatta/vyatta-commit.log,
 * where the reason of a failure would be lost; `commit_with_error` runs it
 * once and prints. COMMIT_VIA names this project in VyOS's commit log
 * (vyos.config_mgmt).
 *
 * A failing step prints its output, discards the session and ends it, so
 * nothing is committed or saved; the lock message makes it exit
 * VCR_VYOS_EXIT_LOCKED. SIGTERM (the backend's deadline) discards and ends
 * the session too. A failing `save` after a successful commit exits
 * VCR_VYOS_EXIT_NOT_SAVED: the change is running but not in config.boot.
 *
 * The diff's lines are already shell words (values in single quotes, names
 * with backslash escapes: vcr_commands_quote_value(), _quote_word()), so the
 * script can be parsed back only into the intended words. What VyOS itself
 * cannot keep is refused before any session starts: a line break would
 * split a value in VyOS's store (one value a line in node.val), other
 * control characters have no place in a config, and VyOS's Python reads
 * every config as UTF-8.
 */
#define G_LOG_DOMAIN "vcr-backend-vyos"

#include "config.h"

#include "vcr-backend-vyos-private.h"
#include "vcr-diff.h"
#include "vcr-error.h"

/* A single-quoted shell word. */
static void
append_sh_quoted (GString *out, const char *text)
{
  g_string_append_c (out, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append (out, "'\\''");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

static void
append_prologue (GString *s, const char *wrapper)
{
  g_string_append (s, "#!/bin/sh\n"
                      "# vyos-config-replication: one configuration session (generated)\n"
                      "W=");
  append_sh_quoted (s, wrapper);
  g_string_append (s, "\n"
                      "CMD_WRAPPER_SESSION_ID=$$\n"
                      "COMMIT_VIA=vyos-config-replication\n"
                      "export CMD_WRAPPER_SESSION_ID COMMIT_VIA\n"
                      "throw_away () {\n"
                      "  \"$W\" discard >/dev/null 2>&1\n"
                      "  \"$W\" end >/dev/null 2>&1\n"
                      "}\n"
                      "stopped () {\n"
                      "  throw_away\n"
                      "  echo 'stopped at its deadline; the session was discarded'\n"
                      "  exit " G_STRINGIFY (VCR_VYOS_EXIT_STOPPED) "\n"
                      "}\n"
                      "trap stopped TERM\n"
                      "step () {\n"
                      "  if ! out=$(\"$W\" \"$@\" 2>&1); then\n"
                      "    printf '%s\\n' \"$out\"\n"
                      "    throw_away\n"
                      "    case $out in\n"
                      "      *'" VCR_VYOS_LOCKED_TEXT "'*) exit " G_STRINGIFY (VCR_VYOS_EXIT_LOCKED) " ;;\n"
                      "    esac\n"
                      "    exit 1\n"
                      "  fi\n"
                      "}\n"
                      "step begin\n");
}

static void
append_epilogue (GString *s)
{
  g_string_append (s, "step commit_with_error\n"
                      "if ! out=$(\"$W\" save 2>&1); then\n"
                      "  printf '%s\\n' \"$out\"\n"
                      "  \"$W\" end >/dev/null 2>&1\n"
                      "  exit " G_STRINGIFY (VCR_VYOS_EXIT_NOT_SAVED) "\n"
                      "fi\n"
                      "\"$W\" end >/dev/null 2>&1\n"
                      "exit 0\n");
}

/* TRUE when @line holds only UTF-8 without control characters but tab
 * (quoting adds only quotes and backslashes, so this is a check of every
 * name, value and comment in it). */
static gboolean
safe_for_vyos (const char *line, GError **error)
{
  gboolean ok = g_utf8_validate (line, -1, NULL);

  for (const char *p = line; ok && *p != '\0'; p++)
    ok = !((guchar) *p < 0x20 && *p != '\t') && *p != 0x7f;
  if (!ok)
    {
      g_autofree char *shown = g_strescape (line, NULL);

      if (strlen (shown) > 200)
        strcpy (shown + 197, "...");
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "Cannot apply through VyOS: a name, value or comment holds a line break, "
                   "another control character or bytes that are not UTF-8: %s", shown);
    }
  return ok;
}

char *
vcr_vyos_session_script (const VcrTree *running, const VcrTree *wanted, GPtrArray *paths,
                         const char *wrapper, guint *n_commands, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);

  *n_commands = 0;
  append_prologue (s, wrapper);
  for (guint i = 0; i < paths->len; i++)
    {
      g_auto(GStrv) lines = vcr_diff (running, wanted, g_ptr_array_index (paths, i));

      for (guint j = 0; lines[j] != NULL; j++)
        {
          if (!safe_for_vyos (lines[j], error))
            {
              *n_commands = 0;
              return NULL;
            }
          g_string_append (s, "step ");
          g_string_append (s, lines[j]);
          g_string_append_c (s, '\n');
          (*n_commands)++;
        }
    }
  if (*n_commands == 0)
    return NULL;
  append_epilogue (s);
  return g_string_free (g_steal_pointer (&s), FALSE);
}
