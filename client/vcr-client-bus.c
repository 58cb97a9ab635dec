/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client verbs that talk to the daemon over the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS is honoured): status, is-managed, check-commit,
 * reload, push (its --dry-run: vcr-client-preview.c), pull, verify,
 * history, monitor. Each prints text or, with
 * --json, one JSON document (monitor: one per line), and returns the exit
 * code of SPEC §6: a bus that cannot be reached or a D-Bus error is 3;
 * the daemon's own named errors for push/pull/reload/verify are a failed
 * result (1), InvalidConfig for check-commit is bad input (4).
 */
#define G_LOG_DOMAIN "vcr-client-bus"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "vcr-client-bus.h"
#include "vcr-client.h"
#include "vcr-error.h"
#include "vcr-path.h"

#define BUS_NAME "org.vyos.ConfigReplication"
#define BUS_PATH "/org/vyos/ConfigReplication"
#define BUS_INTERFACE "org.vyos.ConfigReplication"


/* ---- Helpers ---------------------------------------------------------- */

static sd_bus *
open_bus (void)
{
  sd_bus *bus = NULL;
  int r = sd_bus_open_system (&bus);
  if (r < 0)
    {
      g_printerr ("Error: cannot connect to the system bus: %s\n", g_strerror (-r));
      return NULL;
    }
  /* polkit may ask the user (auth_admin_keep) when an agent runs. */
  sd_bus_set_allow_interactive_authorization (bus, TRUE);
  return bus;
}

static int
bus_failure (const sd_bus_error *error, int r)
{
  if (error != NULL && sd_bus_error_is_set (error))
    g_printerr ("Error: %s (%s)\n", error->message != NULL ? error->message : "",
                error->name);
  else
    g_printerr ("Error: D-Bus call failed: %s\n", g_strerror (-r));
  return VCR_EXIT_DAEMON;
}

/* Our own named errors mean "the operation failed"; anything else (no
 * daemon, access denied, timeout) is a bus failure. */
static int
call_failure (const sd_bus_error *error, int r, int own_error_exit)
{
  VcrError code;
  if (error != NULL && sd_bus_error_is_set (error) &&
      vcr_error_from_dbus_name (error->name, &code))
    {
      g_printerr ("Error: %s\n", error->message != NULL ? error->message : error->name);
      return own_error_exit;
    }
  return bus_failure (error, r);
}

