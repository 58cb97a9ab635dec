/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A replica's pull (at start, on demand, retried with backoff) and the
 * digest comparison with every peer: the Verify method and the periodic
 * check that resyncs what differs.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-mask.h"
#include "vcr-replicator-private.h"

/* ---- Pull (replica) --------------------------------------------------- */

static gboolean
pull_retry_cb (gpointer user_data)
{
  VcrReplicator *self = user_data;

  self->pull_retry_source = 0;
  if (!self->pulling && self->settings->mode == VCR_MODE_REPLICA)
    vcr_replicator_pull_run (self);
  return G_SOURCE_REMOVE;
}

/* Ends the running Pull for every waiter; a failure is retried in the
 * background with backoff until the replica has the primary's snapshot. */
static void
pull_finish (VcrReplicator *self, gboolean ok, gboolean changed, guint64 generation,
             const char *message)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->pull_waiters);

  self->pull_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->pulling = FALSE;
  vcr_replicator_emit_pull_finished (self, ok, generation, message);
  vcr_replicator_add_event (self, self->settings, "pull", "primary", generation,
                            ok ? "ok" : message);
  if (ok)
    {
      self->have_primary_snapshot = TRUE;
      self->pull_attempt = 0;
    }
  else if (self->peers->len > 0)
    {
      Peer *primary = g_ptr_array_index (self->peers, 0);
      guint delay = vcr_replicator_backoff_ms (self->pull_attempt++);
      primary->busy = FALSE;
      vcr_replicator_peer_set_state (self, primary, "error", message);
      g_warning ("Pull from the primary failed: %s; retrying in %u ms", message, delay);
      g_clear_handle_id (&self->pull_retry_source, g_source_remove);
      self->pull_retry_source = g_timeout_add (delay, pull_retry_cb, self);
    }
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);
      if (ok)
        {
          g_task_set_task_data (task, g_memdup2 (&generation, sizeof generation), g_free);
          g_task_return_boolean (task, changed);
        }
      else
        g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_PEER_FAILED, "%s", message);
    }
  vcr_replicator_publish (self);
}

/* One pull, for the settings in force when it started. */
typedef struct {
  VcrReplicator *self;
  VcrSettings *settings;
} PullCall;

static void
pull_call_free (PullCall *call)
{
  vcr_settings_unref (call->settings);
  g_object_unref (call->self);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PullCall, pull_call_free)

static void
pull_received (VcrReplicator *self, guint status, const char *code, const char *message,
               gboolean applied, guint64 generation, gpointer data)
{
  g_autoptr(PullCall) call = data;

  /* A reload during the apply answered this pull's callers and started a
   * pull of its own: this one's outcome is not that pull's. */
  if (!vcr_replicator_is_current (self, call->settings))
    return;
  if (status == 200)
    pull_finish (self, TRUE, applied, generation, applied ? "applied" : "unchanged");
  else
    {
      g_autofree char *text = g_strdup_printf ("%s: %s", code, message);
      pull_finish (self, FALSE, FALSE, generation, text);
    }
}

static void
pull_got (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PullCall) call = user_data;
  VcrReplicator *self = call->self;
  g_autoptr(GError) error = NULL;
  VcrSnapshot *snapshot = vcr_peer_client_get_snapshot_finish (VCR_PEER_CLIENT (source),
                                                               result, &error);

  if (!vcr_replicator_is_current (self, call->settings))
    {
      /* superseded by a reload (its request cancelled with the peer) */
      g_clear_pointer (&snapshot, vcr_snapshot_free);
      return;
    }
  if (self->peers->len > 0)
    ((Peer *) g_ptr_array_index (self->peers, 0))->busy = FALSE;
  if (snapshot == NULL)
    {
      pull_finish (self, FALSE, FALSE, 0, error->message);
      return;
    }
  vcr_replicator_receive_snapshot (self, snapshot, pull_received, g_steal_pointer (&call));
}

