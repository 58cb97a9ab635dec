/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings (SPEC §2): good configs read right, and every refusal names
 * the offending value. Cases are a template with one part replaced. */
#include <string.h>

#include "vcr-error.h"
#include "vcr-settings.h"

#define SECRET "0123456789abcdef-long"

/* A primary; %s is spliced into config-replication. */
static char *
primary_config (const char *mode, const char *paths, const char *peers,
                const char *auth, const char *extra)
{
  return g_strdup_printf ("high-availability {\n"
                          "    config-replication {\n"
                          "%s%s%s%s%s"
                          "    }\n"
                          "}\n"
                          "system {\n    host-name r1\n}\n",
                          mode, paths, peers, auth, extra);
}

#define MODE_P "        mode primary\n"
#define MODE_R "        mode replica\n"
#define PATHS "        replicate {\n            path \"interfaces openvpn\"\n" \
              "            path \"firewall name WAN\"\n        }\n"
#define REPLICAS "        replica Secondary {\n            address 192.0.2.2\n" \
                 "            port 7791\n        }\n" \
                 "        replica third.one {\n            address r3.example.net\n        }\n"
#define PRIMARY "        primary {\n            address \"2001:db8::1\"\n        }\n"
#define AUTH "        authentication {\n            pre-shared-secret \"" SECRET "\"\n        }\n"

static VcrSettings *
read_settings (const char *text, GError **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (text, strlen (text), VCR_PARSE_DEFAULT,
                                            "test", &parse_error);

  g_assert_no_error (parse_error);
  return vcr_settings_from_tree (tree, error);
}

