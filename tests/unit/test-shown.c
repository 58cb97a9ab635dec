/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The properties as last announced (daemon/vcr-shown.c): all of them the
 * first time, then exactly those whose value changed, any field of it.
 */
#include "config.h"

#include "vcr-shown.h"

static const char *const two[] = { "firewall name WAN", "interfaces openvpn", NULL };
static const char *const three[] = { "firewall name WAN", "interfaces openvpn", "protocols", NULL };

static char *
names (GPtrArray *changed)
{
  g_ptr_array_add (changed, NULL);
  return g_strjoinv (",", (char **) changed->pdata);
}

static char *
update (VcrShown *shown, const VcrShownValues *values)
{
  g_autoptr(GPtrArray) changed = vcr_shown_update (shown, values);
  return names (changed);
}

static void
test_changes (void)
{
  g_autoptr(VcrShown) shown = vcr_shown_new ();
  g_autoptr(GPtrArray) peers = g_ptr_array_new ();
  VcrPeerStatus peer = { "primary", "192.0.2.1:7790", "error", 0, 0, "refused" };
  VcrShownValues v = { "replica", "out-of-sync", two, 0, peers, "127.0.0.1:7790", NULL };
  char *got;

  g_ptr_array_add (peers, &peer);
  got = update (shown, &v);
  g_assert_cmpstr (got, ==, "Mode,State,ReplicatedPaths,Generation,Peers,ListenAddress,Warnings");
  g_free (got);
  got = update (shown, &v);
  g_assert_cmpstr (got, ==, "");
  g_free (got);
  v.generation = 1;   /* a replica applied a snapshot */
  got = update (shown, &v);
  g_assert_cmpstr (got, ==, "Generation");
  g_free (got);
  peer.last_success = 42;   /* one field of one peer */
  got = update (shown, &v);
  g_assert_cmpstr (got, ==, "Peers");
  g_free (got);
  v.replicated_paths = three;
  v.listen_address = "";
  got = update (shown, &v);
  g_assert_cmpstr (got, ==, "ReplicatedPaths,ListenAddress");
  g_free (got);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shown/changes", test_changes);
  return g_test_run ();
}
