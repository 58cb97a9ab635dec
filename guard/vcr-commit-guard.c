/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vyos-config-replication-commit-guard: installed as /opt/vyatta/sbin/my_commit
 * (VyOS's own link moved aside with dpkg-divert), it is the one place
 * where a whole VyOS commit can be refused before any conf-mode script runs
 * (docs/vyos.md). It decides, then either prints the seed's refusal line for
 * each managed path and exits 1, running nothing, or execs the real
 * my_cli_bin with argv[0] = "my_commit" (my_cli_bin picks its operation from
 * its basename) and the same arguments. It holds no privilege of its own.
 *
 *  1. boot not complete (no /tmp/vyos-config-status): pass;
 *  2. the daemon's own apply (guard_is_own_apply()): pass;
 *  3. the active config's `high-availability config-replication` is absent,
 *     or its mode is not "replica": pass;
 *  4. ask the daemon's CheckCommit with the working config; when the bus or
 *     the daemon cannot answer, compare each replicate path's active and
 *     working subtree here (any change is refused, except under a
 *     `replicate exclude` path: such a replicate path is compared as
 *     trees of the whole active and working configs with the exclusions
 *     left out, as the daemon does).
 *
 * When VyOS's cli-shell-api fails, hangs or prints what cannot be read, the
 * guard fails closed: it cannot tell a replica from another router then,
 * so only the daemon's answer (it knows its own settings) lets the commit
 * through; without one the commit is refused with the reason. A router whose
 * cli-shell-api is broken cannot commit anyway (my_cli_bin uses the same
 * config store), so this costs nothing a working router would notice.
 */
#define _GNU_SOURCE 1   /* memfd_create */
#define G_LOG_DOMAIN "vcr-commit-guard"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>
#include <systemd/sd-bus.h>

#include "vcr-guard.h"
#include "vcr-mask.h"
#include "vcr-path.h"
#include "vcr-settings.h"
#include "vcr-tree.h"

#define BUS_NAME "org.vyos.ConfigReplication"
#define BUS_PATH "/org/vyos/ConfigReplication"
#define CHECK_TIMEOUT_USEC (15 * G_USEC_PER_SEC)

static const char *const ACTIVE_FLAGS[] = { "--show-active-only", NULL };
static const char *const WORKING_ALL_FLAGS[] = { "--show-working-only", "--show-ignore-edit", NULL };
static const char *const ACTIVE_ALL_FLAGS[] = { "--show-active-only", "--show-ignore-edit", NULL };
static const char *const ACTIVE_DEFAULTS_FLAGS[] = { "--show-active-only", "--show-show-defaults", NULL };
static const char *const WORKING_DEFAULTS_FLAGS[] = { "--show-working-only", "--show-show-defaults", NULL };
static const char *const SETTINGS_PATH[] = { "high-availability", "config-replication", NULL };
static const char *const MODE_PATH[] = { "high-availability", "config-replication", "mode", NULL };

typedef enum {
  NOT_REPLICA,
  REPLICA,      /* @settings holds the replicate paths */
  UNKNOWN,      /* maybe a replica: the settings could not be read */
} Role;

/* What showConfig printed for the settings node, as a tree (it prints what
 * is inside the node: its own words are put around it again). */
static VcrTree *
parse_settings_output (GBytes *out, GError **error)
{
  g_autoptr(GString) text = g_string_new ("high-availability {\nconfig-replication {\n");
  gsize len;
  const char *data = g_bytes_get_data (out, &len);

  g_string_append_len (text, data != NULL ? data : "", (gssize) len);
  g_string_append (text, "\n}\n}\n");
  return vcr_tree_parse (text->str, text->len, VCR_PARSE_SHOW_CONFIG,
                         "active config-replication settings", error);
}

static Role
read_role (VcrSettings **settings, char **reason)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(GError) error = NULL;
  const VcrNode *mode;

  switch (guard_show_config (ACTIVE_FLAGS, SETTINGS_PATH, &out, &error))
    {
    case GUARD_SHOW_NO_NODE:
      return NOT_REPLICA;
    case GUARD_SHOW_FAILED:
      *reason = g_strdup_printf ("cannot read the active settings: cli-shell-api: %s",
                                 error->message);
      return UNKNOWN;
    case GUARD_SHOW_OK:
    default:
      break;
    }
  tree = parse_settings_output (out, &error);
  if (tree == NULL)
    {
      *reason = g_strdup (error->message);
      return UNKNOWN;
    }
  mode = vcr_tree_lookup (tree, MODE_PATH);
  if (mode == NULL || vcr_node_get_n_values (mode) != 1 ||
      strcmp (vcr_node_get_value (mode, 0), "replica") != 0)
    return NOT_REPLICA;
  *settings = vcr_settings_from_tree (tree, &error);
  if (*settings == NULL)
    {
      *reason = g_strdup_printf ("the active settings are not valid: %s", error->message);
      return UNKNOWN;
    }
  return REPLICA;
}

