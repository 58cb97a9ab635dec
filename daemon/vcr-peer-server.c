/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP server: translates HTTP into VcrPeerHandler calls. Order of
 * checks for every request, when its headers arrive (libsoup's early
 * handler): protocol v2 (`Authorization: VCR2`): the header, signed over
 * method, path, this connection's local address, time, nonce and the
 * announced length (401, unsigned; the nonce is recorded), then body size
 * (413) and room in the in-flight budget (503), both answered sealed;
 * protocol v1, only with allow-protocol-v1 (else 401): body size (413),
 * the header without the body (401), room in the budget (503). While the
 * body arrives: its size again (a chunked v1 body) and, for v1, its
 * SHA-256. Once it is in: v1's signature (401) and nonce; then route
 * (404/405), body rules (415/400: a v2 frame is opened in place), then
 * the handler. The message is paused while the handler works, so
 * handlers may answer later (vcr-peer-reply.c). Answers:
 * vcr-peer-respond.c; connections,
 * their cap and deadlines: vcr-peer-conns.c; the listening sockets:
 * vcr-peer-listener.c; bodies and their budget: vcr-peer-body.c.
 */
#define G_LOG_DOMAIN "vcr-peer-server"

#include "vcr-peer-server.h"

#include <libsoup/soup.h>
#include <string.h>

#include "vcr-auth.h"
#include "vcr-error.h"
#include "vcr-frame.h"
#include "vcr-peer-body.h"
#include "vcr-peer-listener.h"
#include "vcr-peer-reply.h"
#include "vcr-peer-respond.h"

/* Refusals of unauthenticated requests are logged at most this often
 * (anyone can send them); the rest go to the debug log. */
#define REFUSAL_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

struct _VcrPeerServer {
  GObject parent_instance;
  SoupServer *soup;
  VcrPeerConns *conns;
  VcrPeerListener *listener;
  VcrAuthKey *key;          /* v1 */
  VcrSealKeys *keys;        /* v2 */
  gboolean allow_v1;
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
  VcrAuthHeader header;     /* v1: parsed and checked with the headers */
  VcrPeerAuth auth;         /* how it is answered (v2: from its headers,
                             * v1: once its signature is checked) */
  VcrAuthBodyHash *hash;    /* v1 */
  guint refusal;            /* 413 or 503 found while the body came */
} RequestState;

#define STATE_KEY "vcr-peer-request"

static void
request_state_free (gpointer data)
{
  RequestState *state = data;

  vcr_peer_body_clear (&state->body);
  g_clear_pointer (&state->hash, vcr_auth_body_hash_free);
  vcr_peer_auth_clear (&state->auth);
  g_free (state);
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
  vcr_peer_respond_error (msg, NULL, SOUP_STATUS_UNAUTHORIZED, "unauthorized", error->message);
}

static void
refuse_busy (SoupServerMessage *msg, const VcrPeerAuth *auth, const char *message)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", "60");
  vcr_peer_respond_error (msg, auth, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy", message);
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

/* An answer is given: counted until libsoup has written it, so that
 * SIGTERM after an apply does not cut the answer to the primary off. */
static void
answered (SoupServerMessage *msg, gpointer owner)
{
  VcrPeerServer *self = owner;

  self->answering++;
  g_signal_connect_object (msg, "finished", G_CALLBACK (answer_finished_cb), self, 0);
  g_signal_connect_object (msg, "disconnected", G_CALLBACK (answer_finished_cb), self, 0);
}

/* Hands the message to the application (vcr-peer-reply.c). */
static VcrPeerReply *
reply_new (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state)
{
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_HANDLER, 0);
  return vcr_peer_reply_new (msg, &state->auth, G_OBJECT (self), answered);
}

/* ---- request headers ---------------------------------------------------- */

static const char *
authorization (SoupServerMessage *msg)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                       "Authorization");
}

/* A v2 request's headers: signed over this connection's local address
 * (a request sealed for another receiver is refused here) and the
 * announced length; the nonce is recorded. */
