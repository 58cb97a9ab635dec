/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hand-written cases for the config tree: the lexical-numeric order, the
 * editing operations (ensure_path, delete, graft, copy, subtree_equal),
 * parser corner cases VyOS's fixtures do not cover (deep nesting, huge
 * tokens, NUL bytes, invalid UTF-8, the pipeline's footer and backslash
 * handling, showConfig text), the three renderings, and the fuzz corpus as
 * a crash regression suite.
 */
#define G_LOG_DOMAIN "test-tree"

#include <string.h>

#include "vcr-error.h"
#include "vcr-tree.h"
#include "vcr-test-util.h"

static void
assert_parse_fails (const char *text, gsize length, VcrParseFlags flags, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, flags, "in", &error);

  g_assert_null (tree);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_test_message ("error: %s (expected: %s)", error->message, fragment);
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
assert_boot (const VcrTree *tree, const char *expected)
{
  g_autofree char *boot = vcr_test_render (tree, VCR_FORMAT_BOOT);

  g_assert_cmpstr (boot, ==, expected);
}

/* ---- order ------------------------------------------------------------ */

static void
test_order (void)
{
  g_assert_cmpint (vcr_lexical_numeric_compare ("eth2", "eth10"), <, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("eth10", "eth2"), >, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("a", "a"), ==, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("a", "ab"), <, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("10", "9"), >, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("rule 5", "rule 40"), <, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("", "a"), <, 0);
  /* A run of digits wraps around in a 32-bit int: 4200000000 < 0. */
  g_assert_cmpint (vcr_lexical_numeric_compare ("4200000000", "1"), <, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("2147483647", "2147483648"), >, 0);
  /* Leading zeros: "01" and "1x" compare equal in VyOS. */
  g_assert_cmpint (vcr_lexical_numeric_compare ("01", "1x"), ==, 0);
  g_assert_cmpint (vcr_lexical_numeric_compare ("01", "1"), >, 0);
  /* Bytes >= 128 compare unsigned. */
  g_assert_cmpint (vcr_lexical_numeric_compare ("\xc3\xa9", "z"), >, 0);
}

/* ---- editing ---------------------------------------------------------- */

static void
test_ensure_path (void)
{
  g_autoptr(VcrTree) tree = vcr_tree_new ();
  const char *path1[] = { "interfaces", "ethernet", "eth10", NULL };
  const char *path2[] = { "interfaces", "ethernet", "eth2", NULL };
  const char *path3[] = { "interfaces", "loopback", "lo", NULL };
  const char *ethernet[] = { "interfaces", "ethernet", NULL };
  VcrNode *node, *parent;

  node = vcr_tree_ensure_path (tree, path1);
  g_assert_nonnull (node);
  g_assert_cmpstr (vcr_node_get_name (node), ==, "eth10");
  g_assert_false (vcr_node_is_tag (node));
  g_assert_false (vcr_node_is_leaf (node));
  g_assert_true (vcr_tree_ensure_path (tree, path1) == node);
  vcr_tree_ensure_path (tree, path2);
  vcr_tree_ensure_path (tree, path3);
  parent = vcr_tree_lookup (tree, ethernet);
  g_assert_cmpuint (vcr_node_get_n_children (parent), ==, 2);
  g_assert_cmpstr (vcr_node_get_name (vcr_node_get_child (parent, 0)), ==, "eth2");
  g_assert_cmpstr (vcr_node_get_name (vcr_node_get_child (parent, 1)), ==, "eth10");
  g_assert_true (vcr_node_lookup (parent, "eth10") == node);
  g_assert_null (vcr_node_lookup (parent, "eth1"));
  g_assert_true (vcr_tree_ensure_path (tree, NULL) == vcr_tree_get_root (tree));
  assert_boot (tree,
               "interfaces {\n"
               "    ethernet {\n"
               "        eth2 {\n"
               "        }\n"
               "        eth10 {\n"
               "        }\n"
               "    }\n"
               "    loopback {\n"
               "        lo {\n"
               "        }\n"
               "    }\n"
               "}\n");
}