static void
test_settings_primary (void)
{
  g_autofree char *text = primary_config (MODE_P, PATHS, REPLICAS, AUTH,
                                          "        listen-address 192.0.2.1\n"
                                          "        port 7000\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);
  VcrPeerSettings *peer;
  const char *under[] = { "firewall", "name", "WAN", "rule", "10", NULL };
  const char *other[] = { "firewall", "name", "WAN2", NULL };
  const char *const *found;

  g_assert_no_error (error);
  g_assert_cmpint (settings->mode, ==, VCR_MODE_PRIMARY);
  g_assert_cmpstr (vcr_mode_to_string (settings->mode), ==, "primary");
  g_assert_cmpuint (settings->paths->len, ==, 2);
  /* Sorted. */
  g_assert_cmpstr (((char **) g_ptr_array_index (settings->paths, 0))[0], ==, "firewall");
  g_assert_cmpstr (((char **) g_ptr_array_index (settings->paths, 1))[0], ==, "interfaces");
  g_assert_cmpuint (settings->peers->len, ==, 2);
  peer = g_ptr_array_index (settings->peers, 0);
  g_assert_cmpstr (peer->name, ==, "Secondary");
  g_assert_cmpstr (peer->address, ==, "192.0.2.2");
  g_assert_cmpuint (peer->port, ==, 7791);
  peer = g_ptr_array_index (settings->peers, 1);
  g_assert_cmpstr (peer->name, ==, "third.one");
  g_assert_cmpstr (peer->address, ==, "r3.example.net");
  g_assert_cmpuint (peer->port, ==, VCR_DEFAULT_PEER_PORT);
  g_assert_cmpstr (settings->secret, ==, SECRET);
  g_assert_cmpstr (settings->listen_address, ==, "192.0.2.1");
  g_assert_cmpuint (settings->port, ==, 7000);
  g_assert_cmpuint (settings->warnings->len, ==, 0);
  /* The canonical strings, in the order of the sorted paths. */
  g_assert_cmpuint (g_strv_length (settings->path_strings), ==, 2);
  g_assert_cmpstr (settings->path_strings[0], ==, "firewall name WAN");
  g_assert_cmpstr (settings->path_strings[1], ==, "interfaces openvpn");

  found = vcr_settings_find_replicate_path (settings, under);
  g_assert_nonnull (found);
  g_assert_cmpstr (found[2], ==, "WAN");
  g_assert_null (vcr_settings_find_replicate_path (settings, other));
}

static void
test_settings_replica (void)
{
  g_autofree char *text = primary_config (MODE_R, PATHS, PRIMARY, AUTH, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);
  VcrPeerSettings *peer;

  g_assert_no_error (error);
  g_assert_cmpint (settings->mode, ==, VCR_MODE_REPLICA);
  g_assert_cmpuint (settings->peers->len, ==, 1);
  peer = g_ptr_array_index (settings->peers, 0);
  g_assert_cmpstr (peer->name, ==, "primary");
  g_assert_cmpstr (peer->address, ==, "2001:db8::1");
  g_assert_cmpuint (peer->port, ==, VCR_DEFAULT_PEER_PORT);
  g_assert_null (settings->listen_address);
  g_assert_cmpuint (settings->port, ==, VCR_DEFAULT_PEER_PORT);
}

static void
test_settings_disabled (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings =
    read_settings ("high-availability {\n    vrrp {\n    }\n}\n", &error);

  g_assert_no_error (error);
  g_assert_cmpint (settings->mode, ==, VCR_MODE_DISABLED);
  g_assert_cmpuint (settings->paths->len, ==, 0);
  g_assert_nonnull (settings->path_strings);
  g_assert_null (settings->path_strings[0]);
  g_assert_cmpuint (settings->peers->len, ==, 0);
  g_assert_cmpstr (vcr_mode_to_string (VCR_MODE_DISABLED), ==, "disabled");
}

/* Reference-counted: a reference taken by a unit of work keeps the whole
 * object (paths and all) alive after the owner let go; same_paths tells
 * whether two settings replicate the same paths. */
static void
test_settings_ref (void)
{
  g_autofree char *text = primary_config (MODE_R, PATHS, PRIMARY, AUTH, "");
  g_autofree char *other_text = primary_config (MODE_P, PATHS, REPLICAS, AUTH, "");
  g_autofree char *fewer_text =
    primary_config (MODE_R, "        replicate {\n            path \"interfaces openvpn\"\n"
                    "        }\n", PRIMARY, AUTH, "");
  g_autoptr(GError) error = NULL;
  VcrSettings *owner = read_settings (text, &error);
  g_autoptr(VcrSettings) other = read_settings (other_text, &error);
  g_autoptr(VcrSettings) fewer = read_settings (fewer_text, &error);
  g_autoptr(VcrSettings) held = NULL;

  g_assert_no_error (error);
  held = vcr_settings_ref (owner);
  g_assert_true (held == owner);
  vcr_settings_unref (owner);
  g_assert_cmpuint (held->paths->len, ==, 2);
  g_assert_cmpstr (held->path_strings[1], ==, "interfaces openvpn");
  g_assert_true (vcr_settings_same_paths (held, held));
  g_assert_true (vcr_settings_same_paths (held, other));
  g_assert_false (vcr_settings_same_paths (held, fewer));
  g_assert_false (vcr_settings_same_paths (held, NULL));
  /* the same paths with an exclusion: a cache masked for one is not the
   * other's */
  {
    g_autofree char *excl_text =
      primary_config (MODE_R, "        replicate {\n            path \"firewall name WAN\"\n"
                      "            path \"interfaces openvpn\"\n"
                      "            exclude \"interfaces openvpn vtun0 local-host\"\n"
                      "        }\n", PRIMARY, AUTH, "");
    g_autoptr(VcrSettings) excl = read_settings (excl_text, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (excl->exclude_strings[0], ==, "interfaces openvpn vtun0 local-host");
    g_assert_null (excl->exclude_strings[1]);
    g_assert_null (held->exclude_strings[0]);
    g_assert_false (vcr_settings_same_paths (held, excl));
    g_assert_true (vcr_settings_same_paths (excl, excl));
  }
  g_assert_true (vcr_settings_same_paths (NULL, NULL));
  vcr_settings_unref (NULL);
}

static void
test_settings_short_secret (void)
{
  g_autofree char *text = primary_config (MODE_P, PATHS, REPLICAS,
                                          "        authentication {\n"
                                          "            pre-shared-secret qwerty\n"
                                          "        }\n", "");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (settings->warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (settings->warnings, 0), "shorter than 16"));
  /* The warning does not leak the secret. */
  g_assert_null (strstr (g_ptr_array_index (settings->warnings, 0), "qwerty"));
}

/* `allow-protocol-v1` (a valueless leaf): read, and a warning for as
 * long as it is set; absent, v1 is not allowed and nothing is said. */
static void
test_settings_allow_v1 (void)
{
  g_autofree char *text = primary_config (MODE_P, PATHS, REPLICAS, AUTH,
                                          "        allow-protocol-v1\n");
  g_autofree char *without = primary_config (MODE_P, PATHS, REPLICAS, AUTH, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);
  g_autoptr(VcrSettings) plain = NULL;

  g_assert_no_error (error);
  g_assert_true (settings->allow_v1);
  g_assert_cmpuint (settings->warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (settings->warnings, 0), "allow-protocol-v1"));
  g_assert_nonnull (strstr (g_ptr_array_index (settings->warnings, 0), "clear text"));
  g_assert_nonnull (strstr (g_ptr_array_index (settings->warnings, 0), "attacker"));
  plain = read_settings (without, &error);
  g_assert_no_error (error);
  g_assert_false (plain->allow_v1);
  g_assert_cmpuint (plain->warnings->len, ==, 0);
}

