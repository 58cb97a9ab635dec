/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The commit check of SPEC §3, on its own: given the settings a check
 * started with, the running-config cache, the state store's reference and
 * the backend, which replicate paths a proposed config may not change.
 * The daemon's CheckCommit is this plus the history entry and the
 * CommitRefused signal.
 */
#pragma once

#include <gio/gio.h>

#include "vcr-backend.h"
#include "vcr-running.h"
#include "vcr-settings.h"
#include "vcr-state.h"
#include "vcr-tree.h"

G_BEGIN_DECLS

typedef struct {
  char *replicate_path;
  char *message;          /* the refusal line of SPEC §3 */
} VcrViolation;

void vcr_violation_free (VcrViolation *violation);

/* Checks @proposed (taken) under @settings (referenced until the end): on
 * a replica, each replicate path whose subtree differs from the running
 * config's and from the reference (or the pending reference) is a
 * violation. The running config comes from @running while the backend's
 * stamp holds, else is read through @backend (and cached). */
void vcr_check_commit_async (VcrSettings *settings, VcrRunning *running, VcrState *store,
                             VcrBackend *backend, VcrTree *proposed,
                             GAsyncReadyCallback callback, gpointer user_data);
/* Of VcrViolation*, in the order of the replicate paths. */
GPtrArray *vcr_check_commit_finish (GAsyncResult *result, GError **error);

G_END_DECLS
