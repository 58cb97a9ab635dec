/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP server: translates HTTP into VcrPeerHandler calls. Order of
 * checks for every request: body size (early, from Content-Length, and
 * again while chunks arrive), authentication (401, unsigned), route
 * (404/405), body rules (411/415/400), then the handler. The message is
 * paused while the handler works, so handlers may answer later.
 */
#define G_LOG_DOMAIN "vcr-peer-server"

#include "vcr-peer-server.h"

#include <libsoup/soup.h>
#include <string.h>
#include <sys/mman.h>

#include "vcr-auth.h"
#include "vcr-error.h"
#include "vcr-memory.h"

struct _VcrPeerServer {
  GObject parent_instance;
  SoupServer *soup;
  VcrAuthKey *key;
  VcrNonceCache *nonces;
  guint nonce_capacity;
  gsize body_limit;
  VcrPeerHandler handler;
  gpointer user_data;
  guint answering;          /* handler answers given, not yet fully sent */
};

G_DEFINE_TYPE (VcrPeerServer, vcr_peer_server, G_TYPE_OBJECT)

/* A request body, kept by us so that its size stays bounded. One of a
 * megabyte or more (a snapshot), whose size Content-Length gave, gets
 * pages of its own, back to the kernel as soon as the snapshot is freed:
 * from the malloc heap it would leave a hole, and a replica's peak memory
 * would grow by its size on every push after the first. A POSTed snapshot
 * is read in place (its texts decoded over their JSON in the body) and
 * takes the body over (body_steal()), so its texts are not held twice. */
typedef struct {
  guint8 *data;
  gsize len;
  gsize cap;
  gboolean mapped;
} Body;

#define BODY_MAP_MIN (1024 * 1024)

static void
body_clear (Body *body)
{
  if (body->mapped)
    vcr_memory_unmap (body->data, body->cap);
  else
    g_free (body->data);
  *body = (Body) { NULL, 0, 0, FALSE };
}

/* Room for @expected bytes (0: unknown, grown as it comes). */
static void
body_init (Body *body, gsize expected)
{
  *body = (Body) { NULL, 0, 0, FALSE };
  if (expected >= BODY_MAP_MIN)
    {
      /* Not MAP_POPULATE, though faulting the pages in one go is cheaper:
       * the body is not authenticated yet, and a bare Content-Length must
       * not make the daemon take 64 MiB at once. */
      body->data = vcr_memory_map (expected, &body->cap);
      if (body->data != NULL)
        {
          body->mapped = TRUE;
          return;
        }
    }
  body->cap = MAX (expected, 1);
  body->data = g_malloc (body->cap);
}

static void
body_free (gpointer data)
{
  Body *body = data;

  body_clear (body);
  g_free (body);
}

/* Moves the body out of @body (left empty), for a snapshot to keep. */
static Body *
body_steal (Body *body)
{
  Body *owned = g_new (Body, 1);

  *owned = *body;
  *body = (Body) { NULL, 0, 0, FALSE };
  return owned;
}

static void
body_append (Body *body, const guint8 *data, gsize size)
{
  if (size > body->cap - body->len)
    {
      gsize cap = MAX (body->len + size, body->cap * 2);

      if (body->mapped)
        {
          /* more than Content-Length said: libsoup does not let it happen */
          guint8 *heap = g_malloc (cap);
          memcpy (heap, body->data, body->len);
          vcr_memory_unmap (body->data, body->cap);
          body->data = heap;
          body->mapped = FALSE;
        }
      else
        body->data = g_realloc (body->data, cap);
      body->cap = cap;
    }
  memcpy (body->data + body->len, data, size);
  body->len += size;
}

/* Per-message state, attached to the SoupServerMessage. */
typedef struct {
  Body body;
  gboolean too_large;
  VcrPeerReply *reply;   /* while the handler holds the message */
} RequestState;

struct _VcrPeerReply {
  SoupServerMessage *msg;   /* NULL once the client went away */
  VcrPeerServer *server;
  VcrAuthKey *key;
  char nonce[VCR_AUTH_NONCE_HEX_LEN + 1];
  char *peer;
};

#define STATE_KEY "vcr-peer-request"

static void
request_state_free (gpointer data)
{
  RequestState *state = data;

  body_clear (&state->body);
  g_free (state);
}

