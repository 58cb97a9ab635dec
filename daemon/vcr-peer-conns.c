/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The connection table of the peer server (see vcr-peer-conns.h).
 *
 * libsoup gets a GSimpleIOStream over the socket's streams, not the socket
 * connection itself: closing it does not close the descriptor, which we
 * close once libsoup has let the connection go (its message's
 * "disconnected", after libsoup removed its own sources), so a descriptor
 * is never closed under a source that still polls it, and never left open
 * by libsoup. A message is matched to its connection by the remote
 * address object we gave soup_server_accept_iostream() (a connection made
 * from a stream has no GSocket for soup_server_message_get_socket()).
 */
#define G_LOG_DOMAIN "vcr-peer-conns"

#include "vcr-peer-conns.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "vcr-memory.h"
#include "vcr-peer-listener.h"

#define CONN_KEY "vcr-peer-conn"
/* At the cap with only connections whose request is not read yet: look
 * again this much later. */
#define RETRY_MS 10
/* A client like any peer sends its request as soon as it is connected;
 * one accepted this recently may not have had time to, and is not taken
 * for a silent one. */
#define HEADERS_GRACE_US (200 * 1000)

typedef struct {
  VcrPeerConns *owner;
  GList link;                  /* in owner->conns, oldest first */
  GSocketConnection *stream;   /* owns the descriptor */
  gint64 accepted;             /* monotonic µs */
  GSocketAddress *remote;
  char *peer;                  /* "ADDR:PORT", for the log */
  SoupServerMessage *msg;      /* its one request */
  VcrPeerPhase phase;
  gboolean authenticated;
  gboolean cut;                /* shut down; libsoup has yet to let go */
  GSource *deadline;
} Conn;

struct _VcrPeerConns {
  SoupServer *soup;
  VcrPeerLimits limits;
  GQueue conns;
  GHashTable *by_remote;       /* GSocketAddress* (ours) → Conn* */
  guint open;                  /* not cut */
  Conn *taking;                /* inside soup_server_accept_iostream() */
  GSource *retry;              /* may_accept() said no for a moment */
  gulong started_id;
  void (*room) (gpointer user_data);
  gpointer user_data;
};

static const char *const phase_names[] = {
  [VCR_PEER_PHASE_HEADERS] = "request headers",
  [VCR_PEER_PHASE_BODY] = "request body",
  [VCR_PEER_PHASE_HANDLER] = "answer",
  [VCR_PEER_PHASE_RESPONDING] = "answer to be taken",
};

static void
clear_deadline (Conn *conn)
{
  if (conn->deadline != NULL)
    g_source_destroy (conn->deadline);
  g_clear_pointer (&conn->deadline, g_source_unref);
}

/* Shuts the socket down: libsoup's next read or write fails, and it ends
 * the connection (conn_end()). */
static void
cut (Conn *conn, const char *why)
{
  if (conn->cut)
    return;
  conn->cut = TRUE;
  conn->owner->open--;
  clear_deadline (conn);
  g_debug ("%s: %s; closing the connection", conn->peer, why);
  g_socket_shutdown (g_socket_connection_get_socket (conn->stream), TRUE, TRUE, NULL);
}

static gboolean
deadline_passed (gpointer user_data)
{
  Conn *conn = user_data;
  g_autofree char *why = g_strdup_printf ("no %s in time", phase_names[conn->phase]);

  g_clear_pointer (&conn->deadline, g_source_unref);
  cut (conn, why);
  return G_SOURCE_REMOVE;
}

/* libsoup has let the connection go: close it and forget it. */
static void
conn_end (Conn *conn)
{
  VcrPeerConns *self = conn->owner;

  clear_deadline (conn);
  if (self->taking == conn)
    self->taking = NULL;
  if (conn->msg != NULL)
    {
      g_signal_handlers_disconnect_by_data (conn->msg, conn);
      g_object_set_data (G_OBJECT (conn->msg), CONN_KEY, NULL);
      g_clear_object (&conn->msg);
    }
  g_io_stream_close (G_IO_STREAM (conn->stream), NULL, NULL);
  g_object_unref (conn->stream);
  g_hash_table_remove (self->by_remote, conn->remote);
  g_object_unref (conn->remote);
  g_queue_unlink (&self->conns, &conn->link);
  if (!conn->cut)
    self->open--;
  g_free (conn->peer);
  g_free (conn);
  /* what the connection's buffers took goes back to the kernel once
   * connections have stopped coming for a moment (after a flood too) */
  vcr_memory_release_later ();
  self->room (self->user_data);
}