static void
test_ensure_path_many (void)
{
  g_autoptr(VcrTree) tree = vcr_tree_new ();
  VcrNode *rules;
  const char *rules_path[] = { "firewall", "rule", NULL };

  /* Inserted in reverse, read back in lexical-numeric order. */
  for (int i = 2000; i > 0; i--)
    {
      g_autofree char *name = g_strdup_printf ("%d", i);
      const char *path[] = { "firewall", "rule", name, "action", NULL };

      g_assert_nonnull (vcr_tree_ensure_path (tree, path));
    }
  rules = vcr_tree_lookup (tree, rules_path);
  g_assert_cmpuint (vcr_node_get_n_children (rules), ==, 2000);
  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u", i + 1);

      g_assert_cmpstr (vcr_node_get_name (vcr_node_get_child (rules, i)), ==, name);
      g_assert_nonnull (vcr_node_lookup (rules, name));
    }
}

static void
test_ensure_path_odd_names (void)
{
  g_autoptr(VcrTree) tree = vcr_tree_new ();
  const char *names[] = { "1x", "01", "001", "4200000000", "7", "0", NULL };
  VcrNode *root = vcr_tree_get_root (tree);

  /* Names whose order is not consistent are still found and never
   * duplicated. */
  for (guint round = 0; round < 2; round++)
    for (guint i = 0; names[i] != NULL; i++)
      {
        const char *path[] = { names[i], NULL };

        g_assert_nonnull (vcr_tree_ensure_path (tree, path));
      }
  g_assert_cmpuint (vcr_node_get_n_children (root), ==, 6);
  for (guint i = 0; names[i] != NULL; i++)
    g_assert_nonnull (vcr_node_lookup (root, names[i]));
}

static void
test_ensure_path_too_deep (void)
{
  g_autoptr(VcrTree) tree = vcr_tree_new ();
  g_autofree const char **words = g_new0 (const char *, 1002);

  for (guint i = 0; i < 1001; i++)
    words[i] = "a";
  g_assert_null (vcr_tree_ensure_path (tree, words));
  g_assert_cmpuint (vcr_node_get_n_children (vcr_tree_get_root (tree)), ==, 0);
  words[1000] = NULL;
  g_assert_nonnull (vcr_tree_ensure_path (tree, words));
}

static const char *sample =
  "firewall {\n"
  "    name WAN {\n"
  "        default-action \"drop\"\n"
  "        rule 10 {\n"
  "            action \"accept\"\n"
  "        }\n"
  "    }\n"
  "    name WAN2 {\n"
  "        default-action \"accept\"\n"
  "    }\n"
  "}\n"
  "interfaces {\n"
  "    /* uplink */\n"
  "    ethernet eth0 {\n"
  "        address \"192.0.2.1/24\"\n"
  "        address \"2001:db8::1/64\"\n"
  "    }\n"
  "    loopback lo {\n"
  "    }\n"
  "}\n"
  "system {\n"
  "    host-name \"vyos\"\n"
  "}\n";

static void
test_delete (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse (sample, VCR_PARSE_DEFAULT);
  const char *rule[] = { "firewall", "name", "WAN", "rule", "10", NULL };
  const char *wan[] = { "firewall", "name", "WAN", NULL };
  const char *wan2[] = { "firewall", "name", "WAN2", NULL };
  const char *firewall[] = { "firewall", NULL };
  const char *missing[] = { "firewall", "name", "LAN", NULL };
  const char *host[] = { "system", "host-name", NULL };

  g_assert_false (vcr_tree_delete (tree, missing));
  g_assert_true (vcr_tree_delete (tree, rule));
  /* WAN still holds default-action: it stays. */
  g_assert_nonnull (vcr_tree_lookup (tree, wan));
  g_assert_true (vcr_tree_delete (tree, wan));
  g_assert_nonnull (vcr_tree_lookup (tree, wan2));
  g_assert_true (vcr_tree_delete (tree, wan2));
  /* name, then firewall became empty: both gone. */
  g_assert_null (vcr_tree_lookup (tree, firewall));
  g_assert_false (vcr_tree_delete (tree, wan2));
  g_assert_true (vcr_tree_delete (tree, host));
  g_assert_null (vcr_tree_lookup (tree, (const char *[]) { "system", NULL }));
  assert_boot (tree,
               "interfaces {\n"
               "    /* uplink */\n"
               "    ethernet eth0 {\n"
               "        address \"192.0.2.1/24\"\n"
               "        address \"2001:db8::1/64\"\n"
               "    }\n"
               "    loopback lo {\n"
               "    }\n"
               "}\n");
  g_assert_true (vcr_tree_delete (tree, NULL));
  assert_boot (tree, "");
  g_assert_false (vcr_tree_delete (tree, NULL));
}

