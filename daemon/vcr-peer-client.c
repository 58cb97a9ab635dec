/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP client: signs a request, sends it on a fresh connection,
 * reads the response body up to a limit, checks the response signature,
 * then turns the body into a document or the peer's error into a GError.
 */
#define G_LOG_DOMAIN "vcr-peer-client"

#include "config.h"

#include "vcr-peer-client.h"

#include <errno.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/random.h>

#include "vcr-auth.h"
#include "vcr-error.h"

#define READ_CHUNK 65536

struct _VcrPeerClient {
  GObject parent_instance;
  SoupSession *session;
  VcrAuthKey *key;
  gsize body_limit;
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
} Request;

static void
request_free (gpointer data)
{
  Request *req = data;

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
      if (sig == NULL && status == SOUP_STATUS_UNAUTHORIZED)
        peer_error (task, req, "refused our authentication (401, unsigned): "
                    "different pre-shared secret, clock skew or replay");
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
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_input_stream_read_bytes_async (req->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   cancellable, read_cb, task);
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
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        peer_error (task, req, "reading the response: %s", error->message);
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
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        peer_error (task, req, "%s", error->message);
      return;
    }
  read_next (g_steal_pointer (&task));
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
  SoupMessageHeaders *headers;
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
  g_task_set_task_data (task, req, request_free);

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

  req->msg = soup_message_new_from_uri (method, uri);
  headers = soup_message_get_request_headers (req->msg);
  soup_message_headers_replace (headers, "Authorization", auth);
  soup_message_headers_replace (headers, "Connection", "close");
  if (body != NULL)
    soup_message_set_request_body_from_bytes (req->msg, "application/json", body);
  soup_session_send_async (self->session, req->msg, G_PRIORITY_DEFAULT,
                           cancellable, send_cb, g_steal_pointer (&task));
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
  soup_session_set_timeout (self->session, seconds);
}

void
vcr_peer_client_set_body_limit (VcrPeerClient *self, gsize limit)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self));
  self->body_limit = limit;
}
