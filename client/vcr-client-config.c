/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `config show|diff|check`: the offline verbs. They read config.boot files
 * the way the daemon does (VCR_PARSE_DEFAULT) and run the same core code,
 * so an operator can see, before committing, what the daemon will replicate
 * (the snapshot text of a path), what a change amounts to, and whether the
 * config-replication settings will be accepted.
 */
#define G_LOG_DOMAIN "vcr-client"

#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "vcr-client.h"
#include "vcr-diff.h"
#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-settings.h"
#include "vcr-tree.h"

/* Parses @argv with @entries; FALSE (after telling why) on a usage error.
 * --help prints and exits 0, as GOption does. */
static gboolean
parse_options (const char *usage,
               const char *summary,
               const GOptionEntry *entries,
               int *argc,
               char ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (usage);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s\nTry '%s --help'.\n", error->message, g_get_prgname ());
      return FALSE;
    }
  return TRUE;
}

static VcrTree *
load_tree (const char *filename)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  VcrTree *tree;

  if (!g_file_get_contents (filename, &contents, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      return NULL;
    }
  tree = vcr_tree_parse (contents, length, VCR_PARSE_DEFAULT, filename, &error);
  if (tree == NULL)
    g_printerr ("%s\n", error->message);
  return tree;
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

/* The words of --path (none without it); FALSE after telling why. */
static gboolean
parse_path_option (const char *path_text, GStrv *words)
{
  g_autoptr(GError) error = NULL;

  if (path_text == NULL)
    return TRUE;
  *words = vcr_path_parse (path_text, &error);
  if (*words == NULL)
    g_printerr ("%s\n", error->message);
  return *words != NULL;
}

/* Operators type `--path firewall name WAN`: say how to spell it. */
static const char *
path_hint (const char *path_text, gboolean extra_args)
{
  if (path_text == NULL || !extra_args)
    return "";
  return " (give the words of --path as one argument: --path \"firewall name WAN\")";
}

static gboolean
parse_format (const char *text, VcrFormat *format)
{
  if (g_strcmp0 (text, "boot") == 0)
    *format = VCR_FORMAT_BOOT;
  else if (g_strcmp0 (text, "json") == 0)
    *format = VCR_FORMAT_JSON;
  else if (g_strcmp0 (text, "commands") == 0)
    *format = VCR_FORMAT_COMMANDS;
  else
    return FALSE;
  return TRUE;
}

/* ---- config show ------------------------------------------------------ */

static int
config_show (int argc, char **argv, gboolean json)
{
  g_autofree char *path_text = NULL;
  g_autofree char *format_text = NULL;
  const GOptionEntry entries[] = {
    { "path", 'p', 0, G_OPTION_ARG_STRING, &path_text,
      "Show only the snapshot text of this path (words in one argument)", "WORDS" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_text,
      "Output format: boot (default), json or commands", "FORMAT" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(VcrTree) only = NULL;
  g_autofree char *text = NULL;
  VcrFormat format = json ? VCR_FORMAT_JSON : VCR_FORMAT_BOOT;
  gsize length = 0;

  if (!parse_options ("FILE", "Prints the config FILE (config.boot format) in canonical form,\n"
                      "or the snapshot text of one path, without the version footer.",
                      entries, &argc, &argv))
    return VCR_EXIT_USAGE;
  if (argc != 2)
    {
      g_printerr ("config show takes one FILE%s\n", path_hint (path_text, argc > 2));
      return VCR_EXIT_USAGE;
    }
  if (format_text != NULL && !parse_format (format_text, &format))
    {
      g_printerr ("Unknown format \"%s\"; use boot, json or commands\n", format_text);
      return VCR_EXIT_USAGE;
    }
  if (!parse_path_option (path_text, &words))
    return VCR_EXIT_USAGE;

  tree = load_tree (argv[1]);
  if (tree == NULL)
    return VCR_EXIT_INPUT;

  if (words != NULL && format == VCR_FORMAT_BOOT)
    text = vcr_path_snapshot_text (tree, (const char *const *) words);
  else
    {
      if (words != NULL)
        {
          only = vcr_tree_new ();
          vcr_tree_graft (only, tree, (const char *const *) words);
        }
      text = vcr_tree_render (only != NULL ? only : tree, format, &length, &error);
      if (text == NULL)
        {
          g_printerr ("%s: %s\n", argv[1], error->message);
          return VCR_EXIT_INPUT;
        }
    }
  if (json && format != VCR_FORMAT_JSON)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "format");
      json_builder_add_string_value (builder, format_text);
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, text);
      json_builder_end_object (builder);
      print_json (builder);
      return VCR_EXIT_OK;
    }
  fwrite (text, 1, strlen (text), stdout);
  return VCR_EXIT_OK;
}

