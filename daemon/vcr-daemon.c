/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's core (see vcr-daemon.h): the settings and their reload, the
 * managed-path index, CheckCommit's history and signal (the check itself
 * is vcr-check-commit.c), the properties shown on the bus (most of them
 * reported by the replicator, each announced when it changed:
 * vcr-shown.h), and the history.
 */
#define G_LOG_DOMAIN "vcr-daemon"

#include "config.h"

#include "vcr-daemon.h"
#include "vcr-history.h"
#include "vcr-memory.h"
#include "vcr-error.h"
#include "vcr-path-index.h"
#include "vcr-running.h"
#include "vcr-shown.h"

/* Refused commits of callers other than root are logged at most once in
 * this many seconds (with how many were not): any local user can make
 * them, and a flood of them must not fill the journal. */
#define UNPRIVILEGED_LOG_INTERVAL_S 60

struct _VcrDaemon {
  GObject parent_instance;
  VcrDaemonOptions options;
  VcrBackend *backend;
  VcrState *store;
  VcrRunning *running;         /* shared with the replicator */
  VcrSettings *settings;       /* NULL until read once */
  VcrPathIndex *path_index;    /* of the settings; NULL until read once */
  VcrShown *shown;             /* the properties as last announced */
  VcrHistory *history;
  gint64 unprivileged_logged;  /* monotonic µs of the last refusal logged */
  guint unprivileged_quiet;    /* refusals not logged since */
  VcrReplicator *replicator;   /* peers: push, pull, verify */
};

G_DEFINE_TYPE (VcrDaemon, vcr_daemon, G_TYPE_OBJECT)

enum {
  SIGNAL_PROPERTY_CHANGED,
  SIGNAL_COMMIT_REFUSED,
  SIGNAL_PUSH_FINISHED,
  SIGNAL_PULL_FINISHED,
  SIGNAL_SNAPSHOT_APPLIED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const no_paths[] = { NULL };

void
vcr_daemon_options_clear (VcrDaemonOptions *options)
{
  g_clear_pointer (&options->config_path, g_free);
  g_clear_pointer (&options->backend, g_free);
  g_clear_pointer (&options->state_dir, g_free);
  g_clear_pointer (&options->listen, g_free);
  g_clear_pointer (&options->apply_command, g_free);
}

static void
vcr_daemon_finalize (GObject *object)
{
  VcrDaemon *self = VCR_DAEMON (object);

  if (self->replicator != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->replicator, self);
      vcr_replicator_stop (self->replicator);
    }
  g_clear_object (&self->replicator);
  g_clear_pointer (&self->history, vcr_history_free);
  vcr_daemon_options_clear (&self->options);
  g_clear_object (&self->backend);
  g_clear_object (&self->store);
  g_clear_object (&self->running);
  g_clear_pointer (&self->path_index, vcr_path_index_free);
  vcr_shown_free (self->shown);
  g_clear_pointer (&self->settings, vcr_settings_unref);
  G_OBJECT_CLASS (vcr_daemon_parent_class)->finalize (object);
}

