/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vcr_tree_stream_file_contents() against vcr_tree_to_file_contents(): the
 * same bytes, in pieces no bigger than asked, on every shared fixture config
 * (read as the daemon reads them and in raw mode), on random trees full of
 * quotes and backslashes (the streamed unescape pass against the whole-text
 * one), with chunks of 1, 7, 4096 bytes and the default; and a failing sink
 * stops the rendering with its own error.
 */
#define G_LOG_DOMAIN "test-render-stream"

#include <string.h>

#include "vcr-error.h"
#include "vcr-tree-edit.h"
#include "vcr-tree.h"

static const gsize chunk_sizes[] = { 1, 7, 4096, 0 };

typedef struct {
  GString *text;
  gsize chunk_size;
  guint calls;
  guint fail_at;         /* 0: never fail; else fail on this call */
  gboolean set_error;    /* when failing, say why */
} Collect;

static gboolean
collect_sink (const char *data, gsize length, gpointer user_data, GError **error)
{
  Collect *collect = user_data;
  gsize limit = collect->chunk_size != 0 ? collect->chunk_size : VCR_STREAM_CHUNK_SIZE;

  collect->calls++;
  g_assert_cmpuint (length, >, 0);
  g_assert_cmpuint (length, <=, limit);
  if (collect->calls == collect->fail_at)
    {
      if (collect->set_error)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full at call %u",
                     collect->calls);
      return FALSE;
    }
  g_string_append_len (collect->text, data, length);
  return TRUE;
}

/* Streams @tree with every chunk size and compares with the whole text. */
static void
assert_streams_same (const VcrTree *tree, const char *what)
{
  gsize length = 0;
  g_autofree char *want = vcr_tree_to_file_contents (tree, &length);

  for (gsize i = 0; i < G_N_ELEMENTS (chunk_sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) text = g_string_new (NULL);
      Collect collect = { .text = text, .chunk_size = chunk_sizes[i] };

      g_assert_true (vcr_tree_stream_file_contents (tree, chunk_sizes[i], collect_sink,
                                                    &collect, &error));
      g_assert_no_error (error);
      if (text->len != length || memcmp (text->str, want, length) != 0)
        {
          g_test_message ("%s, chunk %" G_GSIZE_FORMAT ": streamed text differs\n"
                          "--- whole ---\n%s\n--- streamed ---\n%s",
                          what, chunk_sizes[i], want, text->str);
          g_test_fail ();
          return;
        }
    }
}

static void
test_fixture (gconstpointer data)
{
  const char *path = data;
  g_autofree char *input = NULL;
  gsize length = 0;
  const VcrParseFlags modes[] = { VCR_PARSE_DEFAULT, VCR_PARSE_RAW };
  guint parsed = 0;

  g_assert_true (g_file_get_contents (path, &input, &length, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VcrTree) tree = vcr_tree_parse (input, length, modes[i], path, &error);

      /* Some synthetic fixtures are meant not to parse. */
      if (tree == NULL)
        continue;
      parsed++;
      assert_streams_same (tree, path);
    }
  g_test_message ("%s: %u of 2 modes parsed", path, parsed);
}

/* The two sets test-fixtures runs: real configs (those with an expected
 * rendering) and the synthetic edge cases. */
static void
add_fixtures (const char *dir, gboolean synthetic, guint *count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) folder = g_dir_open (dir, 0, &error);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (folder)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *input = NULL;
      g_autofree char *test_path = NULL;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          add_fixtures (path, synthetic, count);
          continue;
        }
      if (synthetic && g_str_has_suffix (name, ".boot") && strstr (name, ".expected.") == NULL)
        input = g_strdup (path);
      else if (!synthetic && g_str_has_suffix (name, ".expected.boot"))
        input = g_strndup (path, strlen (path) - strlen (".expected.boot"));
      if (input == NULL || !g_file_test (input, G_FILE_TEST_IS_REGULAR))
        continue;
      test_path = g_strdup_printf ("/render/stream/fixture/%s", input + strlen (g_getenv ("VCR_SHARED_DATA")));
      g_test_add_data_func_full (test_path, g_steal_pointer (&input), test_fixture, g_free);
      (*count)++;
    }
}

/* ---- random trees ----------------------------------------------------- */

static char *
random_text (guint max_length)
{
  static const char *const pieces[] = { "a", "b", "\"", "'", "\\", "\\\\", "\n", " ", "\t", "\001" };
  GString *text = g_string_new (NULL);
  guint n = g_test_rand_int_range (0, max_length + 1);

  for (guint i = 0; i < n; i++)
    g_string_append (text, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
  return g_string_free (text, FALSE);
}

static VcrTree *
random_tree (void)
{
  VcrTree *tree = vcr_tree_new ();
  guint n_nodes = g_test_rand_int_range (1, 40);

  for (guint i = 0; i < n_nodes; i++)
    {
      g_autofree char *a = random_text (3);
      g_autofree char *b = random_text (3);
      const char *words[] = { *a != '\0' ? a : "x", *b != '\0' ? b : "y", NULL };
      VcrNode *node;

      if (g_test_rand_bit ())
        words[1] = NULL;
      node = vcr_tree_ensure_path (tree, words);
      if (node == NULL)
        continue;
      if (g_test_rand_int_range (0, 4) == 0)
        {
          g_autofree char *comment = random_text (6);

          vcr_node_set_comment (tree, node, comment);
        }
      if (vcr_node_get_n_children (node) == 0 && g_test_rand_bit ())
        {
          guint n_values = g_test_rand_int_range (0, 3);

          vcr_node_set_leaf (node, TRUE);
          for (guint v = 0; v < n_values; v++)
            {
              g_autofree char *value = random_text (8);

              vcr_node_append_value (tree, node, value);
            }
        }
      /* A two-word path as `a b { … }`. */
      if (words[1] != NULL && g_test_rand_bit ())
        vcr_node_set_tag (vcr_tree_lookup (tree, (const char *const[]) { words[0], NULL }), TRUE);
    }
  if (g_test_rand_bit ())
    {
      g_autofree char *footer = random_text (6);

      vcr_tree_set_footer (tree, footer);
    }
  return tree;
}

static void
test_random (void)
{
  guint unescaped = 0;

  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr(VcrTree) tree = random_tree ();
      g_autofree char *what = g_strdup_printf ("random tree %u", i);
      g_autofree char *boot = vcr_tree_render (tree, VCR_FORMAT_BOOT, NULL, NULL);

      assert_streams_same (tree, what);
      if (strchr (boot, '\\') != NULL)
        unescaped++;
    }
  /* The random trees must reach the unescape pass, or this tests little. */
  g_assert_cmpuint (unescaped, >, 500);
}

