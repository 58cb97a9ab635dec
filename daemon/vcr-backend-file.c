/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file backend: the router config is one config.boot file. Reading
 * parses it as VyOS does (footer split off and kept). Applying writes the
 * canonical rendering of the caller's tree with the old footer atomically
 * (temp file, fsync, rename, fsync of the folder), keeping the file's mode,
 * owner and group (a symlinked config.boot is written through to its
 * target; vcr-fileutil.h); the rendering goes into the temp file chunk by chunk, never held whole.
 * Only when the file changed since the caller read it is it read again and
 * the replicated subtrees grafted into it. When the caller asks (an
 * --apply-command may fail), the bytes an apply replaced are kept until
 * the next apply, in memory and, synced before the config is replaced, in
 * the undo file (vcr_backend_set_undo_file()), so that an apply undone,
 * even after a crash, leaves the file exactly as it was, comments and
 * layout included, not merely an equal tree. Unless the file changed
 * meanwhile outside the replicated subtrees (a local commit while the
 * command ran): then only those subtrees are put back, and the local
 * change stays. Under a replicate exclusion the file always keeps what it
 * holds when it is written (an apply or an undo never puts back an older
 * local value there). The I/O runs in a worker thread so the main loop never
 * waits on the disk; a cancelled apply stops before the rename.
 */
#define G_LOG_DOMAIN "vcr-backend-file"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vcr-backend.h"
#include "vcr-error.h"
#include "vcr-fileutil.h"
#include "vcr-mask.h"

/* Far above any real router config; refuses to slurp a wrong file. */
#define CONFIG_MAX_SIZE (256 * 1024 * 1024)

struct _VcrBackendFile {
  VcrBackend parent_instance;
  char *path;
  GBytes *previous;   /* what the last apply replaced, for undo; nullable */
  GPtrArray *undo_paths;   /* the paths that apply replaced (of GStrv) */
  GPtrArray *undo_excludes; /* the exclusions under them it left (nullable) */
  char *undo_stamp;   /* the stamp of the file it wrote; nullable */
};

G_DECLARE_FINAL_TYPE (VcrBackendFile, vcr_backend_file, VCR, BACKEND_FILE, VcrBackend)
G_DEFINE_TYPE (VcrBackendFile, vcr_backend_file, VCR_TYPE_BACKEND)

typedef struct {
  const VcrTree *tree; /* the tree holding the new subtrees (the caller's) */
  GPtrArray *paths;   /* of GStrv */
  GPtrArray *excludes; /* of GStrv, nullable */
  char *base_stamp;   /* nullable: the stamp @tree was read at, as a whole */
  gboolean keep_undo;
  char *undo_file;    /* nullable: where the old bytes go with keep_undo */
  GCancellable *cancellable;
  GBytes *previous;   /* set by the worker with keep_undo: the file as it was */
  char *written_stamp; /* set by the worker when it wrote @tree itself */
  char *any_stamp;    /* set by the worker: the stamp of the file written */
} ApplyData;

static void
apply_data_free (ApplyData *data)
{
  g_ptr_array_unref (data->paths);
  g_clear_pointer (&data->excludes, g_ptr_array_unref);
  g_free (data->base_stamp);
  g_free (data->undo_file);
  g_clear_object (&data->cancellable);
  g_clear_pointer (&data->previous, g_bytes_unref);
  g_free (data->written_stamp);
  g_free (data->any_stamp);
  g_free (data);
}

/* Parses the config at @path. */
static VcrTree *
read_config (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  GStatBuf st;

  if (g_stat (path, &st) == 0 && st.st_size > CONFIG_MAX_SIZE)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "%s is larger than %d bytes", path, CONFIG_MAX_SIZE);
      return NULL;
    }
  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  return vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, path, error);
}

static int
file_mode (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) == 0)
    return st.st_mode & 07777;
  return 0644;
}

static void
read_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VcrBackendFile *self = source;
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  VcrTree *tree = read_config (self->path, &error);

  g_debug ("Read %s in %.1f ms", self->path, (g_get_monotonic_time () - start) / 1000.0);
  if (tree == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, tree, (GDestroyNotify) vcr_tree_free);
}

