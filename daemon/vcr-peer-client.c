/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer client: resolves the peer, signs the request (v2: over the
 * address it connects to) and seals its body, sends it on a fresh
 * connection (vcr-peer-http.c), and hands the answer to vcr-peer-answer.c.
 * Each request has a deadline of its own (a timer that cancels it).
 */
#define G_LOG_DOMAIN "vcr-peer-client"

#include "config.h"

#include "vcr-peer-client-private.h"

#include <string.h>

#include "vcr-error.h"
#include "vcr-frame.h"
#include "vcr-peer-listener.h"
#include "vcr-random.h"

struct _VcrPeerClient {
  GObject parent_instance;
  VcrSealKeys *keys;
  VcrAuthKey *key;
  gboolean allow_v1;
  gsize body_limit;
  guint io_timeout;
  guint exchange_timeout;
  guint post_timeout;
};

G_DEFINE_TYPE (VcrPeerClient, vcr_peer_client, G_TYPE_OBJECT)

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
  g_free (req->host);
  g_free (req->peer);
  g_free (req->host_header);
  g_clear_object (&req->address);
  g_free (req->destination);
  vcr_seal_keys_free (req->keys);
  vcr_auth_key_free (req->key);
  g_clear_pointer (&req->sealed, vcr_sealed_payload_unref);
  g_clear_pointer (&req->v1_json, g_bytes_unref);
  g_free (req->v1_hash);
  g_free (req);
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

/* "[::1]" and "::1" both name an IPv6 host. */
static char *
bare_host (const char *host)
{
  gsize len = strlen (host);

  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    return g_strndup (host + 1, len - 2);
  return g_strdup (host);
}

/* ---- sending ------------------------------------------------------------ */

static void
exchange_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  VcrPeerHttpResponse *response = vcr_peer_http_exchange_finish (result, &error);

  if (response == NULL)
    {
      vcr_peer_request_io_error (task, error);
      return;
    }
  vcr_peer_answer (task, response);
  vcr_peer_http_response_free (response);
}

/* The Authorization header of @req in @version, its nonce kept; for a v2
 * POST also the frame's lock (into @lock). */
static char *
sign (Request *req, guint version, GBytes **lock, GError **error)
{
  guint8 random[VCR_AUTH_NONCE_BYTES + VCR_SEAL_IV_BYTES];
  g_autofree char *nonce = NULL;
  char *auth;

  if (!vcr_random_bytes (random, sizeof random, error))
    return NULL;
  req->ts = g_get_real_time () / G_USEC_PER_SEC;
  if (version == 1)
    {
      if (req->v1_hash == NULL)
        req->v1_hash = vcr_auth_sha256_hex (req->v1_json != NULL
                                              ? g_bytes_get_data (req->v1_json, NULL) : NULL,
                                            req->v1_json != NULL
                                              ? g_bytes_get_size (req->v1_json) : 0);
      auth = vcr_auth_request_header_hashed (req->key, req->method, req->path, req->ts,
                                             random, req->v1_hash, &nonce);
    }
  else
    {
      gsize length = req->sealed != NULL ? vcr_sealed_payload_get_frame_size (req->sealed) : 0;

      auth = vcr_seal_request_header (req->keys, req->method, req->path, req->destination,
                                      req->ts, random, length, &nonce);
      if (req->sealed != NULL)
        {
          VcrSealBinding binding = { req->method, req->path, req->destination, req->ts,
                                     nonce, 0 };

          *lock = vcr_seal_lock (req->keys, VCR_SEAL_REQUEST, &binding, req->sealed,
                                 random + VCR_AUTH_NONCE_BYTES);
        }
    }
  g_strlcpy (req->nonce, nonce, sizeof req->nonce);
  return auth;
}

void
vcr_peer_request_send (GTask *task, guint version)
{
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) lock = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *auth = sign (req, version, &lock, &error);
  g_autofree char *auth_line = NULL;
  const char *headers[2] = { NULL, NULL };
  GBytes *body[3] = { NULL, NULL, NULL };
  VcrPeerHttpRequest http = { 0 };

  if (auth == NULL)
    {
      vcr_peer_request_fail (task, "%s", error->message);
      g_object_unref (task);
      return;
    }
  req->version = version;
  auth_line = g_strconcat ("Authorization: ", auth, NULL);
  headers[0] = auth_line;
  if (req->kind == KIND_POST_SNAPSHOT && version == 2)
    {
      payload = vcr_sealed_payload_get_bytes (req->sealed);
      body[0] = lock;
      body[1] = payload;
      http.content_type = VCR_SEAL_CONTENT_TYPE;
    }
  else if (req->kind == KIND_POST_SNAPSHOT)
    {
      body[0] = req->v1_json;
      http.content_type = "application/json";
    }
  http.address = req->address;
  http.method = req->method;
  http.path = req->path;
  http.host = req->host_header;
  http.headers = headers;
  http.body = req->kind == KIND_POST_SNAPSHOT ? body : NULL;
  http.body_limit = req->limit;
  http.io_timeout = req->io_timeout;
  http.wait_for_answer = req->kind == KIND_POST_SNAPSHOT;
  g_debug ("%s %s to %s (v%u)", req->method, req->path, req->peer, version);
  vcr_peer_http_exchange_async (&http, req->cancellable, exchange_done, task);
}

/* The address is known: what v2 binds to, then the request. Takes @task. */
static void
send_to (GTask *task, GInetAddress *address)
{
  Request *req = g_task_get_task_data (task);

  req->address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, req->port));
  req->destination = vcr_peer_format_address (G_SOCKET_ADDRESS (req->address));
  vcr_peer_request_send (task, 2);
}

