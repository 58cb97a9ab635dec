/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A replica taking a snapshot, pushed or pulled: the rules of SPEC §7 in
 * their order, the all-or-nothing apply through the backend, the
 * --apply-command and its undo, and the record of the new reference.
 *
 * The running config comes from the daemon's cache (what this replica last
 * wrote or read, while the backend's stamp holds: its replicated subtrees
 * as digests, the rest as a tree) or is read in a worker while another
 * parses the snapshot's texts. The snapshot's trees go into the rest of the
 * running config as they are, the backend writes it while a worker writes
 * the new reference copies, and what was written becomes the cache.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vcr-replicator-private.h"
#include "vcr-splice.h"

/* ---- Receive (replica): the rules of SPEC §7, then the apply ----------- */

typedef struct {
  VcrReplicator *self;
  VcrSnapshot *snapshot;
  Received done;
  gpointer data;
  gint64 mark;              /* monotonic µs at the last phase logged */
  gboolean claimed;         /* this receive holds self->applying */
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

  /* The apply: the config through the backend and the reference copies in
   * a worker, side by side (@writing). */
  VcrTree *applied;         /* the running config without its replicated subtrees,
                             * then with the snapshot's: lent to the backend */
  GHashTable *digests;      /* path → digest being applied (the pending reference) */
  VcrReferenceUpdate *references; /* the new reference copies */
  guint writing;
  GError *apply_error;      /* the backend's apply failed */
  GError *reference_error;  /* the reference copies could not be written */
  char *written_stamp;      /* the backend's stamp of what it wrote */

  /* The --apply-command, and what its failure puts back. */
  VcrTree *old;             /* the replicated subtrees before the apply (not
                             * kept when a byte-exact undo is at hand) */
  guint timeout_source;     /* bounds the command */
} Receive;

/* With --verbose: how long the phase that just ended took. */
static void
receive_phase (Receive *rx, const char *phase)
{
  gint64 now = g_get_monotonic_time ();

  g_debug ("Generation %" G_GUINT64_FORMAT ": %s in %.1f ms", rx->snapshot->generation,
           phase, (now - rx->mark) / 1000.0);
  rx->mark = now;
}

static void
receive_free (Receive *rx)
{
  /* A running config not applied to goes back to the cache, still valid
   * at the stamp it was read at. */
  if (rx->running != NULL)
    vcr_daemon_set_running (rx->self->daemon, g_steal_pointer (&rx->running),
                            g_steal_pointer (&rx->stamp), g_steal_pointer (&rx->running_digests));
  g_clear_pointer (&rx->running_digests, g_hash_table_unref);
  g_clear_pointer (&rx->applied, vcr_tree_free);
  g_free (rx->written_stamp);
  g_clear_pointer (&rx->references, vcr_reference_update_free);
  g_clear_error (&rx->apply_error);
  g_clear_error (&rx->reference_error);
  g_clear_pointer (&rx->snapshot, vcr_snapshot_free);
  g_clear_pointer (&rx->trees, g_ptr_array_unref);
  g_clear_pointer (&rx->splices, g_array_unref);
  g_clear_pointer (&rx->old, vcr_tree_free);
  g_free (rx->stamp);
  g_clear_pointer (&rx->digests, g_hash_table_unref);
  g_clear_error (&rx->parse_error);
  g_clear_error (&rx->read_error);
  g_clear_handle_id (&rx->timeout_source, g_source_remove);
  vcr_memory_release_later ();
  g_object_unref (rx->self);
  g_free (rx);
}

static void
receive_finish (Receive *rx, guint status, const char *code, const char *message,
                gboolean applied)
{
  if (rx->digests != NULL)
    vcr_daemon_set_pending_reference (rx->self->daemon, NULL);
  rx->done (rx->self, status, code, message, applied, rx->snapshot->generation, rx->data);
  receive_free (rx);
}

