/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer client's HTTP/1.1 exchange (see vcr-peer-http.h): connect,
 * write the head (and, unless it must wait for `100 Continue`, the body)
 * with writev, read the answer's head, then its body into one buffer.
 */
#define G_LOG_DOMAIN "vcr-peer-http"

#include "vcr-peer-http.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "vcr-error.h"

#define HEAD_READ 16384
/* Reads of a body of known length; the socket gives what it has. */
#define BODY_READ_MAX (1024 * 1024)
#define EOF_BODY_STEP 65536

typedef struct {
  GInetSocketAddress *address;
  char *head;
  GBytes **body;              /* NULL-terminated, or NULL */
  guint n_body;
  gsize body_limit;
  guint io_timeout;
  gboolean wait_for_answer;

  GSocketConnection *conn;
  GSocket *socket;
  GOutputVector *vectors;
  gboolean body_sent;
  GByteArray *head_buf;       /* the answer's head as read, and what followed it */
  VcrPeerHttpResponse *response;
  gsize body_cap;             /* of response->body */
  gboolean until_eof;         /* no Content-Length: the body ends with the connection */
} Exchange;

void
vcr_peer_http_response_free (VcrPeerHttpResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response->body);
  g_free (response);
}

static void
exchange_free (gpointer data)
{
  Exchange *ex = data;

  g_clear_object (&ex->address);
  g_free (ex->head);
  for (guint i = 0; i < ex->n_body; i++)
    g_bytes_unref (ex->body[i]);
  g_free (ex->body);
  g_free (ex->vectors);
  g_clear_object (&ex->socket);
  if (ex->conn != NULL)
    g_io_stream_close (G_IO_STREAM (ex->conn), NULL, NULL);
  g_clear_object (&ex->conn);
  if (ex->head_buf != NULL)
    g_byte_array_unref (ex->head_buf);
  vcr_peer_http_response_free (ex->response);
  g_free (ex);
}

/* Fails @task with @error (taken), saying which step it was. */
static void
fail (GTask *task, GError *error, const char *step)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (&error, "%s: ", step);
  g_task_return_error (task, error);
}

static void
refuse (GTask *task, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
refuse (GTask *task, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_PEER_FAILED, "%s", message);
}

static char *
make_head (const VcrPeerHttpRequest *request, gsize body_len)
{
  GString *head = g_string_new (NULL);

  g_string_append_printf (head, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n",
                          request->method, request->path, request->host);
  for (guint i = 0; request->headers != NULL && request->headers[i] != NULL; i++)
    g_string_append_printf (head, "%s\r\n", request->headers[i]);
  if (request->body != NULL)
    g_string_append_printf (head, "Content-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT
                            "\r\nExpect: 100-continue\r\n",
                            request->content_type, body_len);
  g_string_append (head, "\r\n");
  return g_string_free (head, FALSE);
}

/* ---- the answer's body -------------------------------------------------- */

static void read_body (GTask *task);

static void
body_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *ex = g_task_get_task_data (task);
  VcrPeerHttpResponse *response = ex->response;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      fail (task, g_steal_pointer (&error), "reading the response");
      return;
    }
  if (n == 0 && !ex->until_eof)
    {
      refuse (task, "the connection ended %" G_GSIZE_FORMAT " bytes into a response body of %"
              G_GSIZE_FORMAT, response->body_len, ex->body_cap);
      return;
    }
  if (n == 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&ex->response),
                             (GDestroyNotify) vcr_peer_http_response_free);
      return;
    }
  response->body_len += (gsize) n;
  read_body (g_steal_pointer (&task));
}

/* Takes @task. */
static void
read_body (GTask *task)
{
  Exchange *ex = g_task_get_task_data (task);
  VcrPeerHttpResponse *response = ex->response;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (ex->conn));

  if (!ex->until_eof && response->body_len == ex->body_cap)
    {
      g_task_return_pointer (task, g_steal_pointer (&ex->response),
                             (GDestroyNotify) vcr_peer_http_response_free);
      g_object_unref (task);
      return;
    }
  if (ex->until_eof && response->body_len == ex->body_cap)
    {
      if (ex->body_cap >= ex->body_limit + 1)
        {
          refuse (task, "response body over %" G_GSIZE_FORMAT " bytes", ex->body_limit);
          g_object_unref (task);
          return;
        }
      /* one byte past the limit tells an answer over it */
      ex->body_cap = MIN (MAX (ex->body_cap * 2, EOF_BODY_STEP), ex->body_limit + 1);
      response->body = g_realloc (response->body, ex->body_cap);
    }
  g_input_stream_read_async (in, response->body + response->body_len,
                             MIN (ex->body_cap - response->body_len, BODY_READ_MAX),
                             G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                             body_read_cb, task);
}