void
vcr_replicator_pull_run (VcrReplicator *self)
{
  Peer *primary;
  PullCall *call;

  if (self->peers->len == 0)
    return;
  primary = g_ptr_array_index (self->peers, 0);
  g_clear_handle_id (&self->pull_retry_source, g_source_remove);
  self->pulling = TRUE;
  vcr_replicator_peer_set_state (self, primary, "syncing", NULL);
  call = g_new0 (PullCall, 1);
  call->self = g_object_ref (self);
  call->settings = vcr_settings_ref (self->settings);
  vcr_peer_client_get_snapshot_async (self->client, primary->host, primary->port,
                                      vcr_replicator_peer_begin (primary), pull_got, call);
}

void
vcr_replicator_pull_async (VcrReplicator *self, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_ptr_array_add (self->pull_waiters, g_task_new (self, NULL, callback, user_data));
  if (!self->pulling)   /* else it joins the pull that runs */
    vcr_replicator_pull_run (self);
}

gboolean
vcr_replicator_pull_finish (VcrReplicator *self, GAsyncResult *result,
                            gboolean *changed, guint64 *generation, GError **error)
{
  GTask *task = G_TASK (result);
  GError *e = NULL;
  gboolean value = g_task_propagate_boolean (task, &e);
  guint64 *gen = g_task_get_task_data (task);

  if (e != NULL)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  *changed = value;
  *generation = gen != NULL ? *gen : 0;
  return TRUE;
}

/* ---- Verify (both) ---------------------------------------------------- */

/* One round of digest comparison with every peer: for the Verify method
 * (@task set) or the periodic check, which resyncs what differs. It works
 * on the settings and peers in force when it started. */
typedef struct {
  VcrReplicator *self;
  VcrSettings *settings;
  GPtrArray *peers;         /* of Peer* (referenced) */
  GTask *task;              /* nullable */
  GHashTable *own;          /* path → digest of the running config */
  GHashTable *remote;       /* peer name → VcrDigests* (absent: unreachable) */
  guint outstanding;
} VerifyCall;

static void
verify_call_free (VerifyCall *call)
{
  g_clear_object (&call->task);
  g_clear_pointer (&call->own, g_hash_table_unref);
  g_clear_pointer (&call->remote, g_hash_table_unref);
  g_ptr_array_unref (call->peers);
  vcr_settings_unref (call->settings);
  g_object_unref (call->self);
  g_free (call);
}

static GPtrArray *
verify_results (VerifyCall *call)
{
  char **paths = call->settings->path_strings;
  GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_verify_result_free);

  for (guint i = 0; i < call->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (call->peers, i);
      VcrDigests *d = g_hash_table_lookup (call->remote, peer->name);

      for (guint j = 0; paths[j] != NULL; j++)
        {
          const char *path = paths[j];
          const VcrSnapshotEntry *e = d != NULL ? vcr_digests_lookup (d, path) : NULL;
          VcrVerifyResult *r = g_new0 (VcrVerifyResult, 1);

          r->peer = g_strdup (peer->name);
          r->replicate_path = g_strdup (path);
          r->in_sync = e != NULL && g_strcmp0 (e->digest, g_hash_table_lookup (call->own, path)) == 0;
          g_ptr_array_add (results, r);
        }
    }
  return results;
}

/* The periodic check acts on what it found: a primary resends, a replica
 * pulls. */
static void
verify_resync (VerifyCall *call)
{
  VcrReplicator *self = call->self;
  g_autoptr(GPtrArray) results = verify_results (call);
  gboolean all_in_sync = TRUE;

  if (!vcr_replicator_is_current (self, call->settings))
    return;   /* the new settings' start checks for itself */
  for (guint i = 0; i < results->len; i++)
    all_in_sync &= ((VcrVerifyResult *) g_ptr_array_index (results, i))->in_sync;
  if (call->settings->mode == VCR_MODE_PRIMARY && self->snapshot != NULL)
    vcr_replicator_resync_replicas (self, call->remote);
  else if (call->settings->mode == VCR_MODE_REPLICA && !all_in_sync &&
           g_hash_table_size (call->remote) > 0 && !self->pulling)
    {
      g_message ("The replicated paths differ from the primary's; pulling");
      vcr_replicator_pull_run (self);
    }
}

