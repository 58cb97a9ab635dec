/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's core object: options, the current replication settings, the
 * backend, the state store, and what the bus shows (Mode, State,
 * Generation, Peers, ListenAddress, history). The bus layer only translates
 * calls into these functions and the signals below into D-Bus signals; it
 * holds no logic of its own.
 *
 * Signals:
 *   "property-changed" (const char *dbus_property_name)
 *   "commit-refused"   (GStrv replicate_paths)
 *   "push-finished"    (const char *replica, gboolean ok, guint64 generation, const char *message)
 *   "pull-finished"    (gboolean ok, guint64 generation, const char *message)
 *   "snapshot-applied" (guint64 generation, GStrv paths, const char *origin)
 */
#pragma once

#include <gio/gio.h>

#include "vcr-backend.h"
#include "vcr-settings.h"
#include "vcr-state.h"
#include "vcr-tree.h"

G_BEGIN_DECLS

typedef struct {
  char *config_path;      /* --config: the config.boot of the file backend */
  char *backend;          /* --backend: "file" or "vyos" */
  char *state_dir;        /* --state-dir */
  char *listen;           /* --listen ADDR:PORT, overrides the settings */
  char *apply_command;    /* --apply-command: run after an apply (peer part) */
  guint verify_interval;  /* --verify-interval seconds (0: default) */
  gboolean verbose;       /* --verbose */
} VcrDaemonOptions;

void vcr_daemon_options_clear (VcrDaemonOptions *options);

typedef struct {
  char *name;             /* replica NAME, or "primary" on a replica */
  char *address;          /* "address:port" ("[v6]:port") */
  char *state;            /* "in-sync", "out-of-sync", "syncing", "error", "unknown" */
  guint64 acknowledged;   /* generation the peer acknowledged */
  gint64 last_success;    /* µs since the epoch, 0: never */
  char *last_error;       /* "" when none */
} VcrPeerStatus;

typedef struct {
  char *replicate_path;
  char *message;          /* the refusal line of SPEC §3 */
} VcrViolation;

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

#define VCR_TYPE_DAEMON (vcr_daemon_get_type ())
G_DECLARE_FINAL_TYPE (VcrDaemon, vcr_daemon, VCR, DAEMON, GObject)

/* Makes the backend and opens the state directory; reads nothing yet. */
VcrDaemon *vcr_daemon_new (const VcrDaemonOptions *options, GError **error);
const VcrDaemonOptions *vcr_daemon_get_options (VcrDaemon *self);
VcrState *vcr_daemon_get_state_store (VcrDaemon *self);
VcrBackend *vcr_daemon_get_backend (VcrDaemon *self);
/* NULL until settings were read once. */
const VcrSettings *vcr_daemon_get_settings (VcrDaemon *self);

/* Reads the config and takes its settings. Invalid settings keep the
 * previous ones and fail with VCR_ERROR_INVALID_SETTINGS (logged). */
void vcr_daemon_reload_async (VcrDaemon *self, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean vcr_daemon_reload_finish (VcrDaemon *self, GAsyncResult *result,
                                   GError **error);

/* Properties. */
VcrMode vcr_daemon_get_mode (VcrDaemon *self);
const char *vcr_daemon_get_state (VcrDaemon *self);
void vcr_daemon_set_state (VcrDaemon *self, const char *state);
/* The replicate paths as strings, sorted. */
GPtrArray *vcr_daemon_get_replicated_paths (VcrDaemon *self);
guint64 vcr_daemon_get_generation (VcrDaemon *self);
GPtrArray *vcr_daemon_get_peers (VcrDaemon *self);   /* of VcrPeerStatus*, borrowed */
const char *vcr_daemon_get_listen_address (VcrDaemon *self);
void vcr_daemon_set_listen_address (VcrDaemon *self, const char *address);
/* Tells the bus that a property changed (for the replicator). */
void vcr_daemon_notify (VcrDaemon *self, const char *property);

/* IsPathManaged: checks @words (VCR_ERROR_INVALID_PATH), then sets
 * @replicate_path (borrowed, or NULL) to the replicate path @words lies
 * under. TRUE in @managed only on a replica. O(words), no allocation. */
gboolean vcr_daemon_is_path_managed (VcrDaemon *self, const char *const *words,
                                     gboolean *managed, const char **replicate_path,
                                     GError **error);

/* CheckCommit (SPEC §3) of @proposed (taken). Emits "commit-refused" when
 * there are violations. */
void vcr_daemon_check_commit_async (VcrDaemon *self, VcrTree *proposed,
                                    GAsyncReadyCallback callback, gpointer user_data);
/* Of VcrViolation*. */
GPtrArray *vcr_daemon_check_commit_finish (VcrDaemon *self, GAsyncResult *result,
                                           GError **error);

/* Push (primary), Pull (replica), Verify. */
void vcr_daemon_push_async (VcrDaemon *self, GAsyncReadyCallback callback,
                            gpointer user_data);
GPtrArray *vcr_daemon_push_finish (VcrDaemon *self, GAsyncResult *result,
                                   GError **error);   /* of VcrPushResult* */
void vcr_daemon_pull_async (VcrDaemon *self, GAsyncReadyCallback callback,
                            gpointer user_data);
gboolean vcr_daemon_pull_finish (VcrDaemon *self, GAsyncResult *result,
                                 gboolean *changed, guint64 *generation,
                                 GError **error);
void vcr_daemon_verify_async (VcrDaemon *self, GAsyncReadyCallback callback,
                              gpointer user_data);
GPtrArray *vcr_daemon_verify_finish (VcrDaemon *self, GAsyncResult *result,
                                     GError **error);   /* of VcrVerifyResult* */

/* History: @event taken; saved to the state directory soon after. */
void vcr_daemon_add_event (VcrDaemon *self, VcrEvent *event);
/* Newest first, at most @max (0: all); borrowed VcrEvent*. */
GPtrArray *vcr_daemon_get_history (VcrDaemon *self, guint max);

/* The cached running config if it is still the one at @stamp, taken out
 * of the cache (NULL otherwise, or without @stamp), with the digests of
 * its replicated subtrees when they are known (@digests: path → digest,
 * or NULL). A replica applying a snapshot works on it and gives it (or
 * what it wrote) back with vcr_daemon_set_running(). */
VcrTree *vcr_daemon_take_running (VcrDaemon *self, const char *stamp, GHashTable **digests);
/* Caches @tree (taken) as the running config at the backend stamp @stamp
 * (taken; NULL: @tree is dropped, since it cannot be checked later), with
 * @digests (taken, nullable) as above. */
void vcr_daemon_set_running (VcrDaemon *self, VcrTree *tree, char *stamp, GHashTable *digests);

/* While the replicator applies a snapshot, the texts it is writing
 * (path → digest of the snapshot text, referenced until unset with NULL)
 * count as the reference too: with the vyos backend the apply is itself a
 * VyOS commit, which asks CheckCommit before the new reference is recorded
 * (SPEC §3: the daemon's own apply passes). */
void vcr_daemon_set_pending_reference (VcrDaemon *self, GHashTable *digests);

/* TRUE while a snapshot is being applied: SIGTERM waits for it (SPEC §8). */
gboolean vcr_daemon_is_applying (VcrDaemon *self);

/* Writes pending state now (at exit). */
void vcr_daemon_flush (VcrDaemon *self);

G_END_DECLS