static void
test_copy (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse (sample, VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) copy = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *eth[] = { "interfaces", "ethernet", "eth0", NULL };

  vcr_tree_set_footer (tree, "// footer\n");
  copy = vcr_tree_copy (tree);
  a = vcr_test_render (tree, VCR_FORMAT_BOOT);
  b = vcr_test_render (copy, VCR_FORMAT_BOOT);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (vcr_tree_get_footer (copy), ==, "// footer\n");
  g_assert_true (vcr_tree_subtree_equal (tree, copy, NULL));
  /* Independent: editing the copy leaves the original. */
  g_assert_true (vcr_tree_delete (copy, eth));
  g_assert_nonnull (vcr_tree_lookup (tree, eth));
  g_assert_false (vcr_tree_subtree_equal (tree, copy, NULL));
  g_assert_cmpstr (vcr_node_get_comment (vcr_tree_lookup (tree, eth)), ==, "uplink");
}

static void
test_graft (void)
{
  g_autoptr(VcrTree) src = vcr_test_parse (sample, VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) dst = vcr_test_parse ("system {\n    host-name \"other\"\n}\n", VCR_PARSE_DEFAULT);
  const char *wan[] = { "firewall", "name", "WAN", NULL };
  const char *eth[] = { "interfaces", "ethernet", "eth0", NULL };
  const char *lan[] = { "firewall", "name", "LAN", NULL };
  const char *name[] = { "firewall", "name", NULL };
  g_autofree char *boot = NULL;

  vcr_tree_graft (dst, src, wan);
  g_assert_true (vcr_tree_subtree_equal (dst, src, wan));
  /* The ancestor "name" is a tag node in src: it is one in dst too. */
  g_assert_true (vcr_node_is_tag (vcr_tree_lookup (dst, name)));
  vcr_tree_graft (dst, src, eth);
  g_assert_true (vcr_tree_subtree_equal (dst, src, eth));
  boot = vcr_test_render (dst, VCR_FORMAT_BOOT);
  g_assert_cmpstr (boot, ==,
                   "firewall {\n"
                   "    name WAN {\n"
                   "        default-action \"drop\"\n"
                   "        rule 10 {\n"
                   "            action \"accept\"\n"
                   "        }\n"
                   "    }\n"
                   "}\n"
                   "interfaces {\n"
                   "    /* uplink */\n"
                   "    ethernet eth0 {\n"
                   "        address \"192.0.2.1/24\"\n"
                   "        address \"2001:db8::1/64\"\n"
                   "    }\n"
                   "}\n"
                   "system {\n"
                   "    host-name \"other\"\n"
                   "}\n");

  /* Replacing an existing subtree, then grafting an absent one deletes. */
  {
    g_autoptr(VcrTree) other = vcr_test_parse ("firewall {\n name WAN {\n  default-action accept\n }\n}\n",
                                         VCR_PARSE_DEFAULT);

    vcr_tree_graft (dst, other, wan);
    g_assert_true (vcr_tree_subtree_equal (dst, other, wan));
    g_assert_false (vcr_tree_subtree_equal (dst, src, wan));
    vcr_tree_graft (dst, other, lan);
    vcr_tree_graft (dst, other, eth);
    g_assert_null (vcr_tree_lookup (dst, eth));
    g_assert_null (vcr_tree_lookup (dst, (const char *[]) { "interfaces", NULL }));
  }
  /* The whole tree. */
  vcr_tree_graft (dst, src, NULL);
  g_assert_true (vcr_tree_subtree_equal (dst, src, NULL));
}

static void
test_subtree_equal (void)
{
  g_autoptr(VcrTree) a = vcr_test_parse ("a {\n    b c\n    d\n}\n", VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) b = vcr_test_parse ("a {\n  d\n  b c\n}\n", VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) c = vcr_test_parse ("a {\n  /* x */\n  b c\n  d\n}\n", VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) d = vcr_test_parse ("a {\n  b c\n  d {\n  }\n}\n", VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) e = vcr_test_parse ("a {\n  b c\n  b e\n  d\n}\n", VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) empty = vcr_tree_new ();
  const char *pa[] = { "a", NULL };
  const char *missing[] = { "x", "y", NULL };

  g_assert_true (vcr_tree_subtree_equal (a, b, pa));
  g_assert_false (vcr_tree_subtree_equal (a, c, pa));     /* comment */
  g_assert_false (vcr_tree_subtree_equal (a, d, pa));     /* `d` vs `d {}` */
  g_assert_false (vcr_tree_subtree_equal (a, e, pa));     /* values */
  g_assert_true (vcr_tree_subtree_equal (a, e, missing)); /* both absent */
  g_assert_false (vcr_tree_subtree_equal (a, empty, pa));
}

