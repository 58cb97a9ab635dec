/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vyos-config-replication-commit-guard: installed as /opt/vyatta/sbin/my_commit
 * (VyOS's own binary moved aside with dpkg-divert), it is the one place
 * where a whole VyOS commit can be refused before any conf-mode script runs
 * (docs/vyos.md). It decides, then either prints the seed's refusal line for
 * each managed path and exits 1, or execs the real my_cli_bin with
 * argv[0] = "my_commit" (which picks its operation from its basename) and
 * the same arguments. It holds no privilege of its own.
 *
 * Order of the checks, cheapest first:
 *  1. boot not complete (no /tmp/vyos-config-status): pass;
 *  2. the active config's `high-availability config-replication mode` is
 *     not "replica" (or the node is absent): pass;
 *  3. the caller is the daemon's own apply (VCR_APPLY_TOKEN matches the
 *     root-only token file under /run): pass;
 *  4. ask the daemon's CheckCommit with the working config; when the bus or
 *     the daemon cannot answer, compare each replicate path's active and
 *     working subtree here (any change is refused).
 * Configs are read only with `cli-shell-api showConfig`.
 */
#define _GNU_SOURCE 1   /* memfd_create */
#define G_LOG_DOMAIN "vcr-commit-guard"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <systemd/sd-bus.h>

#include "vcr-path.h"
#include "vcr-settings.h"
#include "vcr-tree.h"

#define DEFAULT_CLI_SHELL_API "/bin/cli-shell-api"
#define DEFAULT_MY_CLI_BIN "/opt/vyatta/sbin/my_cli_bin"
#define DEFAULT_BOOT_DONE_FILE "/tmp/vyos-config-status"
#define DEFAULT_APPLY_TOKEN_FILE "/run/vyos-config-replication/apply-token"

#define BUS_NAME "org.vyos.ConfigReplication"
#define BUS_PATH "/org/vyos/ConfigReplication"
#define CHECK_TIMEOUT_USEC (15 * G_USEC_PER_SEC)
#define MAX_TOKEN_SIZE 256
#define MIN_TOKEN_SIZE 32

static const char *
env_or (const char *name, const char *fallback)
{
  const char *value = g_getenv (name);
  return value != NULL && *value != '\0' ? value : fallback;
}

/* `cli-shell-api FLAGS… showConfig [WORDS…]`: its stdout (any bytes), or
 * NULL when it could not run or failed. Its stderr is dropped: the user
 * sees only the verdict. */
static GBytes *
show_config (const char *const *flags, const char *const *words)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GBytes) out = NULL;

  g_ptr_array_add (argv, (gpointer) env_or ("VCR_CLI_SHELL_API", DEFAULT_CLI_SHELL_API));
  for (guint i = 0; flags[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) flags[i]);
  g_ptr_array_add (argv, "showConfig");
  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) words[i]);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            NULL);
  if (proc == NULL || !g_subprocess_communicate (proc, NULL, NULL, &out, NULL, NULL) ||
      !g_subprocess_get_successful (proc))
    return NULL;
  return g_steal_pointer (&out);
}

static const char *const ACTIVE_FLAGS[] = { "--show-active-only", "--show-ignore-edit", NULL };
static const char *const WORKING_FLAGS[] = { "--show-working-only", "--show-ignore-edit", NULL };
/* The flags vyshim uses to hand conf-mode scripts their configs. */
static const char *const ACTIVE_FULL_FLAGS[] = {
  "--show-active-only", "--show-show-defaults", "--show-ignore-edit", NULL
};
static const char *const WORKING_FULL_FLAGS[] = {
  "--show-working-only", "--show-show-defaults", "--show-ignore-edit", NULL
};
static const char *const SETTINGS_PATH[] = { "high-availability", "config-replication", NULL };

/* The active replication settings when this router is a replica; NULL
 * otherwise (no node, another mode, or settings the daemon would refuse:
 * then it is no replica either). */
