/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replication settings (SPEC §2): reads `high-availability
 * config-replication` from the router's config tree into a VcrSettings and
 * refuses anything an operator could get wrong, with a message that names
 * the offending value. There is no VyOS schema behind these nodes on every
 * router, so this file is that schema: unknown names (typos), values given
 * twice, values where a block is expected and the reverse are all refused
 * rather than silently ignored. The secret is never echoed in a message.
 */
#define G_LOG_DOMAIN "vcr-settings"

#include "vcr-settings.h"

#include <arpa/inet.h>
#include <string.h>

#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-snapshot.h"

#define SETTINGS_PATH "high-availability config-replication"
#define TOP "config-replication"
#define MIN_SECRET_CHARS 16
#define MAX_REPLICA_NAME 64

const char *
vcr_mode_to_string (VcrMode mode)
{
  switch (mode)
    {
    case VCR_MODE_PRIMARY:
      return "primary";
    case VCR_MODE_REPLICA:
      return "replica";
    case VCR_MODE_DISABLED:
    default:
      return "disabled";
    }
}

static void
override_free (VcrOverride *override)
{
  g_strfreev (override->path);
  g_strfreev (override->values);
  g_free (override);
}

static void
peer_settings_free (VcrPeerSettings *peer)
{
  g_free (peer->name);
  g_free (peer->address);
  g_clear_pointer (&peer->overrides, g_ptr_array_unref);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrPeerSettings, peer_settings_free)

static void
settings_clear (VcrSettings *settings)
{
  g_ptr_array_unref (settings->paths);
  g_strfreev (settings->path_strings);
  g_ptr_array_unref (settings->excludes);
  g_strfreev (settings->exclude_strings);
  g_ptr_array_unref (settings->peers);
  if (settings->secret != NULL)
    memset (settings->secret, 0, strlen (settings->secret));
  g_free (settings->secret);
  g_free (settings->listen_address);
  g_ptr_array_unref (settings->warnings);
}

VcrSettings *
vcr_settings_ref (VcrSettings *settings)
{
  g_return_val_if_fail (settings != NULL, NULL);
  return g_atomic_rc_box_acquire (settings);
}

void
vcr_settings_unref (VcrSettings *settings)
{
  if (settings != NULL)
    g_atomic_rc_box_release_full (settings, (GDestroyNotify) settings_clear);
}

gboolean
vcr_settings_same_paths (const VcrSettings *a, const VcrSettings *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return g_strv_equal ((const char *const *) a->path_strings,
                       (const char *const *) b->path_strings) &&
         g_strv_equal ((const char *const *) a->exclude_strings,
                       (const char *const *) b->exclude_strings);
}

static VcrSettings *
settings_new (void)
{
  VcrSettings *settings = g_atomic_rc_box_new0 (VcrSettings);

  settings->mode = VCR_MODE_DISABLED;
  settings->paths = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  settings->excludes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  settings->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_settings_free);
  settings->warnings = g_ptr_array_new_with_free_func (g_free);
  settings->port = VCR_DEFAULT_PEER_PORT;
  return settings;
}

static gboolean G_GNUC_PRINTF (2, 3)
refuse (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = vcr_error_message_valist (format, args);
  va_end (args);
  g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS,
               "Invalid config-replication settings: %s", message);
  return FALSE;
}

/* ---- node shapes ------------------------------------------------------ */

/* Every child of @node must be one of @known (NULL-terminated). */
static gboolean
check_known_children (const VcrNode *node,
                      const char *where,
                      const char *const *known,
                      GError **error)
{
  if (vcr_node_get_n_values (node) > 0)
    return refuse (error, "\"%s\" is a block of settings, not a value", where);

  for (guint i = 0; i < vcr_node_get_n_children (node); i++)
    {
      const char *name = vcr_node_get_name (vcr_node_get_child (node, i));

      if (!g_strv_contains (known, name))
        {
          g_autofree char *list = g_strjoinv (", ", (char **) known);
          return refuse (error, "unknown setting \"%s %s\" (known: %s)",
                         where, name, list);
        }
    }
  return TRUE;
}

/* The single value of the leaf @name under @node, or NULL in *value when
 * the leaf is absent. A leaf without a value, with several values or with
 * children is refused. */
