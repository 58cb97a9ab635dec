/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the unit tests share: parse text that must parse, render a tree
 * that must render, load the real configs of the shared data. Each fails
 * the test at once, with GLib's message, when the library refuses.
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

/* Registers a test that reads the shared data (VCR_SHARED_DATA, set when
 * the build has -Dshared_dir): without it the test is not registered at
 * all (meson and tools/run-tests say which are left out). */
static inline void
vcr_test_add_shared_func (const char *testpath, GTestFunc test_func)
{
  if (g_getenv ("VCR_SHARED_DATA") != NULL)
    g_test_add_func (testpath, test_func);
}

/* Every real config of the shared data (vyos-configs/configs, without the
 * rendered .boot and .json files), parsed, in file name order. */
static inline GPtrArray *
vcr_test_load_real_configs (void)
{
  const char *data = g_getenv ("VCR_SHARED_DATA");
  g_autofree char *dir_name = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *trees = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_tree_free);
  const char *name;

  g_assert_nonnull (data);
  dir_name = g_build_filename (data, "vyos-configs", "configs", NULL);
  dir = g_dir_open (dir_name, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_has_suffix (name, ".json") && !g_str_has_suffix (name, ".boot"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *file = g_build_filename (dir_name, g_ptr_array_index (names, i), NULL);
      g_autofree char *contents = NULL;

      g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
      g_ptr_array_add (trees, vcr_test_parse_default (contents));
    }
  g_assert_cmpuint (trees->len, >, 20);
  return trees;
}
