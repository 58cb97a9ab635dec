/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state store (daemon/vcr-state*.c): state.json is written off the
 * main loop, changes close together share one write, and a waiter is
 * told only once its change is on disk; a write that fails (state.json
 * replaced by a folder) is reported, shown until a retry succeeds, and
 * retried by itself; the intent record survives a restart and a bad one
 * is refused; reference copies are a new folder that is the reference
 * only once state.json names it, the old one removed only then. Works in
 * a fresh temporary folder; every wait is bounded.
 */
#define G_LOG_DOMAIN "test-state"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#include "vcr-path.h"
#include "vcr-state.h"

#define WAIT_CAP_S 30

typedef struct {
  char *dir;
  VcrState *state;
  GAsyncResult *result;
  guint status_changes;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
on_status (VcrState *state, Fixture *fixture)
{
  fixture->status_changes++;
}

static void
open_state (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&fixture->state);
  fixture->state = vcr_state_new (fixture->dir, &error);
  g_assert_no_error (error);
  g_signal_connect (fixture->state, "save-status-changed", G_CALLBACK (on_status), fixture);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-state-XXXXXX", &error);
  g_assert_no_error (error);
  open_state (fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_object (&fixture->state);
  g_clear_object (&fixture->result);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static gboolean
cap_reached (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until *@flag, or fails the test at the cap. */
static void
wait_for (gboolean (*done) (Fixture *), Fixture *fixture)
{
  gboolean reached = FALSE;
  guint cap = g_timeout_add_seconds (WAIT_CAP_S, cap_reached, &reached);

  while (!done (fixture) && !reached)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (reached);
  g_source_remove (cap);
}

static gboolean
have_result (Fixture *fixture)
{
  return fixture->result != NULL;
}

static void
save_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *fixture = user_data;

  g_assert_null (fixture->result);
  fixture->result = g_object_ref (result);
}

/* Saves, waits for the write, returns what the finish says. */
static gboolean
save_and_wait (Fixture *fixture, GError **error)
{
  g_clear_object (&fixture->result);
  vcr_state_save_async (fixture->state, save_done, fixture);
  wait_for (have_result, fixture);
  return vcr_state_save_finish (fixture->state, fixture->result, error);
}

static JsonObject *
read_json (Fixture *fixture, JsonParser *parser)
{
  g_autofree char *file = g_build_filename (fixture->dir, "state.json", NULL);
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, file, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static gint64
generation_on_disk (Fixture *fixture)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  return json_object_get_int_member (read_json (fixture, parser), "generation");
}

/* Twenty changes in a row: one write (the first may go alone), holding
 * the last; the waiter is told only once it is on disk. */
static void
test_coalesced (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint64 before = vcr_state_get_writes (fixture->state);

  for (guint i = 1; i <= 20; i++)
    {
      vcr_state_set_generation (fixture->state, i);
      g_assert_true (vcr_state_save (fixture->state, &error));
    }
  g_assert_true (save_and_wait (fixture, &error));
  g_assert_no_error (error);
  g_assert_cmpint (generation_on_disk (fixture), ==, 20);
  g_assert_cmpuint (vcr_state_get_writes (fixture->state) - before, <=, 2);
  g_assert_cmpuint (vcr_state_get_writes (fixture->state) - before, >=, 1);
}

static gboolean
saved_again (Fixture *fixture)
{
  return vcr_state_get_save_error (fixture->state) == NULL;
}

/* state.json replaced by a folder: the write fails, the waiter is told,
 * the failure shows (once), and a retry succeeds once the folder goes. */
static void
test_write_fails (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (fixture->dir, "state.json", NULL);
  g_autofree char *inside = g_build_filename (file, "x", NULL);

  g_assert_true (save_and_wait (fixture, &error));
  g_assert_cmpint (g_unlink (file), ==, 0);
  g_assert_cmpint (g_mkdir (file, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "x", 1, NULL));
  vcr_state_set_generation (fixture->state, 7);
  g_test_expect_message ("vcr-state", G_LOG_LEVEL_WARNING, "Cannot save the state: *; retrying");
  g_assert_false (save_and_wait (fixture, &error));
  g_test_assert_expected_messages ();
  g_assert_nonnull (error);
  g_assert_nonnull (vcr_state_get_save_error (fixture->state));
  g_assert_cmpuint (fixture->status_changes, ==, 1);
  g_clear_error (&error);
  /* another change while it fails: reported at once, not a new failure */
  vcr_state_set_generation (fixture->state, 8);
  g_assert_false (vcr_state_save (fixture->state, &error));
  g_assert_nonnull (error);
  g_unlink (inside);
  g_assert_cmpint (g_rmdir (file), ==, 0);
  wait_for (saved_again, fixture);
  g_assert_cmpuint (fixture->status_changes, ==, 2);
  g_assert_cmpint (generation_on_disk (fixture), ==, 8);
}

static GHashTable *
digests_of (const char *path, const char *digest)
{
  GHashTable *digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_insert (digests, g_strdup (path), g_strdup (digest));
  return digests;
}

#define DIGEST_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define EPOCH "0123456789abcdef0123456789abcdef"

/* The intent record and its undo file survive a restart; other undo files
 * do not. */
static void
test_intent (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) digests = digests_of ("firewall name WAN", DIGEST_A);
  g_autofree char *name = vcr_state_new_undo_name (fixture->state, 5);
  g_autofree char *undo = vcr_state_get_undo_path (fixture->state, name);
  g_autofree char *stale = vcr_state_get_undo_path (fixture->state, "config-1-0.boot");
  const VcrIntent *intent;

  vcr_state_set_intent (fixture->state, vcr_intent_new (EPOCH, 5, digests, TRUE, name));
  g_assert_true (save_and_wait (fixture, &error));
  g_assert_true (g_file_set_contents (undo, "old", 3, NULL));
  g_assert_true (g_file_set_contents (stale, "older", 5, NULL));
  open_state (fixture);
  intent = vcr_state_get_intent (fixture->state);
  g_assert_nonnull (intent);
  g_assert_cmpstr (intent->epoch, ==, EPOCH);
  g_assert_cmpuint (intent->generation, ==, 5);
  g_assert_true (intent->command);
  g_assert_cmpstr (intent->undo, ==, name);
  g_assert_cmpstr (g_hash_table_lookup (intent->digests, "firewall name WAN"), ==, DIGEST_A);
  g_assert_true (g_file_test (undo, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));

  /* cleared, and saved: the undo file goes once the write is on disk */
  vcr_state_set_intent (fixture->state, NULL);
  g_assert_true (g_file_test (undo, G_FILE_TEST_EXISTS));
  g_assert_true (save_and_wait (fixture, &error));
  g_assert_false (g_file_test (undo, G_FILE_TEST_EXISTS));
  open_state (fixture);
  g_assert_null (vcr_state_get_intent (fixture->state));
}

/* A state.json whose intent record is bad is moved aside, not obeyed. */
static void
test_intent_bad (Fixture *fixture, gconstpointer data)
{
  const char *bad[] = {
    "{\"epoch\":\"" EPOCH "\",\"generation\":1,\"digests\":{},\"command\":true,"
    "\"undo\":\"../../etc/passwd\"}",
    "{\"epoch\":\"" EPOCH "\",\"generation\":1,\"digests\":{\"a\":\"12\"},\"command\":true,"
    "\"undo\":null}",
    "{\"epoch\":\"" EPOCH "\",\"generation\":1,\"digests\":{\"a  b\":\"" DIGEST_A "\"},"
    "\"command\":true,\"undo\":null}",
    "{\"epoch\":\"" EPOCH "\",\"generation\":1,\"digests\":{},\"command\":\"yes\","
    "\"undo\":null}",
    "[]",
  };
  g_autofree char *file = g_build_filename (fixture->dir, "state.json", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf (
        "{\"format\":1,\"epoch\":\"" EPOCH "\",\"generation\":3,\"applied_epoch\":null,"
        "\"applied_generation\":0,\"acknowledged\":{},\"history\":[],\"applying\":%s}", bad[i]);

      g_assert_true (g_file_set_contents (file, text, -1, NULL));
      g_test_expect_message ("vcr-fileutil", G_LOG_LEVEL_WARNING, "*is invalid*");
      open_state (fixture);
      g_test_assert_expected_messages ();
      g_assert_null (vcr_state_get_intent (fixture->state));
      g_assert_cmpuint (vcr_state_get_generation (fixture->state), ==, 0);
      g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
    }
}

static VcrSnapshot *
snapshot_of (const char *wan, const char *vpn)
{
  VcrSnapshot *snapshot = vcr_snapshot_new ("test", EPOCH, 1);
  g_autofree char *a = vcr_digest (wan, strlen (wan));
  g_autofree char *b = vcr_digest (vpn, strlen (vpn));

  vcr_snapshot_add (snapshot, "firewall name WAN", wan, a);
  vcr_snapshot_add (snapshot, "interfaces openvpn", vpn, b);
  return snapshot;
}

static gboolean
folder_exists (Fixture *fixture, const char *name)
{
  g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

static const char *
folder_on_disk (Fixture *fixture, JsonParser *parser)
{
  return json_object_get_string_member (read_json (fixture, parser), "reference_dir");
}

static void
update (Fixture *fixture, const VcrSnapshot *snapshot)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrReferenceUpdate) u = vcr_state_prepare_references (fixture->state, snapshot);

  g_assert_true (vcr_reference_update_write (u, &error));
  g_assert_no_error (error);
  vcr_state_commit_references (fixture->state, u);
}

