/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer server's connections: each one taken from the listener is
 * handed to libsoup (soup_server_accept_iostream(), one request per
 * connection, closed by us once it is answered: libsoup keeps no idle
 * keep-alive connection, whose 3.2.3 leak NOTES.md describes), counted
 * against a cap and given a deadline for each phase of its request, so
 * that a slow, silent or half-open client never holds a slot for long.
 *
 * Phases and their deadlines (VcrPeerLimits):
 *   headers     from accept until the request headers are in: headers_ms
 *   body        until the body is in: transfer_ms + Content-Length (or the
 *               body limit, for a chunked body) at min_rate bytes/s
 *   handler     the application works on an authenticated request (an
 *               apply): none; the application bounds its own work
 *   responding  until the answer is written: transfer_ms + its length at
 *               min_rate
 * A connection past its deadline is shut down; libsoup then ends it.
 *
 * At the cap a new connection evicts the oldest one that is not
 * authenticated, one still waiting for its headers with nothing unread
 * first (a silent or slow client), then one in another phase; a
 * connection whose request is there but not yet read is not evicted.
 * When no connection may be evicted (every one is authenticated), nothing
 * more is accepted until one ends: new ones wait in the kernel's queue.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  /* Connections at once. 64: more than a primary's replicas (SPEC: one
   * request per peer at a time) with room for probes, few enough that
   * their buffers stay small (≤ 64 KiB of headers each in libsoup). */
  guint max_connections;
  guint headers_ms;
  guint transfer_ms;
  /* The slowest transfer a peer may make: 1 MiB/s (8 Mbit/s), so a
   * snapshot of 5 MB may take 15 s and one of 64 MiB 74 s. */
  guint64 min_rate;
} VcrPeerLimits;

#define VCR_PEER_LIMITS_DEFAULT ((VcrPeerLimits) { 64, 5000, 10000, 1024 * 1024 })

typedef enum {
  VCR_PEER_PHASE_HEADERS,
  VCR_PEER_PHASE_BODY,
  VCR_PEER_PHASE_HANDLER,
  VCR_PEER_PHASE_RESPONDING,
} VcrPeerPhase;

typedef struct _VcrPeerConns VcrPeerConns;

/* @room is called when a connection has ended, so there may be room for
 * one more (the listener may resume). */
VcrPeerConns *vcr_peer_conns_new (SoupServer *soup,
                                  void (*room) (gpointer user_data),
                                  gpointer user_data);
void vcr_peer_conns_free (VcrPeerConns *conns);

/* Applies to phases that begin after the call. */
void vcr_peer_conns_set_limits (VcrPeerConns *conns, const VcrPeerLimits *limits);
const VcrPeerLimits *vcr_peer_conns_get_limits (VcrPeerConns *conns);

/* Whether one more connection may be taken now; at the cap this evicts
 * the oldest connection not authenticated, or says no. */
gboolean vcr_peer_conns_may_accept (VcrPeerConns *conns);
/* Hands @socket (taken) to libsoup, in the headers phase. */
void vcr_peer_conns_take (VcrPeerConns *conns, GSocket *socket);

/* The phase of @msg's connection (from the main loop; nothing when the
 * connection has ended). @length: the bytes the phase moves (body or
 * answer) for its deadline. */
void vcr_peer_conns_set_phase (SoupServerMessage *msg, VcrPeerPhase phase, guint64 length);
/* The request's signature was right: never evicted from now on. */
void vcr_peer_conns_set_authenticated (SoupServerMessage *msg);

/* Connections open (not being cut), and all that still hold a socket. */
guint vcr_peer_conns_get_open (VcrPeerConns *conns);
guint vcr_peer_conns_get_total (VcrPeerConns *conns);

G_END_DECLS