/* ---- parser ----------------------------------------------------------- */

static void
test_parse_nodes (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse ("a {\n  /* c1 */\n  /*  c2  */\n  t x {\n    v 1\n    v 2\n  }\n}\n",
                                      VCR_PARSE_RAW);
  const char *tx[] = { "a", "t", "x", NULL };
  const char *t[] = { "a", "t", NULL };
  const char *v[] = { "a", "t", "x", "v", NULL };
  VcrNode *node = vcr_tree_lookup (tree, tx);

  g_assert_nonnull (node);
  g_assert_cmpstr (vcr_node_get_comment (node), ==, "c2");
  g_assert_true (vcr_node_is_tag (vcr_tree_lookup (tree, t)));
  g_assert_null (vcr_node_get_comment (vcr_tree_lookup (tree, t)));
  node = vcr_tree_lookup (tree, v);
  g_assert_true (vcr_node_is_leaf (node));
  g_assert_cmpuint (vcr_node_get_n_values (node), ==, 2);
  g_assert_cmpstr (vcr_node_get_value (node, 0), ==, "1");
  g_assert_cmpstr (vcr_node_get_value (node, 1), ==, "2");
  g_assert_cmpstr (vcr_node_get_name (vcr_tree_get_root (tree)), ==, "");
}

static void
test_parse_errors (void)
{
  assert_parse_fails ("a {\n", 4, VCR_PARSE_DEFAULT, "in:2:1: Invalid syntax");
  assert_parse_fails ("}\n", 2, VCR_PARSE_DEFAULT, "in:1:1: Invalid syntax");
  assert_parse_fails ("a \"b", 4, VCR_PARSE_DEFAULT, "in:1:5: Quoted string is missing the closing double quote");
  assert_parse_fails ("a 'b", 4, VCR_PARSE_DEFAULT, "closing single quote");
  assert_parse_fails ("a \"\\q\"\n", 7, VCR_PARSE_RAW, "in:1:4: unknown escape sequence \"\\q\"");
  assert_parse_fails ("a \"x\\", 5, VCR_PARSE_RAW, "lexing: empty token");
  assert_parse_fails ("/* open", 7, VCR_PARSE_DEFAULT, "in:1:1: comment is missing");
  assert_parse_fails ("a {\n x {\n  y\n }\n x {\n  y\n }\n}\n", 30, VCR_PARSE_DEFAULT,
                      "in:8:1: Node \"a x\" has two children named \"y\"");
  assert_parse_fails ("a b {\n x {\n  y\n }\n x {\n  y\n }\n}\n", 32, VCR_PARSE_DEFAULT,
                      "Node \"a b x\" has two children named \"y\"");
}

static void
test_parse_nul (void)
{
  const char text[] = "a {\n    b c\0d\n}\n";

  assert_parse_fails (text, sizeof text - 1, VCR_PARSE_DEFAULT, "in:2:8: a NUL byte");
  assert_parse_fails (text, sizeof text - 1, VCR_PARSE_RAW, "NUL byte");
}

static void
test_parse_deep (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;

  for (guint i = 0; i < 10000; i++)
    g_string_append (text, "a {\n");
  for (guint i = 0; i < 10000; i++)
    g_string_append (text, "}\n");
  tree = vcr_tree_parse (text->str, text->len, VCR_PARSE_DEFAULT, "deep", &error);
  g_assert_null (tree);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "deep:1001:3: nodes nested deeper than 1000"));
  g_clear_error (&error);

  /* 10,000 opening braces with nothing else, and deep but allowed. */
  g_string_truncate (text, 0);
  for (guint i = 0; i < 10000; i++)
    g_string_append (text, "{");
  assert_parse_fails (text->str, text->len, VCR_PARSE_DEFAULT, "in:1:1: Invalid syntax");
  g_string_truncate (text, 0);
  for (guint i = 0; i < 900; i++)
    g_string_append (text, "a {\n");
  g_string_append (text, "leaf x\n");
  for (guint i = 0; i < 900; i++)
    g_string_append (text, "}\n");
  tree = vcr_tree_parse (text->str, text->len, VCR_PARSE_DEFAULT, "deep", &error);
  g_assert_no_error (error);
  {
    g_autofree char *boot = vcr_test_render (tree, VCR_FORMAT_BOOT);
    g_autofree char *json = vcr_test_render (tree, VCR_FORMAT_JSON);
    g_autoptr(VcrTree) copy = vcr_tree_copy (tree);

    g_assert_true (g_str_has_suffix (boot, "}\n"));
    g_assert_true (g_str_has_suffix (json, "}}"));
    g_assert_true (vcr_tree_subtree_equal (tree, copy, NULL));
  }
  g_string_free (text, TRUE);
}

