/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vyos backend (daemon/vcr-backend-vyos.c) against stand-ins for
 * VyOS's tools: fake-cli-shell-api prints the "active" config,
 * fake-cfg-cmd-wrapper records the command stream of the configuration
 * session and can hold the commit lock or fail the commit. Checked: the
 * exact commands and their order, the quoting of awkward values, one
 * session per apply, the guard's token, retries on a held lock, nothing
 * saved after a failure (VyOS's own text as the reason), values VyOS
 * cannot take refused before any session, the deadlines of every child,
 * and that one changed rule of 10,000 is a handful of commands.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>

#include "vcr-backend.h"
#include "vcr-backend-vyos.h"
#include "vcr-commands.h"
#include "vcr-error.h"

static char *fake_dir;

static void
reset_fake (void)
{
  const char *names[] = { "stream", "sessions", "token", "via", "locks", "commit-error",
                          "commit.log", "commit-hang", "hang.pid", "save-error",
                          "active/ALL.hang", "active/ALL.huge", NULL };
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *p = g_build_filename (fake_dir, names[i], NULL);
      g_unlink (p);
    }
}

static void
write_fake (const char *name, const char *text)
{
  g_autofree char *dir = g_build_filename (fake_dir, "active", NULL);
  g_autofree char *p = g_build_filename (fake_dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir, 0755);
  g_file_set_contents (p, text, -1, &error);
  g_assert_no_error (error);
}

static char *
read_fake (const char *name)
{
  g_autofree char *p = g_build_filename (fake_dir, name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (p, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static void
done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;
  if (!vcr_backend_apply_finish (VCR_BACKEND (source), result, NULL, error) && *error == NULL)
    g_assert_not_reached ();
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NONE, "ok");
}

/* Applies @wanted at @path, leaving @exclude (nullable) as the running
 * config has it; NULL on success. */
static GError *
apply_excluding (VcrBackend *backend, const VcrTree *wanted, const char *path,
                 const char *exclude)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) excludes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  GError *error = NULL;

  g_ptr_array_add (paths, g_strsplit (path, " ", -1));
  if (exclude != NULL)
    g_ptr_array_add (excludes, g_strsplit (exclude, " ", -1));
  vcr_backend_apply_async (backend, wanted, paths, excludes, NULL, FALSE, NULL, done_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NONE))
    g_clear_error (&error);
  return error;
}

static GError *
apply (VcrBackend *backend, const VcrTree *wanted, const char *path)
{
  return apply_excluding (backend, wanted, path, NULL);
}

/* The active config plus @commands. */
static VcrTree *
wanted_tree (const char *active, const char *commands)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) running = vcr_tree_parse (active, strlen (active), VCR_PARSE_SHOW_CONFIG,
                                               "active", &error);
  VcrTree *tree;

  g_assert_no_error (error);
  tree = vcr_commands_apply (running, commands, strlen (commands), running, "commands", &error);
  g_assert_no_error (error);
  return tree;
}