/* The head is in: the body's size from its headers, and what came with
 * the head already. */
static void
start_body (GTask *task, gsize head_len)
{
  Exchange *ex = g_task_get_task_data (task);
  VcrPeerHttpResponse *response = ex->response;
  gsize extra = ex->head_buf->len - head_len;
  goffset length;

  switch (soup_message_headers_get_encoding (response->headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      length = soup_message_headers_get_content_length (response->headers);
      if (length < 0 || (guint64) length > ex->body_limit)
        {
          refuse (task, "response body over %" G_GSIZE_FORMAT " bytes", ex->body_limit);
          return;
        }
      ex->body_cap = (gsize) length;
      break;
    case SOUP_ENCODING_EOF:
    case SOUP_ENCODING_NONE:
      ex->until_eof = TRUE;
      ex->body_cap = MIN (extra, ex->body_limit + 1);
      break;
    default:
      refuse (task, "response dropped (HTTP %u): a chunked body (not spoken here)",
              response->status);
      return;
    }
  if (extra > ex->body_cap)
    {
      refuse (task, "response dropped (HTTP %u): more bytes than its Content-Length",
              response->status);
      return;
    }
  response->body = g_malloc (MAX (ex->body_cap, 1));
  memcpy (response->body, ex->head_buf->data + head_len, extra);
  response->body_len = extra;
  g_clear_pointer (&ex->head_buf, g_byte_array_unref);
  read_body (g_object_ref (task));
}

/* ---- the answer's head -------------------------------------------------- */

static void read_head (GTask *task);
static void send_body (GTask *task);

/* The end of the head in @buf (just past its blank line), or 0. */
static gsize
head_end (const GByteArray *buf)
{
  for (gsize i = 3; i < buf->len; i++)
    if (memcmp (buf->data + i - 3, "\r\n\r\n", 4) == 0)
      return i + 1;
  return 0;
}

/* A whole head is in @ex->head_buf, @len bytes: parse it. */
static void
took_head (GTask *task, gsize len)
{
  Exchange *ex = g_task_get_task_data (task);
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autofree char *reason = NULL;
  guint status = 0;

  if (!soup_headers_parse_response ((const char *) ex->head_buf->data, (int) len, headers,
                                    NULL, &status, &reason))
    {
      refuse (task, "response dropped: not an HTTP/1.x answer");
      return;
    }
  if (status >= 100 && status < 200)
    {
      /* `100 Continue` (or another interim answer): what follows is the
       * next answer */
      g_byte_array_remove_range (ex->head_buf, 0, (guint) len);
      if (ex->body != NULL && !ex->body_sent)
        send_body (g_object_ref (task));
      else
        read_head (g_object_ref (task));
      return;
    }
  if (ex->wait_for_answer && ex->socket != NULL)
    g_socket_set_timeout (ex->socket, ex->io_timeout);
  ex->response = g_new0 (VcrPeerHttpResponse, 1);
  ex->response->status = status;
  ex->response->headers = g_steal_pointer (&headers);
  start_body (task, len);
}

static void
head_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *ex = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source),
                                                             result, &error);
  gsize end;

  if (chunk == NULL)
    {
      fail (task, g_steal_pointer (&error), "reading the response");
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      refuse (task, "the connection ended before a complete response head");
      return;
    }
  g_byte_array_append (ex->head_buf, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  end = head_end (ex->head_buf);
  if (end > 0)
    took_head (task, end);
  else if (ex->head_buf->len > VCR_PEER_HTTP_HEAD_LIMIT)
    refuse (task, "response dropped: a head over %d bytes", VCR_PEER_HTTP_HEAD_LIMIT);
  else
    read_head (g_steal_pointer (&task));
}

/* Takes @task. A head already in the buffer (after a `100 Continue`) is
 * taken without reading. */
static void
read_head (GTask *task)
{
  Exchange *ex = g_task_get_task_data (task);
  gsize end = head_end (ex->head_buf);

  if (end > 0)
    {
      took_head (task, end);
      g_object_unref (task);
      return;
    }
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (ex->conn)),
                                   HEAD_READ, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), head_read_cb, task);
}