/* The replicate paths the snapshot carries, sorted, as one string. */
static char *
describe_paths (const VcrSnapshot *snapshot)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < snapshot->entries->len; i++)
    g_ptr_array_add (paths, ((VcrSnapshotEntry *) g_ptr_array_index (snapshot->entries, i))->path);
  g_ptr_array_sort (paths, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < paths->len; i++)
    g_string_append_printf (s, "%s\"%s\"", i > 0 ? ", " : "", (char *) paths->pdata[i]);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
same_path_set (VcrReplicator *self, const VcrSnapshot *snapshot)
{
  GPtrArray *own = vcr_daemon_get_replicated_paths (self->daemon);

  if (own->len != snapshot->entries->len)
    return FALSE;
  for (guint i = 0; i < own->len; i++)
    if (vcr_snapshot_lookup (snapshot, g_ptr_array_index (own, i)) == NULL)
      return FALSE;
  return TRUE;
}

/* Records @snapshot as applied: reference copies (already written to
 * temporary files when @references is given) and the applied epoch and
 * generation, saved before the answer goes out. */
static gboolean
record_applied (VcrReplicator *self, const VcrSnapshot *snapshot,
                VcrReferenceUpdate *references, GError **error)
{
  VcrState *store = vcr_daemon_get_state_store (self->daemon);

  /* the reference takes over from the pending one here */
  vcr_daemon_set_pending_reference (self->daemon, NULL);
  if (references != NULL ? !vcr_state_commit_references (store, references, error)
                         : !vcr_state_set_references (store, snapshot, error))
    return FALSE;
  vcr_state_set_applied (store, snapshot->epoch, snapshot->generation);
  return vcr_state_save (store, error);
}

static void
applied_successfully (Receive *rx)
{
  VcrReplicator *self = rx->self;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) paths = vcr_replicator_replicate_paths (self);

  if (rx->reference_error != NULL)
    g_warning ("Applied, but cannot record it: %s", rx->reference_error->message);
  else if (!record_applied (self, rx->snapshot, rx->references, &error))
    g_warning ("Applied, but cannot record it: %s", error->message);
  receive_phase (rx, "recorded");
  /* What was written is the running config now: the next snapshot (and
   * CheckCommit) need not read the file again while it stays so. */
  vcr_daemon_set_running (self->daemon, g_steal_pointer (&rx->applied),
                          g_steal_pointer (&rx->written_stamp),
                          vcr_replicator_digest_table (rx->snapshot));
  self->applying = FALSE;
  g_message ("Applied generation %" G_GUINT64_FORMAT " from %s",
             rx->snapshot->generation, rx->snapshot->origin);
  g_signal_emit_by_name (self->daemon, "snapshot-applied", rx->snapshot->generation,
                         paths, rx->snapshot->origin);
  vcr_replicator_add_event (self, "apply", rx->snapshot->origin, rx->snapshot->generation, "ok");
  if (self->peers->len > 0)
    vcr_replicator_peer_succeeded (self, g_ptr_array_index (self->peers, 0));
  receive_finish (rx, 200, NULL, NULL, TRUE);
}

static void
apply_failed (Receive *rx, const char *reason)
{
  g_autofree char *message = g_strdup_printf ("apply failed: %s", reason);

  rx->self->applying = FALSE;
  g_warning ("Snapshot generation %" G_GUINT64_FORMAT " not applied: %s",
             rx->snapshot->generation, reason);
  vcr_replicator_add_event (rx->self, "apply", rx->snapshot->origin, rx->snapshot->generation, message);
  vcr_replicator_publish (rx->self);
  receive_finish (rx, 422, "apply-failed", message, FALSE);
}

/* The reason the apply is being undone travels with the backend object
 * while the undo runs (one apply at a time: self->applying). */
static char *
take_apply_error (GObject *backend)
{
  const char *reason = g_object_get_data (backend, "vcr-apply-error");
  char *why = g_strdup (reason != NULL ? reason : "the apply command failed");

  g_object_set_data (backend, "vcr-apply-error", NULL);
  return why;
}

