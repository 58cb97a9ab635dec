/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A primary's snapshot: built from the running config for one set of
 * settings (the texts and digests come from vcr_mask_path_texts(), the one
 * place that renders and hashes what is replicated), numbered by
 * generation, sealed once for all replicas (protocol v2: each replica
 * gets a lock of its own around the same sealed payload); and the digest
 * tables the push and verification compare.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-mask.h"
#include "vcr-replicator-private.h"

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

/* The snapshot of the replicate paths of @settings in @tree. On a primary
 * the generation grows by one whenever the digests differ from the last
 * snapshot built (kept in the state store, so it survives restarts). */
VcrSnapshot *
vcr_replicator_build_snapshot (VcrReplicator *self, const VcrSettings *settings,
                               const VcrTree *tree)
{
  VcrState *store = self->store;
  g_autoptr(VcrSnapshot) snapshot =
    vcr_snapshot_new (self->origin, vcr_state_get_epoch (store),
                      vcr_state_get_generation (store));
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(GPtrArray) texts = vcr_mask_path_texts (tree, settings, NULL);

    for (guint i = 0; i < texts->len; i++)
      {
        const VcrPathText *t = g_ptr_array_index (texts, i);
        vcr_snapshot_add (snapshot, t->path, t->text, t->digest);
      }
  }
  if (!vcr_replicator_digests_match (vcr_state_get_snapshot_digests (store), snapshot))
    {
      snapshot->generation = vcr_state_get_generation (store) + 1;
      vcr_state_set_generation (store, snapshot->generation);
      vcr_state_set_snapshot_digests (store, vcr_replicator_digest_table (snapshot));
      if (!vcr_state_save (store, &error))
        g_warning ("Cannot save the state: %s, ignoring", error->message);
      vcr_replicator_emit_generation_changed (self);
      g_message ("New snapshot, generation %" G_GUINT64_FORMAT, snapshot->generation);
    }
  return g_steal_pointer (&snapshot);
}

/* Replaces the newest snapshot (@snapshot may be NULL); it is sealed
 * when first sent. */
void
vcr_replicator_set_snapshot (VcrReplicator *self, VcrSnapshot *snapshot)
{
  g_clear_pointer (&self->snapshot, vcr_snapshot_free);
  g_clear_pointer (&self->snapshot_sealed, vcr_sealed_payload_unref);
  g_clear_pointer (&self->snapshot_json, g_bytes_unref);
  self->snapshot = snapshot;
}

/* From now on only the sealed payload is sent and only the digests are
 * compared: the texts (megabytes) need not be kept twice. With
 * allow-protocol-v1 a v1-only replica may need them for its JSON. */
static void
drop_texts (VcrReplicator *self)
{
  if (self->settings != NULL && self->settings->allow_v1 && self->snapshot_json == NULL)
    return;
  for (guint i = 0; i < self->snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *entry = g_ptr_array_index (self->snapshot->entries, i);

      g_clear_pointer (&entry->config, g_free);
      entry->config_len = 0;
    }
}

/* The snapshot's v2 payload, sealed once (and, with allow-protocol-v1,
 * its v1 JSON made now, while its texts are there). */
gboolean
vcr_replicator_seal_snapshot (VcrReplicator *self, GError **error)
{
  if (self->snapshot_sealed != NULL)
    return TRUE;
  self->snapshot_sealed = vcr_peer_seal_snapshot (self->snapshot, error);
  if (self->snapshot_sealed == NULL)
    return FALSE;
  if (self->settings != NULL && self->settings->allow_v1)
    vcr_replicator_snapshot_json (self);
  drop_texts (self);
  return TRUE;
}

/* The v1 body (allow-protocol-v1), made before the texts are dropped. */
GBytes *
vcr_replicator_snapshot_json (VcrReplicator *self)
{
  if (self->snapshot_json == NULL)
    {
      gsize len = 0;
      char *json = vcr_snapshot_to_json (self->snapshot, &len);

      self->snapshot_json = g_bytes_new_take (json, len);
    }
  return self->snapshot_json;
}