static void
test_parse_huge_token (void)
{
  gsize size = 8 * 1024 * 1024;
  g_autofree char *text = g_malloc (size + 16);
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(GError) error = NULL;
  VcrNode *node;

  memcpy (text, "name \"", 6);
  memset (text + 6, 'x', size);
  memcpy (text + 6 + size, "\"\n", 3);
  tree = vcr_tree_parse (text, size + 8, VCR_PARSE_DEFAULT, "huge", &error);
  g_assert_no_error (error);
  node = vcr_tree_lookup (tree, (const char *[]) { "name", NULL });
  g_assert_cmpuint (strlen (vcr_node_get_value (node, 0)), ==, size);
  /* A huge word, no newline at the end. */
  memset (text, 'y', size);
  g_clear_pointer (&tree, vcr_tree_free);
  tree = vcr_tree_parse (text, size, VCR_PARSE_RAW, "huge", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (vcr_node_get_name (vcr_node_get_child (vcr_tree_get_root (tree), 0))), ==, size);
}

static void
test_parse_invalid_utf8 (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse ("a \"\xff\xfe\xc3\"\n\xc3\x28 \xe9\n", VCR_PARSE_DEFAULT);
  g_autofree char *boot = vcr_test_render (tree, VCR_FORMAT_BOOT);

  /* Bytes >= 128 pass through unchanged, as VyOS does. */
  g_assert_cmpstr (boot, ==, "a \"\xff\xfe\xc3\"\n\xc3\x28 \"\xe9\"\n");
}

static void
test_parse_empty (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse ("", VCR_PARSE_DEFAULT);
  g_autofree char *json = vcr_test_render (tree, VCR_FORMAT_JSON);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) null_tree = vcr_tree_parse (NULL, 0, VCR_PARSE_DEFAULT, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (null_tree);
  assert_boot (tree, "");
  g_assert_cmpstr (json, ==, "{}");
}

/* ---- pipeline mode ---------------------------------------------------- */

static void
test_pipeline_footer (void)
{
  const char *text =
    "system {\n    host-name vyos\n}\n"
    "// Warning: Do not remove the following line.\n"
    "// vyos-config-version: \"bgp@5:system@27\"\n"
    "// Release version: 1.4.0\n";
  const char *old =
    "system {\n    host-name vyos\n}\n"
    "/* Warning: Do not remove the following line. */\n"
    "/* === vyatta-config-version: \"system@6\" === */\n"
    "/* Release version: 1.2.6 */\n";
  g_autoptr(VcrTree) tree = vcr_test_parse (text, VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) tree_old = vcr_test_parse (old, VCR_PARSE_DEFAULT);
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_cmpstr (vcr_tree_get_footer (tree), ==, strstr (text, "// Warning"));
  g_assert_cmpstr (vcr_tree_get_footer (tree_old), ==, strstr (old, "/* Warning"));
  assert_boot (tree, "system {\n    host-name \"vyos\"\n}\n");
  contents = vcr_tree_to_file_contents (tree_old, &length);
  g_assert_cmpstr (contents, ==,
                   "system {\n    host-name \"vyos\"\n}\n\n"
                   "/* Warning: Do not remove the following line. */\n"
                   "/* === vyatta-config-version: \"system@6\" === */\n"
                   "/* Release version: 1.2.6 */\n");
  g_assert_cmpuint (length, ==, strlen (contents));
  /* The bare library refuses the old footer (a comment with no node). */
  assert_parse_fails (old, strlen (old), VCR_PARSE_RAW, "in:7:1: Invalid syntax");
  {
    g_autoptr(VcrTree) raw = vcr_test_parse (text, VCR_PARSE_RAW);

    g_assert_null (vcr_tree_get_footer (raw));
    g_free (contents);
    contents = vcr_tree_to_file_contents (raw, NULL);
    g_assert_cmpstr (contents, ==, "system {\n    host-name \"vyos\"\n}\n");
  }
  vcr_tree_set_footer (tree, NULL);
  g_assert_null (vcr_tree_get_footer (tree));
}