static void
restore_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = take_apply_error (source);

  if (!vcr_backend_apply_finish (VCR_BACKEND (source), result, NULL, &error))
    {
      g_autofree char *both = g_strdup_printf ("%s; restoring the old config failed too: %s",
                                               why, error->message);
      apply_failed (rx, both);
      return;
    }
  apply_failed (rx, why);
}

/* The backend could not undo byte for byte (the vyos backend): applies the
 * old subtrees instead, which gives back an equal tree. */
static void
undo_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  VcrBackend *backend = VCR_BACKEND (source);
  const VcrSettings *settings = vcr_daemon_get_settings (rx->self->daemon);
  g_autoptr(GError) error = NULL;

  if (vcr_backend_undo_finish (backend, result, &error))
    {
      g_autofree char *why = take_apply_error (source);
      apply_failed (rx, why);
      return;
    }
  if (rx->old == NULL)
    {
      g_autofree char *why = take_apply_error (source);
      g_autofree char *both = g_strdup_printf ("%s; the old config cannot be put back: %s",
                                               why, error->message);
      apply_failed (rx, both);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    g_warning ("Cannot undo the apply: %s; applying the old subtrees", error->message);
  vcr_backend_apply_async (backend, rx->old, settings->paths, NULL, FALSE, NULL,
                           restore_done, rx);
}

/* The --apply-command failed: puts the old config back. SPEC §7: "the old
 * config stays", so the file backend restores the very bytes it replaced
 * (a canonical re-rendering of the old tree would drop comments and
 * layout the operator had). */
static void
restore_old (Receive *rx, const char *reason)
{
  VcrBackend *backend = vcr_daemon_get_backend (rx->self->daemon);

  g_object_set_data_full (G_OBJECT (backend), "vcr-apply-error", g_strdup (reason), g_free);
  vcr_backend_undo_async (backend, NULL, undo_done, rx);
}

static void
apply_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  g_autofree char *reason = NULL;

  g_clear_handle_id (&rx->timeout_source, g_source_remove);
  if (!g_subprocess_communicate_utf8_finish (process, result, &output, NULL, &error))
    reason = g_strdup_printf ("the apply command failed: %s", error->message);
  else if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    reason = g_strdup_printf ("the apply command failed (%s%d): %s",
                              g_subprocess_get_if_exited (process) ? "exit status " : "signal ",
                              g_subprocess_get_if_exited (process)
                                ? g_subprocess_get_exit_status (process)
                                : g_subprocess_get_term_sig (process),
                              output != NULL ? g_strstrip (output) : "");
  if (reason != NULL)
    restore_old (rx, reason);
  else
    applied_successfully (rx);
}

/* The command runs in a process group of its own, so that a command that
 * hangs can be ended with everything it started. */
static void
apply_command_child_setup (gpointer user_data)
{
  setpgid (0, 0);
}

static gboolean
apply_command_timeout (gpointer user_data)
{
  GSubprocess *process = user_data;
  const char *id = g_subprocess_get_identifier (process);

  g_warning ("The apply command ran longer than %d s; killing it", APPLY_COMMAND_TIMEOUT_S);
  if (id != NULL)
    kill (-(pid_t) g_ascii_strtoll (id, NULL, 10), SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
run_apply_command (Receive *rx, const char *command)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *generation = g_strdup_printf ("%" G_GUINT64_FORMAT, rx->snapshot->generation);
  const VcrDaemonOptions *options = vcr_daemon_get_options (rx->self->daemon);

  g_subprocess_launcher_set_child_setup (launcher, apply_command_child_setup, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "VCR_GENERATION", generation, TRUE);
  if (options->config_path != NULL)
    g_subprocess_launcher_setenv (launcher, "VCR_CONFIG", options->config_path, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c", command, NULL);
  if (process == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("cannot run the apply command: %s",
                                                 error->message);
      restore_old (rx, reason);
      return;
    }
  rx->timeout_source = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, APPLY_COMMAND_TIMEOUT_S,
                                                   apply_command_timeout,
                                                   g_object_ref (process), g_object_unref);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, apply_command_done, rx);
}

