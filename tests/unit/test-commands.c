/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command lines: the shell's quoting, set/delete/comment semantics, the
 * value-or-node and flag rules, errors that name line:column and leave the
 * tree as it was, and the smoketest `config-tests` files. */
#include <stdlib.h>
#include <string.h>

#include "vcr-commands.h"
#include "vcr-error.h"
#include "vcr-test-util.h"

static VcrTree *
apply_ok (const VcrTree *tree, const char *text, const VcrTree *hints)
{
  g_autoptr(GError) error = NULL;
  VcrTree *result = vcr_commands_apply (tree, text, strlen (text), hints, "test", &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static void
assert_fails (const VcrTree *tree, const char *text, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) result = vcr_commands_apply (tree, text, strlen (text), NULL, "in", &error);

  g_assert_null (result);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_test_message ("message: %s; expected: %s", error->message, message);
  g_assert_true (g_str_has_prefix (error->message, message));
}

static void
test_commands_set (void)
{
  g_autoptr(VcrTree) tree = apply_ok (NULL,
                                      "set interfaces ethernet eth0 address '192.168.0.1/24'\n"
                                      "set interfaces ethernet eth0 address 'fe88::1/56'\n"
                                      "set interfaces ethernet eth0 address 'fe88::1/56'\n"
                                      "\n"
                                      "# a comment line\n"
                                      "   set interfaces ethernet eth0 offload gro   # trailing\n"
                                      "set interfaces loopback lo\r\n"
                                      "set system host-name \"vy os\"\n", NULL);
  g_autofree char *commands = vcr_test_render (tree, VCR_FORMAT_COMMANDS);
  const char *address[] = { "interfaces", "ethernet", "eth0", "address", NULL };
  VcrNode *node = vcr_tree_lookup (tree, address);

  g_assert_cmpstr (commands, ==,
                   "set interfaces ethernet eth0 address '192.168.0.1/24'\n"
                   "set interfaces ethernet eth0 address 'fe88::1/56'\n"
                   "set interfaces ethernet eth0 offload gro\n"
                   "set interfaces loopback lo\n"
                   "set system host-name 'vy os'\n");
  g_assert_true (vcr_node_is_leaf (node));
  g_assert_cmpuint (vcr_node_get_n_values (node), ==, 2);
}

static void
test_commands_quoting (void)
{
  g_autoptr(VcrTree) tree = apply_ok (NULL,
                                      "set a b \"x \\\"y\\\" \\\\ \\$ \\n\"\n"
                                      "set a c 'it'\\''s'\n"
                                      "set a d 'two\nlines'\n"
                                      "set a e\\ f 'v'\n"
                                      "set a g \"\"\n", NULL);
  const char *b[] = { "a", "b", NULL };
  const char *c[] = { "a", "c", NULL };
  const char *d[] = { "a", "d", NULL };
  const char *ef[] = { "a", "e f", NULL };
  const char *g[] = { "a", "g", NULL };

  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, b), 0), ==, "x \"y\" \\ $ \\n");
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, c), 0), ==, "it's");
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, d), 0), ==, "two\nlines");
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, ef), 0), ==, "v");
  g_assert_cmpstr (vcr_node_get_value (vcr_tree_lookup (tree, g), 0), ==, "");
}

/* Whatever the quoting functions write reads back as the same word. */
static void
test_commands_quote_roundtrip (void)
{
  const char *nasty[] = {
    "plain", "with space", "it's", "\"dq\"", "back\\slash", "$HOME", "`cmd`",
    "semi;colon", "#hash", "tab\there", "a*b?[c]", "{brace}", "~tilde", "!bang",
    "ünïcödé", "'", "''", "\\", "new\nline", "x=y,z:w/v@u%t+s^r", NULL
  };

  for (guint i = 0; nasty[i] != NULL; i++)
    {
      /* A name with a newline can only be quoted, which makes it a value
       * (vcr-commands.h rule 1): such names are not round-tripped. */
      const char *name = strchr (nasty[i], '\n') == NULL ? nasty[i] : "nl";
      g_autofree char *word = vcr_commands_quote_word (name);
      g_autofree char *value = vcr_commands_quote_value (nasty[i]);
      g_autofree char *line = g_strdup_printf ("set node %s %s\n", word, value);
      g_autoptr(VcrTree) tree = NULL;
      const char *path[] = { "node", name, NULL };
      VcrNode *node;

      g_test_message ("line: %s", line);
      tree = apply_ok (NULL, line, NULL);
      node = vcr_tree_lookup (tree, path);
      g_assert_nonnull (node);
      g_assert_cmpuint (vcr_node_get_n_values (node), ==, 1);
      g_assert_cmpstr (vcr_node_get_value (node, 0), ==, nasty[i]);
    }
}