/* ---- config diff ------------------------------------------------------ */

static int
config_diff (int argc, char **argv, gboolean json)
{
  g_autofree char *path_text = NULL;
  const GOptionEntry entries[] = {
    { "path", 'p', 0, G_OPTION_ARG_STRING, &path_text,
      "Compare only the subtree at this path (words in one argument)", "WORDS" },
    { NULL }
  };
  g_auto(GStrv) words = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(VcrTree) old_tree = NULL;
  g_autoptr(VcrTree) new_tree = NULL;

  if (!parse_options ("OLD NEW", "Prints the set/delete commands that turn config OLD into NEW.\n"
                      "Exit status: 0 when they are the same, 1 when they differ.",
                      entries, &argc, &argv))
    return VCR_EXIT_USAGE;
  if (argc != 3)
    {
      g_printerr ("config diff takes two files, OLD and NEW%s\n",
                  path_hint (path_text, argc > 3));
      return VCR_EXIT_USAGE;
    }
  if (!parse_path_option (path_text, &words))
    return VCR_EXIT_USAGE;
  old_tree = load_tree (argv[1]);
  if (old_tree == NULL)
    return VCR_EXIT_INPUT;
  new_tree = load_tree (argv[2]);
  if (new_tree == NULL)
    return VCR_EXIT_INPUT;

  lines = vcr_diff (old_tree, new_tree, (const char *const *) words);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "equal");
      json_builder_add_boolean_value (builder, lines[0] == NULL);
      json_builder_set_member_name (builder, "commands");
      json_builder_begin_array (builder);
      for (guint i = 0; lines[i] != NULL; i++)
        json_builder_add_string_value (builder, lines[i]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      print_json (builder);
    }
  else
    {
      for (guint i = 0; lines[i] != NULL; i++)
        printf ("%s\n", lines[i]);
    }
  return lines[0] == NULL ? VCR_EXIT_OK : VCR_EXIT_NEGATIVE;
}

/* ---- config check ----------------------------------------------------- */

