/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP client: signs a request, sends it on a fresh connection,
 * reads the response body up to a limit, checks the response signature,
 * then turns the body into a document or the peer's error into a GError.
 * Each request has a deadline of its own (a timer that cancels it); a POST
 * lifts libsoup's I/O timeout on its socket between the end of its body
 * and the answer's headers, the time of the replica's apply.
 */
#define G_LOG_DOMAIN "vcr-peer-client"

#include "config.h"

#include "vcr-peer-client.h"

#include <errno.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/random.h>

#include "vcr-auth.h"
#include "vcr-error.h"

#define READ_CHUNK 65536
/* While a POST waits for the replica's apply, the I/O timeout is lifted;
 * a peer whose link died is still found out within about this long: TCP
 * keepalive probes after KEEPALIVE_IDLE_S of silence, and data or probes
 * left unacknowledged this long end the connection (TCP_USER_TIMEOUT). */
#define DEAD_LINK_MS 20000
#define KEEPALIVE_IDLE_S 5

struct _VcrPeerClient {
  GObject parent_instance;
  SoupSession *session;
  VcrAuthKey *key;
  gsize body_limit;
  guint io_timeout;
  guint exchange_timeout;
  guint post_timeout;
  /* The hash of the last body sent: a primary posts the same bytes to
   * every replica, and 16 hashes of 5 MB are 16 × 11 ms on its loop. */
  GBytes *hashed_body;
  char *body_hash;
};

G_DEFINE_TYPE (VcrPeerClient, vcr_peer_client, G_TYPE_OBJECT)

typedef enum {
  KIND_POST_SNAPSHOT,
  KIND_GET_SNAPSHOT,
  KIND_GET_DIGESTS,
} RequestKind;

typedef struct {
  RequestKind kind;
  char *peer;             /* "HOST:PORT" for messages */
  char nonce[VCR_AUTH_NONCE_HEX_LEN + 1];
  VcrAuthKey *key;        /* the key the request was signed with */
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *body;
  gsize limit;
  guint io_timeout;
  guint deadline_s;
  GCancellable *cancellable;   /* ours: the caller's, or the deadline */
  GCancellable *caller;
  gulong caller_handler;
  GSource *deadline;
  gboolean timed_out;
  GSocket *socket;             /* from the message's network events */
} Request;

static void
request_free (gpointer data)
{
  Request *req = data;

  if (req->deadline != NULL)
    g_source_destroy (req->deadline);
  g_clear_pointer (&req->deadline, g_source_unref);
  if (req->caller != NULL)
    g_cancellable_disconnect (req->caller, req->caller_handler);
  g_clear_object (&req->caller);
  g_clear_object (&req->cancellable);
  g_clear_object (&req->socket);
  if (req->msg != NULL)
    g_signal_handlers_disconnect_by_data (req->msg, req);
  g_free (req->peer);
  vcr_auth_key_free (req->key);
  g_clear_object (&req->msg);
  g_clear_object (&req->stream);
  g_byte_array_unref (req->body);
  g_free (req);
}

