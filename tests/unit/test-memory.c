/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mappings for big request bodies (daemon/vcr-memory.c): a body's
 * pages go back to the kernel as soon as it is given back, from any
 * thread, and the next body gets fresh pages. There was a spare mapping
 * once, kept for the next body: it kept the pages of bodies of refused
 * (unauthenticated) requests resident; these tests fail with it.
 */
#include <string.h>

#include "vcr-memory.h"

#define MIB (1024 * 1024)

static gsize
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nVmRSS:");
  g_assert_nonnull (line);
  return (gsize) g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* 16 MiB written, given back: the resident size falls by about as much at
 * once, with the main loop not running (no delayed release involved). */
static void
test_memory_unmap_gives_back (void)
{
  guint8 *pages = vcr_memory_map (16 * MIB);
  gsize before, after;

  g_assert_nonnull (pages);
  memset (pages, 0xa5, 16 * MIB);
  before = rss_kib ();
  vcr_memory_unmap (pages, 16 * MIB);
  after = rss_kib ();
  g_test_message ("VmRSS %" G_GSIZE_FORMAT " kB with the body, %" G_GSIZE_FORMAT
                  " kB after", before, after);
  g_assert_cmpuint (before - MIN (after, before), >=, 15 * 1024);
}

/* The next body of the same size gets fresh (zero-filled) pages, not the
 * last body's bytes. */
static void
map_written_and_check_fresh (void)
{
  guint8 *pages = vcr_memory_map (2 * MIB);
  guint8 *again;

  memset (pages, 0xa5, 2 * MIB);
  vcr_memory_unmap (pages, 2 * MIB);
  again = vcr_memory_map (2 * MIB);
  g_assert_nonnull (again);
  g_assert_cmpuint (again[0], ==, 0);
  g_assert_cmpuint (again[2 * MIB - 1], ==, 0);
  vcr_memory_unmap (again, 2 * MIB);
}

static void
test_memory_fresh_pages (void)
{
  map_written_and_check_fresh ();
  vcr_memory_shutdown ();
}

static gpointer
map_in_thread (gpointer data)
{
  map_written_and_check_fresh ();
  return NULL;
}

/* A snapshot (and its body) may be freed in a worker thread. */
static void
test_memory_other_thread (void)
{
  g_thread_join (g_thread_new ("map", map_in_thread, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* as the daemon's main thread, which runs the default main context */
  g_main_context_acquire (NULL);
  g_test_add_func ("/memory/unmap-gives-back", test_memory_unmap_gives_back);
  g_test_add_func ("/memory/fresh-pages", test_memory_fresh_pages);
  g_test_add_func ("/memory/other-thread", test_memory_other_thread);
  return g_test_run ();
}
