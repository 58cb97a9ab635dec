/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the replication settings (SPEC §2): the input is a
 * router config (config.boot, default parse mode); when it parses, the
 * settings are read from it. Reading must never crash, a refusal is
 * VCR_ERROR_INVALID_SETTINGS, and accepted settings must hold every rule of
 * §2 (mode set, at least one replicate path, none under another nor over
 * the settings themselves, the peers the mode asks for, a secret).
 */
#define G_LOG_DOMAIN "fuzz-settings"

#include <string.h>

#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-settings.h"
#include "vcr-snapshot.h"
#include "vcr-tree.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_paths (const VcrSettings *settings)
{
  static const char *const own[] = { "high-availability", "config-replication", NULL };

  g_assert_cmpuint (settings->paths->len, >=, 1);
  for (guint i = 0; i < settings->paths->len; i++)
    {
      const char *const *p = g_ptr_array_index (settings->paths, i);
      g_autofree char *text = vcr_path_to_string (p);
      g_auto(GStrv) reparsed = vcr_path_parse (text, NULL);

      g_assert_nonnull (p[0]);
      for (guint w = 0; p[w] != NULL; w++)
        {
          g_assert_cmpstr (p[w], !=, "");
          for (const char *c = p[w]; *c != '\0'; c++)
            g_assert_false (g_ascii_isspace (*c));
        }
      /* The primary sends the path in every snapshot; a replica takes only
       * canonical paths (valid UTF-8, no control or space characters). */
      g_assert_true (g_utf8_validate (text, -1, NULL));
      g_assert_true (vcr_snapshot_path_is_canonical (text));
      g_assert_nonnull (reparsed);
      g_assert_true (g_strv_equal ((const char *const *) reparsed, p));
      g_assert_false (vcr_path_is_under (p, own));
      g_assert_false (vcr_path_is_under (own, p));
      for (guint j = 0; j < settings->paths->len; j++)
        if (i != j)
          g_assert_false (vcr_path_is_under (p, g_ptr_array_index (settings->paths, j)));
      g_assert_true (vcr_settings_find_replicate_path (settings, p) == p);
    }
}

static gboolean
is_replica_name (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > 64)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("_.-", *c) == NULL)
      return FALSE;
  return TRUE;
}

static void
check_peers (const VcrSettings *settings)
{
  if (settings->mode == VCR_MODE_PRIMARY)
    g_assert_cmpuint (settings->peers->len, >=, 1);
  else
    g_assert_cmpuint (settings->peers->len, ==, 1);
  for (guint i = 0; i < settings->peers->len; i++)
    {
      const VcrPeerSettings *peer = g_ptr_array_index (settings->peers, i);

      g_assert_nonnull (peer->address);
      g_assert_cmpstr (peer->address, !=, "");
      g_assert_cmpuint (peer->port, >=, 1);
      if (settings->mode == VCR_MODE_REPLICA)
        g_assert_cmpstr (peer->name, ==, "primary");
      else
        g_assert_true (is_replica_name (peer->name));
      for (guint j = i + 1; j < settings->peers->len; j++)
        {
          const VcrPeerSettings *other = g_ptr_array_index (settings->peers, j);

          g_assert_cmpstr (peer->name, !=, other->name);
          g_assert_false (g_ascii_strcasecmp (peer->address, other->address) == 0 &&
                          peer->port == other->port);
        }
    }
}

static void
check_settings (const VcrSettings *settings)
{
  g_assert_nonnull (settings->paths);
  g_assert_nonnull (settings->peers);
  g_assert_nonnull (settings->warnings);
  g_assert_cmpuint (settings->port, >=, 1);
  if (settings->mode == VCR_MODE_DISABLED)
    {
      g_assert_cmpuint (settings->paths->len, ==, 0);
      g_assert_cmpuint (settings->peers->len, ==, 0);
      return;
    }
  g_assert_true (settings->mode == VCR_MODE_PRIMARY || settings->mode == VCR_MODE_REPLICA);
  g_assert_cmpstr (vcr_mode_to_string (settings->mode), !=, "disabled");
  check_paths (settings);
  check_peers (settings);
  g_assert_nonnull (settings->secret);
  g_assert_cmpstr (settings->secret, !=, "");
  g_assert_true (g_utf8_validate (settings->secret, -1, NULL));
  if (settings->listen_address != NULL)
    g_assert_true (g_hostname_is_ip_address (settings->listen_address));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse ((const char *) data, size, VCR_PARSE_DEFAULT,
                                            "fuzz", &error);
  g_autoptr(VcrSettings) settings = NULL;

  if (tree == NULL)
    {
      g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
      return 0;
    }
  settings = vcr_settings_from_tree (tree, &error);
  if (settings == NULL)
    {
      g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS);
      g_assert_nonnull (strstr (error->message, "config-replication"));
      /* It goes out over D-Bus, which carries only UTF-8. */
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  check_settings (settings);
  return 0;
}