/* getrandom(2): g_random_* is not a cryptographic source. */
static gboolean
random_nonce (guint8 *bytes, GError **error)
{
  gsize done = 0;

  while (done < VCR_AUTH_NONCE_BYTES)
    {
      ssize_t n = getrandom (bytes + done, VCR_AUTH_NONCE_BYTES - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED,
                       "getrandom: %s", g_strerror (errno));
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

static void
peer_error (GTask *task, Request *req, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
peer_error (GTask *task, Request *req, const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                           "%s: %s", req->peer, text);
}

/* A non-200 answer whose signature was valid. */
static void
return_refusal (GTask *task, Request *req, guint status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  if (vcr_error_body_from_json ((const char *) req->body->data, req->body->len,
                                &code, &message, &error))
    peer_error (task, req, "%u %s: %s", status, code, message);
  else
    peer_error (task, req, "%u without a valid error body (%s)", status, error->message);
}

/* A failed send or read: the caller's cancel, the deadline, or I/O. */
static void
return_io_error (GTask *task, Request *req, GError *error, const char *what)
{
  if (req->timed_out)
    peer_error (task, req, "no complete answer within %u s", req->deadline_s);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else if (what != NULL)
    peer_error (task, req, "%s: %s", what, error->message);
  else
    peer_error (task, req, "%s", error->message);
}

/* An answer without a signature: a refusal before authentication (its
 * text, which anyone on the path could have written, is shown as the
 * peer's), or something that is not our peer at all. */
static void
return_unsigned (GTask *task, Request *req, guint status, const GError *error)
{
  g_autoptr(GError) body_error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  gboolean has_body = vcr_error_body_from_json ((const char *) req->body->data,
                                                req->body->len, &code, &message,
                                                &body_error);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    peer_error (task, req, "refused our authentication (401, unsigned): %s",
                has_body ? message : "different pre-shared secret, clock skew or replay");
  else if (has_body && (status == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE ||
                        status == SOUP_STATUS_SERVICE_UNAVAILABLE))
    peer_error (task, req, "refused before authentication (%u %s, unsigned): %s",
                status, code, message);
  else
    peer_error (task, req, "response dropped (HTTP %u): %s", status, error->message);
}

static void
finish_response (GTask *task, Request *req)
{
  guint status = soup_message_get_status (req->msg);
  const char *sig = soup_message_headers_get_one (soup_message_get_response_headers (req->msg),
                                                  VCR_AUTH_RESPONSE_HEADER);
  const char *data = (const char *) req->body->data;
  gsize len = req->body->len;
  g_autoptr(GError) error = NULL;

  if (!vcr_auth_verify_response (req->key, req->nonce, status, req->body->data,
                                 len, sig, &error))
    {
      if (sig == NULL)
        return_unsigned (task, req, status, error);
      else
        peer_error (task, req, "response dropped (HTTP %u): %s", status, error->message);
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      return_refusal (task, req, status);
      return;
    }
  switch (req->kind)
    {
    case KIND_POST_SNAPSHOT:
      {
        gboolean applied;
        guint64 generation;

        if (!vcr_post_result_from_json (data, len, &applied, &generation, &error))
          break;
        /* both answers travel in one small array */
        {
          guint64 *out = g_new (guint64, 2);
          out[0] = applied;
          out[1] = generation;
          g_task_return_pointer (task, out, g_free);
        }
        return;
      }
    case KIND_GET_SNAPSHOT:
      {
        /* Read in place (the signature was checked above, on the bytes
         * as they came): the snapshot keeps the body, not a second copy
         * of its texts. */
        VcrSnapshot *snapshot =
          vcr_snapshot_from_json_in_place ((char *) req->body->data, len,
                                           (GDestroyNotify) g_byte_array_unref,
                                           g_byte_array_ref (req->body), &error);

        if (snapshot == NULL)
          break;
        if (!vcr_snapshot_check_digests (snapshot, &error))
          {
            vcr_snapshot_free (snapshot);
            break;
          }
        g_task_return_pointer (task, snapshot, (GDestroyNotify) vcr_snapshot_free);
        return;
      }
    case KIND_GET_DIGESTS:
      {
        VcrDigests *digests = vcr_digests_from_json (data, len, &error);

        if (digests == NULL)
          break;
        g_task_return_pointer (task, digests, (GDestroyNotify) vcr_digests_free);
        return;
      }
    }
  peer_error (task, req, "%s", error->message);
}

static void read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* Takes @task (argument order would make stealing it in the call unsafe). */
static void
read_next (GTask *task)
{
  Request *req = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (req->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   req->cancellable, read_cb, task);
}

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source),
                                                             result, &error);

  if (chunk == NULL)
    {
      return_io_error (task, req, error, "reading the response");
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      finish_response (task, req);
      return;
    }
  if (g_bytes_get_size (chunk) > req->limit - req->body->len)
    {
      peer_error (task, req, "response body over %" G_GSIZE_FORMAT " bytes", req->limit);
      return;
    }
  g_byte_array_append (req->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  read_next (g_steal_pointer (&task));
}

static void
send_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  req->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (req->stream == NULL)
    {
      return_io_error (task, req, error, NULL);
      return;
    }
  read_next (g_steal_pointer (&task));
}

