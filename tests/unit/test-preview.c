/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dry run's lines (lib/vcr-preview.c): what a push would make one
 * replica apply, from the texts the primary would send it and those the
 * replica holds. Applying the lines to the replica's config gives what the
 * push writes; nothing touches what the replica excludes; equal texts
 * give no line; a replica's text that does not parse is refused.
 */
#include <string.h>

#include "vcr-commands.h"
#include "vcr-diff.h"
#include "vcr-error.h"
#include "vcr-mask.h"
#include "vcr-path.h"
#include "vcr-preview.h"
#include "vcr-test-util.h"

static const char primary_config[] =
  "firewall {\n"
  "    name WAN {\n"
  "        default-action drop\n"
  "        rule 20 {\n"
  "            action accept\n"
  "            destination {\n"
  "                port 2222\n"
  "            }\n"
  "        }\n"
  "    }\n"
  "}\n"
  "interfaces {\n"
  "    openvpn vtun0 {\n"
  "        local-host 10.0.0.1\n"
  "        mode site-to-site\n"
  "    }\n"
  "}\n"
  "high-availability {\n    config-replication {\n"
  "        authentication {\n            pre-shared-secret \"0123456789abcdef-long\"\n        }\n"
  "        mode primary\n"
  "        replica r1 {\n            address 192.0.2.2\n        }\n"
  "        replicate {\n            exclude \"interfaces openvpn vtun0 local-host\"\n"
  "            path \"interfaces openvpn\"\n            path \"firewall name WAN\"\n        }\n"
  "    }\n}\n";

static const char replica_config[] =
  "firewall {\n"
  "    name WAN {\n"
  "        default-action drop\n"
  "        rule 20 {\n"
  "            action accept\n"
  "            destination {\n"
  "                port 22\n"
  "            }\n"
  "        }\n"
  "    }\n"
  "}\n"
  "interfaces {\n"
  "    openvpn vtun0 {\n"
  "        description \"old\"\n"
  "        local-host 10.0.0.2\n"
  "        mode site-to-site\n"
  "    }\n"
  "}\n";

/* The replica's texts as it serves them: masked with the primary's
 * settings (both sides have the same exclusions). */
static VcrSnapshot *
texts_of (const VcrTree *tree, const VcrSettings *settings)
{
  g_autoptr(GPtrArray) texts = vcr_mask_path_texts (tree, settings, NULL);
  VcrSnapshot *snapshot = vcr_snapshot_new ("r1", "0123456789abcdef0123456789abcdef", 1);

  for (guint i = 0; i < texts->len; i++)
    {
      VcrPathText *t = g_ptr_array_index (texts, i);
      vcr_snapshot_add (snapshot, t->path, t->text, t->digest);
    }
  return snapshot;
}

static VcrSettings *
settings_of (const VcrTree *tree)
{
  g_autoptr(GError) error = NULL;
  VcrSettings *settings = vcr_settings_from_tree (tree, &error);

  g_assert_no_error (error);
  return settings;
}

static void
test_preview_commands (void)
{
  g_autoptr(VcrTree) primary = vcr_test_parse_default (primary_config);
  g_autoptr(VcrTree) replica = vcr_test_parse_default (replica_config);
  g_autoptr(VcrSettings) settings = settings_of (primary);
  g_autoptr(GPtrArray) wanted = vcr_mask_path_texts (primary, settings, NULL);
  g_autoptr(VcrSnapshot) current = texts_of (replica, settings);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = vcr_preview_commands (wanted, current, NULL, &error);
  g_autofree char *text = NULL;
  g_autoptr(VcrTree) applied = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (lines);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[0], ==, "delete firewall name WAN rule 20 destination port");
  g_assert_cmpstr (lines[1], ==, "set firewall name WAN rule 20 destination port '2222'");
  g_assert_cmpstr (lines[2], ==, "delete interfaces openvpn vtun0 description");
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_null (strstr (lines[i], "local-host"));
      g_assert_false (vcr_preview_is_note (lines[i]));
    }

  /* the lines turn the replica's config into what the push writes: the
   * replicated rest the primary's, its own local-host kept */
  text = g_strjoinv ("\n", lines);
  applied = vcr_commands_apply (replica, text, strlen (text), replica, "preview", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < settings->paths->len; i++)
    {
      const char *const *path = g_ptr_array_index (settings->paths, i);
      g_autoptr(GPtrArray) excludes = vcr_settings_excludes_under (settings, path);

      g_assert_true (vcr_mask_subtree_equal (applied, primary, path, excludes));
    }
  g_assert_true (vcr_tree_subtree_equal (applied, replica, (const char *const[]) {
                   "interfaces", "openvpn", "vtun0", "local-host", NULL }));
}