/* A firewall of @n_rules, each with a description; with @backslash, every
 * description holds quotes and backslashes, so the unescape pass has a
 * match on every such line, across every chunk boundary. */
static VcrTree *
firewall_tree (guint n_rules, gboolean backslash)
{
  VcrTree *tree = vcr_tree_new ();

  for (guint i = 1; i <= n_rules; i++)
    {
      g_autofree char *number = g_strdup_printf ("%u", i);
      g_autofree char *description = g_strdup_printf (backslash ? "rule \"%u\" \\ it's" : "rule %u", i);
      const char *rule[] = { "firewall", "name", "WAN", "rule", number, NULL };
      const char *leaf[] = { "firewall", "name", "WAN", "rule", number, "description", NULL };
      VcrNode *node;

      vcr_tree_ensure_path (tree, rule);
      node = vcr_tree_ensure_path (tree, leaf);
      vcr_node_set_leaf (node, TRUE);
      vcr_node_append_value (tree, node, description);
    }
  vcr_node_set_tag (vcr_tree_lookup (tree, (const char *const[]) { "firewall", "name", NULL }), TRUE);
  vcr_node_set_tag (vcr_tree_lookup (tree, (const char *const[]) { "firewall", "name", "WAN", "rule", NULL }), TRUE);
  vcr_tree_set_footer (tree, "// Warning: \"don't\" \\ edit\n// vyos-config-version: \"x\"\n");
  return tree;
}

static void
test_big (void)
{
  for (guint backslash = 0; backslash <= 1; backslash++)
    {
      g_autoptr(VcrTree) tree = firewall_tree (5000, backslash);
      g_autofree char *boot = vcr_tree_render (tree, VCR_FORMAT_BOOT, NULL, NULL);

      /* More than a few default chunks; the pass has work to do. */
      g_assert_cmpuint (strlen (boot), >, 4 * VCR_STREAM_CHUNK_SIZE);
      g_assert_true ((strstr (boot, "\\ it's") != NULL) == backslash);
      assert_streams_same (tree, backslash ? "big firewall, backslashes" : "big firewall");
    }
}

/* The sink fails at call @fail_at: the rendering stops there (no call
 * after it) and returns that error. */
static void
assert_stops (const VcrTree *tree, gsize chunk_size, guint fail_at, gboolean set_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  Collect collect = { .text = text, .chunk_size = chunk_size, .fail_at = fail_at,
                      .set_error = set_error };
  g_autofree char *message = g_strdup_printf ("disk full at call %u", fail_at);

  g_assert_false (vcr_tree_stream_file_contents (tree, chunk_size, collect_sink, &collect, &error));
  g_assert_cmpuint (collect.calls, ==, fail_at);
  if (set_error)
    {
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
      g_assert_cmpstr (error->message, ==, message);
    }
  else
    g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
}

static void
test_sink_fails (void)
{
  for (guint backslash = 0; backslash <= 1; backslash++)
    {
      g_autoptr(VcrTree) tree = firewall_tree (4000, backslash);

      for (gsize i = 0; i < G_N_ELEMENTS (chunk_sizes); i++)
        {
          g_autoptr(GString) text = g_string_new (NULL);
          Collect all = { .text = text, .chunk_size = chunk_sizes[i] };

          g_assert_true (vcr_tree_stream_file_contents (tree, chunk_sizes[i], collect_sink,
                                                        &all, NULL));
          g_assert_cmpuint (all.calls, >=, 3);
          /* The first call, one in the middle, and the last one, which
           * carries the footer. */
          assert_stops (tree, chunk_sizes[i], 1, TRUE);
          assert_stops (tree, chunk_sizes[i], 1, FALSE);
          assert_stops (tree, chunk_sizes[i], all.calls / 2, TRUE);
          assert_stops (tree, chunk_sizes[i], all.calls, TRUE);
        }
    }
}

int
main (int argc, char **argv)
{
  const char *shared = g_getenv ("VCR_SHARED_DATA");
  g_autofree char *configs = NULL;
  g_autofree char *synthetic = NULL;
  guint count = 0;

  g_test_init (&argc, &argv, NULL);
  /* the fixtures only with the shared data (-Dshared_dir) */
  if (shared != NULL)
    {
      configs = g_build_filename (shared, "vyos-configs", NULL);
      synthetic = g_build_filename (shared, "vyos1x-config-fixtures", "synthetic", NULL);
      add_fixtures (configs, FALSE, &count);
      add_fixtures (synthetic, TRUE, &count);
      /* A shared folder without them is an error, not a skip. */
      g_assert_cmpuint (count, >, 20);
    }
  g_test_add_func ("/render/stream/random", test_random);
  g_test_add_func ("/render/stream/big", test_big);
  g_test_add_func ("/render/stream/sink-fails", test_sink_fails);
  return g_test_run ();
}
