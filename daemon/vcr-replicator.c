/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replicator (see vcr-replicator.h for the whole picture). Reading
 * guide: "Peers" keeps one record per remote node and mirrors it into the
 * daemon's Peers property; "Snapshots" builds what a primary sends; "Push"
 * and "Retry" send it; "Receive" is the replica's side of both push and
 * pull (the rules of SPEC §7, then the apply); "Pull", "Verify" and
 * "Server handlers" are thin on top of those.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-peer-client.h"
#include "vcr-peer-server.h"
#include "vcr-replicator.h"
#include "vcr-snapshot.h"
#include "vcr-state.h"
#include "vcr-tree-view.h"

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
#define DEFAULT_VERIFY_INTERVAL_S 300
#define APPLY_COMMAND_TIMEOUT_S 120

/* One remote node: a replica on a primary, the primary on a replica.
 * Reference-counted (g_rc_box) because requests in flight hold it while a
 * reload may already have replaced the list. */
typedef struct {
  char *name;
  char *host;
  guint16 port;
  guint attempt;            /* failed sends since the last success */
  guint retry_source;
  GCancellable *cancellable;
  gboolean busy;            /* a request is in flight */
  char *state;              /* "unknown", "syncing", "in-sync", "out-of-sync", "error" */
  gint64 last_success;      /* µs, real time */
  char *last_error;
  gboolean gone;            /* dropped from the list by a reload */
} Peer;

struct _VcrReplicator {
  GObject parent_instance;

  VcrDaemon *daemon;        /* not owned: the daemon owns us */
  VcrPeerServer *server;
  char *listening_on;       /* "address|port" the server was asked for */
  VcrPeerClient *client;
  char *origin;
  GPtrArray *peers;         /* of Peer*, in the order of the settings */
  VcrSnapshot *snapshot;    /* primary: the newest snapshot built */
  GBytes *snapshot_json;    /* its serialization, made once for all replicas */

  GPtrArray *push_waiters;  /* of GTask*: one running Push, joined */
  GPtrArray *push_results;  /* of VcrPushResult* for those waiters */
  guint push_outstanding;
  gboolean acks_unsaved;    /* acknowledgements of the running Push not yet saved */

  GPtrArray *pull_waiters;  /* of GTask*: callers of the running pull */
  gboolean pulling;         /* a pull runs (for callers or in the background) */
  guint pull_attempt;
  guint pull_retry_source;
  gboolean have_primary_snapshot;

  gboolean applying;
  guint verify_source;
};

G_DEFINE_TYPE (VcrReplicator, vcr_replicator, G_TYPE_OBJECT)

guint
vcr_replicator_backoff_ms (guint attempt)
{
  guint64 delay = BACKOFF_FIRST_MS;

  for (guint i = 0; i < attempt && delay < BACKOFF_MAX_MS; i++)
    delay *= 2;
  delay = MIN (delay, BACKOFF_MAX_MS);
  return (guint) (delay * g_random_double_range (0.5, 1.0));
}

/* ---- Results handed to the bus layer ---------------------------------- */

static void
push_result_free (VcrPushResult *r)
{
  g_free (r->replica);
  g_free (r->message);
  g_free (r);
}

static VcrPushResult *
push_result_new (const char *replica, gboolean ok, guint64 generation, const char *message)
{
  VcrPushResult *r = g_new0 (VcrPushResult, 1);
  r->replica = g_strdup (replica);
  r->ok = ok;
  r->generation = generation;
  r->message = g_strdup (message);
  return r;
}

static void
verify_result_free (VcrVerifyResult *r)
{
  g_free (r->peer);
  g_free (r->replicate_path);
  g_free (r);
}

/* ---- Peers ------------------------------------------------------------ */

static void
peer_clear (Peer *peer)
{
  g_clear_handle_id (&peer->retry_source, g_source_remove);
  if (peer->cancellable != NULL)
    g_cancellable_cancel (peer->cancellable);
  g_clear_object (&peer->cancellable);
  g_free (peer->name);
  g_free (peer->host);
  g_free (peer->state);
  g_free (peer->last_error);
}

static Peer *
peer_ref (Peer *peer)
{
  return g_rc_box_acquire (peer);
}

