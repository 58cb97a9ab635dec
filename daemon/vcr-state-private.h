/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the state store's files share (vcr-state.c: the object;
 * vcr-state-file.c: state.json; vcr-state-references.c: the reference
 * copies). Nothing else includes it.
 */
#pragma once

#include "vcr-state.h"

G_BEGIN_DECLS

#define STATE_FILE "state.json"
#define REFERENCE_DIR "reference"
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
  GHashTable *references;    /* path → digest of the copy, or path → NULL (none on disk) */
};

/* Loads state.json (vcr-state-file.c). A missing file is a fresh start,
 * a corrupt one is moved aside; FALSE when it is there and cannot be
 * read. */
gboolean vcr_state_load (VcrState *self, GError **error);

G_END_DECLS
