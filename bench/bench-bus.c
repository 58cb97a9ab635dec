/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bus benchmarks against a running daemon (bench-bus.sh starts one on a
 * private bus). Prints figures, asserts nothing.
 *
 *   bench-bus managed N WORD…   N sequential IsPathManaged(WORD…) calls and
 *                               N sequential org.freedesktop.DBus.Peer.Ping
 *                               calls to the same daemon, interleaved in
 *                               rounds so both see the same conditions
 *   bench-bus check FILE N      one in-process parse of FILE vs N sequential
 *                               CheckCommit(FILE) calls (after a warm-up)
 */
#define G_LOG_DOMAIN "bench-bus"

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "vcr-tree.h"

#define NAME "org.vyos.ConfigReplication"
#define PATH "/org/vyos/ConfigReplication"

static int
bench_managed (sd_bus *bus, guint n, char **words)
{
  gint64 t_ping = 0, t_managed = 0;
  const guint rounds = 10;

  for (guint round = 0; round < rounds; round++)
    {
      gint64 start = g_get_monotonic_time ();
      for (guint i = 0; i < n / rounds; i++)
        {
          sd_bus_error error = SD_BUS_ERROR_NULL;
          sd_bus_message *reply = NULL;
          int r = sd_bus_call_method (bus, NAME, PATH, "org.freedesktop.DBus.Peer", "Ping",
                                      &error, &reply, "");
          if (r < 0)
            {
              fprintf (stderr, "Ping failed: %s\n", error.message);
              return 1;
            }
          sd_bus_message_unref (reply);
        }
      t_ping += g_get_monotonic_time () - start;

      start = g_get_monotonic_time ();
      for (guint i = 0; i < n / rounds; i++)
        {
          sd_bus_error error = SD_BUS_ERROR_NULL;
          sd_bus_message *call = NULL, *reply = NULL;
          int r = sd_bus_message_new_method_call (bus, &call, NAME, PATH, NAME, "IsPathManaged");
          if (r >= 0)
            r = sd_bus_message_append_strv (call, words);
          if (r >= 0)
            r = sd_bus_call (bus, call, 0, &error, &reply);
          sd_bus_message_unref (call);
          if (r < 0)
            {
              fprintf (stderr, "IsPathManaged failed: %s\n", error.message);
              return 1;
            }
          sd_bus_message_unref (reply);
        }
      t_managed += g_get_monotonic_time () - start;
    }
  printf ("Peer.Ping:      %u calls, %.1f µs/call\n", n, (double) t_ping / n);
  printf ("IsPathManaged:  %u calls, %.1f µs/call\n", n, (double) t_managed / n);
  printf ("ratio IsPathManaged / Ping: %.3f (target <= 1.1)\n", (double) t_managed / t_ping);
  return 0;
}

static int
bench_check (sd_bus *bus, const char *file, guint n)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;
  gint64 t_parse, t_check = 0;
  const guint parses = 5;
  gint64 start;

  if (!g_file_get_contents (file, &text, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  start = g_get_monotonic_time ();
  for (guint i = 0; i < parses; i++)
    {
      g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, file, &error);
      if (tree == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
    }
  t_parse = (g_get_monotonic_time () - start) / parses;

  for (guint i = 0; i <= n; i++)
    {
      sd_bus_error berror = SD_BUS_ERROR_NULL;
      sd_bus_message *reply = NULL;
      int fd = open (file, O_RDONLY | O_CLOEXEC);
      int r;

      start = g_get_monotonic_time ();
      r = sd_bus_call_method (bus, NAME, PATH, NAME, "CheckCommit", &berror, &reply, "h", fd);
      if (i > 0)   /* the first call fills the daemon's cache */
        t_check += g_get_monotonic_time () - start;
      close (fd);
      if (r < 0)
        {
          fprintf (stderr, "CheckCommit failed: %s\n", berror.message);
          return 1;
        }
      sd_bus_message_unref (reply);
    }
  printf ("parse of %s (%zu bytes): %.2f ms\n", file, length, t_parse / 1000.0);
  printf ("CheckCommit: %u calls, %.2f ms/call\n", n, (double) t_check / n / 1000.0);
  printf ("ratio CheckCommit / parse: %.2f (target <= 2.5)\n", (double) t_check / n / t_parse);
  return 0;
}

int
main (int argc, char **argv)
{
  sd_bus *bus = NULL;
  int r, ret;

  if (argc < 4)
    {
      fprintf (stderr, "usage: bench-bus managed N WORD… | bench-bus check FILE N\n");
      return 2;
    }
  r = sd_bus_open_system (&bus);
  if (r < 0)
    {
      fprintf (stderr, "Cannot connect to the system bus: %s\n", g_strerror (-r));
      return 1;
    }
  if (g_str_equal (argv[1], "managed"))
    ret = bench_managed (bus, (guint) atoi (argv[2]), argv + 3);
  else
    ret = bench_check (bus, argv[2], (guint) atoi (argv[3]));
  sd_bus_flush_close_unref (bus);
  return ret;
}