static void
test_commands_value_rule (void)
{
  g_autoptr(VcrTree) base = apply_ok (NULL, "set system host-name 'vyos'\n", NULL);
  g_autoptr(VcrTree) tree = apply_ok (base,
                                      "set system host-name other\n"
                                      "set system name-server 192.0.2.53\n", NULL);
  const char *host[] = { "system", "host-name", NULL };
  const char *ns[] = { "system", "name-server", "192.0.2.53", NULL };

  /* A bare word after a leaf with values is a value... */
  g_assert_cmpuint (vcr_node_get_n_values (vcr_tree_lookup (tree, host)), ==, 2);
  /* ...elsewhere a node (a valueless leaf). */
  g_assert_nonnull (vcr_tree_lookup (tree, ns));
  g_assert_true (vcr_node_is_leaf (vcr_tree_lookup (tree, ns)));
  /* The input tree is untouched. */
  g_assert_cmpuint (vcr_node_get_n_values (vcr_tree_lookup (base, host)), ==, 1);
}

static void
test_commands_delete (void)
{
  g_autoptr(VcrTree) base = apply_ok (NULL,
                                      "set firewall name WAN rule 10 action 'accept'\n"
                                      "set firewall name WAN default-action 'drop'\n"
                                      "set system host-name 'vyos'\n"
                                      "set system name-server '192.0.2.1'\n"
                                      "set system name-server '192.0.2.2'\n", NULL);
  g_autoptr(VcrTree) tree = apply_ok (base,
                                      "delete firewall name WAN rule 10\n"
                                      "delete system name-server '192.0.2.1'\n"
                                      "delete system host-name vyos\n", NULL);
  g_autoptr(VcrTree) gone = NULL;
  g_autofree char *commands = vcr_test_render (tree, VCR_FORMAT_COMMANDS);
  g_autofree char *gone_commands = NULL;

  g_assert_cmpstr (commands, ==,
                   "set firewall name WAN default-action 'drop'\n"
                   "set system name-server '192.0.2.2'\n");
  /* The last value takes the leaf, and empty ancestors go with it. */
  gone = apply_ok (tree,
                   "delete system name-server '192.0.2.2'\n"
                   "delete firewall name WAN default-action\n", NULL);
  gone_commands = vcr_test_render (gone, VCR_FORMAT_COMMANDS);
  g_assert_cmpstr (gone_commands, ==, "");
}

static void
test_commands_comment (void)
{
  g_autoptr(VcrTree) tree = apply_ok (NULL,
                                      "set firewall name WAN default-action 'drop'\n"
                                      "comment firewall name WAN 'the outside'\n", NULL);
  g_autoptr(VcrTree) cleared = apply_ok (tree, "comment firewall name WAN ''\n", NULL);
  const char *wan[] = { "firewall", "name", "WAN", NULL };

  g_assert_cmpstr (vcr_node_get_comment (vcr_tree_lookup (tree, wan)), ==, "the outside");
  g_assert_null (vcr_node_get_comment (vcr_tree_lookup (cleared, wan)));
}

