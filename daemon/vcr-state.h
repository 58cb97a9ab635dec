/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's persistent state, in the state directory ($STATE_DIRECTORY,
 * else --state-dir, else /var/lib/vyos-config-replication; created 0700):
 *
 *   state.json       epoch, generation, acknowledged digests per peer, the
 *                    epoch and generation applied on a replica, and the
 *                    history of the last 1,000 events
 *   reference/NAME   per replicate path, the snapshot text last applied from
 *                    the primary (NAME is the path, URI-escaped)
 *
 * Every file is written atomically, so it survives kill -9 at any instant.
 * Every file read is validated; a corrupt file is logged, moved aside and
 * ignored (the state starts afresh), never a crash. A state.json that is
 * there but cannot be read (EACCES, EIO, a folder) fails vcr_state_new().
 */
#pragma once

#include <glib-object.h>

#include "vcr-snapshot.h"

G_BEGIN_DECLS

#define VCR_STATE_HISTORY_MAX 1000

typedef struct {
  gint64 time_us;     /* real time, µs since the epoch */
  char *event;        /* "push", "pull", "apply", "commit-refused", "reload", … */
  char *peer;         /* "" when none */
  guint64 generation;
  GStrv paths;        /* never NULL */
  char *result;       /* "ok" or a message */
} VcrEvent;

VcrEvent *vcr_event_new (const char *event,
                         const char *peer,
                         guint64 generation,
                         const char *const *paths,
                         const char *result);
void vcr_event_free (VcrEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrEvent, vcr_event_free)

typedef struct {
  guint64 generation;      /* the generation the peer acknowledged */
  GHashTable *digests;     /* path string → digest */
} VcrPeerAck;

#define VCR_TYPE_STATE (vcr_state_get_type ())
G_DECLARE_FINAL_TYPE (VcrState, vcr_state, VCR, STATE, GObject)

/* Opens (creating it 0700 when missing) the state directory @dir and loads
 * state.json. Fails when the folder cannot be made or used, or state.json
 * is there and cannot be read. */
VcrState *vcr_state_new (const char *dir, GError **error);

/* @option (--state-dir), else $STATE_DIRECTORY (its first entry), else the
 * default. */
char *vcr_state_pick_dir (const char *option);

const char *vcr_state_get_dir (VcrState *self);

/* The primary's epoch: 32 random hex digits, made once and kept. */
const char *vcr_state_get_epoch (VcrState *self);
guint64 vcr_state_get_generation (VcrState *self);
void vcr_state_set_generation (VcrState *self, guint64 generation);

/* What a replica applied last (epoch NULL and generation 0 when nothing). */
const char *vcr_state_get_applied_epoch (VcrState *self);
guint64 vcr_state_get_applied_generation (VcrState *self);
void vcr_state_set_applied (VcrState *self, const char *epoch, guint64 generation);

/* Acknowledged digests per peer name; NULL when none. */
const VcrPeerAck *vcr_state_get_ack (VcrState *self, const char *peer);
/* Takes @digests (path → digest). */
void vcr_state_set_ack (VcrState *self, const char *peer, guint64 generation,
                        GHashTable *digests);

/* The digests (path → digest) of the newest snapshot a primary built, or
 * NULL: a new generation starts whenever they change. Takes @digests. */
GHashTable *vcr_state_get_snapshot_digests (VcrState *self);
void vcr_state_set_snapshot_digests (VcrState *self, GHashTable *digests);

/* Adds @event (taken) as the newest; keeps the last VCR_STATE_HISTORY_MAX. */
void vcr_state_add_event (VcrState *self, VcrEvent *event);
/* The events, newest first (element 0 is the newest). */
GPtrArray *vcr_state_get_history (VcrState *self);

/* Writes state.json atomically. */
gboolean vcr_state_save (VcrState *self, GError **error);

/* The digest of the reference copy of the replicate path @path (words
 * joined by single spaces): of the snapshot text last applied ("" when the
 * path was absent on the primary), NULL when nothing was applied yet. The
 * copy is read from disk once; only its digest is kept in memory. */
const char *vcr_state_get_reference_digest (VcrState *self, const char *path);
/* Writes the reference copies of @snapshot's paths (their digests already
 * checked), each atomically; a copy that is already on disk with the same
 * digest is not written again. */
gboolean vcr_state_set_references (VcrState *self, const VcrSnapshot *snapshot,
                                   GError **error);

/* The same in three steps, so that the copies (megabytes) are written in a
 * worker while the config is, and put in place only once it is applied:
 * prepare (main thread: which copies differ), write (any thread: synced
 * temporary files; touches no state; @snapshot must outlive it), commit
 * (main thread: renames, then the digests are the reference). Freeing an
 * update removes the temporary files it did not commit. */
typedef struct _VcrReferenceUpdate VcrReferenceUpdate;
VcrReferenceUpdate *vcr_state_prepare_references (VcrState *self,
                                                  const VcrSnapshot *snapshot);
gboolean vcr_reference_update_write (VcrReferenceUpdate *update, GError **error);
gboolean vcr_state_commit_references (VcrState *self, VcrReferenceUpdate *update,
                                      GError **error);
void vcr_reference_update_free (VcrReferenceUpdate *update);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrReferenceUpdate, vcr_reference_update_free)
/* Forgets every reference copy (files removed): used when the replicate
 * paths or the mode change. */
void vcr_state_clear_references (VcrState *self);

G_END_DECLS