static void
peer_unref (Peer *peer)
{
  g_rc_box_release_full (peer, (GDestroyNotify) peer_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_unref)

/* Drops a peer from service: nothing it started may act any more. */
static void
peer_retire (Peer *peer)
{
  peer->gone = TRUE;
  g_clear_handle_id (&peer->retry_source, g_source_remove);
  if (peer->cancellable != NULL)
    g_cancellable_cancel (peer->cancellable);
  peer_unref (peer);
}

static GStrv
replicate_paths (VcrReplicator *self)
{
  GPtrArray *paths = vcr_daemon_get_replicated_paths (self->daemon);
  return g_strdupv ((char **) paths->pdata);
}

/* The daemon's State, from the peers (SPEC §5). */
static const char *
overall_state (VcrReplicator *self)
{
  guint in_sync = 0, busy = 0;

  if (vcr_daemon_get_mode (self->daemon) == VCR_MODE_DISABLED)
    return "disabled";
  if (self->applying || self->push_waiters->len > 0 || self->pulling)
    return "syncing";
  for (guint i = 0; i < self->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (self->peers, i);
      in_sync += g_str_equal (peer->state, "in-sync") ? 1 : 0;
      busy += peer->busy ? 1 : 0;
    }
  if (self->peers->len > 0 && in_sync == self->peers->len)
    return "in-sync";
  if (busy > 0)
    return "syncing";
  if (in_sync > 0)
    return "degraded";
  return "out-of-sync";
}

/* Mirrors the peer records into the daemon's Peers and State properties. */
static void
publish (VcrReplicator *self)
{
  GPtrArray *shown = vcr_daemon_get_peers (self->daemon);
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  VcrState *store = vcr_daemon_get_state_store (self->daemon);

  for (guint i = 0; i < shown->len && i < self->peers->len; i++)
    {
      VcrPeerStatus *status = g_ptr_array_index (shown, i);
      Peer *peer = g_ptr_array_index (self->peers, i);
      const VcrPeerAck *ack = vcr_state_get_ack (store, peer->name);

      g_free (status->state);
      status->state = g_strdup (peer->state);
      g_free (status->last_error);
      status->last_error = g_strdup (peer->last_error);
      status->last_success = peer->last_success;
      if (settings != NULL && settings->mode == VCR_MODE_REPLICA)
        status->acknowledged = vcr_state_get_applied_generation (store);
      else
        status->acknowledged = ack != NULL ? ack->generation : 0;
    }
  vcr_daemon_notify (self->daemon, "Peers");
  vcr_daemon_set_state (self->daemon, overall_state (self));
}

static void
peer_set_state (VcrReplicator *self, Peer *peer, const char *state, const char *error)
{
  g_free (peer->state);
  peer->state = g_strdup (state);
  if (error != NULL)
    {
      g_free (peer->last_error);
      peer->last_error = g_strdup (error);
    }
  publish (self);
}

static void
peer_succeeded (VcrReplicator *self, Peer *peer)
{
  peer->attempt = 0;
  peer->last_success = g_get_real_time ();
  peer_set_state (self, peer, "in-sync", "");
}

/* A fresh cancellable for the next request to @peer; the previous one, if
 * still in flight, is cancelled (it is superseded). */
static GCancellable *
peer_begin (Peer *peer)
{
  if (peer->cancellable != NULL)
    g_cancellable_cancel (peer->cancellable);
  g_clear_object (&peer->cancellable);
  g_clear_handle_id (&peer->retry_source, g_source_remove);
  peer->cancellable = g_cancellable_new ();
  peer->busy = TRUE;
  return peer->cancellable;
}

static void
rebuild_peers (VcrReplicator *self)
{
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);

  g_ptr_array_set_size (self->peers, 0);
  if (settings == NULL || settings->mode == VCR_MODE_DISABLED)
    return;
  for (guint i = 0; i < settings->peers->len; i++)
    {
      const VcrPeerSettings *ps = g_ptr_array_index (settings->peers, i);
      Peer *peer = g_rc_box_new0 (Peer);

      peer->name = g_strdup (ps->name);
      peer->host = g_strdup (ps->address);
      peer->port = ps->port;
      peer->state = g_strdup ("unknown");
      peer->last_error = g_strdup ("");
      g_ptr_array_add (self->peers, peer);
    }
}

static void
add_event (VcrReplicator *self, const char *event, const char *peer,
           guint64 generation, const char *result)
{
  g_auto(GStrv) paths = replicate_paths (self);
  vcr_daemon_add_event (self->daemon,
                        vcr_event_new (event, peer, generation,
                                       (const char *const *) paths, result));
}

/* ---- Snapshots -------------------------------------------------------- */

static GHashTable *
digest_table (const VcrSnapshot *snapshot)
{
  GHashTable *digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (snapshot->entries, i);
      g_hash_table_insert (digests, g_strdup (e->path), g_strdup (e->digest));
    }
  return digests;
}

/* TRUE when @digests (path → digest) holds exactly the digests of
 * @snapshot. */
static gboolean
digests_match (GHashTable *digests, const VcrSnapshot *snapshot)
{
  if (digests == NULL || g_hash_table_size (digests) != snapshot->entries->len)
    return FALSE;
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (snapshot->entries, i);
      if (g_strcmp0 (g_hash_table_lookup (digests, e->path), e->digest) != 0)
        return FALSE;
    }
  return TRUE;
}

/* The snapshot of the replicate paths in @tree. On a primary the
 * generation grows by one whenever the digests differ from the last
 * snapshot built (kept in the state store, so it survives restarts). */
