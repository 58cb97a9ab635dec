/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's core (see vcr-daemon.h): settings and their reload, the
 * cached running config, the managed-path index, the commit check of
 * SPEC §3, the properties shown on the bus, and the history.
 */
#define G_LOG_DOMAIN "vcr-daemon"

#include "config.h"

#include "vcr-daemon.h"
#include "vcr-memory.h"
#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-replicator.h"

/* History is saved at most this often: it is informational, and an fsync
 * per refused commit would be wasted work. */
#define HISTORY_SAVE_DELAY_S 1

struct _VcrDaemon {
  GObject parent_instance;
  VcrDaemonOptions options;
  VcrBackend *backend;
  VcrState *store;
  VcrSettings *settings;       /* NULL until read once */
  GHashTable *path_index;      /* path string → itself (owned by path_strings) */
  GPtrArray *path_strings;     /* of char*, sorted like settings->paths */
  GString *lookup_buffer;      /* reused by is_path_managed */
  VcrTree *running;            /* cached running config without its replicated subtrees */
  char *running_stamp;         /* the backend's stamp when it was read (nullable) */
  GHashTable *running_digests; /* path → digest of its subtree in the running config */
  char *state;
  char *listen_address;
  GPtrArray *peers;            /* of VcrPeerStatus* */
  guint save_source;
  VcrReplicator *replicator;   /* peers: push, pull, verify */
  GHashTable *pending;         /* path → digest of the text being applied, or NULL */
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
peer_status_free (VcrPeerStatus *peer)
{
  g_free (peer->name);
  g_free (peer->address);
  g_free (peer->state);
  g_free (peer->last_error);
  g_free (peer);
}

static void
violation_free (VcrViolation *v)
{
  g_free (v->replicate_path);
  g_free (v->message);
  g_free (v);
}

static void
vcr_daemon_finalize (GObject *object)
{
  VcrDaemon *self = VCR_DAEMON (object);

  if (self->replicator != NULL)
    vcr_replicator_stop (self->replicator);
  g_clear_object (&self->replicator);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  vcr_daemon_flush (self);
  vcr_daemon_options_clear (&self->options);
  g_clear_object (&self->backend);
  g_clear_object (&self->store);
  g_clear_pointer (&self->settings, vcr_settings_unref);
  g_hash_table_unref (self->path_index);
  g_ptr_array_unref (self->path_strings);
  g_string_free (self->lookup_buffer, TRUE);
  g_clear_pointer (&self->running, vcr_tree_free);
  g_free (self->running_stamp);
  g_clear_pointer (&self->running_digests, g_hash_table_unref);
  g_free (self->state);
  g_free (self->listen_address);
  g_ptr_array_unref (self->peers);
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
  self->path_index = g_hash_table_new (g_str_hash, g_str_equal);
  /* NULL-terminated: its pdata doubles as the "as" of ReplicatedPaths. */
  self->path_strings = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  self->lookup_buffer = g_string_sized_new (256);
  self->state = g_strdup ("error");
  self->listen_address = g_strdup ("");
  self->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_status_free);
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
  self->options.verify_interval = options->verify_interval;
  self->options.verbose = options->verbose;

  self->backend = vcr_backend_new (self->options.backend, self->options.config_path, error);
  if (self->backend == NULL)
    return NULL;
  self->store = vcr_state_new (dir, error);
  if (self->store == NULL)
    return NULL;
  self->replicator = vcr_replicator_new (self);
  return g_steal_pointer (&self);
}

const VcrDaemonOptions *
vcr_daemon_get_options (VcrDaemon *self)
{
  return &self->options;
}

VcrState *
vcr_daemon_get_state_store (VcrDaemon *self)
{
  return self->store;
}

VcrBackend *
vcr_daemon_get_backend (VcrDaemon *self)
{
  return self->backend;
}

const VcrSettings *
vcr_daemon_get_settings (VcrDaemon *self)
{
  return self->settings;
}

void
vcr_daemon_notify (VcrDaemon *self, const char *property)
{
  g_signal_emit (self, signals[SIGNAL_PROPERTY_CHANGED], 0, property);
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
  g_autoptr(GError) error = NULL;

  if (self->save_source == 0)
    return;
  g_clear_handle_id (&self->save_source, g_source_remove);
  if (!vcr_state_save (self->store, &error))
    g_warning ("Cannot save the state: %s, ignoring", error->message);
}