/* New copies are a new folder; on disk the old one stays the reference
 * (and stays) until state.json names the new one; unchanged copies are
 * links; an update never committed leaves nothing behind. */
static void
test_reference_folders (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) one = snapshot_of ("firewall {\n}\n", "");
  g_autoptr(VcrSnapshot) two = snapshot_of ("firewall {\n}\n", "interfaces {\n}\n");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(VcrReferenceUpdate) dropped = NULL;
  g_autofree char *wan1 = NULL, *wan2 = NULL;
  struct stat a, b;

  g_assert_true (save_and_wait (fixture, &error));
  update (fixture, one);
  g_assert_cmpstr (vcr_state_get_reference_dir (fixture->state), ==, "reference.1");
  g_assert_cmpstr (folder_on_disk (fixture, parser), ==, "reference");
  g_assert_true (save_and_wait (fixture, &error));
  g_assert_cmpstr (folder_on_disk (fixture, parser), ==, "reference.1");
  g_assert_false (folder_exists (fixture, "reference"));

  /* a failed write keeps the folder on disk, and the one in force */
  {
    g_autofree char *file = g_build_filename (fixture->dir, "state.json", NULL);
    g_assert_cmpint (g_unlink (file), ==, 0);
    g_assert_cmpint (g_mkdir (file, 0700), ==, 0);
    update (fixture, two);
    g_test_expect_message ("vcr-state", G_LOG_LEVEL_WARNING, "Cannot save the state: *");
    g_assert_false (save_and_wait (fixture, &error));
    g_test_assert_expected_messages ();
    g_clear_error (&error);
    g_assert_true (folder_exists (fixture, "reference.1"));
    g_assert_true (folder_exists (fixture, "reference.2"));
    g_assert_cmpint (g_rmdir (file), ==, 0);
    wait_for (saved_again, fixture);
    g_assert_cmpstr (folder_on_disk (fixture, parser), ==, "reference.2");
    g_assert_false (folder_exists (fixture, "reference.1"));
  }
  wan2 = g_build_filename (fixture->dir, "reference.2", "firewall%20name%20WAN", NULL);
  g_assert_cmpint (stat (wan2, &a), ==, 0);
  g_assert_cmpuint (a.st_nlink, ==, 1);

  /* same digests: no folder; one path changed: the other linked */
  update (fixture, two);
  g_assert_cmpstr (vcr_state_get_reference_dir (fixture->state), ==, "reference.2");
  update (fixture, one);
  g_assert_cmpstr (vcr_state_get_reference_dir (fixture->state), ==, "reference.3");
  wan1 = g_build_filename (fixture->dir, "reference.3", "firewall%20name%20WAN", NULL);
  g_assert_cmpint (stat (wan1, &b), ==, 0);
  g_assert_cmpuint (a.st_ino, ==, b.st_ino);
  g_assert_cmpstr (vcr_state_get_reference_digest (fixture->state, "interfaces openvpn"), ==,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  /* prepared and written, never committed: gone with it */
  dropped = vcr_state_prepare_references (fixture->state, two);
  g_assert_true (vcr_reference_update_write (dropped, &error));
  g_assert_true (folder_exists (fixture, "reference.4"));
  g_clear_pointer (&dropped, vcr_reference_update_free);
  g_assert_false (folder_exists (fixture, "reference.4"));
  g_assert_true (save_and_wait (fixture, &error));
  g_assert_false (folder_exists (fixture, "reference.2"));
}

/* A restart finds the reference state.json names, and removes folders a
 * crash left behind. */
static void
test_reference_restart (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) one = snapshot_of ("firewall {\n}\n", "");
  g_autofree char *leftover = g_build_filename (fixture->dir, "reference.9", NULL);
  g_autofree char *digest = vcr_digest ("firewall {\n}\n", 13);

  update (fixture, one);
  g_assert_true (save_and_wait (fixture, &error));
  g_assert_cmpint (g_mkdir (leftover, 0700), ==, 0);
  open_state (fixture);
  g_assert_cmpstr (vcr_state_get_reference_dir (fixture->state), ==, "reference.1");
  g_assert_cmpstr (vcr_state_get_reference_digest (fixture->state, "firewall name WAN"), ==,
                   digest);
  g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));
}

static void
add (const char *path, void (*fn) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/state/save/coalesced", test_coalesced);
  add ("/state/save/fails", test_write_fails);
  add ("/state/intent/restart", test_intent);
  add ("/state/intent/bad", test_intent_bad);
  add ("/state/references/folders", test_reference_folders);
  add ("/state/references/restart", test_reference_restart);
  return g_test_run ();
}