static VcrSnapshot *
build_snapshot (VcrReplicator *self, const VcrTree *tree)
{
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  VcrState *store = vcr_daemon_get_state_store (self->daemon);
  GPtrArray *path_strings = vcr_daemon_get_replicated_paths (self->daemon);
  g_autoptr(VcrSnapshot) snapshot =
    vcr_snapshot_new (self->origin, vcr_state_get_epoch (store),
                      vcr_state_get_generation (store));
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < settings->paths->len; i++)
    {
      const char *const *words = g_ptr_array_index (settings->paths, i);
      g_autofree char *text = vcr_path_snapshot_text (tree, words);
      g_autofree char *digest = vcr_digest (text, strlen (text));
      vcr_snapshot_add (snapshot, g_ptr_array_index (path_strings, i), text, digest);
    }
  if (!digests_match (vcr_state_get_snapshot_digests (store), snapshot))
    {
      snapshot->generation = vcr_state_get_generation (store) + 1;
      vcr_state_set_generation (store, snapshot->generation);
      vcr_state_set_snapshot_digests (store, digest_table (snapshot));
      if (!vcr_state_save (store, &error))
        g_warning ("Cannot save the state: %s, ignoring", error->message);
      vcr_daemon_notify (self->daemon, "Generation");
      g_message ("New snapshot, generation %" G_GUINT64_FORMAT, snapshot->generation);
    }
  return g_steal_pointer (&snapshot);
}

/* Replaces the newest snapshot (@snapshot may be NULL); its JSON is made
 * when first sent. */
static void
set_snapshot (VcrReplicator *self, VcrSnapshot *snapshot)
{
  g_clear_pointer (&self->snapshot, vcr_snapshot_free);
  g_clear_pointer (&self->snapshot_json, g_bytes_unref);
  self->snapshot = snapshot;
}

static GBytes *
snapshot_json (VcrReplicator *self)
{
  if (self->snapshot_json == NULL)
    {
      gsize len = 0;
      char *json = vcr_snapshot_to_json (self->snapshot, &len);
      self->snapshot_json = g_bytes_new_take (json, len);
    }
  return self->snapshot_json;
}

/* Reads the running config, then calls @done with it (transfer full: the
 * callee frees it) or with NULL and an error. */
typedef void (*TreeReady) (VcrReplicator *self, VcrTree *tree, const GError *error,
                           gpointer data);

typedef struct {
  VcrReplicator *self;
  TreeReady done;
  gpointer data;
} ReadCall;

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReadCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_backend_read_finish (VCR_BACKEND (source), result, &error);

  call->done (call->self, g_steal_pointer (&tree), error, call->data);
  g_object_unref (call->self);
  g_free (call);
}

static void
read_running (VcrReplicator *self, TreeReady done, gpointer data)
{
  ReadCall *call = g_new0 (ReadCall, 1);

  call->self = g_object_ref (self);
  call->done = done;
  call->data = data;
  vcr_backend_read_async (vcr_daemon_get_backend (self->daemon), NULL, read_done, call);
}

/* ---- Push (primary) --------------------------------------------------- */

typedef struct {
  VcrReplicator *self;
  Peer *peer;
  gboolean report;          /* part of a Push call, which waits for it */
  guint64 generation;
  GHashTable *digests;      /* what the peer acknowledges on success */
  gint64 started;           /* monotonic µs */
} SendCall;

static void send_to_peer (VcrReplicator *self, Peer *peer, gboolean report);

static void
finish_push_waiters (VcrReplicator *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->push_waiters);
  g_autoptr(GPtrArray) results = g_steal_pointer (&self->push_results);

  if (self->acks_unsaved)
    {
      g_autoptr(GError) error = NULL;

      self->acks_unsaved = FALSE;
      if (!vcr_state_save (vcr_daemon_get_state_store (self->daemon), &error))
        g_warning ("Cannot save the state: %s, ignoring", error->message);
    }
  self->push_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->push_results = g_ptr_array_new_with_free_func ((GDestroyNotify) push_result_free);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);
      GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) push_result_free);

      for (guint j = 0; j < results->len; j++)
        {
          VcrPushResult *r = g_ptr_array_index (results, j);
          g_ptr_array_add (copy, push_result_new (r->replica, r->ok, r->generation, r->message));
        }
      g_task_return_pointer (task, copy, (GDestroyNotify) g_ptr_array_unref);
    }
  publish (self);
}

static void
fail_push_waiters (VcrReplicator *self, const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->push_waiters);

  self->push_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_set_size (self->push_results, 0);
  self->push_outstanding = 0;
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
  publish (self);
}

typedef struct {
  VcrReplicator *self;
  Peer *peer;
} RetryCall;

static void
retry_call_free (RetryCall *call)
{
  g_object_unref (call->self);
  peer_unref (call->peer);
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
  call->peer = peer_ref (peer);
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
          VcrState *store = vcr_daemon_get_state_store (self->daemon);
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
          peer_succeeded (self, peer);
          g_message ("Push to %s: %s (generation %" G_GUINT64_FORMAT ")",
                     peer->name, message, call->generation);
        }
      else
        {
          message = g_strdup (error->message);
          peer_set_state (self, peer, "error", message);
          g_warning ("Push to %s failed: %s", peer->name, message);
          schedule_retry (self, peer);
        }
      g_signal_emit_by_name (self->daemon, "push-finished", peer->name, ok,
                             call->generation, message);
      add_event (self, "push", peer->name, call->generation, ok ? "ok" : message);
    }
  else if (message == NULL)
    message = g_strdup ("superseded");

  if (call->report)
    {
      g_ptr_array_add (self->push_results,
                       push_result_new (peer->name, ok, call->generation, message));
      if (--self->push_outstanding == 0)
        finish_push_waiters (self);
    }
  else
    publish (self);

  g_clear_pointer (&call->digests, g_hash_table_unref);
  peer_unref (call->peer);
  g_object_unref (call->self);
  g_free (call);
}

