/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Spliced snapshot texts (lib/vcr-splice.h). The promise tested here: a
 * text the check accepts parses, lies within its path and renders back to
 * itself; a config with the text spliced in renders exactly as the config
 * with the parsed text grafted in. Over every path three levels deep of
 * every real config in the shared data, and over hand-made texts that are
 * one step away from canonical, which must all be refused.
 */
#include <string.h>

#include "vcr-path.h"
#include "vcr-splice.h"
#include "vcr-test-util.h"

static const char wan_text[] =
  "firewall {\n"
  "    name WAN {\n"
  "        default-action \"drop\"\n"
  "        rule 10 {\n"
  "            action \"accept\"\n"
  "            log\n"
  "        }\n"
  "        rule 20 {\n"
  "            action \"drop\"\n"
  "            protocol \"tcp_udp\"\n"
  "        }\n"
  "    }\n"
  "}\n";

/* A config around "firewall name WAN", with neighbours on every side. */
static const char around[] =
  "firewall {\n"
  "    group {\n"
  "        address-group LAN {\n"
  "            address \"10.0.0.1\"\n"
  "        }\n"
  "    }\n"
  "    name LAN {\n"
  "        default-action \"accept\"\n"
  "    }\n"
  "    name WAN {\n"
  "        default-action \"accept\"\n"
  "    }\n"
  "    name ZONE {\n"
  "        default-action \"drop\"\n"
  "    }\n"
  "}\n"
  "interfaces {\n"
  "    ethernet eth0 {\n"
  "        address \"dhcp\"\n"
  "    }\n"
  "}\n"
  "system {\n"
  "    host-name \"r1\"\n"
  "    name-server \"10.0.0.53\"\n"
  "}\n"
  "// Warning: Do not remove the following line.\n"
  "// vyos-config-version: \"firewall@10\"\n";

static GStrv
words_of (const char *path)
{
  return g_strsplit (path, " ", -1);
}

/* What the check promises of an accepted text. */
static void
assert_canonical (const char *text, gsize length, const char *const *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, "spliced", &error);
  g_autofree char *again = NULL;
  gsize again_length = 0;

  g_assert_no_error (error);
  g_assert_null (vcr_tree_get_footer (tree));
  g_assert_true (vcr_tree_is_within (tree, words));
  again = vcr_tree_to_file_contents (tree, &again_length);
  g_assert_cmpmem (again, again_length, text, length);
}

static gboolean
collect (const char *data, gsize length, gpointer user_data, GError **error)
{
  g_string_append_len (user_data, data, length);
  return TRUE;
}

/* The boot file of @tree, whole and streamed in small chunks: the same. */
static char *
file_of (const VcrTree *tree)
{
  g_autoptr(GString) streamed = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *whole = vcr_tree_to_file_contents (tree, NULL);

  g_assert_true (vcr_tree_stream_file_contents (tree, 7, collect, streamed, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (streamed->str, ==, whole);
  return g_steal_pointer (&whole);
}

/* @base with @text at @words, spliced and grafted after a parse: the same
 * file; and the spliced tree grafted into @base again (the file backend's
 * path when the file changed under an apply): the same file too. */
static void
assert_splice_renders_as_graft (const VcrTree *base, const char *text, gsize length,
                                const char *const *words)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(VcrTree) parsed = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, "t", NULL);
  g_autoptr(VcrTree) grafted = NULL;
  g_autoptr(VcrTree) spliced = NULL;
  g_autoptr(VcrTree) regrafted = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autofree char *got_again = NULL;
  VcrSplice splice;

  g_ptr_array_add (paths, (gpointer) words);
  g_assert_true (vcr_splice_check (text, length, words, &splice));
  grafted = vcr_tree_copy_pruned (base, paths);
  spliced = vcr_tree_copy_pruned (base, paths);
  regrafted = vcr_tree_copy_pruned (base, paths);
  vcr_tree_graft (grafted, parsed, words);
  g_assert_true (vcr_tree_graft_splice (spliced, words, &splice));
  vcr_tree_graft (regrafted, spliced, words);
  want = file_of (grafted);
  got = file_of (spliced);
  got_again = file_of (regrafted);
  g_assert_cmpstr (got, ==, want);
  g_assert_cmpstr (got_again, ==, want);
}

