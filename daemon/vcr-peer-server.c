/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP server: translates HTTP into VcrPeerHandler calls. Order of
 * checks for every request: when its headers arrive (libsoup's early
 * handler), body size (413), the Authorization header without the body
 * (401), room in the in-flight budget (503); while the body arrives, its
 * size again (a chunked body) and its SHA-256; once it is in, the signature
 * (401) and the nonce (recorded), then route (404/405), body rules
 * (415/400), then the handler. The message is paused while the handler
 * works, so handlers may answer later. Connections, their cap and their
 * deadlines are vcr-peer-conns.c's; the listening sockets
 * vcr-peer-listener.c's; bodies and their budget vcr-peer-body.c's.
 */
#define G_LOG_DOMAIN "vcr-peer-server"

#include "vcr-peer-server.h"

#include <libsoup/soup.h>
#include <string.h>

#include "vcr-auth.h"
#include "vcr-error.h"
#include "vcr-peer-body.h"
#include "vcr-peer-listener.h"

/* Refusals of unauthenticated requests are logged at most this often
 * (anyone can send them); the rest go to the debug log. */
#define REFUSAL_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

struct _VcrPeerServer {
  GObject parent_instance;
  SoupServer *soup;
  VcrPeerConns *conns;
  VcrPeerListener *listener;
  VcrAuthKey *key;
  VcrNonceCache *nonces;
  gboolean nonces_used;
  gint64 started;           /* unix s: the nonce memory is no older */
  gsize body_limit;
  VcrPeerBudget *budget;   /* the bodies of all requests in flight */
  VcrPeerHandler handler;
  gpointer user_data;
  guint answering;          /* handler answers given, not yet fully sent */
  gint64 last_refusal_log;  /* monotonic µs */
  guint refusals_unlogged;
};

G_DEFINE_TYPE (VcrPeerServer, vcr_peer_server, G_TYPE_OBJECT)

/* Per-message state, attached to the SoupServerMessage at its headers. */
typedef struct {
  VcrPeerBody body;
  VcrAuthHeader auth;       /* parsed and checked with the headers */
  VcrAuthBodyHash *hash;
  guint refusal;            /* 413 or 503 found while the body came */
  VcrPeerReply *reply;      /* while the handler holds the message */
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

  vcr_peer_body_clear (&state->body);
  g_clear_pointer (&state->hash, vcr_auth_body_hash_free);
  g_free (state);
}

/* Sets the whole response and the deadline for writing it. @nonce NULL:
 * unsigned. Takes @body. */
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
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_RESPONDING, length);
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

static char *
message_peer (SoupServerMessage *msg)
{
  return vcr_peer_format_address (soup_server_message_get_remote_address (msg));
}

/* 401, unsigned. Such refusals (a peer with a wrong secret or clock, or
 * anyone at all) are logged at most every REFUSAL_LOG_INTERVAL_US. */
static void
refuse_unauthorized (VcrPeerServer *self, SoupServerMessage *msg, const GError *error)
{
  gint64 now = g_get_monotonic_time ();

  if (self->last_refusal_log == 0 || now - self->last_refusal_log >= REFUSAL_LOG_INTERVAL_US)
    {
      g_autofree char *peer = message_peer (msg);

      g_message ("Refused a request from %s: %s (%u more refused since the last such "
                 "message)", peer, error->message, self->refusals_unlogged);
      self->last_refusal_log = now;
      self->refusals_unlogged = 0;
    }
  else
    self->refusals_unlogged++;
  respond_error (msg, NULL, NULL, SOUP_STATUS_UNAUTHORIZED, "unauthorized", error->message);
}

static void
refuse_busy (SoupServerMessage *msg, const VcrAuthKey *key, const char *nonce,
             const char *message)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", "60");
  respond_error (msg, key, nonce, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy", message);
}

/* ---- replies ----------------------------------------------------------- */

static void
answer_finished_cb (SoupServerMessage *msg, gpointer user_data)
{
  VcrPeerServer *self = user_data;

  /* "finished", or "disconnected" when it was cut before that */
  g_signal_handlers_disconnect_by_func (msg, answer_finished_cb, self);
  self->answering--;
}

/* The connection ended while the handler had the message (the server
 * stopped): the answer, when it comes, goes nowhere. */
static void
reply_msg_gone (SoupServerMessage *msg, gpointer user_data)
{
  VcrPeerReply *reply = user_data;

  g_signal_handlers_disconnect_by_func (msg, reply_msg_gone, reply);
  g_clear_object (&reply->msg);
}