static gboolean
save_cb (gpointer user_data)
{
  VcrDaemon *self = user_data;
  g_autoptr(GError) error = NULL;

  self->save_source = 0;
  if (!vcr_state_save (self->store, &error))
    g_warning ("Cannot save the state: %s, ignoring", error->message);
  return G_SOURCE_REMOVE;
}

void
vcr_daemon_add_event (VcrDaemon *self, VcrEvent *event)
{
  vcr_state_add_event (self->store, event);
  if (self->save_source == 0)
    self->save_source = g_timeout_add_seconds (HISTORY_SAVE_DELAY_S, save_cb, self);
}

GPtrArray *
vcr_daemon_get_history (VcrDaemon *self, guint max)
{
  GPtrArray *all = vcr_state_get_history (self->store);
  if (max > 0 && all->len > max)
    g_ptr_array_set_size (all, max);
  return all;
}

void
vcr_daemon_set_pending_reference (VcrDaemon *self, GHashTable *digests)
{
  g_clear_pointer (&self->pending, g_hash_table_unref);
  if (digests != NULL)
    self->pending = g_hash_table_ref (digests);
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
  return self->state;
}

void
vcr_daemon_set_state (VcrDaemon *self, const char *state)
{
  if (g_strcmp0 (self->state, state) == 0)
    return;
  g_free (self->state);
  self->state = g_strdup (state);
  vcr_daemon_notify (self, "State");
}

GPtrArray *
vcr_daemon_get_replicated_paths (VcrDaemon *self)
{
  return self->path_strings;
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
  return self->peers;
}

const char *
vcr_daemon_get_listen_address (VcrDaemon *self)
{
  return self->listen_address;
}

void
vcr_daemon_set_listen_address (VcrDaemon *self, const char *address)
{
  if (g_strcmp0 (self->listen_address, address) == 0)
    return;
  g_free (self->listen_address);
  self->listen_address = g_strdup (address != NULL ? address : "");
  vcr_daemon_notify (self, "ListenAddress");
}

/* ---- Paths ------------------------------------------------------------ */

gboolean
vcr_daemon_is_path_managed (VcrDaemon *self, const char *const *words,
                            gboolean *managed, const char **replicate_path,
                            GError **error)
{
  GString *buf = self->lookup_buffer;

  if (!vcr_path_check_words (words, error))
    return FALSE;
  *managed = FALSE;
  *replicate_path = NULL;
  /* Each prefix of @words, joined as the index keys are, looked up once:
   * O(length of the path) however many replicate paths there are. */
  g_string_truncate (buf, 0);
  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *hit;
      if (i > 0)
        g_string_append_c (buf, ' ');
      g_string_append (buf, words[i]);
      hit = g_hash_table_lookup (self->path_index, buf->str);
      if (hit != NULL)
        {
          *replicate_path = hit;
          *managed = vcr_daemon_get_mode (self) == VCR_MODE_REPLICA;
          break;
        }
    }
  return TRUE;
}

/* ---- State ------------------------------------------------------------ */

static char *
format_address (const char *address, guint16 port)
{
  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", address, port);
  return g_strdup_printf ("%s:%u", address, port);
}

/* Whether each replicate path of the running config is what it should be:
 * on a replica the reference copy, on a primary what @peer acknowledged. */
static gboolean
paths_match (VcrDaemon *self, const VcrPeerAck *ack)
{
  if (self->running_digests == NULL)
    return FALSE;
  for (guint i = 0; i < self->settings->paths->len; i++)
    {
      const char *path = g_ptr_array_index (self->path_strings, i);
      const char *digest = g_hash_table_lookup (self->running_digests, path);
      const char *wanted = ack == NULL ? vcr_state_get_reference_digest (self->store, path)
                                       : g_hash_table_lookup (ack->digests, path);

      if (g_strcmp0 (wanted, digest) != 0)
        return FALSE;
    }
  return TRUE;
}

/* Recomputes the peers and State from the settings, the running config
 * and the state store. The replicator refines these while it works. */
