/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The primary's side of replication: Push, sending the newest snapshot to
 * each replica, retries with backoff until a replica acknowledges or a
 * newer snapshot supersedes, and the resync at start. Push callers share
 * a push only while it has not read the config yet; later ones wait for
 * one follow-up push, which reads it again (vcr-join.h): an "ok" always
 * means the config as committed before the call.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-replicator-private.h"

/* ---- Push (primary) --------------------------------------------------- */

typedef struct {
  VcrReplicator *self;
  Peer *peer;
  gboolean report;          /* part of a Push call, which waits for it */
  guint round;              /* which Push (self->push_round) */
  guint64 generation;
  GHashTable *digests;      /* what the peer acknowledges on success */
  gint64 started;           /* monotonic µs */
} SendCall;

static void send_to_peer (VcrReplicator *self, Peer *peer, gboolean report);

static void push_schedule (VcrReplicator *self);

static void
save_acks (VcrReplicator *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->acks_unsaved)
    return;
  self->acks_unsaved = FALSE;
  if (!vcr_state_save (self->store, &error))
    g_warning ("Cannot save the state: %s, ignoring", error->message);
}

/* The running push is over: every caller of it gets the results, and the
 * follow-up, when callers came after its read, is due. */
static void
push_ended (VcrReplicator *self)
{
  gboolean follow_up = FALSE;
  g_autoptr(GPtrArray) waiters = vcr_join_end (&self->push_join, &follow_up);
  g_autoptr(GPtrArray) results = g_steal_pointer (&self->push_results);

  save_acks (self);
  self->push_results = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_push_result_free);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);
      GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_push_result_free);

      for (guint j = 0; j < results->len; j++)
        {
          VcrPushResult *r = g_ptr_array_index (results, j);
          g_ptr_array_add (copy, vcr_push_result_new (r->replica, r->ok, r->generation, r->message));
        }
      g_task_return_pointer (task, copy, (GDestroyNotify) g_ptr_array_unref);
    }
  if (follow_up)
    push_schedule (self);
  vcr_replicator_publish (self);
}

/* Answers @waiters with @error; sends still in flight no longer count. */
static void
fail_waiters (VcrReplicator *self, GPtrArray *waiters, const GError *error)
{
  g_ptr_array_set_size (self->push_results, 0);
  self->push_outstanding = 0;
  self->push_round++;
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
}

/* The running push failed before sending: its callers get @error, the
 * follow-up (if due) still runs. */
static void
push_failed (VcrReplicator *self, const GError *error)
{
  gboolean follow_up = FALSE;
  g_autoptr(GPtrArray) waiters = vcr_join_end (&self->push_join, &follow_up);

  fail_waiters (self, waiters, error);
  if (follow_up)
    push_schedule (self);
  vcr_replicator_publish (self);
}

/* The settings changed (or the replicator stops): every caller, of the
 * running push and of the follow-up, gets @error. */
void
vcr_replicator_push_stop (VcrReplicator *self, const GError *error)
{
  g_autoptr(GPtrArray) waiters = vcr_join_take_all (&self->push_join);

  g_clear_handle_id (&self->push_start_source, g_source_remove);
  fail_waiters (self, waiters, error);
  self->acks_unsaved = FALSE;
  if (waiters->len > 0)
    vcr_replicator_publish (self);
}

typedef struct {
  VcrReplicator *self;
  Peer *peer;
} RetryCall;

static void
retry_call_free (RetryCall *call)
{
  g_object_unref (call->self);
  vcr_replicator_peer_unref (call->peer);
  g_free (call);
}

static gboolean
retry_cb (gpointer user_data)
{
  RetryCall *call = user_data;

  call->peer->retry_source = 0;
  if (!call->peer->gone && call->self->snapshot != NULL)
    send_to_peer (call->self, call->peer, FALSE);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (VcrReplicator *self, Peer *peer)
{
  guint delay = vcr_replicator_backoff_ms (peer->attempt++);
  RetryCall *call = g_new0 (RetryCall, 1);

  call->self = g_object_ref (self);
  call->peer = vcr_replicator_peer_ref (peer);
  g_debug ("Retrying %s in %u ms", peer->name, delay);
  g_clear_handle_id (&peer->retry_source, g_source_remove);
  peer->retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, retry_cb, call,
                                           (GDestroyNotify) retry_call_free);
}

