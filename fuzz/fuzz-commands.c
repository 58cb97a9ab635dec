/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for `set`/`delete`/`comment` command lines (the input
 * of `config diff` scripts and of the vyos backend) and for the diff that
 * writes them. The first input byte picks the starting tree (empty or a
 * small fixed config), whether it is passed as the flag hints, and whether
 * the diff is taken over the whole tree or under one node; the rest is the
 * command text. When the commands apply, the diff between the trees before
 * and after must turn each into the other (apply (diff (a, b), a) == b),
 * and nothing must be left to do afterwards.
 */
#define G_LOG_DOMAIN "fuzz-commands"

#include <string.h>

#include "vcr-commands.h"
#include "vcr-diff.h"
#include "vcr-error.h"
#include "vcr-tree.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Tag nodes, a multi-value leaf, a valueless leaf, an empty node and a
 * comment: the shapes whose flags the diff has to carry. No leaf holds a
 * value twice (commands cannot make that; vcr-diff.h). */
static const char base_config[] =
  "firewall {\n"
  "    group {\n"
  "        address-group SERVERS {\n"
  "            address 10.0.0.1\n"
  "            address 10.0.0.2\n"
  "        }\n"
  "    }\n"
  "    name WAN {\n"
  "        default-action drop\n"
  "        /* web */\n"
  "        rule 10 {\n"
  "            action accept\n"
  "            log\n"
  "        }\n"
  "    }\n"
  "}\n"
  "interfaces {\n"
  "    ethernet eth0 {\n"
  "        address 192.168.0.1/24\n"
  "        address dhcp\n"
  "    }\n"
  "    loopback lo {\n"
  "    }\n"
  "}\n"
  "system {\n"
  "    host-name vyos\n"
  "}\n";

static VcrTree *
make_base (gboolean empty)
{
  g_autoptr(GError) error = NULL;
  VcrTree *tree;

  if (empty)
    return vcr_tree_new ();
  tree = vcr_tree_parse (base_config, strlen (base_config), VCR_PARSE_DEFAULT, "base", &error);
  g_assert_no_error (error);
  return tree;
}

/* apply (diff (from, to), from) gives @to at @under, and then the diff
 * between the result and @to is empty. */
static void
assert_diff_applies (const VcrTree *from, const VcrTree *to, const char *const *under)
{
  static const char *const root[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = vcr_diff (from, to, under);
  g_autofree char *script = g_strjoinv ("\n", lines);
  g_autoptr(VcrTree) result = vcr_commands_apply (from, script, strlen (script), to,
                                                  "diff", &error);
  g_auto(GStrv) again = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (vcr_tree_subtree_equal (result, to, under));
  if (under == root)
    {
      g_autofree char *want = vcr_tree_render (to, VCR_FORMAT_BOOT, NULL, NULL);
      g_autofree char *got = vcr_tree_render (result, VCR_FORMAT_BOOT, NULL, NULL);

      g_assert_cmpstr (got, ==, want);
    }
  again = vcr_diff (result, to, under);
  g_assert_cmpuint (g_strv_length (again), ==, 0);
}

/* A node name with a newline, which no command line can name as a node
 * (vcr-diff.h). */
static gboolean
has_newline_name (const VcrNode *node)
{
  for (guint i = 0; i < vcr_node_get_n_children (node); i++)
    {
      const VcrNode *child = vcr_node_get_child (node, i);

      if (strchr (vcr_node_get_name (child), '\n') != NULL || has_newline_name (child))
        return TRUE;
    }
  return FALSE;
}

/* Names the commands rendering writes without quotes. */
static gboolean
names_bare (const VcrNode *node, gboolean is_root)
{
  const char *name = vcr_node_get_name (node);

  if (!is_root)
    {
      if (*name == '\0')
        return FALSE;
      for (const char *p = name; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && strchr ("-_.:/@+=,%^", *p) == NULL)
          return FALSE;
    }
  for (guint i = 0; i < vcr_node_get_n_children (node); i++)
    if (!names_bare (vcr_node_get_child (node, i), FALSE))
      return FALSE;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *const root[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) base = NULL;
  g_autoptr(VcrTree) after = NULL;
  const char *under_words[2] = { NULL, NULL };
  const char *const *under = root;
  guint8 mode;

  if (size == 0)
    return 0;
  mode = data[0];
  base = make_base ((mode & 1) == 0);
  after = vcr_commands_apply (base, (const char *) data + 1, size - 1,
                              (mode & 2) != 0 ? base : NULL, "fuzz", &error);
  if (after == NULL)
    {
      g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
      /* Messages quote the words; they must stay UTF-8 for D-Bus. */
      g_assert_true (g_str_has_prefix (error->message, "fuzz:"));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);

  /* Every rendering works on what the commands made (JSON may refuse a
   * node with values and children, which commands cannot make). */
  for (VcrFormat format = VCR_FORMAT_BOOT; format <= VCR_FORMAT_COMMANDS; format++)
    {
      g_autofree char *text = vcr_tree_render (after, format, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (text);
    }

  if ((mode & 4) != 0)
    {
      VcrNode *top = vcr_tree_get_root (after);

      if (vcr_node_get_n_children (top) > 0)
        {
          under_words[0] = vcr_node_get_name (vcr_node_get_child (top, 0));
          under = under_words;
        }
    }
  if (!has_newline_name (vcr_tree_get_root (after)))
    {
      assert_diff_applies (base, after, under);
      assert_diff_applies (after, base, under);
    }

  /* The commands rendering is itself a script that builds the same
   * commands rendering, when every name is written bare (a quoted last word
   * would be read as a value: vcr-commands.h rule 1). */
  if ((mode & 8) != 0 && names_bare (vcr_tree_get_root (after), TRUE))
    {
      g_autofree char *script = vcr_tree_render (after, VCR_FORMAT_COMMANDS, NULL, NULL);
      g_autoptr(VcrTree) rebuilt = vcr_commands_apply (NULL, script, strlen (script), after,
                                                       "rebuild", &error);
      g_autofree char *again = NULL;

      g_assert_no_error (error);
      again = vcr_tree_render (rebuilt, VCR_FORMAT_COMMANDS, NULL, NULL);
      g_assert_cmpstr (again, ==, script);
    }
  return 0;
}