static gboolean
get_single_value (const VcrNode *node,
                  const char *where,
                  const char *name,
                  const char **value,
                  GError **error)
{
  VcrNode *leaf = vcr_node_lookup (node, name);

  *value = NULL;
  if (leaf == NULL)
    return TRUE;
  if (vcr_node_get_n_children (leaf) > 0)
    return refuse (error, "\"%s %s\" takes a value, not a block", where, name);
  if (vcr_node_get_n_values (leaf) == 0)
    return refuse (error, "\"%s %s\" has no value", where, name);
  if (vcr_node_get_n_values (leaf) > 1)
    return refuse (error, "\"%s %s\" is given %u times (\"%s\" and \"%s\"); it takes one value",
                   where, name, vcr_node_get_n_values (leaf),
                   vcr_node_get_value (leaf, 0), vcr_node_get_value (leaf, 1));
  *value = vcr_node_get_value (leaf, 0);
  return TRUE;
}

/* ---- values ----------------------------------------------------------- */

static gboolean
is_rfc1123_label (const char *label, gsize length)
{
  if (length == 0 || length > 63)
    return FALSE;
  if (label[0] == '-' || label[length - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (label[i]) && label[i] != '-')
      return FALSE;
  return TRUE;
}

/* A host name as RFC 1123 §2.1 has it, strictly: dot-separated labels of
 * letters, digits and inner hyphens, at most 253 characters, and (RFC 3696
 * §2) a last label that is not all digits, so that a mistyped IPv4 address
 * such as 192.0.2.300 is not taken for a name. */
static gboolean
is_host_name (const char *text)
{
  gsize length = strlen (text);
  const char *label = text;
  const char *last = text;
  gboolean all_digits = TRUE;

  if (length == 0 || length > 253)
    return FALSE;
  for (const char *p = text;; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          if (!is_rfc1123_label (label, p - label))
            return FALSE;
          last = label;
          if (*p == '\0')
            break;
          label = p + 1;
        }
    }
  for (const char *p = last; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      all_digits = FALSE;
  return !all_digits;
}

static gboolean
check_address (const char *where, const char *address, gboolean allow_name, GError **error)
{
  if (g_hostname_is_ip_address (address))
    return TRUE;
  if (allow_name && is_host_name (address))
    return TRUE;
  return refuse (error, "\"%s\" \"%s\" is not %s", where, address,
                 allow_name ? "an IPv4 address, an IPv6 address or a host name"
                            : "an IPv4 or IPv6 address");
}

/* @text NULL leaves *port as it is (the default). */
static gboolean
parse_port (const char *where, const char *text, guint16 *port, GError **error)
{
  guint64 number = 0;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &number, NULL))
    return refuse (error, "\"%s\" \"%s\" is not a port number (1-65535)", where, text);
  *port = (guint16) number;
  return TRUE;
}

