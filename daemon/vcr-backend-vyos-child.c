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

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "vcr-backend-vyos-private.h"

#define KILL_GRACE_MS 10000
#define READ_CHUNK 65536

typedef struct {
  GPid pid;               /* valid (not reaped) until child_exited() */
  int wait_status;
  guint watch_id;
  GInputStream *out;      /* the read end of the child's output pipe */
  GSource *read_source;   /* while reading */
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
  if (c->read_source != NULL)
    g_source_destroy (c->read_source);
  g_clear_pointer (&c->read_source, g_source_unref);
  g_clear_object (&c->out);
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

/* Reads what the pipe holds now; FALSE at its end (or on an error). */
static gboolean
read_available (Child *c)
{
  guint8 chunk[READ_CHUNK];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (c->out),
                                                           chunk, sizeof chunk, NULL, &error);
      if (n > 0)
        keep_output (c, chunk, (gsize) n);
      else
        return n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    }
}

static void
stop_reading (Child *c)
{
  g_source_destroy (c->read_source);
  g_clear_pointer (&c->read_source, g_source_unref);
  c->reading = FALSE;
}

static gboolean
readable (GObject *stream, gpointer user_data)
{
  GTask *task = user_data;
  Child *c = g_task_get_task_data (task);

  if (read_available (c))
    return G_SOURCE_CONTINUE;
  stop_reading (c);
  maybe_complete (task);
  return G_SOURCE_REMOVE;
}

static void
child_exited (GPid pid, gint wait_status, gpointer user_data)
{
  GTask *task = user_data;
  Child *c = g_task_get_task_data (task);

  c->watch_id = 0;
  c->wait_status = wait_status;
  g_spawn_close_pid (pid);
  /* Reaped: its pid, and so its group's id, may be anyone's from now on. */
  c->pgid = 0;
  c->waiting = FALSE;
  /* What it wrote is in the pipe now; do not wait for the end of the
   * pipe: something the child started may hold it. */
  if (c->reading)
    {
      read_available (c);
      stop_reading (c);
    }
  maybe_complete (task);
  g_object_unref (task);   /* the watch's own reference */
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

/* The child's environment: the daemon's, with @setenv's pairs. */
static char **
child_environment (const char *const *setenv)
{
  char **env = g_get_environ ();

  for (guint i = 0; setenv != NULL && setenv[i] != NULL; i += 2)
    env = g_environ_setenv (env, setenv[i], setenv[i + 1], TRUE);
  return env;
}

void
vcr_vyos_child_run_async (const VcrVyosChild *spec, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  g_auto(GStrv) env = child_environment (spec->setenv);
  Child *c = g_new0 (Child, 1);
  GError *error = NULL;
  int fds[2];
  gboolean spawned;

  g_task_set_source_tag (task, vcr_vyos_child_run_async);
  g_task_set_task_data (task, c, (GDestroyNotify) child_free);
  c->buf = g_byte_array_new ();
  c->max_output = spec->max_output;
  c->kill_on_overflow = spec->kill_on_overflow;
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  spawned = g_spawn_async_with_pipes_and_fds (NULL, (const char *const *) spec->argv,
                                              (const char *const *) env,
                                              G_SPAWN_DO_NOT_REAP_CHILD |
                                              G_SPAWN_STDIN_FROM_DEV_NULL,
                                              child_setup, NULL,
                                              -1, fds[1], spec->merge_stderr ? fds[1] : -1,
                                              NULL, NULL, 0, &c->pid,
                                              NULL, NULL, NULL, &error);
  close (fds[1]);
  g_unix_set_fd_nonblocking (fds[0], TRUE, NULL);
  c->out = g_unix_input_stream_new (fds[0], TRUE);
  if (!spawned)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* The group is the child's own (child_setup) and keeps its id until the
   * child is reaped in child_exited(). */
  c->pgid = c->pid;
  c->reading = c->waiting = TRUE;
  c->deadline_id = g_timeout_add (spec->timeout_ms, deadline_reached, task);
  c->read_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (c->out), NULL);
  g_source_set_callback (c->read_source, G_SOURCE_FUNC (readable), task, NULL);
  g_source_attach (c->read_source, NULL);
  c->watch_id = g_child_watch_add (c->pid, child_exited, g_object_ref (task));
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
  if (WIFEXITED (c->wait_status))
    *exit_status = WEXITSTATUS (c->wait_status);
  if (c->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&c->error));
      return FALSE;
    }
  return TRUE;
}
