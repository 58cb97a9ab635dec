/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The malloc settings, the spare mapping and the delayed release (see
 * vcr-memory.h). Only glibc's malloc is tuned; elsewhere that part does
 * nothing.
 */
#define G_LOG_DOMAIN "vcr-memory"

#include "config.h"

#include "vcr-memory.h"

#include <sys/mman.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define RELEASE_DELAY_S 2
/* Above any buffer the daemon allocates from malloc (a request body of a
 * megabyte or more is mapped by the peer server itself). */
#define HEAP_KEEP (64 * 1024 * 1024)

static guint release_source;
/* The spare mapping (vcr_memory_unmap()). */
static GMutex spare_lock;
static gpointer spare;
static gsize spare_size;

void
vcr_memory_init (void)
{
#ifdef __GLIBC__
  /* One arena for every thread: the snapshot texts are parsed in GLib's
   * worker threads, and glibc never gives the top of a worker thread's
   * arena back, not even through malloc_trim() (a replica kept ~8 MB of a
   * freed snapshot tree). The threads seldom allocate at the same time. */
  mallopt (M_ARENA_MAX, 1);
  /* Big blocks from the heap, which is not trimmed on every free: mapping
   * and trimming at each push or commit check faulted the same pages in
   * again every time (CheckCommit of a 1.2 MB config took 4× as long). */
  mallopt (M_MMAP_THRESHOLD, HEAP_KEEP);
  mallopt (M_TRIM_THRESHOLD, HEAP_KEEP);
#endif
}

/* Call with spare_lock held. */
static void
drop_spare_locked (void)
{
  if (spare != NULL)
    munmap (spare, spare_size);
  spare = NULL;
  spare_size = 0;
}

static void
drop_spare (void)
{
  g_mutex_lock (&spare_lock);
  drop_spare_locked ();
  g_mutex_unlock (&spare_lock);
}

gpointer
vcr_memory_map (gsize size, gsize *mapped)
{
  gpointer pages = NULL;

  g_mutex_lock (&spare_lock);
  /* Twice as big at most: a spare of 64 MiB is not worth keeping resident
   * for a request of 1 MiB. */
  if (spare != NULL && spare_size >= size && spare_size / 2 <= size)
    {
      pages = g_steal_pointer (&spare);
      *mapped = spare_size;
      spare_size = 0;
    }
  g_mutex_unlock (&spare_lock);
  if (pages != NULL)
    return pages;
  pages = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED)
    return NULL;
  *mapped = size;
  return pages;
}

void
vcr_memory_unmap (gpointer pages, gsize mapped, gboolean keep)
{
  if (pages == NULL)
    return;
  /* The release that drops the spare is a main-loop timer: only the main
   * loop's thread keeps one. A refused request's pages go at once. */
  if (!keep || !g_main_context_is_owner (NULL))
    {
      munmap (pages, mapped);
      return;
    }
  vcr_memory_release_later ();
  g_mutex_lock (&spare_lock);
  /* The bigger one stays the spare. */
  if (spare != NULL && spare_size >= mapped)
    munmap (pages, mapped);
  else
    {
      drop_spare_locked ();
      spare = pages;
      spare_size = mapped;
    }
  g_mutex_unlock (&spare_lock);
}

static gboolean
release_now (gpointer user_data)
{
  release_source = 0;
  drop_spare ();
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_REMOVE;
}

void
vcr_memory_release_later (void)
{
  g_clear_handle_id (&release_source, g_source_remove);
  release_source = g_timeout_add_seconds (RELEASE_DELAY_S, release_now, NULL);
}

void
vcr_memory_shutdown (void)
{
  g_clear_handle_id (&release_source, g_source_remove);
  drop_spare ();
}
