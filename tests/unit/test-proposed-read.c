/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CheckCommit's reader (daemon/vcr-proposed-read.c) on its own: a regular
 * file and a pipe read and parsed in a worker, and every bound a hostile
 * caller could push against: the deadline (a pipe that never ends), the
 * cancellable (the caller left), one config's size, the shared budget
 * (given back on failure, kept by the caller on success), a parse error
 * named by its origin, and a pipe another process drains meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "vcr-error.h"
#include "vcr-mask.h"
#include "vcr-proposed-read.h"

static const char config[] =
  "firewall {\n    name WAN {\n        default-action \"drop\"\n    }\n}\n";

typedef struct {
  gboolean done;
  GHashTable *tree;   /* the digests: there when the config parsed */
  gsize reserved;
  GError *error;
  GThread *callback_thread;
} Outcome;

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  o->tree = vcr_proposed_read_finish (result, &o->reserved, &o->error);
  o->callback_thread = g_thread_self ();
  o->done = TRUE;
}

/* Reads @fd with a deadline @timeout_ms away; the default main context
 * runs until the callback (bounded by the deadline itself). */
static void
run_read (Outcome *o, int fd, gboolean regular, gsize size, gsize max_size,
          guint timeout_ms, gint *budget, GCancellable *cancellable)
{
  VcrProposedLimits limits = {
    .max_size = max_size,
    .deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND,
    .budget = budget,
  };

  memset (o, 0, sizeof *o);
  vcr_proposed_read_async (fd, regular, size, "proposed", NULL, &limits, cancellable,
                           read_done, o);
  while (!o->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
outcome_clear (Outcome *o)
{
  g_clear_pointer (&o->tree, g_hash_table_unref);
  g_clear_error (&o->error);
}

static int
pipe_with (const char *text, gsize len, gboolean close_writer, int *writer)
{
  int fds[2];

  g_assert_no_errno (pipe (fds));
  g_assert_cmpint (write (fds[1], text, len), ==, (gssize) len);
  if (close_writer)
    close (fds[1]);
  else
    *writer = fds[1];
  return fds[0];
}

static void
test_regular (void)
{
  g_autofree char *path = NULL;
  gint budget = 1000;
  Outcome o;
  int fd = g_file_open_tmp ("vcr-proposed-XXXXXX", &path, NULL);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, config, strlen (config)), ==, (gssize) strlen (config));
  run_read (&o, fd, TRUE, strlen (config), 1 << 20, 10000, &budget, NULL);
  g_assert_no_error (o.error);
  g_assert_nonnull (o.tree);
  /* the caller holds the bytes until its call ends */
  g_assert_cmpuint (o.reserved, ==, strlen (config));
  g_assert_cmpint (budget, ==, 1000 - (gint) strlen (config));
  vcr_proposed_release (&budget, o.reserved);
  g_assert_cmpint (budget, ==, 1000);
  /* the callback runs on the caller's thread, the work in a worker */
  g_assert_true (o.callback_thread == g_thread_self ());
  outcome_clear (&o);
  close (fd);
  g_unlink (path);
}

static void
test_pipe (void)
{
  Outcome o;
  int fd = pipe_with (config, strlen (config), TRUE, NULL);

  run_read (&o, fd, FALSE, 0, 1 << 20, 10000, NULL, NULL);
  g_assert_no_error (o.error);
  g_assert_nonnull (o.tree);
  outcome_clear (&o);
  close (fd);
}

#define REPLICA \
  "high-availability {\n    config-replication {\n" \
  "        authentication {\n            pre-shared-secret \"0123456789abcdef-long\"\n        }\n" \
  "        mode replica\n" \
  "        primary {\n            address 192.0.2.1\n        }\n" \
  "        replicate {\n            path \"firewall name WAN\"\n        }\n    }\n}\n"

/* On a replica the worker hands back what the check compares: the
 * digests of the proposed replicated subtrees, as vcr-mask makes them. */
