/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs the --apply-command (see vcr-apply-command.h). The deadline is a
 * main-loop timeout that kills the command's process group; the command
 * is then reported as ended by a signal.
 */
#define G_LOG_DOMAIN "vcr-apply-command"

#include "config.h"

#include <signal.h>
#include <unistd.h>

#include "vcr-apply-command.h"
#include "vcr-error.h"

typedef struct {
  GSubprocess *process;
  guint timeout_source;     /* bounds the command */
} Run;

static void
run_free (Run *run)
{
  g_clear_handle_id (&run->timeout_source, g_source_remove);
  g_clear_object (&run->process);
  g_free (run);
}

/* The command runs in a process group of its own, so that a command that
 * hangs can be ended with everything it started. */
static void
child_setup (gpointer user_data)
{
  setpgid (0, 0);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Run *run = user_data;
  const char *id = g_subprocess_get_identifier (run->process);

  run->timeout_source = 0;
  g_warning ("The apply command ran longer than %d s; killing it", VCR_APPLY_COMMAND_TIMEOUT_S);
  if (id != NULL)
    kill (-(pid_t) g_ascii_strtoll (id, NULL, 10), SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
communicate_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GSubprocess *process = G_SUBPROCESS (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;

  g_clear_handle_id (&run->timeout_source, g_source_remove);
  if (!g_subprocess_communicate_utf8_finish (process, result, &output, NULL, &error))
    g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                             "the apply command failed: %s", error->message);
  else if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                             "the apply command failed (%s%d): %s",
                             g_subprocess_get_if_exited (process) ? "exit status " : "signal ",
                             g_subprocess_get_if_exited (process)
                               ? g_subprocess_get_exit_status (process)
                               : g_subprocess_get_term_sig (process),
                             output != NULL ? g_strstrip (output) : "");
  else
    g_task_return_boolean (task, TRUE);
}

void
vcr_apply_command_run_async (const char *command, const char *config_path,
                             guint64 generation, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GError) error = NULL;
  g_autofree char *value = g_strdup_printf ("%" G_GUINT64_FORMAT, generation);
  Run *run = g_new0 (Run, 1);

  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "VCR_GENERATION", value, TRUE);
  if (config_path != NULL)
    g_subprocess_launcher_setenv (launcher, "VCR_CONFIG", config_path, TRUE);
  run->process = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c", command, NULL);
  if (run->process == NULL)
    {
      g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                               "cannot run the apply command: %s", error->message);
      return;
    }
  run->timeout_source = g_timeout_add_seconds (VCR_APPLY_COMMAND_TIMEOUT_S, timeout_cb, run);
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicate_done,
                                       g_steal_pointer (&task));
}

gboolean
vcr_apply_command_run_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
