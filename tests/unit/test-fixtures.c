/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Byte-for-byte comparison of our parser and renderers with the outputs of
 * VyOS's own library, over the shared data: real configs in the vyos-1x
 * pipeline mode, synthetic edge cases in raw library mode. One run checks
 * one case, named on the command line (meson registers one test per file):
 *
 *   test-fixtures config PATH      PATH.expected.{boot,json}, fixed point
 *   test-fixtures synthetic PATH   PATH.expected.{boot,json,error,json.error}
 */
#define G_LOG_DOMAIN "test-fixtures"

#include <stdio.h>
#include <string.h>

#include "vcr-error.h"
#include "vcr-tree.h"

static char *
read_file (const char *path, gsize *length)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);   /* a missing fixture fails the test */
  return contents;
}

static char *
read_optional (const char *path, const char *suffix)
{
  g_autofree char *full = g_strconcat (path, suffix, NULL);

  if (!g_file_test (full, G_FILE_TEST_EXISTS))
    return NULL;
  return read_file (full, NULL);
}

/* VyOS writes control characters in JSON as \ddd (decimal); we write
 * \u00xx. Converts the expected text to our form. */
static char *
json_from_vyos (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p != '\\' || p[1] == '\0')
        {
          g_string_append_c (out, *p);
          continue;
        }
      if (g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]) && g_ascii_isdigit (p[3]))
        {
          guint code = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');

          g_string_append_printf (out, "\\u%04x", code);
          p += 3;
          continue;
        }
      g_string_append_c (out, p[0]);
      g_string_append_c (out, p[1]);
      p++;
    }
  return g_string_free (out, FALSE);
}

static void
assert_same_text (const char *what, const char *got, gsize got_len, const char *expected)
{
  if (got_len == strlen (expected) && memcmp (got, expected, got_len) == 0)
    return;
  g_test_message ("%s differs.\n--- expected ---\n%s\n--- got ---\n%.*s", what,
                  expected, (int) got_len, got);
  g_test_fail ();
}

/* An expected VyOS error against ours: the same line and column for a
 * syntax error, the same message for a failure. */
static void
assert_same_error (const char *expected, const GError *error)
{
  guint line, column;

  g_assert_nonnull (error);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_test_message ("expected: %s\ngot: %s", expected, error->message);
  if (sscanf (expected, "SYNTAX ERROR: line %u col %u:", &line, &column) == 2)
    {
      g_autofree char *position = g_strdup_printf (":%u:%u: ", line, column);

      g_assert_nonnull (strstr (error->message, position));
    }
  else if (g_str_has_prefix (expected, "FAILURE: "))
    {
      g_autofree char *message = g_strchomp (g_strdup (expected + strlen ("FAILURE: ")));

      g_assert_nonnull (strstr (error->message, message));
    }
  else
    g_assert_not_reached ();
}

static void
test_config (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(VcrTree) again = NULL;
  g_autofree char *input = NULL;
  g_autofree char *expected_boot = read_optional (path, ".expected.boot");
  g_autofree char *expected_json_vyos = read_optional (path, ".expected.json");
  g_autofree char *expected_json = NULL;
  g_autofree char *boot = NULL;
  g_autofree char *json = NULL;
  g_autofree char *boot2 = NULL;
  gsize length, boot_len, json_len, boot2_len;

  g_assert_nonnull (expected_boot);
  g_assert_nonnull (expected_json_vyos);
  expected_json = json_from_vyos (expected_json_vyos);
  input = read_file (path, &length);
  tree = vcr_tree_parse (input, length, VCR_PARSE_DEFAULT, path, &error);
  g_assert_no_error (error);
  boot = vcr_tree_render (tree, VCR_FORMAT_BOOT, &boot_len, &error);
  g_assert_no_error (error);
  assert_same_text ("boot", boot, boot_len, expected_boot);
  json = vcr_tree_render (tree, VCR_FORMAT_JSON, &json_len, &error);
  g_assert_no_error (error);
  assert_same_text ("json", json, json_len, expected_json);

  /* The canonical text is a fixed point. */
  again = vcr_tree_parse (expected_boot, strlen (expected_boot), VCR_PARSE_DEFAULT,
                          "expected.boot", &error);
  g_assert_no_error (error);
  boot2 = vcr_tree_render (again, VCR_FORMAT_BOOT, &boot2_len, &error);
  g_assert_no_error (error);
  assert_same_text ("boot of expected.boot", boot2, boot2_len, expected_boot);
  g_assert_true (vcr_tree_subtree_equal (tree, again, NULL));
}

static void
test_synthetic (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autofree char *input = NULL;
  g_autofree char *expected_boot = read_optional (path, ".expected.boot");
  g_autofree char *expected_error = read_optional (path, ".expected.error");
  g_autofree char *expected_json_vyos = read_optional (path, ".expected.json");
  g_autofree char *expected_json_error = read_optional (path, ".expected.json.error");
  gsize length;

  g_assert_true ((expected_boot != NULL) != (expected_error != NULL));
  g_assert_true ((expected_json_vyos != NULL) != (expected_json_error != NULL));
  input = read_file (path, &length);
  tree = vcr_tree_parse (input, length, VCR_PARSE_RAW, path, &error);
  if (expected_error != NULL)
    {
      g_assert_null (tree);
      assert_same_error (expected_error, error);
      return;
    }
  g_assert_no_error (error);
  g_assert_nonnull (tree);

  {
    g_autofree char *boot = NULL;
    gsize boot_len;

    boot = vcr_tree_render (tree, VCR_FORMAT_BOOT, &boot_len, &error);
    g_assert_no_error (error);
    assert_same_text ("boot", boot, boot_len, expected_boot);
  }
  {
    g_autofree char *json = NULL;
    gsize json_len;

    json = vcr_tree_render (tree, VCR_FORMAT_JSON, &json_len, &error);
    if (expected_json_error != NULL)
      {
        g_assert_null (json);
        g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
        g_assert_nonnull (strstr (expected_json_error, "non-leaf node with values"));
      }
    else
      {
        g_autofree char *expected_json = json_from_vyos (expected_json_vyos);

        g_assert_no_error (error);
        assert_same_text ("json", json, json_len, expected_json);
      }
  }
}

int
main (int argc, char **argv)
{
  g_autofree char *test_path = NULL;

  g_test_init (&argc, &argv, NULL);
  if (argc != 3)
    {
      g_printerr ("usage: %s config|synthetic PATH\n", argv[0]);
      return 2;
    }
  test_path = g_strdup_printf ("/fixtures/%s/%s", argv[1], argv[2]);
  if (g_str_equal (argv[1], "config"))
    g_test_add_data_func (test_path, argv[2], test_config);
  else if (g_str_equal (argv[1], "synthetic"))
    g_test_add_data_func (test_path, argv[2], test_synthetic);
  else
    {
      g_printerr ("unknown kind %s\n", argv[1]);
      return 2;
    }
  return g_test_run ();
}