static gboolean
is_replica_name (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > MAX_REPLICA_NAME)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (name[i]) && strchr ("_.-", name[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* ---- peers ------------------------------------------------------------ */

/* (in "replicate paths" below) */
static int compare_paths (gconstpointer a, gconstpointer b);
static GStrv parse_path (const char *what, const char *text, GError **error);

/* `address …; port …` under @node (a `replica NAME` or the `primary`). */
static VcrPeerSettings *
read_peer (const VcrNode *node, const char *name, const char *where, GError **error)
{
  static const char *const known_replica[] = { "address", "override", "port", NULL };
  static const char *const known_primary[] = { "address", "port", NULL };
  const char *const *known = strcmp (where, "primary") == 0 ? known_primary : known_replica;
  g_autoptr(VcrPeerSettings) peer = g_new0 (VcrPeerSettings, 1);
  g_autofree char *address_where = g_strdup_printf ("%s address", where);
  g_autofree char *port_where = g_strdup_printf ("%s port", where);
  const char *address;
  const char *port;

  if (!check_known_children (node, where, known, error))
    return NULL;
  if (!get_single_value (node, where, "address", &address, error) ||
      !get_single_value (node, where, "port", &port, error))
    return NULL;
  if (address == NULL)
    {
      refuse (error, "\"%s\" has no address", where);
      return NULL;
    }
  if (!check_address (address_where, address, TRUE, error))
    return NULL;
  peer->name = g_strdup (name);
  peer->address = g_strdup (address);
  peer->overrides = g_ptr_array_new_with_free_func ((GDestroyNotify) override_free);
  peer->port = VCR_DEFAULT_PEER_PORT;
  if (!parse_port (port_where, port, &peer->port, error))
    return NULL;
  return g_steal_pointer (&peer);
}

static int
compare_overrides (gconstpointer a, gconstpointer b)
{
  const VcrOverride *x = *(const VcrOverride *const *) a;
  const VcrOverride *y = *(const VcrOverride *const *) b;

  return compare_paths (&x->path, &y->path);
}

/* One leaf, one override: the same path written twice (the words spaced
 * differently) or an override inside another's leaf would leave which
 * values the replica receives to the order of the settings. */
static gboolean
check_override_apart (const VcrPeerSettings *peer, const char *const *words,
                      const char *text, GError **error)
{
  for (guint i = 0; i < peer->overrides->len; i++)
    {
      const VcrOverride *other = g_ptr_array_index (peer->overrides, i);
      const char *const *path = (const char *const *) other->path;
      g_autofree char *other_text = vcr_path_to_string (path);

      if (g_strv_equal (words, path))
        return refuse (error, "override \"%s\" of replica %s is given twice", text, peer->name);
      if (vcr_path_is_under (words, path))
        return refuse (error, "override \"%s\" of replica %s lies under override \"%s\" "
                       "(an override names a leaf)", text, peer->name, other_text);
      if (vcr_path_is_under (path, words))
        return refuse (error, "override \"%s\" of replica %s lies under override \"%s\" "
                       "(an override names a leaf)", other_text, peer->name, text);
    }
  return TRUE;
}

/* `replica NAME override "PATH" { value "V" … }`: a leaf strictly under a
 * replicate path and not excluded, with at least one value. */
static gboolean
read_overrides (VcrSettings *settings, VcrPeerSettings *peer, const VcrNode *node,
                const char *where, GError **error)
{
  static const char *const known[] = { "value", NULL };
  VcrNode *overrides = vcr_node_lookup (node, "override");
  g_autofree char *what = g_strdup_printf ("%s override", where);

  if (overrides == NULL)
    return TRUE;
  if (vcr_node_get_n_values (overrides) > 0 || vcr_node_get_n_children (overrides) == 0)
    return refuse (error, "\"%s\" takes a leaf's path and a value "
                   "(set " SETTINGS_PATH " %s \"PATH\" value VALUE)", what, what);
  for (guint i = 0; i < vcr_node_get_n_children (overrides); i++)
    {
      VcrNode *o = vcr_node_get_child (overrides, i);
      const char *text = vcr_node_get_name (o);
      g_autofree char *o_where = g_strdup_printf ("%s %s", what, text);
      g_auto(GStrv) words = parse_path (what, text, error);
      const char *const *under, *const *excluded;
      VcrNode *value;
      VcrOverride *override;

      if (words == NULL || !check_known_children (o, o_where, known, error))
        return FALSE;
      value = vcr_node_lookup (o, "value");
      if (value == NULL || vcr_node_get_n_values (value) == 0)
        return refuse (error, "\"%s\" has no value", o_where);
      if (vcr_node_get_n_children (value) > 0)
        return refuse (error, "\"%s value\" takes values, not a block", o_where);
      under = vcr_settings_find_replicate_path (settings, (const char *const *) words);
      if (under == NULL || g_strv_equal ((const char *const *) words, under))
        return refuse (error, "override \"%s\" of replica %s does not lie under a "
                       "replicate path (it names a leaf inside one)", text, peer->name);
      excluded = vcr_settings_find_exclude (settings, (const char *const *) words);
      if (excluded != NULL)
        {
          g_autofree char *excluded_text = vcr_path_to_string (excluded);
          return refuse (error, "override \"%s\" of replica %s lies under exclusion "
                         "\"%s\", which is never sent", text, peer->name, excluded_text);
        }
      if (!check_override_apart (peer, (const char *const *) words, text, error))
        return FALSE;
      override = g_new0 (VcrOverride, 1);
      override->path = g_steal_pointer (&words);
      override->values = g_new0 (char *, vcr_node_get_n_values (value) + 1);
      for (guint v = 0; v < vcr_node_get_n_values (value); v++)
        override->values[v] = g_strdup (vcr_node_get_value (value, v));
      g_ptr_array_add (peer->overrides, override);
    }
  g_ptr_array_sort (peer->overrides, compare_overrides);
  /* the primary knows which replica asks (its own pull and Verify) only
   * by the address the request comes from */
  if (!g_hostname_is_ip_address (peer->address))
    g_ptr_array_add (settings->warnings,
                     g_strdup_printf ("replica %s has overrides but its address \"%s\" is "
                                      "not an IP address: its own pull and Verify get the "
                                      "texts without its overrides (pushes send them)",
                                      peer->name, peer->address));
  return TRUE;
}

static gboolean
read_replicas (VcrSettings *settings, const VcrNode *replicas, GError **error)
{
  if (vcr_node_get_n_values (replicas) > 0)
    return refuse (error, "\"replica %s\" needs a block with an address",
                   vcr_node_get_value (replicas, 0));
  for (guint i = 0; i < vcr_node_get_n_children (replicas); i++)
    {
      VcrNode *node = vcr_node_get_child (replicas, i);
      const char *name = vcr_node_get_name (node);
      g_autofree char *where = g_strdup_printf ("replica %s", name);
      VcrPeerSettings *peer;

      if (!is_replica_name (name))
        return refuse (error, "replica name \"%s\" is not 1 to %d of A-Z a-z 0-9 _ . -",
                       name, MAX_REPLICA_NAME);
      peer = read_peer (node, name, where, error);
      if (peer == NULL)
        return FALSE;
      g_ptr_array_add (settings->peers, peer);
      if (!read_overrides (settings, peer, node, where, error))
        return FALSE;
    }
  if (settings->peers->len == 0)
    return refuse (error, "mode is primary but no replica is set "
                   "(set " SETTINGS_PATH " replica NAME address ADDRESS)");

  /* Two names for one target would push every snapshot twice. */
  for (guint i = 0; i < settings->peers->len; i++)
    for (guint j = i + 1; j < settings->peers->len; j++)
      {
        VcrPeerSettings *a = g_ptr_array_index (settings->peers, i);
        VcrPeerSettings *b = g_ptr_array_index (settings->peers, j);

        if (g_ascii_strcasecmp (a->address, b->address) == 0 && a->port == b->port)
          return refuse (error, "replicas \"%s\" and \"%s\" both point to %s port %u",
                         a->name, b->name, a->address, a->port);
      }
  return TRUE;
}

static gboolean
read_peers (VcrSettings *settings, const VcrNode *top, GError **error)
{
  VcrNode *replicas = vcr_node_lookup (top, "replica");
  VcrNode *primary = vcr_node_lookup (top, "primary");
  VcrPeerSettings *peer;

  if (settings->mode == VCR_MODE_PRIMARY)
    {
      if (primary != NULL)
        return refuse (error, "mode is primary but \"primary\" is set; "
                       "a primary lists its replicas with \"replica NAME\"");
      if (replicas == NULL)
        return refuse (error, "mode is primary but no replica is set "
                       "(set " SETTINGS_PATH " replica NAME address ADDRESS)");
      return read_replicas (settings, replicas, error);
    }

  if (replicas != NULL)
    return refuse (error, "mode is replica but \"replica\" is set; "
                   "a replica names its primary with \"primary address\"");
  if (primary == NULL)
    return refuse (error, "mode is replica but there is no primary address "
                   "(set " SETTINGS_PATH " primary address ADDRESS)");
  peer = read_peer (primary, "primary", "primary", error);
  if (peer == NULL)
    return FALSE;
  g_ptr_array_add (settings->peers, peer);
  return TRUE;
}

/* ---- replicate paths -------------------------------------------------- */

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  const char *const *x = *(const char *const *const *) a;
  const char *const *y = *(const char *const *const *) b;
  guint i;

  for (i = 0; x[i] != NULL && y[i] != NULL; i++)
    {
      int cmp = vcr_lexical_numeric_compare (x[i], y[i]);

      if (cmp != 0)
        return cmp;
    }
  return (x[i] != NULL) - (y[i] != NULL);
}

/* The replicate paths must not overlap each other nor the settings
 * themselves: replicating the settings would make a replica a primary. */
static gboolean
check_paths_apart (const GPtrArray *paths, GError **error)
{
  g_auto(GStrv) own = g_strsplit (SETTINGS_PATH, " ", -1);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *const *p = g_ptr_array_index (paths, i);
      g_autofree char *ptext = vcr_path_to_string (p);

      if (vcr_path_is_under (p, (const char *const *) own) ||
          vcr_path_is_under ((const char *const *) own, p))
        return refuse (error, "replicate path \"%s\" overlaps \"" SETTINGS_PATH
                       "\", the replication settings themselves", ptext);

      for (guint j = 0; j < paths->len; j++)
        {
          const char *const *q = g_ptr_array_index (paths, j);
          g_autofree char *qtext = NULL;

          if (i == j || !vcr_path_is_under (p, q))
            continue;
          qtext = vcr_path_to_string (q);
          if (g_strv_equal (p, q))
            return refuse (error, "replicate path \"%s\" is given twice", ptext);
          return refuse (error, "replicate path \"%s\" lies under replicate path \"%s\"",
                         ptext, qtext);
        }
    }
  return TRUE;
}

