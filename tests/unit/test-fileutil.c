/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's atomic file writes (daemon/vcr-fileutil.c), the one piece of
 * daemon I/O tested on its own: a producer's pieces make the file, with the
 * mode asked for; a producer that fails, with or without saying why, after
 * writing or not, leaves the old file byte for byte and no temporary file;
 * so does a folder that is not there. A file replaced keeps its owner and
 * group; a symlink is written through to its target, and a symlink planted
 * by another user is refused. Works in a fresh temporary folder.
 */
#define G_LOG_DOMAIN "test-fileutil"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcr-fileutil.h"

static const char original[] = "interfaces {\n    loopback lo {\n    }\n}\n// old footer\n";

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-fileutil-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "config.boot", NULL);
  g_file_set_contents (fixture->path, original, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (fixture->path, 0640), ==, 0);
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
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* The folder holds config.boot and nothing else (no temporary file). */
static void
assert_only_target (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_assert_cmpstr (name, ==, "config.boot");
      count++;
    }
  g_assert_cmpuint (count, ==, 1);
}

static void
assert_file (const char *path, const char *want, gsize want_length, int mode)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  GStatBuf st;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, want, want_length);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, mode);
}

typedef struct {
  guint pieces;        /* how many pieces to write */
  guint fail_after;    /* fail after this many (G_MAXUINT: never) */
  gboolean set_error;
} Producer;

/* Piece i is 10,000 copies of the letter 'a' + i. */
static gboolean
produce (VcrFileWriter *writer, gpointer user_data, GError **error)
{
  Producer *producer = user_data;
  char piece[10000];

  for (guint i = 0; i < producer->pieces; i++)
    {
      if (i == producer->fail_after)
        {
          if (producer->set_error)
            g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "producer failed");
          return FALSE;
        }
      memset (piece, 'a' + i, sizeof piece);
      if (!vcr_file_writer_write (piece, sizeof piece, writer, error))
        return FALSE;
    }
  return TRUE;
}

static void
test_stream (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) want = g_string_new (NULL);
  Producer producer = { .pieces = 20, .fail_after = G_MAXUINT };
  struct stat written, now;

  g_assert_true (vcr_file_write_atomic_stream (fixture->path, 0604, produce, &producer,
                                               &written, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < producer.pieces; i++)
    for (guint k = 0; k < 10000; k++)
      g_string_append_c (want, 'a' + i);
  assert_file (fixture->path, want->str, want->len, 0604);
  assert_only_target (fixture);
  /* the status reported is the file's now at @path */
  g_assert_cmpint (stat (fixture->path, &now), ==, 0);
  g_assert_cmpuint (written.st_ino, ==, now.st_ino);
  g_assert_cmpuint (written.st_dev, ==, now.st_dev);
  g_assert_cmpint (written.st_size, ==, now.st_size);
  g_assert_cmpint (written.st_mtim.tv_sec, ==, now.st_mtim.tv_sec);
  g_assert_cmpint (written.st_mtim.tv_nsec, ==, now.st_mtim.tv_nsec);
}

/* In two steps: the target stays as it was until the temporary file is
 * put in place; a failed rename removes the temporary file. */
