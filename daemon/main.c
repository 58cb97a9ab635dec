/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vyos-config-replicationd: options, the main loop, signals (SIGTERM and
 * SIGINT exit cleanly, SIGHUP reloads), the system bus connection and the
 * name, sd_notify (READY=1 once the name is owned, WATCHDOG=1 while the
 * loop runs). Everything else lives in VcrDaemon and the bus object.
 */
#define G_LOG_DOMAIN "vcr-main"

#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "vcr-apply-command.h"
#include "vcr-apply-runner.h"
#include "vcr-bus-object.h"
#include "vcr-bus-source.h"
#include "vcr-daemon.h"
#include "vcr-log.h"
#include "vcr-memory.h"

typedef struct {
  GMainLoop *loop;
  VcrDaemon *daemon;
  sd_bus *bus;
  VcrBusObject *object;
  int exit_code;
  guint apply_wait_source;   /* SIGTERM came during an apply */
  guint apply_wait_ticks;
} App;

/* How long SIGTERM waits for an apply in flight, in ticks of 100 ms:
 * 250 s, past the apply's own bound (VCR_REPLICATOR_APPLY_BOUND_S, 240 s,
 * by which it has answered, undone or not, and ended its command), so the
 * wait normally ends with the apply; the unit's TimeoutStopSec= is longer
 * still (systemd/test-unit.sh checks). */
#define APPLY_WAIT_TICK_MS 100
#define APPLY_WAIT_MAX_TICKS 2500
G_STATIC_ASSERT (APPLY_WAIT_TICK_MS * APPLY_WAIT_MAX_TICKS > VCR_REPLICATOR_APPLY_BOUND_S * 1000);

static void
app_quit (App *app, int exit_code)
{
  if (app->exit_code == EXIT_SUCCESS)
    app->exit_code = exit_code;
  g_main_loop_quit (app->loop);
}

/* Polls until the apply in flight is done (the apply runs in a worker
 * thread and a child process, with no single completion to hook), then
 * lets the loop run once more so that the peer's answer goes out. */
static gboolean
on_apply_wait (gpointer user_data)
{
  App *app = user_data;

  if (vcr_daemon_is_applying (app->daemon) && ++app->apply_wait_ticks < APPLY_WAIT_MAX_TICKS)
    return G_SOURCE_CONTINUE;
  if (app->apply_wait_ticks >= APPLY_WAIT_MAX_TICKS)
    g_warning ("The apply in flight did not finish; exiting anyway");
  else
    g_message ("The apply in flight finished; exiting");
  app->apply_wait_source = 0;
  app_quit (app, EXIT_SUCCESS);
  return G_SOURCE_REMOVE;
}

/* SPEC §8: SIGTERM finishes an apply in flight, then exits; quitting at
 * once would leave the file written but the reference and the answer not
 * (the reference would lag the config and CheckCommit refuse wrongly). A
 * second signal exits at once. */
static gboolean
on_quit_signal (gpointer user_data)
{
  App *app = user_data;

  if (app->apply_wait_source == 0 && vcr_daemon_is_applying (app->daemon))
    {
      g_message ("Waiting for the apply in flight before exiting");
      app->apply_wait_source = g_timeout_add (APPLY_WAIT_TICK_MS, on_apply_wait, app);
      return G_SOURCE_CONTINUE;
    }
  g_message ("Exiting on a signal");
  g_clear_handle_id (&app->apply_wait_source, g_source_remove);
  app_quit (app, EXIT_SUCCESS);
  return G_SOURCE_CONTINUE;
}

static void
sighup_reload_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  if (!vcr_daemon_reload_finish (VCR_DAEMON (source), result, &error))
    g_warning ("Reload on SIGHUP failed: %s", error->message);
  else
    g_message ("Reloaded on SIGHUP");
}

static gboolean
on_sighup (gpointer user_data)
{
  App *app = user_data;
  vcr_daemon_reload_async (app->daemon, sighup_reload_done, app);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_watchdog (gpointer user_data)
{
  sd_notify (0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static void
on_bus_lost (int error, gpointer user_data)
{
  App *app = user_data;
  g_warning ("Lost the system bus, exiting");
  app_quit (app, EXIT_FAILURE);
}

static int
name_acquired (sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  App *app = userdata;
  const sd_bus_error *e = sd_bus_message_get_error (reply);
  uint64_t usec = 0;

  if (e != NULL)
    {
      g_warning ("Cannot own %s: %s", VCR_BUS_NAME, e->message);
      app_quit (app, EXIT_FAILURE);
      return 0;
    }
  g_message ("Owning %s; mode %s, state %s", VCR_BUS_NAME,
             vcr_mode_to_string (vcr_daemon_get_mode (app->daemon)),
             vcr_daemon_get_state (app->daemon));
  sd_notify (0, "READY=1\nSTATUS=Serving " VCR_BUS_NAME);
  if (sd_watchdog_enabled (0, &usec) > 0 && usec > 0)
    g_timeout_add (MAX (usec / 2 / 1000, 1), on_watchdog, app);
  return 0;
}

/* The first read of the settings, before the name is taken: a failure
 * leaves the daemon up (Mode "disabled", State "error") so that a Reload
 * can repair it. */
static void
initial_reload_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  int r;

  if (!vcr_daemon_reload_finish (VCR_DAEMON (source), result, &error))
    g_warning ("Starting without replication settings: %s", error->message);
  r = sd_bus_request_name_async (app->bus, NULL, VCR_BUS_NAME, 0, name_acquired, app);
  if (r < 0)
    {
      g_warning ("Cannot request %s: %s", VCR_BUS_NAME, g_strerror (-r));
      app_quit (app, EXIT_FAILURE);
    }
}

static gboolean
connect_bus (App *app, GError **error)
{
  g_autoptr(GSource) source = NULL;
  int r = sd_bus_open_system (&app->bus);

  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-r),
                   "Cannot connect to the system bus: %s", g_strerror (-r));
      return FALSE;
    }
  app->object = vcr_bus_object_new (app->bus, app->daemon, error);
  if (app->object == NULL)
    return FALSE;
  source = vcr_bus_source_new (app->bus, on_bus_lost, app);
  g_source_attach (source, NULL);
  return TRUE;
}