/* Sets the whole response. @nonce NULL: unsigned. Takes @body. */
static void
respond (SoupServerMessage *msg, const VcrAuthKey *key, const char *nonce,
         guint status, char *body, gsize length)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Connection", "close");
  if (nonce != NULL)
    {
      g_autofree char *sig = vcr_auth_response_signature (key, nonce, status,
                                                          (const guint8 *) body,
                                                          length);
      soup_message_headers_replace (headers, VCR_AUTH_RESPONSE_HEADER, sig);
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body, length);
}

static void
respond_error (SoupServerMessage *msg, const VcrAuthKey *key, const char *nonce,
               guint status, const char *code, const char *message)
{
  gsize length = 0;
  char *body = vcr_error_body_to_json (code, message, &length);

  g_debug ("%s %s -> %u %s: %s", soup_server_message_get_method (msg),
           g_uri_get_path (soup_server_message_get_uri (msg)), status, code, message);
  respond (msg, key, nonce, status, body, length);
}

/* ---- replies ----------------------------------------------------------- */

static void
answer_finished_cb (SoupServerMessage *msg, gpointer user_data)
{
  VcrPeerServer *self = user_data;

  g_signal_handlers_disconnect_by_func (msg, answer_finished_cb, self);
  self->answering--;
}

static void
reply_finish (VcrPeerReply *reply, guint status, const char *code,
              const char *message, char *json, gsize length)
{
  if (reply->msg != NULL)
    {
      RequestState *state = g_object_get_data (G_OBJECT (reply->msg), STATE_KEY);

      if (state != NULL)
        state->reply = NULL;
      if (code != NULL)
        respond_error (reply->msg, reply->key, reply->nonce, status, code, message);
      else
        respond (reply->msg, reply->key, reply->nonce, status, g_steal_pointer (&json), length);
      /* counted until libsoup has written it, so that SIGTERM after an
       * apply does not cut the answer to the primary off */
      reply->server->answering++;
      g_signal_connect_object (reply->msg, "finished", G_CALLBACK (answer_finished_cb),
                               reply->server, 0);
      soup_server_message_unpause (reply->msg);
    }
  else
    g_debug ("%s went away before its answer; dropped", reply->peer);
  g_free (json);
  g_clear_object (&reply->msg);
  g_clear_object (&reply->server);
  vcr_auth_key_free (reply->key);
  g_free (reply->peer);
  g_free (reply);
}

void
vcr_peer_reply_json (VcrPeerReply *reply, char *json, gsize length)
{
  g_return_if_fail (reply != NULL && json != NULL);
  reply_finish (reply, SOUP_STATUS_OK, NULL, NULL, json, length);
}

void
vcr_peer_reply_error (VcrPeerReply *reply, guint status, const char *code,
                      const char *message)
{
  g_return_if_fail (reply != NULL && code != NULL && message != NULL);
  g_return_if_fail (status >= 400 && status < 600);
  reply_finish (reply, status, code, message, NULL, 0);
}

const char *
vcr_peer_reply_get_peer (VcrPeerReply *reply)
{
  return reply->peer;
}

static char *
format_address (GSocketAddress *address)
{
  GInetSocketAddress *inet;
  g_autofree char *ip = NULL;
  guint16 port;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("?");
  inet = G_INET_SOCKET_ADDRESS (address);
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  port = g_inet_socket_address_get_port (inet);
  if (strchr (ip, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", ip, port);
  return g_strdup_printf ("%s:%u", ip, port);
}

/* Hands the message to the application; it stays paused until answered. */
static VcrPeerReply *
reply_new (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state,
           const char *nonce)
{
  VcrPeerReply *reply = g_new0 (VcrPeerReply, 1);

  reply->msg = g_object_ref (msg);
  reply->server = g_object_ref (self);
  reply->key = vcr_auth_key_copy (self->key);
  g_strlcpy (reply->nonce, nonce, sizeof reply->nonce);
  reply->peer = format_address (soup_server_message_get_remote_address (msg));
  state->reply = reply;
  soup_server_message_pause (msg);
  return reply;
}

/* The connection closed while the handler had the message: the answer,
 * when it comes, goes nowhere. */
static void
request_aborted_cb (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  RequestState *state = g_object_get_data (G_OBJECT (msg), STATE_KEY);

  if (state == NULL || state->reply == NULL)
    return;
  g_clear_object (&state->reply->msg);
  state->reply = NULL;
}

/* ---- request path ------------------------------------------------------ */

static void
got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  VcrPeerServer *self = user_data;
  RequestState *state = g_object_get_data (G_OBJECT (msg), STATE_KEY);
  gsize size = g_bytes_get_size (chunk);

  if (state == NULL || state->too_large)
    return;
  if (size > self->body_limit - state->body.len)
    {
      /* keep nothing more; the handler answers 413 */
      state->too_large = TRUE;
      body_clear (&state->body);
      return;
    }
  body_append (&state->body, g_bytes_get_data (chunk, NULL), size);
}

static void
early_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
               GHashTable *query, gpointer user_data)
{
  VcrPeerServer *self = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  RequestState *state;

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  if (soup_message_headers_get_encoding (req) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (req) > self->body_limit)
    {
      /* a status set here makes libsoup answer without reading the body */
      respond_error (msg, NULL, NULL, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                     "too-large", "request body is over the limit");
      return;
    }
  /* we keep the body ourselves so that its size stays bounded; sized from
   * Content-Length (checked above), it is never copied while it grows */
  state = g_new0 (RequestState, 1);
  body_init (&state->body,
             soup_message_headers_get_encoding (req) == SOUP_ENCODING_CONTENT_LENGTH
               ? (gsize) soup_message_headers_get_content_length (req) : 0);
  g_object_set_data_full (G_OBJECT (msg), STATE_KEY, state, request_state_free);
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);
}

