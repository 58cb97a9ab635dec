/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --apply-command a replica runs after it wrote a snapshot (a failure
 * undoes the apply). It runs under /bin/sh -c, with VCR_GENERATION and
 * VCR_CONFIG set and stdin from /dev/null, below a runner
 * (vcr-apply-runner.h) that ends everything the command started, setsid
 * escapees included, when the command exits, when it runs longer than its
 * timeout, or when the caller cancels. The daemon waits for the runner to
 * exit, never for EOF on the output (a background child may hold the pipe
 * open forever); the merged stdout and stderr are read meanwhile, the
 * first VCR_APPLY_COMMAND_OUTPUT_MAX bytes kept, the rest counted, and
 * logged as text with every unprintable byte escaped (vcr-output.h).
 * Success is exit status 0, nothing else.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The default time the command may run (--apply-timeout overrides it). */
#define VCR_APPLY_COMMAND_TIMEOUT_S 120
/* The longest --apply-timeout: the command, its grace and the rest of the
 * apply must fit in the apply's own bound (VCR_REPLICATOR_APPLY_BOUND_S). */
#define VCR_APPLY_COMMAND_TIMEOUT_MAX_S 200
/* What the command's processes get between SIGTERM and SIGKILL. */
#define VCR_APPLY_COMMAND_GRACE_S 3
/* Output kept and logged; the rest is counted and dropped. */
#define VCR_APPLY_COMMAND_OUTPUT_MAX (64 * 1024)
/* Output quoted in the failure's message (422 body, history). */
#define VCR_APPLY_COMMAND_EXCERPT_MAX 1024

/* @config_path (nullable) becomes VCR_CONFIG; @timeout_s 0 is the
 * default. Cancelling @cancellable ends the command and everything it
 * started; the finish then fails with G_IO_ERROR_CANCELLED. */
void vcr_apply_command_run_async (const char *command, const char *config_path,
                                  guint64 generation, guint timeout_s,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/* FALSE with the reason (VCR_ERROR_FAILED: "the apply command failed
 * (exit status 3): OUTPUT", "the apply command ran longer than 120 s …",
 * "cannot run the apply command: …"; G_IO_ERROR_CANCELLED) unless the
 * command exited with status 0. */
gboolean vcr_apply_command_run_finish (GAsyncResult *result, GError **error);

G_END_DECLS
