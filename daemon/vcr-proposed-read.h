/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CheckCommit's input: a proposed config read from a file descriptor any
 * local user hands the daemon, and parsed, in a worker thread of a pool
 * of its own, never on the main loop (and never in GLib's shared GTask
 * pool, which the backends' reads need: a caller whose pipe stays open
 * must not be able to hold those threads). Every read is bounded: in size
 * (one config), in time (a deadline, after which a pipe that has not
 * ended is refused), in the memory all reads in flight hold together (a
 * shared budget) and by a cancellable (the caller left the bus). The
 * descriptor stays the caller's: it is never closed here. What the check
 * needs of the tree, the digests of its replicated subtrees, is made in
 * the worker too, and the tree freed there: the main loop never renders
 * or hashes a caller's megabytes.
 */
#pragma once

#include <gio/gio.h>

#include "vcr-settings.h"

G_BEGIN_DECLS

typedef struct {
  gsize max_size;       /* one config: larger is InvalidConfig */
  gint64 deadline;      /* monotonic µs: a read not done by then is
                         * InvalidConfig "… timed out" */
  gint *budget;         /* nullable: bytes the reads in flight may still
                         * take, shared (atomic); beyond it the read fails
                         * with G_IO_ERROR_NO_SPACE */
} VcrProposedLimits;

/* Reads @fd (a regular file of @size bytes when @regular, else a pipe:
 * set non-blocking, read until its end), parses it as config.boot and
 * hashes the subtrees of the replicate paths of @settings (nullable,
 * referenced until done; none on a node that is not a replica, where
 * nothing is checked); @origin names it in messages. @fd must stay open
 * until the callback ran. Errors: VCR_ERROR_INVALID_CONFIG (unreadable,
 * too large, timed out, does not parse: "ORIGIN: …"),
 * G_IO_ERROR_NO_SPACE (the budget), G_IO_ERROR_CANCELLED. */
void vcr_proposed_read_async (int fd, gboolean regular, gsize size, const char *origin,
                              VcrSettings *settings, const VcrProposedLimits *limits,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
/* The digests (path → digest; empty when @settings was NULL or not a
 * replica's); *@reserved receives the bytes the read took from the
 * budget, which the caller gives back (vcr_proposed_release()) when its
 * call ends, so that the many calls that wait for their check count too.
 * On failure nothing stays reserved. */
GHashTable *vcr_proposed_read_finish (GAsyncResult *result, gsize *reserved, GError **error);

/* Gives @reserved bytes back to @budget (nullable). */
void vcr_proposed_release (gint *budget, gsize reserved);

G_END_DECLS