static void
vcr_daemon_class_init (VcrDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vcr_daemon_finalize;
  signals[SIGNAL_PROPERTY_CHANGED] =
    g_signal_new ("property-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_COMMIT_REFUSED] =
    g_signal_new ("commit-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV);
  signals[SIGNAL_PUSH_FINISHED] =
    g_signal_new ("push-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_UINT64, G_TYPE_STRING);
  signals[SIGNAL_PULL_FINISHED] =
    g_signal_new ("pull-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_BOOLEAN, G_TYPE_UINT64, G_TYPE_STRING);
  signals[SIGNAL_SNAPSHOT_APPLIED] =
    g_signal_new ("snapshot-applied", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT64, G_TYPE_STRV, G_TYPE_STRING);
}

static void
vcr_daemon_init (VcrDaemon *self)
{
  self->shown = vcr_shown_new ();
}

/* Announces every property that emits PropertiesChanged and changed
 * since it was last announced (vcr-shown.h): called after anything that
 * may change one, a reload and every report of the replicator. */
static void
sync_properties (VcrDaemon *self)
{
  g_auto(GStrv) warnings = vcr_daemon_get_warnings (self);
  g_autoptr(GPtrArray) warning_list = g_ptr_array_new ();

  for (guint i = 0; warnings[i] != NULL; i++)
    g_ptr_array_add (warning_list, warnings[i]);

  const VcrShownValues values = {
    .mode = vcr_mode_to_string (vcr_daemon_get_mode (self)),
    .state = vcr_daemon_get_state (self),
    .replicated_paths = vcr_daemon_get_replicated_paths (self),
    .generation = vcr_daemon_get_generation (self),
    .peers = vcr_daemon_get_peers (self),
    .listen_address = vcr_daemon_get_listen_address (self),
    .warnings = warning_list,
  };
  g_autoptr(GPtrArray) changed = vcr_shown_update (self->shown, &values);

  for (guint i = 0; i < changed->len; i++)
    g_signal_emit (self, signals[SIGNAL_PROPERTY_CHANGED], 0, g_ptr_array_index (changed, i));
}

/* ---- History ---------------------------------------------------------- */

gboolean
vcr_daemon_is_applying (VcrDaemon *self)
{
  return self->replicator != NULL && vcr_replicator_is_applying (self->replicator);
}

void
vcr_daemon_flush (VcrDaemon *self)
{
  vcr_history_flush (self->history);
  if (self->store != NULL)
    vcr_state_flush (self->store);
}

/* Adds @event (taken) to the history, saved to the state directory soon
 * after. */
static void
add_event (VcrDaemon *self, VcrEvent *event)
{
  vcr_history_add (self->history, event);
}

GPtrArray *
vcr_daemon_get_history (VcrDaemon *self, guint max)
{
  return vcr_history_get (self->history, max);
}

/* ---- What the replicator reports --------------------------------------- */

/* Peers, State, Generation or ListenAddress may have changed. */
static void
on_changed (VcrReplicator *replicator, VcrDaemon *self)
{
  sync_properties (self);
}

static void
on_history_event (VcrReplicator *replicator, const char *event, const char *peer,
                  guint64 generation, GStrv paths, const char *result, VcrDaemon *self)
{
  add_event (self, vcr_event_new (event, peer, generation, (const char *const *) paths, result));
  sync_properties (self);
}

static void
on_push_finished (VcrReplicator *replicator, const char *replica, gboolean ok,
                  guint64 generation, const char *message, VcrDaemon *self)
{
  sync_properties (self);
  g_signal_emit (self, signals[SIGNAL_PUSH_FINISHED], 0, replica, ok, generation, message);
}

static void
on_pull_finished (VcrReplicator *replicator, gboolean ok, guint64 generation,
                  const char *message, VcrDaemon *self)
{
  sync_properties (self);
  g_signal_emit (self, signals[SIGNAL_PULL_FINISHED], 0, ok, generation, message);
}

static void
on_snapshot_applied (VcrReplicator *replicator, guint64 generation, GStrv paths,
                     const char *origin, VcrDaemon *self)
{
  sync_properties (self);
  g_signal_emit (self, signals[SIGNAL_SNAPSHOT_APPLIED], 0, generation, paths, origin);
}

static void
on_save_status_changed (VcrState *store, VcrDaemon *self)
{
  sync_properties (self);   /* Warnings and State */
}

GStrv
vcr_daemon_get_warnings (VcrDaemon *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const GError *save_error = vcr_state_get_save_error (self->store);

  for (guint i = 0; self->settings != NULL && self->settings->warnings != NULL &&
                    i < self->settings->warnings->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->settings->warnings, i));
  if (save_error != NULL)
    {
      g_autofree char *message = g_strdup_printf ("The state cannot be saved: %s",
                                                  save_error->message);
      g_strv_builder_add (builder, message);
    }
  return g_strv_builder_end (builder);
}

static void
make_replicator (VcrDaemon *self)
{
  const VcrReplicatorSetup setup = {
    .store = self->store,
    .backend = self->backend,
    .running = self->running,
    .apply_command = self->options.apply_command,
    .apply_timeout = self->options.apply_timeout,
    .apply_bound = self->options.apply_bound,
    .config_path = self->options.config_path,
    .listen = self->options.listen,
    .verify_interval = self->options.verify_interval,
  };

  self->replicator = vcr_replicator_new (&setup);
  g_signal_connect (self->replicator, "peers-changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->replicator, "state-changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->replicator, "generation-changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->replicator, "listen-address-changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->replicator, "history-event", G_CALLBACK (on_history_event), self);
  g_signal_connect (self->replicator, "push-finished", G_CALLBACK (on_push_finished), self);
  g_signal_connect (self->replicator, "pull-finished", G_CALLBACK (on_pull_finished), self);
  g_signal_connect (self->replicator, "snapshot-applied",
                    G_CALLBACK (on_snapshot_applied), self);
}

VcrDaemon *
vcr_daemon_new (const VcrDaemonOptions *options, GError **error)
{
  g_autoptr(VcrDaemon) self = g_object_new (VCR_TYPE_DAEMON, NULL);
  g_autofree char *dir = vcr_state_pick_dir (options->state_dir);

  self->options.config_path = g_strdup (options->config_path);
  self->options.backend = g_strdup (options->backend != NULL ? options->backend : "file");
  self->options.state_dir = g_strdup (dir);
  self->options.listen = g_strdup (options->listen);
  self->options.apply_command = g_strdup (options->apply_command);
  self->options.apply_timeout = options->apply_timeout;
  self->options.apply_bound = options->apply_bound;
  self->options.verify_interval = options->verify_interval;
  self->options.verbose = options->verbose;

  self->backend = vcr_backend_new (self->options.backend, self->options.config_path, error);
  if (self->backend == NULL)
    return NULL;
  self->store = vcr_state_new (dir, error);
  if (self->store == NULL)
    return NULL;
  self->history = vcr_history_new (self->store);
  self->running = vcr_running_new ();
  g_signal_connect_object (self->store, "save-status-changed",
                           G_CALLBACK (on_save_status_changed), self, 0);
  make_replicator (self);
  return g_steal_pointer (&self);
}

VcrSettings *
vcr_daemon_get_settings (VcrDaemon *self)
{
  return self->settings;
}

/* ---- Properties ------------------------------------------------------- */

VcrMode
vcr_daemon_get_mode (VcrDaemon *self)
{
  return self->settings != NULL ? self->settings->mode : VCR_MODE_DISABLED;
}

const char *
vcr_daemon_get_state (VcrDaemon *self)
{
  return vcr_replicator_get_state (self->replicator);
}

const char *const *
vcr_daemon_get_replicated_paths (VcrDaemon *self)
{
  return self->settings != NULL ? (const char *const *) self->settings->path_strings : no_paths;
}

guint64
vcr_daemon_get_generation (VcrDaemon *self)
{
  if (vcr_daemon_get_mode (self) == VCR_MODE_REPLICA)
    return vcr_state_get_applied_generation (self->store);
  return vcr_state_get_generation (self->store);
}

GPtrArray *
vcr_daemon_get_peers (VcrDaemon *self)
{
  return vcr_replicator_get_peers (self->replicator);
}

const char *
vcr_daemon_get_listen_address (VcrDaemon *self)
{
  return vcr_replicator_get_listen_address (self->replicator);
}

/* ---- Paths ------------------------------------------------------------ */

gboolean
vcr_daemon_is_path_managed (VcrDaemon *self, const char *const *words,
                            gboolean *managed, const char **replicate_path,
                            GError **error)
{
  *managed = FALSE;
  *replicate_path = NULL;
  if (self->path_index == NULL)
    return vcr_path_index_check (words, error);   /* never configured */
  if (!vcr_path_index_lookup (self->path_index, words, replicate_path, error))
    return FALSE;
  *managed = *replicate_path != NULL && vcr_daemon_get_mode (self) == VCR_MODE_REPLICA;
  return TRUE;
}

/* ---- Reload ----------------------------------------------------------- */

/* Swaps in @settings (taken): what is running keeps the settings it
 * started with, everything from now on gets these. */
static void
take_settings (VcrDaemon *self, VcrSettings *settings)
{
  g_clear_pointer (&self->path_index, vcr_path_index_free);
  g_clear_pointer (&self->settings, vcr_settings_unref);
  self->settings = settings;
  self->path_index = vcr_path_index_new (settings);
  for (guint i = 0; settings->warnings != NULL && i < settings->warnings->len; i++)
    g_warning ("%s", (const char *) g_ptr_array_index (settings->warnings, i));
  sync_properties (self);
}

static void
reload_failed (VcrDaemon *self, GTask *task, GError *error)
{
  add_event (self, vcr_event_new ("reload", NULL, 0, NULL, error->message));
  g_task_return_error (task, error);
}

static void
reload_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VcrDaemon *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_backend_read_finish (self->backend, result, &error);
  VcrSettings *settings = NULL;

  vcr_memory_release_later ();   /* what parsing the whole config took */
  if (tree == NULL)
    {
      g_warning ("Cannot read the config: %s; keeping the previous settings",
                 error->message);
      reload_failed (self, task, g_steal_pointer (&error));
      return;
    }
  settings = vcr_settings_from_tree (tree, &error);
  if (settings == NULL)
    {
      g_warning ("Invalid replication settings: %s; keeping the previous settings",
                 error->message);
      reload_failed (self, task, g_steal_pointer (&error));
      return;
    }
  take_settings (self, settings);
  /* What CheckCommit, the status and the next snapshot need of the
   * running config just read. */
  vcr_running_set_settings (self->running, settings);
  vcr_running_put (self->running, settings, g_steal_pointer (&tree),
                   g_strdup (g_task_get_task_data (task)), NULL);
  if (!vcr_replicator_start (self->replicator, settings, &error))
    {
      g_warning ("Cannot start replication: %s", error->message);
      reload_failed (self, task, g_steal_pointer (&error));
      return;
    }
  g_message ("Settings loaded: mode %s, %u replicate paths, %u peers",
             vcr_mode_to_string (settings->mode), g_strv_length (settings->path_strings),
             settings->peers->len);
  add_event (self, vcr_event_new ("reload", NULL, 0,
                                  (const char *const *) settings->path_strings, "ok"));
  g_task_return_boolean (task, TRUE);
}

void
vcr_daemon_reload_async (VcrDaemon *self, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  /* The stamp is taken before reading, so a change during the read shows
   * as a stale cache later rather than being missed. */
  g_task_set_task_data (task, vcr_backend_get_stamp (self->backend), g_free);
  vcr_backend_read_async (self->backend, NULL, reload_read_done, task);
}

gboolean
vcr_daemon_reload_finish (VcrDaemon *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- CheckCommit ------------------------------------------------------ */

/* Root's refusals are logged and kept in the history; the others' go to
 * their own ring and the log at most once a minute. */
static void
record_refusal (VcrDaemon *self, gboolean privileged, GPtrArray *violations,
                const char *const *paths)
{
  gint64 now = g_get_monotonic_time ();
  VcrEvent *event = vcr_event_new ("commit-refused", NULL, 0, paths, "refused");

  if (privileged)
    {
      for (guint i = 0; i < violations->len; i++)
        g_message ("Commit refused: %s", ((VcrViolation *) g_ptr_array_index (violations, i))->message);
      add_event (self, event);
      return;
    }
  vcr_history_add_unprivileged (self->history, event);
  if (self->unprivileged_logged != 0 &&
      now - self->unprivileged_logged < UNPRIVILEGED_LOG_INTERVAL_S * G_TIME_SPAN_SECOND)
    {
      self->unprivileged_quiet++;
      return;
    }
  g_message ("Commit refused for a caller other than root: %s (%u more not logged)",
             ((VcrViolation *) g_ptr_array_index (violations, 0))->message,
             self->unprivileged_quiet);
  self->unprivileged_logged = now;
  self->unprivileged_quiet = 0;
}

static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VcrDaemon *self = g_task_get_source_object (task);
  gboolean privileged = GPOINTER_TO_INT (g_task_get_task_data (task));
  GError *error = NULL;
  g_autoptr(GPtrArray) violations = vcr_check_commit_finish (result, &error);

  if (violations == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (violations->len > 0)
    {
      g_autoptr(GPtrArray) paths = g_ptr_array_new_null_terminated (violations->len, NULL, TRUE);
      for (guint i = 0; i < violations->len; i++)
        g_ptr_array_add (paths, ((VcrViolation *) g_ptr_array_index (violations, i))->replicate_path);
      record_refusal (self, privileged, violations, (const char *const *) paths->pdata);
      g_signal_emit (self, signals[SIGNAL_COMMIT_REFUSED], 0, paths->pdata);
    }
  g_task_return_pointer (task, g_steal_pointer (&violations),
                         (GDestroyNotify) g_ptr_array_unref);
}

void
vcr_daemon_check_commit_async (VcrDaemon *self, VcrSettings *settings, GHashTable *proposed,
                               gboolean privileged, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_task_data (task, GINT_TO_POINTER (privileged), NULL);
  if (settings == NULL)
    {
      /* never configured: nothing is managed */
      g_hash_table_unref (proposed);
      g_task_return_pointer (task, g_ptr_array_new (), (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }
  vcr_check_commit_async (settings, self->running, self->store, self->backend,
                          proposed, check_done, task);
}

GPtrArray *
vcr_daemon_check_commit_finish (VcrDaemon *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Push, Pull, Verify ----------------------------------------------- */

/* The checks every replication call makes first; FALSE with the error of
 * SPEC §5 when the node is not in @wanted mode. */
static gboolean
check_mode (VcrDaemon *self, const char *what, VcrMode wanted, GError **error)
{
  VcrMode mode = vcr_daemon_get_mode (self);

  if (mode == VCR_MODE_DISABLED)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_NOT_CONFIGURED,
                   "%s: config replication is not configured", what);
      return FALSE;
    }
  if (wanted != VCR_MODE_DISABLED && mode != wanted)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_WRONG_MODE,
                   "%s is only possible on a %s; this node is a %s", what,
                   vcr_mode_to_string (wanted), vcr_mode_to_string (mode));
      return FALSE;
    }
  return TRUE;
}

/* The replicator's answer (@result) is kept for the daemon's finish, which
 * hands it to the replicator's. */
static void
replicator_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_pointer (task, g_object_ref (result), g_object_unref);
}

/* The replicator's result of the call @result ends, or NULL with the
 * daemon's own refusal (check_mode()) in @error. */
static GAsyncResult *
replicator_result (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef void (*ReplicatorCall) (VcrReplicator *replicator, GAsyncReadyCallback callback,
                                gpointer user_data);

/* @what (a replicator @call) when the node is in @wanted mode. */
static void
call_replicator (VcrDaemon *self, const char *what, VcrMode wanted, ReplicatorCall call,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  GError *error = NULL;

  if (!check_mode (self, what, wanted, &error))
    g_task_return_error (task, error);
  else
    call (self->replicator, replicator_done, g_steal_pointer (&task));
}

void
vcr_daemon_push_async (VcrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  call_replicator (self, "Push", VCR_MODE_PRIMARY, vcr_replicator_push_async,
                   callback, user_data);
}

GPtrArray *
vcr_daemon_push_finish (VcrDaemon *self, GAsyncResult *result, GError **error)
{
  g_autoptr(GAsyncResult) inner = replicator_result (result, error);

  return inner != NULL ? vcr_replicator_push_finish (self->replicator, inner, error) : NULL;
}

void
vcr_daemon_pull_async (VcrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  call_replicator (self, "Pull", VCR_MODE_REPLICA, vcr_replicator_pull_async,
                   callback, user_data);
}

gboolean
vcr_daemon_pull_finish (VcrDaemon *self, GAsyncResult *result,
                        gboolean *changed, guint64 *generation, GError **error)
{
  g_autoptr(GAsyncResult) inner = replicator_result (result, error);

  *changed = FALSE;
  *generation = vcr_daemon_get_generation (self);
  return inner != NULL &&
         vcr_replicator_pull_finish (self->replicator, inner, changed, generation, error);
}

void
vcr_daemon_preview_async (VcrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  call_replicator (self, "Preview", VCR_MODE_PRIMARY, vcr_replicator_preview_async,
                   callback, user_data);
}

GPtrArray *
vcr_daemon_preview_finish (VcrDaemon *self, GAsyncResult *result, GError **error)
{
  g_autoptr(GAsyncResult) inner = replicator_result (result, error);

  return inner != NULL ? vcr_replicator_preview_finish (self->replicator, inner, error) : NULL;
}

void
vcr_daemon_verify_async (VcrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  call_replicator (self, "Verify", VCR_MODE_DISABLED, vcr_replicator_verify_async,
                   callback, user_data);
}

GPtrArray *
vcr_daemon_verify_finish (VcrDaemon *self, GAsyncResult *result, GError **error)
{
  g_autoptr(GAsyncResult) inner = replicator_result (result, error);

  return inner != NULL ? vcr_replicator_verify_finish (self->replicator, inner, error) : NULL;
}
