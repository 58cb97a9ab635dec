/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer records (a replica on a primary, the primary on a replica) and
 * the status they make: the Peers and State the daemon shows come from
 * here, reported through "peers-changed" and "state-changed".
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-replicator-private.h"

/* ---- Records ---------------------------------------------------------- */

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
  g_clear_pointer (&peer->own, vcr_snapshot_free);
  g_clear_pointer (&peer->own_sealed, vcr_sealed_payload_unref);
  g_clear_pointer (&peer->own_json, g_bytes_unref);
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
void
vcr_replicator_peer_retire (Peer *peer)
{
  peer->gone = TRUE;
  g_clear_handle_id (&peer->retry_source, g_source_remove);
  if (peer->cancellable != NULL)
    g_cancellable_cancel (peer->cancellable);
  vcr_replicator_peer_unref (peer);
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

/* ---- Status ----------------------------------------------------------- */

static void
peer_status_free (VcrPeerStatus *peer)
{
  g_free (peer->name);
  g_free (peer->address);
  g_free (peer->state);
  g_free (peer->last_error);
  g_free (peer);
}

GPtrArray *
vcr_replicator_peer_status_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) peer_status_free);
}

/* The State, from the peers (SPEC §5). */
static const char *
overall_state (VcrReplicator *self)
{
  guint in_sync = 0, busy = 0;

  if (self->settings == NULL || self->settings->mode == VCR_MODE_DISABLED)
    return "disabled";
  /* Never "in-sync" while what it rests on cannot be saved. */
  if (vcr_state_get_save_error (self->store) != NULL)
    return "error";
  if (self->applying || vcr_join_is_busy (&self->push_join) ||
      vcr_join_is_busy (&self->pull_join))
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

/* Mirrors the peer records into what Peers and State show. */
void
vcr_replicator_publish (VcrReplicator *self)
{
  for (guint i = 0; i < self->shown->len && i < self->peers->len; i++)
    {
      VcrPeerStatus *status = g_ptr_array_index (self->shown, i);
      Peer *peer = g_ptr_array_index (self->peers, i);
      const VcrPeerAck *ack = vcr_state_get_ack (self->store, peer->name);

      g_free (status->state);
      status->state = g_strdup (peer->state);
      g_free (status->last_error);
      status->last_error = g_strdup (peer->last_error);
      status->last_success = peer->last_success;
      if (self->settings->mode == VCR_MODE_REPLICA)
        status->acknowledged = vcr_state_get_applied_generation (self->store);
      else
        status->acknowledged = ack != NULL ? ack->generation : 0;
    }
  vcr_replicator_emit_peers_changed (self);
  vcr_replicator_set_state (self, overall_state (self));
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

/* ---- After a reload ---------------------------------------------------- */

static char *
format_address (const char *address, guint16 port)
{
  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", address, port);
  return g_strdup_printf ("%s:%u", address, port);
}

/* Whether each replicate path of the running config (@running: path →
 * digest, nullable: unknown) is what it should be: on a replica the
 * reference copy, on a primary what the peer acknowledged (@ack). */
static gboolean
paths_match (VcrReplicator *self, GHashTable *running, const VcrPeerAck *ack)
{
  if (running == NULL)
    return FALSE;
  for (guint i = 0; self->settings->path_strings[i] != NULL; i++)
    {
      const char *path = self->settings->path_strings[i];
      const char *wanted = ack == NULL ? vcr_state_get_reference_digest (self->store, path)
                                       : g_hash_table_lookup (ack->digests, path);

      if (g_strcmp0 (wanted, g_hash_table_lookup (running, path)) != 0)
        return FALSE;
    }
  return TRUE;
}

/* One status per peer of the new settings, in sync as far as the state
 * store and the running config read by the reload tell (what shows should
 * the listener fail), and the State they make. */
static void
initial_status (VcrReplicator *self)
{
  const VcrSettings *settings = self->settings;
  GHashTable *running = vcr_running_peek_digests (self->running);
  guint in_sync = 0;

  g_ptr_array_set_size (self->shown, 0);
  for (guint i = 0; i < settings->peers->len; i++)
    {
      const VcrPeerSettings *ps = g_ptr_array_index (settings->peers, i);
      const VcrPeerAck *ack = vcr_state_get_ack (self->store, ps->name);
      VcrPeerStatus *status = g_new0 (VcrPeerStatus, 1);
      gboolean ok;

      if (settings->mode == VCR_MODE_PRIMARY)
        ok = ack != NULL && paths_match (self, running, ack);
      else
        ok = vcr_state_get_applied_epoch (self->store) != NULL &&
             paths_match (self, running, NULL);
      status->name = g_strdup (ps->name);
      status->address = format_address (ps->address, ps->port);
      /* a replica with overrides acknowledged digests of its own, which
       * only the start's read of the config makes again */
      if (settings->mode == VCR_MODE_PRIMARY && ps->overrides->len > 0)
        status->state = g_strdup (ok ? "in-sync" : "unknown");
      else
        status->state = g_strdup (ok ? "in-sync" : "out-of-sync");
      status->acknowledged = ack != NULL ? ack->generation : 0;
      status->last_error = g_strdup ("");
      in_sync += ok ? 1 : 0;
      g_ptr_array_add (self->shown, status);
    }
  vcr_replicator_emit_peers_changed (self);
  if (settings->mode == VCR_MODE_DISABLED)
    vcr_replicator_set_state (self, "disabled");
  else if (vcr_state_get_save_error (self->store) != NULL)
    vcr_replicator_set_state (self, "error");
  else if (in_sync == self->shown->len)
    vcr_replicator_set_state (self, "in-sync");
  else if (in_sync > 0)
    vcr_replicator_set_state (self, "degraded");
  else
    vcr_replicator_set_state (self, "out-of-sync");
}

/* The peer records and their status for the settings in force. */
void
vcr_replicator_rebuild_peers (VcrReplicator *self)
{
  const VcrSettings *settings = self->settings;

  g_ptr_array_set_size (self->peers, 0);
  initial_status (self);
  if (settings->mode == VCR_MODE_DISABLED)
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
      peer->overrides = ps->overrides->len > 0;
      g_ptr_array_add (self->peers, peer);
    }
}
