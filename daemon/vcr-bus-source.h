/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A GSource that runs an sd_bus connection on a GLib main loop. Every
 * prepare re-reads the connection's fd, events and timeout (sd-bus changes
 * them as it works); dispatch processes pending messages with a budget so
 * one busy client cannot starve the loop. When sd_bus_process() fails the
 * bus is gone: @on_lost is called once and the source stops.
 */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus, sd_bus_flush_close_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_slot, sd_bus_slot_unref)

typedef void (*VcrBusLostFunc) (int error, gpointer user_data);

/* Attaches to the thread-default main context; returns the source id. */
GSource *vcr_bus_source_new (sd_bus *bus, VcrBusLostFunc on_lost, gpointer user_data);

G_END_DECLS
