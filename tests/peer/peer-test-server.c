/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VcrPeerServer with a fake application behind it, for the loopback
 * tests: serves a canned snapshot and digests, takes posted snapshots
 * (answering asynchronously, from an idle callback) and appends one line per
 * handler call to --calls FILE ("post <generation>", "get-snapshot",
 * "get-digests"), so a test can prove that refused requests never reached
 * the handler. Prints "LISTEN ADDR:PORT" on stdout once bound, and again
 * after SIGUSR1, which re-binds the same server object to a new port (its
 * nonce memory kept). Options set the connection cap and deadlines, hold
 * posted snapshots for a while before answering (an apply), and let
 * protocol v1 in (allow-protocol-v1).
 */
#define G_LOG_DOMAIN "peer-test-server"

#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vcr-peer-server.h"

#define EPOCH "0123456789abcdef0123456789abcdef"
#define CANNED_TEXT "firewall {\n    name WAN {\n        default-action drop\n    }\n}\n"

static char *opt_mode = NULL;
static char *opt_calls = NULL;
static char *opt_secret = NULL;
static char *opt_listen = NULL;
static gint64 opt_body_limit = VCR_PEER_DEFAULT_BODY_LIMIT;
static gint opt_nonces = 0;
static gint opt_max_connections = 0;
static gint opt_headers_ms = 0;
static gint opt_transfer_ms = 0;
static gint opt_post_delay_ms = 0;
static gboolean opt_allow_v1 = FALSE;

typedef struct {
  VcrSnapshot *applied;
} App;

static void
record_call (const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  if (opt_calls == NULL)
    return;
  file = g_file_new_for_path (opt_calls);
  out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error);
  if (out == NULL ||
      !g_output_stream_write_all (G_OUTPUT_STREAM (out), text, strlen (text), NULL, NULL, &error))
    g_warning ("recording call: %s", error->message);
}

static gboolean
same_digests (const VcrSnapshot *a, const VcrSnapshot *b)
{
  if (a == NULL || a->entries->len != b->entries->len)
    return FALSE;
  for (guint i = 0; i < b->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (b->entries, i);
      const VcrSnapshotEntry *o = vcr_snapshot_lookup (a, e->path);

      if (o == NULL || g_strcmp0 (o->digest, e->digest) != 0)
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  App *app;
  VcrSnapshot *snapshot;
  VcrPeerReply *reply;
} PendingPost;

/* Answers later, as the real replicator does after writing the config. */
static gboolean
answer_post (gpointer data)
{
  PendingPost *p = data;
  gsize len;
  char *json;

  if (g_strcmp0 (opt_mode, "replica") != 0)
    vcr_peer_reply_error (p->reply, 409, "wrong-mode", "this node is not a replica");
  else if (same_digests (p->app->applied, p->snapshot))
    {
      json = vcr_post_result_to_json (FALSE, p->snapshot->generation, &len);
      vcr_peer_reply_json (p->reply, json, len);
    }
  else
    {
      json = vcr_post_result_to_json (TRUE, p->snapshot->generation, &len);
      vcr_snapshot_free (p->app->applied);
      p->app->applied = g_steal_pointer (&p->snapshot);
      vcr_peer_reply_json (p->reply, json, len);
    }
  vcr_snapshot_free (p->snapshot);
  g_free (p);
  return G_SOURCE_REMOVE;
}

static void
post_snapshot (VcrSnapshot *snapshot, VcrPeerReply *reply, gpointer user_data)
{
  PendingPost *p = g_new0 (PendingPost, 1);
  g_autofree char *line = g_strdup_printf ("post %" G_GUINT64_FORMAT, snapshot->generation);

  record_call (line);
  p->app = user_data;
  p->snapshot = snapshot;
  p->reply = reply;
  if (opt_post_delay_ms > 0)
    g_timeout_add (opt_post_delay_ms, answer_post, p);
  else
    g_idle_add (answer_post, p);
}

static void
get_snapshot (VcrPeerReply *reply, gpointer user_data)
{
  g_autoptr(VcrSnapshot) s = vcr_snapshot_new ("test-primary", EPOCH, 7);

  record_call ("get-snapshot");
  if (g_strcmp0 (opt_mode, "primary") != 0)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "this node is not the primary");
      return;
    }
  vcr_snapshot_add (s, "firewall name WAN", CANNED_TEXT, NULL);
  vcr_peer_reply_snapshot (reply, s);
}

static void
get_digests (VcrPeerReply *reply, gpointer user_data)
{
  g_autoptr(VcrDigests) d = vcr_digests_new (opt_mode, EPOCH, 7);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, CANNED_TEXT, -1);
  gsize len;
  char *json;

  record_call ("get-digests");
  vcr_digests_add (d, "firewall name WAN", digest);
  json = vcr_digests_to_json (d, &len);
  vcr_peer_reply_json (reply, json, len);
}

