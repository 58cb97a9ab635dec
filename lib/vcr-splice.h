/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshot texts put into a config without parsing them. A replica that
 * takes a snapshot of 10,000 firewall rules must write the text's lines
 * into its config.boot exactly as the primary rendered them; parsing them
 * into a tree only to render the same bytes again takes more memory than
 * the text itself (SPEC §7, docs/performance.md). So a text that
 * vcr_splice_check() finds canonical, in the plain form it knows, goes into
 * the running config as a *spliced* node: a placeholder at the path whose
 * boot rendering is the text's own lines (vcr_tree_graft_splice()).
 *
 * The check may refuse a canonical text (comments, backslashes, names with
 * leading zeros, ...: the caller then parses it as before), but never
 * accepts one that is not: for an accepted text, vcr_tree_parse() succeeds,
 * the tree is vcr_tree_is_within() the path, carries no footer, and its
 * boot rendering is the text, byte for byte. The unit tests and
 * fuzz/fuzz-splice.c hold it to that.
 */
#pragma once

#include "vcr-tree.h"

G_BEGIN_DECLS

/* Replicate paths longer than this are never spliced. */
#define VCR_SPLICE_MAX_WORDS 64

typedef struct {
  const char *text;     /* the whole snapshot text (borrowed) */
  gsize length;
  gsize start;          /* the lines of the path's own node: text[start, end) */
  gsize end;
  guint n_words;        /* of the path */
  guint64 tag_words;    /* bit i: the node of word i is a tag node */
  gboolean leaf;        /* the path's node is a leaf */
} VcrSplice;

/* TRUE when @length bytes of @text are, byte for byte, the canonical boot
 * rendering of a tree that holds @words (its ancestors bare) and nothing
 * else, written in the plain form this check knows: names and tag values of
 * printable bytes without quotes, braces, backslashes, leading zeros or
 * runs of 10 digits; quoted values without escapes; no comments, no footer.
 * Then @splice describes the text (which it borrows). FALSE says nothing
 * about the text but that it must be parsed. */
gboolean vcr_splice_check (const char *text,
                           gsize length,
                           const char *const *words,
                           VcrSplice *splice);

/* Puts a spliced node at @words (the path @splice was checked for) into
 * @tree: the missing ancestors are created as vcr_tree_graft() would create
 * them from the parsed text, and the node at @words becomes a placeholder
 * whose boot rendering is the text's lines for it. The text must outlive
 * the placeholder. Such a tree may only be rendered in the boot form
 * (vcr_tree_to_file_contents(), vcr_tree_stream_file_contents()) or be the
 * source of vcr_tree_graft() (which parses the text); vcr_tree_copy_pruned()
 * at @words drops the placeholder. FALSE, changing nothing, when an
 * existing ancestor is not shaped as in the text (a tag node in one, not in
 * the other): the text's lines would not fit there; graft the parsed text
 * instead. */
gboolean vcr_tree_graft_splice (VcrTree *tree,
                                const char *const *words,
                                const VcrSplice *splice);

G_END_DECLS
