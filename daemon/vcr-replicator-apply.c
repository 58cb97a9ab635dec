/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A replica writing a snapshot it decided to take (vcr-replicator-receive.c
 * decides), in an order that a crash at any instant cannot make lie:
 *
 *  1. side by side: the intent record saved (state.json, synced), the new
 *     reference copies written to a folder of their own and, when an
 *     --apply-command must succeed and the backend cannot undo by itself,
 *     the old subtrees kept on disk;
 *  2. the config through the backend (the file backend first keeps the old
 *     file in the undo file, synced);
 *  3. the --apply-command (vcr-apply-command.c); a failure undoes 2;
 *  4. the record: the new reference folder, the applied generation and the
 *     intent cleared, in one write of state.json, and only once that is on
 *     disk the answer 200. A write that fails is answered 422 and shows in
 *     State; what is in memory (the reference CheckCommit judges against)
 *     is what the config holds, and the writer retries.
 *
 * The whole receive is bounded (VCR_REPLICATOR_APPLY_BOUND_S); past it the
 * cancellable ends the command and a write not yet renamed, a write done
 * is undone, and 422 is answered. After a crash, start-up finishes or
 * undoes what the intent record names (vcr-replicator-recover.c).
 * Everything uses the settings the receive started with (rx->settings).
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-apply-command.h"
#include "vcr-fileutil.h"
#include "vcr-replicator-private.h"

gboolean
vcr_receive_has_apply_command (Receive *rx)
{
  return rx->self->apply_command != NULL;
}

/* An intent record whose command has not succeeded: the config may hold a
 * snapshot that was never completed, so an identical snapshot must be
 * applied (its command run), never answered "unchanged". */
gboolean
vcr_receive_must_apply (Receive *rx)
{
  const VcrIntent *intent = vcr_state_get_intent (rx->self->store);

  return intent != NULL && intent->command && vcr_receive_has_apply_command (rx);
}

gboolean
vcr_receive_out_of_time (Receive *rx)
{
  return rx->cancellable != NULL && g_cancellable_is_cancelled (rx->cancellable);
}

static char *
out_of_time_reason (Receive *rx)
{
  return g_strdup_printf ("the apply took longer than %u s", rx->self->apply_bound);
}

/* The primary answered (or took) a snapshot of the settings in force: it
 * is in sync. Not for a receive a reload overtook: the peer record is the
 * new settings'. */
static void
primary_succeeded (Receive *rx)
{
  VcrReplicator *self = rx->self;

  if (vcr_replicator_is_current (self, rx->settings) && self->peers->len > 0)
    vcr_replicator_peer_succeeded (self, g_ptr_array_index (self->peers, 0));
}

void
vcr_receive_failed (Receive *rx, const char *reason)
{
  g_autofree char *message = g_strdup_printf ("apply failed: %s", reason);

  rx->self->applying = FALSE;
  g_warning ("Snapshot generation %" G_GUINT64_FORMAT " not applied: %s",
             rx->snapshot->generation, reason);
  vcr_replicator_add_event (rx->self, rx->settings, "apply", rx->snapshot->origin,
                            rx->snapshot->generation, message);
  vcr_replicator_publish (rx->self);
  vcr_receive_finish (rx, 422, "apply-failed", message, FALSE);
}

/* The config was not changed, or is back as it was: the intent goes, in
 * the next write (nothing waits for it: a crash before it only makes
 * start-up find the config without the snapshot and drop the record). */
static void
drop_intent (Receive *rx)
{
  vcr_state_set_intent (rx->self->store, NULL);
  vcr_state_save (rx->self->store, NULL);
}

static void
abandon (Receive *rx, const char *reason)
{
  drop_intent (rx);
  vcr_receive_failed (rx, reason);
}

/* ---- 4. The record ----------------------------------------------------- */

static void
record_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  VcrReplicator *self = rx->self;
  g_autoptr(GError) error = NULL;
  gboolean saved = vcr_state_save_finish (VCR_STATE (source), result, &error);

  vcr_receive_phase (rx, "recorded");
  /* What was written is the running config now, recorded or not: the
   * next snapshot (and CheckCommit) need not read the file again while it
   * stays so. */
  if (rx->written_stamp != NULL)
    vcr_running_put (self->running, rx->settings, g_steal_pointer (&rx->applied),
                     g_steal_pointer (&rx->written_stamp),
                     vcr_replicator_digest_table (rx->snapshot));
  if (!saved)
    {
      g_autofree char *reason = g_strdup_printf ("the config holds it, but the state "
                                                 "cannot be saved: %s", error->message);
      vcr_receive_failed (rx, reason);
      return;
    }
  self->applying = FALSE;
  g_message ("Applied generation %" G_GUINT64_FORMAT " from %s",
             rx->snapshot->generation, rx->snapshot->origin);
  vcr_replicator_emit_snapshot_applied (self, rx->snapshot->generation, rx->settings,
                                        rx->snapshot->origin);
  vcr_replicator_add_event (self, rx->settings, "apply", rx->snapshot->origin,
                            rx->snapshot->generation, "ok");
  primary_succeeded (rx);
  vcr_receive_finish (rx, 200, NULL, NULL, TRUE);
}