/* A replica's texts: nothing applied yet (epoch ""), one exclusion it
 * holds something at. */
static void
get_texts (VcrPeerReply *reply, gpointer user_data)
{
  g_autoptr(VcrSnapshot) s = vcr_snapshot_new ("test-replica", "", 0);
  const char *const excludes[] = { "firewall name WAN description", NULL };

  record_call ("get-texts");
  if (g_strcmp0 (opt_mode, "replica") != 0)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "this node is not a replica");
      return;
    }
  vcr_snapshot_add (s, "firewall name WAN", CANNED_TEXT, NULL);
  vcr_snapshot_set_excludes (s, excludes);
  vcr_snapshot_set_kept (s, excludes);
  vcr_peer_reply_snapshot (reply, s);
}

static void
print_address (VcrPeerServer *server)
{
  g_autofree char *address = vcr_peer_server_get_address (server);

  printf ("LISTEN %s\n", address);
  fflush (stdout);
}

/* SIGUSR1: listen again elsewhere, as the daemon does when its listen
 * address changes. */
static gboolean
on_rebind (gpointer user_data)
{
  VcrPeerServer *server = user_data;
  g_autoptr(GError) error = NULL;

  vcr_peer_server_stop (server);
  if (!vcr_peer_server_listen (server, opt_listen ? opt_listen : "127.0.0.1", 0, &error))
    g_printerr ("listen again: %s\n", error->message);
  else
    print_address (server);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_term (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "secret", 0, 0, G_OPTION_ARG_STRING, &opt_secret, "pre-shared secret", "S" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &opt_mode, "primary or replica", "M" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &opt_listen, "address (default 127.0.0.1)", "A" },
    { "calls", 0, 0, G_OPTION_ARG_FILENAME, &opt_calls, "append handler calls here", "F" },
    { "body-limit", 0, 0, G_OPTION_ARG_INT64, &opt_body_limit, "body limit", "N" },
    { "nonce-capacity", 0, 0, G_OPTION_ARG_INT, &opt_nonces, "replay memory", "N" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &opt_max_connections, "connection cap", "N" },
    { "headers-ms", 0, 0, G_OPTION_ARG_INT, &opt_headers_ms, "headers deadline", "MS" },
    { "transfer-ms", 0, 0, G_OPTION_ARG_INT, &opt_transfer_ms, "body/answer base deadline", "MS" },
    { "post-delay-ms", 0, 0, G_OPTION_ARG_INT, &opt_post_delay_ms, "answer posts after", "MS" },
    { "allow-v1", 0, 0, G_OPTION_ARG_NONE, &opt_allow_v1, "serve protocol v1 too", NULL },
    { NULL },
  };
  static const VcrPeerHandler handler = { post_snapshot, get_snapshot, get_digests, get_texts };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- peer test server");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrPeerServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  VcrPeerLimits limits = VCR_PEER_LIMITS_DEFAULT;
  App app = { NULL };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || opt_secret == NULL ||
      opt_mode == NULL || opt_body_limit <= 0)
    {
      g_printerr ("usage: %s --secret S --mode primary|replica [...]: %s\n", argv[0],
                  error != NULL ? error->message : "missing option");
      return 2;
    }
  server = vcr_peer_server_new (opt_secret, &handler, &app);
  vcr_peer_server_set_body_limit (server, (gsize) opt_body_limit);
  vcr_peer_server_set_allow_v1 (server, opt_allow_v1);
  if (opt_nonces > 0)
    vcr_peer_server_set_nonce_capacity (server, (guint) opt_nonces);
  if (opt_max_connections > 0)
    limits.max_connections = (guint) opt_max_connections;
  if (opt_headers_ms > 0)
    limits.headers_ms = (guint) opt_headers_ms;
  if (opt_transfer_ms > 0)
    limits.transfer_ms = (guint) opt_transfer_ms;
  vcr_peer_server_set_limits (server, &limits);
  if (!vcr_peer_server_listen (server, opt_listen ? opt_listen : "127.0.0.1", 0, &error))
    {
      g_printerr ("listen: %s\n", error->message);
      return 1;
    }
  print_address (server);
  g_unix_signal_add (SIGUSR1, on_rebind, server);
  g_unix_signal_add (SIGTERM, on_term, loop);
  g_unix_signal_add (SIGINT, on_term, loop);
  g_main_loop_run (loop);
  vcr_snapshot_free (app.applied);
  g_free (opt_mode);
  g_free (opt_calls);
  g_free (opt_secret);
  g_free (opt_listen);
  return 0;
}