/* The words of a path setting (@what: "replicate path", …). Every
 * snapshot names its paths, and a replica takes only canonical ones:
 * refuse here what no replica would accept. */
static GStrv
parse_path (const char *what, const char *text, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) words = vcr_path_parse (text, &local_error);
  g_autofree char *canonical = NULL;

  if (words == NULL)
    {
      refuse (error, "%s \"%s\" is empty", what, text);
      return NULL;
    }
  canonical = vcr_path_to_string ((const char *const *) words);
  if (!g_utf8_validate (canonical, -1, NULL) ||
      !vcr_snapshot_path_is_canonical (canonical))
    {
      refuse (error, "%s \"%s\" holds a control or white-space "
              "character or is not UTF-8", what, text);
      return NULL;
    }
  return g_steal_pointer (&words);
}

/* `replicate exclude`: each strictly under a replicate path, none inside
 * another. */
static gboolean
read_excludes (VcrSettings *settings, const VcrNode *replicate, GError **error)
{
  VcrNode *leaf = vcr_node_lookup (replicate, "exclude");

  if (leaf == NULL)
    return TRUE;
  if (vcr_node_get_n_children (leaf) > 0)
    return refuse (error, "\"replicate exclude\" takes values, not a block");
  for (guint i = 0; i < vcr_node_get_n_values (leaf); i++)
    {
      const char *text = vcr_node_get_value (leaf, i);
      g_auto(GStrv) words = parse_path ("replicate exclude", text, error);
      const char *const *under;

      if (words == NULL)
        return FALSE;
      under = vcr_settings_find_replicate_path (settings, (const char *const *) words);
      if (under == NULL || g_strv_equal ((const char *const *) words, under))
        return refuse (error, "exclusion \"%s\" does not lie under a replicate path "
                       "(an exclusion names a part of one)", text);
      for (guint j = 0; j < settings->excludes->len; j++)
        {
          const char *const *other = g_ptr_array_index (settings->excludes, j);
          g_autofree char *other_text = vcr_path_to_string (other);

          if (g_strv_equal ((const char *const *) words, other))
            return refuse (error, "exclusion \"%s\" is given twice", text);
          if (vcr_path_is_under ((const char *const *) words, other))
            return refuse (error, "exclusion \"%s\" lies under exclusion \"%s\"",
                           text, other_text);
          if (vcr_path_is_under (other, (const char *const *) words))
            return refuse (error, "exclusion \"%s\" lies under exclusion \"%s\"",
                           other_text, text);
        }
      g_ptr_array_add (settings->excludes, g_steal_pointer (&words));
    }
  g_ptr_array_sort (settings->excludes, compare_paths);
  return TRUE;
}

