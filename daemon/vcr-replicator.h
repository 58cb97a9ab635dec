/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replicator: everything that crosses between routers. It owns the peer
 * server and client and implements SPEC §7 and §8 on top of the daemon's core
 * object (settings, backend, state store):
 *
 *  - primary: builds the snapshot of the replicate paths from the running
 *    config (generation +1 per distinct snapshot, epoch made once), pushes
 *    it to every replica concurrently, retries a failed replica with
 *    exponential backoff and jitter (1 s doubling to 60 s) until it
 *    acknowledges or a newer snapshot supersedes, serves GET /v1/snapshot;
 *  - replica: takes a snapshot only under the rules of §7, applies it all or
 *    nothing through the backend (plus the optional --apply-command, undone
 *    when it fails), records it as the reference for CheckCommit; pulls from
 *    the primary at start and retries until it has the snapshot;
 *  - both: serve GET /v1/digests, re-verify digests every --verify-interval
 *    and resync what differs.
 *
 * A second Push or Pull while one runs joins it. The daemon's Push, Pull and
 * Verify entry points call into this file; the bus layer never does.
 */
#pragma once

#include <gio/gio.h>

#include "vcr-daemon.h"

G_BEGIN_DECLS

#define VCR_TYPE_REPLICATOR (vcr_replicator_get_type ())
G_DECLARE_FINAL_TYPE (VcrReplicator, vcr_replicator, VCR, REPLICATOR, GObject)

/* @daemon is not referenced: the daemon owns the replicator. */
VcrReplicator *vcr_replicator_new (VcrDaemon *daemon);

/* (Re)starts listening and the background work for the daemon's current
 * settings: called after every successful reload. Fails when the listener
 * cannot be bound. */
gboolean vcr_replicator_start (VcrReplicator *self, GError **error);

/* Stops listening and cancels all background work. */
void vcr_replicator_stop (VcrReplicator *self);

/* TRUE while a snapshot is being applied or its answer is still being
 * sent (SIGTERM waits for both). */
gboolean vcr_replicator_is_applying (VcrReplicator *self);

/* Push (primary): of VcrPushResult*. */
void vcr_replicator_push_async (VcrReplicator *self, GAsyncReadyCallback callback,
                                gpointer user_data);
GPtrArray *vcr_replicator_push_finish (VcrReplicator *self, GAsyncResult *result,
                                       GError **error);

/* Pull (replica). */
void vcr_replicator_pull_async (VcrReplicator *self, GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean vcr_replicator_pull_finish (VcrReplicator *self, GAsyncResult *result,
                                     gboolean *changed, guint64 *generation,
                                     GError **error);

/* Verify (both): of VcrVerifyResult*, one per peer and replicate path. */
void vcr_replicator_verify_async (VcrReplicator *self, GAsyncReadyCallback callback,
                                  gpointer user_data);
GPtrArray *vcr_replicator_verify_finish (VcrReplicator *self, GAsyncResult *result,
                                         GError **error);

/* Exponential backoff with jitter: the delay in ms before retry number
 * @attempt (0-based), 1 s doubling to 60 s, each scaled by a random factor
 * in [0.5, 1.0) so that replicas retrying together spread out. */
guint vcr_replicator_backoff_ms (guint attempt);

G_END_DECLS
