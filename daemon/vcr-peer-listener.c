/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listening sockets and the accept loop (see vcr-peer-listener.h). accept4()
 * is called on the socket's descriptor directly, so that errno tells the
 * failures apart exactly (GIOError folds several into one).
 */
#define G_LOG_DOMAIN "vcr-peer-listener"
/* accept4() */
#define _GNU_SOURCE

#include "vcr-peer-listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WARN_INTERVAL_US (60 * G_USEC_PER_SEC)
/* An IPv6 bind on the port the kernel gave IPv4 may find it taken. */
#define ANY_PORT_TRIES 16

typedef struct {
  VcrPeerListener *owner;
  GSocket *socket;
  GSource *watch;
} ListenSocket;

struct _VcrPeerListener {
  GPtrArray *sockets;        /* of ListenSocket* */
  VcrPeerListenerFuncs funcs;
  gpointer user_data;
  GMainContext *context;
  gboolean paused;           /* the owner said no */
  GSource *backoff;
  guint backoff_ms;          /* 0: not in an episode of failures */
  guint episode_failures;
  gboolean episode_warned;
  gint64 last_warning;       /* monotonic µs; 0: never */
};

/* An IPv4-mapped IPv6 address (::ffff:198.51.100.2) is its IPv4
 * address: both ends of protocol v2 write the destination this way. */
static char *
address_text (GInetAddress *address)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
      memcmp (bytes, mapped, sizeof mapped) == 0)
    {
      g_autoptr(GInetAddress) v4 = g_inet_address_new_from_bytes (bytes + 12,
                                                                  G_SOCKET_FAMILY_IPV4);
      return g_inet_address_to_string (v4);
    }
  return g_inet_address_to_string (address);
}

char *
vcr_peer_format_address (GSocketAddress *address)
{
  GInetSocketAddress *inet;
  g_autofree char *ip = NULL;
  guint16 port;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("?");
  inet = G_INET_SOCKET_ADDRESS (address);
  ip = address_text (g_inet_socket_address_get_address (inet));
  port = g_inet_socket_address_get_port (inet);
  if (strchr (ip, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", ip, port);
  return g_strdup_printf ("%s:%u", ip, port);
}

static void
listen_socket_free (gpointer data)
{
  ListenSocket *ls = data;

  if (ls->watch != NULL)
    g_source_destroy (ls->watch);
  g_clear_pointer (&ls->watch, g_source_unref);
  g_socket_close (ls->socket, NULL);
  g_object_unref (ls->socket);
  g_free (ls);
}

/* ---- accepting ---------------------------------------------------------- */

typedef enum {
  ACCEPT_TAKEN,
  ACCEPT_DRAINED,    /* nothing more queued */
  ACCEPT_SKIPPED,    /* that one failed; the next may not */
  ACCEPT_BACK_OFF,   /* out of a resource: wait a little */
} AcceptOutcome;

static AcceptOutcome
classify (int err)
{
  switch (err)
    {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return ACCEPT_DRAINED;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return ACCEPT_BACK_OFF;
    /* errors of the connection being taken, which Linux reports through
     * accept() (accept(2)), and an interrupted call */
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case ETIMEDOUT:
      return ACCEPT_SKIPPED;
    default:
      /* unknown: never spin on it */
      return ACCEPT_BACK_OFF;
    }
}

static void start_watching (VcrPeerListener *self);
static void stop_watching (VcrPeerListener *self);

static void
clear_backoff (VcrPeerListener *self)
{
  if (self->backoff != NULL)
    g_source_destroy (self->backoff);
  g_clear_pointer (&self->backoff, g_source_unref);
}

static gboolean
backoff_done (gpointer user_data)
{
  VcrPeerListener *self = user_data;

  g_clear_pointer (&self->backoff, g_source_unref);
  if (!self->paused)
    start_watching (self);
  return G_SOURCE_REMOVE;
}

static void
back_off (VcrPeerListener *self, int err)
{
  gint64 now = g_get_monotonic_time ();

  self->backoff_ms = self->backoff_ms == 0
    ? VCR_PEER_ACCEPT_BACKOFF_MIN_MS
    : MIN (self->backoff_ms * 2, VCR_PEER_ACCEPT_BACKOFF_MAX_MS);
  if (self->episode_failures++ == 0 &&
      (self->last_warning == 0 || now - self->last_warning >= WARN_INTERVAL_US))
    {
      self->last_warning = now;
      self->episode_warned = TRUE;
      g_warning ("Cannot accept peer connections: %s; trying again every %u to %u ms "
                 "(said once until it works again, at most once a minute)",
                 g_strerror (err), VCR_PEER_ACCEPT_BACKOFF_MIN_MS,
                 VCR_PEER_ACCEPT_BACKOFF_MAX_MS);
    }
  stop_watching (self);
  clear_backoff (self);
  self->backoff = g_timeout_source_new (self->backoff_ms);
  g_source_set_callback (self->backoff, backoff_done, self, NULL);
  g_source_attach (self->backoff, self->context);
}

static void
episode_over (VcrPeerListener *self)
{
  if (self->episode_warned)
    g_message ("Accepting peer connections again (%u attempts failed before)",
               self->episode_failures);
  self->backoff_ms = 0;
  self->episode_failures = 0;
  self->episode_warned = FALSE;
}

static AcceptOutcome
accept_one (VcrPeerListener *self, ListenSocket *ls, int *err)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket;
  int fd = accept4 (g_socket_get_fd (ls->socket), NULL, NULL,
                    SOCK_CLOEXEC | SOCK_NONBLOCK);

  if (fd < 0)
    {
      *err = errno;
      return classify (*err);
    }
  episode_over (self);
  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      g_debug ("Dropping a peer connection: %s", error->message);
      close (fd);
      return ACCEPT_SKIPPED;
    }
  self->funcs.accepted (socket, self->user_data);
  return ACCEPT_TAKEN;
}