static gboolean
read_paths (VcrSettings *settings, const VcrNode *top, GError **error)
{
  static const char *const known[] = { "exclude", "path", NULL };
  VcrNode *replicate = vcr_node_lookup (top, "replicate");
  VcrNode *leaf;

  if (replicate == NULL)
    return refuse (error, "there is no replicate path "
                   "(set " SETTINGS_PATH " replicate path \"WORDS\")");
  if (!check_known_children (replicate, "replicate", known, error))
    return FALSE;
  leaf = vcr_node_lookup (replicate, "path");
  if (leaf == NULL || vcr_node_get_n_values (leaf) == 0)
    return refuse (error, "there is no replicate path "
                   "(set " SETTINGS_PATH " replicate path \"WORDS\")");
  if (vcr_node_get_n_children (leaf) > 0)
    return refuse (error, "\"replicate path\" takes values, not a block");

  for (guint i = 0; i < vcr_node_get_n_values (leaf); i++)
    {
      GStrv words = parse_path ("replicate path", vcr_node_get_value (leaf, i), error);

      if (words == NULL)
        return FALSE;
      g_ptr_array_add (settings->paths, words);
    }
  if (!check_paths_apart (settings->paths, error))
    return FALSE;
  g_ptr_array_sort (settings->paths, compare_paths);
  return read_excludes (settings, replicate, error);
}