static void
test_pipeline_backslash (void)
{
  /* A backslash in a quoted value at the end of a line is literal. */
  const char *text = "a {\n    b \"x\\ny\"\n    c 'p\\q'\n    d \"e\\\"f\" \n}\n";
  g_autoptr(VcrTree) tree = vcr_test_parse (text, VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) raw = NULL;
  g_autofree char *json = vcr_test_render (tree, VCR_FORMAT_JSON);
  const char *b[] = { "a", "b", NULL };
  const char *c[] = { "a", "c", NULL };
  const char *d[] = { "a", "d", NULL };

  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, b), 0), ==, "x\\ny");
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, c), 0), ==, "p\\q");
  /* Not followed by a newline: the escape stays an escape. */
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, d), 0), ==, "e\"f");
  g_assert_cmpstr (json, ==, "{\"a\": {\"b\": \"x\\\\ny\",\"c\": \"p\\\\q\",\"d\": \"e\\\"f\"}}");
  assert_boot (tree, "a {\n    b \"x\\ny\"\n    c \"p\\q\"\n    d \"e\\\"f\"\n}\n");
  /* The bare library reads the escapes, and an unknown one fails. */
  raw = vcr_test_parse ("a {\n    b \"x\\ny\"\n}\n", VCR_PARSE_RAW);
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (raw, b), 0), ==, "x\ny");
  assert_boot (raw, "a {\n    b \"x\\ny\"\n}\n");
  assert_parse_fails (text, strlen (text), VCR_PARSE_RAW, "in:3:9: unknown escape");
  /* Positions after the pre-pass refer to the caller's text. */
  assert_parse_fails ("a \"\\\\\"\n b c d\n", 14, VCR_PARSE_DEFAULT, "in:2:6: Invalid syntax");
}

static void
test_show_config (void)
{
  const char *text =
    "interfaces {\n"
    "    ethernet eth0 {\n"
    "        address 192.0.2.1/24\n"
    "        description \"uplink to \\ the ISP\"\n"
    "        hw-id 00:11:22:33:44:55\n"
    "    }\n"
    "    loopback lo {\n"
    "    }\n"
    "}\n"
    "system {\n"
    "    login {\n"
    "        banner {\n"
    "            pre-login \"line one\\nstill one\"\n"
    "        }\n"
    "    }\n"
    "}\n";
  g_autoptr(VcrTree) tree = vcr_test_parse (text, VCR_PARSE_SHOW_CONFIG);
  const char *desc[] = { "interfaces", "ethernet", "eth0", "description", NULL };
  const char *banner[] = { "system", "login", "banner", "pre-login", NULL };

  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, desc), 0), ==, "uplink to \\ the ISP");
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, banner), 0), ==, "line one\\nstill one");
  assert_boot (tree,
               "interfaces {\n"
               "    ethernet eth0 {\n"
               "        address \"192.0.2.1/24\"\n"
               "        description \"uplink to \\ the ISP\"\n"
               "        hw-id \"00:11:22:33:44:55\"\n"
               "    }\n"
               "    loopback lo {\n"
               "    }\n"
               "}\n"
               "system {\n"
               "    login {\n"
               "        banner {\n"
               "            pre-login \"line one\\nstill one\"\n"
               "        }\n"
               "    }\n"
               "}\n");
}

/* The synthetic fixtures that the vyos-1x pipeline reads differently from
 * the bare library (which rendered their expected files). */
