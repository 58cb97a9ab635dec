/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The join-or-follow-up rule of Push and Pull (daemon/vcr-join.c): who
 * shares which run. Each caller is a number; the model is that a caller's
 * answer must come from a run that read its input after the caller came.
 */
#include "config.h"

#include "vcr-join.h"

#define W(n) GINT_TO_POINTER (n)

static void
assert_waiters (GPtrArray *got, const int *want, guint n)
{
  g_assert_cmpuint (got->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (got, i)), ==, want[i]);
}

/* Callers before the read share the run; callers after it share exactly
 * one follow-up, which starts when the first run ends. */
static void
test_join_then_follow_up (void)
{
  VcrJoin join;
  gboolean follow = TRUE;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;

  vcr_join_init (&join, NULL);
  g_assert_false (vcr_join_is_busy (&join));
  g_assert_cmpint (vcr_join_add (&join, W (1)), ==, VCR_JOIN_START);
  g_assert_true (vcr_join_is_busy (&join));
  g_assert_cmpint (vcr_join_add (&join, W (2)), ==, VCR_JOIN_JOINED);
  g_assert_true (vcr_join_begin (&join));                /* reads now */
  g_assert_false (vcr_join_begin (&join));               /* once */
  g_assert_cmpint (vcr_join_add (&join, W (3)), ==, VCR_JOIN_QUEUED);
  g_assert_cmpint (vcr_join_add (&join, W (4)), ==, VCR_JOIN_QUEUED);
  first = vcr_join_end (&join, &follow);
  assert_waiters (first, (int[]) { 1, 2 }, 2);
  g_assert_true (follow);
  /* the follow-up has not read yet: a caller now still joins it */
  g_assert_cmpint (vcr_join_add (&join, W (5)), ==, VCR_JOIN_JOINED);
  g_assert_true (vcr_join_begin (&join));
  g_assert_cmpint (vcr_join_add (&join, W (6)), ==, VCR_JOIN_QUEUED);
  second = vcr_join_end (&join, &follow);
  assert_waiters (second, (int[]) { 3, 4, 5 }, 3);
  g_assert_true (follow);
  g_clear_pointer (&first, g_ptr_array_unref);
  g_assert_true (vcr_join_begin (&join));
  first = vcr_join_end (&join, &follow);
  assert_waiters (first, (int[]) { 6 }, 1);
  g_assert_false (follow);
  g_assert_false (vcr_join_is_busy (&join));
  vcr_join_clear (&join);
}

/* A run without callers (a background pull) is followed up the same way:
 * a caller that comes after its read is not answered by it. */
static void
test_background_run (void)
{
  VcrJoin join;
  gboolean follow = FALSE;
  g_autoptr(GPtrArray) done = NULL;

  vcr_join_init (&join, NULL);
  g_assert_true (vcr_join_begin (&join));
  g_assert_cmpint (vcr_join_add (&join, W (1)), ==, VCR_JOIN_QUEUED);
  done = vcr_join_end (&join, &follow);
  g_assert_cmpuint (done->len, ==, 0);
  g_assert_true (follow);
  g_clear_pointer (&done, g_ptr_array_unref);
  g_assert_true (vcr_join_begin (&join));
  done = vcr_join_end (&join, &follow);
  assert_waiters (done, (int[]) { 1 }, 1);
  g_assert_false (follow);
  vcr_join_clear (&join);
}

/* Called off: every caller comes back, the queued ones too, and the next
 * caller starts afresh. */
static void
test_take_all (void)
{
  VcrJoin join;
  g_autoptr(GPtrArray) all = NULL;

  vcr_join_init (&join, NULL);
  vcr_join_add (&join, W (1));
  vcr_join_begin (&join);
  vcr_join_add (&join, W (2));
  vcr_join_add (&join, W (3));
  all = vcr_join_take_all (&join);
  assert_waiters (all, (int[]) { 1, 2, 3 }, 3);
  g_assert_false (vcr_join_is_busy (&join));
  g_assert_cmpint (vcr_join_add (&join, W (4)), ==, VCR_JOIN_START);
  vcr_join_clear (&join);
}

/* Random sequences against the rule itself: every answered caller came
 * before the read of the run that answered it, and no caller is answered
 * twice or lost. */
static void
test_model (void)
{
  GRand *rand = g_rand_new_with_seed (9);

  for (int round = 0; round < 200; round++)
    {
      VcrJoin join;
      g_autoptr(GHashTable) arrived = g_hash_table_new (NULL, NULL);   /* caller → step */
      g_autoptr(GHashTable) answered = g_hash_table_new (NULL, NULL);
      int read_at = -1, callers = 0;

      vcr_join_init (&join, NULL);
      for (int step = 1; step < 60; step++)
        {
          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0:
              callers++;
              g_hash_table_insert (arrived, W (callers), W (step));
              vcr_join_add (&join, W (callers));
              break;
            case 1:
              if (join.phase == VCR_JOIN_DUE && vcr_join_begin (&join))
                read_at = step;
              break;
            default:
              if (join.phase == VCR_JOIN_RUNNING)
                {
                  gboolean follow;
                  g_autoptr(GPtrArray) done = vcr_join_end (&join, &follow);

                  for (guint i = 0; i < done->len; i++)
                    {
                      gpointer c = g_ptr_array_index (done, i);
                      g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (arrived, c)), <, read_at);
                      g_assert_false (g_hash_table_contains (answered, c));
                      g_hash_table_add (answered, c);
                    }
                }
            }
        }
      {
        g_autoptr(GPtrArray) rest = vcr_join_take_all (&join);
        g_assert_cmpuint (g_hash_table_size (answered) + rest->len, ==, (guint) callers);
      }
      vcr_join_clear (&join);
    }
  g_rand_free (rand);
}

/* What is left at clear is freed with the function given. */
static void
test_clear_frees (void)
{
  VcrJoin join;

  vcr_join_init (&join, g_free);
  vcr_join_add (&join, g_strdup ("a"));
  vcr_join_begin (&join);
  vcr_join_add (&join, g_strdup ("b"));
  vcr_join_clear (&join);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/join/join-then-follow-up", test_join_then_follow_up);
  g_test_add_func ("/join/background-run", test_background_run);
  g_test_add_func ("/join/take-all", test_take_all);
  g_test_add_func ("/join/model", test_model);
  g_test_add_func ("/join/clear-frees", test_clear_frees);
  return g_test_run ();
}