static VcrSettings *
replica_settings (void)
{
  g_autoptr(GBytes) out = show_config (ACTIVE_FLAGS, SETTINGS_PATH);
  g_autoptr(GString) text = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(VcrSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data;

  if (out == NULL || g_bytes_get_size (out) == 0)
    return NULL;
  /* showConfig with path words prints what is inside the node: put the
   * node's own words around it again. */
  data = g_bytes_get_data (out, &len);
  text = g_string_new ("high-availability {\nconfig-replication {\n");
  g_string_append_len (text, data, (gssize) len);
  g_string_append (text, "\n}\n}\n");
  tree = vcr_tree_parse (text->str, text->len, VCR_PARSE_SHOW_CONFIG,
                         "active config-replication settings", &error);
  if (tree != NULL)
    settings = vcr_settings_from_tree (tree, &error);
  if (settings == NULL)
    {
      g_printerr ("config-replication: the active settings are not valid (%s); "
                  "commit not checked\n", error->message);
      return NULL;
    }
  if (settings->mode != VCR_MODE_REPLICA)
    return NULL;
  return g_steal_pointer (&settings);
}

/* TRUE when VCR_APPLY_TOKEN is the daemon's current apply token. The token
 * file counts only when it is a regular file owned by root that no one else
 * may read: whoever can read it is root already. */
static gboolean
is_own_apply (void)
{
  const char *token = g_getenv ("VCR_APPLY_TOKEN");
  const char *path = env_or ("VCR_APPLY_TOKEN_FILE", DEFAULT_APPLY_TOKEN_FILE);
  char buf[MAX_TOKEN_SIZE + 1];
  struct stat st;
  gsize len, want;
  ssize_t n;
  guchar diff = 0;
  int fd;

  if (token == NULL || strlen (token) < MIN_TOKEN_SIZE)
    return FALSE;
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != 0 ||
      (st.st_mode & 077) != 0 || st.st_size > MAX_TOKEN_SIZE)
    {
      close (fd);
      return FALSE;
    }
  n = read (fd, buf, MAX_TOKEN_SIZE);
  close (fd);
  if (n <= 0)
    return FALSE;
  len = (gsize) n;
  while (len > 0 && buf[len - 1] == '\n')
    len--;
  want = strlen (token);
  if (len != want || len < MIN_TOKEN_SIZE)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guchar) (buf[i] ^ token[i]);
  return diff == 0;
}

/* The replicate paths (strings) CheckCommit refuses for @proposed; NULL
 * with @error when the bus or the daemon cannot answer. */
static GPtrArray *
ask_daemon (const VcrTree *proposed, GError **error)
{
  g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = NULL;
  sd_bus_error bus_error = SD_BUS_ERROR_NULL;
  sd_bus_message *call = NULL, *reply = NULL;
  sd_bus *bus = NULL;
  const char *path, *message;
  gsize len, done = 0;
  int fd, r;

  text = vcr_tree_to_file_contents (proposed, &len);
  fd = memfd_create ("proposed-config", MFD_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "memfd_create: %s", g_strerror (errno));
      return NULL;
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
          return NULL;
        }
      done += (gsize) n;
    }

  r = sd_bus_open_system (&bus);
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

static gboolean
same_output (GBytes *a, GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

/* Without the daemon: every replicate path whose working subtree is not
 * its active one (the reference is the daemon's; without it any change is
 * refused, which keeps the rule with the daemon down). */
static GPtrArray *
compare_locally (const VcrSettings *settings)
{
  GPtrArray *refused = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < settings->paths->len; i++)
    {
      const char *const *words = g_ptr_array_index (settings->paths, i);
      g_autoptr(GBytes) active = show_config (ACTIVE_FULL_FLAGS, words);
      g_autoptr(GBytes) working = show_config (WORKING_FULL_FLAGS, words);

      if (!same_output (active, working))
        g_ptr_array_add (refused, vcr_path_to_string (words));
    }
  return refused;
}

/* The refused replicate paths of this commit on a replica. */
static GPtrArray *
check_commit (const VcrSettings *settings)
{
  g_autoptr(GBytes) out = show_config (WORKING_FLAGS, NULL);
  g_autoptr(VcrTree) proposed = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *refused = NULL;

  if (out != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (out, &len);
      proposed = vcr_tree_parse (data != NULL ? data : "", len, VCR_PARSE_SHOW_CONFIG,
                                 "working config", &error);
    }
  if (proposed != NULL)
    refused = ask_daemon (proposed, &error);
  if (refused != NULL)
    return refused;
  g_printerr ("config-replication: the daemon did not check this commit (%s); "
              "comparing the replicated paths here\n",
              error != NULL ? error->message : "cannot read the working config");
  return compare_locally (settings);
}

static int
run_real_commit (char **argv)
{
  const char *bin = env_or ("VCR_MY_CLI_BIN", DEFAULT_MY_CLI_BIN);

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

  if (!g_file_test (env_or ("VCR_BOOT_DONE_FILE", DEFAULT_BOOT_DONE_FILE), G_FILE_TEST_EXISTS))
    return run_real_commit (argv);
  settings = replica_settings ();
  if (settings == NULL || is_own_apply ())
    return run_real_commit (argv);
  refused = check_commit (settings);
  if (refused->len == 0)
    return run_real_commit (argv);
  for (guint i = 0; i < refused->len; i++)
    printf ("Error: path \"%s\" is managed by config replication "
            "and must not be modified locally.\n",
            (const char *) g_ptr_array_index (refused, i));
  fflush (stdout);
  return 1;
}
