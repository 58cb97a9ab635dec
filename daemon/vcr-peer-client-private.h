/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the peer client's two files share: one request in flight
 * (vcr-peer-client.c makes and sends it; vcr-peer-answer.c turns its
 * answer into a result, or into the one v1 retry allow-protocol-v1 lets a
 * v1-only peer have). Nothing else includes it.
 */
#pragma once

#include "vcr-auth.h"
#include "vcr-peer-client.h"
#include "vcr-peer-http.h"

G_BEGIN_DECLS

typedef enum {
  KIND_POST_SNAPSHOT,
  KIND_GET_SNAPSHOT,
  KIND_GET_DIGESTS,
  KIND_GET_TEXTS,   /* protocol v2 only: never sent again in v1 */
} RequestKind;

typedef struct {
  RequestKind kind;
  const char *method;
  const char *path;
  char *host;                  /* as configured, without brackets */
  guint16 port;
  char *peer;                  /* "HOST:PORT" for messages */
  char *host_header;
  GInetSocketAddress *address; /* what the host resolved to */
  char *destination;           /* @address as text: what v2 binds to */
  VcrSealKeys *keys;           /* v2, as when the request began */
  VcrAuthKey *key;             /* v1 */
  gboolean allow_v1;
  guint version;               /* 2, or 1 for the fallback */
  VcrSealedPayload *sealed;    /* POST: the payload (v2) */
  GBytes *v1_json;             /* POST: the v1 body, or NULL */
  char *v1_hash;               /* its SHA-256, when sent in v1 */
  gint64 ts;
  char nonce[VCR_AUTH_NONCE_HEX_LEN + 1];
  gsize limit;
  guint io_timeout;
  guint deadline_s;
  GCancellable *cancellable;   /* ours: the caller's, or the deadline */
  GCancellable *caller;
  gulong caller_handler;
  GSource *deadline;
  gboolean timed_out;
  guint busy_answers;          /* POST: "503 busy" answers so far */
} Request;

/* A replica answers "503 busy" while it applies another snapshot (its
 * start-up pull, a retry of ours): the POST goes again, with a fresh
 * header, after 250 ms doubling to 2 s, at most this many times (about
 * 12 s in all; the POST's own deadline still bounds everything). */
#define VCR_PEER_BUSY_RESENDS 8

/* vcr-peer-client.c: sends @req again in protocol @version. Takes @task. */
void vcr_peer_request_send (GTask *task, guint version);

/* vcr-peer-answer.c */
void vcr_peer_answer (GTask *task, VcrPeerHttpResponse *response);
void vcr_peer_request_fail (GTask *task, const char *format, ...) G_GNUC_PRINTF (2, 3);
void vcr_peer_request_io_error (GTask *task, const GError *error);

G_END_DECLS
