/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the bus verbs' files share (client/vcr-client-bus.c): a method
 * call without arguments with the exit code of its failure, the report of
 * a bus failure, and the JSON printer.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <systemd/sd-bus.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus, sd_bus_flush_close_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_message, sd_bus_message_unref)

/* Calls @method (no arguments, interactive authorization allowed, a long
 * timeout: peers may be slow) and stores its reply. VCR_EXIT_OK, or the
 * exit code of the failure: the daemon's own named errors are
 * VCR_EXIT_NEGATIVE, anything else VCR_EXIT_DAEMON (printed). */
int vcr_client_bus_call (const char *method, sd_bus_message **reply);

/* Prints the failure (@error nullable) and returns VCR_EXIT_DAEMON. */
int vcr_client_bus_failure (const sd_bus_error *error, int r);

void vcr_client_print_json (JsonBuilder *b);

G_END_DECLS
