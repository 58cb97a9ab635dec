/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request bodies of the peer server and the budget they share. A body is
 * kept by the server (libsoup keeps none) so that its size stays bounded,
 * with room taken from a budget of bytes for all requests in flight,
 * reserved from Content-Length when the headers arrive (or grown as a
 * chunked body comes); the room is given back when the body is freed,
 * which may be after the request, by the snapshot that took the body
 * over, on any thread.
 *
 * One of a megabyte or more gets pages of its own (vcr_memory_map()),
 * back to the kernel once it is freed: from the malloc heap it would leave
 * a hole, and a replica's peak memory would grow by its size on every push
 * after the first. The pages of an authenticated body are kept as the
 * spare for the next one for a moment (pushes in a row do not fault them
 * in again); a refused body's go at once.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reference counted; thread-safe. */
typedef struct _VcrPeerBudget VcrPeerBudget;

VcrPeerBudget *vcr_peer_budget_new (gsize limit);
VcrPeerBudget *vcr_peer_budget_ref (VcrPeerBudget *budget);
void vcr_peer_budget_unref (VcrPeerBudget *budget);
void vcr_peer_budget_set_limit (VcrPeerBudget *budget, gsize limit);
/* Takes @bytes if there is room for them; FALSE (nothing taken) if not. */
gboolean vcr_peer_budget_take (VcrPeerBudget *budget, gsize bytes);
void vcr_peer_budget_give (VcrPeerBudget *budget, gsize bytes);

typedef struct {
  guint8 *data;
  gsize len;
  gsize cap;                /* what the budget counts */
  gsize map_size;           /* of its mapping; 0: from malloc */
  gboolean authenticated;   /* its pages may be kept as the spare */
  VcrPeerBudget *budget;
} VcrPeerBody;

/* Room for @cap bytes, already taken from @budget. */
void vcr_peer_body_init (VcrPeerBody *body, VcrPeerBudget *budget, gsize cap);
/* Frees the bytes, gives the room back; @body is left empty. */
void vcr_peer_body_clear (VcrPeerBody *body);
/* Appends @size bytes, growing a chunked body (up to @limit) with room
 * from its budget; FALSE when the budget has none. */
gboolean vcr_peer_body_append (VcrPeerBody *body,
                               const guint8 *data,
                               gsize size,
                               gsize limit);
/* Moves the body out of @body (left empty), for a snapshot to keep and to
 * free with vcr_peer_body_free(). */
VcrPeerBody *vcr_peer_body_steal (VcrPeerBody *body);
void vcr_peer_body_free (gpointer body);

G_END_DECLS