typedef struct {
  VerifyCall *call;
  Peer *peer;
} VerifyRequest;

static void
verify_got (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree VerifyRequest *request = user_data;
  VerifyCall *call = request->call;
  g_autoptr(Peer) peer = request->peer;
  g_autoptr(GError) error = NULL;
  VcrDigests *digests = vcr_peer_client_get_digests_finish (VCR_PEER_CLIENT (source),
                                                            result, &error);

  if (digests != NULL)
    g_hash_table_insert (call->remote, g_strdup (peer->name), digests);
  else
    g_message ("Cannot verify with %s: %s", peer->name, error->message);
  if (--call->outstanding > 0)
    return;
  if (call->task != NULL)
    g_task_return_pointer (call->task, verify_results (call),
                           (GDestroyNotify) g_ptr_array_unref);
  else
    verify_resync (call);
  verify_call_free (call);
}

static void
verify_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  VerifyCall *call = data;
  VcrSettings *settings = call->settings;

  if (!vcr_replicator_is_current (self, settings))
    {
      /* A reload came during the read: like a Push or Pull, a Verify for
       * settings that are gone is answered with an error. */
      if (call->task != NULL)
        g_task_return_new_error (call->task, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                                 "cancelled: the settings changed");
      verify_call_free (call);
      return;
    }
  if (tree == NULL || settings->mode == VCR_MODE_DISABLED || call->peers->len == 0)
    {
      if (call->task != NULL && tree == NULL)
        g_task_return_new_error (call->task, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                                 "Cannot read the running config: %s", error->message);
      else if (call->task != NULL)
        g_task_return_new_error (call->task, VCR_ERROR, VCR_ERROR_NOT_CONFIGURED,
                                 "config replication is not configured");
      verify_call_free (call);
      return;
    }
  if (settings->mode == VCR_MODE_PRIMARY)
    {
      /* Compare with what the replicas should have now: the snapshot's
       * digests are the running config's. */
      VcrSnapshot *snapshot = vcr_replicator_build_snapshot (self, settings, tree);

      call->own = vcr_replicator_digest_table (snapshot);
      vcr_replicator_set_snapshot (self, snapshot);
    }
  else
    call->own = vcr_mask_path_digests (tree, settings, NULL);
  call->outstanding = call->peers->len;
  for (guint i = 0; i < call->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (call->peers, i);
      VerifyRequest *request = g_new0 (VerifyRequest, 1);

      request->call = call;
      request->peer = vcr_replicator_peer_ref (peer);
      vcr_peer_client_get_digests_async (self->client, peer->host, peer->port, NULL,
                                         verify_got, request);
    }
}

static void
verify_start (VcrReplicator *self, GTask *task)
{
  VerifyCall *call = g_new0 (VerifyCall, 1);

  call->self = g_object_ref (self);
  call->settings = vcr_settings_ref (self->settings);
  call->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_replicator_peer_unref);
  for (guint i = 0; i < self->peers->len; i++)
    g_ptr_array_add (call->peers, vcr_replicator_peer_ref (g_ptr_array_index (self->peers, i)));
  call->task = task;
  call->remote = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) vcr_digests_free);
  vcr_replicator_read_running (self, verify_read_done, call);
}

void
vcr_replicator_verify_async (VcrReplicator *self, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  verify_start (self, g_task_new (self, NULL, callback, user_data));
}

GPtrArray *
vcr_replicator_verify_finish (VcrReplicator *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
vcr_replicator_verify_tick (gpointer user_data)
{
  VcrReplicator *self = user_data;

  if (!self->applying)
    verify_start (self, NULL);
  return G_SOURCE_CONTINUE;
}