static void
resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (addresses == NULL)
    {
      vcr_peer_request_io_error (task, error);
      return;
    }
  /* the first, in the order the resolver prefers (RFC 6724): bound to it,
   * the request cannot go to another address */
  send_to (g_steal_pointer (&task), addresses->data);
  g_resolver_free_addresses (addresses);
}

static void
start_request (VcrPeerClient *self, RequestKind kind, const char *host, guint16 port,
               VcrSealedPayload *sealed, GBytes *v1_json, GCancellable *cancellable,
               GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *req = g_new0 (Request, 1);
  g_autoptr(GInetAddress) literal = NULL;
  gboolean post = kind == KIND_POST_SNAPSHOT;

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, req, request_free);
  req->kind = kind;
  req->method = post ? "POST" : "GET";
  req->path = kind == KIND_GET_DIGESTS ? "/v1/digests"
              : kind == KIND_GET_TEXTS ? "/v1/texts"
                                       : "/v1/snapshot";
  req->host = bare_host (host);
  req->port = port;
  req->peer = strchr (req->host, ':') != NULL ? g_strdup_printf ("[%s]:%u", req->host, port)
                                              : g_strdup_printf ("%s:%u", req->host, port);
  req->host_header = g_strdup (req->peer);
  req->keys = vcr_seal_keys_copy (self->keys);
  req->key = vcr_auth_key_copy (self->key);
  req->allow_v1 = self->allow_v1 && kind != KIND_GET_TEXTS;
  req->sealed = sealed != NULL ? vcr_sealed_payload_ref (sealed) : NULL;
  req->v1_json = v1_json != NULL ? g_bytes_ref (v1_json) : NULL;
  req->limit = self->body_limit;
  req->io_timeout = self->io_timeout;
  start_deadline (req, cancellable, post ? self->post_timeout : self->exchange_timeout);

  literal = g_inet_address_new_from_string (req->host);
  if (literal != NULL)
    send_to (task, literal);
  else
    g_resolver_lookup_by_name_async (g_resolver_get_default (), req->host, req->cancellable,
                                     resolved, task);
}

/* ---- API ---------------------------------------------------------------- */

VcrSealedPayload *
vcr_peer_seal_snapshot (const VcrSnapshot *snapshot, GError **error)
{
  guint8 random[VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES];
  g_autoptr(GBytes) plain = NULL;
  VcrSealedPayload *sealed;
  gsize length;
  const guint8 *data;

  if (!vcr_random_bytes (random, sizeof random, error))
    return NULL;
  plain = vcr_frame_snapshot_payload (snapshot);
  data = g_bytes_get_data (plain, &length);
  sealed = vcr_sealed_payload_new (data, length, random);
  memset (random, 0, sizeof random);
  return sealed;
}

void
vcr_peer_client_post_sealed_async (VcrPeerClient *self, const char *host, guint16 port,
                                   VcrSealedPayload *payload, GBytes *v1_json,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && host != NULL && payload != NULL);
  start_request (self, KIND_POST_SNAPSHOT, host, port, payload, v1_json, cancellable,
                 callback, user_data, vcr_peer_client_post_snapshot_async);
}

void
vcr_peer_client_post_snapshot_async (VcrPeerClient *self, const char *host, guint16 port,
                                     const VcrSnapshot *snapshot, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSealedPayload) sealed = NULL;
  g_autoptr(GBytes) v1_json = NULL;

  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && host != NULL && snapshot != NULL);
  sealed = vcr_peer_seal_snapshot (snapshot, &error);
  if (sealed == NULL)
    {
      g_task_report_new_error (self, callback, user_data, vcr_peer_client_post_snapshot_async,
                               VCR_ERROR, VCR_ERROR_PEER_FAILED, "%s:%u: %s", host, port,
                               error->message);
      return;
    }
  if (self->allow_v1)
    {
      gsize len = 0;
      char *json = vcr_snapshot_to_json (snapshot, &len);

      v1_json = g_bytes_new_take (json, len);
    }
  vcr_peer_client_post_sealed_async (self, host, port, sealed, v1_json, cancellable,
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
  start_request (self, KIND_GET_SNAPSHOT, host, port, NULL, NULL, cancellable,
                 callback, user_data, vcr_peer_client_get_snapshot_async);
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
  start_request (self, KIND_GET_DIGESTS, host, port, NULL, NULL, cancellable,
                 callback, user_data, vcr_peer_client_get_digests_async);
}

VcrDigests *
vcr_peer_client_get_digests_finish (VcrPeerClient *self, GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
vcr_peer_client_get_texts_async (VcrPeerClient *self, const char *host, guint16 port,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && host != NULL);
  start_request (self, KIND_GET_TEXTS, host, port, NULL, NULL, cancellable,
                 callback, user_data, vcr_peer_client_get_texts_async);
}

VcrSnapshot *
vcr_peer_client_get_texts_finish (VcrPeerClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
vcr_peer_client_finalize (GObject *object)
{
  VcrPeerClient *self = VCR_PEER_CLIENT (object);

  vcr_seal_keys_free (self->keys);
  vcr_auth_key_free (self->key);
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
  vcr_peer_client_set_secret (self, secret);
  return self;
}

void
vcr_peer_client_set_secret (VcrPeerClient *self, const char *secret)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self) && secret != NULL);
  vcr_seal_keys_free (self->keys);
  self->keys = vcr_seal_keys_new (secret);
  vcr_auth_key_free (self->key);
  self->key = vcr_auth_key_new (secret);
}

void
vcr_peer_client_set_allow_v1 (VcrPeerClient *self, gboolean allow)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self));
  self->allow_v1 = allow;
}

void
vcr_peer_client_set_timeout (VcrPeerClient *self, guint seconds)
{
  g_return_if_fail (VCR_IS_PEER_CLIENT (self));
  self->io_timeout = seconds;
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
