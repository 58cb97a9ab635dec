/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reference copies (reference.N/NAME, see vcr-state.h): per replicate
 * path, the snapshot text a replica last applied. Only their digests are
 * kept in memory, each read from disk once. A new set of copies is a new
 * folder, made complete and synced in a worker (copies that did not change
 * are hard links to the current ones); it is in force from its commit, and
 * on disk from the write of state.json that names it. A folder is removed
 * once it is neither in force, nor named on disk, nor being made.
 */
#define G_LOG_DOMAIN "vcr-state"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vcr-fileutil.h"
#include "vcr-path.h"
#include "vcr-state-private.h"

static char *
reference_name (const char *path)
{
  return g_uri_escape_string (path, NULL, FALSE);
}

static char *
reference_file (VcrState *self, const char *folder, const char *path)
{
  g_autofree char *name = reference_name (path);
  return g_build_filename (self->dir, folder, name, NULL);
}

gboolean
vcr_state_reference_dir_valid (const char *name)
{
  const char *n;

  if (g_strcmp0 (name, REFERENCE_DIR) == 0)
    return TRUE;
  if (name == NULL || !g_str_has_prefix (name, REFERENCE_DIR "."))
    return FALSE;
  n = name + strlen (REFERENCE_DIR ".");
  if (*n == '\0' || *n == '0' || strlen (n) > 19)
    return FALSE;
  for (; *n != '\0'; n++)
    if (!g_ascii_isdigit (*n))
      return FALSE;
  return TRUE;
}

const char *
vcr_state_get_reference_dir (VcrState *self)
{
  return self->reference_dir;
}

/* N of "reference.N", 0 for "reference". */
static guint64
folder_number (const char *name)
{
  if (!g_str_has_prefix (name, REFERENCE_DIR "."))
    return 0;
  return g_ascii_strtoull (name + strlen (REFERENCE_DIR "."), NULL, 10);
}

/* Removes the folder @name of the state directory and its files. */
static void
remove_folder (VcrState *self, const char *name)
{
  g_autofree char *folder = g_build_filename (self->dir, name, NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (folder, entry, NULL);
      if (g_unlink (file) < 0)
        g_warning ("Cannot remove %s: %s, ignoring", file, g_strerror (errno));
    }
  if (g_rmdir (folder) < 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s, ignoring", folder, g_strerror (errno));
}

/* A folder no one needs any more goes. */
static void
maybe_remove (VcrState *self, const char *name)
{
  if (name == NULL || g_strcmp0 (name, self->reference_dir) == 0 ||
      g_strcmp0 (name, self->saved_reference_dir) == 0 ||
      g_hash_table_contains (self->staged, name))
    return;
  remove_folder (self, name);
}

void
vcr_state_references_saved (VcrState *self, const char *written)
{
  g_autofree char *old = NULL;

  if (g_strcmp0 (written, self->saved_reference_dir) == 0)
    return;
  old = g_steal_pointer (&self->saved_reference_dir);
  self->saved_reference_dir = g_strdup (written);
  maybe_remove (self, old);
}

void
vcr_state_references_loaded (VcrState *self)
{
  g_autoptr(GDir) dir = g_dir_open (self->dir, 0, NULL);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  /* What a crash left: folders made for an apply that was never recorded. */
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (vcr_state_reference_dir_valid (name) && g_strcmp0 (name, self->reference_dir) != 0)
      g_ptr_array_add (gone, g_strdup (name));
  for (guint i = 0; i < gone->len; i++)
    remove_folder (self, g_ptr_array_index (gone, i));
}

const char *
vcr_state_get_reference_digest (VcrState *self, const char *path)
{
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  gpointer cached;
  char *digest = NULL;

  if (g_hash_table_lookup_extended (self->references, path, NULL, &cached))
    return cached;
  file = reference_file (self, self->reference_dir, path);
  if (!g_file_get_contents (file, &text, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read %s: %s, ignoring it", file, error->message);
    }
  else if (length != strlen (text) || !g_utf8_validate (text, -1, NULL))
    {
      /* A snapshot text is UTF-8 without NUL bytes: anything else is a
       * damaged file, and no reference is safer than a wrong one. */
      vcr_file_move_aside (file, "not UTF-8 text");
    }
  else
    digest = vcr_digest (text, length);
  g_hash_table_insert (self->references, g_strdup (path), digest);
  return digest;
}

typedef struct {
  char *path;               /* the replicate path */
  char *name;               /* its file's name in a folder */
  const char *text;         /* the snapshot's, borrowed */
  char *digest;
  gboolean same;            /* the copy in force has it: linked */
} ReferenceCopy;

struct _VcrReferenceUpdate {
  VcrState *state;
  char *name;               /* the new folder; NULL when nothing differs */
  char *folder;             /* its full path */
  char *base;               /* the folder in force, full path */
  GPtrArray *copies;        /* of ReferenceCopy* */
  gboolean committed;
};

static void
reference_copy_free (ReferenceCopy *copy)
{
  g_free (copy->path);
  g_free (copy->name);
  g_free (copy->digest);
  g_free (copy);
}

void
vcr_reference_update_free (VcrReferenceUpdate *update)
{
  if (update->name != NULL && !update->committed)
    {
      g_hash_table_remove (update->state->staged, update->name);
      maybe_remove (update->state, update->name);
    }
  g_ptr_array_unref (update->copies);
  g_free (update->name);
  g_free (update->folder);
  g_free (update->base);
  g_object_unref (update->state);
  g_free (update);
}

/* A name no folder has, in force, on disk or being made. */
static char *
next_folder (VcrState *self)
{
  guint64 n = MAX (folder_number (self->reference_dir), folder_number (self->saved_reference_dir));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->staged);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    n = MAX (n, folder_number (key));
  return g_strdup_printf (REFERENCE_DIR ".%" G_GUINT64_FORMAT, n + 1);
}

VcrReferenceUpdate *
vcr_state_prepare_references (VcrState *self, const VcrSnapshot *snapshot)
{
  VcrReferenceUpdate *update = g_new0 (VcrReferenceUpdate, 1);
  gboolean differs = FALSE;

  update->state = g_object_ref (self);
  update->copies = g_ptr_array_new_with_free_func ((GDestroyNotify) reference_copy_free);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (snapshot->entries, i);
      ReferenceCopy *copy = g_new0 (ReferenceCopy, 1);

      copy->path = g_strdup (e->path);
      copy->name = reference_name (e->path);
      copy->text = e->config;
      copy->digest = g_strdup (e->digest);
      copy->same = g_strcmp0 (vcr_state_get_reference_digest (self, e->path), e->digest) == 0;
      differs |= !copy->same;
      g_ptr_array_add (update->copies, copy);
    }
  if (differs)
    {
      update->name = next_folder (self);
      update->folder = g_build_filename (self->dir, update->name, NULL);
      update->base = g_build_filename (self->dir, self->reference_dir, NULL);
      g_hash_table_add (self->staged, g_strdup (update->name));
    }
  return update;
}

