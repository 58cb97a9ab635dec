/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --apply-command's runner (see vcr-apply-runner.h): a subreaper
 * between the daemon and the command, so that nothing the command starts
 * outlives it. Descendants are found by walking /proc's parent links from
 * the runner: as a subreaper it inherits every orphan below it, so a
 * process that left the session is still its child, or the child of one
 * of its descendants. Runs single-threaded, before anything else of the
 * daemon is set up; signals are taken synchronously (sigtimedwait), so
 * there are no handlers to race with.
 */
#define G_LOG_DOMAIN "vcr-apply-runner"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vcr-apply-runner.h"

/* How often the runner looks for descendants while they die (a grandchild
 * that dies sends no SIGCHLD to the runner). */
#define POLL_MS 20
/* Rounds of SIGKILL before the runner gives up on a process that keeps
 * forking faster than it is killed (the unit's TasksMax bounds that). */
#define KILL_ROUNDS_MAX 500

typedef struct {
  pid_t self;
  pid_t shell;          /* the command's /bin/sh */
  gboolean reaped;      /* @status is the shell's */
  int status;
  sigset_t signals;     /* blocked, taken with sigtimedwait() */
} Runner;

gboolean
vcr_apply_runner_requested (int argc, char **argv)
{
  return argc > 1 && g_strcmp0 (argv[1], VCR_APPLY_RUNNER_ARG) == 0;
}

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* The parent and state of @pid from /proc/PID/stat: "PID (COMM) S PPID …",
 * where COMM may itself hold spaces and parentheses, hence the last ")". */
static gboolean
read_stat (const char *pid, pid_t *ppid, char *state)
{
  char file[64], text[1024];
  const char *end;
  int parent = 0, fd;
  ssize_t n;

  g_snprintf (file, sizeof file, "/proc/%s/stat", pid);
  fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  n = read (fd, text, sizeof text - 1);
  close (fd);
  if (n <= 0)
    return FALSE;
  text[n] = '\0';
  end = strrchr (text, ')');
  if (end == NULL || sscanf (end + 1, " %c %d", state, &parent) != 2)
    return FALSE;
  *ppid = parent;
  return TRUE;
}

/* The live (not zombie) descendants of the runner. */
static GArray *
descendants (Runner *r)
{
  g_autoptr(GHashTable) children = g_hash_table_new_full (NULL, NULL, NULL,
                                                          (GDestroyNotify) g_array_unref);
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (pid_t));
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      pid_t ppid;
      char state;
      GArray *list;
      pid_t pid = (pid_t) g_ascii_strtoll (name, NULL, 10);

      if (pid <= 0 || !read_stat (name, &ppid, &state) || state == 'Z')
        continue;
      list = g_hash_table_lookup (children, GINT_TO_POINTER (ppid));
      if (list == NULL)
        {
          list = g_array_new (FALSE, FALSE, sizeof (pid_t));
          g_hash_table_insert (children, GINT_TO_POINTER (ppid), list);
        }
      g_array_append_val (list, pid);
    }
  /* Breadth first from the runner; @out doubles as the queue. */
  {
    GArray *first = g_hash_table_lookup (children, GINT_TO_POINTER (r->self));
    if (first != NULL)
      g_array_append_vals (out, first->data, first->len);
  }
  for (guint i = 0; i < out->len && out->len < 100000; i++)
    {
      GArray *more = g_hash_table_lookup (children,
                                          GINT_TO_POINTER (g_array_index (out, pid_t, i)));
      if (more != NULL)
        g_array_append_vals (out, more->data, more->len);
    }
  return out;
}

/* Reaps every child that has ended; the shell's status is kept. */
static void
reap (Runner *r)
{
  int status;
  pid_t pid;

  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    if (pid == r->shell)
      {
        r->reaped = TRUE;
        r->status = status;
      }
}

