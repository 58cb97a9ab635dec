/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP client (SPEC §7): signed, asynchronous POST /v1/snapshot,
 * GET /v1/snapshot and GET /v1/digests to one peer. Every response must
 * carry a valid X-VCR-Signature over the request's nonce or it is dropped.
 * Connections are never reused (each request says `Connection: close`), so
 * a POST is never resent on a stale connection. No proxy is used.
 *
 * Every failure is VCR_ERROR_PEER_FAILED (or G_IO_ERROR_CANCELLED), with a
 * message that starts with "HOST:PORT: "; a refusal by the peer reads
 * "HOST:PORT: 409 stale-generation: <the peer's message>".
 */
#pragma once

#include <glib-object.h>
#include <gio/gio.h>

#include "vcr-snapshot.h"

G_BEGIN_DECLS

#define VCR_PEER_CLIENT_DEFAULT_TIMEOUT 10   /* seconds: connect and each I/O */
#define VCR_PEER_CLIENT_EXCHANGE_TIMEOUT 30  /* seconds: a whole GET */
/* Seconds for a whole POST /v1/snapshot, the replica's apply included:
 * it must be longer than a replica lets an apply take, so that the primary
 * hears the replica's own verdict. Bounds of the apply: the apply command
 * is killed after VCR_APPLY_COMMAND_TIMEOUT_S (120 s); the vyos backend's
 * session after DEFAULT_SESSION_TIMEOUT_MS (300 s, more with retries on a
 * held commit lock), which is too long for this and is to be shortened
 * below it (issue 9, apply hardening). */
#define VCR_PEER_CLIENT_POST_TIMEOUT 300
/* Connections open at once, over all peers (libsoup's default is 10). */
#define VCR_PEER_CLIENT_MAX_CONNS 256

#define VCR_TYPE_PEER_CLIENT (vcr_peer_client_get_type ())
G_DECLARE_FINAL_TYPE (VcrPeerClient, vcr_peer_client, VCR, PEER_CLIENT, GObject)

VcrPeerClient *vcr_peer_client_new (const char *secret);
void vcr_peer_client_set_secret (VcrPeerClient *client, const char *secret);
/* Connect and each I/O (default VCR_PEER_CLIENT_DEFAULT_TIMEOUT). */
void vcr_peer_client_set_timeout (VcrPeerClient *client, guint seconds);
/* Whole exchanges: GET and POST (defaults above); for requests started
 * after the call. */
void vcr_peer_client_set_deadlines (VcrPeerClient *client,
                                    guint exchange_seconds,
                                    guint post_seconds);
/* The largest response body read (default VCR_PEER_DEFAULT_BODY_LIMIT). */
void vcr_peer_client_set_body_limit (VcrPeerClient *client, gsize limit);

/* @host: a host name, an IPv4 literal or an IPv6 literal (with or without
 * brackets). */
void vcr_peer_client_post_snapshot_async (VcrPeerClient *client,
                                          const char *host,
                                          guint16 port,
                                          const VcrSnapshot *snapshot,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);
/* The same with the snapshot already serialized (vcr_snapshot_to_json()):
 * a push to many replicas serializes once, not once per replica. Finish
 * with vcr_peer_client_post_snapshot_finish(). */
void vcr_peer_client_post_snapshot_json_async (VcrPeerClient *client,
                                               const char *host,
                                               guint16 port,
                                               GBytes *json,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer user_data);
/* @applied: TRUE for "applied", FALSE for "unchanged". */
gboolean vcr_peer_client_post_snapshot_finish (VcrPeerClient *client,
                                               GAsyncResult *result,
                                               gboolean *applied,
                                               guint64 *generation,
                                               GError **error);

/* The snapshot is strictly parsed and its digests checked; checking each
 * text against its path (vcr_snapshot_parse_trees) is the caller's. */
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

G_END_DECLS
