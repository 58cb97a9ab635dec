/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The helper of bench-push.sh: times Push calls against a running primary
 * (each after a one-rule change, so every push really writes the replicas'
 * files), times the project's parser on a config file, serves as the
 * trivial HTTP server of the baseline, and fetches the primary's snapshot
 * (protocol v2) to write the frame a push sends, which curl then POSTs to
 * the trivial server. Prints figures, asserts nothing.
 *
 *   bench-push push N PRIMARY_CONFIG REPLICA_CONFIG
 *       N Push calls on $DBUS_SYSTEM_BUS_ADDRESS; before each, the marker
 *       `bench-mark-NNNNNNNN` in PRIMARY_CONFIG gets a new number; after
 *       each, REPLICA_CONFIG is checked for it. Prints each time (ms),
 *       "failed N" (pushes where a replica did not report ok, not timed)
 *       and "median MS".
 *   bench-push parse FILE N     N parses of FILE; prints "median MS"
 *   bench-push serve ADDR PORT  answers 200 to every request once its body
 *                               is read, until SIGTERM or SIGINT
 *   bench-push fetch SECRET HOST PORT FRAME
 *                               GET /v1/snapshot from HOST:PORT, then writes
 *                               to FRAME the sealed frame a push of it sends
 *                               (a lock and the sealed payload); prints its
 *                               size and that of the snapshot's v1 JSON
 */
#define G_LOG_DOMAIN "bench-push"

#include "config.h"

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <systemd/sd-bus.h>

#include "vcr-auth.h"
#include "vcr-peer-client.h"
#include "vcr-tree.h"

#define NAME "org.vyos.ConfigReplication"
#define PATH "/org/vyos/ConfigReplication"
#define MARK "bench-mark-"
#define MARK_DIGITS 8

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_doubles);
  if (values->len % 2 == 1)
    return g_array_index (values, double, values->len / 2);
  return (g_array_index (values, double, values->len / 2 - 1) +
          g_array_index (values, double, values->len / 2)) / 2;
}

/* Gives the marker in @file the next number (same width, so the file keeps
 * its size and shape) and returns the new marker. */
static char *
bump_marker (const char *file, GError **error)
{
  g_autofree char *text = NULL;
  char *at;
  unsigned long n;
  g_autofree char *digits = NULL;

  if (!g_file_get_contents (file, &text, NULL, error))
    return NULL;
  at = strstr (text, MARK);
  if (at == NULL || strlen (at) < strlen (MARK) + MARK_DIGITS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s has no %s marker", file, MARK);
      return NULL;
    }
  at += strlen (MARK);
  n = strtoul (at, NULL, 10);
  digits = g_strdup_printf ("%0*lu", MARK_DIGITS, (n + 1) % 100000000);
  memcpy (at, digits, MARK_DIGITS);
  if (!g_file_set_contents (file, text, -1, error))
    return NULL;
  return g_strconcat (MARK, digits, NULL);
}

/* One Push call; returns its wall time in ms, or < 0 when it failed or a
 * replica did not report ok. */
static double
push_once (sd_bus *bus)
{
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  gint64 start = g_get_monotonic_time ();
  double ms;
  const char *replica, *message;
  int ok, r;
  guint64 generation;
  guint failed = 0;

  r = sd_bus_call_method (bus, NAME, PATH, NAME, "Push", &error, &reply, "");
  ms = (g_get_monotonic_time () - start) / 1000.0;
  if (r < 0)
    {
      fprintf (stderr, "Push failed: %s\n", error.message);
      sd_bus_error_free (&error);
      return -1;
    }
  r = sd_bus_message_enter_container (reply, 'a', "(sbts)");
  while (r > 0 &&
         (r = sd_bus_message_read (reply, "(sbts)", &replica, &ok, &generation, &message)) > 0)
    if (!ok)
      {
        fprintf (stderr, "Push to %s failed: %s\n", replica, message);
        failed++;
      }
  sd_bus_message_unref (reply);
  return r < 0 || failed > 0 ? -1 : ms;
}

static int
bench_push (guint n, const char *primary_config, const char *replica_config)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  sd_bus *bus = NULL;
  guint failed = 0;
  int r = sd_bus_open_system (&bus);

  if (r < 0)
    {
      fprintf (stderr, "Cannot connect to the system bus: %s\n", g_strerror (-r));
      return 1;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *marker = bump_marker (primary_config, &error);
      g_autofree char *replica_text = NULL;
      double ms;

      if (marker == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          break;
        }
      ms = push_once (bus);
      if (ms < 0)
        {
          /* Counted, not timed: a failed push says nothing about speed. */
          failed++;
          continue;
        }
      if (!g_file_get_contents (replica_config, &replica_text, NULL, &error) ||
          strstr (replica_text, marker) == NULL)
        fprintf (stderr, "warning: %s lacks %s after the push\n", replica_config, marker);
      printf ("push %u: %.1f ms\n", i + 1, ms);
      g_array_append_val (times, ms);
    }
  sd_bus_flush_close_unref (bus);
  printf ("failed %u\n", failed);
  if (times->len == 0)
    return 1;
  printf ("median %.2f\n", median (times));
  return 0;
}

