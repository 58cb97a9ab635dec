/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exclusions and overrides (lib/vcr-mask.c): what a replicate path's
 * snapshot text leaves out and sets, that two routers differing only
 * under an exclusion agree, and that a replica which puts a masked
 * snapshot into its config keeps its own excluded values and then
 * computes the primary's text.
 */
#include <string.h>

#include "vcr-mask.h"
#include "vcr-path.h"
#include "vcr-test-util.h"

#define OVPN(local, extra) \
  "interfaces {\n" \
  "    openvpn vtun0 {\n" \
  "        local-host " local "\n" \
  "        mode site-to-site\n" \
  extra \
  "        remote-host 203.0.113.7\n" \
  "    }\n" \
  "}\n"

static const char *const ovpn[] = { "interfaces", "openvpn", NULL };
static const char *const local_host[] = { "interfaces", "openvpn", "vtun0", "local-host", NULL };
static const char *const remote_host[] = { "interfaces", "openvpn", "vtun0", "remote-host", NULL };

static GPtrArray *
excludes_local_host (void)
{
  GPtrArray *excludes = g_ptr_array_new ();

  g_ptr_array_add (excludes, (gpointer) local_host);
  return excludes;
}

static void
test_mask_none_is_plain (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse_default (OVPN ("198.51.100.1", ""));
  g_autofree char *plain = vcr_path_snapshot_text (tree, ovpn);
  g_autofree char *masked = vcr_mask_snapshot_text (tree, ovpn, NULL, NULL);
  g_autoptr(GPtrArray) empty = g_ptr_array_new ();
  g_autofree char *masked_empty = vcr_mask_snapshot_text (tree, ovpn, empty, empty);

  g_assert_cmpstr (masked, ==, plain);
  g_assert_cmpstr (masked_empty, ==, plain);
}

static void
test_mask_exclude (void)
{
  g_autoptr(VcrTree) a = vcr_test_parse_default (OVPN ("198.51.100.1", ""));
  g_autoptr(VcrTree) b = vcr_test_parse_default (OVPN ("198.51.100.2", ""));
  g_autoptr(VcrTree) c = vcr_test_parse_default (OVPN ("198.51.100.1", "        persistent-tunnel\n"));
  g_autoptr(GPtrArray) excludes = excludes_local_host ();
  g_autofree char *text_a = vcr_mask_snapshot_text (a, ovpn, excludes, NULL);
  g_autofree char *text_b = vcr_mask_snapshot_text (b, ovpn, excludes, NULL);

  g_assert_null (strstr (text_a, "local-host"));
  g_assert_nonnull (strstr (text_a, "remote-host \"203.0.113.7\""));
  g_assert_cmpstr (text_a, ==, text_b);
  g_assert_true (vcr_mask_subtree_equal (a, b, ovpn, excludes));
  g_assert_false (vcr_tree_subtree_equal (a, b, ovpn));
  /* a change beside the exclusion still counts */
  g_assert_false (vcr_mask_subtree_equal (a, c, ovpn, excludes));
}

static void
test_mask_override (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse_default (OVPN ("198.51.100.1", ""));
  const char *remote_values[] = { "203.0.113.8", "203.0.113.9", NULL };
  const char *port_values[] = { "1195", NULL };
  const char *const local_port[] = { "interfaces", "openvpn", "vtun0", "local-port", NULL };
  VcrOverride remote = { (GStrv) remote_host, (GStrv) remote_values };
  VcrOverride port = { (GStrv) local_port, (GStrv) port_values };
  g_autoptr(GPtrArray) overrides = g_ptr_array_new ();
  g_autofree char *text = NULL;
  g_autoptr(VcrTree) reread = NULL;
  g_autofree char *before = vcr_path_snapshot_text (tree, ovpn);

  g_ptr_array_add (overrides, &port);
  g_ptr_array_add (overrides, &remote);
  text = vcr_mask_snapshot_text (tree, ovpn, NULL, overrides);
  g_assert_null (strstr (text, "203.0.113.7"));
  g_assert_nonnull (strstr (text, "remote-host \"203.0.113.8\"\n"));
  g_assert_nonnull (strstr (text, "remote-host \"203.0.113.9\"\n"));
  /* an absent leaf is created */
  g_assert_nonnull (strstr (text, "local-port \"1195\"\n"));
  /* the source tree is untouched */
  {
    g_autofree char *after = vcr_path_snapshot_text (tree, ovpn);
    g_assert_cmpstr (after, ==, before);
  }
  /* what a replica receives parses as a snapshot text of the path */
  reread = vcr_test_parse (text, VCR_PARSE_DEFAULT);
  g_assert_true (vcr_tree_is_within (reread, ovpn));
}