static void
on_disconnected (SoupServerMessage *msg, gpointer user_data)
{
  conn_end (user_data);
}

/* Emitted inside soup_server_accept_iostream() for the connection's
 * message. */
static void
request_started (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  VcrPeerConns *self = user_data;
  Conn *conn = g_hash_table_lookup (self->by_remote,
                                    soup_server_message_get_remote_address (msg));

  if (conn == NULL || conn->msg != NULL)
    return;
  conn->msg = g_object_ref (msg);
  g_object_set_data (G_OBJECT (msg), CONN_KEY, conn);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), conn);
}

static void
start_phase (Conn *conn, VcrPeerPhase phase, guint64 length)
{
  const VcrPeerLimits *limits = &conn->owner->limits;
  guint64 ms;

  clear_deadline (conn);
  conn->phase = phase;
  switch (phase)
    {
    case VCR_PEER_PHASE_HEADERS:
      ms = limits->headers_ms;
      break;
    case VCR_PEER_PHASE_HANDLER:
      return;
    case VCR_PEER_PHASE_BODY:
    case VCR_PEER_PHASE_RESPONDING:
    default:
      ms = limits->transfer_ms + length / MAX (limits->min_rate / 1000, 1);
      break;
    }
  conn->deadline = g_timeout_source_new ((guint) MIN (ms, G_MAXUINT));
  g_source_set_callback (conn->deadline, deadline_passed, conn, NULL);
  g_source_set_static_name (conn->deadline, "vcr-peer-deadline");
  g_source_attach (conn->deadline, NULL);
}

void
vcr_peer_conns_take (VcrPeerConns *self, GSocket *taken)
{
  g_autoptr(GSocket) socket = taken;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, &error);
  g_autoptr(GSocketAddress) remote = local != NULL
    ? g_socket_get_remote_address (socket, &error) : NULL;
  g_autoptr(GIOStream) io = NULL;
  Conn *conn;

  if (remote == NULL)
    {
      /* reset before we got to it */
      g_debug ("Dropping a peer connection: %s", error->message);
      g_socket_close (socket, NULL);
      return;
    }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  conn = g_new0 (Conn, 1);
  conn->owner = self;
  conn->link.data = conn;
  conn->accepted = g_get_monotonic_time ();
  conn->stream = g_socket_connection_factory_create_connection (socket);
  conn->remote = g_object_ref (remote);
  conn->peer = vcr_peer_format_address (remote);
  g_queue_push_tail_link (&self->conns, &conn->link);
  g_hash_table_insert (self->by_remote, conn->remote, conn);
  self->open++;
  g_debug ("%s: connected (%u open, %u in all)", conn->peer, self->open, self->conns.length);
  start_phase (conn, VCR_PEER_PHASE_HEADERS, 0);
  io = g_simple_io_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn->stream)),
                               g_io_stream_get_output_stream (G_IO_STREAM (conn->stream)));
  /* libsoup may read, answer and let go of the connection before this
   * returns, when the whole request was already there */
  self->taking = conn;
  soup_server_accept_iostream (self->soup, io, local, remote, NULL);
  if (self->taking != NULL && conn->msg == NULL)
    {
      g_warning ("libsoup started no request on a new connection; closing it");
      conn_end (conn);
    }
  self->taking = NULL;
}

/* The connection to evict for a new one: the oldest that is not
 * authenticated and still waits for its headers with nothing unread (a
 * silent or slow client: what it sent, libsoup has read); else the oldest
 * not authenticated in another phase (a body coming, a refusal being
 * answered). One whose headers are there but not read yet (libsoup gets
 * to it on this main loop turn), or that was accepted a moment ago, is
 * never evicted: that is what any client looks like as it connects and
 * sends its request. *@waiting is set when there is such a one. */