/* The snapshot is the reference, the applied generation and no longer an
 * intent, all at once in memory (what CheckCommit and the next receive
 * see) and in one write of state.json, waited for. */
static void
record (Receive *rx)
{
  VcrState *store = rx->self->store;

  /* the reference takes over from the pending one here */
  vcr_running_set_pending (rx->self->running, NULL);
  vcr_state_commit_references (store, rx->references);
  vcr_state_set_applied (store, rx->snapshot->epoch, rx->snapshot->generation);
  vcr_state_set_intent (store, NULL);
  vcr_state_save_async (store, record_saved, rx);
}

/* ---- 3. The command, and the undo -------------------------------------- */

static void
restore_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;

  if (!vcr_backend_apply_finish (VCR_BACKEND (source), result, NULL, &error))
    {
      g_autofree char *both = g_strdup_printf ("%s; restoring the old config failed too: %s",
                                               rx->undo_reason, error->message);
      /* The intent stays: the config may hold the snapshot, and its
       * command did not succeed. */
      vcr_receive_failed (rx, both);
      return;
    }
  abandon (rx, rx->undo_reason);
}

/* The backend could not undo by itself (the vyos backend): applies the
 * old subtrees instead, which gives back an equal tree. */
static void
undo_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  VcrBackend *backend = VCR_BACKEND (source);
  g_autoptr(GError) error = NULL;

  if (vcr_backend_undo_finish (backend, result, &error))
    {
      abandon (rx, rx->undo_reason);
      return;
    }
  if (rx->old == NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s; the old config cannot be put back: %s",
                                               rx->undo_reason, error->message);
      vcr_receive_failed (rx, both);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    g_warning ("Cannot undo the apply: %s; applying the old subtrees", error->message);
  vcr_backend_apply_async (backend, rx->old, rx->settings->paths, rx->settings->excludes,
                           NULL, FALSE, NULL,
                           restore_done, rx);
}

/* Puts the old config back. SPEC §7: "the old config stays", so the file
 * backend restores the very bytes it replaced (a canonical re-rendering of
 * the old tree would drop comments and layout the operator had), unless
 * the file changed meanwhile outside the replicated subtrees: then only
 * those go back (vcr-backend.h). */
static void
undo (Receive *rx, const char *reason)
{
  rx->undo_reason = g_strdup (reason);
  vcr_backend_undo_async (rx->self->backend, NULL, undo_done, rx);
}

static void
apply_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;

  vcr_receive_phase (rx, "apply command run");
  if (!vcr_apply_command_run_finish (result, &error))
    {
      g_autofree char *reason = vcr_receive_out_of_time (rx) ? out_of_time_reason (rx) : NULL;
      undo (rx, reason != NULL ? reason : error->message);
    }
  else
    record (rx);
}

/* ---- 2. The config ----------------------------------------------------- */

static void
backend_apply_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *late = NULL;

  if (!vcr_backend_apply_finish (VCR_BACKEND (source), result, &rx->written_stamp, &error))
    {
      late = vcr_receive_out_of_time (rx) ? out_of_time_reason (rx) : NULL;
      abandon (rx, late != NULL ? late : error->message);
      return;
    }
  rx->written = TRUE;
  vcr_receive_phase (rx, "written");
  if (vcr_receive_out_of_time (rx))
    {
      late = out_of_time_reason (rx);
      if (vcr_receive_has_apply_command (rx))
        undo (rx, late);
      else
        record (rx);   /* complete as it is: nothing is left to fail */
    }
  else if (vcr_receive_has_apply_command (rx))
    vcr_apply_command_run_async (rx->self->apply_command, rx->self->config_path,
                                 rx->snapshot->generation, rx->self->apply_timeout,
                                 rx->cancellable, apply_command_done, rx);
  else
    record (rx);
}

/* ---- 1. What must be on disk before the config changes ----------------- */

