/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer client's exchange (vcr-peer-http.h) through libsoup's own
 * client, SoupSession, instead of vcr-peer-http.c's writev: kept only so
 * that bench/bench-push.sh can measure the two against each other (the
 * project prefers the library unless a benchmark proves it short; the
 * figures are in docs/performance.md). It is used when the daemon runs
 * with VCR_PEER_HTTP=libsoup in its environment, never otherwise.
 *
 * The same request (head, `Expect: 100-continue`, the body's parts handed
 * to libsoup as one GMemoryInputStream over the shared GBytes, no copy);
 * the answer is read into one buffer bounded by the caller's limit. One
 * session for the process, without an I/O timeout of its own: the peer
 * client's deadline for each request (a timer that cancels it) bounds it.
 */
#define G_LOG_DOMAIN "vcr-peer-http"

#include "vcr-peer-http.h"

#include <string.h>

#include "vcr-error.h"

#define READ_STEP (1024 * 1024)

typedef struct {
  SoupMessage *msg;
  GInputStream *stream;
  VcrPeerHttpResponse *response;
  gsize body_limit;
  gsize body_cap;
} SoupExchange;

static void
soup_exchange_free (gpointer data)
{
  SoupExchange *ex = data;

  g_clear_object (&ex->msg);
  if (ex->stream != NULL)
    g_input_stream_close (ex->stream, NULL, NULL);
  g_clear_object (&ex->stream);
  vcr_peer_http_response_free (ex->response);
  g_free (ex);
}

static SoupSession *
the_session (void)
{
  static SoupSession *session;

  if (session == NULL)
    {
      /* one host per replica, as many at once as a push has replicas */
      session = soup_session_new_with_options ("max-conns", 256, "max-conns-per-host", 4,
                                               "timeout", 0, "idle-timeout", 0, NULL);
      soup_session_set_proxy_resolver (session, NULL);
    }
  return session;
}

static void read_more (GTask *task);

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupExchange *ex = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      g_prefix_error (&error, "reading the response: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&ex->response),
                             (GDestroyNotify) vcr_peer_http_response_free);
      return;
    }
  ex->response->body_len += (gsize) n;
  read_more (g_steal_pointer (&task));
}

/* Takes @task. */
static void
read_more (GTask *task)
{
  SoupExchange *ex = g_task_get_task_data (task);
  VcrPeerHttpResponse *response = ex->response;

  if (response->body_len == ex->body_cap)
    {
      if (ex->body_cap > ex->body_limit)
        {
          g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                                   "response body over %" G_GSIZE_FORMAT " bytes",
                                   ex->body_limit);
          g_object_unref (task);
          return;
        }
      ex->body_cap = MIN (MAX (ex->body_cap * 2, 65536), ex->body_limit + 1);
      response->body = g_realloc (response->body, ex->body_cap);
    }
  g_input_stream_read_async (ex->stream, response->body + response->body_len,
                             MIN (ex->body_cap - response->body_len, READ_STEP),
                             G_PRIORITY_DEFAULT, g_task_get_cancellable (task), read_cb, task);
}

static void
sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupExchange *ex = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_response_headers (ex->msg);
  goffset length;

  ex->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (ex->stream == NULL)
    {
      g_prefix_error (&error, "sending the request: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  ex->response = g_new0 (VcrPeerHttpResponse, 1);
  ex->response->status = soup_message_get_status (ex->msg);
  ex->response->headers = soup_message_headers_ref (headers);
  length = soup_message_headers_get_content_length (headers);
  ex->body_cap = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                 ? (gsize) MIN ((guint64) length, ex->body_limit + 1) : 65536;
  ex->response->body = g_malloc (MAX (ex->body_cap, 1));
  read_more (g_steal_pointer (&task));
}

void
vcr_peer_http_exchange_soup_async (const VcrPeerHttpRequest *request,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  SoupExchange *ex = g_new0 (SoupExchange, 1);
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (request->address));
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, ip,
                                     g_inet_socket_address_get_port (request->address),
                                     request->path, NULL, NULL);
  SoupMessageHeaders *headers;

  g_task_set_task_data (task, ex, soup_exchange_free);
  ex->body_limit = request->body_limit;
  ex->msg = soup_message_new_from_uri (request->method, uri);
  soup_message_add_flags (ex->msg, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (ex->msg);
  soup_message_headers_replace (headers, "Host", request->host);
  soup_message_headers_replace (headers, "Connection", "close");
  for (guint i = 0; request->headers != NULL && request->headers[i] != NULL; i++)
    {
      const char *colon = strchr (request->headers[i], ':');
      const char *value;
      g_autofree char *name = NULL;

      if (colon == NULL)
        continue;
      name = g_strndup (request->headers[i], (gsize) (colon - request->headers[i]));
      for (value = colon + 1; *value == ' '; value++)
        ;
      soup_message_headers_append (headers, name, value);
    }
  if (request->body != NULL)
    {
      g_autoptr(GInputStream) body = g_memory_input_stream_new ();
      gsize len = 0;

      for (guint i = 0; request->body[i] != NULL; i++)
        {
          g_memory_input_stream_add_bytes (G_MEMORY_INPUT_STREAM (body), request->body[i]);
          len += g_bytes_get_size (request->body[i]);
        }
      soup_message_set_request_body (ex->msg, request->content_type, body, (gssize) len);
      soup_message_headers_set_expectations (headers, SOUP_EXPECTATION_CONTINUE);
    }
  soup_session_send_async (the_session (), ex->msg, G_PRIORITY_DEFAULT, cancellable,
                           sent_cb, task);
}