static gboolean
fsync_folder (const char *folder, GError **error)
{
  int fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd >= 0 && fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }
  saved = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
               "Cannot sync %s: %s", folder, g_strerror (saved));
  return FALSE;
}

/* One copy into the new folder: a link to the unchanged one in force, or
 * the text written and synced. */
static gboolean
write_copy (VcrReferenceUpdate *update, ReferenceCopy *copy, GError **error)
{
  g_autofree char *file = g_build_filename (update->folder, copy->name, NULL);

  if (copy->same)
    {
      g_autofree char *old = g_build_filename (update->base, copy->name, NULL);
      if (link (old, file) == 0)
        return TRUE;
    }
  return vcr_file_write_atomic (file, copy->text, strlen (copy->text), 0600, error);
}

gboolean
vcr_reference_update_write (VcrReferenceUpdate *update, GError **error)
{
  g_autofree char *parent = NULL;

  if (update->name == NULL)
    return TRUE;
  if (g_mkdir (update->folder, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create %s: %s", update->folder, g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; i < update->copies->len; i++)
    if (!write_copy (update, g_ptr_array_index (update->copies, i), error))
      return FALSE;
  /* The folder and its entry in the state directory are on disk before
   * state.json may name them. */
  parent = g_path_get_dirname (update->folder);
  return fsync_folder (update->folder, error) && fsync_folder (parent, error);
}

static void
write_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (vcr_reference_update_write (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vcr_reference_update_write_async (VcrReferenceUpdate *update,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_task_data (task, update, NULL);
  g_task_run_in_thread (task, write_thread);
}

void
vcr_state_commit_references (VcrState *self, VcrReferenceUpdate *update)
{
  g_autofree char *old = NULL;

  if (update->name == NULL)
    return;
  old = g_steal_pointer (&self->reference_dir);
  self->reference_dir = g_strdup (update->name);
  g_hash_table_remove (self->staged, update->name);
  update->committed = TRUE;
  g_hash_table_remove_all (self->references);
  for (guint i = 0; i < update->copies->len; i++)
    {
      ReferenceCopy *copy = g_ptr_array_index (update->copies, i);
      g_hash_table_insert (self->references, g_strdup (copy->path), g_strdup (copy->digest));
    }
  maybe_remove (self, old);
}
