/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the config tree shared by vcr-tree.c (model and editing),
 * vcr-parse.c (building trees from text) and vcr-render.c (text from trees).
 * Nothing outside lib/vcr-tree*.c and lib/vcr-parse.c / vcr-render.c may
 * include this: the public contract is vcr-tree.h.
 */
#pragma once

#include <string.h>

#include "vcr-tree.h"

G_BEGIN_DECLS

/* Trees deeper than this are refused by the parser and by ensure_path, so
 * that the recursive walks (render, copy, compare) have a bounded stack. A
 * real VyOS config is less than 20 levels deep. */
#define VCR_TREE_MAX_DEPTH 1000

/* vyos-1x component_version.py: the version footer starts at the first
 * line holding one of these (vcr_tree_parse() splits it off). */
#define FOOTER_MARK_NEW "// Warning: Do not remove the following line."
#define FOOTER_MARK_OLD "/* Warning: Do not remove the following line. */"

typedef struct _VcrArenaBlock VcrArenaBlock;

/* A bump allocator: everything of one tree lives in a few big blocks and is
 * freed in one go. Memory of nodes removed by editing is only reclaimed when
 * the tree is freed (vcr_tree_copy() gives a compact copy). */
typedef struct {
  VcrArenaBlock *blocks;
  gsize next_block_size;
  gsize total;              /* bytes obtained from malloc, for the bench */
} VcrArena;

/* 40 bytes: a big config has tens of thousands of nodes, and on this kind
 * of machine every fresh page costs more than parsing it. So there is no
 * position (errors are found while parsing) and no comment pointer: a
 * comment is rare, and lives right after the name's NUL in the same
 * allocation (see vcr_node_comment()). The arrays have no stored capacity:
 * an "exact" array is as long as its count (as the parser and copy allocate
 * them), any other one has room for the next power of two (at least 4); see
 * vcr_node_append_*(). */
struct _VcrNode {
  const char *name;         /* then, when has_comment, the comment */
  const char **values;
  VcrNode **children;
  guint n_values;
  guint n_children;
  guint has_comment : 1;
  guint tag : 1;
  guint leaf : 1;
  /* Some child name has a digit run that makes the lexical-numeric order
   * inconsistent (leading zeros, or 10+ digits that wrap around): lookups
   * then scan instead of bisecting. */
  guint odd_order : 1;
  guint values_exact : 1;
  guint children_exact : 1;
  guint merged : 2;         /* parser scratch, 0 outside vcr_tree_parse() */
  /* A placeholder whose boot rendering is a snapshot text's lines
   * (vcr-splice.h): the tree's spliced table has them. */
  guint spliced : 1;
};

static inline const char *
vcr_node_comment (const VcrNode *node)
{
  return node->has_comment ? node->name + strlen (node->name) + 1 : NULL;
}

struct _VcrTree {
  VcrArena arena;
  VcrNode *root;
  const char *footer;       /* nullable, in the arena */
  /* Parsed with VCR_PARSE_RAW: render as the bare library does, without
   * vyos-1x's unescape_backslash() pass over the boot text. */
  gboolean raw;
  /* Trees whose subtrees this one uses in place (vcr_tree_graft_owned()):
   * joined path → VcrTree*, freed with this tree; nullable. */
  GHashTable *owned;
  /* Spliced nodes (vcr_tree_graft_splice()): VcrNode* → VcrSplice*;
   * nullable. */
  GHashTable *spliced;
};

gpointer vcr_arena_alloc (VcrArena *arena, gsize size);
gpointer vcr_arena_alloc0 (VcrArena *arena, gsize size);
const char *vcr_arena_strndup (VcrArena *arena, const char *str, gsize len);
const char *vcr_arena_strdup (VcrArena *arena, const char *str);

/* A tree with an empty root whose first arena block has room for about
 * @size_hint bytes. */
VcrTree *vcr_tree_new_sized (gsize size_hint);
VcrNode *vcr_node_new (VcrTree *tree, const char *name);
/* Sets (@comment of @len bytes, not NUL-terminated) or removes (NULL) the
 * comment; the name is copied once more to carry it. */
void vcr_node_set_comment_len (VcrArena *arena, VcrNode *node, const char *comment, gsize len);
gboolean vcr_name_has_odd_digits (const char *name);
void vcr_node_append_values (VcrArena *arena, VcrNode *node, const char *const *values, guint n);
void vcr_node_append_children (VcrArena *arena, VcrNode *node, VcrNode *const *children, guint n);

/* The child @name of @parent, created (non-tag, non-leaf, in order) when
 * missing; @created (nullable) says which. */
VcrNode *vcr_node_ensure_child (VcrTree *tree, VcrNode *parent, const char *name,
                                gboolean *created);

/* vcr_lexical_numeric_compare() of strings that are not NUL-terminated. */
int vcr_lexical_numeric_compare_len (const char *a, gsize la, const char *b, gsize lb);

/* Sorts @children stably in lexical-numeric order. */
void vcr_sort_children (VcrNode **children, guint n_children);

/* Bytes obtained from malloc for the tree (arena blocks and the tree), and
 * the part of them in use (the rest was never touched). */
gsize vcr_tree_get_allocated_size (const VcrTree *tree);
gsize vcr_tree_get_used_size (const VcrTree *tree);

/* vyos-1x's replace_backslash(): in every match of
 * ("[^"]*[\\][^"]*"\n|'[^']*[\\][^']*'\n), @double_them doubles each
 * backslash, else turns each pair of backslashes into one. Returns NULL when
 * there is no match (nothing to change). When @inserted is not NULL and
 * @double_them, it receives the offsets (in the new text) of the added
 * backslashes, ascending, so positions can be mapped back. */
GString *vcr_replace_backslash (const char *text,
                                gsize length,
                                gboolean double_them,
                                GArray *inserted);

G_END_DECLS
