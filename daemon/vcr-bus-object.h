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

/* CheckCommit's bounds: any local user may call it, with a descriptor of
 * their choosing (a pipe may stay open for ever). */
/* A proposed config larger than this is refused (InvalidConfig). */
#define VCR_CHECK_COMMIT_MAX_SIZE (64 * 1024 * 1024)
/* Calls of one bus connection in flight at once; the next one gets
 * org.freedesktop.DBus.Error.LimitsExceeded. The commit guard makes one. */
#define VCR_CHECK_COMMIT_MAX_PER_SENDER 4
/* Calls of all connections in flight at once (each may hold a worker
 * thread and the caller's descriptor); beyond: LimitsExceeded. */
#define VCR_CHECK_COMMIT_MAX_TOTAL 16
/* A proposed config not read to its end this many seconds after the call
 * is refused (InvalidConfig "… timed out"): a pipe whose writer never
 * closes holds a slot no longer. */
#define VCR_CHECK_COMMIT_TIMEOUT_S 10
/* Bytes of proposed configs all calls in flight may hold together, from
 * their read to their reply (a parsed tree takes about 2.5 times its
 * text on top); beyond: LimitsExceeded. One config of the largest size
 * fits. */
#define VCR_CHECK_COMMIT_MAX_BUFFERED VCR_CHECK_COMMIT_MAX_SIZE

typedef struct _VcrBusObject VcrBusObject;

VcrBusObject *vcr_bus_object_new (sd_bus *bus, VcrDaemon *daemon, GError **error);
void vcr_bus_object_free (VcrBusObject *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrBusObject, vcr_bus_object_free)

G_END_DECLS