static void
send_to_peer (VcrReplicator *self, Peer *peer, gboolean report)
{
  SendCall *call = g_new0 (SendCall, 1);
  GCancellable *cancellable = peer_begin (peer);

  call->self = g_object_ref (self);
  call->peer = peer_ref (peer);
  call->report = report;
  call->started = g_get_monotonic_time ();
  call->generation = self->snapshot->generation;
  call->digests = digest_table (self->snapshot);
  peer_set_state (self, peer, "syncing", NULL);
  vcr_peer_client_post_snapshot_json_async (self->client, peer->host, peer->port,
                                            snapshot_json (self),
                                            cancellable, send_done, call);
}

static void
push_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  if (tree == NULL)
    {
      g_autoptr(GError) e = g_error_new (VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                                         "Cannot read the running config: %s", error->message);
      fail_push_waiters (self, e);
      return;
    }
  if (vcr_daemon_get_mode (self->daemon) != VCR_MODE_PRIMARY)
    {
      g_autoptr(GError) e = g_error_new_literal (VCR_ERROR, VCR_ERROR_WRONG_MODE,
                                                 "the settings changed during the push");
      fail_push_waiters (self, e);
      return;
    }
  {
    gint64 start = g_get_monotonic_time ();
    set_snapshot (self, build_snapshot (self, tree));
    snapshot_json (self);
    g_debug ("Push: snapshot built and serialized in %.1f ms",
             (g_get_monotonic_time () - start) / 1000.0);
  }
  self->push_outstanding = self->peers->len;
  /* A Push supersedes every retry: each replica gets the newest snapshot. */
  for (guint i = 0; i < self->peers->len; i++)
    send_to_peer (self, g_ptr_array_index (self->peers, i), TRUE);
  if (self->peers->len == 0)
    finish_push_waiters (self);
}

void
vcr_replicator_push_async (VcrReplicator *self, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_ptr_array_add (self->push_waiters, task);
  if (self->push_waiters->len > 1)
    return;   /* joins the Push that runs */
  publish (self);
  read_running (self, push_read_done, NULL);
}

GPtrArray *
vcr_replicator_push_finish (VcrReplicator *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* At start and after each verification: sends the newest snapshot to each
 * replica whose acknowledged digests differ (@remote: what the replicas
 * reported, name → VcrDigests, or NULL to trust the acknowledgements). */
static void
resync_replicas (VcrReplicator *self, GHashTable *remote)
{
  VcrState *store = vcr_daemon_get_state_store (self->daemon);

  for (guint i = 0; i < self->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (self->peers, i);
      const VcrPeerAck *ack = vcr_state_get_ack (store, peer->name);
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
          same = digests_match (table, self->snapshot);
        }
      else
        same = ack != NULL && digests_match (ack->digests, self->snapshot);
      if (same)
        peer_succeeded (self, peer);
      else
        send_to_peer (self, peer, FALSE);
    }
}

static void
primary_start_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  if (tree == NULL)
    {
      g_warning ("Cannot read the running config: %s", error->message);
      return;
    }
  if (vcr_daemon_get_mode (self->daemon) != VCR_MODE_PRIMARY)
    return;
  set_snapshot (self, build_snapshot (self, tree));
  resync_replicas (self, NULL);
}

/* ---- Receive (replica): the rules of SPEC §7, then the apply ----------- */

typedef void (*Received) (VcrReplicator *self, guint status, const char *code,
                          const char *message, gboolean applied, guint64 generation,
                          gpointer data);

typedef struct {
  VcrReplicator *self;
  VcrSnapshot *snapshot;
  GPtrArray *trees;         /* of VcrTree*, one per entry */
  VcrTree *old;             /* the replicated subtrees before the apply */
  char *stamp;              /* the backend's stamp before the running config was read */
  GHashTable *texts;        /* path → text being applied (the pending reference) */
  guint timeout_source;     /* bounds the --apply-command */
  gint64 mark;              /* monotonic µs at the last phase logged */
  Received done;
  gpointer data;
  /* The texts are parsed in a worker while the running config is read in
   * another: both must be back before the rules go on. */
  guint waiting;
  GError *parse_error;      /* the snapshot texts did not parse */
  VcrTree *running;         /* the running config, read alongside */
  GError *read_error;
  gboolean claimed;         /* this receive holds self->applying */
  gboolean stale;           /* an older generation of the applied epoch */
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
  g_clear_pointer (&rx->snapshot, vcr_snapshot_free);
  g_clear_pointer (&rx->trees, g_ptr_array_unref);
  g_clear_pointer (&rx->old, vcr_tree_free);
  g_free (rx->stamp);
  g_clear_pointer (&rx->texts, g_hash_table_unref);
  g_clear_error (&rx->parse_error);
  g_clear_pointer (&rx->running, vcr_tree_free);
  g_clear_error (&rx->read_error);
  g_clear_handle_id (&rx->timeout_source, g_source_remove);
  g_object_unref (rx->self);
  g_free (rx);
}

