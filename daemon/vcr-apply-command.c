/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs the --apply-command (see vcr-apply-command.h) under its runner
 * (vcr-apply-runner.h), the daemon's own binary started again: the runner
 * owns the command's processes and enforces the timeout; the daemon waits
 * for the runner's exit, reads the output as it comes, and reads the
 * runner's one-line report of how the command ended. A backstop timer
 * kills a runner that outlives its own deadline (stopped by a debugger,
 * say), and a cancelled run sends it SIGTERM.
 */
#define G_LOG_DOMAIN "vcr-apply-command"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vcr-apply-command.h"
#include "vcr-apply-runner.h"
#include "vcr-error.h"
#include "vcr-output.h"

/* Once the runner has exited, nothing it started is left to write, but the
 * pipe may still hold what was written last: read that, up to this. */
#define DRAIN_MAX (4 * 1024 * 1024)
/* Seconds past the runner's own deadline (timeout + grace) before the
 * daemon kills the runner itself. */
#define BACKSTOP_S 10

typedef struct {
  GSubprocess *runner;
  GPollableInputStream *pipe;   /* the command's stdout and stderr */
  GSource *pipe_source;
  int report_fd;
  VcrOutput *output;
  GCancellable *cancellable;
  gulong cancel_id;
  guint backstop;
  guint timeout_s;
  guint64 generation;
} Run;

static void
run_free (Run *run)
{
  if (run->cancel_id != 0)
    g_cancellable_disconnect (run->cancellable, run->cancel_id);
  g_clear_object (&run->cancellable);
  if (run->pipe_source != NULL)
    g_source_destroy (run->pipe_source);
  g_clear_pointer (&run->pipe_source, g_source_unref);
  g_clear_object (&run->pipe);
  g_clear_handle_id (&run->backstop, g_source_remove);
  if (run->report_fd >= 0)
    close (run->report_fd);
  g_clear_object (&run->runner);
  vcr_output_free (run->output);
  g_free (run);
}

/* The daemon's binary, for the runner: resolved once, so that a daemon run
 * under valgrind starts itself, not valgrind's tool; /proc/self/exe when
 * the file was replaced since (a package upgrade) or cannot be read. */
static const char *
runner_path (void)
{
  static char *path;

  if (path == NULL)
    {
      path = g_file_read_link ("/proc/self/exe", NULL);
      if (path == NULL || g_str_has_suffix (path, " (deleted)"))
        {
          g_free (path);
          path = g_strdup ("/proc/self/exe");
        }
    }
  return path;
}

/* Reads what the pipe holds now, at most @budget bytes; FALSE at EOF or
 * on an error (nothing more will come). */
static gboolean
read_available (Run *run, gsize budget)
{
  char buffer[16384];
  gsize taken = 0;

  while (taken < budget)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (run->pipe, buffer, sizeof buffer,
                                                          NULL, &error);
      if (n == 0)
        return FALSE;
      if (n < 0)
        return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      vcr_output_append (run->output, buffer, (gsize) n);
      taken += (gsize) n;
    }
  return TRUE;
}

static gboolean
pipe_ready (GObject *stream, gpointer user_data)
{
  Run *run = user_data;

  /* A bounded slice per wake-up: a chatty command must not starve the
   * main loop. */
  if (read_available (run, 256 * 1024))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&run->pipe_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Run *run = user_data;

  g_subprocess_send_signal (run->runner, SIGTERM);
}

static gboolean
backstop_cb (gpointer user_data)
{
  Run *run = user_data;

  run->backstop = 0;
  g_warning ("The apply command's runner outlived its deadline; killing it");
  g_subprocess_force_exit (run->runner);
  return G_SOURCE_REMOVE;
}

/* The runner's report: how the command ended ("exited 0", …) and how many
 * processes it left running. */
static char *
read_report (Run *run, guint *left)
{
  char buffer[512];
  gsize length = 0;
  g_auto(GStrv) lines = NULL;

  while (length < sizeof buffer - 1)
    {
      ssize_t n = read (run->report_fd, buffer + length, sizeof buffer - 1 - length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      length += (gsize) n;
    }
  buffer[length] = '\0';
  lines = g_strsplit (buffer, "\n", 0);
  *left = 0;
  for (guint i = 1; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "left "))
      *left = (guint) g_ascii_strtoull (lines[i] + 5, NULL, 10);
  return g_strdup (lines[0]);
}

static void
log_output (Run *run)
{
  g_autofree char *text = NULL;
  guint64 dropped = vcr_output_get_dropped (run->output);

  if (vcr_output_get_kept (run->output) == 0)
    return;
  text = vcr_output_to_text (run->output);
  if (dropped > 0)
    g_message ("Apply command output (generation %" G_GUINT64_FORMAT ", the first %d bytes; "
               "%" G_GUINT64_FORMAT " more dropped):\n%s",
               run->generation, VCR_APPLY_COMMAND_OUTPUT_MAX, dropped, text);
  else
    g_message ("Apply command output (generation %" G_GUINT64_FORMAT "):\n%s",
               run->generation, text);
}