static void
test_commands_hints (void)
{
  const char *text = "firewall {\n    name WAN {\n        rule 10 {\n            action accept\n"
                     "        }\n    }\n}\ninterfaces {\n    loopback lo {\n    }\n}\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) hints = vcr_tree_parse (text, strlen (text), VCR_PARSE_DEFAULT, "h", &error);
  const char *cmds = "set firewall name WAN rule 10 action 'accept'\nset interfaces loopback lo\n";
  g_autoptr(VcrTree) with = apply_ok (NULL, cmds, hints);
  g_autoptr(VcrTree) without = apply_ok (NULL, cmds, NULL);
  g_autofree char *boot = vcr_test_render (with, VCR_FORMAT_BOOT);
  g_autofree char *hints_boot = vcr_test_render (hints, VCR_FORMAT_BOOT);
  const char *name[] = { "firewall", "name", NULL };
  const char *lo[] = { "interfaces", "loopback", "lo", NULL };

  g_assert_no_error (error);
  g_assert_cmpstr (boot, ==, hints_boot);
  g_assert_true (vcr_tree_subtree_equal (with, hints, (const char *[]) { NULL }));
  /* Without hints: plain nodes, the last word a leaf. */
  g_assert_false (vcr_node_is_tag (vcr_tree_lookup (without, name)));
  g_assert_true (vcr_node_is_leaf (vcr_tree_lookup (without, lo)));
}

/* Found by fuzz-commands: a node the hints have as a valueless leaf, created
 * on the way to a deeper node, must not stay a leaf (a leaf with children
 * renders the same but diffs as a different node). */
static void
test_commands_hints_leaf_gets_child (void)
{
  const char *text = "firewall {\n    name WAN {\n        rule 10 {\n            log\n"
                     "        }\n    }\n}\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) hints = vcr_tree_parse (text, strlen (text), VCR_PARSE_DEFAULT, "h", &error);
  g_autoptr(VcrTree) tree = apply_ok (NULL, "set firewall name WAN rule 10 log x", hints);
  const char *log[] = { "firewall", "name", "WAN", "rule", "10", "log", NULL };
  const char *x[] = { "firewall", "name", "WAN", "rule", "10", "log", "x", NULL };

  g_assert_no_error (error);
  g_assert_false (vcr_node_is_leaf (vcr_tree_lookup (tree, log)));
  g_assert_true (vcr_node_is_leaf (vcr_tree_lookup (tree, x)));
  /* The last word still takes its flags from the hints. */
  g_clear_pointer (&tree, vcr_tree_free);
  tree = apply_ok (NULL, "set firewall name WAN rule 10 log", hints);
  g_assert_true (vcr_node_is_leaf (vcr_tree_lookup (tree, log)));
}

static void
test_commands_errors (void)
{
  g_autoptr(VcrTree) base = apply_ok (NULL, "set system host-name 'vyos'\n", NULL);
  g_autofree char *before = vcr_test_render (base, VCR_FORMAT_BOOT);
  g_autofree char *after = NULL;

  assert_fails (base, "set a 'b'\nshow system\n", "in:2:1: unknown command \"show\"");
  assert_fails (base, "set a 'b\nset c d\n", "in:1:7: unterminated single quote");
  assert_fails (base, "set a \"b\n", "in:1:7: unterminated double quote");
  assert_fails (base, "delete system domain-name\n", "in:1:8: nothing to delete at \"system domain-name\"");
  assert_fails (base, "delete system host-name 'other'\n", "in:1:25: \"system host-name\" has no value \"other\"");
  assert_fails (base, "set system host-name x y\n", "in:1:1: cannot create \"system host-name x y\"");
  assert_fails (base, "set system 'v'\n", "in:1:12: \"system\" has child nodes");
  assert_fails (base, "set\n", "in:1:1: set needs a path");
  assert_fails (base, "set 'v'\n", "in:1:1: set needs a path");
  assert_fails (base, "delete\n", "in:1:1: delete needs a path");
  assert_fails (base, "comment system\n", "in:1:1: comment needs a path and a text");
  assert_fails (base, "comment nothing 'x'\n", "in:1:9: nothing to comment at \"nothing\"");
  assert_fails (base, "comment system 'a */ b'\n", "in:1:16: a comment cannot hold");
  assert_fails (base, "set a '' b\n", "in:1:7: empty node name");
  assert_fails (base, "set a b\\\nc\n", "in:1:7: a backslash at the end of a line");
  assert_fails (base, "'set' a\n", "in:1:1: unknown command");

  after = vcr_test_render (base, VCR_FORMAT_BOOT);
  g_assert_cmpstr (before, ==, after);
}