/* An override replaces a node with its leaf (values only, children gone),
 * and changes nothing where the leaf's parent is absent: the subtree it
 * would belong to is not there, and its ancestors' shape is unknown. */
static void
test_mask_override_shape (void)
{
  g_autoptr(VcrTree) tree = vcr_test_parse_default (
    OVPN ("198.51.100.1", "        tls {\n            role active\n        }\n"));
  const char *const tls[] = { "interfaces", "openvpn", "vtun0", "tls", NULL };
  const char *const other[] = { "interfaces", "openvpn", "vtun1", "remote-host", NULL };
  const char *values[] = { "passive", NULL };
  VcrOverride on_node = { (GStrv) tls, (GStrv) values };
  VcrOverride no_parent = { (GStrv) other, (GStrv) values };
  g_autoptr(GPtrArray) overrides = g_ptr_array_new ();
  g_autofree char *plain = vcr_path_snapshot_text (tree, ovpn);
  g_autofree char *text = NULL;
  g_autofree char *untouched = NULL;

  g_ptr_array_add (overrides, &on_node);
  text = vcr_mask_snapshot_text (tree, ovpn, NULL, overrides);
  g_assert_nonnull (strstr (text, "        tls \"passive\"\n"));
  g_assert_null (strstr (text, "role"));
  g_ptr_array_set_size (overrides, 0);
  g_ptr_array_add (overrides, &no_parent);
  untouched = vcr_mask_snapshot_text (tree, ovpn, NULL, overrides);
  g_assert_cmpstr (untouched, ==, plain);
}

/* What a replica keeps of its own: the excluded subtrees alone, the rest
 * of its config with them still in place, a graft that leaves them, and a
 * snapshot text that carries one. */
static void
test_mask_local_helpers (void)
{
  g_autoptr(VcrTree) replica = vcr_test_parse_default (OVPN ("198.51.100.2", "")
                                                       "system {\n    host-name r2\n}\n");
  g_autoptr(VcrTree) primary = vcr_test_parse_default (OVPN ("198.51.100.1", "        persistent-tunnel\n"));
  g_autoptr(GPtrArray) excludes = excludes_local_host ();
  g_autoptr(VcrTree) local = vcr_mask_take_local (replica, excludes);
  g_autofree char *local_text = vcr_test_render (local, VCR_FORMAT_BOOT);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) settings_tree = vcr_test_parse_default (
    "high-availability {\n    config-replication {\n"
    "        authentication {\n            pre-shared-secret \"0123456789abcdef-long\"\n        }\n"
    "        mode replica\n        primary {\n            address 192.0.2.1\n        }\n"
    "        replicate {\n            exclude \"interfaces openvpn vtun0 local-host\"\n"
    "            path \"interfaces openvpn\"\n        }\n    }\n}\n");
  g_autoptr(VcrSettings) settings = vcr_settings_from_tree (settings_tree, &error);
  g_autoptr(VcrTree) pruned = NULL;
  g_autofree char *pruned_text = NULL;
  g_autoptr(VcrTree) grafted = vcr_tree_copy (replica);
  g_autofree char *grafted_text = NULL;
  g_autoptr(VcrTree) sent = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (local_text, ==, "interfaces {\n    openvpn vtun0 {\n"
                   "        local-host \"198.51.100.2\"\n    }\n}\n");
  pruned = vcr_mask_copy_pruned (replica, settings);
  pruned_text = vcr_test_render (pruned, VCR_FORMAT_BOOT);
  g_assert_nonnull (strstr (pruned_text, "local-host \"198.51.100.2\""));
  g_assert_null (strstr (pruned_text, "remote-host"));
  g_assert_nonnull (strstr (pruned_text, "host-name \"r2\""));

  vcr_mask_graft (grafted, primary, ovpn, excludes);
  grafted_text = vcr_test_render (grafted, VCR_FORMAT_BOOT);
  g_assert_nonnull (strstr (grafted_text, "local-host \"198.51.100.2\""));
  g_assert_nonnull (strstr (grafted_text, "persistent-tunnel"));
  /* excludes elsewhere are ignored: a plain graft */
  {
    const char *const *fw[] = { (const char *const[]) { "firewall", "x", NULL } };
    g_autoptr(GPtrArray) elsewhere = g_ptr_array_new ();
    g_autoptr(VcrTree) plain = vcr_tree_copy (replica);

    g_ptr_array_add (elsewhere, (gpointer) fw[0]);
    vcr_mask_graft (plain, primary, ovpn, elsewhere);
    g_assert_true (vcr_tree_subtree_equal (plain, primary, ovpn));
  }

  g_assert_true (vcr_mask_find_carried (primary, excludes) ==
                 g_ptr_array_index (excludes, 0));
  {
    g_autofree char *masked = vcr_mask_snapshot_text (primary, ovpn, excludes, NULL);
    sent = vcr_test_parse (masked, VCR_PARSE_DEFAULT);
  }
  g_assert_null (vcr_mask_find_carried (sent, excludes));
  g_assert_null (vcr_mask_find_carried (sent, NULL));
}