static gboolean
deadline_passed (gpointer user_data)
{
  Request *req = user_data;

  req->timed_out = TRUE;
  g_clear_pointer (&req->deadline, g_source_unref);
  g_cancellable_cancel (req->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled (GCancellable *caller, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

/* The connection's socket, to change its I/O timeout. */
static void
network_event (SoupMessage *msg, GSocketClientEvent event, GIOStream *connection,
               gpointer user_data)
{
  Request *req = user_data;

  if (req->socket != NULL || !G_IS_SOCKET_CONNECTION (connection))
    return;
  req->socket = g_object_ref (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)));
  g_socket_set_keepalive (req->socket, TRUE);
  g_socket_set_option (req->socket, IPPROTO_TCP, TCP_KEEPIDLE, KEEPALIVE_IDLE_S, NULL);
  g_socket_set_option (req->socket, IPPROTO_TCP, TCP_KEEPINTVL, KEEPALIVE_IDLE_S, NULL);
  g_socket_set_option (req->socket, IPPROTO_TCP, TCP_USER_TIMEOUT, DEAD_LINK_MS, NULL);
}

/* POST: the body is out; the answer comes after the replica's apply,
 * bounded by the request's deadline (and a dead link by DEAD_LINK_MS). */
static void
wrote_body (SoupMessage *msg, gpointer user_data)
{
  Request *req = user_data;

  if (req->socket != NULL)
    g_socket_set_timeout (req->socket, 0);
}

static void
got_headers (SoupMessage *msg, gpointer user_data)
{
  Request *req = user_data;

  if (req->socket != NULL)
    g_socket_set_timeout (req->socket, req->io_timeout);
}

/* Our cancellable, cancelled by the caller's or by the deadline. */
static void
start_deadline (Request *req, GCancellable *caller, guint seconds)
{
  req->cancellable = g_cancellable_new ();
  req->deadline_s = seconds;
  if (caller != NULL)
    {
      req->caller = g_object_ref (caller);
      req->caller_handler = g_cancellable_connect (caller, G_CALLBACK (caller_cancelled),
                                                   req->cancellable, NULL);
    }
  req->deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (req->deadline, deadline_passed, req, NULL);
  g_source_attach (req->deadline, g_main_context_get_thread_default ());
}

/* "[::1]" and "::1" both name an IPv6 host; GUri adds the brackets. */
static char *
bare_host (const char *host)
{
  gsize len = strlen (host);

  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    return g_strndup (host + 1, len - 2);
  return g_strdup (host);
}

/* The signed message, its signals connected to @req. */
static SoupMessage *
new_message (Request *req, const char *method, GUri *uri, const char *auth,
             GBytes *body)
{
  SoupMessage *msg = soup_message_new_from_uri (method, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  /* a redirect would send the same signed request elsewhere */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (headers, "Authorization", auth);
  soup_message_headers_replace (headers, "Connection", "close");
  if (body != NULL)
    {
      soup_message_set_request_body_from_bytes (msg, "application/json", body);
      /* refused on its headers (clock, replay, busy), a body of megabytes
       * is not sent for nothing, and the replica does not close on it */
      soup_message_headers_set_expectations (headers, SOUP_EXPECTATION_CONTINUE);
    }
  g_signal_connect (msg, "network-event", G_CALLBACK (network_event), req);
  if (req->kind == KIND_POST_SNAPSHOT)
    {
      g_signal_connect (msg, "wrote-body", G_CALLBACK (wrote_body), req);
      g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers), req);
    }
  return msg;
}

static void
start_request (VcrPeerClient *self, RequestKind kind, const char *method,
               const char *path, const char *host, guint16 port,
               GBytes *body, GCancellable *cancellable,
               GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *bare = bare_host (host);
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, bare, port,
                                     path, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *nonce = NULL;
  guint8 nonce_bytes[VCR_AUTH_NONCE_BYTES];
  Request *req = g_new0 (Request, 1);
  gsize body_len = 0;
  const guint8 *body_data = body != NULL ? g_bytes_get_data (body, &body_len) : NULL;

  g_task_set_source_tag (task, tag);
  req->kind = kind;
  req->peer = strchr (bare, ':') != NULL ? g_strdup_printf ("[%s]:%u", bare, port)
                                         : g_strdup_printf ("%s:%u", bare, port);
  req->key = vcr_auth_key_copy (self->key);
  req->body = g_byte_array_new ();
  req->limit = self->body_limit;
  req->io_timeout = self->io_timeout;
  g_task_set_task_data (task, req, request_free);
  start_deadline (req, cancellable,
                  kind == KIND_POST_SNAPSHOT ? self->post_timeout : self->exchange_timeout);

  if (!random_nonce (nonce_bytes, &error))
    {
      peer_error (task, req, "%s", error->message);
      return;
    }
  if (body == NULL || body != self->hashed_body)
    {
      g_clear_pointer (&self->hashed_body, g_bytes_unref);
      g_free (self->body_hash);
      self->body_hash = vcr_auth_sha256_hex (body_data, body_len);
      self->hashed_body = body != NULL ? g_bytes_ref (body) : NULL;
    }
  auth = vcr_auth_request_header_hashed (req->key, method, path,
                                         g_get_real_time () / G_USEC_PER_SEC,
                                         nonce_bytes, self->body_hash, &nonce);
  g_strlcpy (req->nonce, nonce, sizeof req->nonce);

  req->msg = new_message (req, method, uri, auth, body);
  soup_session_send_async (self->session, req->msg, G_PRIORITY_DEFAULT,
                           req->cancellable, send_cb, g_steal_pointer (&task));
}

void
vcr_peer_client_post_snapshot_json_async (VcrPeerClient *self, const char *host,
                                          guint16 port, GBytes *json,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && host != NULL && json != NULL);
  start_request (self, KIND_POST_SNAPSHOT, "POST", "/v1/snapshot", host, port,
                 json, cancellable, callback, user_data,
                 vcr_peer_client_post_snapshot_async);
}