static gboolean
has_apply_command (VcrReplicator *self)
{
  const VcrDaemonOptions *options = vcr_daemon_get_options (self->daemon);

  return options->apply_command != NULL && *options->apply_command != '\0';
}

/* The config is applied and the reference copies are written, or one of
 * them failed: on to the --apply-command, or to the answer. */
static void
write_done (Receive *rx)
{
  const VcrDaemonOptions *options = vcr_daemon_get_options (rx->self->daemon);

  if (--rx->writing > 0)
    return;
  if (rx->apply_error != NULL)
    {
      apply_failed (rx, rx->apply_error->message);
      return;
    }
  receive_phase (rx, "written");
  if (has_apply_command (rx->self))
    run_apply_command (rx, options->apply_command);
  else
    applied_successfully (rx);
}

static void
backend_apply_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;

  vcr_backend_apply_finish (VCR_BACKEND (source), result, &rx->written_stamp, &rx->apply_error);
  write_done (rx);
}

static void
references_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (vcr_reference_update_write (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
references_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;

  g_task_propagate_boolean (G_TASK (result), &rx->reference_error);
  write_done (rx);
}

/* Writes the new config through the backend and, alongside, the new
 * reference copies (put in place only once the config is applied). */
static void
write_snapshot (Receive *rx)
{
  VcrReplicator *self = rx->self;
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  g_autoptr(GTask) task = g_task_new (NULL, NULL, references_written, rx);

  rx->references = vcr_state_prepare_references (vcr_daemon_get_state_store (self->daemon),
                                                 rx->snapshot);
  rx->writing = 2;
  g_task_set_task_data (task, rx->references, NULL);
  g_task_run_in_thread (task, references_thread);
  vcr_backend_apply_async (vcr_daemon_get_backend (self->daemon), rx->applied,
                           settings->paths, rx->stamp, has_apply_command (self), NULL,
                           backend_apply_done, rx);
}

/* Nothing differs: answered "unchanged", nothing written. */
static void
finish_unchanged (Receive *rx)
{
  VcrReplicator *self = rx->self;
  g_autoptr(GError) record_error = NULL;

  /* The reference may still lag (a restart between the write and the
   * record), so record it. */
  self->applying = FALSE;
  if (!record_applied (self, rx->snapshot, NULL, &record_error))
    g_warning ("Cannot record the snapshot: %s, ignoring", record_error->message);
  if (self->peers->len > 0)
    vcr_replicator_peer_succeeded (self, g_ptr_array_index (self->peers, 0));
  receive_finish (rx, 200, NULL, NULL, FALSE);
}

/* The old subtrees of @running, kept only to put back should the
 * --apply-command fail on a backend that cannot undo byte for byte (a copy
 * of 10,000 rules is not free). */
static void
keep_old_subtrees (Receive *rx, const VcrTree *running)
{
  const VcrSettings *settings = vcr_daemon_get_settings (rx->self->daemon);

  if (!has_apply_command (rx->self))
    return;
  rx->old = vcr_tree_new ();
  for (guint i = 0; i < settings->paths->len; i++)
    vcr_tree_graft (rx->old, running, g_ptr_array_index (settings->paths, i));
}

/* Whether the cached running config already holds the snapshot, by the
 * digests of its replicated subtrees. Equal digests are equal texts, which
 * parsed when they were applied: the snapshot's texts need no parsing. */
static gboolean
cached_running_matches (Receive *rx)
{
  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);

      if (g_strcmp0 (g_hash_table_lookup (rx->running_digests, e->path), e->digest) != 0)
        return FALSE;
    }
  return TRUE;
}

/* Puts entry @i of the snapshot into rx->applied at @words: its text
 * spliced, or its tree. A text that was spliceable but does not fit the
 * running config's shape (vcr_tree_graft_splice()) is parsed here. */
