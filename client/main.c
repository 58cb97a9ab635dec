/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vyos-config-replication, the client: global options, then a verb from the
 * table below. Each verb group lives in a file of its own (vcr-client.h) and
 * returns the exit code of SPEC §6; adding a verb is adding a row.
 */
#define G_LOG_DOMAIN "vcr-client"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "vcr-client.h"

typedef struct {
  const char *name;
  int (*handler) (int argc, char **argv, gboolean json);
  const char *summary;
} VcrVerb;

static const VcrVerb verbs[] = {
  { "status", vcr_client_status, "Mode, paths, state, generation and peers" },
  { "is-managed", vcr_client_is_managed, "Whether a path is managed: is-managed WORD…" },
  { "check-commit", vcr_client_check_commit,
    "Whether a proposed config may be committed: check-commit FILE" },
  { "push", vcr_client_push, "Primary: send the snapshot to every replica" },
  { "pull", vcr_client_pull, "Replica: fetch and apply the primary's snapshot" },
  { "reload", vcr_client_reload, "Read the replication settings again" },
  { "verify", vcr_client_verify, "Compare digests with every peer" },
  { "history", vcr_client_history, "Recent events, newest first: history [-n N]" },
  { "monitor", vcr_client_monitor, "Print the daemon's signals until interrupted" },
  { "config", vcr_client_config,
    "Offline: show, diff or check a config file (no daemon needed)" },
};

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage: vyos-config-replication [--json] COMMAND [ARGS…]\n"
           "\n"
           "Replicates chosen subtrees of a VyOS config from a primary to replicas.\n"
           "\n"
           "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    fprintf (out, "  %-14s %s\n", verbs[i].name, verbs[i].summary);
  fprintf (out,
           "\n"
           "Options:\n"
           "  --json         Machine-readable output\n"
           "  -h, --help     Show this help\n"
           "  --version      Show the version\n"
           "\n"
           "Run 'vyos-config-replication COMMAND --help' for a command's options.\n"
           "Exit codes: 0 ok, 1 negative result, 2 usage, 3 daemon unreachable\n"
           "or D-Bus error, 4 unreadable or unparsable input.\n");
}

static const VcrVerb *
find_verb (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (strcmp (verbs[i].name, name) == 0)
      return &verbs[i];
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) rest = g_ptr_array_new ();
  gboolean json = FALSE;
  gboolean verb_seen = FALSE;
  const VcrVerb *verb;

  setlocale (LC_ALL, "");

  /* Global options may come anywhere before "--"; the rest goes to the
   * verb. Before the verb, --help and --version are ours. */
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--") == 0)
        {
          for (; i < argc; i++)
            g_ptr_array_add (rest, argv[i]);
          break;
        }
      if (strcmp (arg, "--json") == 0)
        json = TRUE;
      else if (!verb_seen && (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0))
        {
          print_usage (stdout);
          return VCR_EXIT_OK;
        }
      else if (!verb_seen && strcmp (arg, "--version") == 0)
        {
          printf ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
          return VCR_EXIT_OK;
        }
      else if (!verb_seen && arg[0] == '-')
        {
          g_printerr ("Unknown option %s\n\n", arg);
          print_usage (stderr);
          return VCR_EXIT_USAGE;
        }
      else
        {
          verb_seen = TRUE;
          g_ptr_array_add (rest, argv[i]);
        }
    }
  if (rest->len == 0)
    {
      print_usage (stderr);
      return VCR_EXIT_USAGE;
    }

  verb = find_verb (g_ptr_array_index (rest, 0));
  if (verb == NULL)
    {
      g_printerr ("Unknown command \"%s\"\n\n", (const char *) g_ptr_array_index (rest, 0));
      print_usage (stderr);
      return VCR_EXIT_USAGE;
    }
  g_ptr_array_add (rest, NULL);
  return verb->handler ((int) rest->len - 1, (char **) rest->pdata, json);
}
