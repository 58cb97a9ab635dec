/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --apply-command's runner: a small process between the daemon and
 * /bin/sh that owns everything the command starts. The daemon starts its
 * own binary again (/proc/self/exe) with VCR_APPLY_RUNNER_ARG first; the
 * runner makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so
 * every process the command leaves behind, even one that left the
 * process group and the session with setsid, becomes its child rather
 * than init's. When the command exits, at the deadline, or when the
 * daemon asks (SIGTERM) or dies (PR_SET_PDEATHSIG), the runner ends all
 * its descendants (SIGTERM, then SIGKILL after a grace), reaps them, and
 * writes one line to fd 3 saying how the command ended. It never writes
 * to stdout or stderr: those are the command's, for the daemon to log.
 *
 * Report lines: "exited N", "signal N", "timeout", "stopped" (the daemon
 * asked or died), "failed REASON" (the command could not be started);
 * then "left N" when N processes were still running and were ended.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* argv[1] of a runner: argv is then
 * RUNNER VCR_APPLY_RUNNER_ARG PARENT_PID TIMEOUT_MS GRACE_MS COMMAND. */
#define VCR_APPLY_RUNNER_ARG "--run-apply-command"

/* The fd the report is written to. */
#define VCR_APPLY_RUNNER_REPORT_FD 3

/* TRUE when this process was started as a runner (argv[1]). */
gboolean vcr_apply_runner_requested (int argc, char **argv);

/* The runner's whole life: returns the process's exit status (0 once a
 * report was written). Call before anything else in main(). */
int vcr_apply_runner_main (int argc, char **argv);

G_END_DECLS
