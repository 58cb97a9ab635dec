/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The commit guard's only way of reading configs: `cli-shell-api
 * showConfig`, run with a deadline and a cap on what it may print, in an
 * environment the committing user cannot use to change what is read.
 *
 * How VyOS's showConfig behaves (vyatta-cfg src/cli_shell_api.cpp,
 * src/cnode/cnode-algorithm.cpp, src/vyos-errors.h): options are read with
 * getopt_long, so path words that start with "-" need a "--" before the
 * operation; with --show-ignore-edit the path words are ignored and the
 * whole config is printed; without it the path is taken relative to the
 * edit level in VYATTA_EDIT_LEVEL (a user may commit from inside `edit
 * firewall`), so the guard reads paths with that variable removed, as
 * vyos.configsource does through getEditResetEnv. Exit 0 prints the config;
 * 2 ("Specified configuration path is not valid") and 3 ("Configuration
 * under specified path is empty") mean there is no such node; anything
 * else is a failure.
 */
#define G_LOG_DOMAIN "vcr-guard-show"

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "vcr-guard.h"

#define VYOS_INVALID_PATH 2
#define VYOS_EMPTY_CONFIG 3

/* What a real configuration session has (vyatta-cfg
 * src/cstore/unionfs/cstore-unionfs.cpp: C_DEF_ACTIVE_ROOT, C_DEF_TMPL_ROOT;
 * getSessionEnv declares exactly these). */
#define VYOS_ACTIVE_ROOT "/opt/vyatta/config/active"
#define VYOS_TEMPLATE_ROOT "/opt/vyatta/share/vyatta-cfg/templates"

static char **
child_environment (void)
{
  char **env = g_get_environ ();

  env = g_environ_unsetenv (env, "VYATTA_EDIT_LEVEL");
  env = g_environ_unsetenv (env, "VYATTA_TEMPLATE_LEVEL");
  env = g_environ_unsetenv (env, "VCR_APPLY_TOKEN");
  env = g_environ_setenv (env, "VYATTA_ACTIVE_CONFIGURATION_DIR", VYOS_ACTIVE_ROOT, TRUE);
  env = g_environ_setenv (env, "VYATTA_CONFIG_TEMPLATE", VYOS_TEMPLATE_ROOT, TRUE);
  return env;
}

/* Reads @fd to its end into @buf; FALSE with @error at the deadline, past
 * GUARD_SHOW_MAX_SIZE or on a read error. */
static gboolean
read_bounded (int fd, gint64 deadline, GByteArray *buf, GError **error)
{
  guint8 chunk[65536];

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      ssize_t n;

      if (left_ms <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "no answer within %d ms", guard_show_timeout_ms ());
          return FALSE;
        }
      if (poll (&pfd, 1, (int) MIN (left_ms, G_MAXINT)) < 0 && errno != EINTR)
        break;
      if (pfd.revents == 0)
        continue;
      n = read (fd, chunk, sizeof chunk);
      if (n == 0)
        return TRUE;
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          break;
        }
      if (buf->len + (gsize) n > GUARD_SHOW_MAX_SIZE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "more than %d MiB of output", GUARD_SHOW_MAX_SIZE / (1024 * 1024));
          return FALSE;
        }
      g_byte_array_append (buf, chunk, (guint) n);
    }
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "reading its output: %s",
               g_strerror (errno));
  return FALSE;
}

/* Waits for @pid until @deadline; then kills it. Its wait status, or -1
 * when it had to be killed. */
static int
reap_bounded (GPid pid, gint64 deadline)
{
  int status;

  while (g_get_monotonic_time () < deadline)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        return status;
      if (r < 0 && errno != EINTR)
        return -1;
      g_usleep (5000);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return -1;
}

static GStrv
build_argv (const char *const *flags, const char *const *words)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();

  g_strv_builder_add (argv, guard_cli_shell_api ());
  for (guint i = 0; flags[i] != NULL; i++)
    g_strv_builder_add (argv, flags[i]);
  g_strv_builder_add (argv, "--");
  g_strv_builder_add (argv, "showConfig");
  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    g_strv_builder_add (argv, words[i]);
  return g_strv_builder_end (argv);
}

GuardShow
guard_show_config (const char *const *flags, const char *const *words,
                   GBytes **out, GError **error)
{
  g_auto(GStrv) argv = build_argv (flags, words);
  g_auto(GStrv) env = child_environment ();
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  gint64 deadline = g_get_monotonic_time () + (gint64) guard_show_timeout_ms () * 1000;
  gboolean read_ok;
  GPid pid;
  int fd, status;

  *out = NULL;
  if (!g_spawn_async_with_pipes (NULL, argv, env,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL |
                                 G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_CLOEXEC_PIPES,
                                 NULL, NULL, &pid, NULL, &fd, NULL, error))
    return GUARD_SHOW_FAILED;
  read_ok = read_bounded (fd, deadline, buf, error);
  close (fd);
  if (!read_ok)
    {
      kill (pid, SIGKILL);
      reap_bounded (pid, 0);
      return GUARD_SHOW_FAILED;
    }
  status = reap_bounded (pid, deadline);
  if (status == -1 || !WIFEXITED (status))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                   status == -1 ? "it did not end in time" : "it was killed by a signal");
      return GUARD_SHOW_FAILED;
    }
  switch (WEXITSTATUS (status))
    {
    case 0:
      *out = g_byte_array_free_to_bytes (g_steal_pointer (&buf));
      return GUARD_SHOW_OK;
    case VYOS_INVALID_PATH:
    case VYOS_EMPTY_CONFIG:
      return GUARD_SHOW_NO_NODE;
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "it exited with status %d",
                   WEXITSTATUS (status));
      return GUARD_SHOW_FAILED;
    }
}
