/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VyOS config tree: the data model every other part of the project works
 * on. A VcrTree owns all of its nodes and strings (they live in the tree's own
 * arena, so a tree of 30,000 nodes is a handful of allocations and is freed in
 * one go). Nodes are never shared between trees: copying between trees goes
 * through vcr_tree_graft().
 *
 * The model follows vyos1x-config, the OCaml library VyOS itself uses:
 *  - every node has a name, a list of values (leaves), an optional comment,
 *    a "tag" flag (the node was written as `name tagvalue { … }`; its children
 *    are the tag values), and a "leaf" flag (the node was written without
 *    braces, `name` or `name value`; a childless node written with braces
 *    renders with braces again);
 *  - children are kept unique by name and sorted in VyOS's lexical-numeric
 *    order (vcr_lexical_numeric_compare());
 *  - the root node has the empty name.
 *
 * The core does no I/O: parsing takes text, rendering returns text.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VcrTree VcrTree;
typedef struct _VcrNode VcrNode;

typedef enum {
  VCR_FORMAT_BOOT,      /* canonical config.boot, as VyOS saves it */
  VCR_FORMAT_JSON,      /* VyOS's JSON form, with valid \u00XX escapes */
  VCR_FORMAT_COMMANDS,  /* `set …` lines, as `show configuration commands` */
} VcrFormat;

typedef enum {
  /* The pipeline VyOS runs when it reads a config file (vyos-1x
   * component_version.py + configtree.py): split the version footer off
   * and keep it, double backslashes inside quoted values that end a line,
   * then parse; rendering undoes the doubling. This is the default. */
  VCR_PARSE_DEFAULT = 0,
  /* The bare vyos1x-config parser: no footer split, no backslash pre-pass
   * (the synthetic fixtures were rendered this way). */
  VCR_PARSE_RAW = 1 << 0,
  /* The text `cli-shell-api showConfig` prints: values quoted only when
   * needed, no escape sequences. */
  VCR_PARSE_SHOW_CONFIG = 1 << 1,
} VcrParseFlags;

/* Parsing.
 *
 * @origin names the input in error messages, which read
 * "ORIGIN:LINE:COLUMN: message" (VCR_ERROR_INVALID_CONFIG). */
VcrTree *vcr_tree_parse (const char *text,
                         gsize length,
                         VcrParseFlags flags,
                         const char *origin,
                         GError **error);

VcrTree *vcr_tree_new (void);
void vcr_tree_free (VcrTree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrTree, vcr_tree_free)

/* A deep copy (its own arena). */
VcrTree *vcr_tree_copy (const VcrTree *tree);

/* The version footer split off the input ("// Warning: …" or the old
 * slash-star "Warning: …" line, and everything after it, as it was), or NULL
 * when there was none. */
const char *vcr_tree_get_footer (const VcrTree *tree);
void vcr_tree_set_footer (VcrTree *tree, const char *footer);

VcrNode *vcr_tree_get_root (const VcrTree *tree);

/* Rendering the whole tree. Returns a newly allocated NUL-terminated string;
 * @length (nullable) receives its length. Only JSON can fail (a node that
 * holds both values and children: VCR_ERROR_INVALID_CONFIG, as VyOS fails).
 * The footer is never part of the rendering; callers that write a file add
 * it (see vcr_tree_to_file_contents()). */
char *vcr_tree_render (const VcrTree *tree,
                       VcrFormat format,
                       gsize *length,
                       GError **error);

/* The bytes a config.boot file holds: the boot rendering, then, when the
 * tree has a footer, a newline and the footer, as VyOS's ConfigTree
 * to_string() writes. */
char *vcr_tree_to_file_contents (const VcrTree *tree, gsize *length);

/* Takes the next @length bytes of a rendering; returns FALSE and sets
 * @error to stop it. */
typedef gboolean (*VcrSink) (const char *data,
                             gsize length,
                             gpointer user_data,
                             GError **error);

#define VCR_STREAM_CHUNK_SIZE (64 * 1024)

/* The bytes of vcr_tree_to_file_contents(), handed to @sink in order in
 * pieces of at most @chunk_size bytes (0: VCR_STREAM_CHUNK_SIZE), so that a
 * big config is written without ever being held whole. When the sink
 * fails, it is not called again and its error is returned. Text between a
 * quote and its closing quote is held back while vyos-1x's
 * unescape_backslash() may change it; that is a line, unless the rendering
 * holds both a backslash and an odd quote (then up to the next quote). */
gboolean vcr_tree_stream_file_contents (const VcrTree *tree,
                                        gsize chunk_size,
                                        VcrSink sink,
                                        gpointer user_data,
                                        GError **error);

/* Nodes. All returned strings belong to the tree. */
const char *vcr_node_get_name (const VcrNode *node);
const char *vcr_node_get_comment (const VcrNode *node);   /* nullable */
gboolean vcr_node_is_tag (const VcrNode *node);
gboolean vcr_node_is_leaf (const VcrNode *node);
guint vcr_node_get_n_values (const VcrNode *node);
const char *vcr_node_get_value (const VcrNode *node, guint index);
guint vcr_node_get_n_children (const VcrNode *node);
VcrNode *vcr_node_get_child (const VcrNode *node, guint index);
/* The child called @name, or NULL (binary search). */
VcrNode *vcr_node_lookup (const VcrNode *node, const char *name);

/* The node at a path of words below the root (NULL-terminated; an empty
 * path is the root), or NULL. */
VcrNode *vcr_tree_lookup (const VcrTree *tree, const char *const *words);

/* Editing. These keep the children unique and sorted. */
/* The node at @words, created with its missing ancestors (as non-tag,
 * non-leaf nodes unless they exist). */
VcrNode *vcr_tree_ensure_path (VcrTree *tree, const char *const *words);
/* Removes the node at @words and everything under it; afterwards removes
 * ancestors that became empty and were not empty before, as VyOS's
 * `delete` does. Returns FALSE when there was nothing at @words. */
gboolean vcr_tree_delete (VcrTree *tree, const char *const *words);
/* A deep copy (its own arena) in which the nodes at @paths (of GStrv, none
 * empty, none inside another) keep their name and flags but lose their
 * values and children: what a replica keeps of its running config before
 * it puts a snapshot's subtrees there, without copying the old ones. */
VcrTree *vcr_tree_copy_pruned (const VcrTree *tree, GPtrArray *paths);
/* Makes the subtree at @words in @dst an exact copy of the one in @src
 * (values, comments, flags, children); deletes it from @dst when @src has
 * none. Ancestors missing in @dst are created with the flags they have in
 * @src. */
void vcr_tree_graft (VcrTree *dst, const VcrTree *src, const char *const *words);

/* TRUE when the subtrees at @words are equal in both trees (both absent
 * counts as equal). Comments count: they are part of the config. */
gboolean vcr_tree_subtree_equal (const VcrTree *a,
                                 const VcrTree *b,
                                 const char *const *words);

/* VyOS's child order (vyos1x-config lexical_numeric_compare.c): runs of
 * digits compare as numbers (with the same 32-bit int wrap-around),
 * everything else bytewise. */
int vcr_lexical_numeric_compare (const char *a, const char *b);

G_END_DECLS