/* ---- the whole ------------------------------------------------------- */

static gboolean
read_secret (VcrSettings *settings, const VcrNode *top, GError **error)
{
  static const char *const known[] = { "pre-shared-secret", NULL };
  VcrNode *auth = vcr_node_lookup (top, "authentication");
  const char *secret = NULL;

  if (auth != NULL)
    {
      if (!check_known_children (auth, "authentication", known, error))
        return FALSE;
      /* get_single_value() would quote the values: keep the secret out. */
      VcrNode *leaf = vcr_node_lookup (auth, "pre-shared-secret");

      if (leaf != NULL && vcr_node_get_n_values (leaf) > 1)
        return refuse (error, "\"authentication pre-shared-secret\" is given more than once");
      if (!get_single_value (auth, "authentication", "pre-shared-secret", &secret, error))
        return FALSE;
    }
  if (secret == NULL || *secret == '\0')
    return refuse (error, "the secret is missing "
                   "(set " SETTINGS_PATH " authentication pre-shared-secret SECRET)");
  if (!g_utf8_validate (secret, -1, NULL))
    return refuse (error, "\"authentication pre-shared-secret\" is not valid UTF-8");
  if (g_utf8_strlen (secret, -1) < MIN_SECRET_CHARS)
    g_ptr_array_add (settings->warnings,
                     g_strdup_printf ("authentication pre-shared-secret is shorter than %d "
                                      "characters; use a longer random secret",
                                      MIN_SECRET_CHARS));
  settings->secret = g_strdup (secret);
  return TRUE;
}

static gboolean
read_mode (VcrSettings *settings, const VcrNode *top, GError **error)
{
  const char *mode;

  if (!get_single_value (top, TOP, "mode", &mode, error))
    return FALSE;
  if (mode == NULL)
    return refuse (error, "mode is missing (set " SETTINGS_PATH " mode primary|replica)");
  if (strcmp (mode, "primary") == 0)
    settings->mode = VCR_MODE_PRIMARY;
  else if (strcmp (mode, "replica") == 0)
    settings->mode = VCR_MODE_REPLICA;
  else
    return refuse (error, "mode \"%s\" is unknown; it is \"primary\" or \"replica\"", mode);
  return TRUE;
}

static gboolean
read_listen (VcrSettings *settings, const VcrNode *top, GError **error)
{
  const char *address;
  const char *port;

  if (!get_single_value (top, TOP, "listen-address", &address, error) ||
      !get_single_value (top, TOP, "port", &port, error))
    return FALSE;
  /* The daemon binds to it: a name would need a resolver at start-up. */
  if (address != NULL && !check_address ("listen-address", address, FALSE, error))
    return FALSE;
  settings->listen_address = g_strdup (address);
  return parse_port ("port", port, &settings->port, error);
}

/* `allow-protocol-v1`: a valueless leaf. While it is set the node speaks
 * the old protocol with peers that have not been upgraded yet, which
 * sends their config in clear text: a warning says so for as long as it
 * stays. */
static gboolean
read_allow_v1 (VcrSettings *settings, const VcrNode *top, GError **error)
{
  VcrNode *leaf = vcr_node_lookup (top, "allow-protocol-v1");

  if (leaf == NULL)
    return TRUE;
  if (vcr_node_get_n_children (leaf) > 0 || vcr_node_get_n_values (leaf) > 0)
    return refuse (error, "\"allow-protocol-v1\" takes no value "
                   "(set " SETTINGS_PATH " allow-protocol-v1)");
  settings->allow_v1 = TRUE;
  g_ptr_array_add (settings->warnings,
                   g_strdup ("allow-protocol-v1 is set: peers that speak protocol v1 are "
                             "answered, and v1 is used with a peer that refuses v2; v1 sends "
                             "the replicated config in clear text, and an active attacker on "
                             "the path can force v1; delete it once every node is upgraded"));
  return TRUE;
}

