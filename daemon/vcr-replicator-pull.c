/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A replica's pull (at start, on demand, retried with backoff) and the
 * digest comparison with every peer. Pull callers share a pull only while
 * it has not sent its GET yet; later ones wait for one follow-up pull
 * (vcr-join.h), since the primary may have read its config before their
 * call. The digests: the Verify method (joined and its
 * answer reused for a few seconds: anyone may call it) and the periodic
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
  if (self->settings->mode == VCR_MODE_REPLICA)
    vcr_replicator_pull_run (self);
  return G_SOURCE_REMOVE;
}

static void pull_schedule (VcrReplicator *self);

/* Ends the running pull for every caller of it; a failure is retried in
 * the background with backoff until the replica has the primary's
 * snapshot, unless callers came meanwhile: their follow-up pull is due. */
static void
pull_finish (VcrReplicator *self, gboolean ok, gboolean changed, guint64 generation,
             const char *message)
{
  gboolean follow_up = FALSE;
  g_autoptr(GPtrArray) waiters = vcr_join_end (&self->pull_join, &follow_up);

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
  if (follow_up)
    pull_schedule (self);
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

/* Sends the GET of the run that has begun. */
static void
pull_send (VcrReplicator *self)
{
  Peer *primary;
  PullCall *call;

  if (self->peers->len == 0)
    {
      pull_finish (self, FALSE, FALSE, 0, "no primary configured");
      return;
    }
  primary = g_ptr_array_index (self->peers, 0);
  g_clear_handle_id (&self->pull_retry_source, g_source_remove);
  vcr_replicator_peer_set_state (self, primary, "syncing", NULL);
  call = g_new0 (PullCall, 1);
  call->self = g_object_ref (self);
  call->settings = vcr_settings_ref (self->settings);
  vcr_peer_client_get_snapshot_async (self->client, primary->host, primary->port,
                                      vcr_replicator_peer_begin (primary), pull_got, call);
}

/* The pull that is due sends its GET now: from here on, callers wait for
 * the follow-up. */
static gboolean
pull_begin (gpointer user_data)
{
  VcrReplicator *self = user_data;

  self->pull_start_source = 0;
  vcr_join_begin (&self->pull_join);
  pull_send (self);
  return G_SOURCE_REMOVE;
}

/* As a push (vcr-replicator-push.c push_schedule()). */
static void
pull_schedule (VcrReplicator *self)
{
  if (self->pull_start_source == 0)
    self->pull_start_source = g_idle_add_full (G_PRIORITY_DEFAULT, pull_begin, self, NULL);
}

/* A pull of the replicator's own (at start, a retry, a verification that
 * found a difference), unless one is due or runs already. */
void
vcr_replicator_pull_run (VcrReplicator *self)
{
  if (vcr_join_is_busy (&self->pull_join))
    return;
  vcr_join_begin (&self->pull_join);
  pull_send (self);
}

/* The settings changed (or the replicator stops): every caller, of the
 * running pull and of the follow-up, gets @error. */
void
vcr_replicator_pull_stop (VcrReplicator *self, const GError *error)
{
  g_autoptr(GPtrArray) waiters = vcr_join_take_all (&self->pull_join);

  g_clear_handle_id (&self->pull_start_source, g_source_remove);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
  self->pull_attempt = 0;
}

void
vcr_replicator_pull_async (VcrReplicator *self, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  switch (vcr_join_add (&self->pull_join, task))
    {
    case VCR_JOIN_START:
      pull_schedule (self);
      vcr_replicator_publish (self);   /* State: syncing */
      break;
    case VCR_JOIN_JOINED:
      g_debug ("Pull: joins the pull that has not asked the primary yet");
      break;
    case VCR_JOIN_QUEUED:
    default:
      g_debug ("Pull: waits for the follow-up of the pull that runs");
      break;
    }
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

/* One round of digest comparison with every peer: for Verify callers
 * (@for_callers: @tasks, which more may join) or the periodic check,
 * which resyncs what differs. It works on the settings and peers in
 * force when it started. */
typedef struct {
  VcrReplicator *self;
  VcrSettings *settings;
  GPtrArray *peers;         /* of Peer* (referenced) */
  gboolean for_callers;
  GPtrArray *tasks;         /* of GTask*: the callers waiting for it */
  guint epoch;              /* self->verify_epoch when it started */
  GHashTable *own;          /* path → digest of the running config */
  GHashTable *own_by_peer;  /* primary: replica name → its own table, for
                             * the replicas with overrides */
  GHashTable *remote;       /* peer name → VcrDigests* (absent: unreachable) */
  guint outstanding;
} VerifyCall;

static void
verify_call_free (VerifyCall *call)
{
  if (call->self->verify_running == call)
    call->self->verify_running = NULL;
  g_ptr_array_unref (call->tasks);
  g_clear_pointer (&call->own, g_hash_table_unref);
  g_clear_pointer (&call->own_by_peer, g_hash_table_unref);
  g_clear_pointer (&call->remote, g_hash_table_unref);
  g_ptr_array_unref (call->peers);
  vcr_settings_unref (call->settings);
  g_object_unref (call->self);
  g_free (call);
}

/* Whatever changes a Verify's answer happened: no round running now may
 * be joined, no answer reused. */
void
vcr_replicator_verify_forget (VcrReplicator *self)
{
  self->verify_epoch++;
  self->verify_running = NULL;
  g_clear_pointer (&self->verify_cache, g_ptr_array_unref);
}

static GPtrArray *
copy_results (GPtrArray *results)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_verify_result_free);

  for (guint i = 0; i < results->len; i++)
    {
      const VcrVerifyResult *r = g_ptr_array_index (results, i);
      VcrVerifyResult *c = g_new0 (VcrVerifyResult, 1);

      c->peer = g_strdup (r->peer);
      c->replicate_path = g_strdup (r->replicate_path);
      c->in_sync = r->in_sync;
      g_ptr_array_add (copy, c);
    }
  return copy;
}