static int
bench_parse (const char *file, guint n)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  if (!g_file_get_contents (file, &text, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, file, &error);
      double ms = (g_get_monotonic_time () - start) / 1000.0;

      if (tree == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      g_array_append_val (times, ms);
    }
  printf ("median %.2f\n", median (times));
  return 0;
}

/* SoupServer reads the whole body before it calls a handler. The
 * connection is closed after each answer, as the peer server does. */
static void
on_request (SoupServer *server, SoupServerMessage *msg, const char *path,
            GHashTable *query, gpointer user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  g_debug ("%s %s: %" G_GINT64_FORMAT " bytes", soup_server_message_get_method (msg), path,
           body->length);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

static gboolean
on_quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
bench_serve (const char *address, guint port)
{
  g_autoptr(SoupServer) server = soup_server_new ("server-header", NULL, NULL);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) where = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  if (inet == NULL || port > G_MAXUINT16)
    {
      fprintf (stderr, "not an IP address and port: %s %u\n", address, port);
      return 1;
    }
  where = g_inet_socket_address_new (inet, (guint16) port);
  soup_server_add_handler (server, NULL, on_request, NULL, NULL);
  if (!soup_server_listen (server, where, 0, &error))
    {
      fprintf (stderr, "Cannot listen on %s:%u: %s\n", address, port, error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, on_quit, loop);
  g_unix_signal_add (SIGINT, on_quit, loop);
  g_main_loop_run (loop);
  return 0;
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static int
bench_fetch (const char *secret, const char *host, guint16 port, const char *out)
{
  g_autoptr(VcrPeerClient) client = vcr_peer_client_new (secret);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  g_autoptr(VcrSealedPayload) sealed = NULL;
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (secret);
  g_autoptr(GBytes) lock = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  g_autofree char *json = NULL;
  VcrSealBinding binding = { "POST", "/v1/snapshot", "127.0.0.2:7790", 0,
                             "00000000000000000000000000000000", 0 };
  guint8 iv[VCR_SEAL_IV_BYTES] = { 0 };
  gsize json_len = 0;

  vcr_peer_client_get_snapshot_async (client, host, port, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  snapshot = vcr_peer_client_get_snapshot_finish (client, result, &error);
  if (snapshot == NULL || (sealed = vcr_peer_seal_snapshot (snapshot, &error)) == NULL)
    {
      fprintf (stderr, "fetch: %s\n", error->message);
      return 1;
    }
  lock = vcr_seal_lock (keys, VCR_SEAL_REQUEST, &binding, sealed, iv);
  payload = vcr_sealed_payload_get_bytes (sealed);
  g_byte_array_append (frame, g_bytes_get_data (lock, NULL), g_bytes_get_size (lock));
  g_byte_array_append (frame, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  if (!g_file_set_contents (out, (const char *) frame->data, frame->len, &error))
    {
      fprintf (stderr, "fetch: %s\n", error->message);
      return 1;
    }
  json = vcr_snapshot_to_json (snapshot, &json_len);
  printf ("frame %u bytes, v1 JSON %" G_GSIZE_FORMAT " bytes\n", frame->len, json_len);
  return 0;
}

static guint
parse_count (const char *text)
{
  guint64 n = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 100000, &n, NULL))
    {
      fprintf (stderr, "not a count from 1 to 100000: %s\n", text);
      exit (2);
    }
  return (guint) n;
}

int
main (int argc, char **argv)
{
  const char *verb = argc > 1 ? argv[1] : "";

  if (g_str_equal (verb, "push") && argc == 5)
    return bench_push (parse_count (argv[2]), argv[3], argv[4]);
  if (g_str_equal (verb, "parse") && argc == 4)
    return bench_parse (argv[2], parse_count (argv[3]));
  if (g_str_equal (verb, "serve") && argc == 4)
    return bench_serve (argv[2], parse_count (argv[3]));
  if (g_str_equal (verb, "fetch") && argc == 6)
    return bench_fetch (argv[2], argv[3], (guint16) parse_count (argv[4]), argv[5]);
  fprintf (stderr,
           "usage: bench-push push N PRIMARY_CONFIG REPLICA_CONFIG\n"
           "       bench-push parse FILE N\n"
           "       bench-push serve ADDRESS PORT\n"
           "       bench-push fetch SECRET HOST PORT FRAME\n");
  return 2;
}
