/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replicator: everything that crosses between routers. It owns the peer
 * server and client and implements SPEC §7 and §8:
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
 * Data flows one way: the daemon creates the replicator with what it needs
 * (the state store, the backend, the running-config cache, the options it
 * uses), hands it each new VcrSettings with vcr_replicator_start(), calls
 * its Push, Pull and Verify, and turns the signals below into its
 * properties, history and D-Bus signals. Nothing here knows the daemon.
 * Every unit of work (a receive, a push, a pull, a verify, a GET) takes a
 * reference on the settings in force when it starts and uses only those
 * until it ends; one that a reload overtook ends without touching what
 * the new settings started.
 *
 * Signals:
 *   "peers-changed"          ()  the peers' status (vcr_replicator_get_peers())
 *   "state-changed"          ()  vcr_replicator_get_state()
 *   "generation-changed"     ()  a primary made a new generation
 *   "listen-address-changed" ()  vcr_replicator_get_listen_address()
 *   "history-event"          (const char *event, const char *peer, guint64 generation,
 *                             GStrv paths, const char *result)
 *   "push-finished"          (const char *replica, gboolean ok, guint64 generation,
 *                             const char *message)
 *   "pull-finished"          (gboolean ok, guint64 generation, const char *message)
 *   "snapshot-applied"       (guint64 generation, GStrv paths, const char *origin)
 */
#pragma once

#include <gio/gio.h>

#include "vcr-backend.h"
#include "vcr-running.h"
#include "vcr-settings.h"
#include "vcr-state.h"

G_BEGIN_DECLS

/* The longest a replica's apply of one snapshot may take, from its arrival
 * to the answer (the backend's write, the --apply-command, the record):
 * below the primary's wait for that answer (the peer client's POST bound,
 * 300 s), so the primary never gives up on an apply that then succeeds.
 * Past it the apply is ended, undone when it wrote, and answered 422. */
#define VCR_REPLICATOR_APPLY_BOUND_S 240

/* What the replicator is made with; the strings are copied, the objects
 * referenced. */
typedef struct {
  VcrState *store;
  VcrBackend *backend;
  VcrRunning *running;        /* shared with the daemon's CheckCommit */
  const char *apply_command;  /* --apply-command, nullable */
  guint apply_timeout;        /* its timeout in seconds (0: the default) */
  guint apply_bound;          /* a whole apply's, seconds (0: VCR_REPLICATOR_APPLY_BOUND_S) */
  const char *config_path;    /* --config (VCR_CONFIG of the command), nullable */
  const char *listen;         /* --listen ADDR:PORT, overrides the settings; nullable */
  guint verify_interval;      /* --verify-interval seconds (0: the default) */
} VcrReplicatorSetup;

typedef struct {
  char *name;             /* replica NAME, or "primary" on a replica */
  char *address;          /* "address:port" ("[v6]:port") */
  char *state;            /* "in-sync", "out-of-sync", "syncing", "error", "unknown" */
  guint64 acknowledged;   /* generation the peer acknowledged */
  gint64 last_success;    /* µs since the epoch, 0: never */
  char *last_error;       /* "" when none */
} VcrPeerStatus;

typedef struct {
  char *replica;
  gboolean ok;
  guint64 generation;
  char *message;
} VcrPushResult;

typedef struct {
  char *peer;
  char *replicate_path;
  gboolean in_sync;
} VcrVerifyResult;

typedef struct {
  char *replica;
  GStrv commands;         /* what a push now would make it apply, in order
                           * (empty: nothing); or one note "# unreachable: …" */
} VcrPreviewResult;

void vcr_preview_result_free (VcrPreviewResult *r);

#define VCR_TYPE_REPLICATOR (vcr_replicator_get_type ())
G_DECLARE_FINAL_TYPE (VcrReplicator, vcr_replicator, VCR, REPLICATOR, GObject)

VcrReplicator *vcr_replicator_new (const VcrReplicatorSetup *setup);

/* (Re)starts listening and the background work for @settings (referenced
 * until the next start): called after every successful reload. Work
 * running for the previous settings is cancelled, or, for an apply in
 * flight, finishes on the settings it started with. Fails when the
 * listener cannot be bound (State "error"). */
gboolean vcr_replicator_start (VcrReplicator *self, VcrSettings *settings, GError **error);

/* Stops listening and cancels all background work. */
void vcr_replicator_stop (VcrReplicator *self);

/* TRUE while a snapshot is being applied or its answer is still being
 * sent (SIGTERM waits for both). */
gboolean vcr_replicator_is_applying (VcrReplicator *self);

/* State (SPEC §5): "in-sync", "degraded", "out-of-sync", "syncing",
 * "disabled", or "error" (no settings yet, or the listener failed). */
const char *vcr_replicator_get_state (VcrReplicator *self);
/* Of VcrPeerStatus*, in the order of the settings; borrowed. */
GPtrArray *vcr_replicator_get_peers (VcrReplicator *self);
/* Where the peer server listens, "" when it does not. */
const char *vcr_replicator_get_listen_address (VcrReplicator *self);

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

/* A Verify that comes while one runs for callers joins it, and one that
 * comes within this many seconds of the last one's answer gets that
 * answer again, unless a snapshot was made, sent or applied, or the
 * settings changed since: anyone may call Verify, and each round costs
 * every peer a signed request (and a nonce kept for 10 minutes). */
#define VCR_VERIFY_REUSE_S 5

/* Verify (both): of VcrVerifyResult*, one per peer and replicate path. */
void vcr_replicator_verify_async (VcrReplicator *self, GAsyncReadyCallback callback,
                                  gpointer user_data);
GPtrArray *vcr_replicator_verify_finish (VcrReplicator *self, GAsyncResult *result,
                                         GError **error);

/* Preview (primary): of VcrPreviewResult*, one per replica in the order of
 * the settings; changes nothing here or on any replica. */
void vcr_replicator_preview_async (VcrReplicator *self, GAsyncReadyCallback callback,
                                   gpointer user_data);
GPtrArray *vcr_replicator_preview_finish (VcrReplicator *self, GAsyncResult *result,
                                          GError **error);

/* Exponential backoff with jitter: the delay in ms before retry number
 * @attempt (0-based), 1 s doubling to 60 s, each scaled by a random factor
 * in [0.5, 1.0) so that replicas retrying together spread out. */
guint vcr_replicator_backoff_ms (guint attempt);

G_END_DECLS
