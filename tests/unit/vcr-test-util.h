/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the unit tests share: parse text that must parse, render a tree
 * that must render. Each fails the test at once, with GLib's message, when
 * the library refuses.
 */
#pragma once

#include <string.h>

#include "vcr-tree.h"

static inline VcrTree *
vcr_test_parse (const char *text, VcrParseFlags flags)
{
  g_autoptr(GError) error = NULL;
  VcrTree *tree = vcr_tree_parse (text, strlen (text), flags, "test", &error);

  g_assert_no_error (error);
  g_assert_nonnull (tree);
  return tree;
}

static inline char *
vcr_test_render (const VcrTree *tree, VcrFormat format)
{
  g_autoptr(GError) error = NULL;
  char *text = vcr_tree_render (tree, format, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

/* The pipeline reading, as the client and the daemon read files. */
static inline VcrTree *
vcr_test_parse_default (const char *text)
{
  return vcr_test_parse (text, VCR_PARSE_DEFAULT);
}
