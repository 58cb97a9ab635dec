/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the replicator's files share (vcr-replicator.c: peers, snapshots,
 * start and stop; -push.c: the primary's side; -receive.c: a replica
 * taking a snapshot; -pull.c: pull and verification; -serve.c: the peer
 * server's handlers). Nothing outside daemon/vcr-replicator*.c includes it.
 */
#pragma once

#include "config.h"

#include "vcr-error.h"
#include "vcr-memory.h"
#include "vcr-path.h"
#include "vcr-peer-client.h"
#include "vcr-peer-server.h"
#include "vcr-replicator.h"
#include "vcr-snapshot.h"
#include "vcr-state.h"
#include "vcr-tree-view.h"

G_BEGIN_DECLS

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
#define DEFAULT_VERIFY_INTERVAL_S 300
#define APPLY_COMMAND_TIMEOUT_S 120

/* One remote node: a replica on a primary, the primary on a replica.
 * Reference-counted (g_rc_box) because requests in flight hold it while a
 * reload may already have replaced the list. */
typedef struct {
  char *name;
  char *host;
  guint16 port;
  guint attempt;            /* failed sends since the last success */
  guint retry_source;
  GCancellable *cancellable;
  gboolean busy;            /* a request is in flight */
  char *state;              /* "unknown", "syncing", "in-sync", "out-of-sync", "error" */
  gint64 last_success;      /* µs, real time */
  char *last_error;
  gboolean gone;            /* dropped from the list by a reload */
} Peer;

struct _VcrReplicator {
  GObject parent_instance;

  VcrDaemon *daemon;        /* not owned: the daemon owns us */
  VcrPeerServer *server;
  char *listening_on;       /* "address|port" the server was asked for */
  VcrPeerClient *client;
  char *origin;
  GPtrArray *peers;         /* of Peer*, in the order of the settings */
  VcrSnapshot *snapshot;    /* primary: the newest snapshot built (its texts
                             * dropped once serialized: digests only) */
  GBytes *snapshot_json;    /* its serialization, made once for all replicas */

  GPtrArray *push_waiters;  /* of GTask*: one running Push, joined */
  GPtrArray *push_results;  /* of VcrPushResult* for those waiters */
  guint push_outstanding;
  gboolean acks_unsaved;    /* acknowledgements of the running Push not yet saved */

  GPtrArray *pull_waiters;  /* of GTask*: callers of the running pull */
  gboolean pulling;         /* a pull runs (for callers or in the background) */
  guint pull_attempt;
  guint pull_retry_source;
  gboolean have_primary_snapshot;

  gboolean applying;
  guint verify_source;
};

/* Reads the running config, then calls @done with it (transfer full: the
 * callee frees it) or with NULL and an error. */
typedef void (*TreeReady) (VcrReplicator *self, VcrTree *tree, const GError *error,
                           gpointer data);

/* How a received snapshot is answered (HTTP status, error code). */
typedef void (*Received) (VcrReplicator *self, guint status, const char *code,
                          const char *message, gboolean applied, guint64 generation,
                          gpointer data);

/* vcr-replicator.c */
void vcr_push_result_free (VcrPushResult *r);
VcrPushResult *vcr_push_result_new (const char *replica, gboolean ok, guint64 generation,
                                    const char *message);
void vcr_verify_result_free (VcrVerifyResult *r);
void vcr_replicator_add_event (VcrReplicator *self, const char *event, const char *peer,
                               guint64 generation, const char *result);
GCancellable *vcr_replicator_peer_begin (Peer *peer);
Peer *vcr_replicator_peer_ref (Peer *peer);
void vcr_replicator_peer_set_state (VcrReplicator *self, Peer *peer, const char *state,
                                    const char *error);
void vcr_replicator_peer_succeeded (VcrReplicator *self, Peer *peer);
void vcr_replicator_publish (VcrReplicator *self);
GStrv vcr_replicator_replicate_paths (VcrReplicator *self);
VcrSnapshot *vcr_replicator_build_snapshot (VcrReplicator *self, const VcrTree *tree);
GHashTable *vcr_replicator_digest_table (const VcrSnapshot *snapshot);
gboolean vcr_replicator_digests_match (GHashTable *digests, const VcrSnapshot *snapshot);
void vcr_replicator_read_running (VcrReplicator *self, TreeReady done, gpointer data);
void vcr_replicator_set_snapshot (VcrReplicator *self, VcrSnapshot *snapshot);
GBytes *vcr_replicator_snapshot_json (VcrReplicator *self);
void vcr_replicator_peer_unref (Peer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, vcr_replicator_peer_unref)

/* vcr-replicator-push.c */
void vcr_replicator_fail_push_waiters (VcrReplicator *self, const GError *error);
void vcr_replicator_primary_start_read_done (VcrReplicator *self, VcrTree *running,
                                             const GError *error, gpointer data);
void vcr_replicator_resync_replicas (VcrReplicator *self, GHashTable *remote);

/* vcr-replicator-receive.c */
void vcr_replicator_receive_snapshot (VcrReplicator *self, VcrSnapshot *snapshot,
                                      Received done, gpointer data);

/* vcr-replicator-pull.c */
void vcr_replicator_pull_run (VcrReplicator *self);
gboolean vcr_replicator_verify_tick (gpointer user_data);

/* vcr-replicator-serve.c */
void vcr_replicator_on_get_digests (VcrPeerReply *reply, gpointer user_data);
void vcr_replicator_on_get_snapshot (VcrPeerReply *reply, gpointer user_data);
void vcr_replicator_on_post_snapshot (VcrSnapshot *snapshot, VcrPeerReply *reply,
                                      gpointer user_data);

G_END_DECLS
