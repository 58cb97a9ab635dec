/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading and parsing a proposed config in a worker (see
 * vcr-proposed-read.h). A pipe is made non-blocking and read between
 * poll()s on it and on the cancellable, each poll no longer than the time
 * left to the deadline, so a worker never sleeps past it, even when
 * another process drains the same pipe. The text goes into a private
 * mapping that grows with mremap(): it holds in memory what was read and
 * no more (a heap buffer grown by doubling held twice what the budget
 * counts, and the heap kept it after), and munmap() gives it back at
 * once. A regular file is read into such a buffer of its size, in chunks,
 * the deadline and the cancellable checked between them. Parses run one
 * at a time: a parsed tree takes about 2.5 times its text, which the
 * budget does not count, and CheckCommit must leave the other core to the
 * main loop.
 */
#define G_LOG_DOMAIN "vcr-proposed"
#define _GNU_SOURCE 1   /* mremap */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vcr-error.h"
#include "vcr-mask.h"
#include "vcr-proposed-read.h"

/* What one read(2) may take at most: small enough that the budget and the
 * size limit are checked often, large enough to read a config in a few
 * dozen calls. */
#define CHUNK (256 * 1024)

/* A text in a private mapping (see above). */
typedef struct {
  guint8 *bytes;
  gsize len;
  gsize mapped;
} Text;

static GMutex parse_lock;

typedef struct {
  int fd;
  gboolean regular;
  gsize size;               /* a regular file's size at the call */
  char *origin;
  VcrSettings *settings;    /* nullable */
  VcrProposedLimits limits;
  Text text;
  gsize got;                /* bytes read */
  gsize reserved;           /* taken from the budget */
} Job;

static GThreadPool *pool;

static void
text_clear (Text *text)
{
  if (text->bytes != NULL)
    munmap (text->bytes, text->mapped);
  memset (text, 0, sizeof *text);
}

/* Room for @room more bytes: the mapping doubles (its address space, not
 * its memory: pages count once written). */
static gboolean
text_grow (Text *text, gsize room)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  gsize want = MAX (MAX (text->mapped * 2, text->len + room), (gsize) CHUNK);
  void *bytes;

  if (text->len + room <= text->mapped)
    return TRUE;
  want = (want + page - 1) / page * page;
  bytes = text->bytes == NULL
    ? mmap (NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    : mremap (text->bytes, text->mapped, want, MREMAP_MAYMOVE);
  if (bytes == MAP_FAILED)
    return FALSE;
  text->bytes = bytes;
  text->mapped = want;
  return TRUE;
}

static void
job_free (Job *job)
{
  vcr_proposed_release (job->limits.budget, job->reserved);
  text_clear (&job->text);
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

/* Counts @n bytes read, within the limits. */
static gboolean
take (Job *job, gsize n, GError **error)
{
  if (job->got + n > job->limits.max_size)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "%s: larger than %" G_GSIZE_FORMAT " bytes", job->origin,
                   job->limits.max_size);
      return FALSE;
    }
  if (!reserve (job, n, error))
    return FALSE;
  job->got += n;
  return TRUE;
}

static gboolean
read_failed (Job *job, int errsv, GError **error)
{
  g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG, "%s: cannot read: %s",
               job->origin, g_strerror (errsv));
  return FALSE;
}

static gboolean
no_memory (Job *job, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "%s: out of memory", job->origin);
  return FALSE;
}

static gboolean
read_regular (Job *job, GCancellable *cancellable, GError **error)
{
  gsize want = MIN (job->size, job->limits.max_size);

  if (!take (job, want, error))
    return FALSE;
  if (!text_grow (&job->text, want))
    return no_memory (job, error);
  while (job->text.len < want)
    {
      ssize_t n;

      if (!check_time (job, cancellable, error))
        return FALSE;
      n = pread (job->fd, job->text.bytes + job->text.len, MIN (want - job->text.len, CHUNK),
                 (off_t) job->text.len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return read_failed (job, errno, error);
      if (n == 0)
        break;   /* shrank meanwhile */
      job->text.len += (gsize) n;
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
      ssize_t n;

      if (!wait_readable (job, cancellable, error))
        return FALSE;
      if (!text_grow (&job->text, CHUNK))
        return no_memory (job, error);
      n = read (job->fd, job->text.bytes + job->text.len, CHUNK);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        return read_failed (job, errno, error);
      if (n == 0)
        return TRUE;
      if (!take (job, (gsize) n, error))
        return FALSE;
      job->text.len += (gsize) n;
    }
}

static VcrTree *
parse (Job *job, GError **error)
{
  g_autoptr(GError) local = NULL;
  VcrTree *tree = vcr_tree_parse ((const char *) job->text.bytes, job->text.len,
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
  VcrTree *tree;
  GHashTable *digests = NULL;
  gboolean ok = job->regular ? read_regular (job, cancellable, &error)
                             : read_pipe (job, cancellable, &error);

  if (ok)
    {
      g_mutex_lock (&parse_lock);
      tree = parse (job, &error);
      if (tree != NULL)
        digests = digests_of (job, tree);
      g_clear_pointer (&tree, vcr_tree_free);
      g_mutex_unlock (&parse_lock);
    }
  /* The text is not needed once parsed: megabytes back before the check
   * (and before a failed read gives back its share of the budget, so that
   * what the reads hold never exceeds it). */
  text_clear (&job->text);
  if (digests == NULL)
    {
      /* nothing stays reserved for a failed read (before the caller
       * hears of it) */
      vcr_proposed_release (job->limits.budget, job->reserved);
      job->reserved = 0;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, digests, (GDestroyNotify) g_hash_table_unref);
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
