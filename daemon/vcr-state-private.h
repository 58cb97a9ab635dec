/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the state store's files share (vcr-state.c: the object and the
 * intent record; vcr-state-file.c: state.json read and made; -writer.c:
 * state.json written; -references.c: the reference copies). Nothing else
 * includes it.
 */
#pragma once

#include "vcr-state.h"

G_BEGIN_DECLS

#define STATE_FILE "state.json"
#define REFERENCE_DIR "reference"
#define UNDO_DIR "undo"
#define STATE_FORMAT 1
/* A state file is small; anything much bigger is not ours. */
#define STATE_MAX_SIZE (16 * 1024 * 1024)

struct _VcrState {
  GObject parent_instance;
  char *dir;
  char *epoch;
  guint64 generation;
  char *applied_epoch;
  guint64 applied_generation;
  GHashTable *acks;          /* peer name → VcrPeerAck* */
  GQueue history;            /* of VcrEvent*, head = newest */
  VcrIntent *intent;         /* nullable */
  char *saved_undo;          /* the undo file the intent on disk names */

  /* The reference copies (vcr-state-references.c). */
  char *reference_dir;       /* the folder in force: "reference" or "reference.N" */
  char *saved_reference_dir; /* the one state.json on disk names */
  GHashTable *references;    /* path → digest of the copy, or path → NULL (none on disk) */
  GHashTable *staged;        /* folder names of updates not committed or freed yet */

  /* Writing state.json (vcr-state-writer.c). */
  guint64 version;           /* grows with every save asked for */
  guint64 durable;           /* the version last written and synced */
  gboolean writing;          /* a write runs in a worker */
  guint write_source;        /* starts the next write */
  guint retry_delay_ms;      /* after a failed write */
  GQueue waiters;            /* of SaveWaiter*, oldest first */
  GError *save_error;        /* the last write's failure; NULL after a success */
  GMutex write_lock;         /* held around the file's write, worker or flush */
  guint64 on_disk;           /* the version in the file (under write_lock) */
  guint64 writes;            /* files written (under write_lock) */
};

/* Loads state.json (vcr-state-file.c). A missing file is a fresh start,
 * a corrupt one is moved aside; FALSE when it is there and cannot be
 * read. */
gboolean vcr_state_load (VcrState *self, GError **error);
/* state.json's text for what is in memory now (vcr-state-file.c). */
char *vcr_state_to_json (VcrState *self, gsize *length);

/* vcr-state.c: "save-status-changed". */
void vcr_state_emit_save_status (VcrState *self);

/* vcr-state-writer.c */
void vcr_state_writer_init (VcrState *self);
void vcr_state_writer_clear (VcrState *self);

/* vcr-state-references.c: after a write that named @written is on disk,
 * the folders neither in force nor on disk nor being made are removed;
 * at load, every folder but the one state.json names. */
void vcr_state_references_saved (VcrState *self, const char *written);
void vcr_state_references_loaded (VcrState *self);
/* Whether @name may be a folder of reference copies. */
gboolean vcr_state_reference_dir_valid (const char *name);

G_END_DECLS