/* The primary sends its masked text; the replica grafts it into its own
 * config, keeps its own local-host, and then computes the same text. */
static void
test_mask_keep_local_round_trip (void)
{
  g_autoptr(VcrTree) primary = vcr_test_parse_default (OVPN ("198.51.100.1", "        persistent-tunnel\n"));
  g_autoptr(VcrTree) replica = vcr_test_parse_default (OVPN ("198.51.100.2", "")
                                                       "system {\n    host-name r2\n}\n");
  g_autoptr(VcrTree) bare = vcr_test_parse_default ("interfaces {\n    openvpn vtun0 {\n"
                                                    "        mode site-to-site\n    }\n}\n");
  g_autoptr(GPtrArray) excludes = excludes_local_host ();
  g_autofree char *sent = vcr_mask_snapshot_text (primary, ovpn, excludes, NULL);
  g_autoptr(VcrTree) snapshot = vcr_test_parse (sent, VCR_PARSE_DEFAULT);
  g_autoptr(VcrTree) incoming = vcr_tree_copy (replica);
  g_autofree char *computed = NULL;
  g_autofree char *rendered = NULL;

  vcr_tree_graft (incoming, snapshot, ovpn);
  vcr_mask_keep_local (incoming, replica, excludes);
  computed = vcr_mask_snapshot_text (incoming, ovpn, excludes, NULL);
  g_assert_cmpstr (computed, ==, sent);
  rendered = vcr_test_render (incoming, VCR_FORMAT_BOOT);
  g_assert_nonnull (strstr (rendered, "local-host \"198.51.100.2\""));
  g_assert_nonnull (strstr (rendered, "persistent-tunnel"));
  g_assert_nonnull (strstr (rendered, "host-name \"r2\""));

  /* a replica without its own value keeps none, even if the text had one */
  {
    g_autoptr(VcrTree) with_local = vcr_test_parse_default (OVPN ("198.51.100.1", ""));
    g_autoptr(VcrTree) target = vcr_tree_copy (bare);

    vcr_tree_graft (target, with_local, ovpn);
    vcr_mask_keep_local (target, bare, excludes);
    g_assert_null (vcr_tree_lookup (target, local_host));
  }
}

