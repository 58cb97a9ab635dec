/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sd_bus on a GLib main loop (see vcr-bus-source.h). sd_bus_get_timeout()
 * gives an absolute CLOCK_MONOTONIC time in µs, the clock of
 * g_get_monotonic_time(); it is turned into a relative timeout in ms,
 * rounded up so the loop never wakes early and spins.
 */
#define G_LOG_DOMAIN "vcr-bus-source"

#include "config.h"

#include <poll.h>

#include "vcr-bus-source.h"

/* Messages handled per dispatch before giving the loop back. */
#define PROCESS_BUDGET 64

typedef struct {
  GSource source;
  sd_bus *bus;
  GPollFD pollfd;
  VcrBusLostFunc on_lost;
  gpointer user_data;
  gboolean lost;
} VcrBusSource;

static gboolean
bus_prepare (GSource *source, int *timeout)
{
  VcrBusSource *s = (VcrBusSource *) source;
  uint64_t usec = UINT64_MAX;
  int fd, events;

  *timeout = -1;
  if (s->lost)
    return FALSE;
  fd = sd_bus_get_fd (s->bus);
  events = sd_bus_get_events (s->bus);
  if (fd != s->pollfd.fd)
    {
      if (s->pollfd.fd >= 0)
        g_source_remove_poll (source, &s->pollfd);
      s->pollfd.fd = fd;
      if (fd >= 0)
        g_source_add_poll (source, &s->pollfd);
    }
  s->pollfd.events = 0;
  if (events > 0)
    s->pollfd.events = (events & POLLIN ? G_IO_IN : 0) | (events & POLLOUT ? G_IO_OUT : 0);
  s->pollfd.events |= G_IO_HUP | G_IO_ERR;

  if (sd_bus_get_timeout (s->bus, &usec) >= 0 && usec != UINT64_MAX)
    {
      gint64 now = g_get_monotonic_time ();
      if ((gint64) usec <= now)
        {
          *timeout = 0;
          return TRUE;
        }
      *timeout = (int) MIN ((usec - (uint64_t) now + 999) / 1000, (uint64_t) G_MAXINT);
    }
  return FALSE;
}

static gboolean
bus_check (GSource *source)
{
  VcrBusSource *s = (VcrBusSource *) source;
  uint64_t usec = UINT64_MAX;

  if (s->pollfd.revents != 0)
    return TRUE;
  return sd_bus_get_timeout (s->bus, &usec) >= 0 && usec != UINT64_MAX &&
         (gint64) usec <= g_get_monotonic_time ();
}

static gboolean
bus_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  VcrBusSource *s = (VcrBusSource *) source;

  for (guint i = 0; i < PROCESS_BUDGET; i++)
    {
      int r = sd_bus_process (s->bus, NULL);
      if (r < 0)
        {
          s->lost = TRUE;
          g_warning ("The bus connection is gone: %s", g_strerror (-r));
          if (s->on_lost != NULL)
            s->on_lost (-r, s->user_data);
          return G_SOURCE_REMOVE;
        }
      if (r == 0)
        break;
    }
  return G_SOURCE_CONTINUE;
}

static void
bus_finalize (GSource *source)
{
  VcrBusSource *s = (VcrBusSource *) source;
  sd_bus_unref (s->bus);
}

static GSourceFuncs bus_source_funcs = {
  .prepare = bus_prepare,
  .check = bus_check,
  .dispatch = bus_dispatch,
  .finalize = bus_finalize,
};

GSource *
vcr_bus_source_new (sd_bus *bus, VcrBusLostFunc on_lost, gpointer user_data)
{
  GSource *source = g_source_new (&bus_source_funcs, sizeof (VcrBusSource));
  VcrBusSource *s = (VcrBusSource *) source;

  s->bus = sd_bus_ref (bus);
  s->pollfd.fd = -1;
  s->on_lost = on_lost;
  s->user_data = user_data;
  g_source_set_name (source, "sd-bus");
  return source;
}
