/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the bus last announced of each property that emits
 * PropertiesChanged. The daemon hands it every property's value after
 * anything that may have changed one, and announces exactly those that
 * differ: none changes unannounced (a replica's Generation moves with the
 * state store, which reports nothing of its own), none is announced
 * unchanged. GLib only, so that it can be tested alone.
 */
#pragma once

#include <glib.h>

#include "vcr-replicator.h"

G_BEGIN_DECLS

/* The values of SPEC §5's properties (Version is constant). */
typedef struct {
  const char *mode;
  const char *state;
  const char *const *replicated_paths;
  guint64 generation;
  GPtrArray *peers;               /* of VcrPeerStatus* */
  const char *listen_address;
  GPtrArray *warnings;            /* of char*, nullable */
} VcrShownValues;

typedef struct _VcrShown VcrShown;

VcrShown *vcr_shown_new (void);
void vcr_shown_free (VcrShown *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrShown, vcr_shown_free)

/* The names of the properties whose value in @values differs from the
 * one last announced (all of them the first time), in the order of the
 * interface; those values count as announced from now on. Free with
 * g_ptr_array_unref(); the names are static. */
GPtrArray *vcr_shown_update (VcrShown *self, const VcrShownValues *values);

G_END_DECLS