static void
prepared (Receive *rx)
{
  VcrReplicator *self = rx->self;
  gboolean command = vcr_receive_has_apply_command (rx);

  if (--rx->preparing > 0)
    return;
  if (rx->prepare_error != NULL || vcr_receive_out_of_time (rx))
    {
      g_autofree char *reason = rx->prepare_error != NULL
                                  ? g_strdup (rx->prepare_error->message)
                                  : out_of_time_reason (rx);
      abandon (rx, reason);
      return;
    }
  vcr_receive_phase (rx, "intent recorded");
  vcr_backend_set_undo_file (self->backend,
                             command && vcr_backend_can_undo (self->backend) ? rx->undo_file
                                                                            : NULL);
  vcr_backend_apply_async (self->backend, rx->applied, rx->settings->paths,
                           rx->settings->excludes, rx->stamp,
                           command, rx->cancellable, backend_apply_done, rx);
}

static void
keep_error (Receive *rx, GError *error)
{
  if (rx->prepare_error == NULL)
    rx->prepare_error = error;
  else
    g_error_free (error);
}

static void
intent_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  GError *error = NULL;

  if (!vcr_state_save_finish (VCR_STATE (source), result, &error))
    {
      g_prefix_error (&error, "cannot save the state before the apply: ");
      keep_error (rx, error);
    }
  prepared (rx);
}

static void
prepare_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Receive *rx = task_data;
  GError *error = NULL;

  if (!vcr_reference_update_write (rx->references, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* A backend that cannot undo by itself gets the old subtrees back
   * through an apply; after a crash they come from this file. */
  if (rx->old != NULL && rx->undo_file != NULL && !vcr_backend_can_undo (rx->self->backend))
    {
      gsize length = 0;
      g_autofree char *text = vcr_tree_to_file_contents (rx->old, &length);

      if (!vcr_file_write_atomic (rx->undo_file, text, length, 0600, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

static void
prepare_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    keep_error (rx, error);
  prepared (rx);
}

/* Writes the new config: the intent record, the reference copies and the
 * undo material first, then the backend (see the top of the file). */
void
vcr_receive_write (Receive *rx)
{
  VcrState *store = rx->self->store;
  gboolean command = vcr_receive_has_apply_command (rx);
  g_autofree char *undo_name = command ? vcr_state_new_undo_name (store, rx->snapshot->generation)
                                       : NULL;
  g_autoptr(GHashTable) digests = vcr_replicator_digest_table (rx->snapshot);
  g_autoptr(GTask) task = g_task_new (NULL, NULL, prepare_done, rx);

  if (undo_name != NULL)
    rx->undo_file = vcr_state_get_undo_path (store, undo_name);
  vcr_state_set_intent (store, vcr_intent_new (rx->snapshot->epoch, rx->snapshot->generation,
                                               digests, command, undo_name));
  rx->references = vcr_state_prepare_references (store, rx->snapshot);
  rx->preparing = 2;
  vcr_state_save_async (store, intent_saved, rx);
  g_task_set_task_data (task, rx, NULL);
  g_task_run_in_thread (task, prepare_thread);
}

/* ---- Nothing differs --------------------------------------------------- */

static void
unchanged_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;

  if (!vcr_state_save_finish (VCR_STATE (source), result, &error))
    {
      g_autofree char *reason = g_strdup_printf ("the config holds it, but the state cannot "
                                                 "be saved: %s", error->message);
      vcr_receive_failed (rx, reason);
      return;
    }
  rx->self->applying = FALSE;
  primary_succeeded (rx);
  vcr_receive_finish (rx, 200, NULL, NULL, FALSE);
}

/* The copies in place (when any differed): recorded and saved. */
static void
unchanged_record (Receive *rx)
{
  VcrState *store = rx->self->store;

  vcr_state_commit_references (store, rx->references);
  vcr_state_set_applied (store, rx->snapshot->epoch, rx->snapshot->generation);
  /* A record start-up could not finish names this snapshot: it is done. */
  if (vcr_state_get_intent (store) != NULL)
    vcr_state_set_intent (store, NULL);
  vcr_state_save_async (store, unchanged_saved, rx);
}

static void
unchanged_copies_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *reason = g_strdup_printf ("the config holds it, but the reference "
                                                 "cannot be saved: %s", error->message);
      vcr_receive_failed (rx, reason);
      return;
    }
  unchanged_record (rx);
}

/* Nothing differs: nothing is written to the config, but the snapshot is
 * recorded as applied (the reference may lag: a restart between the write
 * and the record, or a drifted copy repaired by hand), and answered only
 * once that is on disk. */
void
vcr_receive_unchanged (Receive *rx)
{
  rx->references = vcr_state_prepare_references (rx->self->store, rx->snapshot);
  vcr_reference_update_write_async (rx->references, unchanged_copies_done, rx);
}
