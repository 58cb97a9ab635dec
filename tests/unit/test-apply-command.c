/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --apply-command (daemon/vcr-apply-command.c and its runner,
 * daemon/vcr-apply-runner.c; this binary is its own runner, as the daemon
 * is): success is exit status 0; the run ends when the command exits even
 * while a background child holds its output open; whatever it left
 * running, setsid escapees included, is gone afterwards (checked in
 * /proc); at the timeout or on cancel everything it started is ended; its
 * output, any bytes and any amount, is logged within a bound with
 * unprintable bytes escaped, and quoted briefly in the failure. Every wait
 * is bounded: a run that never ends fails the test.
 */
#define G_LOG_DOMAIN "test-apply-command"

#include <glib/gstdio.h>
#include <string.h>

#include "vcr-apply-command.h"
#include "vcr-apply-runner.h"
#include "vcr-error.h"

/* Far above what any case takes; only a run that hangs reaches it. */
#define RUN_CAP_S 60

typedef struct {
  char *dir;
  GAsyncResult *result;
  GPtrArray *logged;     /* messages of vcr-apply-command */
} Fixture;

/* The test running now (GLib takes one log writer per process). */
static Fixture *current;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                gpointer user_data)
{
  Fixture *fixture = current;
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  if (fixture != NULL && g_strcmp0 (domain, "vcr-apply-command") == 0 && message != NULL)
    g_ptr_array_add (fixture->logged, g_strdup (message));
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-apply-command-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->logged = g_ptr_array_new_with_free_func (g_free);
  current = fixture;
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_clear_object (&fixture->result);
  g_ptr_array_unref (fixture->logged);
  current = NULL;
}

static void
run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->result = g_object_ref (result);
}