static gboolean
check_v2_header (VcrPeerServer *self, SoupServerMessage *msg, const char *path,
                 guint64 length, RequestState *state, GError **error)
{
  VcrPeerAuth *auth = &state->auth;
  VcrAuthHeader header;
  g_autofree char *destination =
    vcr_peer_format_address (soup_server_message_get_local_address (msg));

  if (!vcr_seal_verify_request_header (self->keys, self->nonces, authorization (msg),
                                       soup_server_message_get_method (msg), path,
                                       destination, length,
                                       g_get_real_time () / G_USEC_PER_SEC,
                                       self->started, &header, error))
    return FALSE;
  auth->version = 2;
  auth->keys = vcr_seal_keys_copy (self->keys);
  g_strlcpy (auth->nonce, header.nonce, sizeof auth->nonce);
  auth->ts = header.ts;
  auth->method = g_strdup (soup_server_message_get_method (msg));
  auth->path = g_strdup (path);
  auth->destination = g_steal_pointer (&destination);
  return TRUE;
}

/* A v1 request's Authorization header, before any byte of the body is
 * read: only with allow-protocol-v1; its signature is checked once the
 * body is in. */
static gboolean
check_v1_header (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state,
                 GError **error)
{
  const char *value = authorization (msg);

  if (!self->allow_v1)
    {
      if (value != NULL && g_str_has_prefix (value, "VCR1 "))
        g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED,
                             "protocol v1 is refused on this node (it sends the config in "
                             "clear text): upgrade the sending node, or set "
                             "high-availability config-replication allow-protocol-v1 on this "
                             "node for a rolling upgrade");
      else if (value == NULL)
        g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MISSING,
                             "missing Authorization header");
      else
        g_set_error_literal (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_MALFORMED,
                             "malformed Authorization header (want \"VCR2 ts=N, "
                             "nonce=<32 hex>, sig=<64 hex>\")");
      return FALSE;
    }
  return vcr_auth_check_request_header (self->nonces, value,
                                        g_get_real_time () / G_USEC_PER_SEC,
                                        self->started, &state->header, error);
}

static void got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data);

/* The request may come in: its body is kept (hashed for v1) as it
 * arrives. */
static void
accept_body (VcrPeerServer *self, SoupServerMessage *msg, const char *path,
             RequestState *state, guint64 length)
{
  self->nonces_used = TRUE;
  g_debug ("%s %s (v%u): headers checked, %" G_GUINT64_FORMAT " body bytes reserved",
           soup_server_message_get_method (msg), path,
           state->auth.version == 2 ? 2 : 1, length);
  vcr_peer_body_init (&state->body, self->budget, (gsize) length);
  if (state->auth.version != 2)
    state->hash = vcr_auth_body_hash_new ();
  g_object_set_data_full (G_OBJECT (msg), STATE_KEY, state, request_state_free);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);
}

/* Refused when its headers came: with `Expect: 100-continue` libsoup
 * answers at once; else it reads (and drops) the body the client sends
 * first: that much time more, as for a body, up to the limit. */
static void
refused_early (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state,
               guint64 length, gboolean chunked)
{
  request_state_free (state);
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_RESPONDING,
                            MIN (chunked ? self->body_limit : length, self->body_limit));
}