static void
send_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SendCall *call = user_data;
  VcrReplicator *self = call->self;
  Peer *peer = call->peer;
  g_autoptr(GError) error = NULL;
  gboolean applied = FALSE, ok;
  guint64 generation = 0;
  g_autofree char *message = NULL;

  ok = vcr_peer_client_post_snapshot_finish (VCR_PEER_CLIENT (source), result,
                                             &applied, &generation, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !peer->gone)
    {
      peer->busy = FALSE;
      if (ok)
        {
          VcrState *store = self->store;
          g_autoptr(GError) save_error = NULL;

          message = g_strdup (applied ? "applied" : "unchanged");
          g_debug ("Push to %s: answered in %.1f ms", peer->name,
                   (g_get_monotonic_time () - call->started) / 1000.0);
          vcr_state_set_ack (store, peer->name, call->generation,
                             g_steal_pointer (&call->digests));
          /* A Push saves its acknowledgements once, when the last replica
           * answered (one fsync instead of one per replica); one lost to
           * a crash only makes the next start send that replica the
           * snapshot again, which it answers "unchanged". */
          if (call->report)
            self->acks_unsaved = TRUE;
          else if (!vcr_state_save (store, &save_error))
            g_warning ("Cannot save the state: %s, ignoring", save_error->message);
          vcr_replicator_peer_succeeded (self, peer);
          g_message ("Push to %s: %s (generation %" G_GUINT64_FORMAT ")",
                     peer->name, message, call->generation);
        }
      else
        {
          message = g_strdup (error->message);
          vcr_replicator_peer_set_state (self, peer, "error", message);
          g_warning ("Push to %s failed: %s", peer->name, message);
          schedule_retry (self, peer);
        }
      vcr_replicator_emit_push_finished (self, peer->name, ok, call->generation, message);
      vcr_replicator_add_event (self, self->settings, "push", peer->name, call->generation,
                                ok ? "ok" : message);
    }
  else if (message == NULL)
    message = g_strdup ("superseded");

  if (call->report && call->round == self->push_round)
    {
      g_ptr_array_add (self->push_results,
                       vcr_push_result_new (peer->name, ok, call->generation, message));
      if (--self->push_outstanding == 0)
        push_ended (self);
    }
  else
    vcr_replicator_publish (self);

  g_clear_pointer (&call->digests, g_hash_table_unref);
  vcr_replicator_peer_unref (call->peer);
  g_object_unref (call->self);
  g_free (call);
}

/* @peer gets its snapshot: the shared sealed payload, or its own when it
 * has overrides; what it acknowledges are that snapshot's digests. */
static void
send_to_peer (VcrReplicator *self, Peer *peer, gboolean report)
{
  g_autoptr(GError) error = NULL;
  SendCall *call;
  GCancellable *cancellable;
  VcrSealedPayload *sealed = NULL;
  GBytes *json = NULL;

  if (!vcr_replicator_seal_for_peer (self, peer, &sealed, &json, &error))
    {
      /* no random bytes: as a failed send, retried */
      g_warning ("Push to %s failed: %s", peer->name, error->message);
      vcr_replicator_peer_set_state (self, peer, "error", error->message);
      schedule_retry (self, peer);
      if (report && --self->push_outstanding == 0)
        push_ended (self);
      return;
    }
  call = g_new0 (SendCall, 1);
  cancellable = vcr_replicator_peer_begin (peer);

  call->self = g_object_ref (self);
  call->peer = vcr_replicator_peer_ref (peer);
  call->report = report;
  call->round = self->push_round;
  call->started = g_get_monotonic_time ();
  call->generation = self->snapshot->generation;
  call->digests = vcr_replicator_digest_table (vcr_replicator_peer_snapshot (self, peer));
  vcr_replicator_peer_set_state (self, peer, "syncing", NULL);
  vcr_peer_client_post_sealed_async (self->client, peer->host, peer->port, sealed, json,
                                     cancellable, send_done, call);
}