static gboolean
no_children_left (void)
{
  siginfo_t info = { 0 };

  return waitid (P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

/* Waits for one of the runner's signals until @deadline (monotonic ms);
 * 0 when the time is up. */
static int
wait_signal (Runner *r, gint64 deadline)
{
  for (;;)
    {
      gint64 left = deadline - now_ms ();
      struct timespec ts;
      int sig;

      if (left <= 0)
        return 0;
      ts.tv_sec = left / 1000;
      ts.tv_nsec = (left % 1000) * 1000000;
      sig = sigtimedwait (&r->signals, NULL, &ts);
      if (sig > 0)
        return sig;
      if (errno == EAGAIN)
        return 0;
    }
}

static guint
signal_all (Runner *r, int sig)
{
  g_autoptr(GArray) pids = descendants (r);

  for (guint i = 0; i < pids->len; i++)
    kill (g_array_index (pids, pid_t, i), sig);
  return pids->len;
}

/* Ends every descendant: SIGTERM, up to @grace_ms for them to go, then
 * SIGKILL until none is left, all reaped. Returns how many were running.
 * A subreaper with no child has no descendant at all (every orphan below
 * it would be its child): that is checked first, and most commands leave
 * nothing, so /proc is not read. */
static guint
end_all (Runner *r, guint grace_ms)
{
  gint64 deadline = now_ms () + grace_ms;
  guint count;

  reap (r);
  if (no_children_left ())
    return 0;
  count = signal_all (r, SIGTERM);
  for (;;)
    {
      reap (r);
      if (no_children_left () || now_ms () >= deadline)
        break;
      wait_signal (r, MIN (deadline, now_ms () + POLL_MS));
    }
  for (guint round = 0; round < KILL_ROUNDS_MAX && !no_children_left (); round++)
    {
      signal_all (r, SIGKILL);
      wait_signal (r, now_ms () + POLL_MS);
      reap (r);
    }
  return count;
}

static void
report (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
report (const char *format, ...)
{
  va_list args;
  g_autofree char *line = NULL;
  const char *p;
  gsize left;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  p = line;
  left = strlen (line);
  while (left > 0)
    {
      ssize_t n = write (VCR_APPLY_RUNNER_REPORT_FD, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      p += n;
      left -= (gsize) n;
    }
}

static gboolean
parse_args (int argc, char **argv, pid_t *parent, guint *timeout_ms, guint *grace_ms)
{
  guint64 values[3];

  if (argc != 6)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    if (!g_ascii_string_to_unsigned (argv[2 + i], 10, 1, G_MAXINT, &values[i], NULL))
      return FALSE;
  *parent = (pid_t) values[0];
  *timeout_ms = (guint) values[1];
  *grace_ms = (guint) values[2];
  return TRUE;
}

/* The shell, in a process group of its own with the signal mask and
 * SIGPIPE as a fresh process has them. */
static pid_t
start_shell (const sigset_t *old_mask, const char *command)
{
  pid_t pid = fork ();

  if (pid != 0)
    return pid;
  setpgid (0, 0);
  signal (SIGPIPE, SIG_DFL);
  sigprocmask (SIG_SETMASK, old_mask, NULL);
  execl ("/bin/sh", "sh", "-c", command, (char *) NULL);
  _exit (127);
}

/* Until the shell exits, the deadline passes or the daemon asks (or
 * dies): NULL, "timeout" or "stopped". */
static const char *
watch (Runner *r, guint timeout_ms)
{
  gint64 deadline = now_ms () + timeout_ms;

  for (;;)
    {
      int sig = wait_signal (r, deadline);

      if (sig == SIGCHLD)
        {
          reap (r);
          if (r->reaped)
            return NULL;
        }
      else if (sig == 0)
        return "timeout";
      else
        return "stopped";
    }
}

int
vcr_apply_runner_main (int argc, char **argv)
{
  Runner r = { 0 };
  sigset_t old_mask;
  pid_t parent;
  guint timeout_ms, grace_ms, left;
  const char *ended;

  if (!parse_args (argc, argv, &parent, &timeout_ms, &grace_ms) ||
      fcntl (VCR_APPLY_RUNNER_REPORT_FD, F_SETFD, FD_CLOEXEC) < 0)
    return 2;
  r.self = getpid ();
  sigemptyset (&r.signals);
  sigaddset (&r.signals, SIGCHLD);
  sigaddset (&r.signals, SIGTERM);
  sigaddset (&r.signals, SIGINT);
  sigaddset (&r.signals, SIGHUP);
  sigprocmask (SIG_BLOCK, &r.signals, &old_mask);
  /* Blocked first, then the defaults: whatever the daemon ignored would
   * stay ignored across exec, and the runner needs them all queued
   * (SIGCHLD above all). */
  signal (SIGCHLD, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ||
      prctl (PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
    {
      report ("failed cannot become a subreaper: %s\n", g_strerror (errno));
      return 0;
    }
  if (getppid () != parent)
    {
      /* The daemon died before the runner could watch for it. */
      report ("stopped\n");
      return 0;
    }
  r.shell = start_shell (&old_mask, argv[5]);
  if (r.shell < 0)
    {
      report ("failed cannot fork: %s\n", g_strerror (errno));
      return 0;
    }
  ended = watch (&r, timeout_ms);
  left = end_all (&r, grace_ms);
  if (ended != NULL)
    report ("%s\n", ended);
  else if (WIFEXITED (r.status))
    report ("exited %d\n", WEXITSTATUS (r.status));
  else
    report ("signal %d\n", WTERMSIG (r.status));
  if (left > 0)
    report ("left %u\n", left);
  return 0;
}
