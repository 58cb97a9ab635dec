/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's spare mapping (daemon/vcr-memory.c): a big buffer of an
 * accepted request given back on the main loop's thread is handed out
 * again to a request that fits it, with its pages still in place, and is
 * unmapped a moment later; a refused request's buffer is unmapped at once
 * and never becomes the spare.
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

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
test_memory_spare_reused (void)
{
  gsize mapped = 0, again_mapped = 0;
  guint8 *pages = vcr_memory_map (2 * MIB, &mapped);
  guint8 *again;

  g_assert_nonnull (pages);
  g_assert_cmpuint (mapped, ==, 2 * MIB);
  memset (pages, 0xa5, mapped);
  vcr_memory_unmap (pages, mapped, TRUE);
  /* a request that fits is given the same pages, still written */
  again = vcr_memory_map (2 * MIB - 4096, &again_mapped);
  g_assert_true (again == pages);
  g_assert_cmpuint (again_mapped, ==, 2 * MIB);
  g_assert_cmpuint (again[0], ==, 0xa5);
  g_assert_cmpuint (again[2 * MIB - 1], ==, 0xa5);
  vcr_memory_unmap (again, again_mapped, TRUE);
  vcr_memory_shutdown ();
}

static void
test_memory_spare_not_too_big (void)
{
  gsize mapped = 0, small_mapped = 0, big_mapped = 0;
  guint8 *pages = vcr_memory_map (4 * MIB, &mapped);
  guint8 *small, *big;

  vcr_memory_unmap (pages, mapped, TRUE);
  /* under half the spare's size: a mapping of its own */
  small = vcr_memory_map (MIB, &small_mapped);
  g_assert_true (small != pages);
  g_assert_cmpuint (small_mapped, ==, MIB);
  /* bigger than the spare: a mapping of its own too */
  big = vcr_memory_map (8 * MIB, &big_mapped);
  g_assert_true (big != pages);
  g_assert_cmpuint (big_mapped, ==, 8 * MIB);
  /* the biggest stays the spare; the others are unmapped */
  vcr_memory_unmap (small, small_mapped, TRUE);
  vcr_memory_unmap (big, big_mapped, TRUE);
  g_assert_true (vcr_memory_map (8 * MIB, &mapped) == big);
  vcr_memory_unmap (big, mapped, TRUE);
  vcr_memory_shutdown ();
}

/* A mapping of 2 MiB filled with 0xa5, given back. */
static void
unmap_written (void)
{
  gsize mapped = 0;
  guint8 *pages = vcr_memory_map (2 * MIB, &mapped);

  memset (pages, 0xa5, mapped);
  vcr_memory_unmap (pages, mapped, TRUE);
}

/* The next 2 MiB are fresh pages (zero-filled, wherever the kernel puts
 * them), not a spare. */
static void
assert_no_spare (void)
{
  gsize mapped = 0;
  guint8 *again = vcr_memory_map (2 * MIB, &mapped);

  g_assert_cmpuint (again[0], ==, 0);
  vcr_memory_unmap (again, mapped, TRUE);
  vcr_memory_shutdown ();
}

/* Giving a buffer back schedules the release that unmaps the spare a
 * moment later, whether a push follows or not (a big body refused for its
 * signature). */
static void
test_memory_spare_released (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  unmap_written ();
  g_timeout_add_seconds (3, quit_loop, loop);
  g_main_loop_run (loop);
  assert_no_spare ();
}

/* A refused request's body (16 MiB written) is unmapped at once: the
 * resident size falls by about as much, with the main loop not running,
 * and the next body gets fresh pages, not the refused one's. */
static void
test_memory_refused_not_kept (void)
{
  gsize mapped = 0;
  guint8 *pages = vcr_memory_map (16 * MIB, &mapped);
  gsize before, after;

  g_assert_nonnull (pages);
  memset (pages, 0xa5, mapped);
  before = rss_kib ();
  vcr_memory_unmap (pages, mapped, FALSE);
  after = rss_kib ();
  g_test_message ("VmRSS %" G_GSIZE_FORMAT " kB with the body, %" G_GSIZE_FORMAT
                  " kB after", before, after);
  g_assert_cmpuint (before - MIN (after, before), >=, 15 * 1024);
  assert_no_spare ();
}

/* A refused body that had the spare's pages does not give them back as
 * the spare. */
static void
test_memory_refused_keeps_spare (void)
{
  gsize mapped = 0, refused_mapped = 0;
  guint8 *kept = vcr_memory_map (2 * MIB, &mapped);
  guint8 *refused;

  memset (kept, 0x5a, mapped);
  vcr_memory_unmap (kept, mapped, TRUE);
  /* the next body takes the spare; one more gets pages of its own */
  refused = vcr_memory_map (2 * MIB, &refused_mapped);
  g_assert_true (refused == kept);
  memset (refused, 0xa5, refused_mapped);
  vcr_memory_unmap (refused, refused_mapped, FALSE);
  assert_no_spare ();
}

/* Off the main loop's thread nothing is kept. */
static gpointer
unmap_in_thread (gpointer data)
{
  unmap_written ();
  return NULL;
}

static void
test_memory_no_spare_off_thread (void)
{
  g_thread_join (g_thread_new ("unmap", unmap_in_thread, NULL));
  assert_no_spare ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* as the daemon's main thread, which runs the default main context */
  g_main_context_acquire (NULL);
  g_test_add_func ("/memory/spare-reused", test_memory_spare_reused);
  g_test_add_func ("/memory/spare-not-too-big", test_memory_spare_not_too_big);
  g_test_add_func ("/memory/spare-released", test_memory_spare_released);
  g_test_add_func ("/memory/no-spare-off-thread", test_memory_no_spare_off_thread);
  g_test_add_func ("/memory/refused-not-kept", test_memory_refused_not_kept);
  g_test_add_func ("/memory/refused-keeps-no-spare", test_memory_refused_keeps_spare);
  return g_test_run ();
}