static void
update_status (VcrDaemon *self)
{
  guint in_sync = 0;

  g_ptr_array_set_size (self->peers, 0);
  if (self->settings == NULL)
    {
      vcr_daemon_set_state (self, "error");
      vcr_daemon_notify (self, "Peers");
      return;
    }
  for (guint i = 0; i < self->settings->peers->len; i++)
    {
      const VcrPeerSettings *ps = g_ptr_array_index (self->settings->peers, i);
      const VcrPeerAck *ack = vcr_state_get_ack (self->store, ps->name);
      VcrPeerStatus *peer = g_new0 (VcrPeerStatus, 1);
      gboolean ok;

      if (self->settings->mode == VCR_MODE_PRIMARY)
        ok = ack != NULL && paths_match (self, ack);
      else
        ok = vcr_state_get_applied_epoch (self->store) != NULL && paths_match (self, NULL);
      peer->name = g_strdup (ps->name);
      peer->address = format_address (ps->address, ps->port);
      peer->state = g_strdup (ok ? "in-sync" : "out-of-sync");
      peer->acknowledged = ack != NULL ? ack->generation : 0;
      peer->last_error = g_strdup ("");
      in_sync += ok ? 1 : 0;
      g_ptr_array_add (self->peers, peer);
    }
  vcr_daemon_notify (self, "Peers");
  if (self->settings->mode == VCR_MODE_DISABLED)
    vcr_daemon_set_state (self, "disabled");
  else if (in_sync == self->peers->len)
    vcr_daemon_set_state (self, "in-sync");
  else if (in_sync > 0)
    vcr_daemon_set_state (self, "degraded");
  else
    vcr_daemon_set_state (self, "out-of-sync");
}

static void
take_settings (VcrDaemon *self, VcrSettings *settings)
{
  g_clear_pointer (&self->settings, vcr_settings_unref);
  self->settings = settings;
  /* the cached running config was pruned for the old replicate paths */
  g_clear_pointer (&self->running, vcr_tree_free);
  g_clear_pointer (&self->running_stamp, g_free);
  g_clear_pointer (&self->running_digests, g_hash_table_unref);
  g_hash_table_remove_all (self->path_index);
  g_ptr_array_set_size (self->path_strings, 0);
  for (guint i = 0; i < settings->paths->len; i++)
    {
      char *path = vcr_path_to_string (g_ptr_array_index (settings->paths, i));
      g_ptr_array_add (self->path_strings, path);
      g_hash_table_insert (self->path_index, path, path);
    }
  for (guint i = 0; settings->warnings != NULL && i < settings->warnings->len; i++)
    g_warning ("%s", (const char *) g_ptr_array_index (settings->warnings, i));
  vcr_daemon_notify (self, "Mode");
  vcr_daemon_notify (self, "ReplicatedPaths");
  vcr_daemon_notify (self, "Generation");
  vcr_daemon_notify (self, "Warnings");
}

/* ---- Reload ----------------------------------------------------------- */

/* Caches what CheckCommit, the status and the next snapshot need of the
 * running config @tree (taken), read or written at @stamp (taken,
 * nullable): the digest of each replicated subtree (from @digests, taken,
 * nullable, or computed) and the rest of the tree, copied without those
 * subtrees, which can be megabytes a router need not keep in memory. A
 * tree given with @digests may already lack its subtrees: when @digests
 * misses a replicate path (the settings changed meanwhile), nothing is
 * cached rather than a digest computed from what is not there. */
static void
cache_running (VcrDaemon *self, VcrTree *tree, char *stamp, GHashTable *digests)
{
  g_autoptr(VcrTree) whole = tree;
  g_autoptr(GHashTable) known = digests;
  GPtrArray *paths;

  g_clear_pointer (&self->running, vcr_tree_free);
  g_clear_pointer (&self->running_stamp, g_free);
  g_clear_pointer (&self->running_digests, g_hash_table_unref);
  if (self->settings == NULL)
    {
      g_free (stamp);
      return;
    }
  paths = self->settings->paths;
  self->running_stamp = stamp;
  self->running_digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (self->path_strings, i);
      const char *digest = known != NULL ? g_hash_table_lookup (known, path) : NULL;
      char *computed = NULL;

      if (digest == NULL && known != NULL)
        {
          g_clear_pointer (&self->running_stamp, g_free);
          g_clear_pointer (&self->running_digests, g_hash_table_unref);
          return;
        }
      if (digest == NULL)
        {
          g_autofree char *text = vcr_path_snapshot_text (whole, g_ptr_array_index (paths, i));
          digest = computed = vcr_digest (text, strlen (text));
        }
      g_hash_table_insert (self->running_digests, g_strdup (path),
                           computed != NULL ? computed : g_strdup (digest));
    }
  self->running = paths->len > 0 ? vcr_tree_copy_pruned (whole, paths) : g_steal_pointer (&whole);
}

