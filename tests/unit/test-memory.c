/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's spare mapping (daemon/vcr-memory.c): a big buffer given back
 * on the main loop's thread is handed out again to a request that fits it,
 * with its pages still in place, and is unmapped a moment later.
 */
#include <string.h>

#include "vcr-memory.h"

#define MIB (1024 * 1024)

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
  vcr_memory_unmap (pages, mapped);
  /* a request that fits is given the same pages, still written */
  again = vcr_memory_map (2 * MIB - 4096, &again_mapped);
  g_assert_true (again == pages);
  g_assert_cmpuint (again_mapped, ==, 2 * MIB);
  g_assert_cmpuint (again[0], ==, 0xa5);
  g_assert_cmpuint (again[2 * MIB - 1], ==, 0xa5);
  vcr_memory_unmap (again, again_mapped);
  vcr_memory_shutdown ();
}

static void
test_memory_spare_not_too_big (void)
{
  gsize mapped = 0, small_mapped = 0, big_mapped = 0;
  guint8 *pages = vcr_memory_map (4 * MIB, &mapped);
  guint8 *small, *big;

  vcr_memory_unmap (pages, mapped);
  /* under half the spare's size: a mapping of its own */
  small = vcr_memory_map (MIB, &small_mapped);
  g_assert_true (small != pages);
  g_assert_cmpuint (small_mapped, ==, MIB);
  /* bigger than the spare: a mapping of its own too */
  big = vcr_memory_map (8 * MIB, &big_mapped);
  g_assert_true (big != pages);
  g_assert_cmpuint (big_mapped, ==, 8 * MIB);
  /* the biggest stays the spare; the others are unmapped */
  vcr_memory_unmap (small, small_mapped);
  vcr_memory_unmap (big, big_mapped);
  g_assert_true (vcr_memory_map (8 * MIB, &mapped) == big);
  vcr_memory_unmap (big, mapped);
  vcr_memory_shutdown ();
}

/* A mapping of 2 MiB filled with 0xa5, given back. */
static void
unmap_written (void)
{
  gsize mapped = 0;
  guint8 *pages = vcr_memory_map (2 * MIB, &mapped);

  memset (pages, 0xa5, mapped);
  vcr_memory_unmap (pages, mapped);
}

/* The next 2 MiB are fresh pages (zero-filled, wherever the kernel puts
 * them), not a spare. */
static void
assert_no_spare (void)
{
  gsize mapped = 0;
  guint8 *again = vcr_memory_map (2 * MIB, &mapped);

  g_assert_cmpuint (again[0], ==, 0);
  vcr_memory_unmap (again, mapped);
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
  return g_test_run ();
}
