/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every process the vyos backend starts (cli-shell-api, the configuration
 * session) runs through here, so that each has a deadline and a bound on
 * what the daemon keeps of its output, and never blocks the main loop.
 *
 * The child gets a process group of its own: at its deadline the whole
 * group gets SIGTERM (the session script discards its session then), and
 * SIGKILL 10 s later. The run is over when the child has exited and its
 * output pipe is drained; a process it left behind that still holds the
 * pipe (a service a conf-mode script started by hand) does not hold the
 * apply, nor is it killed.
 */
#define G_LOG_DOMAIN "vcr-backend-vyos"

#include "config.h"

#include <signal.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "vcr-backend-vyos-private.h"

#define KILL_GRACE_MS 10000
#define READ_CHUNK 65536

typedef struct {
  GSubprocess *proc;
  GInputStream *out;
  GCancellable *read_cancel;
  GByteArray *buf;
  gsize max_output;
  gboolean kill_on_overflow;
  pid_t pgid;
  guint deadline_id;
  guint kill_id;
  gboolean reading;
  gboolean waiting;
  GError *error;          /* the first reason the run failed */
} Child;

static void
child_free (Child *c)
{
  g_clear_handle_id (&c->deadline_id, g_source_remove);
  g_clear_handle_id (&c->kill_id, g_source_remove);
  g_clear_object (&c->proc);
  g_clear_object (&c->read_cancel);
  g_clear_pointer (&c->buf, g_byte_array_unref);
  g_clear_error (&c->error);
  g_free (c);
}

static void
kill_group (Child *c, int sig)
{
  if (c->pgid > 0)
    kill (-c->pgid, sig);
}

static void
child_setup (gpointer user_data)
{
  setpgid (0, 0);
}

static void
keep_output (Child *c, const guint8 *data, gsize len)
{
  gsize room = c->max_output - MIN (c->buf->len, c->max_output);

  g_byte_array_append (c->buf, data, (guint) MIN (len, room));
  if (len > room && c->kill_on_overflow && c->error == NULL)
    {
      c->error = g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                              "printed more than %" G_GSIZE_FORMAT " bytes", c->max_output);
      kill_group (c, SIGKILL);
    }
}

static void
maybe_complete (GTask *task)
{
  Child *c = g_task_get_task_data (task);

  if (c->reading || c->waiting)
    return;
  g_clear_handle_id (&c->deadline_id, g_source_remove);
  g_clear_handle_id (&c->kill_id, g_source_remove);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* What is in the pipe now, once the child has exited. */
static void
drain (Child *c)
{
  guint8 chunk[READ_CHUNK];
  gssize n;

  while ((n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (c->out), chunk,
                                                         sizeof chunk, NULL, NULL)) > 0)
    keep_output (c, chunk, (gsize) n);
}

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Child *c = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes != NULL && g_bytes_get_size (bytes) > 0)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      keep_output (c, data, len);
      g_input_stream_read_bytes_async (c->out, READ_CHUNK, G_PRIORITY_DEFAULT, c->read_cancel,
                                       read_done, task);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    drain (c);
  c->reading = FALSE;
  maybe_complete (task);
}

static void
wait_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Child *c = g_task_get_task_data (task);

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  c->waiting = FALSE;
  /* Do not wait for the end of the pipe: something the child started
   * may hold it. */
  if (c->reading)
    g_cancellable_cancel (c->read_cancel);
  maybe_complete (task);
  g_object_unref (task);   /* the wait's own reference */
}

static gboolean
hard_kill (gpointer user_data)
{
  Child *c = user_data;

  c->kill_id = 0;
  kill_group (c, SIGKILL);
  return G_SOURCE_REMOVE;
}

static gboolean
deadline_reached (gpointer user_data)
{
  GTask *task = user_data;
  Child *c = g_task_get_task_data (task);

  c->deadline_id = 0;
  if (c->error == NULL)
    c->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "it did not end in time");
  kill_group (c, SIGTERM);
  c->kill_id = g_timeout_add (KILL_GRACE_MS, hard_kill, c);
  return G_SOURCE_REMOVE;
}

void
vcr_vyos_child_run_async (const VcrVyosChild *spec, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  Child *c = g_new0 (Child, 1);
  GError *error = NULL;

  g_task_set_source_tag (task, vcr_vyos_child_run_async);
  g_task_set_task_data (task, c, (GDestroyNotify) child_free);
  c->buf = g_byte_array_new ();
  c->max_output = spec->max_output;
  c->kill_on_overflow = spec->kill_on_overflow;
  c->read_cancel = g_cancellable_new ();
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        (spec->merge_stderr ? G_SUBPROCESS_FLAGS_STDERR_MERGE : 0));
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  for (guint i = 0; spec->setenv != NULL && spec->setenv[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, spec->setenv[i], spec->setenv[i + 1], TRUE);
  c->proc = g_subprocess_launcher_spawnv (launcher, spec->argv, &error);
  if (c->proc == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  c->pgid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (c->proc), NULL, 10);
  c->out = g_subprocess_get_stdout_pipe (c->proc);
  c->reading = c->waiting = TRUE;
  c->deadline_id = g_timeout_add (spec->timeout_ms, deadline_reached, task);
  g_input_stream_read_bytes_async (c->out, READ_CHUNK, G_PRIORITY_DEFAULT, c->read_cancel,
                                   read_done, task);
  g_subprocess_wait_async (c->proc, NULL, wait_done, g_object_ref (task));
}

gboolean
vcr_vyos_child_run_finish (GAsyncResult *result, GBytes **output, int *exit_status,
                           GError **error)
{
  GTask *task = G_TASK (result);
  Child *c = g_task_get_task_data (task);

  *output = NULL;
  *exit_status = -1;
  if (!g_task_propagate_boolean (task, error))
    return FALSE;
  *output = g_bytes_new (c->buf->data, c->buf->len);
  if (g_subprocess_get_if_exited (c->proc))
    *exit_status = g_subprocess_get_exit_status (c->proc);
  if (c->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&c->error));
      return FALSE;
    }
  return TRUE;
}
