/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --apply-command a replica runs after it wrote a snapshot (SPEC §7:
 * a failure undoes the apply). It runs under /bin/sh -c in a process
 * group of its own, with VCR_GENERATION and VCR_CONFIG set, stdout and
 * stderr collected for the message, and is killed with everything it
 * started when it runs longer than VCR_APPLY_COMMAND_TIMEOUT_S.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VCR_APPLY_COMMAND_TIMEOUT_S 120

/* @config_path (nullable) becomes VCR_CONFIG. */
void vcr_apply_command_run_async (const char *command, const char *config_path,
                                  guint64 generation, GAsyncReadyCallback callback,
                                  gpointer user_data);
/* FALSE with the reason (VCR_ERROR_FAILED: "the apply command failed
 * (exit status 3): OUTPUT", "cannot run the apply command: …") when the
 * command could not run or did not exit with status 0. */
gboolean vcr_apply_command_run_finish (GAsyncResult *result, GError **error);

G_END_DECLS