static gboolean
graft_entry (Receive *rx, guint i, char **words, GError **error)
{
  const VcrSplice *splice = rx->splices != NULL ? &g_array_index (rx->splices, VcrSplice, i) : NULL;
  VcrTree *tree = g_steal_pointer (&g_ptr_array_index (rx->trees, i));

  if (splice != NULL && splice->text != NULL)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (rx->snapshot->entries, i);

      if (vcr_tree_graft_splice (rx->applied, (const char *const *) words, splice))
        return TRUE;
      g_debug ("Generation %" G_GUINT64_FORMAT ": the text of \"%s\" does not fit this "
               "config's shape (a tag node in one, not in the other): parsed",
               rx->snapshot->generation, entry->path);
      tree = vcr_snapshot_entry_parse (entry, error);
      if (tree == NULL)
        return FALSE;
    }
  vcr_tree_graft_owned (rx->applied, tree, (const char *const *) words);
  return TRUE;
}

/* The texts are parsed, and the running config is read (@tree, or NULL and
 * @error) unless it was cached: compare, then apply. */
static void
receive_read_done (VcrReplicator *self, VcrTree *tree, const GError *error, gpointer data)
{
  Receive *rx = data;
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  gboolean same = TRUE;

  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);
      g_ptr_array_add (words, vcr_path_parse (e->path, NULL));
    }
  if (rx->applied == NULL)
    {
      /* Read from the backend: compared as trees (equal subtrees render
       * to equal snapshot texts, and no text is rendered for it). */
      if (tree == NULL)
        {
          apply_failed (rx, error->message);
          return;
        }
      rx->running = tree;
      receive_phase (rx, "running config read");
      for (guint i = 0; i < words->len && same; i++)
        same = vcr_tree_subtree_equal (tree, g_ptr_array_index (rx->trees, i),
                                       g_ptr_array_index (words, i));
      if (same)
        {
          finish_unchanged (rx);
          return;
        }
      keep_old_subtrees (rx, tree);
      rx->applied = vcr_tree_copy_pruned (tree, settings->paths);
      g_clear_pointer (&rx->running, vcr_tree_free);
    }
  /* The rest of the running config (copied without the old subtrees)
   * takes the snapshot's texts as spliced nodes, or its trees over as they
   * are: what is written holds each subtree once. */
  rx->digests = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);
      g_autoptr(GError) parse_error = NULL;

      if (!graft_entry (rx, i, g_ptr_array_index (words, i), &parse_error))
        {
          apply_failed (rx, parse_error->message);
          return;
        }
      g_hash_table_insert (rx->digests, e->path, e->digest);
    }
  receive_phase (rx, "compared and grafted");
  vcr_daemon_set_pending_reference (self->daemon, rx->digests);
  write_snapshot (rx);
}

/* Both halves are back: the remaining rules of SPEC §7 in their order
 * (texts, generation, one apply at a time), then the apply. */
static void
receive_continue (Receive *rx)
{
  VcrReplicator *self = rx->self;
  guint status = 0;
  const char *code = NULL;
  g_autofree char *message = NULL;

  if (rx->parse_error != NULL)
    {
      status = 400, code = "bad-snapshot";
      message = g_strdup (rx->parse_error->message);
    }
  else if (rx->stale)
    {
      status = 409, code = "stale-generation";
      message = g_strdup_printf ("generation %" G_GUINT64_FORMAT " is older than the applied %"
                                 G_GUINT64_FORMAT, rx->snapshot->generation,
                                 vcr_state_get_applied_generation (vcr_daemon_get_state_store (self->daemon)));
    }
  else if (!rx->claimed)
    {
      status = 503, code = "busy";
      message = g_strdup ("another snapshot is being applied; try again");
    }
  if (status != 0)
    {
      if (rx->claimed)
        {
          self->applying = FALSE;
          vcr_replicator_publish (self);
        }
      receive_finish (rx, status, code, message, FALSE);
      return;
    }
  receive_read_done (self, g_steal_pointer (&rx->running), rx->read_error, rx);
}

