/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `push --dry-run`: what a push now would change on each replica, from
 * the daemon's Preview(); nothing changes anywhere. For each replica a
 * header line ("r1: 2 changes", "r2: no changes", "r3: unreachable: …",
 * "r4: refused: 409 path-mismatch: …")
 * and its command lines indented by two spaces; --json gives one object
 * per replica. Exit 0 when no replica would change, 1 when one would or
 * could not be asked (or the daemon refused: not a primary), 3 for a bus
 * failure.
 */
#define G_LOG_DOMAIN "vcr-client-preview"

#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "vcr-client-bus.h"
#include "vcr-client.h"
#include "vcr-preview.h"

/* One replica's entry: @commands, or one note (the replica could not be
 * asked, "# unreachable: …", or would refuse the push, "# refused: …"). */
static gboolean
is_note_entry (char **commands)
{
  return commands[0] != NULL && commands[1] == NULL && vcr_preview_is_note (commands[0]);
}

static void
print_entry (const char *replica, char **commands)
{
  guint n = g_strv_length (commands);

  if (is_note_entry (commands))
    {
      printf ("%s: %s\n", replica, commands[0] + (commands[0][1] == ' ' ? 2 : 1));
      return;
    }
  if (n == 0)
    printf ("%s: no changes\n", replica);
  else
    printf ("%s: %u change%s\n", replica, n, n == 1 ? "" : "s");
  for (guint i = 0; i < n; i++)
    printf ("  %s\n", commands[i]);
}

static void
json_entry (JsonBuilder *b, const char *replica, char **commands)
{
  gboolean note = is_note_entry (commands);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "replica");
  json_builder_add_string_value (b, replica);
  json_builder_set_member_name (b, "reachable");
  json_builder_add_boolean_value (b, !note || !g_str_has_prefix (commands[0], "# unreachable"));
  if (note)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, commands[0] + (commands[0][1] == ' ' ? 2 : 1));
    }
  json_builder_set_member_name (b, "commands");
  json_builder_begin_array (b);
  for (guint i = 0; !note && commands[i] != NULL; i++)
    json_builder_add_string_value (b, commands[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

int
vcr_client_push_dry_run (gboolean json)
{
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean nothing = TRUE;
  int code, r;

  code = vcr_client_bus_call ("Preview", &reply);
  if (code != VCR_EXIT_OK)
    return code;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  r = sd_bus_message_enter_container (reply, 'a', "(sas)");
  while (r > 0)
    {
      const char *replica = NULL;
      g_auto(GStrv) commands = NULL;

      r = sd_bus_message_enter_container (reply, 'r', "sas");
      if (r <= 0)
        break;
      r = sd_bus_message_read (reply, "s", &replica);
      if (r >= 0)
        r = sd_bus_message_read_strv (reply, &commands);
      if (r >= 0)
        r = sd_bus_message_exit_container (reply);
      if (r < 0)
        break;
      if (commands == NULL)   /* sd-bus reads an empty array as NULL */
        commands = g_new0 (char *, 1);
      nothing = nothing && commands[0] == NULL;
      if (json)
        json_entry (b, replica, commands);
      else
        print_entry (replica, commands);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (r < 0)
    return vcr_client_bus_failure (NULL, r);
  if (json)
    vcr_client_print_json (b);
  return nothing ? VCR_EXIT_OK : VCR_EXIT_NEGATIVE;
}