/* A memfd holding @text; -1 with @error. */
static int
memfd_with (const char *text, gsize len, GError **error)
{
  int fd = memfd_create ("proposed-config", MFD_CLOEXEC);
  gsize done = 0;

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "memfd_create: %s", g_strerror (errno));
      return -1;
    }
  while (done < len)
    {
      ssize_t n = write (fd, text + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "write: %s", g_strerror (errno));
          close (fd);
          return -1;
        }
      done += (gsize) n;
    }
  return fd;
}

/* The replicate paths CheckCommit refuses for @proposed; NULL with @error
 * when the bus or the daemon cannot answer. */
static GPtrArray *
ask_daemon (const VcrTree *proposed, GError **error)
{
  g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = NULL;
  sd_bus_error bus_error = SD_BUS_ERROR_NULL;
  sd_bus_message *call = NULL, *reply = NULL;
  sd_bus *bus = NULL;
  const char *path, *message;
  gsize len;
  int fd, r;

  text = vcr_tree_to_file_contents (proposed, &len);
  fd = memfd_with (text, len, error);
  if (fd < 0)
    return NULL;
  /* The bus address is fixed in the installed guard (vcr-guard-env.c). */
  r = sd_bus_new (&bus);
  if (r >= 0)
    r = sd_bus_set_address (bus, guard_bus_address ());
  if (r >= 0)
    r = sd_bus_set_bus_client (bus, 1);
  if (r >= 0)
    r = sd_bus_set_method_call_timeout (bus, CHECK_TIMEOUT_USEC);
  if (r >= 0)
    r = sd_bus_start (bus);
  if (r >= 0)
    r = sd_bus_message_new_method_call (bus, &call, BUS_NAME, BUS_PATH, BUS_NAME, "CheckCommit");
  /* A daemon that is not running is not started for a commit check. */
  if (r >= 0)
    r = sd_bus_message_set_auto_start (call, 0);
  if (r >= 0)
    r = sd_bus_message_append (call, "h", fd);
  if (r >= 0)
    r = sd_bus_call (bus, call, CHECK_TIMEOUT_USEC, &bus_error, &reply);
  if (r >= 0)
    r = sd_bus_message_enter_container (reply, 'a', "(ss)");
  while (r >= 0 && (r = sd_bus_message_read (reply, "(ss)", &path, &message)) > 0)
    g_ptr_array_add (refused, g_strdup (path));
  if (r < 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                 sd_bus_error_is_set (&bus_error) ? bus_error.message : g_strerror (-r));
  sd_bus_error_free (&bus_error);
  sd_bus_message_unref (reply);
  sd_bus_message_unref (call);
  sd_bus_flush_close_unref (bus);
  close (fd);
  return r < 0 ? NULL : g_steal_pointer (&refused);
}

/* The subtree at @words: TRUE with @out (NULL when there is no such node),
 * FALSE when cli-shell-api gave no answer to rely on. */
static gboolean
show_path (const char *const *flags, const char *const *words, GBytes **out, GError **error)
{
  return guard_show_config (flags, words, out, error) != GUARD_SHOW_FAILED;
}

/* The whole active config, or NULL (with a message on stderr): what a
 * replicate path with exclusions is compared with. */
static VcrTree *
read_active (void)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  VcrTree *tree = NULL;
  gsize len = 0;
  const char *data;

  switch (guard_show_config (ACTIVE_ALL_FLAGS, NULL, &out, &error))
    {
    case GUARD_SHOW_OK:
      data = g_bytes_get_data (out, &len);
      tree = vcr_tree_parse (data != NULL ? data : "", len, VCR_PARSE_SHOW_CONFIG,
                             "active config", &error);
      break;
    case GUARD_SHOW_NO_NODE:
      tree = vcr_tree_parse ("", 0, VCR_PARSE_SHOW_CONFIG, "active config", &error);
      break;
    case GUARD_SHOW_FAILED:
    default:
      break;
    }
  if (tree == NULL)
    g_printerr ("config-replication: cannot read the active config (%s); "
                "changes under an exclusion count as changes\n", error->message);
  return tree;
}

/* Whether replicate path @words changed, compared as showConfig prints it
 * (bytes): FALSE (unchanged), TRUE, or TRUE with a message when it could
 * not be read. */
static gboolean
path_changed (const char *const *words, const char *name)
{
  g_autoptr(GBytes) active = NULL;
  g_autoptr(GBytes) working = NULL;
  g_autoptr(GError) error = NULL;

  if (!show_path (ACTIVE_DEFAULTS_FLAGS, words, &active, &error) ||
      !show_path (WORKING_DEFAULTS_FLAGS, words, &working, &error))
    {
      g_printerr ("config-replication: cannot read \"%s\" (cli-shell-api: %s); "
                  "counted as changed\n", name, error->message);
      return TRUE;
    }
  if (active == NULL || working == NULL)
    return active != working;
  return !g_bytes_equal (active, working);
}