static void
assert_session_files_gone (void)
{
  g_autofree char *token = g_build_filename (fake_dir, "run", "apply-token", NULL);
  g_autofree char *script = g_build_filename (fake_dir, "run", "apply-session.sh", NULL);
  g_assert_false (g_file_test (token, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (script, G_FILE_TEST_EXISTS));
}

static const char ACTIVE[] =
  "firewall {\n"
  "    name WAN {\n"
  "        default-action drop\n"
  "        rule 10 {\n"
  "            action accept\n"
  "        }\n"
  "        rule 20 {\n"
  "            action drop\n"
  "        }\n"
  "    }\n"
  "    name WAN2 {\n"
  "        default-action accept\n"
  "    }\n"
  "}\n"
  "interfaces {\n"
  "    ethernet eth0 {\n"
  "        address 192.168.0.1/24\n"
  "    }\n"
  "}\n";

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static VcrTree *
read_running (VcrBackend *backend, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vcr_backend_read_async (backend, NULL, read_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return vcr_backend_read_finish (backend, result, error);
}

static void
test_read (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;
  g_autofree char *calls = NULL;
  g_autofree char *commands = NULL;

  reset_fake ();
  write_fake ("calls", "");
  write_fake ("active/ALL", "system {\n    host-name \"a b\"\n    login-banner \"x \\ y\"\n}\n");
  tree = read_running (backend, &error);
  g_assert_no_error (error);
  commands = vcr_tree_render (tree, VCR_FORMAT_COMMANDS, NULL, NULL);
  g_assert_cmpstr (commands, ==,
                   "set system host-name 'a b'\n"
                   "set system login-banner 'x \\ y'\n");
  calls = read_fake ("calls");
  g_assert_cmpstr (calls, ==, "--show-active-only showConfig\n");
  g_clear_pointer (&tree, vcr_tree_free);

  /* Any bytes: a value that is not UTF-8 is read as it is. */
  g_clear_pointer (&commands, g_free);
  write_fake ("active/ALL", "system {\n    login-banner \"\xff\xfe x\"\n}\n");
  tree = read_running (backend, &error);
  g_assert_no_error (error);
  commands = vcr_tree_render (tree, VCR_FORMAT_COMMANDS, NULL, NULL);
  g_assert_cmpstr (commands, ==, "set system login-banner '\xff\xfe x'\n");
  g_clear_pointer (&tree, vcr_tree_free);

  /* What does not parse is an error, not a tree. */
  write_fake ("active/ALL", "system {\n");
  tree = read_running (backend, &error);
  g_assert_null (tree);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, "running config:"));
  g_clear_error (&error);

  /* showConfig failing is an error too. */
  g_autofree char *active = g_build_filename (fake_dir, "active", "ALL", NULL);
  g_unlink (active);
  tree = read_running (backend, &error);
  g_assert_null (tree);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
}

