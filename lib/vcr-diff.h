/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The difference between two config trees as command lines that turn the
 * old tree into the new one (vcr-commands.h applies them): first the
 * `delete` lines, each for the highest node that goes away (or a single
 * value that goes away), then the `set` lines in tree order, then the
 * `comment` lines for comments that change.
 */
#pragma once

#include "vcr-tree.h"

G_BEGIN_DECLS

/* The lines (without newlines) that turn @old_tree into @new_tree; only the
 * subtree at @under when it is not NULL (an empty path is the whole tree).
 * An empty vector when they are equal there. With @hints = @new_tree,
 * vcr_commands_apply (old, diff) gives a tree equal to @new_tree, except
 * where @new_tree holds the same value twice in one leaf (a `set` cannot
 * add a value a leaf already has) or a node name holds a newline (only
 * quotes carry one, and a quoted last word is a value: such a line fails
 * or sets a value; VyOS's schema allows no such names). */
GStrv vcr_diff (const VcrTree *old_tree,
                const VcrTree *new_tree,
                const char *const *under);

G_END_DECLS
