/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the replicator's files share (vcr-replicator.c: the object, its
 * signals, start and stop; -peers.c: the peer records and the status they
 * make; -snapshot.c: the primary's snapshot; -push.c: the primary's side;
 * -receive.c: a replica deciding on a snapshot (SPEC §7); -apply.c:
 * writing it; -pull.c: pull and verification; -preview.c: the dry run;
 * -serve.c: the peer server's handlers). Nothing outside daemon/vcr-replicator*.c includes it.
 */
#pragma once

#include "config.h"

#include "vcr-error.h"
#include "vcr-join.h"
#include "vcr-memory.h"
#include "vcr-path.h"
#include "vcr-peer-client.h"
#include "vcr-peer-server.h"
#include "vcr-replicator.h"
#include "vcr-running.h"
#include "vcr-snapshot.h"
#include "vcr-state.h"
#include "vcr-tree-view.h"

G_BEGIN_DECLS

/* Past the apply's bound (VCR_REPLICATOR_APPLY_BOUND_S) the receive is
 * cancelled: the command is ended, a write not yet renamed stops, a write
 * done is undone, and 422 is answered. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
#define DEFAULT_VERIFY_INTERVAL_S 300

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
  /* A primary's replica with `override`s: the snapshot of its own (its
   * texts and digests, the shared one's epoch and generation), sealed
   * for it alone; NULL until built, and for the others, which share
   * self->snapshot. */
  gboolean overrides;
  VcrSnapshot *own;
  VcrSealedPayload *own_sealed;
  GBytes *own_json;         /* its v1 JSON (allow-protocol-v1 only) */
} Peer;

struct _VcrReplicator {
  GObject parent_instance;

  /* Given by the creator (vcr-replicator.h: VcrReplicatorSetup). */
  VcrState *store;
  VcrBackend *backend;
  VcrRunning *running;
  char *apply_command;      /* NULL when none */
  guint apply_timeout;      /* seconds, 0: VCR_APPLY_COMMAND_TIMEOUT_S */
  guint apply_bound;        /* seconds: VCR_REPLICATOR_APPLY_BOUND_S unless a test set it */
  char *config_path;
  char *listen;
  guint verify_interval;

  VcrSettings *settings;    /* in force; NULL before the first start */
  char *state;              /* State (SPEC §5) */
  char *listen_address;     /* "" when not listening */
  GPtrArray *shown;         /* of VcrPeerStatus*, what Peers shows */

  VcrPeerServer *server;
  char *listening_on;       /* "address|port" the server was asked for */
  VcrPeerClient *client;
  char *origin;
  GPtrArray *peers;         /* of Peer*, in the order of the settings */
  VcrSnapshot *snapshot;    /* primary: the newest snapshot built for the
                             * settings in force (its texts dropped once
                             * sealed: digests only, unless allow-protocol-v1
                             * may need its v1 JSON) */
  VcrSealedPayload *snapshot_sealed; /* its v2 payload, sealed once for all
                             * replicas (each gets only a lock of its own) */
  GBytes *snapshot_json;    /* its v1 JSON (allow-protocol-v1 only), made
                             * when first needed */

  VcrJoin push_join;        /* Push callers (GTask*): who shares which
                             * push (vcr-join.h) */
  guint push_start_source;  /* the push that is due begins here */
  GPtrArray *push_results;  /* of VcrPushResult* for the running push */
  guint push_outstanding;
  guint push_round;         /* grows when a push is answered early (failed) */
  gboolean acks_unsaved;    /* acknowledgements of the running push not yet saved */

  VcrJoin pull_join;        /* Pull callers (GTask*), and a background pull
                             * as a run without callers */
  guint pull_start_source;  /* the pull that is due begins here */
  guint pull_attempt;
  guint pull_retry_source;
  gboolean have_primary_snapshot;

  VcrJoin preview_join;     /* Preview callers (GTask*), shared as Push's */
  guint preview_start_source;
  gpointer preview_round;   /* the round its callers wait for, or NULL */

  gboolean applying;
  gboolean recovered;       /* start-up recovery ran (vcr-replicator-recover.c) */
  gboolean recovering;      /* ... and is running: the start's work waits */
  guint verify_source;

