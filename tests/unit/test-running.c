/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running-config cache shared by CheckCommit and a replica's receive
 * (daemon/vcr-running.c): an entry is handed out only at its stamp and
 * only for settings with the paths it was pruned for, so a unit of work
 * that started before a reload can neither use nor leave behind a tree
 * that lacks a subtree the new settings keep local. */
#include <string.h>

#include "vcr-running.h"

#define CONFIG(paths) \
  "firewall {\n    name WAN {\n        default-action drop\n    }\n}\n" \
  "high-availability {\n    config-replication {\n" \
  "        authentication {\n            pre-shared-secret \"0123456789abcdef-long\"\n        }\n" \
  "        mode replica\n" \
  "        primary {\n            address 192.0.2.1\n        }\n" \
  "        replicate {\n" paths "        }\n    }\n}\n" \
  "interfaces {\n    ethernet eth0 {\n        address 203.0.113.2/24\n    }\n" \
  "    openvpn vtun0 {\n        mode site-to-site\n    }\n}\n"

#define TWO "            path \"firewall name WAN\"\n            path \"interfaces openvpn\"\n"
#define THREE TWO "            path \"interfaces ethernet\"\n"

static VcrTree *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  VcrTree *tree = vcr_tree_parse (text, strlen (text), VCR_PARSE_DEFAULT, "test", &error);

  g_assert_no_error (error);
  return tree;
}

static VcrSettings *
settings_of (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = parse (text);
  VcrSettings *settings = vcr_settings_from_tree (tree, &error);

  g_assert_no_error (error);
  return settings;
}

static const char *const ethernet[] = { "interfaces", "ethernet", "eth0", NULL };
static const char *const openvpn[] = { "interfaces", "openvpn", NULL };

/* An entry is pruned of exactly its settings' paths and found only at its
 * stamp, for settings with the same paths; taking it empties the cache. */
static void
test_running_stamp_and_paths (void)
{
  g_autoptr(VcrSettings) two = settings_of (CONFIG (TWO));
  g_autoptr(VcrSettings) two_again = settings_of (CONFIG (TWO));
  g_autoptr(VcrSettings) three = settings_of (CONFIG (THREE));
  g_autoptr(VcrRunning) running = vcr_running_new ();
  g_autoptr(GHashTable) digests = NULL;
  g_autoptr(VcrTree) taken = NULL;
  GHashTable *found;

  vcr_running_set_settings (running, two);
  vcr_running_put (running, two, parse (CONFIG (TWO)), g_strdup ("s1"), NULL);
  found = vcr_running_lookup (running, two, "s1");
  g_assert_nonnull (found);
  g_assert_cmpuint (g_hash_table_size (found), ==, 2);
  g_assert_nonnull (g_hash_table_lookup (found, "interfaces openvpn"));
  g_assert_true (vcr_running_peek_digests (running) == found);
  g_assert_null (vcr_running_lookup (running, two, "s2"));
  g_assert_null (vcr_running_lookup (running, two, NULL));
  g_assert_null (vcr_running_lookup (running, three, "s1"));
  g_assert_nonnull (vcr_running_lookup (running, two_again, "s1"));

  g_assert_null (vcr_running_take (running, three, "s1", &digests));
  g_assert_null (digests);
  taken = vcr_running_take (running, two, "s1", &digests);
  g_assert_nonnull (taken);
  g_assert_nonnull (digests);
  /* pruned: the replicate path's node is kept, empty */
  g_assert_cmpuint (vcr_node_get_n_children (vcr_tree_lookup (taken, openvpn)), ==, 0);
  g_assert_cmpuint (vcr_node_get_n_children (vcr_tree_lookup (taken, ethernet)), ==, 1);
  g_assert_null (vcr_running_lookup (running, two, "s1"));
}

/* A receive that started under two paths gives its tree (pruned of two
 * paths only) back after a reload to three: it is not kept, so nothing
 * under the new settings can write the config from a tree that lacks the
 * third path's subtree. The entry the reload made stays. */
