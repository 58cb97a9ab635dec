/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer server's answers (see vcr-peer-respond.h). A v2 answer's
 * payload is sealed under a fresh content key from getrandom() and goes
 * out as two pieces of the response body, the lock and the sealed
 * payload, without copying the payload into a frame.
 */
#define G_LOG_DOMAIN "vcr-peer-server"

#include "vcr-peer-respond.h"

#include <string.h>

#include "vcr-error.h"
#include "vcr-frame.h"
#include "vcr-peer-conns.h"
#include "vcr-random.h"

void
vcr_peer_auth_clear (VcrPeerAuth *auth)
{
  vcr_auth_key_free (auth->key);
  vcr_seal_keys_free (auth->keys);
  g_free (auth->method);
  g_free (auth->path);
  g_free (auth->destination);
  memset (auth, 0, sizeof *auth);
}

void
vcr_peer_auth_copy (VcrPeerAuth *dst, const VcrPeerAuth *src)
{
  *dst = *src;
  dst->key = src->key != NULL ? vcr_auth_key_copy (src->key) : NULL;
  dst->keys = src->keys != NULL ? vcr_seal_keys_copy (src->keys) : NULL;
  dst->method = g_strdup (src->method);
  dst->path = g_strdup (src->path);
  dst->destination = g_strdup (src->destination);
}

/* Status, Connection: close and the deadline; the body is set. */
static void
finish (SoupServerMessage *msg, guint status, gsize length)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  soup_server_message_set_status (msg, status, NULL);
  vcr_peer_conns_set_phase (msg, VCR_PEER_PHASE_RESPONDING, length);
}

/* A v2 answer: @plain sealed for the request in @auth and @status. */
static void
respond_sealed (SoupServerMessage *msg, const VcrPeerAuth *auth, guint status, GBytes *plain)
{
  guint8 random[VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES + VCR_SEAL_IV_BYTES];
  VcrSealBinding binding = { auth->method, auth->path, auth->destination, auth->ts,
                             auth->nonce, status };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSealedPayload) sealed = NULL;
  g_autoptr(GBytes) lock = NULL;
  g_autoptr(GBytes) payload = NULL;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize length;
  const guint8 *data = g_bytes_get_data (plain, &length);

  if (!vcr_random_bytes (random, sizeof random, &error))
    {
      g_autofree char *json = vcr_error_body_to_json ("internal", error->message, &length);

      g_warning ("Cannot answer %s: %s", auth->path, error->message);
      vcr_peer_respond_json (msg, NULL, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                             g_steal_pointer (&json), length);
      return;
    }
  sealed = vcr_sealed_payload_new (data, length, random);
  lock = vcr_seal_lock (auth->keys, VCR_SEAL_RESPONSE, &binding, sealed,
                        random + VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES);
  memset (random, 0, sizeof random);
  payload = vcr_sealed_payload_get_bytes (sealed);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Type", VCR_SEAL_CONTENT_TYPE);
  soup_message_body_truncate (body);
  soup_message_body_append_bytes (body, lock);
  soup_message_body_append_bytes (body, payload);
  finish (msg, status, vcr_sealed_payload_get_frame_size (sealed));
}

void
vcr_peer_respond_json (SoupServerMessage *msg, const VcrPeerAuth *auth, guint status,
                       char *json, gsize length)
{
  if (auth != NULL && auth->version == 2)
    {
      g_autoptr(GBytes) plain = vcr_frame_document_payload (json, length);

      g_free (json);
      respond_sealed (msg, auth, status, plain);
      return;
    }
  if (auth != NULL && auth->version == 1)
    {
      g_autofree char *sig = vcr_auth_response_signature (auth->key, auth->nonce, status,
                                                          (const guint8 *) json, length);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    VCR_AUTH_RESPONSE_HEADER, sig);
    }
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, length);
  finish (msg, status, length);
}

void
vcr_peer_respond_error (SoupServerMessage *msg, const VcrPeerAuth *auth, guint status,
                        const char *code, const char *message)
{
  gsize length = 0;
  char *json = vcr_error_body_to_json (code, message, &length);

  g_debug ("%s %s -> %u %s: %s", soup_server_message_get_method (msg),
           g_uri_get_path (soup_server_message_get_uri (msg)), status, code, message);
  vcr_peer_respond_json (msg, auth, status, json, length);
}

void
vcr_peer_respond_snapshot (SoupServerMessage *msg, const VcrPeerAuth *auth,
                           const VcrSnapshot *snapshot)
{
  gsize length = 0;
  char *json;

  if (auth->version == 2)
    {
      g_autoptr(GBytes) plain = vcr_frame_snapshot_payload (snapshot);

      respond_sealed (msg, auth, SOUP_STATUS_OK, plain);
      return;
    }
  json = vcr_snapshot_to_json (snapshot, &length);
  vcr_peer_respond_json (msg, auth, SOUP_STATUS_OK, json, length);
}
