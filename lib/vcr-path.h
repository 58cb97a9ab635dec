/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replicate paths: lists of config words ("firewall name WAN" = node
 * `firewall`, node `name`, tag `WAN`), the "under" relation, and the
 * snapshot text and digest of a path (SPEC §3, §4).
 */
#pragma once

#include <glib.h>

#include "vcr-tree.h"

G_BEGIN_DECLS

/* Splits @text on white space into words. Refuses (VCR_ERROR_INVALID_PATH,
 * naming the text) an empty path. */
GStrv vcr_path_parse (const char *text, GError **error);

/* Checks words that arrive one by one (a D-Bus `as`): none may be empty or
 * hold white space, and there must be at least one. */
gboolean vcr_path_check_words (const char *const *words, GError **error);

/* The words joined by single spaces. */
char *vcr_path_to_string (const char *const *words);

/* TRUE when @root's words are a prefix of @path's words (a path is under
 * itself). "firewall name WAN2" is not under "firewall name WAN". */
gboolean vcr_path_is_under (const char *const *path, const char *const *root);

/* The snapshot text of @words in @tree: the canonical boot rendering of a
 * tree holding only that node and everything under it, with its ancestors
 * (bare: no values, no comments; tag flags kept); "" when the node does not
 * exist. */
char *vcr_path_snapshot_text (const VcrTree *tree, const char *const *words);

/* Lowercase hex SHA-256 of @length bytes of @data. */
char *vcr_digest (const char *data, gsize length);

/* TRUE when @tree holds nothing outside @words (an empty tree qualifies):
 * used to check that a snapshot text carries only its own path. */
gboolean vcr_tree_is_within (const VcrTree *tree, const char *const *words);

G_END_DECLS
