/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file backend's undo (daemon/vcr-backend-file.c): an apply kept for
 * undo puts the old bytes in the undo file before it replaces the config;
 * undo puts back the very bytes when the file is still what the apply
 * wrote, or differs from the old one only inside the replicated subtree;
 * a local commit meanwhile (outside it) is kept and only the subtree goes
 * back; after a restart the undo file does the same; a cancelled apply
 * leaves the file as it was; under an exclusion the file keeps what it
 * holds when it is written. Works in a fresh temporary folder.
 */
#define G_LOG_DOMAIN "test-backend-file"

#include <glib/gstdio.h>
#include <string.h>

#include "vcr-backend.h"
#include "vcr-path.h"

/* Not canonical on purpose (comments, spacing): an undo must give these
 * bytes back, not an equal tree. */
static const char original[] =
  "/* the operator's note */\n"
  "firewall {\n"
  "    name WAN {\n"
  "        default-action   \"drop\"\n"
  "    }\n"
  "}\n"
  "system {\n"
  "    host-name \"r1\"\n"
  "}\n"
  "// Warning: Do not remove the following line.\n"
  "// vyos-config-version: \"firewall@10\"\n";

static const char incoming[] =
  "firewall {\n"
  "    name WAN {\n"
  "        default-action \"accept\"\n"
  "    }\n"
  "}\n";

typedef struct {
  char *dir;
  char *config;
  char *undo;
  VcrBackend *backend;
  GPtrArray *paths;
  GAsyncResult *result;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-backend-file-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->config = g_build_filename (fixture->dir, "config.boot", NULL);
  fixture->undo = g_build_filename (fixture->dir, "undo.boot", NULL);
  g_assert_true (g_file_set_contents (fixture->config, original, -1, NULL));
  fixture->backend = vcr_backend_file_new (fixture->config);
  fixture->paths = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (fixture->paths, vcr_path_parse ("firewall name WAN", NULL));
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_clear_object (&fixture->backend);
  g_clear_object (&fixture->result);
  g_ptr_array_unref (fixture->paths);
  g_free (fixture->config);
  g_free (fixture->undo);
  g_free (fixture->dir);
}

static void
done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->result = g_object_ref (result);
}

static void
wait (Fixture *fixture)
{
  while (fixture->result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
apply_text (Fixture *fixture, const char *text, GPtrArray *excludes, GCancellable *cancellable,
            GError **error)
{
  g_autoptr(VcrTree) tree = vcr_tree_parse (text, strlen (text), VCR_PARSE_DEFAULT,
                                            "incoming", NULL);

  g_clear_object (&fixture->result);
  vcr_backend_apply_async (fixture->backend, tree, fixture->paths, excludes, NULL, TRUE,
                           cancellable, done, fixture);
  wait (fixture);
  return vcr_backend_apply_finish (fixture->backend, fixture->result, NULL, error);
}

static gboolean
apply (Fixture *fixture, GCancellable *cancellable, GError **error)
{
  return apply_text (fixture, incoming, NULL, cancellable, error);
}

static void
undo (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&fixture->result);
  vcr_backend_undo_async (fixture->backend, NULL, done, fixture);
  wait (fixture);
  g_assert_true (vcr_backend_undo_finish (fixture->backend, fixture->result, &error));
  g_assert_no_error (error);
}

static char *
contents (const char *path)
{
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return g_steal_pointer (&text);
}

static void
applied (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *now = NULL;

  g_assert_true (apply (fixture, NULL, &error));
  g_assert_no_error (error);
  now = contents (fixture->config);
  g_assert_nonnull (strstr (now, "default-action \"accept\""));
}

static void
test_undo_exact (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = NULL;

  vcr_backend_set_undo_file (fixture->backend, fixture->undo);
  applied (fixture);
  /* the old bytes were on disk before the config changed */
  {
    g_autofree char *kept = contents (fixture->undo);
    g_assert_cmpstr (kept, ==, original);
  }
  undo (fixture);
  now = contents (fixture->config);
  g_assert_cmpstr (now, ==, original);
}

/* Rewritten meanwhile with no change outside the subtree (another layout,
 * the subtree edited): still the very bytes. */
static void
test_undo_same_outside (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = NULL;
  g_autofree char *edited = NULL;

  applied (fixture);
  now = contents (fixture->config);
  edited = g_strconcat ("\n", now, NULL);
  g_assert_true (g_file_set_contents (fixture->config, edited, -1, NULL));
  undo (fixture);
  g_free (now);
  now = contents (fixture->config);
  g_assert_cmpstr (now, ==, original);
}

/* A local commit while the command ran (here: the host name): kept, and
 * only the replicated subtree goes back. */
static void
test_undo_keeps_local (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = NULL;
  g_autoptr(GString) edited = NULL;

  applied (fixture);
  now = contents (fixture->config);
  edited = g_string_new (now);
  g_assert_cmpint (g_string_replace (edited, "host-name \"r1\"", "host-name \"local\"", 1),
                   ==, 1);
  g_assert_true (g_file_set_contents (fixture->config, edited->str, -1, NULL));
  undo (fixture);
  g_free (now);
  now = contents (fixture->config);
  g_assert_nonnull (strstr (now, "host-name \"local\""));
  g_assert_nonnull (strstr (now, "default-action \"drop\""));
  g_assert_null (strstr (now, "accept"));
  g_assert_nonnull (strstr (now, "// vyos-config-version: \"firewall@10\""));
}

/* After a restart: a new backend, the old bytes from the undo file. */
static void
test_restore (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) previous = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *now = NULL;
  gsize length = 0;

  vcr_backend_set_undo_file (fixture->backend, fixture->undo);
  applied (fixture);
  g_clear_object (&fixture->backend);
  fixture->backend = vcr_backend_file_new (fixture->config);
  g_assert_true (g_file_get_contents (fixture->undo, &kept, &length, NULL));
  previous = g_bytes_new_take (g_steal_pointer (&kept), length);
  g_clear_object (&fixture->result);
  vcr_backend_restore_async (fixture->backend, previous, fixture->paths, NULL, done, fixture);
  wait (fixture);
  g_assert_true (vcr_backend_restore_finish (fixture->backend, fixture->result, &error));
  g_assert_no_error (error);
  now = contents (fixture->config);
  g_assert_cmpstr (now, ==, original);
}