static void
test_pipeline_synthetic (void)
{
  const char *dir = g_getenv ("VCR_SHARED_DATA");
  g_autoptr(GError) error = NULL;
  g_autofree char *footer_path = NULL;
  g_autofree char *escape_path = NULL;
  g_autofree char *quoting_path = NULL;
  g_autofree char *text = NULL;
  gsize length;

  g_assert_nonnull (dir);
  footer_path = g_build_filename (dir, "vyos1x-config-fixtures", "synthetic",
                                  "vyatta-style-footer-error.boot", NULL);
  escape_path = g_build_filename (dir, "vyos1x-config-fixtures", "synthetic",
                                  "quoting-unknown-escape-error.boot", NULL);
  quoting_path = g_build_filename (dir, "vyos1x-config-fixtures", "synthetic",
                                   "quoting-escapes.boot", NULL);

  /* The old footer is split off: the body parses. */
  g_file_get_contents (footer_path, &text, &length, &error);
  g_assert_no_error (error);
  {
    g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, "f", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (vcr_tree_get_footer (tree), ==, "/* Warning: Do not remove the following line. */\n");
    assert_boot (tree, "a {\n    b \"c\"\n}\n");
  }
  /* A backslash in a value that ends a line is literal: no unknown escape. */
  g_clear_pointer (&text, g_free);
  g_file_get_contents (escape_path, &text, &length, &error);
  g_assert_no_error (error);
  {
    g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, "e", &error);
    g_autofree char *json = NULL;

    g_assert_no_error (error);
    json = vcr_test_render (tree, VCR_FORMAT_JSON);
    g_assert_cmpstr (json, ==, "{\"a\": {\"b\": \"bad \\\\d escape\"}}");
    assert_boot (tree, "a {\n    b \"bad \\d escape\"\n}\n");
  }
  /* Escapes in such values are literal too (only after an escaped quote
   * here: the match starts at that quote), and the rendering undoes the
   * doubling: the text comes back as it was. */
  g_clear_pointer (&text, g_free);
  g_file_get_contents (quoting_path, &text, &length, &error);
  g_assert_no_error (error);
  {
    g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, "q", &error);
    const char *d[] = { "a", "d", NULL };

    g_assert_no_error (error);
    g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, d), 0), ==,
                     "esc \" \\\\ \\/ \\n \\t \\r \\b \\f \\' end");
    {
      g_autofree char *boot = vcr_test_render (tree, VCR_FORMAT_BOOT);
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

      g_assert_true (g_str_has_prefix (lines[3], "    d \"esc"));
      g_assert_nonnull (strstr (boot, lines[3]));
    }
  }
}

/* ---- renderings ------------------------------------------------------- */

