/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer server's handlers: POST /v1/snapshot hands the snapshot to the
 * receive path; GET /v1/snapshot, GET /v1/digests and GET /v1/texts (a
 * replica's texts, for the primary's dry run) answer from the running
 * config.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-mask.h"
#include "vcr-replicator-private.h"

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

void
vcr_replicator_on_post_snapshot (VcrSnapshot *snapshot, VcrPeerReply *reply, gpointer user_data)
{
  VcrReplicator *self = user_data;

  g_debug ("Snapshot generation %" G_GUINT64_FORMAT " from %s (%s)", snapshot->generation,
           snapshot->origin, vcr_peer_reply_get_peer (reply));
  vcr_replicator_receive_snapshot (self, snapshot, post_received, reply);
}

/* A GET, answered for the settings in force when it arrived. */
typedef struct {
  VcrPeerReply *reply;
  VcrSettings *settings;
  GInetAddress *remote;     /* nullable: where it came from */
} ServeCall;

static ServeCall *
serve_call_new (VcrReplicator *self, VcrPeerReply *reply)
{
  ServeCall *call = g_new0 (ServeCall, 1);

  call->reply = reply;
  call->settings = vcr_settings_ref (self->settings);
  if (vcr_peer_reply_get_remote_address (reply) != NULL)
    call->remote = g_object_ref (vcr_peer_reply_get_remote_address (reply));
  return call;
}

static void
serve_call_free (ServeCall *call)
{
  vcr_settings_unref (call->settings);
  g_clear_object (&call->remote);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ServeCall, serve_call_free)

/* FALSE (answered) when the running config could not be read, or a
 * reload came while it was: the answer would be for settings that are
 * gone. */
static gboolean
serve_read_ok (VcrReplicator *self, ServeCall *call, const VcrTree *tree, const GError *error)
{
  if (tree == NULL)
    {
      vcr_peer_reply_error (call->reply, 500, "read-failed", error->message);
      return FALSE;
    }
  if (!vcr_replicator_is_current (self, call->settings))
    {
      vcr_peer_reply_error (call->reply, 503, "busy", "the settings changed; try again");
      return FALSE;
    }
  return TRUE;
}

/* The primary's snapshot for the replica a GET came from: its own when
 * it has overrides (recognised by its address), else the shared one. */
static VcrSnapshot *
primary_snapshot_for (VcrReplicator *self, ServeCall *call, const VcrTree *tree)
{
  g_autoptr(VcrSnapshot) shared = vcr_replicator_build_snapshot (self, call->settings, tree);
  const VcrPeerSettings *requester = vcr_replicator_requester (call->settings, call->remote);
  VcrSnapshot *own = requester != NULL
    ? vcr_replicator_own_snapshot (self, call->settings, tree, shared, requester)
    : NULL;

  return own != NULL ? own : g_steal_pointer (&shared);
}

static void
get_snapshot_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  g_autoptr(ServeCall) call = data;
  g_autoptr(VcrSnapshot) snapshot = NULL;

  if (!serve_read_ok (self, call, tree, error))
    return;
  snapshot = primary_snapshot_for (self, call, tree);
  vcr_peer_reply_snapshot (call->reply, snapshot);
}

void
vcr_replicator_on_get_snapshot (VcrPeerReply *reply, gpointer user_data)
{
  VcrReplicator *self = user_data;

  if (self->settings->mode != VCR_MODE_PRIMARY)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "this node is not the primary");
      return;
    }
  vcr_replicator_read_running (self, get_snapshot_read_done, serve_call_new (self, reply));
}

/* A replica's texts as replication carries them (its exclusions left
 * out, as its digests are made), with its exclusions and those of them it
 * holds something at: what the primary's dry run diffs against. */
static VcrSnapshot *
replica_texts (VcrReplicator *self, const VcrSettings *settings, const VcrTree *tree)
{
  const char *epoch = vcr_state_get_applied_epoch (self->store);
  g_autoptr(VcrSnapshot) snapshot =
    vcr_snapshot_new (self->origin, epoch != NULL ? epoch : "",
                      vcr_state_get_applied_generation (self->store));
  g_autoptr(GPtrArray) texts = vcr_mask_path_texts (tree, settings, NULL);
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_auto(GStrv) kept_strings = NULL;

  for (guint i = 0; i < texts->len; i++)
    {
      const VcrPathText *t = g_ptr_array_index (texts, i);
      vcr_snapshot_add (snapshot, t->path, t->text, t->digest);
    }
  for (guint i = 0; i < settings->excludes->len; i++)
    if (vcr_tree_lookup (tree, g_ptr_array_index (settings->excludes, i)) != NULL)
      g_strv_builder_add (kept, settings->exclude_strings[i]);
  kept_strings = g_strv_builder_end (kept);
  vcr_snapshot_set_excludes (snapshot, (const char *const *) settings->exclude_strings);
  vcr_snapshot_set_kept (snapshot, (const char *const *) kept_strings);
  return g_steal_pointer (&snapshot);
}

static void
get_texts_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  g_autoptr(ServeCall) call = data;
  g_autoptr(VcrSnapshot) snapshot = NULL;

  if (!serve_read_ok (self, call, tree, error))
    return;
  snapshot = replica_texts (self, call->settings, tree);
  vcr_peer_reply_snapshot (call->reply, snapshot);
}

/* Read-only: it changes nothing, not even the replica's state. */
void
vcr_replicator_on_get_texts (VcrPeerReply *reply, gpointer user_data)
{
  VcrReplicator *self = user_data;

  if (self->settings->mode != VCR_MODE_REPLICA)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "this node is not a replica");
      return;
    }
  vcr_replicator_read_running (self, get_texts_read_done, serve_call_new (self, reply));
}

static void
get_digests_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  g_autoptr(ServeCall) call = data;
  const VcrSettings *settings = call->settings;
  g_autoptr(VcrDigests) digests = NULL;
  gsize length = 0;
  char *json;

  if (!serve_read_ok (self, call, tree, error))
    return;
  if (settings->mode == VCR_MODE_PRIMARY)
    {
      /* The snapshot has the digests (and the generation they make). */
      g_autoptr(VcrSnapshot) snapshot = primary_snapshot_for (self, call, tree);

      digests = vcr_digests_new ("primary", snapshot->epoch, snapshot->generation);
      for (guint i = 0; i < snapshot->entries->len; i++)
        {
          const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);
          vcr_digests_add (digests, entry->path, entry->digest);
        }
    }
  else
    {
      const char *epoch = vcr_state_get_applied_epoch (self->store);
      g_autoptr(GHashTable) own = vcr_mask_path_digests (tree, settings, NULL);

      digests = vcr_digests_new ("replica", epoch != NULL ? epoch : "",
                                 vcr_state_get_applied_generation (self->store));
      for (guint i = 0; settings->path_strings[i] != NULL; i++)
        vcr_digests_add (digests, settings->path_strings[i],
                         g_hash_table_lookup (own, settings->path_strings[i]));
    }
  json = vcr_digests_to_json (digests, &length);
  vcr_peer_reply_json (call->reply, json, length);
}

void
vcr_replicator_on_get_digests (VcrPeerReply *reply, gpointer user_data)
{
  VcrReplicator *self = user_data;

  if (self->settings->mode == VCR_MODE_DISABLED)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "config replication is not configured");
      return;
    }
  vcr_replicator_read_running (self, get_digests_read_done, serve_call_new (self, reply));
}