static Conn *
pick_victim (VcrPeerConns *self, gboolean *waiting)
{
  gint64 now = g_get_monotonic_time ();
  Conn *fallback = NULL;

  *waiting = FALSE;
  for (GList *l = self->conns.head; l != NULL; l = l->next)
    {
      Conn *conn = l->data;

      if (conn->cut || conn->authenticated)
        continue;
      if (conn->phase != VCR_PEER_PHASE_HEADERS)
        {
          if (fallback == NULL)
            fallback = conn;
          continue;
        }
      if (now - conn->accepted < HEADERS_GRACE_US ||
          g_socket_get_available_bytes (g_socket_connection_get_socket (conn->stream)) > 0)
        {
          *waiting = TRUE;
          continue;
        }
      return conn;
    }
  return fallback;
}

static gboolean
retry_done (gpointer user_data)
{
  VcrPeerConns *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  self->room (self->user_data);
  return G_SOURCE_REMOVE;
}

gboolean
vcr_peer_conns_may_accept (VcrPeerConns *self)
{
  guint max = self->limits.max_connections;
  gboolean waiting;
  Conn *victim;

  /* Connections cut but not yet let go by libsoup (a main loop turn)
   * still hold their descriptors: at most as many again. */
  if (self->conns.length >= 2 * max)
    return FALSE;
  if (self->open < max)
    return TRUE;
  victim = pick_victim (self, &waiting);
  if (victim == NULL)
    {
      /* every connection is authenticated (wait for one to end), or some
       * are new or have their request unread: look again a little later */
      if (waiting && self->retry == NULL)
        {
          self->retry = g_timeout_source_new (RETRY_MS);
          g_source_set_callback (self->retry, retry_done, self, NULL);
          g_source_attach (self->retry, NULL);
        }
      return FALSE;
    }
  cut (victim, "evicted for a new connection (connection limit reached)");
  return TRUE;
}

void
vcr_peer_conns_set_phase (SoupServerMessage *msg, VcrPeerPhase phase, guint64 length)
{
  Conn *conn = g_object_get_data (G_OBJECT (msg), CONN_KEY);

  if (conn != NULL && !conn->cut)
    start_phase (conn, phase, length);
}

void
vcr_peer_conns_set_authenticated (SoupServerMessage *msg)
{
  Conn *conn = g_object_get_data (G_OBJECT (msg), CONN_KEY);

  if (conn != NULL)
    conn->authenticated = TRUE;
}

guint
vcr_peer_conns_get_open (VcrPeerConns *self)
{
  return self->open;
}

guint
vcr_peer_conns_get_total (VcrPeerConns *self)
{
  return self->conns.length;
}

void
vcr_peer_conns_set_limits (VcrPeerConns *self, const VcrPeerLimits *limits)
{
  g_return_if_fail (limits->max_connections > 0 && limits->min_rate > 0);
  self->limits = *limits;
}

const VcrPeerLimits *
vcr_peer_conns_get_limits (VcrPeerConns *self)
{
  return &self->limits;
}

VcrPeerConns *
vcr_peer_conns_new (SoupServer *soup, void (*room) (gpointer user_data),
                    gpointer user_data)
{
  VcrPeerConns *self = g_new0 (VcrPeerConns, 1);

  self->soup = g_object_ref (soup);
  self->limits = VCR_PEER_LIMITS_DEFAULT;
  g_queue_init (&self->conns);
  self->by_remote = g_hash_table_new (NULL, NULL);
  self->room = room;
  self->user_data = user_data;
  self->started_id = g_signal_connect (soup, "request-started",
                                       G_CALLBACK (request_started), self);
  return self;
}

static void
no_room (gpointer user_data)
{
}

void
vcr_peer_conns_free (VcrPeerConns *self)
{
  if (self == NULL)
    return;
  g_signal_handler_disconnect (self->soup, self->started_id);
  if (self->retry != NULL)
    g_source_destroy (self->retry);
  g_clear_pointer (&self->retry, g_source_unref);
  /* libsoup has let every connection go before (soup_server_disconnect());
   * anything left is closed without telling anyone */
  self->room = no_room;
  while (self->conns.head != NULL)
    conn_end (self->conns.head->data);
  g_hash_table_unref (self->by_remote);
  g_object_unref (self->soup);
  g_free (self);
}
