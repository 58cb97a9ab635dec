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
  const char *usage;   /* for COMMAND --help; NULL: the verb prints its own */
} VcrVerb;

static const VcrVerb verbs[] = {
  { "status", vcr_client_status, "Mode, paths, state, generation and peers",
    "status\n\nPrints the daemon's mode, replicate paths, state, generation and each\n"
    "peer's state; --json gives the properties as one object. Exit 0." },
  { "is-managed", vcr_client_is_managed, "Whether a path is managed: is-managed WORD…",
    "is-managed WORD…\n\nAsks whether the config path WORD… lies under a replicate path on\n"
    "a replica (words as separate arguments, or one quoted argument).\n"
    "Exit 0 managed, 1 not managed." },
  { "check-commit", vcr_client_check_commit,
    "Whether a proposed config may be committed: check-commit FILE",
    "check-commit FILE\n\nSends the proposed config FILE (\"-\": standard input) to the daemon,\n"
    "which refuses it when it changes a managed path. Exit 0 allowed,\n"
    "1 refused (one Error: line per path), 4 unreadable or unparsable." },
  { "push", vcr_client_push, "Primary: send the snapshot to every replica",
    "push [--dry-run]\n\nPrimary: sends the current snapshot to every replica now and prints\n"
    "each replica's result. Exit 0 when every replica took it, 1 otherwise.\n\n"
    "--dry-run: changes nothing; prints, for each replica, the commands a push\n"
    "now would make it apply (\"r1: 2 changes\" and the commands, \"r2: no\n"
    "changes\", or why it could not be asked or would refuse the push). Exit\n"
    "0 when no replica would change, 1 otherwise." },
  { "pull", vcr_client_pull, "Replica: fetch and apply the primary's snapshot",
    "pull\n\nReplica: fetches the primary's snapshot and applies it.\n"
    "Exit 0 applied or unchanged, 1 failed." },
  { "reload", vcr_client_reload, "Read the replication settings again",
    "reload\n\nMakes the daemon read its settings from the router config again.\n"
    "Exit 0, or 1 when the settings are invalid (the old ones stay)." },
  { "verify", vcr_client_verify, "Compare digests with every peer",
    "verify\n\nCompares the replicated paths' digests with every peer.\n"
    "Exit 0 in sync, 1 when a peer differs or cannot be reached." },
  { "history", vcr_client_history, "Recent events, newest first: history [-n N]",
    "history [-n N]\n\nPrints the daemon's recent events (pushes, pulls, applies, refused\n"
    "commits, reloads), newest first; -n N: at most N of them. Exit 0." },
  { "monitor", vcr_client_monitor, "Print the daemon's signals until interrupted",
    "monitor\n\nPrints the daemon's signals (one line each, or one JSON object each\n"
    "with --json) until interrupted." },
  { "config", vcr_client_config,
    "Offline: show, diff or check a config file (no daemon needed)", NULL },
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
  if (verb->usage != NULL && rest->len == 2 &&
      (strcmp (g_ptr_array_index (rest, 1), "--help") == 0 ||
       strcmp (g_ptr_array_index (rest, 1), "-h") == 0))
    {
      printf ("Usage: vyos-config-replication [--json] %s\n", verb->usage);
      return VCR_EXIT_OK;
    }
  g_ptr_array_add (rest, NULL);
  return verb->handler ((int) rest->len - 1, (char **) rest->pdata, json);
}
