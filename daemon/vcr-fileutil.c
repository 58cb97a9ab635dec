/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atomic file writes (temp file, fsync, rename, fsync of the folder), from
 * a buffer or from a producer that writes its bytes in pieces, and moving
 * corrupt files aside (see vcr-fileutil.h). A file replaced keeps its
 * owner and group (on VyOS config.boot is root:vyattacfg, group-writable),
 * and a symlink is written through to its target, never replaced by a
 * plain file; a link someone else may have planted is refused.
 */
#define G_LOG_DOMAIN "vcr-fileutil"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <unistd.h>

#include "vcr-fileutil.h"

static gboolean
write_all (int fd, const char *data, gsize length, const char *path, GError **error)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "Cannot write %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

static gboolean
fsync_dir (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r;

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot open folder %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  r = fsync (fd);
  if (r < 0)
    {
      int saved = errno;
      close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot sync folder %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* Symlinks followed at most, as the kernel's own limit for a path. */
#define LINK_HOPS_MAX 40

/* Whether a write may follow the symlink @link (lstat()ed as @st): only
 * when it is ours or its folder owner's (the kernel's protected_symlinks
 * rule), so that a user who may write the folder (vyattacfg on /config)
 * cannot point the daemon's writes at any file of root's. */
static gboolean
link_trusted (const char *link, const struct stat *st)
{
  g_autofree char *dir = g_path_get_dirname (link);
  struct stat dst;

  if (st->st_uid == geteuid ())
    return TRUE;
  return stat (dir, &dst) == 0 && dst.st_uid == st->st_uid;
}

/* The file a write to @path replaces: @path itself, or the target of the
 * symlink(s) it is (relative targets taken from the link's folder). */
static char *
resolve_target (const char *path, GError **error)
{
  g_autofree char *current = g_strdup (path);

  for (guint hops = 0; hops <= LINK_HOPS_MAX; hops++)
    {
      struct stat st;
      g_autofree char *target = NULL;
      g_autoptr(GError) link_error = NULL;

      if (lstat (current, &st) < 0 || !S_ISLNK (st.st_mode))
        return g_steal_pointer (&current);
      if (!link_trusted (current, &st))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                       "Cannot write %s: it is a symlink owned by uid %u, neither "
                       "this process's nor its folder's owner; refusing to follow it",
                       current, (unsigned) st.st_uid);
          return NULL;
        }
      target = g_file_read_link (current, &link_error);
      if (target == NULL)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       "Cannot write %s: %s", path, link_error->message);
          return NULL;
        }
      if (!g_path_is_absolute (target))
        {
          g_autofree char *dir = g_path_get_dirname (current);
          g_autofree char *joined = g_build_filename (dir, target, NULL);
          g_free (target);
          target = g_steal_pointer (&joined);
        }
      g_free (current);
      current = g_steal_pointer (&target);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_LOOP,
               "Cannot write %s: more than %d symlinks", path, LINK_HOPS_MAX);
  return NULL;
}

struct _VcrFileWriter {
  int fd;
  const char *path;     /* the temporary file, for messages */
};

gboolean
vcr_file_writer_write (const char *data, gsize length, gpointer writer, GError **error)
{
  VcrFileWriter *self = writer;

  return write_all (self->fd, data, length, self->path, error);
}

