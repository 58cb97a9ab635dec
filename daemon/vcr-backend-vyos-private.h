/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parts of the vyos backend (vcr-backend-vyos.c) that have their own
 * file: the configuration-session script (vcr-backend-vyos-script.c, pure
 * text) and the bounded child process that runs VyOS's tools
 * (vcr-backend-vyos-child.c).
 */
#pragma once

#include <gio/gio.h>

#include "vcr-tree.h"

G_BEGIN_DECLS

/* ---- the session script ----------------------------------------------- */

/* Exit statuses of the script besides 0 and 1 (a step failed). */
#define VCR_VYOS_EXIT_LOCKED 75      /* VyOS's commit lock was held */
#define VCR_VYOS_EXIT_NOT_SAVED 76   /* committed, but `save` failed */
#define VCR_VYOS_EXIT_STOPPED 77     /* ended by SIGTERM (the deadline) */

/* The text VyOS prints when another commit holds the lock (vyatta-cfg
 * src/commit/commit-algorithm.cpp, commit::doCommit). */
#define VCR_VYOS_LOCKED_TEXT "locked due to another commit in progress"

/* The whole script that turns each replicated subtree of @running into
 * @wanted's, or NULL with @n_commands 0 when nothing differs. NULL with
 * @error (VCR_ERROR_INVALID_CONFIG) when a name, value or comment holds
 * what cannot be handed to VyOS safely: a line break or another control
 * character, or bytes that are not UTF-8. */
char *vcr_vyos_session_script (const VcrTree *running, const VcrTree *wanted, GPtrArray *paths,
                               const char *wrapper, guint *n_commands, GError **error);

/* ---- a bounded child -------------------------------------------------- */

typedef struct {
  const char *const *argv;
  const char *const *setenv;   /* NAME, VALUE, NAME, VALUE, …, NULL; nullable */
  gboolean merge_stderr;       /* else stderr goes where the daemon's goes */
  guint timeout_ms;            /* then SIGTERM to its process group, SIGKILL 10 s later */
  gsize max_output;            /* what is kept of its output */
  gboolean kill_on_overflow;   /* more output: kill it (else drop the rest) */
} VcrVyosChild;

/* Runs the child in a process group of its own, stdin /dev/null. */
void vcr_vyos_child_run_async (const VcrVyosChild *spec, GAsyncReadyCallback callback,
                               gpointer user_data);
/* Its output (up to max_output) and exit status (-1: killed by a signal).
 * FALSE with @error (still with what it printed in @output) when it could
 * not be started, was ended at its deadline (G_IO_ERROR_TIMED_OUT) or
 * printed too much with kill_on_overflow (G_IO_ERROR_MESSAGE_TOO_LARGE). */
gboolean vcr_vyos_child_run_finish (GAsyncResult *result, GBytes **output, int *exit_status,
                                    GError **error);

G_END_DECLS