static gboolean
on_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  ListenSocket *ls = user_data;
  VcrPeerListener *self = ls->owner;

  for (guint n = 0; n < VCR_PEER_ACCEPT_BATCH; n++)
    {
      int err = 0;

      /* may_accept() may evict a connection to make room: only for one
       * that is really waiting (the first is: that is why we are here) */
      if (n > 0 && !(g_socket_condition_check (socket, G_IO_IN) & G_IO_IN))
        return G_SOURCE_CONTINUE;
      if (!self->funcs.may_accept (self->user_data))
        {
          self->paused = TRUE;
          stop_watching (self);
          return G_SOURCE_CONTINUE;   /* already destroyed */
        }
      switch (accept_one (self, ls, &err))
        {
        case ACCEPT_TAKEN:
        case ACCEPT_SKIPPED:
          break;
        case ACCEPT_DRAINED:
          return G_SOURCE_CONTINUE;
        case ACCEPT_BACK_OFF:
          back_off (self, err);
          return G_SOURCE_CONTINUE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
start_watching (VcrPeerListener *self)
{
  for (guint i = 0; i < self->sockets->len; i++)
    {
      ListenSocket *ls = g_ptr_array_index (self->sockets, i);

      if (ls->watch != NULL)
        continue;
      ls->watch = g_socket_create_source (ls->socket, G_IO_IN, NULL);
      g_source_set_callback (ls->watch, G_SOURCE_FUNC (on_ready), ls, NULL);
      g_source_set_static_name (ls->watch, "vcr-peer-listener");
      g_source_attach (ls->watch, self->context);
    }
}

static void
stop_watching (VcrPeerListener *self)
{
  for (guint i = 0; i < self->sockets->len; i++)
    {
      ListenSocket *ls = g_ptr_array_index (self->sockets, i);

      if (ls->watch != NULL)
        g_source_destroy (ls->watch);
      g_clear_pointer (&ls->watch, g_source_unref);
    }
}

void
vcr_peer_listener_resume (VcrPeerListener *self)
{
  if (!self->paused)
    return;
  self->paused = FALSE;
  if (self->backoff == NULL)
    start_watching (self);
}

/* ---- binding ------------------------------------------------------------ */

/* Binds and listens on @inet:@port; *@bound_port gets the port. */
static gboolean
bind_one (VcrPeerListener *self, GInetAddress *inet, guint16 port,
          guint16 *bound_port, GError **error)
{
  GSocketFamily family = g_inet_address_get_family (inet);
  g_autoptr(GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  ListenSocket *ls;

  if (socket == NULL)
    return FALSE;
  /* [::] serves IPv6 only; 0.0.0.0 has a socket of its own (as libsoup) */
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, error))
    return FALSE;
  address = g_inet_socket_address_new (inet, port);
  g_socket_set_listen_backlog (socket, VCR_PEER_LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return FALSE;
  *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  ls = g_new0 (ListenSocket, 1);
  ls->owner = self;
  ls->socket = g_steal_pointer (&socket);
  g_ptr_array_add (self->sockets, ls);
  return TRUE;
}

/* 0.0.0.0 and [::] on one port, [::] left out where the host has no IPv6. */
static gboolean
bind_all (VcrPeerListener *self, guint16 port, GError **error)
{
  g_autoptr(GInetAddress) any4 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GInetAddress) any6 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);

  for (guint tries = 0; tries < ANY_PORT_TRIES; tries++)
    {
      g_autoptr(GError) v6_error = NULL;
      guint16 bound = 0;
      guint16 bound6 = 0;

      if (!bind_one (self, any4, port, &bound, error))
        return FALSE;
      if (bind_one (self, any6, bound, &bound6, &v6_error))
        return TRUE;
      if (g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        return TRUE;
      g_ptr_array_set_size (self->sockets, 0);
      if (port != 0 || !g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_propagate_error (error, g_steal_pointer (&v6_error));
          return FALSE;
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
               "no free port on both IPv4 and IPv6 after %d tries", ANY_PORT_TRIES);
  return FALSE;
}

VcrPeerListener *
vcr_peer_listener_new (const char *address, guint16 port,
                       const VcrPeerListenerFuncs *funcs, gpointer user_data,
                       GError **error)
{
  g_autoptr(VcrPeerListener) self = g_new0 (VcrPeerListener, 1);
  guint16 bound;

  g_return_val_if_fail (funcs != NULL && funcs->may_accept != NULL &&
                        funcs->accepted != NULL, NULL);
  self->sockets = g_ptr_array_new_with_free_func (listen_socket_free);
  self->funcs = *funcs;
  self->user_data = user_data;
  self->context = g_main_context_ref_thread_default ();
  if (address == NULL || *address == '\0')
    {
      if (!bind_all (self, port, error))
        return NULL;
    }
  else
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

      if (inet == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "listen address \"%s\" is not an IP address", address);
          return NULL;
        }
      if (!bind_one (self, inet, port, &bound, error))
        return NULL;
    }
  start_watching (self);
  return g_steal_pointer (&self);
}

void
vcr_peer_listener_free (VcrPeerListener *self)
{
  if (self == NULL)
    return;
  clear_backoff (self);
  g_ptr_array_unref (self->sockets);
  g_main_context_unref (self->context);
  g_free (self);
}

char *
vcr_peer_listener_get_address (VcrPeerListener *self)
{
  g_autoptr(GSocketAddress) local = NULL;
  ListenSocket *ls;

  if (self->sockets->len == 0)
    return NULL;
  ls = g_ptr_array_index (self->sockets, 0);
  local = g_socket_get_local_address (ls->socket, NULL);
  return local != NULL ? vcr_peer_format_address (local) : NULL;
}