/* Fills the temporary file and syncs it; sets @error in any case. */
static gboolean
fill_temporary (VcrFileWriter *writer, const char *target, int mode, VcrFileProducer producer,
                gpointer user_data, GError **error)
{
  struct stat old;

  /* The file replaced keeps its owner and group: the daemon runs as root,
   * and a config.boot left root:root would lock out the vyattacfg group.
   * (Owner first: a chown may clear the set-id bits of the mode.) */
  if (stat (target, &old) == 0 && fchown (writer->fd, old.st_uid, old.st_gid) < 0)
    {
      int saved = errno;
      struct stat own;

      if (fstat (writer->fd, &own) < 0 || own.st_uid != old.st_uid || own.st_gid != old.st_gid)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "Cannot give %s the owner %u:%u of %s: %s", writer->path,
                       (unsigned) old.st_uid, (unsigned) old.st_gid, target, g_strerror (saved));
          return FALSE;
        }
    }
  /* mkstemp applies the umask; the mode asked for is what we want. */
  if (fchmod (writer->fd, mode) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot set the mode of %s: %s", writer->path, g_strerror (saved));
      return FALSE;
    }
  if (!producer (writer, user_data, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                     "Cannot write %s: its contents could not be made", writer->path);
      return FALSE;
    }
  if (fsync (writer->fd) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot sync %s: %s", writer->path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* A synced temporary file next to @path with what @producer writes (and
 * its status in @written, nullable); its name, or NULL with @error and
 * nothing left behind. */
static char *
create_temporary (const char *path, int mode, VcrFileProducer producer, gpointer user_data,
                  struct stat *written, GError **error)
{
  g_autofree char *target = resolve_target (path, error);
  g_autofree char *tmp = NULL;
  VcrFileWriter writer = { 0 };

  if (target == NULL)
    return NULL;
  tmp = g_strdup_printf ("%s.XXXXXX", target);
  writer.path = tmp;

  writer.fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, mode);
  if (writer.fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create a temporary file next to %s: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  if (!fill_temporary (&writer, target, mode, producer, user_data, error))
    {
      close (writer.fd);
      g_unlink (tmp);
      return NULL;
    }
  if (written != NULL && fstat (writer.fd, written) < 0)
    {
      int saved = errno;
      close (writer.fd);
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot stat %s: %s", tmp, g_strerror (saved));
      return NULL;
    }
  if (close (writer.fd) < 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot write %s: %s", tmp, g_strerror (saved));
      return NULL;
    }
  return g_steal_pointer (&tmp);
}

gboolean
vcr_file_replace (const char *tmp, const char *path, GError **error)
{
  g_autofree char *target = resolve_target (path, error);

  if (target == NULL)
    {
      g_unlink (tmp);
      return FALSE;
    }
  if (g_rename (tmp, target) < 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot replace %s: %s", target, g_strerror (saved));
      return FALSE;
    }
  return fsync_dir (target, error);
}

gboolean
vcr_file_write_atomic_stream (const char *path,
                              int mode,
                              VcrFileProducer producer,
                              gpointer user_data,
                              struct stat *written,
                              GError **error)
{
  g_autofree char *tmp = create_temporary (path, mode, producer, user_data, written, error);

  return tmp != NULL && vcr_file_replace (tmp, path, error);
}

typedef struct {
  const char *data;
  gsize length;
} Buffer;

static gboolean
produce_buffer (VcrFileWriter *writer, gpointer user_data, GError **error)
{
  Buffer *buffer = user_data;

  return vcr_file_writer_write (buffer->data, buffer->length, writer, error);
}

gboolean
vcr_file_write_atomic (const char *path,
                       const char *data,
                       gsize length,
                       int mode,
                       GError **error)
{
  g_autofree char *tmp = vcr_file_write_temporary (path, data, length, mode, error);

  return tmp != NULL && vcr_file_replace (tmp, path, error);
}

char *
vcr_file_write_temporary (const char *path,
                          const char *data,
                          gsize length,
                          int mode,
                          GError **error)
{
  Buffer buffer = { data, length };

  return create_temporary (path, mode, produce_buffer, &buffer, NULL, error);
}

void
vcr_file_move_aside (const char *path, const char *reason)
{
  g_autofree char *aside = g_strdup_printf ("%s.corrupt-%" G_GINT64_FORMAT,
                                            path, g_get_real_time () / G_USEC_PER_SEC);
  if (g_rename (path, aside) < 0)
    g_warning ("%s is invalid (%s) and cannot be moved aside: %s, ignoring it",
               path, reason, g_strerror (errno));
  else
    g_warning ("%s is invalid (%s): moved to %s, ignoring it", path, reason, aside);
}
