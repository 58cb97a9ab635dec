/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer client's reading of an answer. Protocol v2: an unsigned 401 is
 * the peer's refusal of our authentication (shown as the peer's word,
 * which anyone on the path could have written; with allow-protocol-v1,
 * a v1-only peer's refusal of a header it cannot parse makes the request
 * go once more in v1); any other answer must be a frame sealed for this
 * very request, opened in place in the answer's body, or it is dropped.
 * Protocol v1: the X-VCR-Signature over the request's nonce. Then the
 * document: a refusal becomes "HOST:PORT: STATUS CODE: MESSAGE".
 */
#define G_LOG_DOMAIN "vcr-peer-client"

#include "vcr-peer-client-private.h"

#include <string.h>

#include "vcr-error.h"
#include "vcr-frame.h"

/* What a v1-only peer (vcr_auth_header_parse() of 0.1) answers to a
 * VCR2 header, unsigned, with 401: the one refusal that sends a request
 * again in v1, when that is allowed. */
#define V1_PEER_REFUSAL "malformed Authorization header (want \"VCR1 "

void
vcr_peer_request_fail (GTask *task, const char *format, ...)
{
  Request *req = g_task_get_task_data (task);
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_PEER_FAILED, "%s: %s", req->peer, text);
}

/* A failed resolve, send or read: the caller's cancel, the deadline, or
 * I/O. */
void
vcr_peer_request_io_error (GTask *task, const GError *error)
{
  Request *req = g_task_get_task_data (task);

  if (req->timed_out)
    vcr_peer_request_fail (task, "no complete answer within %u s", req->deadline_s);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else
    vcr_peer_request_fail (task, "%s", error->message);
}

static gboolean
send_again (gpointer user_data)
{
  GTask *task = user_data;
  Request *req = g_task_get_task_data (task);

  vcr_peer_request_send (g_object_ref (task), req->version);
  return G_SOURCE_REMOVE;
}

/* A POST the replica refused only because it applies another snapshot
 * just now: sent again later, a bounded number of times, so that a Push
 * does not report a failure for a replica that is merely busy. */
static gboolean
resend_when_busy (GTask *task, guint status, const char *code)
{
  Request *req = g_task_get_task_data (task);
  guint delay;

  if (req->kind != KIND_POST_SNAPSHOT || status != 503 || g_strcmp0 (code, "busy") != 0 ||
      req->busy_answers >= VCR_PEER_BUSY_RESENDS ||
      g_cancellable_is_cancelled (req->cancellable))
    return FALSE;
  delay = MIN (250u << MIN (req->busy_answers, 3u), 2000u);
  req->busy_answers++;
  g_message ("%s is busy applying another snapshot; sending again in %u ms", req->peer, delay);
  g_timeout_add_full (G_PRIORITY_DEFAULT, delay, send_again, g_object_ref (task),
                      g_object_unref);
  return TRUE;
}

/* A refusal whose seal or signature was right. */
static void
return_refusal (GTask *task, guint status, const char *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  if (vcr_error_body_from_json (data, len, &code, &message, &error))
    {
      if (!resend_when_busy (task, status, code))
        vcr_peer_request_fail (task, "%u %s: %s", status, code, message);
    }
  else
    vcr_peer_request_fail (task, "%u without a valid error body (%s)", status, error->message);
}

/* The document of a 200 answer. @owner (nullable, taken) holds @data: a
 * snapshot keeps it, its texts where they lie. */
static void
return_document (GTask *task, guint8 *data, gsize len, gpointer owner)
{
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree gpointer owned = owner;

  switch (req->kind)
    {
    case KIND_POST_SNAPSHOT:
      {
        gboolean applied;
        guint64 generation, *out;

        if (!vcr_post_result_from_json ((const char *) data, len, &applied, &generation, &error))
          break;
        out = g_new (guint64, 2);   /* both answers travel in one small array */
        out[0] = applied;
        out[1] = generation;
        g_task_return_pointer (task, out, g_free);
        return;
      }
    case KIND_GET_SNAPSHOT:
    case KIND_GET_TEXTS:
      {
        VcrSnapshot *snapshot = req->kind == KIND_GET_TEXTS
          ? vcr_frame_texts_read_in_place (data, len, g_free, g_steal_pointer (&owned), &error)
          : req->version == 2
          ? vcr_frame_snapshot_read_in_place (data, len, g_free, g_steal_pointer (&owned), &error)
          : vcr_snapshot_from_json ((const char *) data, len, &error);

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
        VcrDigests *digests = vcr_digests_from_json ((const char *) data, len, &error);

        if (digests == NULL)
          break;
        g_task_return_pointer (task, digests, (GDestroyNotify) vcr_digests_free);
        return;
      }
    }
  vcr_peer_request_fail (task, "%s", error->message);
}