static void
test_apply_commands (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;
  g_autofree char *token = NULL;
  g_auto(GStrv) sessions = NULL;
  g_autofree char *sessions_text = NULL;

  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  wanted = wanted_tree (ACTIVE,
                        "delete firewall name WAN rule 20\n"
                        "delete firewall name WAN rule 10 action 'accept'\n"
                        "set firewall name WAN rule 10 action 'drop'\n"
                        "set firewall name WAN description 'it'\\''s \"a\" \\ b  c'\n"
                        "set firewall name WAN rule 30 disable\n"
                        "comment firewall name WAN rule 10 'keep \"me\"'\n"
                        /* outside the replicated path: never applied */
                        "set interfaces ethernet eth0 description 'x'\n"
                        "delete firewall name WAN2\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_no_error (error);
  stream = read_fake ("stream");
  g_assert_cmpstr (stream, ==,
                   "[begin]\n"
                   "[delete][firewall][name][WAN][rule][20]\n"
                   "[delete][firewall][name][WAN][rule][10][action]\n"
                   "[set][firewall][name][WAN][description][it's \"a\" \\ b  c]\n"
                   "[set][firewall][name][WAN][rule][10][action][drop]\n"
                   "[set][firewall][name][WAN][rule][30][disable]\n"
                   "[comment][firewall][name][WAN][rule][10][keep \"me\"]\n"
                   "[commit_with_error]\n"
                   "[save]\n"
                   "[end]\n");
  token = read_fake ("token");
  g_assert_cmpstr (token, ==, "token ok\n");
  {
    g_autofree char *via = read_fake ("via");
    g_assert_cmpstr (via, ==, "vyos-config-replication\n");
  }
  sessions_text = read_fake ("sessions");
  sessions = g_strsplit (sessions_text, "\n", -1);
  g_assert_cmpuint (g_strv_length (sessions), ==, 11);
  for (guint i = 0; sessions[i + 1] != NULL && *sessions[i + 1] != '\0'; i++)
    {
      g_assert_cmpstr (sessions[i], !=, "none");
      g_assert_cmpstr (sessions[i], ==, sessions[i + 1]);
    }
  assert_session_files_gone ();
}

static void
test_apply_unchanged (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;

  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  wanted = wanted_tree (ACTIVE, "set interfaces ethernet eth0 description 'x'\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_no_error (error);
  stream = read_fake ("stream");
  g_assert_cmpstr (stream, ==, "");
}

/* Under an exclusion the config as read at apply time is what is wanted:
 * the caller's older copy there (its description) sets nothing, and a
 * local value set since (the active config's) is not deleted. */
static void
test_apply_exclude (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;
  g_autoptr(GString) active = g_string_new (ACTIVE);

  reset_fake ();
  g_string_replace (active, "        default-action drop\n",
                    "        default-action drop\n        description local\n", 1);
  write_fake ("active/ALL", active->str);
  wanted = wanted_tree (ACTIVE,
                        "delete firewall name WAN rule 20\n"
                        "set firewall name WAN description 'as read'\n");
  error = apply_excluding (backend, wanted, "firewall name WAN", "firewall name WAN description");
  g_assert_no_error (error);
  stream = read_fake ("stream");
  g_assert_cmpstr (stream, ==,
                   "[begin]\n"
                   "[delete][firewall][name][WAN][rule][20]\n"
                   "[commit_with_error]\n"
                   "[save]\n"
                   "[end]\n");
}

static void
test_apply_lock (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;
  const char *one =
    "[begin]\n"
    "[set][firewall][name][WAN][rule][30][disable]\n"
    "[commit_with_error]\n";

  vcr_backend_vyos_set_retry (backend, 1, 3);
  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  write_fake ("locks", "2\n");
  wanted = wanted_tree (ACTIVE, "set firewall name WAN rule 30 disable\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_no_error (error);
  stream = read_fake ("stream");
  {
    g_autofree char *want = g_strconcat (one, "[discard]\n[end]\n", one, "[discard]\n[end]\n",
                                         one, "[save]\n[end]\n", NULL);
    g_assert_cmpstr (stream, ==, want);
  }
  g_clear_pointer (&stream, g_free);

  /* Held for longer than the attempts: the lock message is the reason,
   * and nothing is saved. */
  reset_fake ();
  write_fake ("locks", "100\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Configuration system temporarily locked due to another commit in progress");
  stream = read_fake ("stream");
  {
    g_autofree char *want = g_strconcat (one, "[discard]\n[end]\n", one, "[discard]\n[end]\n",
                                         one, "[discard]\n[end]\n", NULL);
    g_assert_cmpstr (stream, ==, want);
  }
  assert_session_files_gone ();
}

/* A lock held for longer than the apply's time: the waits stop at the
 * apply's deadline, not after every attempt allowed (100 here, with
 * delays doubling to 8 s: minutes), so the replica can still answer within
 * its own bound. */
static void
test_apply_lock_deadline (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;
  guint sessions = 0;

  vcr_backend_vyos_set_retry (backend, 400, 100);
  vcr_backend_vyos_set_timeouts (backend, 60000, 1500);
  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  write_fake ("locks", "1000\n");
  wanted = wanted_tree (ACTIVE, "set firewall name WAN rule 30 disable\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  stream = read_fake ("stream");
  for (const char *p = stream; (p = strstr (p, "[begin]")) != NULL; p++)
    sessions++;
  g_assert_cmpuint (sessions, >=, 1);
  g_assert_cmpuint (sessions, <=, 4);   /* 400 + 800 ms of waits fit in 1.5 s, 1.6 s more do not */
  g_assert_null (strstr (stream, "[save]"));
  assert_session_files_gone ();
}

static void
test_apply_failure (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;

  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  write_fake ("commit-error", "[ firewall ]\nRule 30 needs an action\n\n[[firewall]] failed\n");
  wanted = wanted_tree (ACTIVE, "set firewall name WAN rule 30 disable\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "[ firewall ]\nRule 30 needs an action\n\n[[firewall]] failed");
  stream = read_fake ("stream");
  g_assert_cmpstr (stream, ==,
                   "[begin]\n"
                   "[set][firewall][name][WAN][rule][30][disable]\n"
                   "[commit_with_error]\n"
                   "[discard]\n"
                   "[end]\n");
  assert_session_files_gone ();
}

static void
test_apply_big (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(GString) active = g_string_new ("firewall {\n    name WAN {\n");
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;

  for (guint i = 1; i <= 10000; i++)
    g_string_append_printf (active,
                            "        rule %u {\n"
                            "            action accept\n"
                            "            destination {\n"
                            "                port %u\n"
                            "            }\n"
                            "            protocol tcp\n"
                            "        }\n", i, 1000 + i);
  g_string_append (active, "    }\n}\n");
  reset_fake ();
  write_fake ("active/ALL", active->str);
  wanted = wanted_tree (active->str,
                        "delete firewall name WAN rule 5000 destination port '6000'\n"
                        "set firewall name WAN rule 5000 destination port '6001'\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_no_error (error);
  stream = read_fake ("stream");
  g_assert_cmpstr (stream, ==,
                   "[begin]\n"
                   "[delete][firewall][name][WAN][rule][5000][destination][port]\n"
                   "[set][firewall][name][WAN][rule][5000][destination][port][6001]\n"
                   "[commit_with_error]\n"
                   "[save]\n"
                   "[end]\n");
}


/* What VyOS cannot keep (a line break splits a value in its store, other
 * control characters, bytes that are not UTF-8) is refused before any
 * session starts. */
static void
test_apply_unsafe (void)
{
  const char *bad[] = {
    "set firewall name WAN description 'two\nlines'\n",
    "set firewall name WAN description 'bell\a'\n",
    "set firewall name WAN description 'latin1 \xe9'\n",
    "comment firewall name WAN 'a\rb'\n",
    "set firewall name WAN rule 'x\ny' action 'drop'\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
      g_autoptr(VcrTree) wanted = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *stream = NULL;

      reset_fake ();
      write_fake ("active/ALL", ACTIVE);
      wanted = wanted_tree (ACTIVE, bad[i]);
      error = apply (backend, wanted, "firewall name WAN");
      g_assert_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG);
      g_assert_true (g_str_has_prefix (error->message, "Cannot apply through VyOS:"));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      stream = read_fake ("stream");
      g_assert_cmpstr (stream, ==, "");
      assert_session_files_gone ();
    }
}

/* A tab is no danger to the shell nor to VyOS's store. */
static void
test_apply_tab (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;

  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  wanted = wanted_tree (ACTIVE, "set firewall name WAN description 'a\tb ü'\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_no_error (error);
  stream = read_fake ("stream");
  g_assert_cmpstr (stream, ==,
                   "[begin]\n"
                   "[set][firewall][name][WAN][description][a\tb ü]\n"
                   "[commit_with_error]\n"
                   "[save]\n"
                   "[end]\n");
}

/* Committed but not saved: the reason says so; nothing is discarded. */
static void
test_apply_save_fails (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;

  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  write_fake ("save-error", "No space left on device\n");
  wanted = wanted_tree (ACTIVE, "set firewall name WAN rule 30 disable\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Committed, but saving the config failed: No space left on device");
  stream = read_fake ("stream");
  g_assert_cmpstr (stream, ==,
                   "[begin]\n"
                   "[set][firewall][name][WAN][rule][30][disable]\n"
                   "[commit_with_error]\n"
                   "[save]\n"
                   "[end]\n");
  assert_session_files_gone ();
}

/* A commit that never ends is stopped at the session's deadline: the
 * session is discarded and ended, the hung process is gone, nothing saved.
 * (Should the machine be so slow that the deadline comes before the
 * commit, the same holds.) */
static void
test_apply_deadline (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(VcrTree) wanted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stream = NULL;
  g_autofree char *pid_text = NULL;

  vcr_backend_vyos_set_timeouts (backend, 60000, 2000);
  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  write_fake ("commit-hang", "");
  wanted = wanted_tree (ACTIVE, "set firewall name WAN rule 30 disable\n");
  error = apply (backend, wanted, "firewall name WAN");
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message,
                                   "The VyOS configuration session did not end within the "
                                   "apply's 2 s and was stopped (its changes discarded): "));
  g_assert_nonnull (strstr (error->message,
                            "stopped at its deadline; the session was discarded"));
  stream = read_fake ("stream");
  g_assert_true (g_str_has_prefix (stream, "[begin]\n"));
  g_assert_true (g_str_has_suffix (stream, "[discard]\n[end]\n"));
  g_assert_null (strstr (stream, "[save]"));
  pid_text = read_fake ("hang.pid");
  if (*pid_text != '\0')
    {
      pid_t pid = (pid_t) g_ascii_strtoll (pid_text, NULL, 10);
      g_assert_cmpint (pid, >, 0);
      g_assert_true (kill (pid, 0) < 0);
    }
  assert_session_files_gone ();
}

/* showConfig has a deadline and a bound on what it may print. */
static void
test_read_bounded (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = NULL;

  vcr_backend_vyos_set_timeouts (backend, 300, 5000);
  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  write_fake ("active/ALL.hang", "");
  tree = read_running (backend, &error);
  g_assert_null (tree);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "cli-shell-api showConfig: it did not end in time");
  g_clear_error (&error);

  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  write_fake ("active/ALL.huge", "");
  vcr_backend_vyos_set_timeouts (backend, 20000, 5000);
  tree = read_running (backend, &error);
  g_assert_null (tree);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "cli-shell-api showConfig: printed more than 67108864 bytes");
}

/* One apply at a time: the token and the script are per apply. */
static void
test_apply_busy (void)
{
  g_autoptr(VcrBackend) backend = vcr_backend_vyos_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(VcrTree) wanted = NULL;
  GError *first = NULL, *second = NULL;

  reset_fake ();
  write_fake ("active/ALL", ACTIVE);
  wanted = wanted_tree (ACTIVE, "set firewall name WAN rule 30 disable\n");
  g_ptr_array_add (paths, g_strsplit ("firewall name WAN", " ", -1));
  vcr_backend_apply_async (backend, wanted, paths, NULL, NULL, FALSE, NULL, done_cb, &first);
  vcr_backend_apply_async (backend, wanted, paths, NULL, NULL, FALSE, NULL, done_cb, &second);
  while (first == NULL || second == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (second, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_error (first, G_IO_ERROR, G_IO_ERROR_NONE);
  g_error_free (first);
  g_error_free (second);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  fake_dir = g_dir_make_tmp ("vcr-vyos-backend-XXXXXX", &error);
  g_assert_no_error (error);
  token = g_build_filename (fake_dir, "run", "apply-token", NULL);
  g_setenv ("VCR_FAKE_DIR", fake_dir, TRUE);
  g_setenv ("VCR_APPLY_TOKEN_FILE", token, TRUE);
  g_setenv ("VCR_CLI_SHELL_API", g_getenv ("VCR_FAKE_API"), TRUE);
  g_setenv ("VCR_CFG_CMD_WRAPPER", g_getenv ("VCR_FAKE_WRAPPER"), TRUE);

  g_test_add_func ("/vyos-backend/read", test_read);
  g_test_add_func ("/vyos-backend/apply-commands", test_apply_commands);
  g_test_add_func ("/vyos-backend/apply-unchanged", test_apply_unchanged);
  g_test_add_func ("/vyos-backend/apply-exclude", test_apply_exclude);
  g_test_add_func ("/vyos-backend/apply-lock", test_apply_lock);
  g_test_add_func ("/vyos-backend/apply-lock-deadline", test_apply_lock_deadline);
  g_test_add_func ("/vyos-backend/apply-failure", test_apply_failure);
  g_test_add_func ("/vyos-backend/apply-10000-rules", test_apply_big);
  g_test_add_func ("/vyos-backend/apply-unsafe", test_apply_unsafe);
  g_test_add_func ("/vyos-backend/apply-tab", test_apply_tab);
  g_test_add_func ("/vyos-backend/apply-save-fails", test_apply_save_fails);
  g_test_add_func ("/vyos-backend/apply-deadline", test_apply_deadline);
  g_test_add_func ("/vyos-backend/read-bounded", test_read_bounded);
  g_test_add_func ("/vyos-backend/apply-busy", test_apply_busy);
  rc = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", fake_dir);
    if (system (cmd) != 0)
      g_printerr ("cannot remove %s\n", fake_dir);
  }
  g_free (fake_dir);
  return rc;
}