static void
file_read_async (VcrBackend *backend, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  g_task_set_source_tag (task, file_read_async);
  g_task_run_in_thread (task, read_thread);
}

static VcrTree *
file_read_finish (VcrBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *file_get_stamp (VcrBackend *backend);
static char *stamp_from_stat (const struct stat *st);

typedef struct {
  const VcrTree *tree;
  GCancellable *cancellable;  /* nullable */
  VcrFileWriter *writer;
} Rendering;

static gboolean
write_chunk (const char *data, gsize length, gpointer user_data, GError **error)
{
  Rendering *r = user_data;

  if (g_cancellable_set_error_if_cancelled (r->cancellable, error))
    return FALSE;
  return vcr_file_writer_write (data, length, r->writer, error);
}

/* Renders the tree straight into the temporary file, 64 KiB at a time: a
 * big config's text is never held whole (it would add to the peak RSS).
 * A cancelled apply stops here, leaving the file as it was. */
static gboolean
write_rendering (VcrFileWriter *writer, gpointer user_data, GError **error)
{
  Rendering *r = user_data;

  r->writer = writer;
  return vcr_tree_stream_file_contents (r->tree, 0, write_chunk, r, error) &&
         !g_cancellable_set_error_if_cancelled (r->cancellable, error);
}

/* Writes @tree's file contents to @path atomically, keeping the mode. */
static gboolean
write_tree (const char *path, const VcrTree *tree, GCancellable *cancellable,
            struct stat *written, GError **error)
{
  Rendering r = { tree, cancellable, NULL };

  return vcr_file_write_atomic_stream (path, file_mode (path), write_rendering, &r,
                                       written, error);
}

static void
apply_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VcrBackendFile *self = source;
  ApplyData *data = task_data;
  GError *error = NULL;
  g_autoptr(VcrTree) current = NULL;
  g_autofree char *stamp = file_get_stamp (VCR_BACKEND (self));
  g_autofree char *old = NULL;
  gsize old_length = 0;
  const VcrTree *result = data->tree;
  struct stat written;
  gint64 start;

  gboolean stale = data->base_stamp == NULL || g_strcmp0 (stamp, data->base_stamp) != 0;

  /* The old bytes are read only to keep them for undo, or to parse them
   * again when the file changed since the caller read it. */
  if ((data->keep_undo || stale) &&
      !g_file_get_contents (self->path, &old, &old_length, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (stale)
    {
      current = vcr_tree_parse (old, old_length, VCR_PARSE_DEFAULT, self->path, &error);
      if (current == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      for (guint i = 0; i < data->paths->len; i++)
        vcr_mask_graft (current, data->tree, g_ptr_array_index (data->paths, i),
                        data->excludes);
      result = current;
    }
  if (data->keep_undo)
    {
      /* The old bytes are on disk before the config is replaced: an undo
       * must survive a crash in between. */
      if (data->undo_file != NULL &&
          !vcr_file_write_atomic (data->undo_file, old, old_length, 0600, &error))
        {
          g_prefix_error (&error, "Cannot keep the config for undo: ");
          g_task_return_error (task, error);
          return;
        }
      data->previous = g_bytes_new_take (g_steal_pointer (&old), old_length);
    }
  start = g_get_monotonic_time ();
  if (!write_tree (self->path, result, data->cancellable, &written, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_debug ("Applied to %s: rendered and written in %.1f ms", self->path,
           (g_get_monotonic_time () - start) / 1000.0);
  /* The file is @tree now, unless @tree had to be grafted into a newer
   * file; the caller may then keep @tree as the running config. The stamp
   * is that of the file written (not a stat of the path afterwards, which
   * could see another writer's file and let the cache hide it). */
  if (!stale)
    data->written_stamp = stamp_from_stat (&written);
  data->any_stamp = stamp_from_stat (&written);
  g_task_return_boolean (task, TRUE);
}

static void
file_apply_async (VcrBackend *backend, const VcrTree *tree, GPtrArray *paths,
                  GPtrArray *excludes, const char *base_stamp, gboolean keep_undo,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  ApplyData *data = g_new0 (ApplyData, 1);

  data->tree = tree;
  data->paths = g_ptr_array_ref (paths);
  data->excludes = excludes != NULL ? g_ptr_array_ref (excludes) : NULL;
  data->base_stamp = g_strdup (base_stamp);
  data->keep_undo = keep_undo;
  data->undo_file = g_strdup (vcr_backend_get_undo_file (backend));
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_source_tag (task, file_apply_async);
  g_task_set_task_data (task, data, (GDestroyNotify) apply_data_free);
  g_task_run_in_thread (task, apply_thread);
}

static gboolean
file_apply_finish (VcrBackend *backend, GAsyncResult *result, char **written_stamp,
                   GError **error)
{
  VcrBackendFile *self = VCR_BACKEND_FILE (backend);
  ApplyData *data = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  /* Back on the main thread: the worker is done with @data. */
  g_clear_pointer (&self->previous, g_bytes_unref);
  self->previous = g_steal_pointer (&data->previous);
  g_clear_pointer (&self->undo_paths, g_ptr_array_unref);
  self->undo_paths = g_ptr_array_ref (data->paths);
  g_clear_pointer (&self->undo_excludes, g_ptr_array_unref);
  self->undo_excludes = g_steal_pointer (&data->excludes);
  g_free (self->undo_stamp);
  self->undo_stamp = g_steal_pointer (&data->any_stamp);
  *written_stamp = g_steal_pointer (&data->written_stamp);
  return TRUE;
}

typedef struct {
  GBytes *previous;   /* the old file */
  GPtrArray *paths;   /* the replicated subtrees (of GStrv) */
  GPtrArray *excludes; /* where the file keeps what it holds now (nullable) */
  char *stamp;        /* nullable: the stamp of the file the apply wrote */
} UndoData;

static void
undo_data_free (UndoData *data)
{
  g_bytes_unref (data->previous);
  g_ptr_array_unref (data->paths);
  g_clear_pointer (&data->excludes, g_ptr_array_unref);
  g_free (data->stamp);
  g_free (data);
}

/* The file as it is now with the old replicated subtrees put back, or
 * NULL when the old bytes are to be put back as they were: the file is
 * still what the apply wrote, or differs from the old one only inside the
 * replicated subtrees (nothing is lost), or cannot be read any more (the
 * old bytes are all there is). */
static VcrTree *
undo_keeping_local (VcrBackendFile *self, UndoData *data)
{
  g_autofree char *stamp = file_get_stamp (VCR_BACKEND (self));
  g_autoptr(VcrTree) now = NULL;
  g_autoptr(VcrTree) old = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_text = NULL, *new_text = NULL;
  gsize old_length = 0, new_length = 0;
  gsize length = 0;
  const char *bytes = g_bytes_get_data (data->previous, &length);

  if (data->stamp != NULL && g_strcmp0 (stamp, data->stamp) == 0)
    return NULL;
  now = read_config (self->path, &error);
  old = vcr_tree_parse (bytes, length, VCR_PARSE_DEFAULT, self->path, NULL);
  if (now == NULL || old == NULL)
    {
      g_warning ("Undo: %s, putting back the old file as it was",
                 now == NULL ? error->message : "the old file does not parse");
      return NULL;
    }
  for (guint i = 0; i < data->paths->len; i++)
    vcr_mask_graft (now, old, g_ptr_array_index (data->paths, i), data->excludes);
  old_text = vcr_tree_to_file_contents (old, &old_length);
  new_text = vcr_tree_to_file_contents (now, &new_length);
  if (old_length == new_length && memcmp (old_text, new_text, old_length) == 0)
    return NULL;
  return g_steal_pointer (&now);
}

static void
undo_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VcrBackendFile *self = source;
  UndoData *data = task_data;
  GError *error = NULL;
  gsize length = 0;
  const char *bytes = g_bytes_get_data (data->previous, &length);
  g_autoptr(VcrTree) merged = undo_keeping_local (self, data);
  gboolean ok;

  if (merged != NULL)
    {
      g_message ("Undo: %s changed since the apply; putting back only the replicated "
                 "subtrees and keeping the rest as it is now", self->path);
      ok = write_tree (self->path, merged, NULL, NULL, &error);
    }
  else
    ok = vcr_file_write_atomic (self->path, bytes, length, file_mode (self->path), &error);
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
start_undo (VcrBackendFile *self, UndoData *data, gpointer tag, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, data, (GDestroyNotify) undo_data_free);
  g_task_run_in_thread (task, undo_thread);
}

/* Puts back what the last apply replaced; the bytes are used once. */
static void
file_undo_async (VcrBackend *backend, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  VcrBackendFile *self = VCR_BACKEND_FILE (backend);
  UndoData *data;

  if (self->previous == NULL)
    {
      g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
      g_task_set_source_tag (task, file_undo_async);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "there is no apply to undo");
      return;
    }
  data = g_new0 (UndoData, 1);
  data->previous = g_steal_pointer (&self->previous);
  data->paths = g_ptr_array_ref (self->undo_paths);
  if (self->undo_excludes != NULL)
    data->excludes = g_ptr_array_ref (self->undo_excludes);
  data->stamp = g_steal_pointer (&self->undo_stamp);
  start_undo (self, data, file_undo_async, cancellable, callback, user_data);
}

static gboolean
file_undo_finish (VcrBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
file_restore_async (VcrBackend *backend, GBytes *previous, GPtrArray *paths,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  UndoData *data = g_new0 (UndoData, 1);

  data->previous = g_bytes_ref (previous);
  data->paths = g_ptr_array_ref (paths);
  start_undo (VCR_BACKEND_FILE (backend), data, file_restore_async, cancellable, callback,
              user_data);
}

/* Inode, size and mtime in ns: any write through rename or in place
 * changes at least one. */
static char *
stamp_from_stat (const struct stat *st)
{
  return g_strdup_printf ("%lu:%lu:%lld:%lld.%09ld", (unsigned long) st->st_dev,
                          (unsigned long) st->st_ino, (long long) st->st_size,
                          (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static char *
file_get_stamp (VcrBackend *backend)
{
  VcrBackendFile *self = VCR_BACKEND_FILE (backend);
  struct stat st;

  if (stat (self->path, &st) < 0)
    return NULL;
  return stamp_from_stat (&st);
}

static void
vcr_backend_file_finalize (GObject *object)
{
  VcrBackendFile *self = VCR_BACKEND_FILE (object);

  g_free (self->path);
  g_clear_pointer (&self->previous, g_bytes_unref);
  g_clear_pointer (&self->undo_paths, g_ptr_array_unref);
  g_clear_pointer (&self->undo_excludes, g_ptr_array_unref);
  g_free (self->undo_stamp);
  G_OBJECT_CLASS (vcr_backend_file_parent_class)->finalize (object);
}

static void
vcr_backend_file_class_init (VcrBackendFileClass *klass)
{
  VcrBackendClass *backend_class = VCR_BACKEND_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = vcr_backend_file_finalize;
  backend_class->get_stamp = file_get_stamp;
  backend_class->read_async = file_read_async;
  backend_class->read_finish = file_read_finish;
  backend_class->apply_async = file_apply_async;
  backend_class->apply_finish = file_apply_finish;
  backend_class->undo_async = file_undo_async;
  backend_class->undo_finish = file_undo_finish;
  backend_class->restore_async = file_restore_async;
  backend_class->restore_finish = file_undo_finish;
}

static void
vcr_backend_file_init (VcrBackendFile *self)
{
}

VcrBackend *
vcr_backend_file_new (const char *path)
{
  VcrBackendFile *self = g_object_new (vcr_backend_file_get_type (), NULL);
  self->path = g_strdup (path);
  return VCR_BACKEND (self);
}