void
vcr_peer_client_post_snapshot_async (VcrPeerClient *self, const char *host,
                                     guint16 port, const VcrSnapshot *snapshot,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  gsize len = 0;
  char *json;
  g_autoptr(GBytes) body = NULL;

  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && host != NULL && snapshot != NULL);
  json = vcr_snapshot_to_json (snapshot, &len);
  body = g_bytes_new_take (json, len);
  vcr_peer_client_post_snapshot_json_async (self, host, port, body, cancellable,
                                            callback, user_data);
}

gboolean
vcr_peer_client_post_snapshot_finish (VcrPeerClient *self, GAsyncResult *result,
                                      gboolean *applied, guint64 *generation,
                                      GError **error)
{
  g_autofree guint64 *out = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  out = g_task_propagate_pointer (G_TASK (result), error);
  if (out == NULL)
    return FALSE;
  if (applied != NULL)
    *applied = out[0] != 0;
  if (generation != NULL)
    *generation = out[1];
  return TRUE;
}

void
vcr_peer_client_get_snapshot_async (VcrPeerClient *self, const char *host,
                                    guint16 port, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && host != NULL);
  start_request (self, KIND_GET_SNAPSHOT, "GET", "/v1/snapshot", host, port, NULL,
                 cancellable, callback, user_data, vcr_peer_client_get_snapshot_async);
}

VcrSnapshot *
vcr_peer_client_get_snapshot_finish (VcrPeerClient *self, GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
vcr_peer_client_get_digests_async (VcrPeerClient *self, const char *host,
                                   guint16 port, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && host != NULL);
  start_request (self, KIND_GET_DIGESTS, "GET", "/v1/digests", host, port, NULL,
                 cancellable, callback, user_data, vcr_peer_client_get_digests_async);
}

VcrDigests *
vcr_peer_client_get_digests_finish (VcrPeerClient *self, GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
vcr_peer_client_finalize (GObject *object)
{
  VcrPeerClient *self = VCR_PEER_CLIENT (object);

  g_clear_object (&self->session);
  vcr_auth_key_free (self->key);
  g_clear_pointer (&self->hashed_body, g_bytes_unref);
  g_free (self->body_hash);
  G_OBJECT_CLASS (vcr_peer_client_parent_class)->finalize (object);
}

static void
vcr_peer_client_class_init (VcrPeerClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vcr_peer_client_finalize;
}

static void
vcr_peer_client_init (VcrPeerClient *self)
{
  /* libsoup allows 10 connections in all by default: a primary pushing to
   * 16 replicas "concurrently" sent to 10 and queued the other 6 behind
   * them. Each replica is a host of its own. */
  self->session = soup_session_new_with_options ("user-agent", PACKAGE_NAME "/" PACKAGE_VERSION,
                                                 "timeout", VCR_PEER_CLIENT_DEFAULT_TIMEOUT,
                                                 "max-conns", VCR_PEER_CLIENT_MAX_CONNS,
                                                 NULL);
  /* peers are on the routers' own networks: never through a proxy */
  soup_session_set_proxy_resolver (self->session, NULL);
  self->body_limit = VCR_PEER_DEFAULT_BODY_LIMIT;
  self->io_timeout = VCR_PEER_CLIENT_DEFAULT_TIMEOUT;
  self->exchange_timeout = VCR_PEER_CLIENT_EXCHANGE_TIMEOUT;
  self->post_timeout = VCR_PEER_CLIENT_POST_TIMEOUT;
}

VcrPeerClient *
vcr_peer_client_new (const char *secret)
{
  VcrPeerClient *self;

  g_return_val_if_fail (secret != NULL, NULL);
  self = g_object_new (VCR_TYPE_PEER_CLIENT, NULL);
  self->key = vcr_auth_key_new (secret);
  return self;
}

void
vcr_peer_client_set_secret (VcrPeerClient *self, const char *secret)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && secret != NULL);
  vcr_auth_key_free (self->key);
  self->key = vcr_auth_key_new (secret);
}

void
vcr_peer_client_set_timeout (VcrPeerClient *self, guint seconds)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self));
  self->io_timeout = seconds;
  soup_session_set_timeout (self->session, seconds);
}

void
vcr_peer_client_set_deadlines (VcrPeerClient *self, guint exchange_seconds,
                               guint post_seconds)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self));
  g_return_if_fail (exchange_seconds > 0 && post_seconds > 0);
  self->exchange_timeout = exchange_seconds;
  self->post_timeout = post_seconds;
}

void
vcr_peer_client_set_body_limit (VcrPeerClient *self, gsize limit)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self));
  self->body_limit = limit;
}