static void
test_splice_accepts (void)
{
  g_auto(GStrv) words = words_of ("firewall name WAN");
  g_autoptr(VcrTree) base = vcr_test_parse_default (around);
  VcrSplice splice;

  g_assert_true (vcr_splice_check (wan_text, strlen (wan_text), (const char *const *) words, &splice));
  g_assert_true (splice.text == wan_text);
  g_assert_cmpuint (splice.n_words, ==, 3);
  /* the path's own lines: from "    name WAN {" to its "    }" */
  g_assert_cmpuint (splice.start, ==, strlen ("firewall {\n"));
  g_assert_cmpuint (splice.end, ==, strlen (wan_text) - strlen ("}\n"));
  g_assert_cmpuint (splice.tag_words, ==, 2);   /* "name" is a tag node */
  g_assert_false (splice.leaf);
  assert_canonical (wan_text, strlen (wan_text), (const char *const *) words);
  assert_splice_renders_as_graft (base, wan_text, strlen (wan_text), (const char *const *) words);
}

/* Every shape a path's node can have, into a config that has the
 * ancestors, or not. */
static void
test_splice_shapes (void)
{
  static const struct {
    const char *path;
    const char *text;
  } cases[] = {
    /* a tag node: its children are the path's lines */
    { "interfaces openvpn",
      "interfaces {\n    openvpn vtun0 {\n        mode \"site-to-site\"\n    }\n"
      "    openvpn vtun10 {\n        mode \"server\"\n    }\n}\n" },
    /* a leaf with values, one without, a top-level node */
    { "system name-server", "system {\n    name-server \"10.0.0.1\"\n    name-server \"10.0.0.1\"\n}\n" },
    { "system option performance",
      "system {\n    option {\n        performance\n    }\n}\n" },
    { "service", "service {\n    ntp {\n    }\n    ssh {\n        port \"22\"\n    }\n}\n" },
    /* a tag child deep down, an empty node, a path through two tag nodes */
    { "firewall name WAN rule 10",
      "firewall {\n    name WAN {\n        rule 10 {\n            action \"accept\"\n"
      "            description \"\"\n        }\n    }\n}\n" },
    { "firewall name NEW", "firewall {\n    name NEW {\n    }\n}\n" },
    { "protocols static route 10.1.0.0/16",
      "protocols {\n    static {\n        route 10.1.0.0/16 {\n            next-hop 10.0.0.1 {\n"
      "            }\n        }\n    }\n}\n" },
    /* a value with UTF-8, single quotes, slashes and braces */
    { "system login banner",
      "system {\n    login {\n        banner {\n            pre-login \"Caf\xc3\xa9 'x' http://a/{b}\"\n"
      "        }\n    }\n}\n" },
  };
  g_autoptr(VcrTree) base = vcr_test_parse_default (around);
  g_autoptr(VcrTree) empty = vcr_tree_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) words = words_of (cases[i].path);
      gsize length = strlen (cases[i].text);
      VcrSplice splice;

      g_test_message ("%s", cases[i].path);
      g_assert_true (vcr_splice_check (cases[i].text, length, (const char *const *) words, &splice));
      assert_canonical (cases[i].text, length, (const char *const *) words);
      assert_splice_renders_as_graft (base, cases[i].text, length, (const char *const *) words);
      assert_splice_renders_as_graft (empty, cases[i].text, length, (const char *const *) words);
    }
}