/* What a replica's push writes (as the receive does it): each path's
 * incoming tree with the replica's own excluded subtrees put back. */
static VcrTree *
pushed (const VcrTree *replica, const VcrTree *primary, const VcrSettings *settings)
{
  VcrTree *applied = vcr_mask_copy_pruned (replica, settings);

  for (guint i = 0; i < settings->paths->len; i++)
    {
      const char *const *path = g_ptr_array_index (settings->paths, i);
      g_autoptr(GPtrArray) excludes = vcr_settings_excludes_under (settings, path);
      g_autofree char *text = vcr_mask_snapshot_text (primary, path, excludes, NULL);
      g_autoptr(VcrTree) incoming = vcr_test_parse (text, VCR_PARSE_DEFAULT);

      vcr_mask_keep_local (incoming, replica, excludes);
      vcr_tree_graft (applied, incoming, path);
    }
  return applied;
}

/* The primary deleted the subtree around an exclusion the replica holds:
 * the push keeps the replica's leaf and its ancestors, so the lines are
 * those of the replica's config before and after that push, not a delete
 * of the whole subtree; the replica's exclusions with nothing there
 * change nothing. */
static void
test_preview_kept (void)
{
  g_autoptr(VcrTree) primary = vcr_test_parse_default (primary_config);
  g_autoptr(VcrTree) replica = vcr_test_parse_default (replica_config);
  g_autoptr(VcrSettings) settings = settings_of (primary);
  g_autoptr(GPtrArray) wanted = NULL;
  g_autoptr(VcrSnapshot) current = texts_of (replica, settings);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) blind = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(VcrTree) applied = NULL;

  vcr_tree_delete (primary, (const char *const[]) { "interfaces", "openvpn", "vtun0", NULL });
  wanted = vcr_mask_path_texts (primary, settings, NULL);
  blind = vcr_preview_commands (wanted, current, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char *const *) blind, "delete interfaces openvpn"));

  g_ptr_array_add (kept, g_ptr_array_index (settings->excludes, 0));
  lines = vcr_preview_commands (wanted, current, kept, &error);
  g_assert_no_error (error);
  applied = pushed (replica, primary, settings);
  for (guint i = 0, n = 0; i < settings->paths->len; i++)
    {
      g_auto(GStrv) real = vcr_diff (replica, applied, g_ptr_array_index (settings->paths, i));

      for (guint j = 0; real[j] != NULL; j++, n++)
        g_assert_cmpstr (lines[n], ==, real[j]);
      if (i + 1 == settings->paths->len)
        g_assert_null (lines[n]);
    }
  g_assert_false (g_strv_contains ((const char *const *) lines, "delete interfaces openvpn"));
  g_assert_false (g_strv_contains ((const char *const *) lines, "delete interfaces openvpn vtun0"));
  g_assert_true (g_strv_contains ((const char *const *) lines,
                                  "delete interfaces openvpn vtun0 mode"));
}

/* Nothing to do: no line. A path the replica lacks: all of it is set. */
static void
test_preview_same_and_missing (void)
{
  g_autoptr(VcrTree) primary = vcr_test_parse_default (primary_config);
  g_autoptr(VcrSettings) settings = settings_of (primary);
  g_autoptr(GPtrArray) wanted = vcr_mask_path_texts (primary, settings, NULL);
  g_autoptr(VcrSnapshot) same = texts_of (primary, settings);
  g_autoptr(VcrSnapshot) none = vcr_snapshot_new ("r1", "0123456789abcdef0123456789abcdef", 1);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) nothing = vcr_preview_commands (wanted, same, NULL, &error);
  g_auto(GStrv) all = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (nothing);
  g_assert_cmpuint (g_strv_length (nothing), ==, 0);
  all = vcr_preview_commands (wanted, none, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (all), ==, 4);
  g_assert_cmpstr (all[0], ==, "set firewall name WAN default-action 'drop'");
  g_assert_cmpstr (all[3], ==, "set interfaces openvpn vtun0 mode 'site-to-site'");
}