/* The seed's own example (SPEC §2), as written. */
static void
test_settings_seed (void)
{
  const char *text =
    "high-availability {\n"
    "    config-replication {\n"
    "        authentication {\n"
    "            pre-shared-secret \"qwerty\"\n"
    "        }\n"
    "        listen-address \"192.0.2.1\"\n"
    "        mode \"primary\"\n"
    "        port \"7790\"\n"
    "        replica Secondary {\n"
    "            address \"192.0.2.2\"\n"
    "            port \"7790\"\n"
    "        }\n"
    "        replicate {\n"
    "            path \"firewall name WAN\"\n"
    "            path \"interfaces openvpn\"\n"
    "        }\n"
    "    }\n"
    "}\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);

  g_assert_no_error (error);
  g_assert_cmpint (settings->mode, ==, VCR_MODE_PRIMARY);
  g_assert_cmpuint (settings->paths->len, ==, 2);
  g_assert_cmpuint (settings->warnings->len, ==, 1);
}

typedef struct {
  const char *name;
  const char *mode;
  const char *paths;
  const char *peers;
  const char *auth;
  const char *extra;
  const char *message;   /* a part of the expected message */
} RefusalCase;

#define PATH1(p) "        replicate {\n            path \"" p "\"\n        }\n"
#define PATH2(p, q) "        replicate {\n            path \"" p "\"\n            path \"" q "\"\n        }\n"
#define EXCL(e) "        replicate {\n            path \"interfaces openvpn\"\n" \
                "            exclude \"" e "\"\n        }\n"
#define EXCL2(e, f) "        replicate {\n            path \"interfaces openvpn\"\n" \
                    "            exclude \"" e "\"\n            exclude \"" f "\"\n        }\n"
#define OVERRIDE(path, value) "        replica R1 {\n            address 192.0.2.2\n" \
                              "            override \"" path "\" {\n" \
                              "                value \"" value "\"\n            }\n        }\n"
#define REPLICA(addr, port) "        replica R1 {\n            address \"" addr "\"\n" \
                            "            port \"" port "\"\n        }\n"