/* An answer not sealed (v2) or not signed (v1): a refusal before
 * authentication, whose text anyone on the path could have written, or
 * something that is not our peer at all. */
static void
return_unauthenticated (GTask *task, VcrPeerHttpResponse *response, const char *why)
{
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) body_error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  const char *adjective = req->version == 2 ? "unsealed" : "unsigned";
  gboolean has_body = vcr_error_body_from_json ((const char *) response->body,
                                                response->body_len, &code, &message,
                                                &body_error);

  if (response->status == 401)
    vcr_peer_request_fail (task, "refused our authentication (401, %s): %s", adjective,
                           has_body ? message
                                    : "different pre-shared secret, clock skew or replay");
  else if (has_body && response->status >= 400 && response->status < 600)
    vcr_peer_request_fail (task, "refused before authentication (%u %s, %s): %s",
                           response->status, code, message, adjective);
  else
    vcr_peer_request_fail (task, "response dropped (HTTP %u): %s", response->status, why);
}

/* A v1-only peer's refusal of our v2 header; with allow-protocol-v1 the
 * request goes again, once, in v1. */
static gboolean
is_v1_peer_refusal (VcrPeerHttpResponse *response)
{
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  return response->status == 401 &&
         vcr_error_body_from_json ((const char *) response->body, response->body_len,
                                   &code, &message, NULL) &&
         g_str_has_prefix (message, V1_PEER_REFUSAL);
}

static void
answer_v2 (GTask *task, VcrPeerHttpResponse *response)
{
  Request *req = g_task_get_task_data (task);
  const char *type = soup_message_headers_get_content_type (response->headers, NULL);
  VcrSealBinding binding = { req->method, req->path, req->destination, req->ts, req->nonce,
                             response->status };
  g_autoptr(GError) error = NULL;
  guint8 *plain = NULL;
  gsize plain_len = 0;
  const char *json;
  gsize json_len;

  if (g_strcmp0 (type, VCR_SEAL_CONTENT_TYPE) != 0)
    {
      if (is_v1_peer_refusal (response) && req->allow_v1 &&
          (req->kind != KIND_POST_SNAPSHOT || req->v1_json != NULL))
        {
          g_message ("%s speaks protocol v1 only; sending in v1 (allow-protocol-v1)", req->peer);
          vcr_peer_request_send (g_object_ref (task), 1);
          return;
        }
      if (is_v1_peer_refusal (response) && req->kind == KIND_GET_TEXTS)
        vcr_peer_request_fail (task, "speaks protocol v1 only, which cannot show its texts "
                               "(upgrade it)");
      else if (is_v1_peer_refusal (response))
        vcr_peer_request_fail (task, "speaks protocol v1 only (it refused our v2 request: "
                               "upgrade it, or set allow-protocol-v1 on this node "
                               "for the upgrade)");
      else
        return_unauthenticated (task, response, "not a sealed frame");
      return;
    }
  if (!vcr_seal_open_in_place (req->keys, VCR_SEAL_RESPONSE, &binding, response->body,
                               response->body_len, &plain, &plain_len, &error))
    {
      vcr_peer_request_fail (task, "response dropped (HTTP %u): %s", response->status,
                             error->message);
      return;
    }
  if (response->status == 200 && (req->kind == KIND_GET_SNAPSHOT || req->kind == KIND_GET_TEXTS))
    {
      return_document (task, plain, plain_len, g_steal_pointer (&response->body));
      return;
    }
  if (!vcr_frame_document_read (plain, plain_len, &json, &json_len, &error))
    vcr_peer_request_fail (task, "%s", error->message);
  else if (response->status != 200)
    return_refusal (task, response->status, json, json_len);
  else
    return_document (task, (guint8 *) json, json_len, NULL);
}

static void
answer_v1 (GTask *task, VcrPeerHttpResponse *response)
{
  Request *req = g_task_get_task_data (task);
  const char *sig = soup_message_headers_get_one (response->headers, VCR_AUTH_RESPONSE_HEADER);
  g_autoptr(GError) error = NULL;

  if (!vcr_auth_verify_response (req->key, req->nonce, response->status, response->body,
                                 response->body_len, sig, &error))
    {
      if (sig == NULL)
        return_unauthenticated (task, response, error->message);
      else
        vcr_peer_request_fail (task, "response dropped (HTTP %u): %s", response->status,
                               error->message);
      return;
    }
  if (response->status != 200)
    return_refusal (task, response->status, (const char *) response->body, response->body_len);
  else
    return_document (task, response->body, response->body_len, NULL);
}

void
vcr_peer_answer (GTask *task, VcrPeerHttpResponse *response)
{
  Request *req = g_task_get_task_data (task);

  if (req->version == 2)
    answer_v2 (task, response);
  else
    answer_v1 (task, response);
}
