/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `set …` / `delete …` / `comment …` command lines, as typed in VyOS's
 * configure mode and as `show configuration commands` prints them: parsed
 * with the op-mode shell's quoting (single quotes, double quotes, bare words
 * with backslash escapes) and applied to a tree.
 *
 * Without VyOS's schema a command line is ambiguous in two ways; the rules:
 *
 *  1. Value or node? The last word of `set`/`delete` is a value when it was
 *     quoted (the commands format quotes every value and no node name), or
 *     when it is bare and the words before it name an existing leaf that
 *     holds values (`set system host-name vyos` on a config that has a
 *     host-name). Otherwise it is a node name.
 *  2. Tag node or plain node? Nodes that exist keep their flags. A node the
 *     command creates takes its tag and leaf flags from @hints when @hints
 *     has a node at the same path (pass the config the commands came from,
 *     or a reference config); otherwise it is a plain node, as
 *     vcr_tree_ensure_path() creates it, and the node a command ends on is a
 *     leaf (written without braces), which is what `set … VALUE` and
 *     `set … NAME` (a valueless leaf) mean. The `commands` rendering does
 *     not depend on these flags; the boot rendering does.
 *
 * Semantics follow VyOS: `set PATH VALUE` adds the value (no-op when the
 * leaf has it already), `set PATH` creates the node, `delete PATH` removes
 * the node and the ancestors it leaves empty, `delete PATH VALUE` removes
 * one value (and the leaf with its last value), `comment PATH TEXT` sets
 * the node's comment ("" removes it). Deleting what is not there is an
 * error, as in VyOS. Lines that are empty or start with `#` are skipped.
 */
#pragma once

#include "vcr-tree.h"

G_BEGIN_DECLS

/* Applies the commands in @text to a copy of @tree (NULL: an empty tree)
 * and returns it; on error returns NULL with VCR_ERROR_INVALID_CONFIG and a
 * message "ORIGIN:LINE:COLUMN: …", and @tree is unchanged. */
VcrTree *vcr_commands_apply (const VcrTree *tree,
                             const char *text,
                             gsize length,
                             const VcrTree *hints,
                             const char *origin,
                             GError **error);

/* A value as the commands format writes it: in single quotes, a quote
 * inside written as '\'' (the shell's way), so any value survives. */
char *vcr_commands_quote_value (const char *value);

/* A node name: bare when it is safe for the shell, else with backslash
 * escapes (never quotes, which would make it a value by rule 1). */
char *vcr_commands_quote_word (const char *word);

G_END_DECLS