static void
early_v2 (VcrPeerServer *self, SoupServerMessage *msg, const char *path,
          RequestState *state, guint64 length, gboolean chunked)
{
  g_autoptr(GError) error = NULL;

  if (chunked)
    vcr_peer_respond_error (msg, NULL, SOUP_STATUS_LENGTH_REQUIRED, "length-required",
                            "a protocol v2 request announces its Content-Length");
  else if (!check_v2_header (self, msg, path, length, state, &error))
    refuse_unauthorized (self, msg, error);
  else if (length > self->body_limit)
    vcr_peer_respond_error (msg, &state->auth, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                            "too-large", "request body is over the limit");
  else if (!vcr_peer_budget_take (self->budget, (gsize) length))
    refuse_busy (msg, &state->auth, "too many request bytes in flight; try again later");
  else
    {
      /* signed by a holder of the secret, for this node, once: never
       * evicted for a newcomer */
      vcr_peer_conns_set_authenticated (msg);
      accept_body (self, msg, path, state, length);
      return;
    }
  refused_early (self, msg, state, length, chunked);
}

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
  const char *value = authorization (msg);
  g_autoptr(GError) error = NULL;
  RequestState *state = g_new0 (RequestState, 1);

  /* libsoup never keeps a body: we keep an accepted one (bounded), and
   * the body of a request refused here is read and dropped */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_BODY, chunked ? self->body_limit : length);
  if (value != NULL && g_str_has_prefix (value, "VCR2 "))
    {
      early_v2 (self, msg, path, state, length, chunked);
      return;
    }
  if (length > self->body_limit)
    vcr_peer_respond_error (msg, NULL, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                            "too-large", "request body is over the limit");
  else if (!check_v1_header (self, msg, state, &error))
    refuse_unauthorized (self, msg, error);
  /* a chunked body takes its room as it grows */
  else if (!vcr_peer_budget_take (self->budget, (gsize) length))
    refuse_busy (msg, NULL, "too many request bytes in flight; try again later");
  else
    {
      accept_body (self, msg, path, state, length);
      return;
    }
  refused_early (self, msg, state, length, chunked);
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
  if (state->hash != NULL)
    vcr_auth_body_hash_update (state->hash, data, size);
}

/* ---- request body in: authenticate, route, dispatch --------------------- */

/* The snapshot in a POST body: a v2 frame opened in place (the texts stay
 * where they lie, in the body the snapshot takes), or v1 JSON. NULL with
 * the answer given. */
static VcrSnapshot *
read_post_body (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state)
{
  const VcrPeerAuth *auth = &state->auth;
  const char *type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  const char *want = auth->version == 2 ? VCR_SEAL_CONTENT_TYPE : "application/json";
  g_autoptr(GError) error = NULL;
  VcrSnapshot *snapshot;
  VcrPeerBody *body;

  if (type == NULL || g_ascii_strcasecmp (type, want) != 0)
    {
      g_autofree char *message = g_strdup_printf ("the body must be %s", want);

      vcr_peer_respond_error (msg, auth, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                              "unsupported-media-type", message);
      return NULL;
    }
  body = vcr_peer_body_steal (&state->body);
  g_debug ("POST /v1/snapshot: %" G_GSIZE_FORMAT " bytes", body->len);
  if (auth->version == 2)
    {
      VcrSealBinding binding = { auth->method, auth->path, auth->destination, auth->ts,
                                 auth->nonce, 0 };
      guint8 *plain = NULL;
      gsize plain_len = 0;

      if (!vcr_seal_open_in_place (auth->keys, VCR_SEAL_REQUEST, &binding, body->data,
                                   body->len, &plain, &plain_len, &error))
        {
          vcr_peer_body_free (body);
          vcr_peer_respond_error (msg, auth, SOUP_STATUS_BAD_REQUEST, "bad-request",
                                  error->message);
          return NULL;
        }
      snapshot = vcr_frame_snapshot_read_in_place (plain, plain_len, vcr_peer_body_free,
                                                   body, &error);
    }
  else
    {
      snapshot = vcr_snapshot_from_json ((const char *) body->data, body->len, &error);
      vcr_peer_body_free (body);
    }
  if (snapshot == NULL)
    vcr_peer_respond_error (msg, auth, SOUP_STATUS_BAD_REQUEST, "bad-request", error->message);
  return snapshot;
}

static void
dispatch_post_snapshot (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  gint64 start = g_get_monotonic_time ();

  snapshot = read_post_body (self, msg, state);
  if (snapshot == NULL)
    return;
  if (!vcr_snapshot_check_digests (snapshot, &error))
    {
      vcr_peer_respond_error (msg, &state->auth, SOUP_STATUS_BAD_REQUEST,
                              "bad-snapshot", error->message);
      return;
    }
  g_debug ("POST /v1/snapshot: opened, read and checked in %.1f ms",
           (g_get_monotonic_time () - start) / 1000.0);
  self->handler.post_snapshot (g_steal_pointer (&snapshot), reply_new (self, msg, state),
                               self->user_data);
}