static gboolean
cap_reached (gpointer user_data)
{
  gboolean *reached = user_data;

  *reached = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs @command (in the fixture's folder, as $D) to its end; FALSE with
 * the reason when it failed. */
static gboolean
run (Fixture *fixture, const char *command, guint timeout_s, GCancellable *cancellable,
     GError **error)
{
  g_autofree char *full = g_strdup_printf ("D='%s'; %s", fixture->dir, command);
  gboolean reached = FALSE;
  guint cap = g_timeout_add_seconds (RUN_CAP_S, cap_reached, &reached);

  g_clear_object (&fixture->result);
  vcr_apply_command_run_async (full, "/config/config.boot", 42, timeout_s, cancellable,
                               run_done, fixture);
  while (fixture->result == NULL && !reached)
    g_main_context_iteration (NULL, TRUE);
  /* A run still going here would never end: fail at once. */
  g_assert_false (reached);
  g_source_remove (cap);
  return vcr_apply_command_run_finish (fixture->result, error);
}

/* The pid the command wrote to $D/@name. */
static char *
pid_in (Fixture *fixture, const char *name)
{
  g_autofree char *file = g_build_filename (fixture->dir, name, NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  return g_strdup (g_strstrip (text));
}

/* No such process any more (the runner reaped it: not even a zombie). */
static void
assert_gone (const char *pid)
{
  g_autofree char *proc = g_strdup_printf ("/proc/%s", pid);

  g_assert_cmpint (atoi (pid), >, 1);
  g_assert_false (g_file_test (proc, G_FILE_TEST_EXISTS));
}

static gboolean
logged_contains (Fixture *fixture, const char *text)
{
  for (guint i = 0; i < fixture->logged->len; i++)
    if (strstr (g_ptr_array_index (fixture->logged, i), text) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_success (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (fixture->dir, "env", NULL);
  g_autofree char *env = NULL;

  g_assert_true (run (fixture, "echo \"$VCR_CONFIG $VCR_GENERATION\" > \"$D/env\"; echo done",
                      0, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (file, &env, NULL, NULL));
  g_assert_cmpstr (env, ==, "/config/config.boot 42\n");
  g_assert_true (logged_contains (fixture, "done"));
}

static void
test_exit_status (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (run (fixture, "echo 'it broke' >&2; exit 3", 0, NULL, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "the apply command failed (exit status 3): it broke");
  g_clear_error (&error);
  g_assert_false (run (fixture, "kill -9 $$", 0, NULL, &error));
  g_assert_nonnull (strstr (error->message, "(signal 9)"));
}

/* The command exits while a child that left its session keeps the output
 * open: the run ends with the command, and the child is gone. */
static void
test_exit_not_eof (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = NULL;

  g_assert_true (run (fixture, "setsid sleep 1000 & echo $! > \"$D/pid\"; exit 0",
                      0, NULL, &error));
  g_assert_no_error (error);
  pid = pid_in (fixture, "pid");
  assert_gone (pid);
  g_assert_true (logged_contains (fixture, "left 1 processes running"));
}

/* At the timeout the command and everything it started are ended: a
 * setsid child, and a grandchild of a setsid child whose parent waits. */
static void
test_timeout (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL;

  g_assert_false (run (fixture,
                       "setsid sleep 1000 & echo $! > \"$D/a\"; "
                       "setsid sh -c 'sleep 1000 & echo $! > \"$0/b\"; wait' \"$D\" & "
                       "echo started; sleep 1000",
                       2, NULL, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "the apply command ran longer than 2 s and was ended with everything "
                   "it started: started");
  a = pid_in (fixture, "a");
  b = pid_in (fixture, "b");
  assert_gone (a);
  assert_gone (b);
}

/* A process that ignores SIGTERM is killed after the grace. */
static void
test_timeout_stubborn (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = NULL;

  g_assert_false (run (fixture,
                       "setsid sh -c 'trap \"\" TERM; echo $$ > \"$0/pid\"; "
                       "while :; do sleep 1; done' \"$D\" & sleep 1000",
                       1, NULL, &error));
  g_assert_nonnull (strstr (error->message, "ran longer than 1 s"));
  pid = pid_in (fixture, "pid");
  assert_gone (pid);
}

typedef struct {
  Fixture *fixture;
  GCancellable *cancellable;
} Canceller;

/* Cancels once the command has started its background child. */
static gboolean
cancel_when_started (gpointer user_data)
{
  Canceller *c = user_data;
  g_autofree char *started = g_build_filename (c->fixture->dir, "pid", NULL);

  if (!g_file_test (started, G_FILE_TEST_EXISTS))
    return G_SOURCE_CONTINUE;
  g_cancellable_cancel (c->cancellable);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = NULL;
  Canceller c = { fixture, cancellable };

  g_timeout_add (20, cancel_when_started, &c);
  g_assert_false (run (fixture, "setsid sleep 1000 & echo $! > \"$D/pid\"; sleep 1000",
                       0, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  pid = pid_in (fixture, "pid");
  assert_gone (pid);
}

/* A megabyte of random bytes: the message quotes a valid UTF-8 excerpt of
 * about 1 KiB, the log the first 64 KiB escaped and the count dropped. */
static void
test_output_bounded (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *log = NULL;

  g_assert_false (run (fixture, "head -c 1000000 /dev/urandom; exit 1", 0, NULL, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message,
                                   "the apply command failed (exit status 1): "));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_true (g_str_has_suffix (error->message, "…"));
  g_assert_cmpuint (strlen (error->message), <=, VCR_APPLY_COMMAND_EXCERPT_MAX + 100);
  for (guint i = 0; i < fixture->logged->len; i++)
    if (strstr (g_ptr_array_index (fixture->logged, i), "Apply command output") != NULL)
      log = g_ptr_array_index (fixture->logged, i);
  g_assert_nonnull (log);
  g_assert_nonnull (strstr (log, "the first 65536 bytes; 934464 more dropped"));
  g_assert_true (g_utf8_validate (log, -1, NULL));
  /* each kept byte is at most 4 characters (\xNN) */
  g_assert_cmpuint (strlen (log), <=, 4 * VCR_APPLY_COMMAND_OUTPUT_MAX + 200);
}

static void
add (const char *path, void (*fn) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  /* The daemon starts itself again as the command's runner; so does this
   * test binary. */
  if (vcr_apply_runner_requested (argc, argv))
    return vcr_apply_runner_main (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  add ("/apply-command/success", test_success);
  add ("/apply-command/exit-status", test_exit_status);
  add ("/apply-command/exit-not-eof", test_exit_not_eof);
  add ("/apply-command/timeout", test_timeout);
  add ("/apply-command/timeout-stubborn", test_timeout_stubborn);
  add ("/apply-command/cancel", test_cancel);
  add ("/apply-command/output-bounded", test_output_bounded);
  return g_test_run ();
}
