/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the config parser. The first input byte picks the
 * parse mode; the rest is the text. Every tree that parses is rendered in
 * all three formats, the boot rendering is parsed again (in raw mode, when
 * VyOS's rendering is parseable at all, it must parse and render to the
 * same bytes: the canonical text is a fixed point), and the tree is copied and compared, so the editing and
 * rendering code is exercised with the parser's odd trees too.
 */
#define G_LOG_DOMAIN "fuzz-parse"

#include <string.h>

#include "vcr-error.h"
#include "vcr-tree.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Digit runs with leading zeros or of 10+ digits make names compare equal
 * or inconsistently in VyOS's order; equal names keep their input order, so
 * such texts are not a fixed point (in VyOS either). */
static gboolean
has_odd_digits (const char *text)
{
  for (const char *p = text; *p != '\0';)
    {
      gsize run = 0;

      while (g_ascii_isdigit (p[run]))
        run++;
      if ((run > 1 && p[0] == '0') || run >= 10)
        return TRUE;
      p += MAX (run, 1);
    }
  return FALSE;
}

/* VyOS writes names bare (a quoted tag value "a b" comes out as a b) and
 * control characters in values as \ddd, which its lexer does not read, so
 * only trees of plain names and values render to parseable text. */
static gboolean
renders_parseably (const VcrNode *node, gboolean is_root)
{
  const char *name = vcr_node_get_name (node);

  for (guint i = 0; i < vcr_node_get_n_values (node); i++)
    for (const char *p = vcr_node_get_value (node, i); *p != '\0'; p++)
      if (((guchar) *p < 32 && strchr ("\n\t\r\b", *p) == NULL) || *p == 127)
        return FALSE;

  if (!is_root)
    {
      if (*name == '\0' || g_str_has_prefix (name, "//") || g_str_has_prefix (name, "/*"))
        return FALSE;
      for (const char *p = name; *p != '\0'; p++)
        if (strchr (" \t\n\r{}\"'", *p) != NULL)
          return FALSE;
    }
  for (guint i = 0; i < vcr_node_get_n_children (node); i++)
    if (!renders_parseably (vcr_node_get_child (node, i), FALSE))
      return FALSE;
  return TRUE;
}

static void
check_tree (VcrTree *tree, VcrParseFlags flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) copy = vcr_tree_copy (tree);
  g_autofree char *boot = NULL;
  gsize boot_len;

  g_assert_true (vcr_tree_subtree_equal (tree, copy, NULL));
  boot = vcr_tree_render (tree, VCR_FORMAT_BOOT, &boot_len, &error);
  g_assert_no_error (error);
  for (VcrFormat format = VCR_FORMAT_JSON; format <= VCR_FORMAT_COMMANDS; format++)
    {
      g_autofree char *text = vcr_tree_render (tree, format, NULL, &error);

      g_assert_true ((text != NULL) == (error == NULL));
      g_clear_error (&error);
    }
  g_free (vcr_tree_to_file_contents (tree, NULL));

  /* In raw mode, a tree of plain names renders to text that parses back
   * to the same text. */
  if (flags == VCR_PARSE_RAW && renders_parseably (vcr_tree_get_root (tree), TRUE))
    {
      g_autoptr(VcrTree) again = vcr_tree_parse (boot, boot_len, VCR_PARSE_RAW, "again", &error);
      g_autofree char *boot2 = NULL;

      g_assert_no_error (error);
      boot2 = vcr_tree_render (again, VCR_FORMAT_BOOT, NULL, &error);
      g_assert_no_error (error);
      if (!has_odd_digits (boot))
        g_assert_cmpstr (boot, ==, boot2);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const VcrParseFlags modes[] = {
    VCR_PARSE_DEFAULT, VCR_PARSE_RAW, VCR_PARSE_SHOW_CONFIG, VCR_PARSE_DEFAULT,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;
  VcrParseFlags flags;

  if (size == 0)
    return 0;
  flags = modes[data[0] & 3];
  tree = vcr_tree_parse ((const char *) data + 1, size - 1, flags, "fuzz", &error);
  if (tree == NULL)
    {
      g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
      return 0;
    }
  g_assert_no_error (error);
  check_tree (tree, flags);
  return 0;
}