static void
dispatch_post_snapshot (VcrPeerServer *self, SoupServerMessage *msg,
                        RequestState *state, const char *nonce)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (req, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  gint64 start = g_get_monotonic_time ();
  Body *body;

  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0)
    {
      respond_error (msg, self->key, nonce, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                     "unsupported-media-type", "the body must be application/json");
      return;
    }
  /* The request was authenticated (the signature covers the body's
   * SHA-256) before this: reading in place changes the body's bytes. The
   * snapshot takes the body, and frees it (or this does, on a refusal). */
  body = body_steal (&state->body);
  g_debug ("POST /v1/snapshot: %" G_GSIZE_FORMAT " bytes", body->len);
  snapshot = vcr_snapshot_from_json_in_place ((char *) body->data, body->len,
                                              body_free, body, &error);
  g_debug ("POST /v1/snapshot: checked and parsed in %.1f ms",
           (g_get_monotonic_time () - start) / 1000.0);
  if (snapshot == NULL)
    {
      respond_error (msg, self->key, nonce, SOUP_STATUS_BAD_REQUEST,
                     "bad-request", error->message);
      return;
    }
  if (!vcr_snapshot_check_digests (snapshot, &error))
    {
      respond_error (msg, self->key, nonce, SOUP_STATUS_BAD_REQUEST,
                     "bad-snapshot", error->message);
      return;
    }
  self->handler.post_snapshot (g_steal_pointer (&snapshot),
                               reply_new (self, msg, state, nonce),
                               self->user_data);
}

/* 404/405 or the handler for an authenticated request. */
static void
route (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state,
       const char *path, const char *nonce)
{
  const char *method = soup_server_message_get_method (msg);
  gboolean snapshot = g_str_equal (path, "/v1/snapshot");
  gboolean digests = g_str_equal (path, "/v1/digests");
  gboolean get = g_str_equal (method, "GET");

  if (!snapshot && !digests)
    {
      respond_error (msg, self->key, nonce, SOUP_STATUS_NOT_FOUND,
                     "not-found", "no such endpoint");
      return;
    }
  if (!(get || (snapshot && g_str_equal (method, "POST"))))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", snapshot ? "GET, POST" : "GET");
      respond_error (msg, self->key, nonce, SOUP_STATUS_METHOD_NOT_ALLOWED,
                     "method-not-allowed", "method not allowed on this endpoint");
      return;
    }
  if (!get)
    {
      dispatch_post_snapshot (self, msg, state, nonce);
      return;
    }
  if (state->body.len > 0)
    {
      respond_error (msg, self->key, nonce, SOUP_STATUS_BAD_REQUEST,
                     "bad-request", "a GET request has no body");
      return;
    }
  if (snapshot)
    self->handler.get_snapshot (reply_new (self, msg, state, nonce), self->user_data);
  else
    self->handler.get_digests (reply_new (self, msg, state, nonce), self->user_data);
}