static void
print_json (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
print_json_line (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = NULL;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
  fflush (stdout);
}

static gboolean
no_extra_args (int argc, char **argv, int expected)
{
  if (argc > expected)
    {
      g_printerr ("Unexpected argument \"%s\" for %s\n", argv[expected], argv[0]);
      return FALSE;
    }
  return TRUE;
}

static void
json_add_strv (JsonBuilder *b, char **strv)
{
  json_builder_begin_array (b);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (b, strv[i]);
  json_builder_end_array (b);
}

static char *
format_time (uint64_t usec)
{
  g_autoptr(GDateTime) dt = NULL;
  if (usec == 0)
    return g_strdup ("never");
  dt = g_date_time_new_from_unix_local ((gint64) (usec / G_USEC_PER_SEC));
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

/* ---- status ----------------------------------------------------------- */

typedef struct {
  char *name, *address, *state, *last_error;
  uint64_t acknowledged, last_success;
} Peer;

static void
peer_clear (Peer *p)
{
  g_free (p->name);
  g_free (p->address);
  g_free (p->state);
  g_free (p->last_error);
}

static int
read_peers (sd_bus *bus, GArray *peers, sd_bus_error *error)
{
  g_autoptr(sd_bus_message) reply = NULL;
  int r = sd_bus_get_property (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Peers", error,
                               &reply, "a(ssstts)");
  if (r < 0)
    return r;
  r = sd_bus_message_enter_container (reply, 'a', "(ssstts)");
  while (r >= 0)
    {
      const char *name, *address, *state, *last_error;
      Peer p = { 0 };
      r = sd_bus_message_read (reply, "(ssstts)", &name, &address, &state,
                               &p.acknowledged, &p.last_success, &last_error);
      if (r <= 0)
        break;
      p.name = g_strdup (name);
      p.address = g_strdup (address);
      p.state = g_strdup (state);
      p.last_error = g_strdup (last_error);
      g_array_append_val (peers, p);
    }
  return r;
}

int
vcr_client_status (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus) bus = NULL;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  g_autofree char *mode = NULL, *state = NULL, *listen = NULL, *version = NULL;
  g_auto(GStrv) paths = NULL;
  g_auto(GStrv) warnings = NULL;
  g_autoptr(GArray) peers = g_array_new (FALSE, TRUE, sizeof (Peer));
  uint64_t generation = 0;
  int r;

  g_array_set_clear_func (peers, (GDestroyNotify) peer_clear);
  if (!no_extra_args (argc, argv, 1))
    return VCR_EXIT_USAGE;
  if ((bus = open_bus ()) == NULL)
    return VCR_EXIT_DAEMON;
  r = sd_bus_get_property_string (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Mode", &error, &mode);
  if (r >= 0)
    r = sd_bus_get_property_string (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "State", &error, &state);
  if (r >= 0)
    r = sd_bus_get_property_trivial (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Generation",
                                     &error, 't', &generation);
  if (r >= 0)
    r = sd_bus_get_property_strv (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "ReplicatedPaths",
                                  &error, &paths);
  if (r >= 0)
    r = sd_bus_get_property_string (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "ListenAddress",
                                    &error, &listen);
  if (r >= 0)
    r = sd_bus_get_property_string (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Version",
                                    &error, &version);
  if (r >= 0)
    r = sd_bus_get_property_strv (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Warnings",
                                  &error, &warnings);
  if (r >= 0)
    r = read_peers (bus, peers, &error);
  if (r < 0)
    {
      int code = bus_failure (&error, r);
      sd_bus_error_free (&error);
      return code;
    }

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "mode");
      json_builder_add_string_value (b, mode);
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, state);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) generation);
      json_builder_set_member_name (b, "replicated_paths");
      json_add_strv (b, paths);
      json_builder_set_member_name (b, "listen_address");
      json_builder_add_string_value (b, listen);
      json_builder_set_member_name (b, "version");
      json_builder_add_string_value (b, version);
      json_builder_set_member_name (b, "warnings");
      json_add_strv (b, warnings);
      json_builder_set_member_name (b, "peers");
      json_builder_begin_array (b);
      for (guint i = 0; i < peers->len; i++)
        {
          Peer *p = &g_array_index (peers, Peer, i);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, p->name);
          json_builder_set_member_name (b, "address");
          json_builder_add_string_value (b, p->address);
          json_builder_set_member_name (b, "state");
          json_builder_add_string_value (b, p->state);
          json_builder_set_member_name (b, "acknowledged_generation");
          json_builder_add_int_value (b, (gint64) p->acknowledged);
          json_builder_set_member_name (b, "last_success");
          json_builder_add_int_value (b, (gint64) p->last_success);
          json_builder_set_member_name (b, "last_error");
          json_builder_add_string_value (b, p->last_error);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
      return VCR_EXIT_OK;
    }
  printf ("Mode:           %s\n", mode);
  printf ("State:          %s\n", state);
  printf ("Generation:     %" G_GUINT64_FORMAT "\n", (guint64) generation);
  printf ("Listen address: %s\n", *listen != '\0' ? listen : "(not listening)");
  printf ("Version:        %s\n", version);
  for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
    printf ("Warning:        %s\n", warnings[i]);
  printf ("Replicated paths:\n");
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    printf ("  %s\n", paths[i]);
  if (paths == NULL || paths[0] == NULL)
    printf ("  (none)\n");
  printf ("Peers:\n");
  for (guint i = 0; i < peers->len; i++)
    {
      Peer *p = &g_array_index (peers, Peer, i);
      g_autofree char *when = format_time (p->last_success);
      printf ("  %s (%s): %s, acknowledged generation %" G_GUINT64_FORMAT
              ", last success %s%s%s\n", p->name, p->address, p->state,
              (guint64) p->acknowledged, when,
              *p->last_error != '\0' ? ", last error: " : "", p->last_error);
    }
  if (peers->len == 0)
    printf ("  (none)\n");
  return VCR_EXIT_OK;
}

/* ---- is-managed ------------------------------------------------------- */

/* Each argument may hold several words ("firewall name WAN"). */
static GPtrArray *
collect_words (int argc, char **argv)
{
  GPtrArray *words = g_ptr_array_new_null_terminated (8, g_free, TRUE);
  for (int i = 1; i < argc; i++)
    {
      g_auto(GStrv) parts = g_strsplit_set (argv[i], " \t\n\r\f\v", -1);
      for (guint j = 0; parts[j] != NULL; j++)
        if (*parts[j] != '\0')
          g_ptr_array_add (words, g_strdup (parts[j]));
    }
  return words;
}