static void
check_to_json (const VcrSettings *settings, const GError *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "valid");
  json_builder_add_boolean_value (builder, settings != NULL);
  if (settings == NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, error->message);
      json_builder_end_object (builder);
      print_json (builder);
      return;
    }
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, vcr_mode_to_string (settings->mode));
  json_builder_set_member_name (builder, "paths");
  json_builder_begin_array (builder);
  for (guint i = 0; i < settings->paths->len; i++)
    {
      g_autofree char *path = vcr_path_to_string (g_ptr_array_index (settings->paths, i));

      json_builder_add_string_value (builder, path);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < settings->peers->len; i++)
    {
      VcrPeerSettings *peer = g_ptr_array_index (settings->peers, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, peer->name);
      json_builder_set_member_name (builder, "address");
      json_builder_add_string_value (builder, peer->address);
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, peer->port);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "listen-address");
  if (settings->listen_address != NULL)
    json_builder_add_string_value (builder, settings->listen_address);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, settings->port);
  json_builder_set_member_name (builder, "warnings");
  json_builder_begin_array (builder);
  for (guint i = 0; i < settings->warnings->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (settings->warnings, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  print_json (builder);
}

static void
check_to_text (const VcrSettings *settings, const GError *error)
{
  if (settings == NULL)
    {
      printf ("%s\n", error->message);
      return;
    }
  if (settings->mode == VCR_MODE_DISABLED)
    {
      printf ("Config replication is not configured "
              "(no high-availability config-replication).\n");
      return;
    }
  printf ("Settings are valid.\nMode: %s\nListen: %s port %u\n",
          vcr_mode_to_string (settings->mode),
          settings->listen_address != NULL ? settings->listen_address : "all addresses",
          settings->port);
  for (guint i = 0; i < settings->paths->len; i++)
    {
      g_autofree char *path = vcr_path_to_string (g_ptr_array_index (settings->paths, i));

      printf ("Replicate path: %s\n", path);
    }
  for (guint i = 0; i < settings->peers->len; i++)
    {
      VcrPeerSettings *peer = g_ptr_array_index (settings->peers, i);

      printf ("%s: %s port %u\n",
              settings->mode == VCR_MODE_PRIMARY ? "Replica" : "Primary",
              settings->mode == VCR_MODE_PRIMARY ? peer->name : peer->address,
              peer->port);
    }
  for (guint i = 0; i < settings->warnings->len; i++)
    printf ("Warning: %s\n", (const char *) g_ptr_array_index (settings->warnings, i));
}

static int
config_check (int argc, char **argv, gboolean json)
{
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(VcrSettings) settings = NULL;

  if (!parse_options ("FILE", "Validates the high-availability config-replication settings\n"
                      "in config FILE. Exit status: 0 valid, 1 not.",
                      entries, &argc, &argv))
    return VCR_EXIT_USAGE;
  if (argc != 2)
    {
      g_printerr ("config check takes one FILE\n");
      return VCR_EXIT_USAGE;
    }
  tree = load_tree (argv[1]);
  if (tree == NULL)
    return VCR_EXIT_INPUT;
  settings = vcr_settings_from_tree (tree, &error);
  if (json)
    check_to_json (settings, error);
  else
    check_to_text (settings, error);
  return settings != NULL ? VCR_EXIT_OK : VCR_EXIT_NEGATIVE;
}

/* ---- dispatch --------------------------------------------------------- */

static const struct {
  const char *name;
  int (*handler) (int argc, char **argv, gboolean json);
  const char *summary;
} config_verbs[] = {
  { "show", config_show, "FILE [--path WORDS] [--format boot|json|commands]" },
  { "diff", config_diff, "OLD NEW [--path WORDS]" },
  { "check", config_check, "FILE" },
};

static void
config_usage (FILE *out)
{
  fprintf (out, "Usage: vyos-config-replication config COMMAND …\n\n"
           "Offline commands on config.boot files (no daemon needed):\n");
  for (gsize i = 0; i < G_N_ELEMENTS (config_verbs); i++)
    fprintf (out, "  config %-6s %s\n", config_verbs[i].name, config_verbs[i].summary);
  fprintf (out, "\nRun 'vyos-config-replication config COMMAND --help' for details.\n");
}

int
vcr_client_config (int argc, char **argv, gboolean json)
{
  if (argc < 2)
    {
      config_usage (stderr);
      return VCR_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      config_usage (stdout);
      return VCR_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (config_verbs); i++)
    {
      if (strcmp (argv[1], config_verbs[i].name) == 0)
        {
          g_autofree char *prgname = g_strdup_printf ("vyos-config-replication config %s",
                                                      config_verbs[i].name);

          g_set_prgname (prgname);
          return config_verbs[i].handler (argc - 1, argv + 1, json);
        }
    }
  g_printerr ("Unknown config command \"%s\"\n\n", argv[1]);
  config_usage (stderr);
  return VCR_EXIT_USAGE;
}
