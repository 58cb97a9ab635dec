/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer server's handlers: POST /v1/snapshot hands the snapshot to the
 * receive path; GET /v1/snapshot and GET /v1/digests answer from the
 * running config.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

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
  snapshot = vcr_replicator_build_snapshot (self, tree);
  json = vcr_snapshot_to_json (snapshot, &length);
  vcr_peer_reply_json (reply, json, length);
}

void
vcr_replicator_on_get_snapshot (VcrPeerReply *reply, gpointer user_data)
{
  VcrReplicator *self = user_data;

  if (vcr_daemon_get_mode (self->daemon) != VCR_MODE_PRIMARY)
    {
      vcr_peer_reply_error (reply, 409, "wrong-mode", "this node is not the primary");
      return;
    }
  vcr_replicator_read_running (self, get_snapshot_read_done, reply);
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
      /* The snapshot has the digests (and the generation they make). */
      g_autoptr(VcrSnapshot) snapshot = vcr_replicator_build_snapshot (self, tree);

      digests = vcr_digests_new ("primary", snapshot->epoch, snapshot->generation);
      for (guint i = 0; i < snapshot->entries->len; i++)
        {
          const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);
          vcr_digests_add (digests, entry->path, entry->digest);
        }
    }
  else
    {
      const char *epoch = vcr_state_get_applied_epoch (store);

      digests = vcr_digests_new ("replica", epoch != NULL ? epoch : "",
                                 vcr_state_get_applied_generation (store));
      for (guint i = 0; i < settings->paths->len; i++)
        {
          g_autofree char *text = vcr_path_snapshot_text (tree, g_ptr_array_index (settings->paths, i));
          g_autofree char *digest = vcr_digest (text, strlen (text));
          vcr_digests_add (digests, g_ptr_array_index (paths, i), digest);
        }
    }
  json = vcr_digests_to_json (digests, &length);
  vcr_peer_reply_json (reply, json, length);
}

void
vcr_replicator_on_get_digests (VcrPeerReply *reply, gpointer user_data)
{
  vcr_replicator_read_running (user_data, get_digests_read_done, reply);
}
