/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The org.vyos.ConfigReplication object on the bus: the sd-bus vtable of
 * SPEC §5 and nothing more. Each method checks its arguments, asks polkit
 * where needed, calls the VcrDaemon and replies (later, for anything
 * asynchronous); the daemon's signals become D-Bus signals and
 * PropertiesChanged.
 */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "vcr-daemon.h"

G_BEGIN_DECLS

#define VCR_BUS_NAME "org.vyos.ConfigReplication"
#define VCR_BUS_PATH "/org/vyos/ConfigReplication"
#define VCR_BUS_INTERFACE "org.vyos.ConfigReplication"
#define VCR_POLKIT_ACTION "org.vyos.ConfigReplication.manage"

/* A proposed config larger than this is refused (InvalidConfig). */
#define VCR_CHECK_COMMIT_MAX_SIZE (64 * 1024 * 1024)

typedef struct _VcrBusObject VcrBusObject;

VcrBusObject *vcr_bus_object_new (sd_bus *bus, VcrDaemon *daemon, GError **error);
void vcr_bus_object_free (VcrBusObject *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrBusObject, vcr_bus_object_free)

G_END_DECLS
