/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer server's answers: how an authenticated request is answered
 * (protocol v2: a frame sealed with the response key and bound to the
 * request and the status; v1: JSON signed with X-VCR-Signature over the
 * request's nonce), and the plain, unsigned answers to requests that are
 * not (401, and what is refused before a v1 request's signature is
 * checked). Every answer says `Connection: close` and starts the deadline
 * for writing it.
 */
#pragma once

#include <libsoup/soup.h>

#include "vcr-auth.h"
#include "vcr-seal.h"
#include "vcr-snapshot.h"

G_BEGIN_DECLS

/* How one request was authenticated, so how it is answered. */
typedef struct {
  guint version;              /* 0: not authenticated: plain, unsigned */
  VcrAuthKey *key;            /* v1 */
  VcrSealKeys *keys;          /* v2 */
  char nonce[VCR_AUTH_NONCE_HEX_LEN + 1];
  gint64 ts;                  /* v2: the binding */
  char *method;
  char *path;
  char *destination;
} VcrPeerAuth;

void vcr_peer_auth_clear (VcrPeerAuth *auth);
void vcr_peer_auth_copy (VcrPeerAuth *dst, const VcrPeerAuth *src);

/* The whole response: @status and the small document @json (taken,
 * @length bytes). @auth NULL or of version 0: unsigned. */
void vcr_peer_respond_json (SoupServerMessage *msg,
                            const VcrPeerAuth *auth,
                            guint status,
                            char *json,
                            gsize length);

/* @status with {"error":@code,"message":@message}. */
void vcr_peer_respond_error (SoupServerMessage *msg,
                             const VcrPeerAuth *auth,
                             guint status,
                             const char *code,
                             const char *message);

/* 200 with @snapshot: its v2 payload (texts as raw bytes) sealed, or its
 * v1 JSON signed. */
void vcr_peer_respond_snapshot (SoupServerMessage *msg,
                                const VcrPeerAuth *auth,
                                const VcrSnapshot *snapshot);

G_END_DECLS
