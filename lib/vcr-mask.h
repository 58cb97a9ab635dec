/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What of a replicate path replication carries (docs/behaviour.md,
 * "Exclusions and overrides"): the subtree without its excluded parts
 * (`replicate exclude`), on a primary with one replica's overrides
 * applied (`replica NAME override`). Both sides compute snapshot texts and
 * digests from this, so a router's own values under an exclusion never
 * make it differ; a replica puts its own excluded subtrees back into what
 * it receives.
 */
#pragma once

#include <glib.h>

#include "vcr-settings.h"
#include "vcr-tree.h"

G_BEGIN_DECLS

/* The snapshot text of @path in @tree (vcr_path_snapshot_text()'s form:
 * bare ancestors, boot rendering) with the subtrees at @excludes (of
 * const char *const *, each under @path; NULL or empty: none) removed and
 * @overrides (of VcrOverride*, under @path; NULL: none) set: each
 * override's leaf holds exactly its values (the node at its path made a
 * leaf, created when absent), where the leaf's parent exists (an override
 * never creates ancestors: their shape is the config's). Without excludes
 * and overrides it is exactly vcr_path_snapshot_text(). "" when nothing is
 * left. */
char *vcr_mask_snapshot_text (const VcrTree *tree,
                              const char *const *path,
                              GPtrArray *excludes,
                              GPtrArray *overrides);

/* The overrides of @peer (nullable) that lie under @path, in order (the
 * settings' own); an empty array when none. */
GPtrArray *vcr_mask_overrides_under (const VcrPeerSettings *peer,
                                     const char *const *path);

/* After @incoming's subtree at @path was set from a snapshot: makes each
 * subtree at @excludes in @incoming a copy of the one in @running (or
 * removes it when @running has none), so a replica keeps its own values
 * there. */
void vcr_mask_keep_local (VcrTree *incoming,
                          const VcrTree *running,
                          GPtrArray *excludes);

/* A new tree holding only the subtrees of @tree at @excludes (with their
 * ancestors, flags kept): what a replica keeps of its own while the rest
 * of a replicate path is replaced. */
VcrTree *vcr_mask_take_local (const VcrTree *tree,
                              GPtrArray *excludes);

/* vcr_tree_copy_pruned() of @settings' replicate paths, but the pruned
 * nodes keep the subtrees at @settings' exclusions: the rest of a
 * replica's running config, which a snapshot's subtrees go into, and its
 * own values under an exclusion, which they must not replace. */
VcrTree *vcr_mask_copy_pruned (const VcrTree *tree,
                               const VcrSettings *settings);

/* vcr_tree_graft() of the subtree at @path, except at the exclusions
 * under it (of @excludes, any others ignored), where @dst keeps what it
 * has: a backend that must graft a snapshot's subtree into a config that
 * changed since it was read keeps a local edit made meanwhile. */
void vcr_mask_graft (VcrTree *dst,
                     const VcrTree *src,
                     const char *const *path,
                     GPtrArray *excludes);

/* The first of @excludes at which @tree holds a node, or NULL: a received
 * snapshot text must carry nothing its receiver excludes. */
const char *const *vcr_mask_find_carried (const VcrTree *tree,
                                          GPtrArray *excludes);

/* TRUE when @a and @b agree at @path once the subtrees at @excludes are
 * left out: what CheckCommit and the commit guard compare. */
gboolean vcr_mask_subtree_equal (const VcrTree *a,
                                 const VcrTree *b,
                                 const char *const *path,
                                 GPtrArray *excludes);

/* NULL when @a and @b (exclusions as canonical strings, NULL-terminated;
 * NULL: none) hold the same ones in any order; else a message naming each
 * exclusion only one side has, the sides called @a_name and @b_name:
 * 'exclusions differ: the snapshot excludes "X" and this replica does
 * not; this replica excludes "Y" and the snapshot does not'. Both sides of
 * a replication must leave the same parts out (a 409 path-mismatch). */
char *vcr_mask_excludes_differ (const char *const *a,
                                const char *a_name,
                                const char *const *b,
                                const char *b_name);

/* One replicate path's snapshot text, as replication carries it, and the
 * digest of that text. */
typedef struct {
  char *path;     /* canonical: words joined by single spaces */
  char *text;
  gsize length;
  char *digest;   /* 64 lowercase hex SHA-256 of @text */
} VcrPathText;

void vcr_path_text_free (VcrPathText *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrPathText, vcr_path_text_free)

/* For each replicate path of @settings, in their order: the masked text
 * of @tree (its exclusions left out and, with @peer, that replica's
 * overrides set) and its digest. The one place that renders and hashes
 * what is replicated: snapshots, digests, verify and CheckCommit all come
 * from here. */
GPtrArray *vcr_mask_path_texts (const VcrTree *tree,
                                const VcrSettings *settings,
                                const VcrPeerSettings *peer);

/* The same, digests only: path → digest (both owned by the table). Each
 * text is dropped once hashed, so only one is held at a time. */
GHashTable *vcr_mask_path_digests (const VcrTree *tree,
                                   const VcrSettings *settings,
                                   const VcrPeerSettings *peer);

G_END_DECLS