static int
compare_lines (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The lines of @text, sorted. */
static char *
sorted_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  qsort (lines, g_strv_length (lines), sizeof (char *), compare_lines);
  return g_strjoinv ("\n", lines);
}

/* Names that VyOS's comparison cannot order consistently (a leading zero
 * next to names with the same digits): the same names set in two orders,
 * or set and then one deleted, give one order (found by fuzz-commands:
 * the commands of a diff rebuilt the names in another order). */
static void
test_commands_odd_names_order (void)
{
  static const char one[] = "set r 10\001b\nset r 8\nset r Z\nset r 10s\nset r 010\n";
  static const char two[] = "set r 8\nset r 10\001b\nset r 10s\nset r 010\nset r Z\n";
  static const char three[] = "set r 010\nset r 10s\nset r x\nset r 8\nset r Z\n"
                              "set r 10\001b\ndelete r x\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) a = vcr_commands_apply (NULL, one, strlen (one), NULL, "one", &error);
  g_autoptr(VcrTree) b = vcr_commands_apply (NULL, two, strlen (two), NULL, "two", &error);
  g_autoptr(VcrTree) c = vcr_commands_apply (NULL, three, strlen (three), NULL, "three", &error);
  g_autofree char *text_a = NULL;
  g_autofree char *text_b = NULL;
  g_autofree char *text_c = NULL;

  g_assert_no_error (error);
  text_a = vcr_test_render (a, VCR_FORMAT_BOOT);
  text_b = vcr_test_render (b, VCR_FORMAT_BOOT);
  text_c = vcr_test_render (c, VCR_FORMAT_BOOT);
  g_assert_cmpstr (text_b, ==, text_a);
  g_assert_cmpstr (text_c, ==, text_a);
}

/* The smoketests' `config-tests` files are `show configuration commands`
 * lines (some hand-ordered): applying one and rendering it as commands
 * gives the same lines back. */
static void
test_commands_config_tests (void)
{
  const char *data = g_getenv ("VCR_SHARED_DATA");
  g_autofree char *dir_name = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n_files = 0;

  g_assert_nonnull (data);
  dir_name = g_build_filename (data, "vyos-configs", "config-tests", NULL);
  dir = g_dir_open (dir_name, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir_name, name, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(VcrTree) tree = NULL;
      g_autofree char *commands = NULL;
      g_autofree char *sorted_got = NULL;
      g_autofree char *sorted_want = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", file);
      g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
      tree = vcr_commands_apply (NULL, contents, strlen (contents), NULL, file, &error);
      g_assert_no_error (error);
      commands = vcr_test_render (tree, VCR_FORMAT_COMMANDS);
      sorted_got = sorted_lines (commands);
      sorted_want = sorted_lines (contents);
      g_assert_cmpstr (sorted_got, ==, sorted_want);
      n_files++;
    }
  g_assert_cmpuint (n_files, >, 20);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/commands/set", test_commands_set);
  g_test_add_func ("/commands/quoting", test_commands_quoting);
  g_test_add_func ("/commands/quote-roundtrip", test_commands_quote_roundtrip);
  g_test_add_func ("/commands/value-rule", test_commands_value_rule);
  g_test_add_func ("/commands/delete", test_commands_delete);
  g_test_add_func ("/commands/comment", test_commands_comment);
  g_test_add_func ("/commands/hints", test_commands_hints);
  g_test_add_func ("/commands/hints-leaf-gets-child", test_commands_hints_leaf_gets_child);
  g_test_add_func ("/commands/errors", test_commands_errors);
  g_test_add_func ("/commands/odd-names-order", test_commands_odd_names_order);
  vcr_test_add_shared_func ("/commands/config-tests", test_commands_config_tests);
  return g_test_run ();
}