int
vcr_client_is_managed (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus) bus = NULL;
  g_autoptr(sd_bus_message) call = NULL;
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(GPtrArray) words = collect_words (argc, argv);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  const char *path = NULL;
  int managed = 0;
  int r;

  if (words->len == 0)
    {
      g_printerr ("Usage: vyos-config-replication is-managed WORD…\n");
      return VCR_EXIT_USAGE;
    }
  if ((bus = open_bus ()) == NULL)
    return VCR_EXIT_DAEMON;
  r = sd_bus_message_new_method_call (bus, &call, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                                      "IsPathManaged");
  if (r >= 0)
    r = sd_bus_message_append_strv (call, (char **) words->pdata);
  if (r >= 0)
    r = sd_bus_call (bus, call, 0, &error, &reply);
  if (r >= 0)
    r = sd_bus_message_read (reply, "bs", &managed, &path);
  if (r < 0)
    {
      int code = call_failure (&error, r, VCR_EXIT_USAGE);
      sd_bus_error_free (&error);
      return code;
    }
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "managed");
      json_builder_add_boolean_value (b, managed);
      json_builder_set_member_name (b, "replicate_path");
      json_builder_add_string_value (b, managed ? path : "");
      json_builder_end_object (b);
      print_json (b);
    }
  else if (managed)
    printf ("managed by \"%s\"\n", path);
  else
    printf ("not managed\n");
  return managed ? VCR_EXIT_OK : VCR_EXIT_NEGATIVE;
}

/* ---- check-commit ----------------------------------------------------- */

int
vcr_client_check_commit (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus) bus = NULL;
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  int fd, r;

  if (argc != 2)
    {
      g_printerr ("Usage: vyos-config-replication check-commit FILE\n");
      return VCR_EXIT_USAGE;
    }
  fd = open (argv[1], O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      g_printerr ("Error: cannot open %s: %s\n", argv[1], g_strerror (errno));
      return VCR_EXIT_INPUT;
    }
  if ((bus = open_bus ()) == NULL)
    {
      close (fd);
      return VCR_EXIT_DAEMON;
    }
  r = sd_bus_call_method (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "CheckCommit",
                          &error, &reply, "h", fd);
  close (fd);
  if (r >= 0)
    r = sd_bus_message_enter_container (reply, 'a', "(ss)");
  while (r >= 0)
    {
      const char *path, *message;
      r = sd_bus_message_read (reply, "(ss)", &path, &message);
      if (r <= 0)
        break;
      g_ptr_array_add (paths, g_strdup (path));
      g_ptr_array_add (messages, g_strdup (message));
    }
  if (r < 0)
    {
      int code = sd_bus_error_has_name (&error, VCR_DBUS_ERROR_PREFIX "InvalidConfig")
                 ? (g_printerr ("Error: %s\n", error.message), VCR_EXIT_INPUT)
                 : call_failure (&error, r, VCR_EXIT_DAEMON);
      sd_bus_error_free (&error);
      return code;
    }
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "violations");
      json_builder_begin_array (b);
      for (guint i = 0; i < paths->len; i++)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "replicate_path");
          json_builder_add_string_value (b, g_ptr_array_index (paths, i));
          json_builder_set_member_name (b, "message");
          json_builder_add_string_value (b, g_ptr_array_index (messages, i));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
    }
  else
    for (guint i = 0; i < messages->len; i++)
      printf ("%s\n", (const char *) g_ptr_array_index (messages, i));
  return paths->len == 0 ? VCR_EXIT_OK : VCR_EXIT_NEGATIVE;
}

/* ---- reload, push, pull ----------------------------------------------- */

static int
call_simple (const char *method, sd_bus_message **reply)
{
  g_autoptr(sd_bus) bus = open_bus ();
  g_autoptr(sd_bus_message) call = NULL;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  int r;

  if (bus == NULL)
    return VCR_EXIT_DAEMON;
  r = sd_bus_message_new_method_call (bus, &call, BUS_NAME, BUS_PATH, BUS_INTERFACE, method);
  if (r >= 0)
    r = sd_bus_message_set_allow_interactive_authorization (call, TRUE);
  /* A push or pull may wait on slow peers: no short client timeout. */
  if (r >= 0)
    r = sd_bus_call (bus, call, UINT64_C (600) * 1000 * 1000, &error, reply);
  if (r < 0)
    {
      int code = call_failure (&error, r, VCR_EXIT_NEGATIVE);
      sd_bus_error_free (&error);
      return code;
    }
  return VCR_EXIT_OK;
}

