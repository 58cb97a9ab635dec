/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replicator (see vcr-replicator.h for the whole picture). This file
 * holds what every part uses: the peer records, mirrored into the daemon's
 * Peers and State properties; the snapshot a primary builds from its
 * running config; start, stop and the object. Reading guide for the rest:
 * vcr-replicator-push.c sends snapshots, vcr-replicator-receive.c is a
 * replica's side of both push and pull (the rules of SPEC §7, then the
 * apply), vcr-replicator-pull.c and vcr-replicator-serve.c are thin on top.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-replicator-private.h"

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

void
vcr_push_result_free (VcrPushResult *r)
{
  g_free (r->replica);
  g_free (r->message);
  g_free (r);
}

VcrPushResult *
vcr_push_result_new (const char *replica, gboolean ok, guint64 generation, const char *message)
{
  VcrPushResult *r = g_new0 (VcrPushResult, 1);
  r->replica = g_strdup (replica);
  r->ok = ok;
  r->generation = generation;
  r->message = g_strdup (message);
  return r;
}

void
vcr_verify_result_free (VcrVerifyResult *r)
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

Peer *
vcr_replicator_peer_ref (Peer *peer)
{
  return g_rc_box_acquire (peer);
}

void
vcr_replicator_peer_unref (Peer *peer)
{
  g_rc_box_release_full (peer, (GDestroyNotify) peer_clear);
}


/* Drops a peer from service: nothing it started may act any more. */
static void
peer_retire (Peer *peer)
{
  peer->gone = TRUE;
  g_clear_handle_id (&peer->retry_source, g_source_remove);
  if (peer->cancellable != NULL)
    g_cancellable_cancel (peer->cancellable);
  vcr_replicator_peer_unref (peer);
}

GStrv
vcr_replicator_replicate_paths (VcrReplicator *self)
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
void
vcr_replicator_publish (VcrReplicator *self)
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

void
vcr_replicator_peer_set_state (VcrReplicator *self, Peer *peer, const char *state, const char *error)
{
  g_free (peer->state);
  peer->state = g_strdup (state);
  if (error != NULL)
    {
      g_free (peer->last_error);
      peer->last_error = g_strdup (error);
    }
  vcr_replicator_publish (self);
}

void
vcr_replicator_peer_succeeded (VcrReplicator *self, Peer *peer)
{
  peer->attempt = 0;
  peer->last_success = g_get_real_time ();
  vcr_replicator_peer_set_state (self, peer, "in-sync", "");
}

/* A fresh cancellable for the next request to @peer; the previous one, if
 * still in flight, is cancelled (it is superseded). */
GCancellable *
vcr_replicator_peer_begin (Peer *peer)
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

void
vcr_replicator_add_event (VcrReplicator *self, const char *event, const char *peer,
           guint64 generation, const char *result)
{
  g_auto(GStrv) paths = vcr_replicator_replicate_paths (self);
  vcr_daemon_add_event (self->daemon,
                        vcr_event_new (event, peer, generation,
                                       (const char *const *) paths, result));
}

/* ---- Snapshots -------------------------------------------------------- */

GHashTable *
vcr_replicator_digest_table (const VcrSnapshot *snapshot)
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
gboolean
vcr_replicator_digests_match (GHashTable *digests, const VcrSnapshot *snapshot)
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
VcrSnapshot *
vcr_replicator_build_snapshot (VcrReplicator *self, const VcrTree *tree)
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
  if (!vcr_replicator_digests_match (vcr_state_get_snapshot_digests (store), snapshot))
    {
      snapshot->generation = vcr_state_get_generation (store) + 1;
      vcr_state_set_generation (store, snapshot->generation);
      vcr_state_set_snapshot_digests (store, vcr_replicator_digest_table (snapshot));
      if (!vcr_state_save (store, &error))
        g_warning ("Cannot save the state: %s, ignoring", error->message);
      vcr_daemon_notify (self->daemon, "Generation");
      g_message ("New snapshot, generation %" G_GUINT64_FORMAT, snapshot->generation);
    }
  return g_steal_pointer (&snapshot);
}

/* Replaces the newest snapshot (@snapshot may be NULL); its JSON is made
 * when first sent. */
void
vcr_replicator_set_snapshot (VcrReplicator *self, VcrSnapshot *snapshot)
{
  g_clear_pointer (&self->snapshot, vcr_snapshot_free);
  g_clear_pointer (&self->snapshot_json, g_bytes_unref);
  self->snapshot = snapshot;
}

GBytes *
vcr_replicator_snapshot_json (VcrReplicator *self)
{
  if (self->snapshot_json == NULL)
    {
      gsize len = 0;
      char *json = vcr_snapshot_to_json (self->snapshot, &len);

      self->snapshot_json = g_bytes_new_take (json, len);
      /* From now on only the JSON is sent, and only the digests are
       * compared: the texts (megabytes) need not be kept twice. */
      for (guint i = 0; i < self->snapshot->entries->len; i++)
        {
          VcrSnapshotEntry *entry = g_ptr_array_index (self->snapshot->entries, i);

          g_clear_pointer (&entry->config, g_free);
          entry->config_len = 0;
        }
    }
  return self->snapshot_json;
}


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

void
vcr_replicator_read_running (VcrReplicator *self, TreeReady done, gpointer data)
{
  ReadCall *call = g_new0 (ReadCall, 1);

  call->self = g_object_ref (self);
  call->done = done;
  call->data = data;
  vcr_backend_read_async (vcr_daemon_get_backend (self->daemon), NULL, read_done, call);
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
    .post_snapshot = vcr_replicator_on_post_snapshot,
    .get_snapshot = vcr_replicator_on_get_snapshot,
    .get_digests = vcr_replicator_on_get_digests,
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
  /* The same server object on the new address: its nonce memory stays
   * (a request taken on the old address cannot be replayed on the new). */
  if (self->server != NULL)
    vcr_peer_server_stop (self->server);
  else
    self->server = vcr_peer_server_new (settings->secret, &handler, self);
  vcr_peer_server_set_secret (self->server, settings->secret);
  g_clear_pointer (&self->listening_on, g_free);
  if (!vcr_peer_server_listen (self->server, address, port, error))
    return FALSE;
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
    vcr_replicator_fail_push_waiters (self, error);
  for (guint i = 0; i < self->pull_waiters->len; i++)
    g_task_return_error (g_ptr_array_index (self->pull_waiters, i), g_error_copy (error));
  g_ptr_array_set_size (self->pull_waiters, 0);
  self->pulling = FALSE;
  self->pull_attempt = 0;
  g_ptr_array_set_size (self->peers, 0);
  vcr_replicator_set_snapshot (self, NULL);
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
  vcr_replicator_publish (self);
  if (settings->mode == VCR_MODE_PRIMARY)
    vcr_replicator_read_running (self, vcr_replicator_primary_start_read_done, NULL);
  else
    vcr_replicator_pull_run (self);
  self->verify_source = g_timeout_add_seconds (interval, vcr_replicator_verify_tick, self);
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
  self->push_results = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_push_result_free);
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