static const RefusalCase refusals[] = {
  { "mode-missing", "", PATHS, REPLICAS, AUTH, "", "mode is missing" },
  { "mode-unknown", "        mode master\n", PATHS, REPLICAS, AUTH, "", "mode \"master\" is unknown" },
  { "mode-twice", "        mode primary\n        mode replica\n", PATHS, REPLICAS, AUTH, "",
    "\"config-replication mode\" is given 2 times (\"primary\" and \"replica\")" },
  { "mode-block", "        mode {\n            primary\n        }\n", PATHS, REPLICAS, AUTH, "",
    "\"config-replication mode\" takes a value, not a block" },
  { "mode-valueless", "        mode\n", PATHS, REPLICAS, AUTH, "", "\"config-replication mode\" has no value" },
  { "no-replicate", MODE_P, "", REPLICAS, AUTH, "", "there is no replicate path" },
  { "replicate-empty-block", MODE_P, "        replicate {\n        }\n", REPLICAS, AUTH, "",
    "there is no replicate path" },
  { "replicate-unknown", MODE_P, "        replicate {\n            paths \"system\"\n        }\n",
    REPLICAS, AUTH, "", "unknown setting \"replicate paths\"" },
  { "path-empty", MODE_P, PATH1 (""), REPLICAS, AUTH, "", "replicate path \"\" is empty" },
  { "path-blank", MODE_P, PATH1 ("   "), REPLICAS, AUTH, "", "replicate path \"   \" is empty" },
  { "path-under", MODE_P, PATH2 ("firewall", "firewall name WAN"), REPLICAS, AUTH, "",
    "replicate path \"firewall name WAN\" lies under replicate path \"firewall\"" },
  { "path-twice", MODE_P, PATH2 ("firewall name WAN", "firewall  name WAN"), REPLICAS, AUTH, "",
    "replicate path \"firewall name WAN\" is given twice" },
  { "path-settings", MODE_P, PATH1 ("high-availability config-replication"), REPLICAS, AUTH, "",
    "replicate path \"high-availability config-replication\" overlaps" },
  { "path-contains-settings", MODE_P, PATH1 ("high-availability"), REPLICAS, AUTH, "",
    "replicate path \"high-availability\" overlaps" },
  { "path-under-settings", MODE_P, PATH1 ("high-availability config-replication replicate"),
    REPLICAS, AUTH, "", "replicate path \"high-availability config-replication replicate\" overlaps" },
  { "primary-no-replica", MODE_P, PATHS, "", AUTH, "", "mode is primary but no replica is set" },
  { "primary-with-primary", MODE_P, PATHS, REPLICAS PRIMARY, AUTH, "",
    "mode is primary but \"primary\" is set" },
  { "primary-replica-value", MODE_P, PATHS, "        replica Secondary\n", AUTH, "",
    "\"replica Secondary\" needs a block" },
  { "replica-no-primary", MODE_R, PATHS, "", AUTH, "", "there is no primary address" },
  { "replica-with-replica", MODE_R, PATHS, PRIMARY REPLICAS, AUTH, "",
    "mode is replica but \"replica\" is set" },
  { "replica-primary-no-address", MODE_R, PATHS, "        primary {\n            port 7790\n        }\n",
    AUTH, "", "\"primary\" has no address" },
  { "replica-name-long", MODE_P, PATHS,
    "        replica a1234567890123456789012345678901234567890123456789012345678901234 {\n"
    "            address 192.0.2.2\n        }\n", AUTH, "",
    "replica name \"a1234567890123456789012345678901234567890123456789012345678901234\"" },
  { "replica-name-chars", MODE_P, PATHS,
    "        replica \"a:b\" {\n            address 192.0.2.2\n        }\n", AUTH, "",
    "replica name \"a:b\"" },
  { "replica-unknown", MODE_P, PATHS,
    "        replica R1 {\n            adress 192.0.2.2\n        }\n", AUTH, "",
    "unknown setting \"replica R1 adress\"" },
  { "replica-same-target", MODE_P, PATHS,
    "        replica A {\n            address 192.0.2.2\n        }\n"
    "        replica B {\n            address 192.0.2.2\n            port 7790\n        }\n", AUTH, "",
    "replicas \"A\" and \"B\" both point to 192.0.2.2 port 7790" },
  { "secret-missing", MODE_P, PATHS, REPLICAS, "", "", "the secret is missing" },
  { "secret-empty", MODE_P, PATHS, REPLICAS,
    "        authentication {\n            pre-shared-secret \"\"\n        }\n", "", "the secret is missing" },
  { "secret-twice", MODE_P, PATHS, REPLICAS,
    "        authentication {\n            pre-shared-secret \"" SECRET "\"\n"
    "            pre-shared-secret \"" SECRET "x\"\n        }\n", "",
    "\"authentication pre-shared-secret\" is given more than once" },
  { "auth-unknown", MODE_P, PATHS, REPLICAS,
    "        authentication {\n            secret \"" SECRET "\"\n        }\n", "",
    "unknown setting \"authentication secret\"" },
  { "address-bad-ipv4", MODE_P, PATHS, REPLICA ("192.0.2.300", "7790"), AUTH, "",
    "\"replica R1 address\" \"192.0.2.300\" is not an IPv4 address, an IPv6 address or a host name" },
  { "address-bad-name", MODE_P, PATHS, REPLICA ("-r1.example", "7790"), AUTH, "", "\"-r1.example\" is not" },
  { "address-space", MODE_P, PATHS, REPLICA ("r1 example", "7790"), AUTH, "", "\"r1 example\" is not" },
  { "address-empty", MODE_P, PATHS, REPLICA ("", "7790"), AUTH, "", "\"\" is not" },
  { "address-bad-ipv6", MODE_P, PATHS, REPLICA ("2001:db8:::1", "7790"), AUTH, "", "\"2001:db8:::1\" is not" },
  { "address-underscore", MODE_P, PATHS, REPLICA ("r_1.example", "7790"), AUTH, "", "\"r_1.example\" is not" },
  { "port-zero", MODE_P, PATHS, REPLICA ("192.0.2.2", "0"), AUTH, "",
    "\"replica R1 port\" \"0\" is not a port number (1-65535)" },
  { "port-big", MODE_P, PATHS, REPLICA ("192.0.2.2", "65536"), AUTH, "", "\"65536\" is not a port number" },
  { "port-word", MODE_P, PATHS, REPLICA ("192.0.2.2", "http"), AUTH, "", "\"http\" is not a port number" },
  { "port-negative", MODE_P, PATHS, REPLICA ("192.0.2.2", "-1"), AUTH, "", "\"-1\" is not a port number" },
  { "port-plus", MODE_P, PATHS, REPLICA ("192.0.2.2", "+80"), AUTH, "", "\"+80\" is not a port number" },
  { "listen-port", MODE_P, PATHS, REPLICAS, AUTH, "        port 70000\n",
    "\"port\" \"70000\" is not a port number" },
  { "listen-name", MODE_P, PATHS, REPLICAS, AUTH, "        listen-address r1.example\n",
    "\"listen-address\" \"r1.example\" is not an IPv4 or IPv6 address" },
  { "unknown-top", MODE_P, PATHS, REPLICAS, AUTH, "        listen-adress 192.0.2.1\n",
    "unknown setting \"config-replication listen-adress\"" },
  { "allow-v1-value", MODE_P, PATHS, REPLICAS, AUTH, "        allow-protocol-v1 yes\n",
    "\"allow-protocol-v1\" takes no value" },
  { "allow-v1-block", MODE_P, PATHS, REPLICAS, AUTH,
    "        allow-protocol-v1 {\n            always\n        }\n",
    "\"allow-protocol-v1\" takes no value" },
  { "allow-v1-typo", MODE_P, PATHS, REPLICAS, AUTH, "        allow-protocol-v2\n",
    "unknown setting \"config-replication allow-protocol-v2\"" },
  /* Found by fuzz-settings: paths no replica takes, and messages that
   * were not UTF-8 (D-Bus refuses them). */
  { "path-control", MODE_P, PATH1 ("firewall name W\001N"), REPLICAS, AUTH, "",
    "holds a control or white-space character or is not UTF-8" },
  { "path-nbsp", MODE_P, PATH1 ("firewall name\302\240WAN"), REPLICAS, AUTH, "",
    "holds a control or white-space character or is not UTF-8" },
  { "path-not-utf8", MODE_P, PATH1 ("firewall name W\377N"), REPLICAS, AUTH, "",
    "holds a control or white-space character or is not UTF-8" },
  { "mode-not-utf8", "        mode \"prim\377ary\"\n", PATHS, REPLICAS, AUTH, "",
    "\" is unknown" },
  /* exclusions and overrides */
  { "exclude-outside", MODE_P, EXCL ("system host-name"), REPLICAS, AUTH, "",
    "exclusion \"system host-name\" does not lie under a replicate path" },
  { "exclude-whole-path", MODE_P, EXCL ("interfaces openvpn"), REPLICAS, AUTH, "",
    "exclusion \"interfaces openvpn\" does not lie under a replicate path" },
  { "exclude-twice", MODE_P, EXCL2 ("interfaces openvpn vtun0", "interfaces  openvpn vtun0"),
    REPLICAS, AUTH, "", "exclusion \"interfaces  openvpn vtun0\" is given twice" },
  { "exclude-nested", MODE_P,
    EXCL2 ("interfaces openvpn vtun0 local-host", "interfaces openvpn vtun0"), REPLICAS, AUTH, "",
    "exclusion \"interfaces openvpn vtun0 local-host\" lies under exclusion \"interfaces openvpn vtun0\"" },
  { "exclude-empty", MODE_P, EXCL (" "), REPLICAS, AUTH, "", "replicate exclude \" \" is empty" },
  { "exclude-block", MODE_P,
    "        replicate {\n            path \"interfaces openvpn\"\n"
    "            exclude {\n                x\n            }\n        }\n", REPLICAS, AUTH, "",
    "\"replicate exclude\" takes values, not a block" },
  { "override-outside", MODE_P, PATHS, OVERRIDE ("system host-name", "r2"), AUTH, "",
    "override \"system host-name\" of replica R1 does not lie under a replicate path" },
  { "override-excluded", MODE_P, EXCL ("interfaces openvpn vtun0"),
    OVERRIDE ("interfaces openvpn vtun0 local-host", "10.0.0.2"), AUTH, "",
    "override \"interfaces openvpn vtun0 local-host\" of replica R1 lies under exclusion "
    "\"interfaces openvpn vtun0\"" },
  { "override-no-value", MODE_P, PATHS,
    "        replica R1 {\n            address 192.0.2.2\n"
    "            override \"firewall name WAN default-action\" {\n            }\n        }\n",
    AUTH, "", "\"replica R1 override firewall name WAN default-action\" has no value" },
  { "override-unknown", MODE_P, PATHS,
    "        replica R1 {\n            address 192.0.2.2\n"
    "            override \"firewall name WAN default-action\" {\n                values drop\n"
    "            }\n        }\n",
    AUTH, "", "unknown setting \"replica R1 override firewall name WAN default-action values\"" },
  { "override-twice", MODE_P, PATHS,
    "        replica R1 {\n            address 192.0.2.2\n"
    "            override \"firewall name WAN default-action\" {\n                value drop\n"
    "            }\n"
    "            override \"firewall  name WAN default-action\" {\n                value reject\n"
    "            }\n        }\n",
    AUTH, "", "override \"firewall name WAN default-action\" of replica R1 is given twice" },
  { "override-nested", MODE_P, PATHS,
    "        replica R1 {\n            address 192.0.2.2\n"
    "            override \"firewall name WAN rule 10\" {\n                value x\n"
    "            }\n"
    "            override \"firewall name WAN rule 10 action\" {\n                value drop\n"
    "            }\n        }\n",
    AUTH, "", "override \"firewall name WAN rule 10 action\" of replica R1 lies under override "
    "\"firewall name WAN rule 10\"" },
  { "override-bare", MODE_P, PATHS,
    "        replica R1 {\n            address 192.0.2.2\n            override x\n        }\n",
    AUTH, "", "\"replica R1 override\" takes a leaf's path and a value" },
};

