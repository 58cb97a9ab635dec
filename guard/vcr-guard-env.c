/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the commit guard finds VyOS's files and the daemon. The guard runs
 * as the committing user with that user's environment, so in the installed
 * guard these are constants: a variable a user sets cannot point it at a
 * stand-in that always says "pass", at a boot-status file that does not
 * exist, at a token file of their choosing, or at a bus where their own
 * service answers CheckCommit, nor change the deadline of a cli-shell-api
 * call. The test build (VCR_GUARD_TESTING, built in
 * tests/vyos and never installed) takes them from the environment.
 */
#define G_LOG_DOMAIN "vcr-guard-env"

#include "config.h"

#include "vcr-guard.h"

/* VyOS's paths: vyatta-cfg (cli-shell-api, my_cli_bin), vyos-1x
 * python/vyos/defaults.py (config_status); the token is the daemon's
 * (daemon/vcr-backend-vyos.c); the bus is the system bus's fixed socket. */
#define DEFAULT_CLI_SHELL_API "/bin/cli-shell-api"
#define DEFAULT_MY_CLI_BIN "/opt/vyatta/sbin/my_cli_bin"
#define DEFAULT_BOOT_DONE_FILE "/tmp/vyos-config-status"
#define DEFAULT_APPLY_TOKEN_FILE "/run/vyos-config-replication/apply-token"
#define DEFAULT_BUS_ADDRESS "unix:path=/run/dbus/system_bus_socket"

#ifdef VCR_GUARD_TESTING
static const char *
location (const char *name, const char *fallback)
{
  const char *value = g_getenv (name);
  return value != NULL && *value != '\0' ? value : fallback;
}
#else
#define location(name, fallback) (fallback)
#endif

const char *
guard_cli_shell_api (void)
{
  return location ("VCR_CLI_SHELL_API", DEFAULT_CLI_SHELL_API);
}

const char *
guard_my_cli_bin (void)
{
  return location ("VCR_MY_CLI_BIN", DEFAULT_MY_CLI_BIN);
}

const char *
guard_boot_done_file (void)
{
  return location ("VCR_BOOT_DONE_FILE", DEFAULT_BOOT_DONE_FILE);
}

const char *
guard_apply_token_file (void)
{
  return location ("VCR_APPLY_TOKEN_FILE", DEFAULT_APPLY_TOKEN_FILE);
}

int
guard_show_timeout_ms (void)
{
#ifdef VCR_GUARD_TESTING
  const char *value = g_getenv ("VCR_GUARD_SHOW_TIMEOUT_MS");
  if (value != NULL && *value != '\0')
    return (int) g_ascii_strtoll (value, NULL, 10);
#endif
  return GUARD_SHOW_TIMEOUT_MS;
}

const char *
guard_bus_address (void)
{
  return location ("DBUS_SYSTEM_BUS_ADDRESS", DEFAULT_BUS_ADDRESS);
}