static void
receive_half_done (Receive *rx)
{
  if (--rx->waiting == 0)
    receive_continue (rx);
}

static void
parse_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Receive *rx = task_data;
  GError *error = NULL;
  GPtrArray *trees = vcr_snapshot_parse_trees (rx->snapshot, rx->splice ? &rx->splices : NULL,
                                               &error);

  if (trees == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, trees, (GDestroyNotify) g_ptr_array_unref);
}

static void
parse_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;

  rx->trees = g_task_propagate_pointer (G_TASK (result), &rx->parse_error);
  receive_phase (rx, rx->splice ? "snapshot texts checked" : "snapshot texts parsed");
  receive_half_done (rx);
}

static void
running_read (VcrReplicator *self, VcrTree *tree, const GError *error, gpointer data)
{
  Receive *rx = data;

  rx->running = tree;
  if (error != NULL)
    rx->read_error = g_error_copy (error);
  receive_half_done (rx);
}

/* Takes @snapshot (digests already checked) through the rules of SPEC §7
 * and applies it; @done gets the HTTP status and error code to answer. */
void
vcr_replicator_receive_snapshot (VcrReplicator *self, VcrSnapshot *snapshot, Received done, gpointer data)
{
  VcrState *store = vcr_daemon_get_state_store (self->daemon);
  Receive *rx = g_new0 (Receive, 1);
  g_autoptr(GTask) task = NULL;

  rx->self = g_object_ref (self);
  rx->snapshot = snapshot;
  rx->mark = g_get_monotonic_time ();
  rx->done = done;
  rx->data = data;

  if (vcr_daemon_get_mode (self->daemon) != VCR_MODE_REPLICA)
    {
      receive_finish (rx, 409, "wrong-mode", "this node is not a replica", FALSE);
      return;
    }
  if (!same_path_set (self, snapshot))
    {
      g_autofree char *theirs = describe_paths (snapshot);
      g_auto(GStrv) own = vcr_replicator_replicate_paths (self);
      g_autofree char *ours = g_strjoinv ("\", \"", own);
      g_autofree char *message =
        g_strdup_printf ("the snapshot carries %s; this replica replicates \"%s\"", theirs, ours);
      receive_finish (rx, 409, "path-mismatch", message, FALSE);
      return;
    }
  rx->stale = g_strcmp0 (vcr_state_get_applied_epoch (store), snapshot->epoch) == 0 &&
              snapshot->generation < vcr_state_get_applied_generation (store);
  /* A snapshot that will be applied if its texts parse claims the apply
   * now, and the running config is read while the texts are parsed. */
  if (!rx->stale && !self->applying)
    {
      self->applying = TRUE;
      rx->claimed = TRUE;
      vcr_replicator_publish (self);
      rx->stamp = vcr_backend_get_stamp (vcr_daemon_get_backend (self->daemon));
      /* The config this replica wrote last is still cached when the file
       * has not changed since: no need to read it again. */
      rx->running = vcr_daemon_take_running (self->daemon, rx->stamp, &rx->running_digests);
      if (rx->running != NULL)
        {
          if (cached_running_matches (rx))
            {
              receive_phase (rx, "found unchanged in the cached running config");
              finish_unchanged (rx);
              return;
            }
          /* The cache holds the rest of the running config, without the
           * old subtrees: the snapshot's go in there. (No old subtrees for
           * an undo either: the file backend, the one that caches, undoes
           * byte for byte.) */
          rx->applied = g_steal_pointer (&rx->running);
          rx->splice = TRUE;
          g_clear_pointer (&rx->running_digests, g_hash_table_unref);
          receive_phase (rx, "running config taken from the cache");
        }
      else
        {
          rx->waiting++;
          vcr_replicator_read_running (self, running_read, rx);
        }
    }
  rx->waiting++;
  task = g_task_new (NULL, NULL, parse_done, rx);
  g_task_set_task_data (task, rx, NULL);
  g_task_run_in_thread (task, parse_thread);
}