static gboolean
parse_options (int *argc, char ***argv, VcrDaemonOptions *options, GError **error)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  int verify_interval = 0;
  int apply_timeout = 0;
  int apply_bound = 0;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
      "The router config (config.boot) of the file backend", "FILE" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &options->backend,
      "Where the router config lives: file (default) or vyos", "file|vyos" },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &options->state_dir,
      "State directory (default: $STATE_DIRECTORY, else " VCR_DEFAULT_STATE_DIR ")", "DIR" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &options->listen,
      "Peer listener address, overriding the settings (port 0: any free port)", "ADDR:PORT" },
    { "apply-command", 0, 0, G_OPTION_ARG_STRING, &options->apply_command,
      "A command to run after a snapshot was applied", "COMMAND" },
    { "verify-interval", 0, 0, G_OPTION_ARG_INT, &verify_interval,
      "Seconds between digest verifications with the peers", "SECONDS" },
    /* For the tests: how long the apply command and a whole apply may
     * run (never longer than the defaults). */
    { "apply-timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &apply_timeout,
      "Seconds the apply command may run (default 120)", "SECONDS" },
    { "apply-bound", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &apply_bound,
      "Seconds a whole apply may take (default 240)", "SECONDS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      "Log debug messages", NULL },
    { NULL }
  };

  g_option_context_set_summary (context, "Replicates VyOS config subtrees between routers.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "Unexpected argument \"%s\"", (*argv)[1]);
      return FALSE;
    }
  if (verify_interval < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--verify-interval must not be negative");
      return FALSE;
    }
  if (apply_timeout < 0 || apply_timeout > VCR_APPLY_COMMAND_TIMEOUT_MAX_S)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--apply-timeout must be between 1 and %d seconds",
                   VCR_APPLY_COMMAND_TIMEOUT_MAX_S);
      return FALSE;
    }
  if (apply_bound < 0 || apply_bound > VCR_REPLICATOR_APPLY_BOUND_S)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--apply-bound must be between 1 and %d seconds",
                   VCR_REPLICATOR_APPLY_BOUND_S);
      return FALSE;
    }
  options->verify_interval = (guint) verify_interval;
  options->apply_timeout = (guint) apply_timeout;
  options->apply_bound = (guint) apply_bound;
  return TRUE;
}

int
main (int argc, char **argv)
{
  App app = { 0 };
  VcrDaemonOptions options = { 0 };
  g_autoptr(GError) error = NULL;

  /* The apply command's runner is this binary started again: it does
   * nothing of the daemon's (vcr-apply-runner.h). */
  if (vcr_apply_runner_requested (argc, argv))
    return vcr_apply_runner_main (argc, argv);
  setlocale (LC_ALL, "");
  vcr_memory_init ();
  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("%s\n", error->message);
      vcr_daemon_options_clear (&options);
      return 2;
    }
  vcr_log_init (options.verbose);
  app.daemon = vcr_daemon_new (&options, &error);
  vcr_daemon_options_clear (&options);
  if (app.daemon == NULL)
    {
      g_warning ("%s", error->message);
      return EXIT_FAILURE;
    }
  app.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_quit_signal, &app);
  g_unix_signal_add (SIGINT, on_quit_signal, &app);
  g_unix_signal_add (SIGHUP, on_sighup, &app);

  if (!connect_bus (&app, &error))
    {
      g_warning ("%s", error->message);
      app.exit_code = EXIT_FAILURE;
    }
  else
    {
      vcr_daemon_reload_async (app.daemon, initial_reload_done, &app);
      g_main_loop_run (app.loop);
    }

  sd_notify (0, "STOPPING=1");
  vcr_daemon_flush (app.daemon);
  g_clear_pointer (&app.object, vcr_bus_object_free);
  if (app.bus != NULL)
    sd_bus_flush_close_unref (app.bus);
  g_object_unref (app.daemon);
  vcr_memory_shutdown ();
  g_main_loop_unref (app.loop);
  return app.exit_code;
}