/* The canonical strings of the (sorted) replicate paths and exclusions,
 * made once: the daemon's properties, snapshots and logs all name paths
 * this way. */
static void
set_path_strings (VcrSettings *settings)
{
  GStrvBuilder *builder = g_strv_builder_new ();

  for (guint i = 0; i < settings->paths->len; i++)
    {
      g_autofree char *path = vcr_path_to_string (g_ptr_array_index (settings->paths, i));
      g_strv_builder_add (builder, path);
    }
  settings->path_strings = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < settings->excludes->len; i++)
    {
      g_autofree char *exclude = vcr_path_to_string (g_ptr_array_index (settings->excludes, i));
      g_strv_builder_add (builder, exclude);
    }
  settings->exclude_strings = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
}

VcrSettings *
vcr_settings_from_tree (const VcrTree *tree, GError **error)
{
  static const char *const known[] = {
    "allow-protocol-v1", "authentication", "listen-address", "mode", "port",
    "primary", "replica", "replicate", NULL
  };
  static const char *const words[] = { "high-availability", "config-replication", NULL };
  g_autoptr(VcrSettings) settings = settings_new ();
  VcrNode *top;

  g_return_val_if_fail (tree != NULL, NULL);

  top = vcr_tree_lookup (tree, words);
  if (top == NULL)
    {
      set_path_strings (settings);
      return g_steal_pointer (&settings);
    }

  if (!check_known_children (top, TOP, known, error) ||
      !read_mode (settings, top, error) ||
      !read_paths (settings, top, error) ||
      !read_peers (settings, top, error) ||
      !read_secret (settings, top, error) ||
      !read_listen (settings, top, error) ||
      !read_allow_v1 (settings, top, error))
    return NULL;
  set_path_strings (settings);
  return g_steal_pointer (&settings);
}

const char *const *
vcr_settings_find_exclude (const VcrSettings *settings, const char *const *words)
{
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (words != NULL, NULL);

  for (guint i = 0; i < settings->excludes->len; i++)
    {
      const char *const *exclude = g_ptr_array_index (settings->excludes, i);

      if (vcr_path_is_under (words, exclude))
        return exclude;
    }
  return NULL;
}

GPtrArray *
vcr_settings_excludes_under (const VcrSettings *settings, const char *const *path)
{
  GPtrArray *under = g_ptr_array_new ();

  g_return_val_if_fail (settings != NULL, under);
  for (guint i = 0; i < settings->excludes->len; i++)
    {
      const char *const *exclude = g_ptr_array_index (settings->excludes, i);

      if (vcr_path_is_under (exclude, path))
        g_ptr_array_add (under, (gpointer) exclude);
    }
  return under;
}

const char *const *
vcr_settings_find_replicate_path (const VcrSettings *settings,
                                  const char *const *words)
{
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (words != NULL, NULL);

  for (guint i = 0; i < settings->paths->len; i++)
    {
      const char *const *path = g_ptr_array_index (settings->paths, i);

      if (vcr_path_is_under (words, path))
        return path;
    }
  return NULL;
}

/* @text as 16 bytes of IPv6 (an IPv4 address mapped: ::ffff:a.b.c.d). */
static gboolean
ip_bytes (const char *text, guint8 out[16])
{
  guint8 v4[4];

  if (inet_pton (AF_INET6, text, out) == 1)
    return TRUE;
  if (inet_pton (AF_INET, text, v4) != 1)
    return FALSE;
  memset (out, 0, 10);
  out[10] = out[11] = 0xff;
  memcpy (out + 12, v4, 4);
  return TRUE;
}

const VcrPeerSettings *
vcr_settings_peer_at (const VcrSettings *settings, const char *address)
{
  guint8 want[16], have[16];

  if (address == NULL || !ip_bytes (address, want))
    return NULL;
  for (guint i = 0; i < settings->peers->len; i++)
    {
      const VcrPeerSettings *p = g_ptr_array_index (settings->peers, i);

      if (ip_bytes (p->address, have) && memcmp (want, have, sizeof want) == 0)
        return p;
    }
  return NULL;
}