static void
reply_finish (VcrPeerReply *reply, guint status, const char *code,
              const char *message, char *json, gsize length)
{
  if (reply->msg != NULL)
    {
      RequestState *state = g_object_get_data (G_OBJECT (reply->msg), STATE_KEY);

      g_signal_handlers_disconnect_by_func (reply->msg, reply_msg_gone, reply);
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
      g_signal_connect_object (reply->msg, "disconnected", G_CALLBACK (answer_finished_cb),
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

/* Hands the message to the application; it stays paused until answered,
 * without a deadline (an apply takes what it takes; the replicator bounds
 * it). */
static VcrPeerReply *
reply_new (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state,
           const char *nonce)
{
  VcrPeerReply *reply = g_new0 (VcrPeerReply, 1);

  reply->msg = g_object_ref (msg);
  reply->server = g_object_ref (self);
  reply->key = vcr_auth_key_copy (self->key);
  g_strlcpy (reply->nonce, nonce, sizeof reply->nonce);
  reply->peer = message_peer (msg);
  state->reply = reply;
  g_signal_connect (msg, "disconnected", G_CALLBACK (reply_msg_gone), reply);
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_HANDLER, 0);
  soup_server_message_pause (msg);
  return reply;
}

/* ---- request headers ---------------------------------------------------- */

/* The Authorization header, before any byte of the body is read. Protocol
 * v2 plugs in here: a "VCR2 " header goes to
 * vcr_seal_verify_request_header(), which checks the signature over the
 * headers as well and records the nonce. */
static gboolean
check_request_header (VcrPeerServer *self, SoupServerMessage *msg,
                      RequestState *state, GError **error)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);

  return vcr_auth_check_request_header (self->nonces,
                                        soup_message_headers_get_one (req, "Authorization"),
                                        g_get_real_time () / G_USEC_PER_SEC,
                                        self->started, &state->auth, error);
}

static void got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data);

static void
early_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
               GHashTable *query, gpointer user_data)
{
  VcrPeerServer *self = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (req);
  guint64 length = encoding == SOUP_ENCODING_CONTENT_LENGTH
    ? (guint64) soup_message_headers_get_content_length (req) : 0;
  gboolean chunked = encoding == SOUP_ENCODING_CHUNKED;
  g_autoptr(GError) error = NULL;
  RequestState *state;

  /* libsoup never keeps a body: we keep an accepted one (bounded), and
   * the body of a request refused here is read and dropped */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_BODY, chunked ? self->body_limit : length);
  state = g_new0 (RequestState, 1);
  if (length > self->body_limit)
    respond_error (msg, NULL, NULL, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                   "too-large", "request body is over the limit");
  else if (!check_request_header (self, msg, state, &error))
    refuse_unauthorized (self, msg, error);
  /* a chunked body takes its room as it grows */
  else if (!vcr_peer_budget_take (self->budget, (gsize) length))
    refuse_busy (msg, NULL, NULL, "too many request bytes in flight; try again later");
  else
    {
      self->nonces_used = TRUE;
      g_debug ("%s %s: headers checked, %" G_GUINT64_FORMAT " body bytes reserved",
               soup_server_message_get_method (msg), path, length);
      vcr_peer_body_init (&state->body, self->budget, (gsize) length);
      state->hash = vcr_auth_body_hash_new ();
      g_object_set_data_full (G_OBJECT (msg), STATE_KEY, state, request_state_free);
      g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);
      return;
    }
  /* Refused. With `Expect: 100-continue` libsoup answers at once; else it
   * reads (and drops) the body the client sends first: that much time
   * more, as for a body, up to the limit. */
  request_state_free (state);
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_RESPONDING,
                            MIN (chunked ? self->body_limit : length, self->body_limit));
}

static void
got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  VcrPeerServer *self = user_data;
  RequestState *state = g_object_get_data (G_OBJECT (msg), STATE_KEY);
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);

  if (state == NULL || state->refusal != 0)
    return;
  if (size > self->body_limit - state->body.len)
    state->refusal = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
  else if (!vcr_peer_body_append (&state->body, data, size, self->body_limit))
    state->refusal = SOUP_STATUS_SERVICE_UNAVAILABLE;
  if (state->refusal != 0)
    {
      /* keep nothing more; the handler answers */
      vcr_peer_body_clear (&state->body);
      return;
    }
  vcr_auth_body_hash_update (state->hash, data, size);
}

/* ---- request body in: authenticate, route, dispatch --------------------- */

