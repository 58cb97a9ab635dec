/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running config as this node last read or wrote it, and the
 * reference a replica is applying right now: what the daemon's CheckCommit
 * and the replicator's receive share. Both are handed this object by their
 * creator (the daemon), so neither calls into the other for it.
 *
 * An entry is kept while the backend's stamp says the config did not
 * change: the digest of each replicated subtree and the rest of the tree,
 * copied without those subtrees (megabytes a router need not keep twice)
 * but with what lies at their exclusions, which a replica keeps as it is
 * when it takes a snapshot (vcr_mask_copy_pruned()).
 * It is made for one set of replicate paths and exclusions, and is only
 * ever handed out for settings with the same ones: a tree pruned for one
 * set would lose a subtree that another set keeps local, and its digests
 * leave out what the other's exclusions leave out.
 */
#pragma once

#include <glib-object.h>

#include "vcr-settings.h"
#include "vcr-tree.h"

G_BEGIN_DECLS

#define VCR_TYPE_RUNNING (vcr_running_get_type ())
G_DECLARE_FINAL_TYPE (VcrRunning, vcr_running, VCR, RUNNING, GObject)

VcrRunning *vcr_running_new (void);

/* The settings now in force (referenced): the entry is dropped, since it
 * was made for the previous ones. */
void vcr_running_set_settings (VcrRunning *self, VcrSettings *settings);

/* Caches @tree (taken), the running config read or written at the
 * backend stamp @stamp (taken, nullable), for @settings: @digests (taken,
 * nullable) are the digests of its replicated subtrees (path → digest),
 * computed from @tree when NULL (then @tree must be whole; given digests,
 * it may already lack those subtrees). Without a stamp only the digests
 * are kept (the tree could not be checked later). Dropped, leaving the
 * entry as it was, when @settings do not replicate the paths of the
 * settings in force. */
void vcr_running_put (VcrRunning *self, const VcrSettings *settings, VcrTree *tree,
                      char *stamp, GHashTable *digests);

/* The digests of the entry (borrowed) when it was made for the paths of
 * @settings and is still at @stamp (non-NULL); NULL otherwise. */
GHashTable *vcr_running_lookup (VcrRunning *self, const VcrSettings *settings,
                                const char *stamp);

/* The same, but the entry is taken out of the cache: its tree (without
 * its replicated subtrees) is returned and its digests stored in
 * @digests. NULL (and @digests NULL) when there is no such entry. */
VcrTree *vcr_running_take (VcrRunning *self, const VcrSettings *settings,
                           const char *stamp, GHashTable **digests);

/* The digests of the entry for the settings in force, whatever its stamp
 * (borrowed; NULL when none): what the status shown at start compares. */
GHashTable *vcr_running_peek_digests (VcrRunning *self);

/* While a replica applies a snapshot, the texts it is writing (path →
 * digest of the snapshot text, referenced until unset with NULL) count as
 * the reference too: with the vyos backend the apply is itself a VyOS
 * commit, which asks CheckCommit before the new reference is recorded
 * (SPEC §3: the daemon's own apply passes). */
void vcr_running_set_pending (VcrRunning *self, GHashTable *digests);
/* The pending digest of @path, or NULL. */
const char *vcr_running_get_pending (VcrRunning *self, const char *path);

G_END_DECLS
