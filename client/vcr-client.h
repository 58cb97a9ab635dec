/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client's verbs. client/main.c holds the verb table and dispatches;
 * each verb group lives in a file of its own and returns the process exit
 * code of SPEC §6.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes (SPEC §6). */
enum {
  VCR_EXIT_OK = 0,
  VCR_EXIT_NEGATIVE = 1,     /* some failed / not in sync / differ / not managed */
  VCR_EXIT_USAGE = 2,
  VCR_EXIT_DAEMON = 3,       /* daemon unreachable or D-Bus error */
  VCR_EXIT_INPUT = 4,        /* unreadable or unparsable input */
};

/* `config show|diff|check …`: offline, no daemon (client/vcr-client-config.c).
 * @argv[0] is "config". */
int vcr_client_config (int argc, char **argv, gboolean json);

/* Verbs that talk to the daemon over the system bus
 * (client/vcr-client-bus.c). @argv[0] is the verb. */
int vcr_client_status (int argc, char **argv, gboolean json);
int vcr_client_is_managed (int argc, char **argv, gboolean json);
int vcr_client_check_commit (int argc, char **argv, gboolean json);
int vcr_client_reload (int argc, char **argv, gboolean json);
int vcr_client_push (int argc, char **argv, gboolean json);
/* `push --dry-run` (client/vcr-client-preview.c). */
int vcr_client_push_dry_run (gboolean json);
int vcr_client_pull (int argc, char **argv, gboolean json);
int vcr_client_verify (int argc, char **argv, gboolean json);
int vcr_client_history (int argc, char **argv, gboolean json);
int vcr_client_monitor (int argc, char **argv, gboolean json);

G_END_DECLS