static void
dispatch_post_snapshot (VcrPeerServer *self, SoupServerMessage *msg,
                        RequestState *state, const char *nonce)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (req, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  gint64 start = g_get_monotonic_time ();
  VcrPeerBody *body;

  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0)
    {
      respond_error (msg, self->key, nonce, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                     "unsupported-media-type", "the body must be application/json");
      return;
    }
  /* The request was authenticated (the signature covers the body's
   * SHA-256) before this: reading in place changes the body's bytes. The
   * snapshot takes the body, and frees it (or this does, on a refusal). */
  body = vcr_peer_body_steal (&state->body);
  g_debug ("POST /v1/snapshot: %" G_GSIZE_FORMAT " bytes", body->len);
  snapshot = vcr_snapshot_from_json_in_place ((char *) body->data, body->len,
                                              vcr_peer_body_free, body, &error);
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
  g_autoptr(GError) error = NULL;
  g_autofree char *body_hash = NULL;

  if (state == NULL)
    return;   /* answered early */
  if (state->refusal == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    {
      respond_error (msg, NULL, NULL, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                     "too-large", "request body is over the limit");
      return;
    }
  if (state->refusal != 0)
    {
      refuse_busy (msg, NULL, NULL, "too many request bytes in flight; try again later");
      return;
    }
  body_hash = vcr_auth_body_hash_finish (state->hash);
  if (!vcr_auth_verify_request_signature (self->key, self->nonces, &state->auth,
                                          soup_server_message_get_method (msg), path,
                                          body_hash, g_get_real_time () / G_USEC_PER_SEC,
                                          &error))
    {
      /* a full replay memory is the only refusal of a correctly signed
       * request: answer it signed, so the peer can tell it from an attack */
      if (g_error_matches (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BUSY))
        refuse_busy (msg, self->key, state->auth.nonce, error->message);
      else
        refuse_unauthorized (self, msg, error);
      return;
    }
  vcr_peer_conns_set_authenticated (msg);
  state->body.authenticated = TRUE;
  route (self, msg, state, path, state->auth.nonce);
}

/* ---- listening ---------------------------------------------------------- */

static gboolean
may_accept (gpointer user_data)
{
  VcrPeerServer *self = user_data;

  return vcr_peer_conns_may_accept (self->conns);
}

static void
accepted (GSocket *socket, gpointer user_data)
{
  VcrPeerServer *self = user_data;

  vcr_peer_conns_take (self->conns, socket);
}

static void
room (gpointer user_data)
{
  VcrPeerServer *self = user_data;

  if (self->listener != NULL)
    vcr_peer_listener_resume (self->listener);
}

/* ---- object ------------------------------------------------------------ */

static void
vcr_peer_server_finalize (GObject *object)
{
  VcrPeerServer *self = VCR_PEER_SERVER (object);

  vcr_peer_server_stop (self);
  vcr_peer_conns_free (self->conns);
  g_clear_object (&self->soup);
  vcr_auth_key_free (self->key);
  vcr_nonce_cache_free (self->nonces);
  vcr_peer_budget_unref (self->budget);
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
  self->budget = vcr_peer_budget_new (2 * self->body_limit);
  self->nonces = vcr_nonce_cache_new (VCR_NONCE_CACHE_DEFAULT_CAPACITY);
  self->started = g_get_real_time () / G_USEC_PER_SEC;
  self->soup = soup_server_new ("server-header", NULL, NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, server_handler, self, NULL);
  self->conns = vcr_peer_conns_new (self->soup, room, self);
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
  g_return_if_fail (VCR_IS_PEER_SERVER (self) && limit <= G_MAXSIZE / 2);
  self->body_limit = limit;
  vcr_peer_budget_set_limit (self->budget, 2 * limit);
}

void
vcr_peer_server_set_limits (VcrPeerServer *self, const VcrPeerLimits *limits)
{
  g_return_if_fail (VCR_IS_PEER_SERVER (self) && limits != NULL);
  vcr_peer_conns_set_limits (self->conns, limits);
}

void
vcr_peer_server_set_nonce_capacity (VcrPeerServer *self, guint capacity)
{
  g_return_if_fail (VCR_IS_PEER_SERVER (self) && capacity > 0);
  g_return_if_fail (!self->nonces_used);
  vcr_nonce_cache_free (self->nonces);
  self->nonces = vcr_nonce_cache_new (capacity);
}

gboolean
vcr_peer_server_listen (VcrPeerServer *self, const char *address, guint16 port,
                        GError **error)
{
  static const VcrPeerListenerFuncs funcs = { may_accept, accepted };
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VCR_IS_PEER_SERVER (self), FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

  self->listener = vcr_peer_listener_new (address, port, &funcs, self, &local_error);
  if (self->listener == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
        g_set_error_literal (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS,
                             local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

char *
vcr_peer_server_get_address (VcrPeerServer *self)
{
  g_return_val_if_fail (VCR_IS_PEER_SERVER (self), NULL);
  return self->listener != NULL ? vcr_peer_listener_get_address (self->listener) : NULL;
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
  g_clear_pointer (&self->listener, vcr_peer_listener_free);
  /* every connection, each message's "disconnected" ends it in conns */
  soup_server_disconnect (self->soup);
}