static void
test_render_json (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse ("a {\n b \"q\\\"\\t\"\n c\n d {\n }\n e \"\x01\x7f\xc3\xa9\"\n m 1\n m 2\n}\n",
                                      VCR_PARSE_RAW);
  g_autoptr(VcrTree) bad = vcr_test_parse ("a x\na {\n b c\n}\n", VCR_PARSE_RAW);
  g_autoptr(VcrTree) keys = vcr_tree_new ();
  const char *odd[] = { "k\"\x01", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *json = vcr_test_render (tree, VCR_FORMAT_JSON);
  g_autofree char *json_bad = NULL;
  g_autofree char *json_keys = NULL;

  g_assert_cmpstr (json, ==,
                   "{\"a\": {\"b\": \"q\\\"\\t\",\"c\": {},\"d\": {},"
                   "\"e\": \"\\u0001\\u007f\xc3\xa9\",\"m\": [\"1\",\"2\"]}}");
  /* Keys are escaped like values (VyOS writes them raw). */
  vcr_tree_ensure_path (keys, odd);
  json_keys = vcr_test_render (keys, VCR_FORMAT_JSON);
  g_assert_cmpstr (json_keys, ==, "{\"k\\\"\\u0001\": {}}");
  /* Values and children on one node: JSON cannot show it. */
  json_bad = vcr_tree_render (bad, VCR_FORMAT_JSON, NULL, &error);
  g_assert_null (json_bad);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  /* The boot rendering keeps VyOS's \ddd. */
  {
    g_autofree char *boot = vcr_test_render (tree, VCR_FORMAT_BOOT);

    g_assert_nonnull (strstr (boot, "e \"\\001\\127\xc3\xa9\"\n"));
  }
}

static void
test_render_commands (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse ("interfaces {\n"
                                      "    ethernet eth0 {\n"
                                      "        address 192.168.0.1/24\n"
                                      "        address fe88::1/56\n"
                                      "        description \"it's \\\"ok\\\"\"\n"
                                      "        offload {\n"
                                      "            gro\n"
                                      "        }\n"
                                      "    }\n"
                                      "    ethernet \"eth 1\" {\n"
                                      "    }\n"
                                      "    loopback lo {\n"
                                      "    }\n"
                                      "}\n", VCR_PARSE_DEFAULT);
  g_autofree char *commands = vcr_test_render (tree, VCR_FORMAT_COMMANDS);

  g_assert_cmpstr (commands, ==,
                   "set interfaces ethernet 'eth 1'\n"
                   "set interfaces ethernet eth0 address '192.168.0.1/24'\n"
                   "set interfaces ethernet eth0 address 'fe88::1/56'\n"
                   "set interfaces ethernet eth0 description 'it'\\''s \"ok\"'\n"
                   "set interfaces ethernet eth0 offload gro\n"
                   "set interfaces loopback lo\n");
}

static void
test_render_boot_shapes (void)
{
  /* Childless tag value, empty braces, valueless leaf, values and children
   * together (children win), comments. */
  g_autoptr(VcrTree) tree = vcr_test_parse ("/* top */\n"
                                      "z {\n"
                                      "}\n"
                                      "y\n"
                                      "x 1 {\n"
                                      "}\n"
                                      "w v\n"
                                      "w {\n"
                                      "    k\n"
                                      "}\n", VCR_PARSE_DEFAULT);

  assert_boot (tree,
               "w {\n"
               "    k\n"
               "}\n"
               "x 1 {\n"
               "}\n"
               "y\n"
               "/* top */\n"
               "z {\n"
               "}\n");
}

/* ---- the fuzz corpus -------------------------------------------------- */

static void
test_fuzz_corpus (void)
{
  const char *dir_path = g_getenv ("VCR_FUZZ_CORPUS");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir_path);
  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autofree char *text = NULL;
      gsize length;

      g_file_get_contents (path, &text, &length, &error);
      g_assert_no_error (error);
      for (guint mode = 0; mode < 3; mode++)
        {
          VcrParseFlags flags = (VcrParseFlags[]) { VCR_PARSE_DEFAULT, VCR_PARSE_RAW,
                                                    VCR_PARSE_SHOW_CONFIG }[mode];
          g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, flags, name, &error);

          if (tree == NULL)
            {
              g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
              g_clear_error (&error);
              continue;
            }
          for (VcrFormat format = VCR_FORMAT_BOOT; format <= VCR_FORMAT_COMMANDS; format++)
            {
              g_autofree char *out = vcr_tree_render (tree, format, NULL, &error);

              g_assert_true ((out != NULL) == (error == NULL));
              g_clear_error (&error);
            }
        }
      count++;
    }
  g_assert_cmpuint (count, >, 10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tree/order", test_order);
  g_test_add_func ("/tree/ensure-path", test_ensure_path);
  g_test_add_func ("/tree/ensure-path/many", test_ensure_path_many);
  g_test_add_func ("/tree/ensure-path/odd-names", test_ensure_path_odd_names);
  g_test_add_func ("/tree/ensure-path/too-deep", test_ensure_path_too_deep);
  g_test_add_func ("/tree/delete", test_delete);
  g_test_add_func ("/tree/copy", test_copy);
  g_test_add_func ("/tree/graft", test_graft);
  g_test_add_func ("/tree/subtree-equal", test_subtree_equal);
  g_test_add_func ("/tree/parse/nodes", test_parse_nodes);
  g_test_add_func ("/tree/parse/errors", test_parse_errors);
  g_test_add_func ("/tree/parse/nul", test_parse_nul);
  g_test_add_func ("/tree/parse/deep", test_parse_deep);
  g_test_add_func ("/tree/parse/huge-token", test_parse_huge_token);
  g_test_add_func ("/tree/parse/invalid-utf8", test_parse_invalid_utf8);
  g_test_add_func ("/tree/parse/empty", test_parse_empty);
  g_test_add_func ("/tree/pipeline/footer", test_pipeline_footer);
  g_test_add_func ("/tree/pipeline/backslash", test_pipeline_backslash);
  g_test_add_func ("/tree/parse/show-config", test_show_config);
  vcr_test_add_shared_func ("/tree/pipeline/synthetic", test_pipeline_synthetic);
  g_test_add_func ("/tree/render/json", test_render_json);
  g_test_add_func ("/tree/render/commands", test_render_commands);
  g_test_add_func ("/tree/render/boot-shapes", test_render_boot_shapes);
  g_test_add_func ("/tree/fuzz-corpus", test_fuzz_corpus);
  return g_test_run ();
}