int
vcr_client_bus_call (const char *method, sd_bus_message **reply)
{
  return call_simple (method, reply);
}

int
vcr_client_bus_failure (const sd_bus_error *error, int r)
{
  return bus_failure (error, r);
}

void
vcr_client_print_json (JsonBuilder *b)
{
  print_json (b);
}

int
vcr_client_reload (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus_message) reply = NULL;
  int code;

  if (!no_extra_args (argc, argv, 1))
    return VCR_EXIT_USAGE;
  code = call_simple ("Reload", &reply);
  if (code != VCR_EXIT_OK)
    return code;
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_end_object (b);
      print_json (b);
    }
  else
    printf ("Reloaded\n");
  return VCR_EXIT_OK;
}

int
vcr_client_push (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean all_ok = TRUE;
  int code, r;

  if (argc >= 2 && g_strcmp0 (argv[1], "--dry-run") == 0)
    return no_extra_args (argc, argv, 2) ? vcr_client_push_dry_run (json) : VCR_EXIT_USAGE;
  if (!no_extra_args (argc, argv, 1))
    return VCR_EXIT_USAGE;
  code = call_simple ("Push", &reply);
  if (code != VCR_EXIT_OK)
    return code;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  r = sd_bus_message_enter_container (reply, 'a', "(sbts)");
  while (r >= 0)
    {
      const char *replica, *message;
      int ok;
      uint64_t generation;
      r = sd_bus_message_read (reply, "(sbts)", &replica, &ok, &generation, &message);
      if (r <= 0)
        break;
      all_ok = all_ok && ok;
      if (!json)
        printf ("%s: %s, generation %" G_GUINT64_FORMAT "%s%s\n", replica,
                ok ? "ok" : "failed", (guint64) generation, *message ? ": " : "", message);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "replica");
      json_builder_add_string_value (b, replica);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) generation);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (r < 0)
    return bus_failure (NULL, r);
  if (json)
    print_json (b);
  return all_ok ? VCR_EXIT_OK : VCR_EXIT_NEGATIVE;
}

int
vcr_client_pull (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus_message) reply = NULL;
  int changed = 0;
  uint64_t generation = 0;
  int code, r;

  if (!no_extra_args (argc, argv, 1))
    return VCR_EXIT_USAGE;
  code = call_simple ("Pull", &reply);
  if (code != VCR_EXIT_OK)
    return code;
  r = sd_bus_message_read (reply, "bt", &changed, &generation);
  if (r < 0)
    return bus_failure (NULL, r);
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "changed");
      json_builder_add_boolean_value (b, changed);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) generation);
      json_builder_end_object (b);
      print_json (b);
    }
  else
    printf ("%s, generation %" G_GUINT64_FORMAT "\n",
            changed ? "Changed" : "Unchanged", (guint64) generation);
  return VCR_EXIT_OK;
}

/* ---- verify ----------------------------------------------------------- */

int
vcr_client_verify (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean all_in_sync = TRUE;
  int code, r;

  if (!no_extra_args (argc, argv, 1))
    return VCR_EXIT_USAGE;
  code = call_simple ("Verify", &reply);
  if (code != VCR_EXIT_OK)
    return code;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  r = sd_bus_message_enter_container (reply, 'a', "(ssb)");
  while (r >= 0)
    {
      const char *peer, *path;
      int in_sync;
      r = sd_bus_message_read (reply, "(ssb)", &peer, &path, &in_sync);
      if (r <= 0)
        break;
      all_in_sync = all_in_sync && in_sync;
      if (!json)
        printf ("%s: \"%s\" %s\n", peer, path, in_sync ? "in sync" : "differs");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "peer");
      json_builder_add_string_value (b, peer);
      json_builder_set_member_name (b, "replicate_path");
      json_builder_add_string_value (b, path);
      json_builder_set_member_name (b, "in_sync");
      json_builder_add_boolean_value (b, in_sync);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (r < 0)
    return bus_failure (NULL, r);
  if (json)
    print_json (b);
  return all_in_sync ? VCR_EXIT_OK : VCR_EXIT_NEGATIVE;
}

