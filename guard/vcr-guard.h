/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts of the commit guard (vyos-config-replication-commit-guard)
 * share: where VyOS's files are, the bounded `cli-shell-api showConfig`
 * reader and the apply-token check.
 *
 * The guard runs as whoever commits, in their environment. The installed
 * guard therefore has every location compiled in and ignores the
 * environment for all of them (VCR_* and DBUS_SYSTEM_BUS_ADDRESS alike); only
 * the test build (VCR_GUARD_TESTING, never installed) lets the environment
 * redirect them to stand-ins.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each cli-shell-api call must end within this time and print at most
 * this much (the daemon's CheckCommit takes no more either). */
#define GUARD_SHOW_TIMEOUT_MS 20000
#define GUARD_SHOW_MAX_SIZE (64 * 1024 * 1024)

const char *guard_cli_shell_api (void);
const char *guard_my_cli_bin (void);
const char *guard_boot_done_file (void);
const char *guard_apply_token_file (void);
int guard_show_timeout_ms (void);   /* GUARD_SHOW_TIMEOUT_MS */
/* The system bus; the installed guard never takes it from the environment. */
const char *guard_bus_address (void);

typedef enum {
  GUARD_SHOW_OK,       /* the config (or the subtree) is in @out */
  GUARD_SHOW_NO_NODE,  /* VyOS said the path is empty or not valid (exit 3 or 2) */
  GUARD_SHOW_FAILED,   /* anything else: no answer to rely on (@error says why) */
} GuardShow;

/* `cli-shell-api FLAGS… -- showConfig [WORDS…]` in an environment where the
 * user's edit level and VyOS's active and template roots cannot change what
 * is read. With WORDS, FLAGS must not hold --show-ignore-edit (VyOS ignores
 * the path words then). */
GuardShow guard_show_config (const char *const *flags, const char *const *words,
                             GBytes **out, GError **error);

/* TRUE when VCR_APPLY_TOKEN is the daemon's current apply token. */
gboolean guard_is_own_apply (void);

G_END_DECLS