static void
receive_finish (Receive *rx, guint status, const char *code, const char *message,
                gboolean applied)
{
  if (rx->texts != NULL)
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

/* Records @rx's snapshot as applied: reference copies and the applied
 * epoch and generation, written before the answer goes out. The texts move
 * from @snapshot into the state's cache (the snapshot is done with them). */
static gboolean
record_applied (VcrReplicator *self, VcrSnapshot *snapshot, GError **error)
{
  VcrState *store = vcr_daemon_get_state_store (self->daemon);
  g_autoptr(GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  /* the pending reference points at these texts: it ends here */
  vcr_daemon_set_pending_reference (self->daemon, NULL);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *e = g_ptr_array_index (snapshot->entries, i);
      g_hash_table_insert (texts, e->path, g_steal_pointer (&e->config));
    }
  if (!vcr_state_set_references (store, texts, error))
    return FALSE;
  vcr_state_set_applied (store, snapshot->epoch, snapshot->generation);
  return vcr_state_save (store, error);
}

static void
applied_successfully (Receive *rx)
{
  VcrReplicator *self = rx->self;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) paths = replicate_paths (self);

  if (!record_applied (self, rx->snapshot, &error))
    g_warning ("Applied, but cannot record it: %s", error->message);
  receive_phase (rx, "recorded");
  self->applying = FALSE;
  g_message ("Applied generation %" G_GUINT64_FORMAT " from %s",
             rx->snapshot->generation, rx->snapshot->origin);
  g_signal_emit_by_name (self->daemon, "snapshot-applied", rx->snapshot->generation,
                         paths, rx->snapshot->origin);
  add_event (self, "apply", rx->snapshot->origin, rx->snapshot->generation, "ok");
  if (self->peers->len > 0)
    peer_succeeded (self, g_ptr_array_index (self->peers, 0));
  receive_finish (rx, 200, NULL, NULL, TRUE);
}

static void
apply_failed (Receive *rx, const char *reason)
{
  g_autofree char *message = g_strdup_printf ("apply failed: %s", reason);

  rx->self->applying = FALSE;
  g_warning ("Snapshot generation %" G_GUINT64_FORMAT " not applied: %s",
             rx->snapshot->generation, reason);
  add_event (rx->self, "apply", rx->snapshot->origin, rx->snapshot->generation, message);
  publish (rx->self);
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

  if (!vcr_backend_apply_finish (VCR_BACKEND (source), result, &error))
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
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    g_warning ("Cannot undo the apply: %s; applying the old subtrees", error->message);
  vcr_backend_apply_async (backend, g_steal_pointer (&rx->old), settings->paths, NULL, NULL,
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

static void
backend_apply_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;
  const VcrDaemonOptions *options = vcr_daemon_get_options (rx->self->daemon);
  g_autoptr(GError) error = NULL;

  if (!vcr_backend_apply_finish (VCR_BACKEND (source), result, &error))
    {
      apply_failed (rx, error->message);
      return;
    }
  receive_phase (rx, "written");
  if (has_apply_command (rx->self))
    run_apply_command (rx, options->apply_command);
  else
    applied_successfully (rx);
}

static void
receive_read_done (VcrReplicator *self, VcrTree *tree, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) running = tree;
  Receive *rx = data;
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  gboolean same = TRUE;

  if (tree == NULL)
    {
      apply_failed (rx, error->message);
      return;
    }
  receive_phase (rx, "running config read");
  /* Compared as trees: equal subtrees render to equal snapshot texts, and
   * no text is rendered for it. */
  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);
      g_ptr_array_add (words, vcr_path_parse (e->path, NULL));
      same = same && vcr_tree_subtree_equal (running, g_ptr_array_index (rx->trees, i),
                                             g_ptr_array_index (words, i));
    }
  if (same)
    {
      /* Nothing to write; the reference may still lag (a restart between
       * the write and the record), so record it. */
      g_autoptr(GError) record_error = NULL;
      self->applying = FALSE;
      if (!record_applied (self, rx->snapshot, &record_error))
        g_warning ("Cannot record the snapshot: %s, ignoring", record_error->message);
      if (self->peers->len > 0)
        peer_succeeded (self, g_ptr_array_index (self->peers, 0));
      receive_finish (rx, 200, NULL, NULL, FALSE);
      return;
    }
  /* The old subtrees are kept only to put back should the --apply-command
   * fail on a backend that cannot undo byte for byte (a copy of 10,000
   * rules is not free). The new subtrees go into the running config
   * itself, which the backend takes over; they stay rx->trees' own (not
   * copied), so rx->trees lives until the backend has freed the running
   * tree, i.e. until receive_free(). */
  if (has_apply_command (self))
    rx->old = vcr_tree_new ();
  rx->texts = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);
      const char *const *w = g_ptr_array_index (words, i);

      if (rx->old != NULL)
        vcr_tree_graft (rx->old, running, w);
      vcr_tree_graft_shared (running, g_ptr_array_index (rx->trees, i), w);
      g_hash_table_insert (rx->texts, e->path, e->config);
    }
  receive_phase (rx, "compared and grafted");
  vcr_daemon_set_pending_reference (self->daemon, rx->texts);
  vcr_backend_apply_async (vcr_daemon_get_backend (self->daemon), g_steal_pointer (&running),
                           settings->paths, rx->stamp, NULL, backend_apply_done, rx);
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
          publish (self);
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
  const Receive *rx = task_data;
  GError *error = NULL;
  GPtrArray *trees = vcr_snapshot_parse_trees (rx->snapshot, &error);

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
  receive_phase (rx, "snapshot texts parsed");
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
static void
receive_snapshot (VcrReplicator *self, VcrSnapshot *snapshot, Received done, gpointer data)
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
      g_auto(GStrv) own = replicate_paths (self);
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
      publish (self);
      rx->stamp = vcr_backend_get_stamp (vcr_daemon_get_backend (self->daemon));
      rx->waiting++;
      read_running (self, running_read, rx);
    }
  rx->waiting++;
  task = g_task_new (NULL, NULL, parse_done, rx);
  g_task_set_task_data (task, rx, NULL);
  g_task_run_in_thread (task, parse_thread);
}