static void
test_digests (void)
{
  g_autofree char *text = g_strconcat (config, REPLICA, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (text, strlen (text), VCR_PARSE_DEFAULT, "t", &error);
  g_autoptr(VcrSettings) settings = vcr_settings_from_tree (tree, &error);
  g_autoptr(GHashTable) want = vcr_mask_path_digests (tree, settings, NULL);
  VcrProposedLimits limits = { 1 << 20, g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND, NULL };
  Outcome o = { 0 };
  int fd = pipe_with (text, strlen (text), TRUE, NULL);

  g_assert_no_error (error);
  vcr_proposed_read_async (fd, FALSE, 0, "proposed", settings, &limits, NULL, read_done, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (o.error);
  g_assert_cmpuint (g_hash_table_size (o.tree), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (o.tree, "firewall name WAN"), ==,
                   g_hash_table_lookup (want, "firewall name WAN"));
  outcome_clear (&o);
  close (fd);
}

/* A pipe whose writer never closes: refused at the deadline, the budget
 * given back. */
static void
test_pipe_deadline (void)
{
  gint budget = 1000;
  int writer = -1;
  Outcome o;
  int fd = pipe_with (config, strlen (config), FALSE, &writer);

  run_read (&o, fd, FALSE, 0, 1 << 20, 200, &budget, NULL);
  g_assert_error (o.error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (o.error->message, "proposed: timed out"));
  g_assert_cmpint (budget, ==, 1000);
  g_assert_cmpuint (o.reserved, ==, 0);
  /* read without blocking: another holder of the read end could take the
   * bytes between poll and read (test_pipe_drained plays that race) */
  g_assert_true (fcntl (fd, F_GETFL) & O_NONBLOCK);
  outcome_clear (&o);
  close (fd);
  close (writer);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The caller left: the worker wakes at once, long before the deadline. */
static void
test_pipe_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  int writer = -1;
  Outcome o;
  int fd = pipe_with ("firewall {\n", 11, FALSE, &writer);

  g_timeout_add (50, cancel_cb, cancellable);
  run_read (&o, fd, FALSE, 0, 1 << 20, 600000, NULL, cancellable);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  outcome_clear (&o);
  close (fd);
  close (writer);
}

static void
test_too_large (void)
{
  g_autofree char *text = g_strnfill (300, '#');
  Outcome o;
  int fd = pipe_with (text, 300, TRUE, NULL);

  run_read (&o, fd, FALSE, 0, 200, 10000, NULL, NULL);
  g_assert_error (o.error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (o.error->message, "larger than 200 bytes"));
  outcome_clear (&o);
  close (fd);
}

/* The shared budget: a read that would exceed it fails and gives back
 * what it had taken. */
static void
test_budget (void)
{
  g_autofree char *text = g_strnfill (300, '#');
  gint budget = 100;
  Outcome o;
  int fd = pipe_with (text, 300, TRUE, NULL);

  run_read (&o, fd, FALSE, 0, 1 << 20, 10000, &budget, NULL);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpint (budget, ==, 100);
  outcome_clear (&o);
  close (fd);
}

static void
test_parse_error (void)
{
  Outcome o;
  int fd = pipe_with ("firewall {\n    name WAN {\n", 25, TRUE, NULL);

  run_read (&o, fd, FALSE, 0, 1 << 20, 10000, NULL, NULL);
  g_assert_error (o.error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_assert_true (g_str_has_prefix (o.error->message, "proposed:"));
  outcome_clear (&o);
  close (fd);
}

/* Another holder of the read end, reading it as fast as it can, takes
 * the bytes that wake the worker's poll: the worker's own read must not
 * block then (the writer never closes: a blocked read would never
 * return); the deadline ends the call. Which of the two gets the last
 * byte is a race (lost by the worker mostly under load), so the scene is
 * played a few times. */
typedef struct {
  int fd;
  gboolean stop;
} Thief;

static gpointer
thief (gpointer data)
{
  Thief *t = data;
  char c;

  while (!g_atomic_int_get (&t->stop))
    {
      struct pollfd p = { t->fd, POLLIN, 0 };

      if (read (t->fd, &c, 1) < 0 && errno == EAGAIN)
        poll (&p, 1, 10);   /* the worker made the pipe non-blocking */
    }
  return NULL;
}

static gboolean
write_byte (gpointer user_data)
{
  g_assert_cmpint (write (GPOINTER_TO_INT (user_data), "x", 1), ==, 1);
  return G_SOURCE_REMOVE;
}

static void
test_pipe_drained (void)
{
  for (int round = 0; round < 3; round++)
    {
      int fds[2];
      Thief t = { 0, FALSE };
      Outcome o;
      GThread *other;

      g_assert_no_errno (pipe (fds));
      t.fd = fds[0];
      other = g_thread_new ("thief", thief, &t);
      for (guint i = 0; i < 20; i++)
        g_timeout_add (20 + 5 * i, write_byte, GINT_TO_POINTER (fds[1]));
      run_read (&o, fds[0], FALSE, 0, 1 << 20, 400, NULL, NULL);
      g_assert_error (o.error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
      g_atomic_int_set (&t.stop, TRUE);
      close (fds[1]);   /* the end, should the thief be blocked */
      g_thread_join (other);
      outcome_clear (&o);
      close (fds[0]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proposed/regular", test_regular);
  g_test_add_func ("/proposed/pipe", test_pipe);
  g_test_add_func ("/proposed/digests", test_digests);
  g_test_add_func ("/proposed/pipe-deadline", test_pipe_deadline);
  g_test_add_func ("/proposed/pipe-cancelled", test_pipe_cancelled);
  g_test_add_func ("/proposed/too-large", test_too_large);
  g_test_add_func ("/proposed/budget", test_budget);
  g_test_add_func ("/proposed/parse-error", test_parse_error);
  g_test_add_func ("/proposed/pipe-drained", test_pipe_drained);
  return g_test_run ();
}