/* Every replicate path in the settings' order, masked per replica. */
static void
test_mask_path_texts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_test_parse_default (
    "high-availability {\n    config-replication {\n"
    "        authentication {\n            pre-shared-secret \"0123456789abcdef-long\"\n        }\n"
    "        mode primary\n"
    "        replica R1 {\n            address 192.0.2.2\n"
    "            override \"interfaces openvpn vtun0 remote-host\" {\n"
    "                value 203.0.113.99\n            }\n        }\n"
    "        replica R2 {\n            address 192.0.2.3\n        }\n"
    "        replicate {\n            exclude \"interfaces openvpn vtun0 local-host\"\n"
    "            path \"interfaces openvpn\"\n            path \"firewall name WAN\"\n        }\n"
    "    }\n}\n"
    OVPN ("198.51.100.1", ""));
  g_autoptr(VcrSettings) settings = vcr_settings_from_tree (tree, &error);
  g_autoptr(GPtrArray) r1 = NULL;
  g_autoptr(GPtrArray) r2 = NULL;
  g_autoptr(GPtrArray) none = NULL;
  const VcrPathText *fw, *vpn1, *vpn2;

  g_assert_no_error (error);
  r1 = vcr_mask_path_texts (tree, settings, g_ptr_array_index (settings->peers, 0));
  r2 = vcr_mask_path_texts (tree, settings, g_ptr_array_index (settings->peers, 1));
  none = vcr_mask_path_texts (tree, settings, NULL);
  g_assert_cmpuint (r1->len, ==, 2);
  fw = g_ptr_array_index (r1, 0);
  g_assert_cmpstr (fw->path, ==, "firewall name WAN");
  g_assert_cmpstr (fw->text, ==, "");
  g_assert_cmpstr (fw->digest, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  vpn1 = g_ptr_array_index (r1, 1);
  vpn2 = g_ptr_array_index (r2, 1);
  g_assert_cmpuint (vpn1->length, ==, strlen (vpn1->text));
  g_assert_nonnull (strstr (vpn1->text, "203.0.113.99"));
  g_assert_null (strstr (vpn1->text, "local-host"));
  g_assert_null (strstr (vpn2->text, "203.0.113.99"));
  g_assert_cmpstr (vpn1->digest, !=, vpn2->digest);
  g_assert_cmpstr (((VcrPathText *) g_ptr_array_index (none, 1))->digest, ==, vpn2->digest);

  /* The digests alone agree with the texts, path by path. */
  for (guint p = 0; p < 2; p++)
    {
      g_autoptr(GHashTable) digests =
        vcr_mask_path_digests (tree, settings, p == 0 ? g_ptr_array_index (settings->peers, 0) : NULL);
      GPtrArray *texts = p == 0 ? r1 : none;

      g_assert_cmpuint (g_hash_table_size (digests), ==, texts->len);
      for (guint i = 0; i < texts->len; i++)
        {
          const VcrPathText *t = g_ptr_array_index (texts, i);
          g_assert_cmpstr (g_hash_table_lookup (digests, t->path), ==, t->digest);
        }
    }
}

/* Both sides must leave the same parts out: equal sets in any order pass,
 * the message names what only one side excludes. */
static void
test_mask_excludes_differ (void)
{
  const char *const ab[] = { "a b", "c d", NULL };
  const char *const ba[] = { "c d", "a b", NULL };
  const char *const ae[] = { "a b", "e f", "g h", NULL };
  const char *const none[] = { NULL };
  g_autofree char *same = vcr_mask_excludes_differ (ab, "the snapshot", ba, "this replica");
  g_autofree char *empty = vcr_mask_excludes_differ (NULL, "the snapshot", none, "this replica");
  g_autofree char *differ = vcr_mask_excludes_differ (ab, "the snapshot", ae, "this replica");
  g_autofree char *one_side = vcr_mask_excludes_differ (NULL, "the snapshot", ab, "this replica");

  g_assert_null (same);
  g_assert_null (empty);
  g_assert_cmpstr (differ, ==, "exclusions differ: the snapshot excludes \"c d\" and this "
                   "replica does not; this replica excludes \"e f\", \"g h\" and the snapshot "
                   "does not");
  g_assert_cmpstr (one_side, ==, "exclusions differ: this replica excludes \"a b\", \"c d\" "
                   "and the snapshot does not");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mask/none-is-plain", test_mask_none_is_plain);
  g_test_add_func ("/mask/exclude", test_mask_exclude);
  g_test_add_func ("/mask/override", test_mask_override);
  g_test_add_func ("/mask/override-shape", test_mask_override_shape);
  g_test_add_func ("/mask/local-helpers", test_mask_local_helpers);
  g_test_add_func ("/mask/keep-local-round-trip", test_mask_keep_local_round_trip);
  g_test_add_func ("/mask/path-texts", test_mask_path_texts);
  g_test_add_func ("/mask/excludes-differ", test_mask_excludes_differ);
  return g_test_run ();
}
