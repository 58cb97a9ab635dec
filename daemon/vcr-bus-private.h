/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the bus object's files share (vcr-bus-object.c: the vtable,
 * properties and signals; vcr-bus-check-commit.c: CheckCommit): the
 * object and the reply helpers.
 */
#pragma once

#include "vcr-bus-object.h"
#include "vcr-bus-source.h"
#include "vcr-error.h"

G_BEGIN_DECLS

struct _VcrBusObject {
  sd_bus *bus;
  sd_bus_slot *slot;
  VcrDaemon *daemon;
  GPtrArray *words;     /* reused by IsPathManaged: no allocation per call */
};

/* The error reply for @error (a VCR_ERROR by its D-Bus name). */
int vcr_bus_reply_error (sd_bus_message *m, const GError *error);
int vcr_bus_reply_invalid (sd_bus_message *m, VcrError code, const char *message);
/* Replies sent later cannot hand their failure back to sd-bus: logged. */
void vcr_bus_log_reply (sd_bus_message *m, int r);

int vcr_bus_method_check_commit (sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

G_END_DECLS
