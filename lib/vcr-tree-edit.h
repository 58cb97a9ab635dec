/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fine-grained node editing on top of vcr-tree.h: setting flags, values and
 * comments of one node, as the command applier (vcr-commands.c) needs to
 * replay `set`, `delete … VALUE` and `comment` lines. Strings are copied
 * into the tree's arena; the node must belong to @tree.
 */
#pragma once

#include "vcr-tree.h"

G_BEGIN_DECLS

void vcr_node_set_tag (VcrNode *node, gboolean tag);
void vcr_node_set_leaf (VcrNode *node, gboolean leaf);
/* @comment NULL or "" removes the comment. */
void vcr_node_set_comment (VcrTree *tree, VcrNode *node, const char *comment);
/* Appends @value (duplicates are the caller's business). */
void vcr_node_append_value (VcrTree *tree, VcrNode *node, const char *value);
/* The index of @value among the node's values, or -1. */
int vcr_node_find_value (const VcrNode *node, const char *value);
void vcr_node_remove_value (VcrNode *node, guint index);

G_END_DECLS
