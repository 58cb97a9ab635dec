/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the splice check (lib/vcr-splice.h), which lets a
 * replica write a snapshot text into its config without parsing it. The
 * first input line is the path, the rest the text. Whatever the check
 * accepts must keep its promise: the text parses, lies within the path,
 * has no footer and renders back to itself, and a config with the text
 * spliced in renders as the text.
 */
#define G_LOG_DOMAIN "fuzz-splice"

#include <string.h>

#include "vcr-path.h"
#include "vcr-splice.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_accepted (const char *text, gsize length, const char *const *words, const VcrSplice *splice)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, "fuzz", &error);
  g_autoptr(VcrTree) spliced = vcr_tree_new ();
  g_autofree char *again = NULL;
  g_autofree char *spliced_text = NULL;
  gsize again_length = 0;
  gsize spliced_length = 0;

  g_assert_no_error (error);
  g_assert_null (vcr_tree_get_footer (tree));
  g_assert_true (vcr_tree_is_within (tree, words));
  again = vcr_tree_to_file_contents (tree, &again_length);
  g_assert_cmpmem (again, again_length, text, length);
  g_assert_true (splice->start < splice->end && splice->end <= length);

  g_assert_true (vcr_tree_graft_splice (spliced, words, splice));
  spliced_text = vcr_tree_to_file_contents (spliced, &spliced_length);
  g_assert_cmpmem (spliced_text, spliced_length, text, length);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const char *eol = memchr (data, '\n', size);
  g_autofree char *path = NULL;
  g_auto(GStrv) words = NULL;
  const char *text;
  gsize length;
  VcrSplice splice;

  if (eol == NULL)
    return 0;
  path = g_strndup ((const char *) data, eol - (const char *) data);
  words = vcr_path_parse (path, NULL);
  if (words == NULL)
    return 0;
  text = eol + 1;
  length = size - (text - (const char *) data);
  if (vcr_splice_check (text, length, (const char *const *) words, &splice))
    check_accepted (text, length, (const char *const *) words, &splice);
  return 0;
}
