/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's core object: options, the current replication settings, the
 * backend, the state store, the running-config cache, the replicator, and
 * what the bus shows (Mode, State, Generation, Peers, ListenAddress,
 * history). The bus layer only translates calls into these functions and
 * the signals below into D-Bus signals; it holds no logic of its own.
 *
 * Data flows one way: the daemon makes the replicator with what it needs,
 * hands it each new settings object, calls it, and turns its signals into
 * properties, history and the signals below; the replicator never calls
 * back. The settings are immutable and reference-counted: a reload swaps
 * the daemon's pointer, and every unit of work keeps the one it started
 * with.
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

#include "vcr-check-commit.h"
#include "vcr-path-index.h"
#include "vcr-replicator.h"
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
  guint apply_timeout;    /* --apply-timeout seconds (hidden; 0: default) */
  guint apply_bound;      /* --apply-bound seconds (hidden; 0: default) */
  guint verify_interval;  /* --verify-interval seconds (0: default) */
  gboolean verbose;       /* --verbose */
} VcrDaemonOptions;

void vcr_daemon_options_clear (VcrDaemonOptions *options);

#define VCR_TYPE_DAEMON (vcr_daemon_get_type ())
G_DECLARE_FINAL_TYPE (VcrDaemon, vcr_daemon, VCR, DAEMON, GObject)

/* Makes the backend and opens the state directory; reads nothing yet. */
VcrDaemon *vcr_daemon_new (const VcrDaemonOptions *options, GError **error);
/* NULL until settings were read once; borrowed (vcr_settings_ref() to
 * keep them across a reload). */
VcrSettings *vcr_daemon_get_settings (VcrDaemon *self);

/* Reads the config and takes its settings. Invalid settings keep the
 * previous ones and fail with VCR_ERROR_INVALID_SETTINGS (logged). */
void vcr_daemon_reload_async (VcrDaemon *self, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean vcr_daemon_reload_finish (VcrDaemon *self, GAsyncResult *result,
                                   GError **error);

/* Properties. */
VcrMode vcr_daemon_get_mode (VcrDaemon *self);
const char *vcr_daemon_get_state (VcrDaemon *self);
/* The replicate paths as strings, sorted (NULL-terminated, borrowed). */
const char *const *vcr_daemon_get_replicated_paths (VcrDaemon *self);
guint64 vcr_daemon_get_generation (VcrDaemon *self);
GPtrArray *vcr_daemon_get_peers (VcrDaemon *self);   /* of VcrPeerStatus*, borrowed */
const char *vcr_daemon_get_listen_address (VcrDaemon *self);

/* IsPathManaged: checks @words (VCR_ERROR_INVALID_PATH, also beyond the
 * limits of vcr-path-index.h), then sets @replicate_path (borrowed, or
 * NULL) to the replicate path @words lie under. TRUE in @managed only on
 * a replica. Time linear in the input, no allocation. */
gboolean vcr_daemon_is_path_managed (VcrDaemon *self, const char *const *words,
                                     gboolean *managed, const char **replicate_path,
                                     GError **error);

/* CheckCommit (SPEC §3) of a proposed config given as the digests of its
 * replicated subtrees (@proposed, taken) under @settings (nullable: never
 * configured, nothing is managed), those in force when the call came
 * (vcr_daemon_get_settings()), see vcr-check-commit.h. Emits
 * "commit-refused" when there are violations, and records them: in the
 * saved history when the caller is root (@privileged), else in the small
 * ring of unprivileged callers' refusals (vcr-history.h), logged at most
 * once a minute. */
void vcr_daemon_check_commit_async (VcrDaemon *self, VcrSettings *settings,
                                    GHashTable *proposed, gboolean privileged,
                                    GAsyncReadyCallback callback, gpointer user_data);
/* Of VcrViolation*. */
GPtrArray *vcr_daemon_check_commit_finish (VcrDaemon *self, GAsyncResult *result,
                                           GError **error);

/* Push (primary), Pull (replica), Preview (primary), Verify. */
void vcr_daemon_push_async (VcrDaemon *self, GAsyncReadyCallback callback,
                            gpointer user_data);
GPtrArray *vcr_daemon_push_finish (VcrDaemon *self, GAsyncResult *result,
                                   GError **error);   /* of VcrPushResult* */
void vcr_daemon_pull_async (VcrDaemon *self, GAsyncReadyCallback callback,
                            gpointer user_data);
gboolean vcr_daemon_pull_finish (VcrDaemon *self, GAsyncResult *result,
                                 gboolean *changed, guint64 *generation,
                                 GError **error);
/* Preview (primary): of VcrPreviewResult*, see vcr-replicator.h. */
void vcr_daemon_preview_async (VcrDaemon *self, GAsyncReadyCallback callback,
                               gpointer user_data);
GPtrArray *vcr_daemon_preview_finish (VcrDaemon *self, GAsyncResult *result,
                                      GError **error);
void vcr_daemon_verify_async (VcrDaemon *self, GAsyncReadyCallback callback,
                              gpointer user_data);
GPtrArray *vcr_daemon_verify_finish (VcrDaemon *self, GAsyncResult *result,
                                     GError **error);   /* of VcrVerifyResult* */

/* History, newest first, at most @max (0: all); borrowed VcrEvent*. */
GPtrArray *vcr_daemon_get_history (VcrDaemon *self, guint max);

/* Warnings: those of the settings (a short secret), and why the state
 * cannot be saved while it cannot (newly allocated). */
GStrv vcr_daemon_get_warnings (VcrDaemon *self);

/* TRUE while a snapshot is being applied: SIGTERM waits for it (SPEC §8). */
gboolean vcr_daemon_is_applying (VcrDaemon *self);

/* Writes pending state now (at exit). */
void vcr_daemon_flush (VcrDaemon *self);

G_END_DECLS