/* A replica's text that does not parse, or holds another path: refused. */
static void
test_preview_bad_current (void)
{
  g_autoptr(VcrTree) primary = vcr_test_parse_default (primary_config);
  g_autoptr(VcrSettings) settings = settings_of (primary);
  g_autoptr(GPtrArray) wanted = vcr_mask_path_texts (primary, settings, NULL);
  const char *bad[] = { "firewall {\n    name WAN {\n", "system {\n    host-name x\n}\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(VcrSnapshot) current = vcr_snapshot_new ("r1", "0123456789abcdef0123456789abcdef", 1);
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) lines = NULL;

      vcr_snapshot_add (current, "firewall name WAN", bad[i], NULL);
      lines = vcr_preview_commands (wanted, current, NULL, &error);
      g_assert_null (lines);
      g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
      g_assert_nonnull (strstr (error->message, "firewall name WAN"));
    }
}

/* A replica that would refuse the push: other paths, other exclusions;
 * the same: no refusal. */
static void
test_preview_refusal (void)
{
  g_autoptr(VcrTree) primary = vcr_test_parse_default (primary_config);
  g_autoptr(VcrSettings) settings = settings_of (primary);
  g_autoptr(GPtrArray) wanted = vcr_mask_path_texts (primary, settings, NULL);
  g_autoptr(VcrSnapshot) same = texts_of (primary, settings);
  g_autoptr(VcrSnapshot) fewer = vcr_snapshot_new ("r1", "", 0);
  const char *const *ours = (const char *const *) settings->exclude_strings;
  const char *const other[] = { "firewall name WAN description", NULL };
  g_autofree char *none = NULL;
  g_autofree char *paths = NULL;
  g_autofree char *excludes = NULL;

  vcr_snapshot_set_excludes (same, ours);
  none = vcr_preview_refusal (wanted, ours, same);
  g_assert_null (none);

  vcr_snapshot_add (fewer, "firewall name WAN", "", NULL);
  paths = vcr_preview_refusal (wanted, ours, fewer);
  g_assert_cmpstr (paths, ==, "# refused: 409 path-mismatch: the snapshot would carry "
                              "\"firewall name WAN\", \"interfaces openvpn\"; the replica "
                              "replicates \"firewall name WAN\"");
  g_assert_true (vcr_preview_is_note (paths));

  vcr_snapshot_set_excludes (same, other);
  excludes = vcr_preview_refusal (wanted, ours, same);
  g_assert_nonnull (excludes);
  g_assert_true (g_str_has_prefix (excludes, "# refused: 409 path-mismatch: exclusions differ: "));
  g_assert_nonnull (strstr (excludes, "\"firewall name WAN description\""));
  g_assert_nonnull (strstr (excludes, "\"interfaces openvpn vtun0 local-host\""));
}

/* "kept" as paths: parsed; an empty one refused. */
static void
test_preview_kept_paths (void)
{
  g_autoptr(VcrSnapshot) current = vcr_snapshot_new ("r1", "", 0);
  const char *const kept[] = { "interfaces openvpn vtun0 local-host", NULL };
  const char *const bad[] = { " ", NULL };
  g_autoptr(GPtrArray) empty = vcr_preview_kept_paths (current, NULL);
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (empty->len, ==, 0);
  vcr_snapshot_set_excludes (current, kept);
  vcr_snapshot_set_kept (current, kept);
  paths = vcr_preview_kept_paths (current, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 1);
  g_assert_cmpstr (((char **) g_ptr_array_index (paths, 0))[3], ==, "local-host");
  vcr_snapshot_set_kept (current, bad);
  refused = vcr_preview_kept_paths (current, &error);
  g_assert_null (refused);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
}

static void
test_preview_unreachable (void)
{
  g_autofree char *line = vcr_preview_unreachable ("198.51.100.3:7790: connection refused");

  g_assert_cmpstr (line, ==, "# unreachable: 198.51.100.3:7790: connection refused");
  g_assert_true (vcr_preview_is_note (line));
  g_assert_false (vcr_preview_is_note ("set system host-name x"));
  g_assert_false (vcr_preview_is_note (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/preview/commands", test_preview_commands);
  g_test_add_func ("/preview/same-and-missing", test_preview_same_and_missing);
  g_test_add_func ("/preview/kept", test_preview_kept);
  g_test_add_func ("/preview/bad-current", test_preview_bad_current);
  g_test_add_func ("/preview/unreachable", test_preview_unreachable);
  g_test_add_func ("/preview/refusal", test_preview_refusal);
  g_test_add_func ("/preview/kept-paths", test_preview_kept_paths);
  return g_test_run ();
}