/* ---- Pull (replica) --------------------------------------------------- */

static void pull_run (VcrReplicator *self);

static gboolean
pull_retry_cb (gpointer user_data)
{
  VcrReplicator *self = user_data;

  self->pull_retry_source = 0;
  if (!self->pulling && vcr_daemon_get_mode (self->daemon) == VCR_MODE_REPLICA)
    pull_run (self);
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
  g_signal_emit_by_name (self->daemon, "pull-finished", ok, generation, message);
  add_event (self, "pull", "primary", generation, ok ? "ok" : message);
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
      peer_set_state (self, primary, "error", message);
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
  publish (self);
}

static void
pull_received (VcrReplicator *self, guint status, const char *code, const char *message,
               gboolean applied, guint64 generation, gpointer data)
{
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
  g_autoptr(VcrReplicator) self = user_data;
  g_autoptr(GError) error = NULL;
  VcrSnapshot *snapshot = vcr_peer_client_get_snapshot_finish (VCR_PEER_CLIENT (source),
                                                               result, &error);

  if (self->peers->len > 0)
    ((Peer *) g_ptr_array_index (self->peers, 0))->busy = FALSE;
  if (snapshot == NULL)
    {
      pull_finish (self, FALSE, FALSE, 0, error->message);
      return;
    }
  receive_snapshot (self, snapshot, pull_received, NULL);
}

static void
pull_run (VcrReplicator *self)
{
  Peer *primary;

  if (self->peers->len == 0)
    return;
  primary = g_ptr_array_index (self->peers, 0);
  g_clear_handle_id (&self->pull_retry_source, g_source_remove);
  self->pulling = TRUE;
  peer_set_state (self, primary, "syncing", NULL);
  vcr_peer_client_get_snapshot_async (self->client, primary->host, primary->port,
                                      peer_begin (primary), pull_got, g_object_ref (self));
}

void
vcr_replicator_pull_async (VcrReplicator *self, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_ptr_array_add (self->pull_waiters, g_task_new (self, NULL, callback, user_data));
  if (!self->pulling)   /* else it joins the pull that runs */
    pull_run (self);
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
 * (@task set) or the periodic check, which resyncs what differs. */
typedef struct {
  VcrReplicator *self;
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
  g_object_unref (call->self);
  g_free (call);
}

static GPtrArray *
verify_results (VerifyCall *call)
{
  VcrReplicator *self = call->self;
  GPtrArray *paths = vcr_daemon_get_replicated_paths (self->daemon);
  GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify) verify_result_free);

  for (guint i = 0; i < self->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (self->peers, i);
      VcrDigests *d = g_hash_table_lookup (call->remote, peer->name);

      for (guint j = 0; j < paths->len; j++)
        {
          const char *path = g_ptr_array_index (paths, j);
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

  for (guint i = 0; i < results->len; i++)
    all_in_sync &= ((VcrVerifyResult *) g_ptr_array_index (results, i))->in_sync;
  if (vcr_daemon_get_mode (self->daemon) == VCR_MODE_PRIMARY && self->snapshot != NULL)
    resync_replicas (self, call->remote);
  else if (vcr_daemon_get_mode (self->daemon) == VCR_MODE_REPLICA && !all_in_sync &&
           g_hash_table_size (call->remote) > 0 && !self->pulling)
    {
      g_message ("The replicated paths differ from the primary's; pulling");
      pull_run (self);
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
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  GPtrArray *paths = vcr_daemon_get_replicated_paths (self->daemon);

  if (tree == NULL || settings == NULL || settings->mode == VCR_MODE_DISABLED ||
      self->peers->len == 0)
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
      /* Compare with what the replicas should have now. */
      set_snapshot (self, build_snapshot (self, tree));
    }
  for (guint i = 0; i < settings->paths->len; i++)
    {
      g_autofree char *text = vcr_path_snapshot_text (tree, g_ptr_array_index (settings->paths, i));
      g_hash_table_insert (call->own, g_strdup (g_ptr_array_index (paths, i)),
                           vcr_digest (text, strlen (text)));
    }
  call->outstanding = self->peers->len;
  for (guint i = 0; i < self->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (self->peers, i);
      VerifyRequest *request = g_new0 (VerifyRequest, 1);

      request->call = call;
      request->peer = peer_ref (peer);
      vcr_peer_client_get_digests_async (self->client, peer->host, peer->port, NULL,
                                         verify_got, request);
    }
}

static void
verify_start (VcrReplicator *self, GTask *task)
{
  VerifyCall *call = g_new0 (VerifyCall, 1);

  call->self = g_object_ref (self);
  call->task = task;
  call->own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  call->remote = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) vcr_digests_free);
  read_running (self, verify_read_done, call);
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