  /* Verify calls (vcr-replicator-pull.c): they join the round that runs
   * for callers and reuse its result for VCR_VERIFY_REUSE_S, as long as
   * nothing that changes it happened since (@verify_epoch grows then). */
  gpointer verify_running;  /* the round callers join (a VerifyCall), or NULL */
  GPtrArray *verify_cache;  /* of VcrVerifyResult*, or NULL */
  gint64 verify_cached_at;  /* monotonic µs */
  guint verify_epoch;
};

/* Reads the running config, then calls @done with it (transfer full: the
 * callee frees it) or with NULL and an error. */
typedef void (*TreeReady) (VcrReplicator *self, VcrTree *tree, const GError *error,
                           gpointer data);

/* How a received snapshot is answered (HTTP status, error code). */
typedef void (*Received) (VcrReplicator *self, guint status, const char *code,
                          const char *message, gboolean applied, guint64 generation,
                          gpointer data);

/* A replica taking one snapshot (vcr-replicator-receive.c decides,
 * vcr-replicator-apply.c writes). */
typedef struct {
  VcrReplicator *self;
  VcrSettings *settings;    /* in force when the snapshot arrived: the
                             * receive uses these and no others */
  VcrSnapshot *snapshot;
  Received done;
  gpointer data;
  gint64 mark;              /* monotonic µs at the last phase logged */
  gboolean claimed;         /* this receive holds self->applying */
  GCancellable *cancellable; /* cancelled at the apply's bound */
  guint deadline;           /* the bound's timer */
  gboolean stale;           /* an older generation of the applied epoch */

  /* The texts are parsed in one worker while the running config is read in
   * another (unless it was cached): both must be back before the rules go
   * on (@waiting). */
  guint waiting;
  gboolean splice;          /* texts may be spliced (vcr-splice.h): the
                             * running config is cached, so no tree of them
                             * is needed to compare */
  GPtrArray *trees;         /* of VcrTree*, one per entry; NULL where spliced */
  GArray *splices;          /* of VcrSplice, one per entry; text NULL where parsed */
  GError *parse_error;      /* the snapshot texts did not parse */
  char *stamp;              /* the backend's stamp before the running config was taken */
  VcrTree *running;         /* the running config as read, or as cached
                             * (then without its replicated subtrees) */
  GHashTable *running_digests; /* nullable: path → digest of its subtree in @running */
  GError *read_error;

  /* The apply: first, side by side (@preparing), the intent record saved,
   * the new reference copies written and, for a backend that cannot undo
   * by itself, the old subtrees kept on disk; then the config through the
   * backend, the command, the record. */
  VcrTree *applied;         /* the running config without its replicated subtrees,
                             * then with the snapshot's: lent to the backend */
  GHashTable *digests;      /* path → digest being applied (the pending reference) */
  VcrReferenceUpdate *references; /* the new reference copies */
  guint preparing;
  GError *prepare_error;    /* the first of those that failed */
  char *undo_file;          /* where the undo material goes (with a command) */
  gboolean written;         /* the backend changed the config */
  char *written_stamp;      /* the backend's stamp of what it wrote */

  /* What a failed --apply-command puts back. */
  VcrTree *old;             /* the replicated subtrees before the apply (not
                             * kept when a byte-exact undo is at hand) */
  char *undo_reason;        /* why the apply is being undone */
} Receive;

/* vcr-replicator.c */
void vcr_push_result_free (VcrPushResult *r);
VcrPushResult *vcr_push_result_new (const char *replica, gboolean ok, guint64 generation,
                                    const char *message);
void vcr_verify_result_free (VcrVerifyResult *r);
gboolean vcr_replicator_is_current (VcrReplicator *self, const VcrSettings *settings);
void vcr_replicator_add_event (VcrReplicator *self, const VcrSettings *settings,
                               const char *event, const char *peer,
                               guint64 generation, const char *result);
void vcr_replicator_read_running (VcrReplicator *self, TreeReady done, gpointer data);
void vcr_replicator_start_work (VcrReplicator *self);
void vcr_replicator_set_state (VcrReplicator *self, const char *state);
void vcr_replicator_emit_peers_changed (VcrReplicator *self);
void vcr_replicator_emit_generation_changed (VcrReplicator *self);
void vcr_replicator_emit_push_finished (VcrReplicator *self, const char *replica, gboolean ok,
                                        guint64 generation, const char *message);
void vcr_replicator_emit_pull_finished (VcrReplicator *self, gboolean ok, guint64 generation,
                                        const char *message);
void vcr_replicator_emit_snapshot_applied (VcrReplicator *self, guint64 generation,
                                           const VcrSettings *settings, const char *origin);