/* The task's result from the report. */
static void
return_result (GTask *task, Run *run, const char *ended, guint left)
{
  g_autofree char *excerpt = vcr_output_excerpt (run->output, VCR_APPLY_COMMAND_EXCERPT_MAX);
  const char *sep = *excerpt != '\0' ? ": " : "";

  if (left > 0)
    g_message ("The apply command left %u processes running; they were ended", left);
  if (g_strcmp0 (ended, "exited 0") == 0)
    g_task_return_boolean (task, TRUE);
  else if (g_str_has_prefix (ended, "exited "))
    g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                             "the apply command failed (exit status %s)%s%s",
                             ended + 7, sep, excerpt);
  else if (g_str_has_prefix (ended, "signal "))
    g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                             "the apply command failed (signal %s)%s%s", ended + 7, sep, excerpt);
  else if (g_strcmp0 (ended, "timeout") == 0)
    g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                             "the apply command ran longer than %u s and was ended with "
                             "everything it started%s%s", run->timeout_s, sep, excerpt);
  else if (g_strcmp0 (ended, "stopped") == 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "the apply command was stopped");
  else if (g_str_has_prefix (ended, "failed "))
    g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                             "cannot run the apply command: %s", ended + 7);
  else if (run->cancellable != NULL && g_cancellable_is_cancelled (run->cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "the apply command was stopped");
  else
    g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                             "the apply command's runner ended without a report (%s %d)",
                             g_subprocess_get_if_exited (run->runner) ? "exit status" : "signal",
                             g_subprocess_get_if_exited (run->runner)
                               ? g_subprocess_get_exit_status (run->runner)
                               : g_subprocess_get_term_sig (run->runner));
}

static void
runner_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autofree char *ended = NULL;
  guint left = 0;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  g_clear_handle_id (&run->backstop, g_source_remove);
  if (run->pipe_source != NULL)
    {
      g_source_destroy (run->pipe_source);
      g_clear_pointer (&run->pipe_source, g_source_unref);
      read_available (run, DRAIN_MAX);
    }
  ended = read_report (run, &left);
  log_output (run);
  return_result (task, run, ended, left);
}

static GSubprocess *
spawn_runner (Run *run, const char *command, const char *config_path, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *generation = g_strdup_printf ("%" G_GUINT64_FORMAT, run->generation);
  g_autofree char *parent = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *timeout_ms = g_strdup_printf ("%u", run->timeout_s * 1000);
  g_autofree char *grace_ms = g_strdup_printf ("%u", VCR_APPLY_COMMAND_GRACE_S * 1000);
  const char *argv[] = { runner_path (), VCR_APPLY_RUNNER_ARG, parent, timeout_ms, grace_ms,
                         command, NULL };
  int fds[2];

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return NULL;
  g_unix_set_fd_nonblocking (fds[0], TRUE, NULL);
  run->report_fd = fds[0];
  /* The launcher owns the write end from here and closes it once the
   * runner has it: the report's EOF is the runner's exit. */
  g_subprocess_launcher_take_fd (launcher, fds[1], VCR_APPLY_RUNNER_REPORT_FD);
  g_subprocess_launcher_setenv (launcher, "VCR_GENERATION", generation, TRUE);
  if (config_path != NULL)
    g_subprocess_launcher_setenv (launcher, "VCR_CONFIG", config_path, TRUE);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

void
vcr_apply_command_run_async (const char *command, const char *config_path,
                             guint64 generation, guint timeout_s,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  g_autoptr(GError) error = NULL;
  Run *run = g_new0 (Run, 1);

  run->report_fd = -1;
  run->timeout_s = timeout_s > 0 ? timeout_s : VCR_APPLY_COMMAND_TIMEOUT_S;
  run->generation = generation;
  run->output = vcr_output_new (VCR_APPLY_COMMAND_OUTPUT_MAX);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  run->runner = spawn_runner (run, command, config_path, &error);
  if (run->runner == NULL)
    {
      g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                               "cannot run the apply command: %s", error->message);
      return;
    }
  run->pipe = G_POLLABLE_INPUT_STREAM (g_object_ref (g_subprocess_get_stdout_pipe (run->runner)));
  run->pipe_source = g_pollable_input_stream_create_source (run->pipe, NULL);
  g_source_set_callback (run->pipe_source, G_SOURCE_FUNC (pipe_ready), run, NULL);
  g_source_attach (run->pipe_source, NULL);
  run->backstop = g_timeout_add_seconds (run->timeout_s + VCR_APPLY_COMMAND_GRACE_S + BACKSTOP_S,
                                         backstop_cb, run);
  if (cancellable != NULL)
    {
      run->cancellable = g_object_ref (cancellable);
      run->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), run, NULL);
    }
  g_subprocess_wait_async (run->runner, NULL, runner_exited, g_steal_pointer (&task));
}

gboolean
vcr_apply_command_run_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
