/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asynchronous polkit checks over the daemon's own sd-bus connection: asks
 * org.freedesktop.PolicyKit1 whether the sender of a method call may do an
 * action, without ever blocking the loop. Interactive authorization is
 * allowed when the caller set ALLOW_INTERACTIVE_AUTHORIZATION on its call.
 * Root (UID 0, asked from the bus daemon) is always authorized.
 */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

G_BEGIN_DECLS

/* @error is NULL and @allowed TRUE or FALSE when polkit answered; @error is
 * set when it could not be asked. */
typedef void (*VcrPolkitCallback) (sd_bus_message *call,
                                   gboolean allowed,
                                   const sd_bus_error *error,
                                   gpointer user_data);

/* Checks @action for the sender of @call; @callback runs later from the
 * loop, with @call still referenced. Returns a negative errno when the
 * request could not even be sent (then @callback is never called). */
int vcr_polkit_check_async (sd_bus_message *call,
                            const char *action,
                            VcrPolkitCallback callback,
                            gpointer user_data);

G_END_DECLS