static void
verify_fail (VerifyCall *call, VcrError code, const char *message)
{
  for (guint i = 0; i < call->tasks->len; i++)
    g_task_return_new_error (g_ptr_array_index (call->tasks, i), VCR_ERROR, code, "%s", message);
  g_ptr_array_set_size (call->tasks, 0);
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
      GHashTable *own = call->own_by_peer != NULL
                          ? g_hash_table_lookup (call->own_by_peer, peer->name) : NULL;

      for (guint j = 0; paths[j] != NULL; j++)
        {
          const char *path = paths[j];
          const VcrSnapshotEntry *e = d != NULL ? vcr_digests_lookup (d, path) : NULL;
          VcrVerifyResult *r = g_new0 (VcrVerifyResult, 1);

          r->peer = g_strdup (peer->name);
          r->replicate_path = g_strdup (path);
          r->in_sync = e != NULL &&
                       g_strcmp0 (e->digest, g_hash_table_lookup (own != NULL ? own : call->own,
                                                                  path)) == 0;
          g_ptr_array_add (results, r);
        }
    }
  return results;
}

/* The callers' round ended: each of them gets the answer, which is kept
 * for the next callers unless it is stale already. */
static void
verify_answer (VerifyCall *call)
{
  VcrReplicator *self = call->self;
  g_autoptr(GPtrArray) results = verify_results (call);

  for (guint i = 0; i < call->tasks->len; i++)
    g_task_return_pointer (g_ptr_array_index (call->tasks, i), copy_results (results),
                           (GDestroyNotify) g_ptr_array_unref);
  g_ptr_array_set_size (call->tasks, 0);
  if (call->epoch == self->verify_epoch && vcr_replicator_is_current (self, call->settings))
    {
      g_clear_pointer (&self->verify_cache, g_ptr_array_unref);
      self->verify_cache = g_steal_pointer (&results);
      self->verify_cached_at = g_get_monotonic_time ();
    }
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
           g_hash_table_size (call->remote) > 0 && !vcr_join_is_busy (&self->pull_join))
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
  if (call->for_callers)
    verify_answer (call);
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
      verify_fail (call, VCR_ERROR_PEER_FAILED, "cancelled: the settings changed");
      verify_call_free (call);
      return;
    }
  if (tree == NULL || settings->mode == VCR_MODE_DISABLED || call->peers->len == 0)
    {
      g_autofree char *message = NULL;

      if (tree == NULL)
        {
          message = g_strdup_printf ("Cannot read the running config: %s", error->message);
          verify_fail (call, VCR_ERROR_INVALID_CONFIG, message);
        }
      else
        verify_fail (call, VCR_ERROR_NOT_CONFIGURED, "config replication is not configured");
      verify_call_free (call);
      return;
    }
  if (settings->mode == VCR_MODE_PRIMARY)
    {
      /* Compare with what the replicas should have now: the snapshot's
       * digests are the running config's; a replica with overrides
       * should have those of its own snapshot. */
      vcr_replicator_set_snapshots (self, settings, tree);
      call->own = vcr_replicator_digest_table (self->snapshot);
      call->own_by_peer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) g_hash_table_unref);
      for (guint i = 0; i < call->peers->len; i++)
        {
          Peer *peer = g_ptr_array_index (call->peers, i);

          if (peer->own != NULL)
            g_hash_table_insert (call->own_by_peer, g_strdup (peer->name),
                                 vcr_replicator_digest_table (peer->own));
        }
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

static VerifyCall *
verify_start (VcrReplicator *self, GTask *task)
{
  VerifyCall *call = g_new0 (VerifyCall, 1);

  call->self = g_object_ref (self);
  call->settings = vcr_settings_ref (self->settings);
  call->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_replicator_peer_unref);
  for (guint i = 0; i < self->peers->len; i++)
    g_ptr_array_add (call->peers, vcr_replicator_peer_ref (g_ptr_array_index (self->peers, i)));
  call->for_callers = task != NULL;
  call->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  if (task != NULL)
    g_ptr_array_add (call->tasks, task);
  call->epoch = self->verify_epoch;
  call->remote = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) vcr_digests_free);
  vcr_replicator_read_running (self, verify_read_done, call);
  return call;
}

void
vcr_replicator_verify_async (VcrReplicator *self, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  VerifyCall *running = self->verify_running;

  if (self->verify_cache != NULL &&
      g_get_monotonic_time () - self->verify_cached_at < VCR_VERIFY_REUSE_S * G_TIME_SPAN_SECOND)
    {
      g_task_return_pointer (task, copy_results (self->verify_cache),
                             (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }
  if (running != NULL)
    {
      g_ptr_array_add (running->tasks, task);   /* joins the round that runs */
      return;
    }
  g_debug ("Verify: a round for callers, %u peers", self->peers->len);
  self->verify_running = verify_start (self, task);
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