/* ---- the request -------------------------------------------------------- */

static void
wrote_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *ex = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_writev_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fail (task, g_steal_pointer (&error), "sending the request");
      return;
    }
  if (ex->body_sent && ex->wait_for_answer && ex->socket != NULL)
    g_socket_set_timeout (ex->socket, 0);
  read_head (g_steal_pointer (&task));
}

/* Writes @first (NULL: none) then, when @with_body, the body's parts: one
 * writev for all, continued as the socket takes them. Takes @task. */
static void
write_parts (GTask *task, const char *first, gboolean with_body)
{
  Exchange *ex = g_task_get_task_data (task);
  guint n = 0;

  g_free (ex->vectors);
  ex->vectors = g_new0 (GOutputVector, ex->n_body + 1);
  if (first != NULL)
    ex->vectors[n++] = (GOutputVector) { first, strlen (first) };
  for (guint i = 0; with_body && i < ex->n_body; i++)
    {
      gsize size;
      const void *data = g_bytes_get_data (ex->body[i], &size);

      if (size > 0)
        ex->vectors[n++] = (GOutputVector) { data, size };
    }
  if (with_body)
    ex->body_sent = TRUE;
  g_output_stream_writev_all_async (g_io_stream_get_output_stream (G_IO_STREAM (ex->conn)),
                                    ex->vectors, n, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), wrote_cb, task);
}

/* `100 Continue` came: the body. Takes @task. */
static void
send_body (GTask *task)
{
  write_parts (task, NULL, TRUE);
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *ex = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  ex->conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (ex->conn == NULL)
    {
      fail (task, g_steal_pointer (&error), "connecting");
      return;
    }
  ex->socket = g_object_ref (g_socket_connection_get_socket (ex->conn));
  /* a POST waits for the replica's apply without an I/O timeout: a link
   * that dies meanwhile is found by TCP itself */
  g_socket_set_keepalive (ex->socket, TRUE);
  g_socket_set_option (ex->socket, IPPROTO_TCP, TCP_KEEPIDLE, VCR_PEER_HTTP_KEEPALIVE_IDLE_S, NULL);
  g_socket_set_option (ex->socket, IPPROTO_TCP, TCP_KEEPINTVL, VCR_PEER_HTTP_KEEPALIVE_IDLE_S, NULL);
  g_socket_set_option (ex->socket, IPPROTO_TCP, TCP_USER_TIMEOUT, VCR_PEER_HTTP_DEAD_LINK_MS, NULL);
  /* with a body: the head alone, and the body once the peer says
   * `100 Continue` */
  write_parts (g_steal_pointer (&task), ex->head, ex->body == NULL);
}

void
vcr_peer_http_exchange_async (const VcrPeerHttpRequest *request, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Exchange *ex;
  g_autoptr(GSocketClient) client = NULL;
  gsize body_len = 0;

  /* the benchmark's comparison with libsoup's client (docs/performance.md) */
  if (G_UNLIKELY (g_strcmp0 (g_getenv ("VCR_PEER_HTTP"), "libsoup") == 0))
    {
      vcr_peer_http_exchange_soup_async (request, cancellable, callback, user_data);
      return;
    }
  task = g_task_new (NULL, cancellable, callback, user_data);
  ex = g_new0 (Exchange, 1);
  client = g_socket_client_new ();
  g_task_set_source_tag (task, vcr_peer_http_exchange_async);
  g_task_set_task_data (task, ex, exchange_free);
  ex->address = g_object_ref (request->address);
  for (guint i = 0; request->body != NULL && request->body[i] != NULL; i++)
    ex->n_body++;
  if (request->body != NULL)
    {
      ex->body = g_new0 (GBytes *, ex->n_body + 1);
      for (guint i = 0; i < ex->n_body; i++)
        {
          ex->body[i] = g_bytes_ref (request->body[i]);
          body_len += g_bytes_get_size (ex->body[i]);
        }
    }
  ex->head = make_head (request, body_len);
  ex->body_limit = request->body_limit;
  ex->io_timeout = request->io_timeout;
  ex->wait_for_answer = request->wait_for_answer;
  ex->head_buf = g_byte_array_new ();
  g_socket_client_set_timeout (client, request->io_timeout);
  /* peers are on the routers' own networks: never through a proxy */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (ex->address), cancellable,
                                 connected_cb, task);
}

VcrPeerHttpResponse *
vcr_peer_http_exchange_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