/* ---- history ---------------------------------------------------------- */

typedef struct {
  uint64_t time, generation;
  char *event, *peer, *result;
  char **paths;
} Event;

static void
event_clear (Event *e)
{
  g_free (e->event);
  g_free (e->peer);
  g_free (e->result);
  g_strfreev (e->paths);
}

/* One a{sv} of GetHistory; unknown keys are skipped (newer daemons). */
static int
read_event (sd_bus_message *reply, Event *e)
{
  int r = sd_bus_message_enter_container (reply, 'a', "{sv}");
  if (r <= 0)
    return r;
  while ((r = sd_bus_message_enter_container (reply, 'e', "sv")) > 0)
    {
      const char *key, *s;
      r = sd_bus_message_read (reply, "s", &key);
      if (r < 0)
        return r;
      if (g_str_equal (key, "time") || g_str_equal (key, "generation"))
        r = sd_bus_message_read (reply, "v", "t",
                                 g_str_equal (key, "time") ? &e->time : &e->generation);
      else if (g_str_equal (key, "paths"))
        {
          r = sd_bus_message_enter_container (reply, 'v', "as");
          if (r >= 0)
            r = sd_bus_message_read_strv (reply, &e->paths);
          if (r >= 0)
            r = sd_bus_message_exit_container (reply);
        }
      else if (g_str_equal (key, "event") || g_str_equal (key, "peer") ||
               g_str_equal (key, "result"))
        {
          char **slot = g_str_equal (key, "event") ? &e->event
                        : g_str_equal (key, "peer") ? &e->peer : &e->result;
          r = sd_bus_message_read (reply, "v", "s", &s);
          if (r >= 0)
            {
              g_free (*slot);
              *slot = g_strdup (s);
            }
        }
      else
        r = sd_bus_message_skip (reply, "v");
      if (r >= 0)
        r = sd_bus_message_exit_container (reply);
      if (r < 0)
        return r;
    }
  if (r < 0)
    return r;
  r = sd_bus_message_exit_container (reply);
  return r < 0 ? r : 1;
}

static void
print_event (const Event *e, JsonBuilder *b)
{
  if (b == NULL)
    {
      g_autofree char *when = format_time (e->time);
      g_autofree char *paths = e->paths != NULL ? g_strjoinv ("\", \"", e->paths) : NULL;
      printf ("%s %s%s%s generation %" G_GUINT64_FORMAT "%s%s%s: %s\n", when,
              e->event != NULL ? e->event : "?",
              e->peer != NULL && *e->peer ? " " : "", e->peer != NULL ? e->peer : "",
              (guint64) e->generation,
              paths != NULL && *paths ? " \"" : "", paths != NULL ? paths : "",
              paths != NULL && *paths ? "\"" : "", e->result != NULL ? e->result : "");
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, (gint64) e->time);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, e->event != NULL ? e->event : "");
  json_builder_set_member_name (b, "peer");
  json_builder_add_string_value (b, e->peer != NULL ? e->peer : "");
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) e->generation);
  json_builder_set_member_name (b, "paths");
  json_add_strv (b, e->paths);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, e->result != NULL ? e->result : "");
  json_builder_end_object (b);
}

int
vcr_client_history (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus) bus = NULL;
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  sd_bus_error error = SD_BUS_ERROR_NULL;
  guint64 max = 0;
  int r;

  if (argc == 3 && g_str_equal (argv[1], "-n"))
    {
      g_autoptr(GError) parse_error = NULL;
      if (!g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT32, &max, &parse_error))
        {
          g_printerr ("Invalid -n \"%s\": %s\n", argv[2], parse_error->message);
          return VCR_EXIT_USAGE;
        }
    }
  else if (argc != 1)
    {
      g_printerr ("Usage: vyos-config-replication history [-n N]\n");
      return VCR_EXIT_USAGE;
    }
  if ((bus = open_bus ()) == NULL)
    return VCR_EXIT_DAEMON;
  r = sd_bus_call_method (bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "GetHistory",
                          &error, &reply, "u", (uint32_t) max);
  if (r < 0)
    {
      int code = bus_failure (&error, r);
      sd_bus_error_free (&error);
      return code;
    }
  json_builder_begin_array (b);
  r = sd_bus_message_enter_container (reply, 'a', "a{sv}");
  while (r >= 0)
    {
      Event e = { 0 };
      r = read_event (reply, &e);
      if (r > 0)
        print_event (&e, json ? b : NULL);
      event_clear (&e);
      if (r <= 0)
        break;
    }
  json_builder_end_array (b);
  if (r < 0)
    return bus_failure (NULL, r);
  if (json)
    print_json (b);
  return VCR_EXIT_OK;
}