static void
test_settings_refusal (gconstpointer data)
{
  const RefusalCase *c = data;
  g_autofree char *text = primary_config (c->mode, c->paths, c->peers, c->auth, c->extra);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);

  g_assert_null (settings);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS);
  g_test_message ("message: %s; expected part: %s", error->message, c->message);
  g_assert_nonnull (strstr (error->message, c->message));
  g_assert_null (strstr (error->message, SECRET));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* Values that must pass. */
static void
test_settings_good_values (void)
{
  const char *peers[] = {
    REPLICA ("192.0.2.2", "1"),
    REPLICA ("2001:db8::2", "65535"),
    REPLICA ("r1", "7790"),
    REPLICA ("r-1.example.net", "7790"),
    REPLICA ("192.0.2.2.example", "7790"),
  };
  const char *paths[] = {
    PATH1 ("high-availability vrrp"),
    PATH2 ("firewall name WAN", "firewall name WAN2"),
    PATH1 ("  interfaces   openvpn "),
  };

  for (gsize i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_autofree char *text = primary_config (MODE_P, PATHS, peers[i], AUTH, "");
      g_autoptr(GError) error = NULL;
      g_autoptr(VcrSettings) settings = read_settings (text, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (settings->peers->len, ==, 1);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *text = primary_config (MODE_P, paths[i], REPLICAS, AUTH,
                                              "        listen-address \"::1\"\n");
      g_autoptr(GError) error = NULL;
      g_autoptr(VcrSettings) settings = read_settings (text, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (settings->listen_address, ==, "::1");
    }
}

/* Exclusions under a replicate path, overrides of leaves for one replica;
 * a replica names no overrides (it has no "replica" nodes). */
static void
test_settings_excludes_overrides (void)
{
  g_autofree char *text = primary_config (
    MODE_P,
    "        replicate {\n"
    "            exclude \"interfaces openvpn vtun0 local-host\"\n"
    "            exclude \"firewall name WAN rule 10 description\"\n"
    "            path \"interfaces openvpn\"\n"
    "            path \"firewall name WAN\"\n"
    "        }\n",
    "        replica R1 {\n            address 192.0.2.2\n"
    "            override \"interfaces openvpn vtun0 remote-host\" {\n"
    "                value 10.0.0.1\n                value 10.0.0.9\n            }\n"
    "            override \"firewall name WAN default-action\" {\n"
    "                value accept\n            }\n"
    "        }\n"
    "        replica R2 {\n            address 192.0.2.3\n        }\n",
    AUTH, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);
  const char *inside[] = { "interfaces", "openvpn", "vtun0", "local-host", "x", NULL };
  const char *beside[] = { "interfaces", "openvpn", "vtun0", "remote-host", NULL };
  const char *wan[] = { "firewall", "name", "WAN", NULL };
  g_autoptr(GPtrArray) under_wan = NULL;
  VcrPeerSettings *r1, *r2;
  VcrOverride *o;

  g_assert_no_error (error);
  g_assert_cmpuint (settings->excludes->len, ==, 2);
  /* sorted: firewall before interfaces */
  g_assert_cmpstr (((char **) g_ptr_array_index (settings->excludes, 0))[0], ==, "firewall");
  g_assert_nonnull (vcr_settings_find_exclude (settings, inside));
  g_assert_null (vcr_settings_find_exclude (settings, beside));
  under_wan = vcr_settings_excludes_under (settings, wan);
  g_assert_cmpuint (under_wan->len, ==, 1);
  r1 = g_ptr_array_index (settings->peers, 0);
  r2 = g_ptr_array_index (settings->peers, 1);
  g_assert_cmpuint (r1->overrides->len, ==, 2);
  g_assert_cmpuint (r2->overrides->len, ==, 0);
  o = g_ptr_array_index (r1->overrides, 1);
  g_assert_cmpstr (o->path[3], ==, "remote-host");
  g_assert_cmpuint (g_strv_length (o->values), ==, 2);
  g_assert_cmpstr (o->values[1], ==, "10.0.0.9");
  /* both replicas named by IP addresses: no warning */
  g_assert_cmpuint (settings->warnings->len, ==, 0);
}

/* Which replica a request comes from: by IP address, an IPv4-mapped
 * IPv6 address as the IPv4 one, IPv6 in any spelling; a host name never. */
static void
test_settings_peer_at (void)
{
  g_autofree char *text = primary_config (
    MODE_P, PATHS,
    "        replica R1 {\n            address 192.0.2.2\n        }\n"
    "        replica R2 {\n            address 2001:db8::2\n        }\n"
    "        replica R3 {\n            address r3.example.net\n        }\n",
    AUTH, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);
  const VcrPeerSettings *p;

  g_assert_no_error (error);
  p = vcr_settings_peer_at (settings, "192.0.2.2");
  g_assert_nonnull (p);
  g_assert_cmpstr (p->name, ==, "R1");
  p = vcr_settings_peer_at (settings, "::ffff:192.0.2.2");
  g_assert_nonnull (p);
  g_assert_cmpstr (p->name, ==, "R1");
  p = vcr_settings_peer_at (settings, "2001:0db8:0:0::2");
  g_assert_nonnull (p);
  g_assert_cmpstr (p->name, ==, "R2");
  g_assert_null (vcr_settings_peer_at (settings, "192.0.2.3"));
  g_assert_null (vcr_settings_peer_at (settings, "r3.example.net"));
  g_assert_null (vcr_settings_peer_at (settings, ""));
  g_assert_null (vcr_settings_peer_at (settings, NULL));
}

/* A replica with overrides named by a host name: accepted, with a
 * warning (the primary knows a replica's own GET only by its address). */
static void
test_settings_override_host_name (void)
{
  g_autofree char *text = primary_config (
    MODE_P, PATHS,
    "        replica R1 {\n            address r1.example.net\n"
    "            override \"firewall name WAN default-action\" {\n"
    "                value accept\n            }\n"
    "        }\n"
    "        replica R2 {\n            address r2.example.net\n        }\n",
    AUTH, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSettings) settings = read_settings (text, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (settings->warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (settings->warnings, 0),
                            "replica R1 has overrides but its address \"r1.example.net\""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/settings/excludes-overrides", test_settings_excludes_overrides);
  g_test_add_func ("/settings/override-host-name", test_settings_override_host_name);
  g_test_add_func ("/settings/peer-at", test_settings_peer_at);
  g_test_add_func ("/settings/primary", test_settings_primary);
  g_test_add_func ("/settings/replica", test_settings_replica);
  g_test_add_func ("/settings/disabled", test_settings_disabled);
  g_test_add_func ("/settings/ref", test_settings_ref);
  g_test_add_func ("/settings/short-secret", test_settings_short_secret);
  g_test_add_func ("/settings/allow-v1", test_settings_allow_v1);
  g_test_add_func ("/settings/seed", test_settings_seed);
  g_test_add_func ("/settings/good-values", test_settings_good_values);
  for (gsize i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree char *name = g_strdup_printf ("/settings/refuse/%s", refusals[i].name);

      g_test_add_data_func (name, &refusals[i], test_settings_refusal);
    }
  return g_test_run ();
}
