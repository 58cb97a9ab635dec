/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replicate paths of one set of settings as an index, for
 * IsPathManaged (SPEC §3): which replicate path, if any, a path given as
 * words lies under. Anyone may ask, so the words are bounded (at most
 * VCR_PATH_MANAGED_MAX_WORDS and VCR_PATH_MANAGED_MAX_BYTES in total,
 * InvalidPath beyond) and the time is linear in them: only as many
 * leading words as the deepest replicate path has are looked up, each
 * prefix once.
 */
#pragma once

#include <glib.h>

#include "vcr-settings.h"

G_BEGIN_DECLS

/* A VyOS config path is a few dozen words at most. */
#define VCR_PATH_MANAGED_MAX_WORDS 256
#define VCR_PATH_MANAGED_MAX_BYTES 4096

typedef struct _VcrPathIndex VcrPathIndex;

/* The index of the replicate paths of @settings (referenced). */
VcrPathIndex *vcr_path_index_new (VcrSettings *settings);
void vcr_path_index_free (VcrPathIndex *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrPathIndex, vcr_path_index_free)

/* Checks @words: FALSE with VCR_ERROR_INVALID_PATH when there are none,
 * one is empty, holds white space or is not UTF-8, or they are beyond the
 * limits above. */
gboolean vcr_path_index_check (const char *const *words, GError **error);

/* Checks @words (vcr_path_index_check()), then sets @replicate_path to the
 * replicate path they lie under (borrowed from the index), or NULL. */
gboolean vcr_path_index_lookup (VcrPathIndex *self, const char *const *words,
                                const char **replicate_path, GError **error);

/* How many prefixes the last lookup looked up (for tests). */
guint vcr_path_index_last_probes (const VcrPathIndex *self);

G_END_DECLS
