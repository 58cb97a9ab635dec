/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading and parsing a proposed config in a worker (see
 * vcr-proposed-read.h). A pipe is made non-blocking and read between
 * poll()s on it and on the cancellable, each poll no longer than the time
 * left to the deadline, so a worker never sleeps past it, even when
 * another process drains the same pipe; a regular file is read in chunks,
 * the deadline and the cancellable checked between them.
 */
#define G_LOG_DOMAIN "vcr-proposed"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "vcr-error.h"
#include "vcr-mask.h"
#include "vcr-proposed-read.h"

/* What one read(2) may take at most: small enough that the budget and the
 * size limit are checked often, large enough to read a config in a few
 * dozen calls. */
#define CHUNK (256 * 1024)

typedef struct {
  int fd;
  gboolean regular;
  gsize size;               /* a regular file's size at the call */
  char *origin;
  VcrSettings *settings;    /* nullable */
  VcrProposedLimits limits;
  GByteArray *data;
  gsize reserved;           /* taken from the budget */
} Job;

static GThreadPool *pool;

static void
job_free (Job *job)
{
  vcr_proposed_release (job->limits.budget, job->reserved);
  g_clear_pointer (&job->data, g_byte_array_unref);
  g_clear_pointer (&job->settings, vcr_settings_unref);
  g_free (job->origin);
  g_free (job);
}

void
vcr_proposed_release (gint *budget, gsize reserved)
{
  if (budget != NULL && reserved > 0)
    g_atomic_int_add (budget, (gint) reserved);
}

/* Takes @n bytes from the budget, or fails. */
static gboolean
reserve (Job *job, gsize n, GError **error)
{
  gint *budget = job->limits.budget;
  gint old;

  if (budget == NULL)
    return TRUE;
  do
    {
      old = g_atomic_int_get (budget);
      if (old < 0 || (gsize) old < n)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                       "%s: the proposed configs being checked hold too much memory "
                       "already; try again", job->origin);
          return FALSE;
        }
    }
  while (!g_atomic_int_compare_and_exchange (budget, old, old - (gint) n));
  job->reserved += n;
  return TRUE;
}

static gboolean
check_time (Job *job, GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (g_get_monotonic_time () >= job->limits.deadline)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "%s: timed out: not read to its end in time", job->origin);
      return FALSE;
    }
  return TRUE;
}

/* Appends @n bytes read into the buffer's spare room, within the limits. */
static gboolean
take (Job *job, gsize n, GError **error)
{
  if (job->data->len + n > job->limits.max_size)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "%s: larger than %" G_GSIZE_FORMAT " bytes", job->origin,
                   job->limits.max_size);
      return FALSE;
    }
  return reserve (job, n, error);
}

static gboolean
read_failed (Job *job, int errsv, GError **error)
{
  g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG, "%s: cannot read: %s",
               job->origin, g_strerror (errsv));
  return FALSE;
}