static void
push_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrSettings) settings = data;   /* the push's own */
  g_autoptr(VcrTree) tree = running;   /* ours to free */

  /* A reload meanwhile answered this push's callers already: the settings
   * it was for are gone, and a push that started since has its own read. */
  if (!vcr_replicator_is_current (self, settings))
    return;
  if (tree == NULL)
    {
      g_autoptr(GError) e = g_error_new (VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                                         "Cannot read the running config: %s", error->message);
      push_failed (self, e);
      return;
    }
  {
    gint64 start = g_get_monotonic_time ();
    g_autoptr(GError) seal_error = NULL;

    vcr_replicator_set_snapshots (self, settings, tree);
    if (!vcr_replicator_seal_snapshot (self, &seal_error))
      {
        push_failed (self, seal_error);
        return;
      }
    g_debug ("Push: snapshot built and sealed in %.1f ms",
             (g_get_monotonic_time () - start) / 1000.0);
  }
  vcr_memory_release_later ();
  self->push_outstanding = self->peers->len;
  /* A push supersedes every retry: each replica gets the newest snapshot. */
  for (guint i = 0; i < self->peers->len; i++)
    send_to_peer (self, g_ptr_array_index (self->peers, i), TRUE);
  if (self->peers->len == 0)
    push_ended (self);
}

/* The push that is due reads the config now: from here on, callers wait
 * for the follow-up. */
static gboolean
push_begin (gpointer user_data)
{
  VcrReplicator *self = user_data;

  self->push_start_source = 0;
  vcr_join_begin (&self->push_join);
  vcr_replicator_read_running (self, push_read_done, vcr_settings_ref (self->settings));
  return G_SOURCE_REMOVE;
}

/* A push begins a moment after its first caller, so that callers coming
 * together share it; at the bus's own priority, so that no flood of calls
 * can put it off. */
static void
push_schedule (VcrReplicator *self)
{
  if (self->push_start_source == 0)
    self->push_start_source = g_idle_add_full (G_PRIORITY_DEFAULT, push_begin, self, NULL);
}

void
vcr_replicator_push_async (VcrReplicator *self, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  switch (vcr_join_add (&self->push_join, task))
    {
    case VCR_JOIN_START:
      push_schedule (self);
      vcr_replicator_publish (self);   /* State: syncing */
      break;
    case VCR_JOIN_JOINED:
      g_debug ("Push: joins the push that has not read the config yet");
      break;
    case VCR_JOIN_QUEUED:
    default:
      g_debug ("Push: waits for the follow-up of the push that runs");
      break;
    }
}

GPtrArray *
vcr_replicator_push_finish (VcrReplicator *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* At start and after each verification: sends the newest snapshot to each
 * replica whose acknowledged digests differ (@remote: what the replicas
 * reported, name → VcrDigests, or NULL to trust the acknowledgements). */
void
vcr_replicator_resync_replicas (VcrReplicator *self, GHashTable *remote)
{
  VcrState *store = self->store;

  for (guint i = 0; i < self->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (self->peers, i);
      const VcrPeerAck *ack = vcr_state_get_ack (store, peer->name);
      const VcrSnapshot *wanted = vcr_replicator_peer_snapshot (self, peer);
      gboolean same;

      if (peer->busy || peer->retry_source != 0)
        continue;   /* already on its way */
      if (remote != NULL)
        {
          VcrDigests *d = g_hash_table_lookup (remote, peer->name);
          g_autoptr(GHashTable) table = NULL;
          if (d == NULL)
            continue;   /* unreachable now: the next round tries again */
          table = g_hash_table_new (g_str_hash, g_str_equal);
          for (guint j = 0; j < d->entries->len; j++)
            {
              VcrSnapshotEntry *e = g_ptr_array_index (d->entries, j);
              g_hash_table_insert (table, e->path, e->digest);
            }
          same = wanted != NULL && vcr_replicator_digests_match (table, wanted);
        }
      else
        same = ack != NULL && wanted != NULL &&
               vcr_replicator_digests_match (ack->digests, wanted);
      if (same)
        vcr_replicator_peer_succeeded (self, peer);
      else
        send_to_peer (self, peer, FALSE);
    }
}

static void
primary_start_read_done (VcrReplicator *self, VcrTree *running, const GError *error,
                         gpointer data)
{
  g_autoptr(VcrSettings) settings = data;   /* those the start was for */
  g_autoptr(VcrTree) tree = running;   /* ours to free */

  if (tree == NULL)
    {
      g_warning ("Cannot read the running config: %s", error->message);
      return;
    }
  if (!vcr_replicator_is_current (self, settings))
    return;   /* a later start reads again */
  vcr_replicator_set_snapshots (self, settings, tree);
  vcr_replicator_resync_replicas (self, NULL);
}

/* At start on a primary: the snapshot of the running config, and each
 * replica whose acknowledgement differs gets it. */
void
vcr_replicator_primary_start (VcrReplicator *self)
{
  vcr_replicator_read_running (self, primary_start_read_done,
                               vcr_settings_ref (self->settings));
}
