/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Read-only views of a subtree: a small tree whose bare ancestors lead to a
 * node that still belongs to another tree, so that a subtree can be rendered
 * on its own without copying it (a copy of 10,000 firewall rules costs more
 * than rendering them). Used for snapshot texts (vcr_path_snapshot_text()).
 */
#pragma once

#include "vcr-tree.h"

G_BEGIN_DECLS

/* A tree that renders exactly as a vcr_tree_new() into which the subtree at
 * @words of @tree was grafted, but that shares that subtree with @tree
 * instead of copying it. It must not be edited, and must be freed
 * (vcr_tree_free(), which frees only the view's own nodes) before @tree is
 * freed or edited. NULL when @tree has nothing at @words; @words must not
 * be empty. */
VcrTree *vcr_tree_view_new (const VcrTree *tree, const char *const *words);

/* vcr_tree_graft() without the copy: afterwards the subtree at @words in
 * @dst is @src's own (values, comments, flags and children shared, not
 * copied), so @src must outlive @dst and neither may edit that subtree.
 * For a replica that puts a parsed snapshot into its running config only
 * to render it once. */
void vcr_tree_graft_shared (VcrTree *dst, const VcrTree *src, const char *const *words);

/* vcr_tree_graft_shared(), with @dst taking @src over (freed with @dst),
 * so that @dst stands on its own. The tree @dst took over for the same
 * @words before is freed: nothing else may point into it, so @words must
 * not lie inside or above another path grafted this way. For a replica
 * that keeps its running config, snapshot subtrees included, between
 * pushes without copying them. */
void vcr_tree_graft_owned (VcrTree *dst, VcrTree *src, const char *const *words);

G_END_DECLS