static gboolean
read_regular (Job *job, GCancellable *cancellable, GError **error)
{
  gsize want = MIN (job->size, job->limits.max_size);

  if (!take (job, want, error))
    return FALSE;
  g_byte_array_set_size (job->data, want);
  for (gsize done = 0; done < want;)
    {
      ssize_t n;

      if (!check_time (job, cancellable, error))
        return FALSE;
      n = pread (job->fd, job->data->data + done, MIN (want - done, CHUNK), (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return read_failed (job, errno, error);
      if (n == 0)
        {
          g_byte_array_set_size (job->data, done);   /* shrank meanwhile */
          break;
        }
      done += (gsize) n;
    }
  return TRUE;
}

/* Waits until the pipe has something (or its end), the call is cancelled
 * or the deadline passes. */
static gboolean
wait_readable (Job *job, GCancellable *cancellable, GError **error)
{
  GPollFD fds[2] = { { job->fd, G_IO_IN, 0 }, { -1, G_IO_IN, 0 } };
  guint n = g_cancellable_make_pollfd (cancellable, &fds[1]) ? 2 : 1;
  gint64 left = job->limits.deadline - g_get_monotonic_time ();
  int r = 0;

  if (left > 0)
    r = g_poll (fds, n, (gint) MIN ((left + 999) / 1000, G_MAXINT));
  if (n == 2)
    g_cancellable_release_fd (cancellable);
  if (r < 0 && errno != EINTR)
    return read_failed (job, errno, error);
  return check_time (job, cancellable, error);
}

static gboolean
read_pipe (Job *job, GCancellable *cancellable, GError **error)
{
  int flags = fcntl (job->fd, F_GETFL);

  /* The caller may hold the same end and read it too: only a
   * non-blocking read is sure to come back. */
  if (flags < 0 || fcntl (job->fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return read_failed (job, errno, error);
  for (;;)
    {
      guint len = job->data->len;
      ssize_t n;

      if (!wait_readable (job, cancellable, error))
        return FALSE;
      /* room for one chunk, counted (and limited) only once it is read */
      g_byte_array_set_size (job->data, len + CHUNK);
      n = read (job->fd, job->data->data + len, CHUNK);
      job->data->len = len;
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        return read_failed (job, errno, error);
      if (n == 0)
        return TRUE;
      if (!take (job, (gsize) n, error))
        return FALSE;
      job->data->len = len + (guint) n;
    }
}

static VcrTree *
parse (Job *job, GError **error)
{
  g_autoptr(GError) local = NULL;
  VcrTree *tree = vcr_tree_parse ((const char *) job->data->data, job->data->len,
                                  VCR_PARSE_DEFAULT, job->origin, &local);

  if (tree == NULL && !g_error_matches (local, VCR_ERROR, VCR_ERROR_INVALID_CONFIG))
    g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG, "%s: %s", job->origin,
                 local->message);
  else if (tree == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return tree;
}

/* What the check compares: the digests of the proposed replicated
 * subtrees (none where nothing is checked). */
static GHashTable *
digests_of (Job *job, const VcrTree *tree)
{
  if (job->settings == NULL || job->settings->mode != VCR_MODE_REPLICA)
    return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return vcr_mask_path_digests (tree, job->settings, NULL);
}

static void
run (gpointer data, gpointer pool_data)
{
  g_autoptr(GTask) task = data;
  Job *job = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;
  gboolean ok = job->regular ? read_regular (job, cancellable, &error)
                             : read_pipe (job, cancellable, &error);

  if (ok)
    tree = parse (job, &error);
  /* The text is not needed once parsed: megabytes back before the check. */
  g_clear_pointer (&job->data, g_byte_array_unref);
  if (tree == NULL)
    {
      /* nothing stays reserved for a failed read (before the caller
       * hears of it) */
      vcr_proposed_release (job->limits.budget, job->reserved);
      job->reserved = 0;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, digests_of (job, tree), (GDestroyNotify) g_hash_table_unref);
}

static gpointer
make_pool (gpointer unused)
{
  /* Unbounded here: the callers' limits (in flight per sender and in
   * total) bound the threads, and a thread that stays stuck in a read
   * must not hold up the others. */
  return g_thread_pool_new (run, NULL, -1, FALSE, NULL);
}

void
vcr_proposed_read_async (int fd, gboolean regular, gsize size, const char *origin,
                         VcrSettings *settings, const VcrProposedLimits *limits,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  static GOnce once = G_ONCE_INIT;
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Job *job = g_new0 (Job, 1);

  job->fd = fd;
  job->regular = regular;
  job->size = size;
  job->origin = g_strdup (origin);
  job->settings = settings != NULL ? vcr_settings_ref (settings) : NULL;
  job->limits = *limits;
  job->data = g_byte_array_new ();
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_set_source_tag (task, vcr_proposed_read_async);
  /* A cancelled task must still wait for its worker: the caller's fd
   * stays open until then. */
  g_task_set_check_cancellable (task, FALSE);
  pool = g_once (&once, make_pool, NULL);
  g_thread_pool_push (pool, task, NULL);
}

GHashTable *
vcr_proposed_read_finish (GAsyncResult *result, gsize *reserved, GError **error)
{
  Job *job = g_task_get_task_data (G_TASK (result));
  GHashTable *digests = g_task_propagate_pointer (G_TASK (result), error);

  *reserved = 0;
  if (digests != NULL)
    {
      /* from now on the caller's to give back */
      *reserved = job->reserved;
      job->reserved = 0;
    }
  return digests;
}