static gboolean
verify_tick (gpointer user_data)
{
  VcrReplicator *self = user_data;

  if (!self->applying)
    verify_start (self, NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- Server handlers -------------------------------------------------- */

static void
post_received (VcrReplicator *self, guint status, const char *code, const char *message,
               gboolean applied, guint64 generation, gpointer data)
{
  VcrPeerReply *reply = data;
  gsize length = 0;
  char *json;

  if (status != 200)
    {
      vcr_peer_reply_error (reply, status, code, message);
      return;
    }
  json = vcr_post_result_to_json (applied, generation, &length);
  vcr_peer_reply_json (reply, json, length);
}

static void
on_post_snapshot (VcrSnapshot *snapshot, VcrPeerReply *reply, gpointer user_data)
{
  VcrReplicator *self = user_data;

  g_debug ("Snapshot generation %" G_GUINT64_FORMAT " from %s (%s)", snapshot->generation,
           snapshot->origin, vcr_peer_reply_get_peer (reply));
  receive_snapshot (self, snapshot, post_received, reply);
}

static void
get_snapshot_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  VcrPeerReply *reply = data;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  gsize length = 0;
  char *json;

  if (tree == NULL)
    {
      vcr_peer_reply_error (reply, 500, "read-failed", error->message);
      return;
    }
  if (vcr_daemon_get_mode (self->daemon) != VCR_MODE_PRIMARY)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "this node is not the primary");
      return;
    }
  snapshot = build_snapshot (self, tree);
  json = vcr_snapshot_to_json (snapshot, &length);
  vcr_peer_reply_json (reply, json, length);
}

static void
on_get_snapshot (VcrPeerReply *reply, gpointer user_data)
{
  VcrReplicator *self = user_data;

  if (vcr_daemon_get_mode (self->daemon) != VCR_MODE_PRIMARY)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "this node is not the primary");
      return;
    }
  read_running (self, get_snapshot_read_done, reply);
}

static void
get_digests_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  VcrPeerReply *reply = data;
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  VcrState *store = vcr_daemon_get_state_store (self->daemon);
  GPtrArray *paths = vcr_daemon_get_replicated_paths (self->daemon);
  g_autoptr(VcrDigests) digests = NULL;
  gsize length = 0;
  char *json;

  if (tree == NULL)
    {
      vcr_peer_reply_error (reply, 500, "read-failed", error->message);
      return;
    }
  if (settings == NULL || settings->mode == VCR_MODE_DISABLED)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "config replication is not configured");
      return;
    }
  if (settings->mode == VCR_MODE_PRIMARY)
    {
      g_autoptr(VcrSnapshot) snapshot = build_snapshot (self, tree);
      digests = vcr_digests_new ("primary", snapshot->epoch, snapshot->generation);
    }
  else
    {
      const char *epoch = vcr_state_get_applied_epoch (store);
      digests = vcr_digests_new ("replica", epoch != NULL ? epoch : "",
                                 vcr_state_get_applied_generation (store));
    }
  for (guint i = 0; i < settings->paths->len; i++)
    {
      g_autofree char *text = vcr_path_snapshot_text (tree, g_ptr_array_index (settings->paths, i));
      g_autofree char *digest = vcr_digest (text, strlen (text));
      vcr_digests_add (digests, g_ptr_array_index (paths, i), digest);
    }
  json = vcr_digests_to_json (digests, &length);
  vcr_peer_reply_json (reply, json, length);
}

static void
on_get_digests (VcrPeerReply *reply, gpointer user_data)
{
  read_running (user_data, get_digests_read_done, reply);
}

/* ---- Start and stop --------------------------------------------------- */

/* "ADDR:PORT", "[ADDR]:PORT" or ":PORT" → address (NULL: all) and port. */
static gboolean
parse_listen (const char *text, char **address, guint16 *port, GError **error)
{
  const char *colon = strrchr (text, ':');
  g_autofree char *host = NULL;
  guint64 value = 0;

  if (colon == NULL ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS,
                   "--listen \"%s\" is not ADDRESS:PORT", text);
      return FALSE;
    }
  host = g_strndup (text, colon - text);
  if (host[0] == '[' && g_str_has_suffix (host, "]"))
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }
  if (*host != '\0' && !g_hostname_is_ip_address (host))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS,
                   "--listen \"%s\": \"%s\" is not an IP address", text, host);
      return FALSE;
    }
  *address = *host != '\0' ? g_steal_pointer (&host) : NULL;
  *port = (guint16) value;
  return TRUE;
}