/* Without the daemon: every replicate path whose working subtree is not
 * its active one (the reference copy is the daemon's; without it any
 * change counts), and every path that could not be read. A path with
 * exclusions is compared on the parsed trees with them left out (the
 * working config @working, nullable, and the active one read here); when
 * either is missing, as bytes like the others (strict: a change under an
 * exclusion counts then). */
static GPtrArray *
compare_locally (const VcrSettings *settings, const VcrTree *working)
{
  GPtrArray *refused = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(VcrTree) active = NULL;

  if (settings->excludes->len > 0 && working != NULL)
    active = read_active ();
  for (guint i = 0; i < settings->paths->len; i++)
    {
      const char *const *words = g_ptr_array_index (settings->paths, i);
      g_autoptr(GPtrArray) excludes = vcr_settings_excludes_under (settings, words);
      g_autofree char *name = vcr_path_to_string (words);

      if (excludes->len > 0 && active != NULL
            ? vcr_mask_subtree_equal (active, working, words, excludes)
            : !path_changed (words, name))
        continue;
      g_ptr_array_add (refused, g_steal_pointer (&name));
    }
  return refused;
}

/* The working config, or NULL with @error. */
static VcrTree *
read_working (GError **error)
{
  g_autoptr(GBytes) out = NULL;
  gsize len;
  const char *data;

  switch (guard_show_config (WORKING_ALL_FLAGS, NULL, &out, error))
    {
    case GUARD_SHOW_OK:
      break;
    case GUARD_SHOW_NO_NODE:
      /* An empty working config: a tree without nodes. */
      return vcr_tree_parse ("", 0, VCR_PARSE_SHOW_CONFIG, "working config", error);
    case GUARD_SHOW_FAILED:
    default:
      g_prefix_error (error, "cannot read the working config: cli-shell-api: ");
      return NULL;
    }
  data = g_bytes_get_data (out, &len);
  return vcr_tree_parse (data != NULL ? data : "", len, VCR_PARSE_SHOW_CONFIG,
                         "working config", error);
}

/* The refused replicate paths of this commit; NULL when nothing can
 * decide (@role UNKNOWN and no daemon), with @reason. */
static GPtrArray *
check_commit (Role role, const VcrSettings *settings, char **reason)
{
  g_autoptr(VcrTree) proposed = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *refused = NULL;

  proposed = read_working (&error);
  if (proposed != NULL)
    refused = ask_daemon (proposed, &error);
  if (refused != NULL)
    return refused;
  if (role == UNKNOWN)
    {
      g_autofree char *why = *reason;
      *reason = g_strdup_printf ("%s, and the daemon did not answer (%s)", why, error->message);
      return NULL;
    }
  g_printerr ("config-replication: the daemon did not check this commit (%s); "
              "comparing the replicated paths here\n", error->message);
  return compare_locally (settings, proposed);
}

static int
run_real_commit (char **argv)
{
  const char *bin = guard_my_cli_bin ();

  /* The token proves one commit; nothing my_cli_bin starts (conf-mode
   * scripts, hooks, services) needs to see it. */
  g_unsetenv ("VCR_APPLY_TOKEN");
  /* my_cli_bin picks its operation from its basename. */
  argv[0] = (char *) "my_commit";
  execv (bin, argv);
  g_printerr ("config-replication: cannot run %s: %s\n", bin, g_strerror (errno));
  return 1;
}

int
main (int argc, char **argv)
{
  g_autoptr(VcrSettings) settings = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autofree char *reason = NULL;
  Role role;

  /* As vyos.utils.boot.boot_configuration_complete() tells it. */
  if (!g_file_test (guard_boot_done_file (), G_FILE_TEST_IS_REGULAR))
    return run_real_commit (argv);
  if (guard_is_own_apply ())
    return run_real_commit (argv);
  role = read_role (&settings, &reason);
  if (role == NOT_REPLICA)
    return run_real_commit (argv);
  refused = check_commit (role, settings, &reason);
  if (refused == NULL)
    {
      printf ("Error: config replication cannot check this commit (%s); "
              "the commit is refused.\n", reason);
      fflush (stdout);
      return 1;
    }
  if (refused->len == 0)
    return run_real_commit (argv);
  for (guint i = 0; i < refused->len; i++)
    printf ("Error: path \"%s\" is managed by config replication "
            "and must not be modified locally.\n",
            (const char *) g_ptr_array_index (refused, i));
  fflush (stdout);
  return 1;
}