/* 404/405 or the handler for an authenticated request. */
static void
route (VcrPeerServer *self, SoupServerMessage *msg, RequestState *state, const char *path)
{
  const char *method = soup_server_message_get_method (msg);
  gboolean snapshot = g_str_equal (path, "/v1/snapshot");
  gboolean digests = g_str_equal (path, "/v1/digests");
  /* a replica's texts only in v2: a v1 answer would carry them in clear */
  gboolean texts = g_str_equal (path, "/v1/texts") && state->auth.version == 2 &&
                   self->handler.get_texts != NULL;
  gboolean get = g_str_equal (method, "GET");

  if (!snapshot && !digests && !texts)
    {
      vcr_peer_respond_error (msg, &state->auth, SOUP_STATUS_NOT_FOUND,
                              "not-found", "no such endpoint");
      return;
    }
  if (!(get || (snapshot && g_str_equal (method, "POST"))))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", snapshot ? "GET, POST" : "GET");
      vcr_peer_respond_error (msg, &state->auth, SOUP_STATUS_METHOD_NOT_ALLOWED,
                              "method-not-allowed", "method not allowed on this endpoint");
      return;
    }
  if (!get)
    {
      dispatch_post_snapshot (self, msg, state);
      return;
    }
  if (state->body.len > 0)
    {
      vcr_peer_respond_error (msg, &state->auth, SOUP_STATUS_BAD_REQUEST,
                              "bad-request", "a GET request has no body");
      return;
    }
  if (snapshot)
    self->handler.get_snapshot (reply_new (self, msg, state), self->user_data);
  else if (texts)
    self->handler.get_texts (reply_new (self, msg, state), self->user_data);
  else
    self->handler.get_digests (reply_new (self, msg, state), self->user_data);
}

/* A v1 request's body is in: its signature, then the nonce is recorded. */
static gboolean
verify_v1 (VcrPeerServer *self, SoupServerMessage *msg, const char *path,
           RequestState *state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *body_hash = vcr_auth_body_hash_finish (state->hash);
  VcrPeerAuth *auth = &state->auth;

  if (!vcr_auth_verify_request_signature (self->key, self->nonces, &state->header,
                                          soup_server_message_get_method (msg), path,
                                          body_hash, g_get_real_time () / G_USEC_PER_SEC,
                                          &error))
    {
      /* a full replay memory is the only refusal of a correctly signed
       * request: answer it signed, so the peer can tell it from an attack */
      if (g_error_matches (error, VCR_AUTH_ERROR, VCR_AUTH_ERROR_BUSY))
        {
          VcrPeerAuth signer = { .version = 1, .key = self->key };

          g_strlcpy (signer.nonce, state->header.nonce, sizeof signer.nonce);
          refuse_busy (msg, &signer, error->message);
        }
      else
        refuse_unauthorized (self, msg, error);
      return FALSE;
    }
  auth->version = 1;
  auth->key = vcr_auth_key_copy (self->key);
  g_strlcpy (auth->nonce, state->header.nonce, sizeof auth->nonce);
  vcr_peer_conns_set_authenticated (msg);
  return TRUE;
}

static void
server_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  VcrPeerServer *self = user_data;
  RequestState *state = g_object_get_data (G_OBJECT (msg), STATE_KEY);
  /* v2: authenticated by its headers, answered sealed from here on */
  const VcrPeerAuth *auth = state != NULL && state->auth.version == 2 ? &state->auth : NULL;

  if (state == NULL)
    return;   /* answered early */
  if (state->refusal == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    {
      vcr_peer_respond_error (msg, auth, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                              "too-large", "request body is over the limit");
      return;
    }
  if (state->refusal != 0)
    {
      refuse_busy (msg, auth, "too many request bytes in flight; try again later");
      return;
    }
  if (state->auth.version != 2 && !verify_v1 (self, msg, path, state))
    return;
  state->body.authenticated = TRUE;
  route (self, msg, state, path);
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
  vcr_seal_keys_free (self->keys);
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
  vcr_peer_server_set_secret (self, secret);
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
  vcr_seal_keys_free (self->keys);
  self->keys = vcr_seal_keys_new (secret);
}

void
vcr_peer_server_set_allow_v1 (VcrPeerServer *self, gboolean allow)
{
  g_return_if_fail (VCR_IS_PEER_SERVER (self));
  self->allow_v1 = allow;
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