/* ---- monitor ---------------------------------------------------------- */

static volatile sig_atomic_t monitor_stop;

static void
on_stop_signal (int signo)
{
  monitor_stop = 1;
}

static void
monitor_print (const char *member, sd_bus_message *m, gboolean json)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_auto(GStrv) strv = NULL;
  const char *s1 = NULL, *s2 = NULL;
  int ok = 0;
  uint64_t generation = 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "signal");
  json_builder_add_string_value (b, member);
  if (g_str_equal (member, "CommitRefused") &&
      sd_bus_message_read_strv (m, &strv) >= 0)
    {
      g_autofree char *joined = g_strjoinv ("\", \"", strv);
      if (!json)
        printf ("CommitRefused: \"%s\"\n", joined);
      json_builder_set_member_name (b, "replicate_paths");
      json_add_strv (b, strv);
    }
  else if (g_str_equal (member, "PushFinished") &&
           sd_bus_message_read (m, "sbts", &s1, &ok, &generation, &s2) >= 0)
    {
      if (!json)
        printf ("PushFinished: %s %s, generation %" G_GUINT64_FORMAT ": %s\n", s1,
                ok ? "ok" : "failed", (guint64) generation, s2);
      json_builder_set_member_name (b, "replica");
      json_builder_add_string_value (b, s1);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) generation);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, s2);
    }
  else if (g_str_equal (member, "PullFinished") &&
           sd_bus_message_read (m, "bts", &ok, &generation, &s2) >= 0)
    {
      if (!json)
        printf ("PullFinished: %s, generation %" G_GUINT64_FORMAT ": %s\n",
                ok ? "ok" : "failed", (guint64) generation, s2);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) generation);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, s2);
    }
  else if (g_str_equal (member, "SnapshotApplied") &&
           sd_bus_message_read (m, "t", &generation) >= 0 &&
           sd_bus_message_read_strv (m, &strv) >= 0 &&
           sd_bus_message_read (m, "s", &s1) >= 0)
    {
      g_autofree char *joined = g_strjoinv ("\", \"", strv);
      if (!json)
        printf ("SnapshotApplied: generation %" G_GUINT64_FORMAT " from %s: \"%s\"\n",
                (guint64) generation, s1, joined);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) generation);
      json_builder_set_member_name (b, "paths");
      json_add_strv (b, strv);
      json_builder_set_member_name (b, "origin");
      json_builder_add_string_value (b, s1);
    }
  else
    {
      if (!json)
        printf ("%s\n", member);
    }
  json_builder_end_object (b);
  if (json)
    print_json_line (b);
  fflush (stdout);
}

static int
monitor_cb (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  gboolean *json = userdata;
  const char *member = sd_bus_message_get_member (m);
  if (member != NULL)
    monitor_print (member, m, *json);
  return 0;
}

int
vcr_client_monitor (int argc, char **argv, gboolean json)
{
  g_autoptr(sd_bus) bus = NULL;
  struct sigaction sa = { 0 };
  int r;

  if (!no_extra_args (argc, argv, 1))
    return VCR_EXIT_USAGE;
  if ((bus = open_bus ()) == NULL)
    return VCR_EXIT_DAEMON;
  r = sd_bus_add_match (bus, NULL,
                        "type='signal',sender='" BUS_NAME "',path='" BUS_PATH "',"
                        "interface='" BUS_INTERFACE "'", monitor_cb, &json);
  if (r < 0)
    return bus_failure (NULL, r);
  /* No SA_RESTART: the signal must interrupt the wait below. */
  sa.sa_handler = on_stop_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  g_printerr ("Monitoring %s; interrupt to stop\n", BUS_NAME);
  while (!monitor_stop)
    {
      r = sd_bus_process (bus, NULL);
      if (r < 0)
        return bus_failure (NULL, r);
      if (r > 0)
        continue;
      r = sd_bus_wait (bus, UINT64_C (1000) * 1000);
      if (r < 0 && r != -EINTR)
        return bus_failure (NULL, r);
    }
  return VCR_EXIT_OK;
}
