/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One HTTP/1.1 exchange of the peer client, on a fresh connection to an
 * address already resolved, written with GIO rather than libsoup's
 * client: libsoup 3.2.3 sends a request body through
 * g_output_stream_splice_async(), 8 KiB per write with a main-loop turn
 * or two for each, so every further replica of a push cost the primary
 * some 600 writes and twice as many turns of its loop. Here the request's
 * head and its body's parts (a v2 frame's lock and the payload every
 * replica shares) go out in writev() calls as large as the socket takes,
 * and an answer of known length is read into one buffer in large reads.
 * libsoup still parses the answer's head (soup_headers_parse_response()).
 *
 * What it speaks: a request with Content-Length and, when it has a body,
 * `Expect: 100-continue` (a peer that refuses the headers answers before
 * megabytes are sent, and the body is then never sent); an answer with
 * Content-Length or ended by the end of the connection. A chunked answer,
 * a head over VCR_PEER_HTTP_HEAD_LIMIT or a body over the caller's limit
 * is refused. Nothing is redirected, nothing kept alive.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define VCR_PEER_HTTP_HEAD_LIMIT (64 * 1024)

typedef struct {
  GInetSocketAddress *address;   /* where to connect */
  const char *method;
  const char *path;
  const char *host;              /* the Host header */
  const char *const *headers;    /* more "Name: value" lines; NULL-terminated or NULL */
  GBytes *const *body;           /* the body's parts, NULL-terminated; NULL: no body */
  const char *content_type;      /* with a body */
  gsize body_limit;              /* of the answer */
  guint io_timeout;              /* seconds: connect and each read or write */
  /* After the body is out and until the answer's head is in, no I/O
   * timeout (a replica's apply takes what it takes; the caller's deadline
   * bounds it). A dead link is still found: TCP keepalive after
   * VCR_PEER_HTTP_KEEPALIVE_IDLE_S, TCP_USER_TIMEOUT of
   * VCR_PEER_HTTP_DEAD_LINK_MS. */
  gboolean wait_for_answer;
} VcrPeerHttpRequest;

#define VCR_PEER_HTTP_DEAD_LINK_MS 20000
#define VCR_PEER_HTTP_KEEPALIVE_IDLE_S 5

typedef struct {
  guint status;
  SoupMessageHeaders *headers;
  guint8 *body;                  /* g_malloc'd (one byte at least); may be stolen */
  gsize body_len;
} VcrPeerHttpResponse;

void vcr_peer_http_response_free (VcrPeerHttpResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrPeerHttpResponse, vcr_peer_http_response_free)

/* @request and what it points to are copied or referenced. Errors are
 * GIO's (G_IO_ERROR_CANCELLED when @cancellable was) with a message that
 * says which step failed, or VCR_ERROR_PEER_FAILED for an answer that is
 * not HTTP as spoken here. */
void vcr_peer_http_exchange_async (const VcrPeerHttpRequest *request,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
/* The same through libsoup's SoupSession (vcr-peer-http-soup.c): only
 * for the benchmark, when VCR_PEER_HTTP=libsoup is in the environment.
 * Its result is taken by vcr_peer_http_exchange_finish(). */
void vcr_peer_http_exchange_soup_async (const VcrPeerHttpRequest *request,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
VcrPeerHttpResponse *vcr_peer_http_exchange_finish (GAsyncResult *result,
                                                    GError **error);

G_END_DECLS