static gboolean
start_server (VcrReplicator *self, const VcrSettings *settings, GError **error)
{
  const VcrDaemonOptions *options = vcr_daemon_get_options (self->daemon);
  const VcrPeerHandler handler = {
    .post_snapshot = on_post_snapshot,
    .get_snapshot = on_get_snapshot,
    .get_digests = on_get_digests,
  };
  g_autofree char *address = NULL;
  g_autofree char *key = NULL;
  g_autofree char *bound = NULL;
  guint16 port = settings->port;

  if (options->listen != NULL)
    {
      if (!parse_listen (options->listen, &address, &port, error))
        return FALSE;
    }
  else
    address = g_strdup (settings->listen_address);
  key = g_strdup_printf ("%s|%u", address != NULL ? address : "", port);
  if (self->server != NULL && g_strcmp0 (key, self->listening_on) == 0)
    {
      vcr_peer_server_set_secret (self->server, settings->secret);
      return TRUE;
    }
  if (self->server != NULL)
    vcr_peer_server_stop (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->listening_on, g_free);
  self->server = vcr_peer_server_new (settings->secret, &handler, self);
  if (!vcr_peer_server_listen (self->server, address, port, error))
    {
      g_clear_object (&self->server);
      return FALSE;
    }
  self->listening_on = g_steal_pointer (&key);
  bound = vcr_peer_server_get_address (self->server);
  vcr_daemon_set_listen_address (self->daemon, bound);
  g_message ("Listening for peers on %s", bound);
  return TRUE;
}

/* Cancels what runs for the old settings; callers of a running Push or
 * Pull get an error rather than a result for settings that are gone. */
static void
stop_work (VcrReplicator *self)
{
  g_autoptr(GError) error = g_error_new_literal (VCR_ERROR, VCR_ERROR_PEER_FAILED,
                                                 "cancelled: the settings changed");

  g_clear_handle_id (&self->verify_source, g_source_remove);
  g_clear_handle_id (&self->pull_retry_source, g_source_remove);
  if (self->push_waiters->len > 0)
    fail_push_waiters (self, error);
  for (guint i = 0; i < self->pull_waiters->len; i++)
    g_task_return_error (g_ptr_array_index (self->pull_waiters, i), g_error_copy (error));
  g_ptr_array_set_size (self->pull_waiters, 0);
  self->pulling = FALSE;
  self->pull_attempt = 0;
  g_ptr_array_set_size (self->peers, 0);
  set_snapshot (self, NULL);
}

gboolean
vcr_replicator_start (VcrReplicator *self, GError **error)
{
  const VcrSettings *settings = vcr_daemon_get_settings (self->daemon);
  const VcrDaemonOptions *options = vcr_daemon_get_options (self->daemon);
  guint interval = options->verify_interval > 0 ? options->verify_interval
                                                : DEFAULT_VERIFY_INTERVAL_S;

  stop_work (self);
  if (settings == NULL || settings->mode == VCR_MODE_DISABLED)
    {
      if (self->server != NULL)
        vcr_peer_server_stop (self->server);
      g_clear_object (&self->server);
      g_clear_pointer (&self->listening_on, g_free);
      vcr_daemon_set_listen_address (self->daemon, "");
      return TRUE;
    }
  vcr_peer_client_set_secret (self->client, settings->secret);
  rebuild_peers (self);
  if (!start_server (self, settings, error))
    {
      vcr_daemon_set_state (self->daemon, "error");
      return FALSE;
    }
  publish (self);
  if (settings->mode == VCR_MODE_PRIMARY)
    read_running (self, primary_start_read_done, NULL);
  else
    pull_run (self);
  self->verify_source = g_timeout_add_seconds (interval, verify_tick, self);
  return TRUE;
}

void
vcr_replicator_stop (VcrReplicator *self)
{
  stop_work (self);
  if (self->server != NULL)
    vcr_peer_server_stop (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->listening_on, g_free);
}

gboolean
vcr_replicator_is_applying (VcrReplicator *self)
{
  /* the apply ends when the primary has its answer (SPEC §8) */
  return self->applying ||
         (self->server != NULL && vcr_peer_server_is_answering (self->server));
}

/* ---- Object ----------------------------------------------------------- */

static void
vcr_replicator_dispose (GObject *object)
{
  VcrReplicator *self = VCR_REPLICATOR (object);

  if (self->push_waiters != NULL)
    vcr_replicator_stop (self);
  G_OBJECT_CLASS (vcr_replicator_parent_class)->dispose (object);
}

static void
vcr_replicator_finalize (GObject *object)
{
  VcrReplicator *self = VCR_REPLICATOR (object);

  g_clear_pointer (&self->peers, g_ptr_array_unref);
  g_clear_pointer (&self->push_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->push_results, g_ptr_array_unref);
  g_clear_pointer (&self->pull_waiters, g_ptr_array_unref);
  g_clear_object (&self->client);
  g_free (self->origin);
  G_OBJECT_CLASS (vcr_replicator_parent_class)->finalize (object);
}

static void
vcr_replicator_class_init (VcrReplicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vcr_replicator_dispose;
  object_class->finalize = vcr_replicator_finalize;
}

static void
vcr_replicator_init (VcrReplicator *self)
{
  self->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_retire);
  self->push_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->push_results = g_ptr_array_new_with_free_func ((GDestroyNotify) push_result_free);
  self->pull_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->origin = g_strdup (g_get_host_name ());
}

VcrReplicator *
vcr_replicator_new (VcrDaemon *daemon)
{
  VcrReplicator *self = g_object_new (VCR_TYPE_REPLICATOR, NULL);

  self->daemon = daemon;
  self->client = vcr_peer_client_new ("");
  return self;
}