static void
test_running_reload_between (void)
{
  g_autoptr(VcrSettings) two = settings_of (CONFIG (TWO));
  g_autoptr(VcrSettings) three = settings_of (CONFIG (THREE));
  g_autoptr(VcrRunning) running = vcr_running_new ();
  g_autoptr(VcrTree) taken = NULL;
  g_autoptr(GHashTable) digests = NULL;
  GHashTable *found;

  vcr_running_set_settings (running, two);
  vcr_running_put (running, two, parse (CONFIG (TWO)), g_strdup ("s1"), NULL);
  taken = vcr_running_take (running, two, "s1", &digests);
  g_assert_nonnull (taken);

  /* the reload */
  vcr_running_set_settings (running, three);
  vcr_running_put (running, three, parse (CONFIG (THREE)), g_strdup ("s2"), NULL);
  /* the receive gives back what it took */
  vcr_running_put (running, two, g_steal_pointer (&taken), g_strdup ("s1"),
                   g_steal_pointer (&digests));
  g_assert_null (vcr_running_lookup (running, two, "s1"));
  g_assert_null (vcr_running_lookup (running, three, "s1"));
  found = vcr_running_lookup (running, three, "s2");
  g_assert_nonnull (found);
  g_assert_cmpuint (g_hash_table_size (found), ==, 3);
  g_assert_true (vcr_running_peek_digests (running) == found);

  /* a reload drops the entry: it was made for the old settings */
  vcr_running_set_settings (running, two);
  g_assert_null (vcr_running_lookup (running, two, "s2"));
  g_assert_null (vcr_running_peek_digests (running));
}

/* The excluded subtrees stay in the pruned copy (a replica keeps them when
 * it takes a snapshot into it), and an entry masked for one set of
 * exclusions is not handed out for another. */
static void
test_running_exclusions (void)
{
  g_autoptr(VcrSettings) excl =
    settings_of (CONFIG (TWO "            exclude \"interfaces openvpn vtun0 mode\"\n"));
  g_autoptr(VcrSettings) two = settings_of (CONFIG (TWO));
  g_autoptr(VcrRunning) running = vcr_running_new ();
  g_autoptr(GHashTable) digests = NULL;
  g_autoptr(VcrTree) taken = NULL;
  const char *const mode[] = { "interfaces", "openvpn", "vtun0", "mode", NULL };
  const char *const vtun0[] = { "interfaces", "openvpn", "vtun0", NULL };

  vcr_running_set_settings (running, excl);
  vcr_running_put (running, excl, parse (CONFIG (TWO)), g_strdup ("s1"), NULL);
  g_assert_null (vcr_running_lookup (running, two, "s1"));
  taken = vcr_running_take (running, excl, "s1", &digests);
  g_assert_nonnull (taken);
  g_assert_nonnull (vcr_tree_lookup (taken, mode));
  g_assert_cmpuint (vcr_node_get_n_children (vcr_tree_lookup (taken, vtun0)), ==, 1);
  g_assert_cmpuint (vcr_node_get_n_children (vcr_tree_lookup (taken, openvpn)), ==, 1);
  /* the digest leaves the exclusion out: vtun0 holds nothing else */
  g_assert_cmpstr (g_hash_table_lookup (digests, "interfaces openvpn"), ==,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Without a stamp only the digests are kept (for the status at start). */
static void
test_running_no_stamp (void)
{
  g_autoptr(VcrSettings) two = settings_of (CONFIG (TWO));
  g_autoptr(VcrRunning) running = vcr_running_new ();
  g_autoptr(GHashTable) digests = NULL;

  vcr_running_set_settings (running, two);
  vcr_running_put (running, two, parse (CONFIG (TWO)), NULL, NULL);
  g_assert_nonnull (vcr_running_peek_digests (running));
  g_assert_null (vcr_running_take (running, two, NULL, &digests));
  g_assert_null (digests);
}

static void
test_running_pending (void)
{
  g_autoptr(VcrRunning) running = vcr_running_new ();
  g_autoptr(GHashTable) pending = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_null (vcr_running_get_pending (running, "firewall name WAN"));
  g_hash_table_insert (pending, "firewall name WAN", "abc");
  vcr_running_set_pending (running, pending);
  g_assert_cmpstr (vcr_running_get_pending (running, "firewall name WAN"), ==, "abc");
  g_assert_null (vcr_running_get_pending (running, "interfaces openvpn"));
  vcr_running_set_pending (running, NULL);
  g_assert_null (vcr_running_get_pending (running, "firewall name WAN"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/running/stamp-and-paths", test_running_stamp_and_paths);
  g_test_add_func ("/running/reload-between", test_running_reload_between);
  g_test_add_func ("/running/no-stamp", test_running_no_stamp);
  g_test_add_func ("/running/exclusions", test_running_exclusions);
  g_test_add_func ("/running/pending", test_running_pending);
  return g_test_run ();
}