VcrTree *
vcr_daemon_take_running (VcrDaemon *self, const char *stamp, GHashTable **digests)
{
  *digests = NULL;
  if (self->running == NULL || stamp == NULL || g_strcmp0 (stamp, self->running_stamp) != 0)
    return NULL;
  g_clear_pointer (&self->running_stamp, g_free);
  *digests = g_steal_pointer (&self->running_digests);
  return g_steal_pointer (&self->running);
}

void
vcr_daemon_set_running (VcrDaemon *self, VcrTree *tree, char *stamp, GHashTable *digests)
{
  if (stamp == NULL)
    {
      vcr_tree_free (tree);
      if (digests != NULL)
        g_hash_table_unref (digests);
      return;
    }
  cache_running (self, tree, stamp, digests);
}

static void
reload_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VcrDaemon *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_backend_read_finish (self->backend, result, &error);
  g_autoptr(VcrSettings) settings = NULL;

  vcr_memory_release_later ();   /* what parsing the whole config took */
  if (tree == NULL)
    {
      g_warning ("Cannot read the config: %s; keeping the previous settings",
                 error->message);
      vcr_daemon_add_event (self, vcr_event_new ("reload", NULL, 0, NULL, error->message));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  settings = vcr_settings_from_tree (tree, &error);
  if (settings == NULL)
    {
      g_warning ("Invalid replication settings: %s; keeping the previous settings",
                 error->message);
      vcr_daemon_add_event (self, vcr_event_new ("reload", NULL, 0, NULL, error->message));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  take_settings (self, g_steal_pointer (&settings));
  cache_running (self, g_steal_pointer (&tree), g_strdup (g_task_get_task_data (task)), NULL);
  update_status (self);
  if (!vcr_replicator_start (self->replicator, &error))
    {
      g_warning ("Cannot start replication: %s", error->message);
      vcr_daemon_add_event (self, vcr_event_new ("reload", NULL, 0, NULL, error->message));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_message ("Settings loaded: mode %s, %u replicate paths, %u peers",
             vcr_mode_to_string (self->settings->mode), self->path_strings->len,
             self->peers->len);
  vcr_daemon_add_event (self, vcr_event_new ("reload", NULL, 0,
                                             (const char *const *) self->path_strings->pdata,
                                             "ok"));
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

static char *
refusal_message (const char *path)
{
  return g_strdup_printf ("Error: path \"%s\" is managed by config replication "
                          "and must not be modified locally.", path);
}

/* SPEC §3: R is refused when the proposed subtree differs from the running
 * one and is not the reference (no reference: every change is refused). */
static GPtrArray *
find_violations (VcrDaemon *self, const VcrTree *proposed)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) violation_free);

  if (vcr_daemon_get_mode (self) != VCR_MODE_REPLICA)
    return out;
  for (guint i = 0; i < self->settings->paths->len; i++)
    {
      const char *const *words = g_ptr_array_index (self->settings->paths, i);
      const char *path = g_ptr_array_index (self->path_strings, i);
      const char *ref, *pending;
      g_autofree char *text = vcr_path_snapshot_text (proposed, words);
      g_autofree char *digest = vcr_digest (text, strlen (text));
      VcrViolation *v;

      /* Compared through digests: the cached running config keeps only
       * the digests of its replicated subtrees. */
      if (self->running_digests != NULL &&
          g_strcmp0 (digest, g_hash_table_lookup (self->running_digests, path)) == 0)
        continue;
      ref = vcr_state_get_reference_digest (self->store, path);
      pending = self->pending != NULL ? g_hash_table_lookup (self->pending, path) : NULL;
      if (g_strcmp0 (digest, ref) == 0 || g_strcmp0 (digest, pending) == 0)
        continue;
      v = g_new0 (VcrViolation, 1);
      v->replicate_path = g_strdup (path);
      v->message = refusal_message (path);
      g_ptr_array_add (out, v);
    }
  return out;
}

