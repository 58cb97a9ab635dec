/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A primary's snapshot: built from the running config for one set of
 * settings (the texts and digests come from vcr_mask_path_texts(), the one
 * place that renders and hashes what is replicated), numbered by
 * generation, sealed once for all replicas (protocol v2: each replica
 * gets a lock of its own around the same sealed payload); a replica with
 * overrides gets a snapshot of its own (same epoch and generation, its
 * texts and digests), sealed for it alone; and the digest tables the push
 * and verification compare.
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
  /* a replica with other exclusions refuses it (409 path-mismatch) */
  vcr_snapshot_set_excludes (snapshot, (const char *const *) settings->exclude_strings);
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

static void
drop_entry_texts (VcrSnapshot *snapshot)
{
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);

      g_clear_pointer (&entry->config, g_free);
      entry->config_len = 0;
    }
}

/* From now on only the sealed payload is sent and only the digests are
 * compared: the texts (megabytes) need not be kept twice. With
 * allow-protocol-v1 a v1-only replica may need them for its JSON. */
static void
drop_texts (VcrReplicator *self)
{
  if (self->settings != NULL && self->settings->allow_v1 && self->snapshot_json == NULL)
    return;
  drop_entry_texts (self->snapshot);
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

/* ---- per-replica overrides ------------------------------------------- */

const VcrPeerSettings *
vcr_replicator_peer_settings (const VcrSettings *settings, const char *name)
{
  for (guint i = 0; i < settings->peers->len; i++)
    {
      const VcrPeerSettings *p = g_ptr_array_index (settings->peers, i);

      if (g_strcmp0 (p->name, name) == 0)
        return p;
    }
  return NULL;
}

/* What @peer (a replica's settings, nullable) receives when it has
 * overrides: its own texts (vcr_mask_path_texts() with its overrides)
 * and their digests, under @shared's origin, epoch, generation and
 * exclusions; NULL when it has none (it shares @shared). */
VcrSnapshot *
vcr_replicator_own_snapshot (VcrReplicator *self, const VcrSettings *settings,
                             const VcrTree *tree, const VcrSnapshot *shared,
                             const VcrPeerSettings *peer)
{
  g_autoptr(VcrSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) texts = NULL;

  if (peer == NULL || peer->overrides->len == 0)
    return NULL;
  snapshot = vcr_snapshot_new (shared->origin, shared->epoch, shared->generation);
  texts = vcr_mask_path_texts (tree, settings, peer);
  for (guint i = 0; i < texts->len; i++)
    {
      const VcrPathText *t = g_ptr_array_index (texts, i);
      vcr_snapshot_add (snapshot, t->path, t->text, t->digest);
    }
  vcr_snapshot_set_excludes (snapshot, (const char *const *) settings->exclude_strings);
  return g_steal_pointer (&snapshot);
}

/* The newest snapshots of @tree for @settings (those in force): the
 * shared one, and one of its own for each replica with overrides. Only
 * the shared one's digests make the generation. */
void
vcr_replicator_set_snapshots (VcrReplicator *self, const VcrSettings *settings,
                              const VcrTree *tree)
{
  VcrSnapshot *shared = vcr_replicator_build_snapshot (self, settings, tree);

  vcr_replicator_set_snapshot (self, shared);
  for (guint i = 0; i < self->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (self->peers, i);

      g_clear_pointer (&peer->own, vcr_snapshot_free);
      g_clear_pointer (&peer->own_sealed, vcr_sealed_payload_unref);
      g_clear_pointer (&peer->own_json, g_bytes_unref);
      if (peer->overrides)
        peer->own = vcr_replicator_own_snapshot (self, settings, tree, shared,
                                                 vcr_replicator_peer_settings (settings,
                                                                               peer->name));
    }
}

/* What @peer should hold: its own snapshot (NULL while not made yet) or
 * the shared one. */
const VcrSnapshot *
vcr_replicator_peer_snapshot (VcrReplicator *self, Peer *peer)
{
  return peer->overrides ? peer->own : self->snapshot;
}

/* The sealed payload (and, with allow-protocol-v1, the v1 JSON) to send
 * @peer: the shared one, or its own, sealed the first time. */
gboolean
vcr_replicator_seal_for_peer (VcrReplicator *self, Peer *peer, VcrSealedPayload **sealed,
                              GBytes **json, GError **error)
{
  gboolean v1 = self->settings != NULL && self->settings->allow_v1;

  if (!peer->overrides)
    {
      if (!vcr_replicator_seal_snapshot (self, error))
        return FALSE;
      *sealed = self->snapshot_sealed;
      *json = v1 ? self->snapshot_json : NULL;
      return TRUE;
    }
  if (peer->own == NULL)
    {
      g_set_error_literal (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                           "its snapshot (with its overrides) is not made yet");
      return FALSE;
    }
  if (peer->own_sealed == NULL)
    {
      peer->own_sealed = vcr_peer_seal_snapshot (peer->own, error);
      if (peer->own_sealed == NULL)
        return FALSE;
      if (v1)
        {
          gsize len = 0;
          char *text = vcr_snapshot_to_json (peer->own, &len);

          peer->own_json = g_bytes_new_take (text, len);
        }
      drop_entry_texts (peer->own);
    }
  *sealed = peer->own_sealed;
  *json = peer->own_json;
  return TRUE;
}

/* The replica with overrides whose configured address (an IP literal)
 * is @remote, the address a GET came from, or NULL: a replica's own pull
 * and verify must see its own snapshot and digests, not the shared ones.
 * A replica configured by host name is not recognised this way. */
const VcrPeerSettings *
vcr_replicator_requester (const VcrSettings *settings, GInetAddress *remote)
{
  g_autofree char *from = NULL;
  const VcrPeerSettings *peer;

  if (remote == NULL)
    return NULL;
  from = g_inet_address_to_string (remote);
  peer = vcr_settings_peer_at (settings, from);
  return peer != NULL && peer->overrides->len > 0 ? peer : NULL;
}
