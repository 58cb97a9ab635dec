/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A replica writing a snapshot it decided to take (vcr-replicator-receive.c
 * decides): the config through the backend while a worker writes the new
 * reference copies, the --apply-command (vcr-apply-command.c) and, when it
 * fails, the undo; then the record of the new reference and the answer.
 * Everything uses the settings the receive started with (rx->settings),
 * whatever a reload did meanwhile: the backend writes exactly the
 * replicate paths the snapshot was checked against.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-apply-command.h"
#include "vcr-replicator-private.h"

gboolean
vcr_receive_has_apply_command (Receive *rx)
{
  return rx->self->apply_command != NULL;
}

/* Records @snapshot as applied: reference copies (already written to
 * temporary files when @references is given) and the applied epoch and
 * generation, saved before the answer goes out. */
static gboolean
record_applied (VcrReplicator *self, const VcrSnapshot *snapshot,
                VcrReferenceUpdate *references, GError **error)
{
  /* the reference takes over from the pending one here */
  vcr_running_set_pending (self->running, NULL);
  if (references != NULL)
    vcr_state_commit_references (self->store, references);
  else
    {
      g_autoptr(VcrReferenceUpdate) update = vcr_state_prepare_references (self->store, snapshot);

      if (!vcr_reference_update_write (update, error))
        return FALSE;
      vcr_state_commit_references (self->store, update);
    }
  vcr_state_set_applied (self->store, snapshot->epoch, snapshot->generation);
  return vcr_state_save (self->store, error);
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

static void
applied_successfully (Receive *rx)
{
  VcrReplicator *self = rx->self;
  g_autoptr(GError) error = NULL;

  if (rx->reference_error != NULL)
    g_warning ("Applied, but cannot record it: %s", rx->reference_error->message);
  else if (!record_applied (self, rx->snapshot, rx->references, &error))
    g_warning ("Applied, but cannot record it: %s", error->message);
  vcr_receive_phase (rx, "recorded");
  /* What was written is the running config now: the next snapshot (and
   * CheckCommit) need not read the file again while it stays so. */
  if (rx->written_stamp != NULL)
    vcr_running_put (self->running, rx->settings, g_steal_pointer (&rx->applied),
                     g_steal_pointer (&rx->written_stamp),
                     vcr_replicator_digest_table (rx->snapshot));
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

static void
restore_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;

  if (!vcr_backend_apply_finish (VCR_BACKEND (source), result, NULL, &error))
    {
      g_autofree char *both = g_strdup_printf ("%s; restoring the old config failed too: %s",
                                               rx->undo_reason, error->message);
      vcr_receive_failed (rx, both);
      return;
    }
  vcr_receive_failed (rx, rx->undo_reason);
}

/* The backend could not undo byte for byte (the vyos backend): applies the
 * old subtrees instead, which gives back an equal tree. */
static void
undo_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  VcrBackend *backend = VCR_BACKEND (source);
  g_autoptr(GError) error = NULL;

  if (vcr_backend_undo_finish (backend, result, &error))
    {
      vcr_receive_failed (rx, rx->undo_reason);
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
  vcr_backend_apply_async (backend, rx->old, rx->settings->paths, NULL, FALSE, NULL,
                           restore_done, rx);
}

/* The --apply-command failed: puts the old config back. SPEC §7: "the old
 * config stays", so the file backend restores the very bytes it replaced
 * (a canonical re-rendering of the old tree would drop comments and
 * layout the operator had). */
static void
restore_old (Receive *rx, const char *reason)
{
  rx->undo_reason = g_strdup (reason);
  vcr_backend_undo_async (rx->self->backend, NULL, undo_done, rx);
}

static void
apply_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  g_autoptr(GError) error = NULL;

  if (!vcr_apply_command_run_finish (result, &error))
    restore_old (rx, error->message);
  else
    applied_successfully (rx);
}

/* The config is applied and the reference copies are written, or one of
 * them failed: on to the --apply-command, or to the answer. */
static void
write_done (Receive *rx)
{
  if (--rx->writing > 0)
    return;
  if (rx->apply_error != NULL)
    {
      vcr_receive_failed (rx, rx->apply_error->message);
      return;
    }
  vcr_receive_phase (rx, "written");
  if (vcr_receive_has_apply_command (rx))
    vcr_apply_command_run_async (rx->self->apply_command, rx->self->config_path,
                                 rx->snapshot->generation, rx->self->apply_timeout, NULL,
                                 apply_command_done, rx);
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
void
vcr_receive_write (Receive *rx)
{
  VcrReplicator *self = rx->self;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, references_written, rx);

  rx->references = vcr_state_prepare_references (self->store, rx->snapshot);
  rx->writing = 2;
  g_task_set_task_data (task, rx->references, NULL);
  g_task_run_in_thread (task, references_thread);
  vcr_backend_apply_async (self->backend, rx->applied, rx->settings->paths, rx->stamp,
                           vcr_receive_has_apply_command (rx), NULL, backend_apply_done, rx);
}

/* Nothing differs: answered "unchanged", nothing written. */
void
vcr_receive_unchanged (Receive *rx)
{
  VcrReplicator *self = rx->self;
  g_autoptr(GError) record_error = NULL;

  /* The reference may still lag (a restart between the write and the
   * record), so record it. */
  self->applying = FALSE;
  if (!record_applied (self, rx->snapshot, NULL, &record_error))
    g_warning ("Cannot record the snapshot: %s, ignoring", record_error->message);
  primary_succeeded (rx);
  vcr_receive_finish (rx, 200, NULL, NULL, FALSE);
}