static void
finish_check (VcrDaemon *self, GTask *task)
{
  const VcrTree *proposed = g_task_get_task_data (task);
  g_autoptr(GPtrArray) violations = find_violations (self, proposed);

  vcr_memory_release_later ();   /* the proposed config is megabytes, freed soon */

  if (violations->len > 0)
    {
      g_autoptr(GPtrArray) paths = g_ptr_array_new_null_terminated (violations->len, NULL, TRUE);
      for (guint i = 0; i < violations->len; i++)
        {
          VcrViolation *v = g_ptr_array_index (violations, i);
          g_ptr_array_add (paths, v->replicate_path);
          g_message ("Commit refused: %s", v->message);
        }
      vcr_daemon_add_event (self, vcr_event_new ("commit-refused", NULL, 0,
                                                 (const char *const *) paths->pdata,
                                                 "refused"));
      g_signal_emit (self, signals[SIGNAL_COMMIT_REFUSED], 0, paths->pdata);
    }
  g_task_return_pointer (task, g_steal_pointer (&violations),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
check_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VcrDaemon *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  VcrTree *tree = vcr_backend_read_finish (self->backend, result, &error);
  char *stamp = g_object_steal_data (G_OBJECT (task), "stamp");

  if (tree == NULL)
    {
      g_free (stamp);
      g_prefix_error (&error, "Cannot read the running config: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  cache_running (self, tree, stamp, NULL);
  finish_check (self, task);
}

void
vcr_daemon_check_commit_async (VcrDaemon *self, VcrTree *proposed,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autofree char *stamp = NULL;

  g_task_set_task_data (task, proposed, (GDestroyNotify) vcr_tree_free);
  if (vcr_daemon_get_mode (self) != VCR_MODE_REPLICA)
    {
      finish_check (self, task);
      return;
    }
  /* The running config is parsed once and kept while the backend's stamp
   * says it did not change: a commit check must not re-read 1 MB. */
  stamp = vcr_backend_get_stamp (self->backend);
  if (self->running != NULL && stamp != NULL &&
      g_strcmp0 (stamp, self->running_stamp) == 0)
    {
      finish_check (self, task);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "stamp", g_steal_pointer (&stamp), g_free);
  vcr_backend_read_async (self->backend, NULL, check_read_done, g_steal_pointer (&task));
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

/* The replicator answers; these hand its answer to the daemon's caller. */
static void
push_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *results = vcr_replicator_push_finish (VCR_REPLICATOR (source), result, &error);

  if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

static void
pull_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean changed = FALSE;
  guint64 generation = 0;

  if (!vcr_replicator_pull_finish (VCR_REPLICATOR (source), result, &changed, &generation, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, g_memdup2 (&generation, sizeof generation), g_free);
  g_task_return_boolean (task, changed);
}

static void
verify_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *results = vcr_replicator_verify_finish (VCR_REPLICATOR (source), result, &error);

  if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

void
vcr_daemon_push_async (VcrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  GError *error = NULL;

  if (!check_mode (self, "Push", VCR_MODE_PRIMARY, &error))
    g_task_return_error (task, error);
  else
    vcr_replicator_push_async (self->replicator, push_done, g_steal_pointer (&task));
}

GPtrArray *
vcr_daemon_push_finish (VcrDaemon *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
vcr_daemon_pull_async (VcrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  GError *error = NULL;

  if (!check_mode (self, "Pull", VCR_MODE_REPLICA, &error))
    g_task_return_error (task, error);
  else
    vcr_replicator_pull_async (self->replicator, pull_done, g_steal_pointer (&task));
}

gboolean
vcr_daemon_pull_finish (VcrDaemon *self, GAsyncResult *result,
                        gboolean *changed, guint64 *generation, GError **error)
{
  GError *e = NULL;
  gboolean value = g_task_propagate_boolean (G_TASK (result), &e);
  guint64 *gen = g_task_get_task_data (G_TASK (result));

  *changed = FALSE;
  *generation = vcr_daemon_get_generation (self);
  if (e != NULL)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  *changed = value;
  if (gen != NULL)
    *generation = *gen;
  return TRUE;
}

void
vcr_daemon_verify_async (VcrDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  GError *error = NULL;

  if (!check_mode (self, "Verify", VCR_MODE_DISABLED, &error))
    g_task_return_error (task, error);
  else
    vcr_replicator_verify_async (self->replicator, verify_done, g_steal_pointer (&task));
}

GPtrArray *
vcr_daemon_verify_finish (VcrDaemon *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
