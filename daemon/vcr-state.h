/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's persistent state, in the state directory ($STATE_DIRECTORY,
 * else --state-dir, else /var/lib/vyos-config-replication; created 0700):
 *
 *   state.json       epoch, generation, acknowledged digests per peer, the
 *                    epoch and generation applied on a replica, the folder
 *                    of its reference copies, the intent record of an
 *                    apply under way, and the history of the last 1,000
 *                    events
 *   reference.N/NAME per replicate path, the snapshot text last applied from
 *                    the primary (NAME is the path, URI-escaped; N grows by
 *                    one per new set of copies; "reference" before the
 *                    first)
 *   undo/NAME        while an apply with an --apply-command is under way:
 *                    what puts the old config back (docs/behaviour.md)
 *
 * Every file is written atomically, so it survives kill -9 at any instant;
 * a new set of reference copies is a new folder, which becomes the
 * reference only when state.json names it, in the same write that records
 * the applied generation: the two never disagree after a crash. state.json
 * is written in a worker, with fsync; changes close together share one
 * write, and a caller that must not go on before its change is on disk
 * (a replica's answer to a push) waits for it with vcr_state_save_async().
 * A write that fails is retried with backoff; until one succeeds,
 * vcr_state_get_save_error() says why and "save-status-changed" told so.
 *
 * Every file read is validated; a corrupt file is logged, moved aside and
 * ignored (the state starts afresh), never a crash. A state.json that is
 * there but cannot be read (EACCES, EIO, a folder) fails vcr_state_new().
 */
#pragma once

#include <gio/gio.h>

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

/* ---- Saving -------------------------------------------------------------- */

/* Has state.json written soon, in a worker (changes made before the write
 * starts go into it too). FALSE, with the reason, while the last write
 * failed: the change is then only in memory until a retry succeeds. */
gboolean vcr_state_save (VcrState *self, GError **error);
/* The same, done once a write that holds every change made so far is on
 * disk (synced), or failed. */
void vcr_state_save_async (VcrState *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean vcr_state_save_finish (VcrState *self, GAsyncResult *result, GError **error);
/* At exit: waits for a write in flight, then writes what is not on disk
 * yet, synchronously. */
void vcr_state_flush (VcrState *self);
/* Why the last write of state.json failed; NULL once one succeeded. */
const GError *vcr_state_get_save_error (VcrState *self);
/* How many times state.json was written (tests and benchmarks). */
guint64 vcr_state_get_writes (VcrState *self);

/* ---- The intent record --------------------------------------------------- */

/* What a replica is applying, written (and synced) before it changes its
 * config and cleared in the write that records the apply: after a crash,
 * start-up finishes or undoes what it names (vcr-replicator-recover.c). */
typedef struct {
  char *epoch;           /* the snapshot's */
  guint64 generation;
  GHashTable *digests;   /* path → digest being applied */
  gboolean command;      /* an --apply-command must still succeed */
  char *undo;            /* nullable: the file in undo/ that puts the old
                          * config back (a name, no folder) */
} VcrIntent;

/* @digests is referenced. */
VcrIntent *vcr_intent_new (const char *epoch, guint64 generation, GHashTable *digests,
                           gboolean command, const char *undo);
void vcr_intent_free (VcrIntent *intent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrIntent, vcr_intent_free)

/* NULL when no apply is under way (or none was left by a crash). */
const VcrIntent *vcr_state_get_intent (VcrState *self);
/* Takes @intent (nullable: clears it); saved with the next write. */
void vcr_state_set_intent (VcrState *self, VcrIntent *intent);
/* A fresh name for the undo material of an apply of @generation, and the
 * full path of a name (both newly allocated). */
char *vcr_state_new_undo_name (VcrState *self, guint64 generation);
char *vcr_state_get_undo_path (VcrState *self, const char *name);
/* Removes every undo file but those the intent in memory and the one on
 * disk name (done after every write of state.json too). */
void vcr_state_remove_stale_undo (VcrState *self);

/* The digest of the reference copy of the replicate path @path (words
 * joined by single spaces): of the snapshot text last applied ("" when the
 * path was absent on the primary), NULL when nothing was applied yet. The
 * copy is read from disk once; only its digest is kept in memory. */
const char *vcr_state_get_reference_digest (VcrState *self, const char *path);
/* A new set of reference copies (of a snapshot whose digests are checked)
 * is made in three steps, so that the copies (megabytes) are written in a
 * worker: prepare (main thread: which copies differ; a new folder for
 * them, unless none does), write (any thread: the folder made and synced,
 * unchanged copies linked from the current one; touches no state;
 * @snapshot must outlive it), commit (main thread: the folder is the
 * reference from now on, saved with the next write of state.json; the old
 * one is removed once that write is on disk). Freeing an update that was
 * not committed removes its folder. */
typedef struct _VcrReferenceUpdate VcrReferenceUpdate;
VcrReferenceUpdate *vcr_state_prepare_references (VcrState *self,
                                                  const VcrSnapshot *snapshot);
gboolean vcr_reference_update_write (VcrReferenceUpdate *update, GError **error);
/* The write in a worker; @update must outlive it. Finish with
 * g_task_propagate_boolean (G_TASK (result), error). */
void vcr_reference_update_write_async (VcrReferenceUpdate *update,
                                       GAsyncReadyCallback callback, gpointer user_data);
void vcr_state_commit_references (VcrState *self, VcrReferenceUpdate *update);
void vcr_reference_update_free (VcrReferenceUpdate *update);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrReferenceUpdate, vcr_reference_update_free)

/* The folder of the reference copies in force (a name in the state
 * directory). */
const char *vcr_state_get_reference_dir (VcrState *self);

G_END_DECLS
