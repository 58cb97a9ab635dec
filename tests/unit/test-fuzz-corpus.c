/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs every file of one fuzz corpus through its fuzz target's own code
 * (fuzz/fuzz-NAME.c is linked into this test in place of libFuzzer), so
 * the seeds and every crash the fuzzers found stay regression cases in a
 * normal build. Arguments: the corpus folder. One GTest case per file.
 */
#define G_LOG_DOMAIN "test-fuzz-corpus"

#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
test_one_file (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (LLVMFuzzerTestOneInput ((const guint8 *) contents, length), ==, 0);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_test_init (&argc, &argv, NULL);
  if (argc != 2)
    {
      g_printerr ("usage: %s CORPUS-DIR\n", argv[0]);
      return 2;
    }
  dir = g_dir_open (argv[1], 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  /* An empty corpus would make this test pass without testing anything. */
  g_assert_cmpuint (names->len, >, 0);
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *file = g_ptr_array_index (names, i);
      char *path = g_build_filename (argv[1], file, NULL);
      g_autofree char *test_name = g_strdup_printf ("/fuzz-corpus/%s", file);

      g_ptr_array_add (paths, path);
      g_test_add_data_func (test_name, path, test_one_file);
    }
  return g_test_run ();
}