static void
server_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  VcrPeerServer *self = user_data;
  RequestState *state = g_object_get_data (G_OBJECT (msg), STATE_KEY);
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  g_autoptr(GError) error = NULL;
  VcrAuthHeader auth;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (state == NULL)
    return;   /* answered early */
  if (state->too_large)
    {
      respond_error (msg, NULL, NULL, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                     "too-large", "request body is over the limit");
      return;
    }
  if (!vcr_auth_verify_request (self->key, self->nonces,
                                soup_message_headers_get_one (req, "Authorization"),
                                soup_server_message_get_method (msg), path,
                                state->body.data, state->body.len, now,
                                &auth, &error))
    {
      VcrAuthHeader busy;

      /* a full replay memory is the only refusal of a correctly signed
       * request: answer it signed, so the peer can tell it from an attack */
      if (g_error_matches (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BUSY) &&
          vcr_auth_header_parse (soup_message_headers_get_one (req, "Authorization"),
                                 &busy, NULL))
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Retry-After", "60");
          respond_error (msg, self->key, busy.nonce, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "busy", error->message);
          return;
        }
      respond_error (msg, NULL, NULL, SOUP_STATUS_UNAUTHORIZED,
                     "unauthorized", error->message);
      return;
    }
  route (self, msg, state, path, auth.nonce);
}

/* ---- object ------------------------------------------------------------ */

static void
vcr_peer_server_finalize (GObject *object)
{
  VcrPeerServer *self = VCR_PEER_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  vcr_auth_key_free (self->key);
  vcr_nonce_cache_free (self->nonces);
  G_OBJECT_CLASS (vcr_peer_server_parent_class)->finalize (object);
}

static void
vcr_peer_server_class_init (VcrPeerServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vcr_peer_server_finalize;
}

static void
vcr_peer_server_init (VcrPeerServer *self)
{
  self->body_limit = VCR_PEER_DEFAULT_BODY_LIMIT;
  self->nonce_capacity = VCR_NONCE_CACHE_DEFAULT_CAPACITY;
}

VcrPeerServer *
vcr_peer_server_new (const char *secret, const VcrPeerHandler *handler,
                     gpointer user_data)
{
  VcrPeerServer *self;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (handler != NULL && handler->post_snapshot != NULL &&
                        handler->get_snapshot != NULL &&
                        handler->get_digests != NULL, NULL);
  self = g_object_new (VCR_TYPE_PEER_SERVER, NULL);
  self->key = vcr_auth_key_new (secret);
  self->handler = *handler;
  self->user_data = user_data;
  return self;
}

void
vcr_peer_server_set_secret (VcrPeerServer *self, const char *secret)
{
  g_return_if_fail (VCR_IS_PEER_SERVER (self) && secret != NULL);
  vcr_auth_key_free (self->key);
  self->key = vcr_auth_key_new (secret);
}

void
vcr_peer_server_set_body_limit (VcrPeerServer *self, gsize limit)
{
  g_return_if_fail (VCR_IS_PEER_SERVER (self));
  self->body_limit = limit;
}

void
vcr_peer_server_set_nonce_capacity (VcrPeerServer *self, guint capacity)
{
  g_return_if_fail (VCR_IS_PEER_SERVER (self) && capacity > 0);
  g_return_if_fail (self->soup == NULL);
  self->nonce_capacity = capacity;
}

gboolean
vcr_peer_server_listen (VcrPeerServer *self, const char *address, guint16 port,
                        GError **error)
{
  g_return_val_if_fail (VCR_IS_PEER_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  self->soup = soup_server_new ("server-header", NULL, NULL);
  self->nonces = vcr_nonce_cache_new (self->nonce_capacity);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, server_handler, self, NULL);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_aborted_cb), self);
  if (address == NULL || *address == '\0')
    return soup_server_listen_all (self->soup, port, 0, error);

  {
    g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
    g_autoptr(GSocketAddress) sockaddr = NULL;

    if (inet == NULL)
      {
        g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS,
                     "listen address \"%s\" is not an IP address", address);
        return FALSE;
      }
    sockaddr = g_inet_socket_address_new (inet, port);
    return soup_server_listen (self->soup, sockaddr, 0, error);
  }
}

char *
vcr_peer_server_get_address (VcrPeerServer *self)
{
  GSList *listeners;
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (VCR_IS_PEER_SERVER (self), NULL);
  if (self->soup == NULL ||
      (listeners = soup_server_get_listeners (self->soup)) == NULL)
    return NULL;
  address = g_socket_get_local_address (listeners->data, NULL);
  g_slist_free (listeners);
  return address != NULL ? format_address (address) : NULL;
}

gboolean
vcr_peer_server_is_answering (VcrPeerServer *self)
{
  g_return_val_if_fail (VCR_IS_PEER_SERVER (self), FALSE);
  return self->answering > 0;
}

void
vcr_peer_server_stop (VcrPeerServer *self)
{
  g_return_if_fail (VCR_IS_PEER_SERVER (self));
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
}
