/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP client (SPEC §7, docs/protocol-v2.md): asynchronous
 * POST /v1/snapshot, GET /v1/snapshot, GET /v1/digests and GET /v1/texts
 * to one peer, in protocol v2: a signed `Authorization: VCR2` header bound to the peer's
 * address, the body sealed, every answer but an unsigned 401 a sealed
 * frame bound to the request, or it is dropped. A host name is resolved
 * first: the request is bound to, and sent to, the first address it
 * gives. Every request has a connection of its own (no proxy, no
 * redirect, nothing kept alive; vcr-peer-http.c).
 *
 * With allow-protocol-v1 (vcr_peer_client_set_allow_v1()) a request that
 * a v1-only peer refuses as such (its unsigned 401 for a header it cannot
 * parse) is sent once more in v1: HMAC-signed, the config in clear text
 * (never GET /v1/texts: it exists in v2 only).
 *
 * Every failure is VCR_ERROR_PEER_FAILED (or G_IO_ERROR_CANCELLED), with a
 * message that starts with "HOST:PORT: "; a refusal by the peer reads
 * "HOST:PORT: 409 stale-generation: <the peer's message>".
 */
#pragma once

#include <glib-object.h>
#include <gio/gio.h>

#include "vcr-seal.h"
#include "vcr-snapshot.h"

G_BEGIN_DECLS

#define VCR_PEER_CLIENT_DEFAULT_TIMEOUT 10   /* seconds: connect and each I/O */
#define VCR_PEER_CLIENT_EXCHANGE_TIMEOUT 30  /* seconds: a whole GET */
/* Seconds for a whole POST /v1/snapshot, the replica's apply included:
 * it must be longer than a replica lets an apply take
 * (VCR_REPLICATOR_APPLY_BOUND_S, 240 s), so that the primary hears the
 * replica's own verdict. */
#define VCR_PEER_CLIENT_POST_TIMEOUT 300

#define VCR_TYPE_PEER_CLIENT (vcr_peer_client_get_type ())
G_DECLARE_FINAL_TYPE (VcrPeerClient, vcr_peer_client, VCR, PEER_CLIENT, GObject)

VcrPeerClient *vcr_peer_client_new (const char *secret);
void vcr_peer_client_set_secret (VcrPeerClient *client, const char *secret);
/* For requests started after the call. */
void vcr_peer_client_set_allow_v1 (VcrPeerClient *client, gboolean allow);
/* Connect and each I/O (default VCR_PEER_CLIENT_DEFAULT_TIMEOUT). */
void vcr_peer_client_set_timeout (VcrPeerClient *client, guint seconds);
/* Whole exchanges: GET and POST (defaults above); for requests started
 * after the call. */
void vcr_peer_client_set_deadlines (VcrPeerClient *client,
                                    guint exchange_seconds,
                                    guint post_seconds);
/* The largest response body read (default VCR_PEER_DEFAULT_BODY_LIMIT). */
void vcr_peer_client_set_body_limit (VcrPeerClient *client, gsize limit);

/* The v2 payload of @snapshot (vcr_frame_snapshot_payload()), sealed
 * under a fresh content key from getrandom(): made once for a push, then
 * only locked again for each replica. */
VcrSealedPayload *vcr_peer_seal_snapshot (const VcrSnapshot *snapshot, GError **error);

/* @host: a host name, an IPv4 literal or an IPv6 literal (with or without
 * brackets). Seals @snapshot for this one request (and, with
 * allow-protocol-v1, keeps its v1 JSON for a fallback). */
void vcr_peer_client_post_snapshot_async (VcrPeerClient *client,
                                          const char *host,
                                          guint16 port,
                                          const VcrSnapshot *snapshot,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);
/* The same with the payload already sealed (vcr_peer_seal_snapshot()):
 * a push to many replicas seals once and sends each replica a lock of 64
 * bytes and the shared payload. @v1_json (nullable) is the snapshot's v1
 * body (vcr_snapshot_to_json()), sent to a v1-only peer with
 * allow-protocol-v1; without it such a peer is an error. Finish with
 * vcr_peer_client_post_snapshot_finish(). */
void vcr_peer_client_post_sealed_async (VcrPeerClient *client,
                                        const char *host,
                                        guint16 port,
                                        VcrSealedPayload *payload,
                                        GBytes *v1_json,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
/* @applied: TRUE for "applied", FALSE for "unchanged". */
gboolean vcr_peer_client_post_snapshot_finish (VcrPeerClient *client,
                                               GAsyncResult *result,
                                               gboolean *applied,
                                               guint64 *generation,
                                               GError **error);

/* The snapshot is strictly read and its digests checked; checking each
 * text against its path (vcr_snapshot_parse_trees) is the caller's. Its
 * texts lie in the answer's body, decrypted in place. */
void vcr_peer_client_get_snapshot_async (VcrPeerClient *client,
                                         const char *host,
                                         guint16 port,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
VcrSnapshot *vcr_peer_client_get_snapshot_finish (VcrPeerClient *client,
                                                  GAsyncResult *result,
                                                  GError **error);

void vcr_peer_client_get_digests_async (VcrPeerClient *client,
                                        const char *host,
                                        guint16 port,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
VcrDigests *vcr_peer_client_get_digests_finish (VcrPeerClient *client,
                                                GAsyncResult *result,
                                                GError **error);

/* A replica's texts (GET /v1/texts, v2 only), for the dry run: read as a
 * replica's texts (vcr_frame_texts_read_in_place()) and its digests
 * checked; checking each text against its path is the caller's. */
void vcr_peer_client_get_texts_async (VcrPeerClient *client,
                                      const char *host,
                                      guint16 port,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
VcrSnapshot *vcr_peer_client_get_texts_finish (VcrPeerClient *client,
                                               GAsyncResult *result,
                                               GError **error);

G_END_DECLS