static void
test_two_steps (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char text[] = "new contents\n";
  g_autofree char *tmp = vcr_file_write_temporary (fixture->path, text, strlen (text),
                                                   0600, &error);
  g_autofree char *nowhere = NULL;
  g_autofree char *tmp2 = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (tmp);
  g_assert_true (g_str_has_prefix (tmp, fixture->path));
  assert_file (fixture->path, original, strlen (original), 0640);
  assert_file (tmp, text, strlen (text), 0600);
  g_assert_true (vcr_file_replace (tmp, fixture->path, &error));
  g_assert_no_error (error);
  assert_file (fixture->path, text, strlen (text), 0600);
  assert_only_target (fixture);

  tmp2 = vcr_file_write_temporary (fixture->path, text, strlen (text), 0600, &error);
  g_assert_no_error (error);
  nowhere = g_build_filename (fixture->dir, "missing", "config.boot", NULL);
  g_assert_false (vcr_file_replace (tmp2, nowhere, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  assert_only_target (fixture);
}

static void
test_buffer (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char text[] = "new contents\n";

  g_assert_true (vcr_file_write_atomic (fixture->path, text, strlen (text), 0600, &error));
  g_assert_no_error (error);
  assert_file (fixture->path, text, strlen (text), 0600);
  assert_only_target (fixture);
}

static void
test_producer_fails (Fixture *fixture, gconstpointer data)
{
  /* At once or after writing some pieces; with an error or without. */
  const guint fail_after[] = { 0, 3 };

  for (gsize i = 0; i < G_N_ELEMENTS (fail_after); i++)
    for (int set_error = 0; set_error <= 1; set_error++)
      {
        g_autoptr(GError) error = NULL;
        Producer producer = { .pieces = 10, .fail_after = fail_after[i], .set_error = set_error };

        g_assert_false (vcr_file_write_atomic_stream (fixture->path, 0600, produce,
                                                      &producer, NULL, &error));
        if (set_error)
          {
            g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
            g_assert_cmpstr (error->message, ==, "producer failed");
          }
        else
          g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
        assert_file (fixture->path, original, strlen (original), 0640);
        assert_only_target (fixture);
      }
}

static void
test_no_folder (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, "missing", "config.boot", NULL);
  Producer producer = { .pieces = 2, .fail_after = G_MAXUINT };

  g_assert_false (vcr_file_write_atomic_stream (path, 0600, produce, &producer, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  assert_file (fixture->path, original, strlen (original), 0640);
  assert_only_target (fixture);
}

/* VyOS's config.boot is root:vyattacfg 0664: the group survives a write
 * by root (the daemon), which would otherwise leave the file root:root. */
static void
test_owner_kept (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char text[] = "new contents\n";
  struct stat st;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root to give the file another group");
      return;
    }
  g_assert_cmpint (chown (fixture->path, 0, 65534), ==, 0);
  g_assert_cmpint (g_chmod (fixture->path, 0664), ==, 0);
  g_assert_true (vcr_file_write_atomic (fixture->path, text, strlen (text), 0664, &error));
  g_assert_no_error (error);
  assert_file (fixture->path, text, strlen (text), 0664);
  g_assert_cmpint (stat (fixture->path, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, 0);
  g_assert_cmpuint (st.st_gid, ==, 65534);

  /* the same in two steps (the reference copies) */
  g_assert_cmpint (chown (fixture->path, 65534, 65534), ==, 0);
  {
    g_autofree char *tmp = vcr_file_write_temporary (fixture->path, text, strlen (text),
                                                     0600, &error);
    g_assert_no_error (error);
    g_assert_true (vcr_file_replace (tmp, fixture->path, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (stat (fixture->path, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, 65534);
  g_assert_cmpuint (st.st_gid, ==, 65534);
  assert_only_target (fixture);
}

/* config.boot -> real/config.boot (relative): the target gets the new
 * bytes, the link stays a link, no temporary file is left anywhere. */
static void
test_symlink_through (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *real_dir = g_build_filename (fixture->dir, "real", NULL);
  g_autofree char *real = g_build_filename (real_dir, "config.boot", NULL);
  Producer producer = { .pieces = 3, .fail_after = G_MAXUINT };
  const char text[] = "new contents\n";
  struct stat st;
  guint count = 0;

  g_assert_cmpint (g_mkdir (real_dir, 0700), ==, 0);
  g_assert_cmpint (g_rename (fixture->path, real), ==, 0);
  g_assert_cmpint (symlink ("real/config.boot", fixture->path), ==, 0);
  g_assert_true (vcr_file_write_atomic_stream (fixture->path, 0640, produce, &producer,
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (lstat (fixture->path, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  g_assert_cmpint (lstat (real, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_size, ==, 30000);

  g_assert_true (vcr_file_write_atomic (fixture->path, text, strlen (text), 0640, &error));
  g_assert_no_error (error);
  assert_file (real, text, strlen (text), 0640);
  g_assert_cmpint (lstat (fixture->path, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  {
    g_autoptr(GDir) dir = g_dir_open (real_dir, 0, NULL);
    while (g_dir_read_name (dir) != NULL)
      count++;
  }
  g_assert_cmpuint (count, ==, 1);
  g_unlink (real);
  g_rmdir (real_dir);
}

/* A link owned by another user, in a folder that is not theirs: refused,
 * the link and its target untouched. */
static void
test_symlink_refused (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *real = g_build_filename (fixture->dir, "victim", NULL);
  const char text[] = "new contents\n";
  struct stat st;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root to own a link as another user");
      return;
    }
  g_assert_cmpint (g_rename (fixture->path, real), ==, 0);
  g_assert_cmpint (symlink (real, fixture->path), ==, 0);
  g_assert_cmpint (lchown (fixture->path, 65534, 65534), ==, 0);
  g_assert_false (vcr_file_write_atomic (fixture->path, text, strlen (text), 0640, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM);
  g_assert_nonnull (strstr (error->message, "symlink"));
  assert_file (real, original, strlen (original), 0640);
  g_assert_cmpint (lstat (fixture->path, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/fileutil/atomic/stream", Fixture, NULL, fixture_set_up, test_stream,
              fixture_tear_down);
  g_test_add ("/fileutil/atomic/two-steps", Fixture, NULL, fixture_set_up, test_two_steps,
              fixture_tear_down);
  g_test_add ("/fileutil/atomic/buffer", Fixture, NULL, fixture_set_up, test_buffer,
              fixture_tear_down);
  g_test_add ("/fileutil/atomic/producer-fails", Fixture, NULL, fixture_set_up,
              test_producer_fails, fixture_tear_down);
  g_test_add ("/fileutil/atomic/no-folder", Fixture, NULL, fixture_set_up, test_no_folder,
              fixture_tear_down);
  g_test_add ("/fileutil/atomic/owner-kept", Fixture, NULL, fixture_set_up, test_owner_kept,
              fixture_tear_down);
  g_test_add ("/fileutil/atomic/symlink-through", Fixture, NULL, fixture_set_up,
              test_symlink_through, fixture_tear_down);
  g_test_add ("/fileutil/atomic/symlink-refused", Fixture, NULL, fixture_set_up,
              test_symlink_refused, fixture_tear_down);
  return g_test_run ();
}