static void
test_cancelled (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *now = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (apply (fixture, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  now = contents (fixture->config);
  g_assert_cmpstr (now, ==, original);
}

/* Under an exclusion the file keeps what it holds when it is written:
 * an apply into a file that changed since the caller read it keeps a
 * local edit made meanwhile there, and so does the undo of that apply. */
static void
test_exclude_keeps_newer (Fixture *fixture, gconstpointer data)
{
  static const char with_description[] =
    "firewall {\n    name WAN {\n        default-action \"accept\"\n"
    "        description \"as read\"\n    }\n}\n";
  g_autoptr(GPtrArray) excludes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) edited = g_string_new (original);
  g_autofree char *now = NULL;

  g_ptr_array_add (excludes, vcr_path_parse ("firewall name WAN description", NULL));
  g_assert_cmpint (g_string_replace (edited, "        default-action",
                                     "        description \"local\"\n        default-action", 1),
                   ==, 1);
  g_assert_true (g_file_set_contents (fixture->config, edited->str, -1, NULL));
  g_assert_true (apply_text (fixture, with_description, excludes, NULL, &error));
  g_assert_no_error (error);
  now = contents (fixture->config);
  g_assert_nonnull (strstr (now, "default-action \"accept\""));
  g_assert_nonnull (strstr (now, "description \"local\""));
  g_assert_null (strstr (now, "as read"));

  g_string_assign (edited, now);
  g_assert_cmpint (g_string_replace (edited, "\"local\"", "\"newer\"", 1), ==, 1);
  g_assert_true (g_file_set_contents (fixture->config, edited->str, -1, NULL));
  undo (fixture);
  g_free (now);
  now = contents (fixture->config);
  g_assert_nonnull (strstr (now, "default-action \"drop\""));
  g_assert_nonnull (strstr (now, "description \"newer\""));
}

static void
add (const char *path, void (*fn) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/backend-file/undo/exact", test_undo_exact);
  add ("/backend-file/undo/same-outside", test_undo_same_outside);
  add ("/backend-file/undo/keeps-local", test_undo_keeps_local);
  add ("/backend-file/undo/restore", test_restore);
  add ("/backend-file/apply/cancelled", test_cancelled);
  add ("/backend-file/apply/exclude-keeps-newer", test_exclude_keeps_newer);
  return g_test_run ();
}