/* vcr-replicator-peers.c */
GCancellable *vcr_replicator_peer_begin (Peer *peer);
Peer *vcr_replicator_peer_ref (Peer *peer);
void vcr_replicator_peer_unref (Peer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, vcr_replicator_peer_unref)
void vcr_replicator_peer_retire (Peer *peer);
void vcr_replicator_peer_set_state (VcrReplicator *self, Peer *peer, const char *state,
                                    const char *error);
void vcr_replicator_peer_succeeded (VcrReplicator *self, Peer *peer);
void vcr_replicator_publish (VcrReplicator *self);
void vcr_replicator_rebuild_peers (VcrReplicator *self);
GPtrArray *vcr_replicator_peer_status_array (void);

/* vcr-replicator-snapshot.c */
VcrSnapshot *vcr_replicator_build_snapshot (VcrReplicator *self, const VcrSettings *settings,
                                            const VcrTree *tree);
GHashTable *vcr_replicator_digest_table (const VcrSnapshot *snapshot);
gboolean vcr_replicator_digests_match (GHashTable *digests, const VcrSnapshot *snapshot);
void vcr_replicator_set_snapshot (VcrReplicator *self, VcrSnapshot *snapshot);
gboolean vcr_replicator_seal_snapshot (VcrReplicator *self, GError **error);
GBytes *vcr_replicator_snapshot_json (VcrReplicator *self);
VcrSnapshot *vcr_replicator_own_snapshot (VcrReplicator *self, const VcrSettings *settings,
                                          const VcrTree *tree, const VcrSnapshot *shared,
                                          const VcrPeerSettings *peer);
void vcr_replicator_set_snapshots (VcrReplicator *self, const VcrSettings *settings,
                                   const VcrTree *tree);
const VcrSnapshot *vcr_replicator_peer_snapshot (VcrReplicator *self, Peer *peer);
gboolean vcr_replicator_seal_for_peer (VcrReplicator *self, Peer *peer,
                                       VcrSealedPayload **sealed, GBytes **json,
                                       GError **error);
const VcrPeerSettings *vcr_replicator_peer_settings (const VcrSettings *settings,
                                                     const char *name);
const VcrPeerSettings *vcr_replicator_requester (const VcrSettings *settings,
                                                 GInetAddress *remote);

/* vcr-replicator-push.c */
void vcr_replicator_push_stop (VcrReplicator *self, const GError *error);
void vcr_replicator_primary_start (VcrReplicator *self);
void vcr_replicator_resync_replicas (VcrReplicator *self, GHashTable *remote);

/* vcr-replicator-receive.c */
void vcr_replicator_receive_snapshot (VcrReplicator *self, VcrSnapshot *snapshot,
                                      Received done, gpointer data);
void vcr_receive_phase (Receive *rx, const char *phase);
void vcr_receive_finish (Receive *rx, guint status, const char *code, const char *message,
                         gboolean applied);

/* vcr-replicator-apply.c */
gboolean vcr_receive_has_apply_command (Receive *rx);
gboolean vcr_receive_must_apply (Receive *rx);
void vcr_receive_write (Receive *rx);
void vcr_receive_unchanged (Receive *rx);
void vcr_receive_failed (Receive *rx, const char *reason);
gboolean vcr_receive_out_of_time (Receive *rx);

/* vcr-replicator-recover.c */
gboolean vcr_replicator_recover (VcrReplicator *self);

/* vcr-replicator-preview.c */
void vcr_replicator_preview_stop (VcrReplicator *self, const GError *error);

/* vcr-replicator-pull.c */
void vcr_replicator_pull_run (VcrReplicator *self);
void vcr_replicator_pull_stop (VcrReplicator *self, const GError *error);
void vcr_replicator_verify_forget (VcrReplicator *self);
gboolean vcr_replicator_verify_tick (gpointer user_data);

/* vcr-replicator-serve.c */
void vcr_replicator_on_get_digests (VcrPeerReply *reply, gpointer user_data);
void vcr_replicator_on_get_snapshot (VcrPeerReply *reply, gpointer user_data);
void vcr_replicator_on_get_texts (VcrPeerReply *reply, gpointer user_data);
void vcr_replicator_on_post_snapshot (VcrSnapshot *snapshot, VcrPeerReply *reply,
                                      gpointer user_data);

G_END_DECLS