/* One step away from canonical (or outside the path): all refused. */
static void
test_splice_refuses (void)
{
  static const struct {
    const char *why;
    const char *path;
    const char *text;
  } cases[] = {
    { "empty: the path is absent", "firewall", "" },
    { "not reached", "firewall name WAN", "firewall {\n}\n" },
    { "no final newline", "firewall", "firewall {\n}" },
    { "three spaces", "a b", "a {\n   b\n}\n" },
    { "a tab", "a b", "a {\n\tb\n}\n" },
    { "CR LF", "a b", "a {\r\n    b\r\n}\r\n" },
    { "a blank line", "a b", "a {\n\n    b\n}\n" },
    { "trailing space", "a b", "a {\n    b \n}\n" },
    { "brace on the closer's line", "a b", "a {\n    b\n} \n" },
    { "closer too deep", "a b", "a {\n    b\n    }\n" },
    { "unclosed", "a b", "a {\n    b\n" },
    { "one closer too many", "a b", "a {\n    b\n}\n}\n" },
    { "unsorted", "a", "a {\n    c\n    b\n}\n" },
    { "unsorted tag values", "a", "a {\n    r 20 {\n    }\n    r 10 {\n    }\n}\n" },
    { "numeric order", "a", "a {\n    r 10 {\n    }\n    r 9 {\n    }\n}\n" },
    { "a repeated node", "a", "a {\n    b {\n    }\n    b {\n    }\n}\n" },
    { "a repeated tag value", "a", "a {\n    r 1 {\n    }\n    r 1 {\n    }\n}\n" },
    { "a repeated leaf", "a", "a {\n    b\n    b\n}\n" },
    { "a leaf and a value", "a", "a {\n    b\n    b \"1\"\n}\n" },
    { "a node and a tag value", "a", "a {\n    b {\n    }\n    b x {\n    }\n}\n" },
    { "a comment", "a", "a {\n    /* note */\n    b\n}\n" },
    { "a line comment", "a", "a {\n    // note\n    b\n}\n" },
    { "a backslash", "a", "a {\n    b \"x\\\\y\"\n}\n" },
    { "an escaped quote", "a", "a {\n    b \"x\\\"y\"\n}\n" },
    { "a control byte", "a", "a {\n    b \"x\x01y\"\n}\n" },
    { "a DEL byte", "a", "a {\n    b \"x\x7fy\"\n}\n" },
    { "a footer mark in a value", "a",
      "a {\n    b \"// Warning: Do not remove the following line.\"\n}\n" },
    { "the old footer mark", "a",
      "a {\n    b \"/* Warning: Do not remove the following line. */\"\n}\n" },
    { "a footer", "a", "a {\n}\n// Warning: Do not remove the following line.\n" },
    { "a single-quoted value", "a", "a {\n    b 'x'\n}\n" },
    { "a bare value", "a", "a {\n    b x\n}\n" },
    { "a quoted tag value", "a", "a {\n    b \"x\" {\n    }\n}\n" },
    { "leading zeros", "a", "a {\n    r 01 {\n    }\n}\n" },
    { "ten digits", "a", "a {\n    r 1234567890 {\n    }\n}\n" },
    { "a name starting with a slash", "a", "a {\n    /b\n}\n" },
    { "a quote in a name", "a", "a {\n    b'c\n}\n" },
    { "outside the path", "a", "a {\n}\nb {\n}\n" },
    { "beside the path", "a b", "a {\n    b\n    c\n}\n" },
    { "a leaf above the path", "a b", "a\n" },
    { "a value above the path", "a b", "a \"b\"\n" },
    { "another tag value", "a b c", "a {\n    b d {\n    }\n}\n" },
    { "an ancestor twice", "a b", "a {\n    b\n}\na {\n    b\n}\n" },
    { "a second line in the ancestor", "a b c", "a {\n    b {\n        c\n    }\n    b {\n    }\n}\n" },
    { "two spaces before a brace", "a", "a  {\n}\n" },
    { "a brace without a space", "a", "a{\n}\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) words = words_of (cases[i].path);
      gsize length = strlen (cases[i].text);
      VcrSplice splice;

      g_test_message ("%s", cases[i].why);
      g_assert_false (vcr_splice_check (cases[i].text, length, (const char *const *) words, &splice));
    }
}

static void
test_splice_refuses_nul (void)
{
  static const char text[] = "a {\n    b \"x\0y\"\n}\n";
  const char *words[] = { "a", NULL };
  VcrSplice splice;

  g_assert_false (vcr_splice_check (text, sizeof text - 1, words, &splice));
  /* the same without the NUL is fine */
  g_assert_true (vcr_splice_check ("a {\n    b \"xy\"\n}\n", sizeof text - 2, words, &splice));
}

/* A digit run with a leading zero ("01", "a007"); the words here are too
 * short for the other odd kind, runs of ten digits. */
static gboolean
has_leading_zero (const char *word)
{
  for (const char *p = word; *p != '\0'; p++)
    if (*p == '0' && g_ascii_isdigit (p[1]) && (p == word || !g_ascii_isdigit (p[-1])))
      return TRUE;
  return FALSE;
}

/* Two leaves are taken in the parser's order only, for every pair of short
 * words made of digits, letters and punctuation (the order of names with
 * leading zeros or long digit runs is not plain: never taken). */
static void
test_splice_order (void)
{
  static const char alphabet[] = "0129ab-.";
  const char *words[] = { "x", NULL };
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint taken = 0;

  /* every word of 1 to 3 characters */
  for (guint len = 1; len <= 3; len++)
    {
      guint total = 1;

      for (guint i = 0; i < len; i++)
        total *= strlen (alphabet);
      for (guint n = 0; n < total; n++)
        {
          char word[4] = { 0 };

          for (guint i = 0, k = n; i < len; i++, k /= strlen (alphabet))
            word[i] = alphabet[k % strlen (alphabet)];
          g_ptr_array_add (names, g_strdup (word));
        }
    }
  for (guint i = 0; i < names->len; i++)
    for (guint j = 0; j < names->len; j += 7)
      {
        const char *a = names->pdata[i], *b = names->pdata[j];
        g_autofree char *text = g_strdup_printf ("x {\n    %s\n    %s\n}\n", a, b);
        gboolean plain = !has_leading_zero (a) && !has_leading_zero (b);
        VcrSplice splice;
        gboolean ok = vcr_splice_check (text, strlen (text), words, &splice);

        if (!plain)
          g_assert_false (ok);
        else
          g_assert_cmpint (ok, ==, vcr_lexical_numeric_compare (a, b) < 0);
        taken += ok;
      }
  g_assert_cmpuint (taken, >, 10000);
}

/* 129 levels: deeper than the check goes, though the parser takes it. */
static void
test_splice_refuses_deep (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const char *words[] = { "a", NULL };
  VcrSplice splice;

  for (guint i = 0; i < 129; i++)
    g_string_append_printf (text, "%*sa {\n", (int) (4 * i), "");
  for (guint i = 129; i > 0; i--)
    g_string_append_printf (text, "%*s}\n", (int) (4 * (i - 1)), "");
  g_assert_false (vcr_splice_check (text->str, text->len, words, &splice));
}

/* An ancestor the config has in the other form (a tag node in the text, a
 * plain one here): the text's lines would not fit; nothing changes. */
static void
test_splice_refuses_other_shape (void)
{
  g_auto(GStrv) words = words_of ("firewall name WAN");
  g_autoptr(VcrTree) base = vcr_test_parse_default ("firewall {\n    name {\n        LAN {\n        }\n    }\n}\n");
  g_autofree char *before = vcr_tree_to_file_contents (base, NULL);
  g_autofree char *after = NULL;
  VcrSplice splice;

  g_assert_true (vcr_splice_check (wan_text, strlen (wan_text), (const char *const *) words, &splice));
  g_assert_false (vcr_tree_graft_splice (base, (const char *const *) words, &splice));
  after = vcr_tree_to_file_contents (base, NULL);
  g_assert_cmpstr (after, ==, before);
}

typedef struct {
  const VcrTree *tree;
  guint paths;
  guint accepted;
} Walk;

/* One path of a real config: its snapshot text, checked; when accepted,
 * held to the promise. */
static void
check_real_path (Walk *w, const char *const *words)
{
  g_autofree char *text = vcr_path_snapshot_text (w->tree, words);
  VcrSplice splice;

  w->paths++;
  if (!vcr_splice_check (text, strlen (text), words, &splice))
    return;
  w->accepted++;
  assert_canonical (text, strlen (text), words);
  assert_splice_renders_as_graft (w->tree, text, strlen (text), words);
}

static void
walk (Walk *w, const VcrNode *node, GPtrArray *words, guint depth)
{
  for (guint i = 0; i < vcr_node_get_n_children (node); i++)
    {
      const VcrNode *child = vcr_node_get_child (node, i);

      g_ptr_array_add (words, (gpointer) vcr_node_get_name (child));
      g_ptr_array_add (words, NULL);
      check_real_path (w, (const char *const *) words->pdata);
      g_ptr_array_remove_index (words, words->len - 1);
      if (depth < 3)
        walk (w, child, words, depth + 1);
      g_ptr_array_remove_index (words, words->len - 1);
    }
}

/* Every path three levels deep of every real config: most are plain
 * enough to be spliced (or the replica would still parse every snapshot),
 * and every one accepted keeps the promise. */
static void
test_splice_real_configs (void)
{
  g_autoptr(GPtrArray) trees = vcr_test_load_real_configs ();
  guint paths = 0, accepted = 0;

  for (guint i = 0; i < trees->len; i++)
    {
      g_autoptr(GPtrArray) words = g_ptr_array_new ();
      Walk w = { g_ptr_array_index (trees, i), 0, 0 };

      walk (&w, vcr_tree_get_root (w.tree), words, 1);
      paths += w.paths;
      accepted += w.accepted;
    }
  g_test_message ("%u of %u paths spliced", accepted, paths);
  g_assert_cmpuint (paths, >, 1000);
  g_assert_cmpuint (accepted, >, paths * 3 / 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/splice/accepts", test_splice_accepts);
  g_test_add_func ("/splice/shapes", test_splice_shapes);
  g_test_add_func ("/splice/refuses", test_splice_refuses);
  g_test_add_func ("/splice/order", test_splice_order);
  g_test_add_func ("/splice/refuses-nul", test_splice_refuses_nul);
  g_test_add_func ("/splice/refuses-deep", test_splice_refuses_deep);
  g_test_add_func ("/splice/refuses-other-shape", test_splice_refuses_other_shape);
  vcr_test_add_shared_func ("/splice/real-configs", test_splice_real_configs);
  return g_test_run ();
}
