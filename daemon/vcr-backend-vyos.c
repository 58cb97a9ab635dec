/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VyOS backend: the running config of a real VyOS router.
 *
 * Reading runs `cli-shell-api --show-active-only showConfig` (VyOS's own
 * reader; never --show-hide-secrets) and parses its output
 * (VCR_PARSE_SHOW_CONFIG, any bytes) in a worker thread.
 *
 * Applying is one configuration session, so one commit under VyOS's one
 * commit lock: the running config is read again, lib's diff gives, per
 * replicated path, the fewest `delete`/`set`/`comment` commands that turn
 * the running subtree into the snapshot's (comments included, so the
 * replica's digests match the primary's), and they go into one shell
 * script (vcr-backend-vyos-script.c) that drives vyatta-cfg-cmd-wrapper.
 * Any failing step discards the session: nothing is committed or saved,
 * and the step's own output (VyOS's error text) is the error. When another
 * commit holds the lock, the whole apply is tried again from the read,
 * with a doubling delay and a bounded number of attempts.
 *
 * The commit passes the commit guard (guard/) because the session carries
 * a fresh random token in VCR_APPLY_TOKEN that matches the root-only file
 * the apply writes under /run for the session's duration.
 *
 * Every child has a deadline and a bound on its output
 * (vcr-backend-vyos-child.c); the main loop never waits: parsing, diffing
 * and writing the script run in a worker. The tools can be redirected for
 * tests: VCR_CLI_SHELL_API, VCR_CFG_CMD_WRAPPER, VCR_APPLY_TOKEN_FILE (the
 * session script is written beside the token); the daemon's environment is
 * its unit's, not a user's.
 */
#define G_LOG_DOMAIN "vcr-backend-vyos"

#include "config.h"

#include <errno.h>
#include <sys/random.h>
#include <unistd.h>

#include "vcr-backend.h"
#include "vcr-backend-vyos.h"
#include "vcr-backend-vyos-private.h"
#include "vcr-error.h"
#include "vcr-mask.h"

#define DEFAULT_CLI_SHELL_API "/bin/cli-shell-api"
#define DEFAULT_CFG_CMD_WRAPPER "/opt/vyatta/sbin/vyatta-cfg-cmd-wrapper"
#define DEFAULT_APPLY_TOKEN_FILE "/run/vyos-config-replication/apply-token"

#define DEFAULT_RETRY_MS 500
#define MAX_RETRY_MS 8000
#define DEFAULT_MAX_ATTEMPTS 8
#define DEFAULT_READ_TIMEOUT_MS (60 * 1000)
/* A whole apply (every attempt: its read, its session, the waits for a
 * held lock) ends within this, so that the replica can still undo and
 * answer within its own bound (VCR_REPLICATOR_APPLY_BOUND_S, 240 s), which
 * is below the primary's wait for the answer (300 s). */
#define DEFAULT_SESSION_TIMEOUT_MS (180 * 1000)
/* A running config larger than what a peer may send (SPEC §7) cannot be
 * replicated anyway. */
#define READ_MAX_SIZE (64 * 1024 * 1024)
/* Enough of VyOS's output for the reason of a failure. */
#define SESSION_OUTPUT_MAX (64 * 1024)

struct _VcrBackendVyos {
  VcrBackend parent_instance;
  guint retry_ms;        /* first delay after a held lock; doubles */
  guint max_attempts;
  guint read_timeout_ms;
  guint session_timeout_ms;
  gboolean applying;
};

G_DECLARE_FINAL_TYPE (VcrBackendVyos, vcr_backend_vyos, VCR, BACKEND_VYOS, VcrBackend)
G_DEFINE_TYPE (VcrBackendVyos, vcr_backend_vyos, VCR_TYPE_BACKEND)

static const char *
env_or (const char *name, const char *fallback)
{
  const char *value = g_getenv (name);
  return value != NULL && *value != '\0' ? value : fallback;
}

/* A tool's output as text for a message (it may hold any bytes). */
static char *
output_text (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  char *text = g_utf8_make_valid (data != NULL ? data : "", (gssize) MIN (len, 4096));

  return g_strstrip (text);
}

/* ---- reading ---------------------------------------------------------- */

static void
spawn_show_config (VcrBackendVyos *self, guint timeout_ms, GAsyncReadyCallback done,
                   gpointer user_data)
{
  const char *argv[] = {
    env_or ("VCR_CLI_SHELL_API", DEFAULT_CLI_SHELL_API), "--show-active-only", "showConfig", NULL
  };
  VcrVyosChild spec = {
    .argv = argv,
    .timeout_ms = timeout_ms,
    .max_output = READ_MAX_SIZE,
    .kill_on_overflow = TRUE,
  };

  vcr_vyos_child_run_async (&spec, done, user_data);
}

/* The output of showConfig, or NULL with the reason. */
static GBytes *
show_config_finish (GAsyncResult *result, GError **error)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) child_error = NULL;
  int status;

  if (!vcr_vyos_child_run_finish (result, &out, &status, &child_error))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED, "cli-shell-api showConfig: %s",
                   child_error->message);
      return NULL;
    }
  if (status != 0)
    {
      g_autofree char *text = output_text (out);
      g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED,
                   "cli-shell-api showConfig failed (exit status %d): %s", status, text);
      return NULL;
    }
  return g_steal_pointer (&out);
}

static VcrTree *
parse_running (GBytes *text, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (text, &len);

  return vcr_tree_parse (data != NULL ? data : "", len, VCR_PARSE_SHOW_CONFIG,
                         "running config", error);
}

static void
read_parse_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  VcrTree *tree = parse_running (task_data, &error);

  if (tree == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, tree, (GDestroyNotify) vcr_tree_free);
}

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *out = show_config_finish (result, &error);

  if (out == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, out, (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, read_parse_thread);
}

static void
vyos_read_async (VcrBackend *backend, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (backend, cancellable, callback, user_data);

  spawn_show_config (VCR_BACKEND_VYOS (backend), VCR_BACKEND_VYOS (backend)->read_timeout_ms,
                     read_done, task);
}

static VcrTree *
vyos_read_finish (VcrBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- applying --------------------------------------------------------- */

typedef struct {
  const VcrTree *wanted;   /* borrowed: the caller keeps it until the finish */
  GPtrArray *paths;        /* of GStrv */
  GPtrArray *excludes;     /* of GStrv, nullable: left as the running config has them */
  guint attempt;
  guint delay_ms;
  gint64 deadline;         /* monotonic µs: the whole apply ends by then */
  GBytes *running_text;
  char *token_file;
  char *script_file;
  char *token;
  gboolean nothing_to_do;
} Apply;

static void
apply_free (Apply *a)
{
  g_ptr_array_unref (a->paths);
  g_clear_pointer (&a->excludes, g_ptr_array_unref);
  g_clear_pointer (&a->running_text, g_bytes_unref);
  g_free (a->token_file);
  g_free (a->script_file);
  g_free (a->token);
  g_free (a);
}

static char *
script_file_for (const char *token_file)
{
  g_autofree char *dir = g_path_get_dirname (token_file);
  return g_build_filename (dir, "apply-session.sh", NULL);
}

static void
remove_session_files (const char *token_file, const char *script_file)
{
  if (unlink (token_file) < 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s, ignoring", token_file, g_strerror (errno));
  if (unlink (script_file) < 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s, ignoring", script_file, g_strerror (errno));
}

static char *
random_token (GError **error)
{
  guint8 bytes[16];
  GString *hex = g_string_new (NULL);

  if (getrandom (bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED, "getrandom: %s", g_strerror (errno));
      g_string_free (hex, TRUE);
      return NULL;
    }
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
write_private (const char *path, const char *data, GError **error)
{
  return g_file_set_contents_full (path, data, (gssize) strlen (data),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Worker: parse the running config, diff, write the script and the token. */
static gboolean
prepare (Apply *a, GError **error)
{
  g_autoptr(VcrTree) running = NULL;
  g_autoptr(VcrTree) target = NULL;
  g_autofree char *script = NULL;
  g_autofree char *dir = NULL;
  guint n_commands;

  running = parse_running (a->running_text, error);
  if (running == NULL)
    return FALSE;
  /* Under an exclusion the running config as read now is what is wanted:
   * no command touches it, whatever the caller's tree holds there. */
  if (a->excludes != NULL && a->excludes->len > 0)
    {
      target = vcr_tree_new ();
      for (guint i = 0; i < a->paths->len; i++)
        vcr_tree_graft (target, a->wanted, g_ptr_array_index (a->paths, i));
      vcr_mask_keep_local (target, running, a->excludes);
    }
  script = vcr_vyos_session_script (running, target != NULL ? target : a->wanted, a->paths,
                                    env_or ("VCR_CFG_CMD_WRAPPER", DEFAULT_CFG_CMD_WRAPPER),
                                    &n_commands, error);
  if (script == NULL)
    {
      a->nothing_to_do = n_commands == 0 && (error == NULL || *error == NULL);
      return a->nothing_to_do;
    }
  g_debug ("Applying with %u commands in one session", n_commands);
  dir = g_path_get_dirname (a->token_file);
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int e = errno;
      g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED, "Cannot create %s: %s", dir, g_strerror (e));
      return FALSE;
    }
  g_free (a->token);
  a->token = random_token (error);
  return a->token != NULL &&
         write_private (a->script_file, script, error) &&
         write_private (a->token_file, a->token, error);
}

static void
prepare_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (prepare (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Ends the apply (@error NULL: success) and lets the next one start. */
static void
apply_return (GTask *task, GError *error)
{
  VcrBackendVyos *self = g_task_get_source_object (task);
  Apply *a = g_task_get_task_data (task);

  remove_session_files (a->token_file, a->script_file);
  self->applying = FALSE;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void start_attempt (GTask *task);

/* What is left of the apply's time, in ms (0: none). */
static guint
remaining_ms (const Apply *a)
{
  gint64 left = a->deadline - g_get_monotonic_time ();

  return left > 0 ? (guint) ((left + 999) / 1000) : 0;
}

static GError *
out_of_time (VcrBackendVyos *self)
{
  return g_error_new (VCR_ERROR, VCR_ERROR_FAILED,
                      "The VyOS configuration could not be applied within %g s "
                      "(nothing was committed)", self->session_timeout_ms / 1000.0);
}

static gboolean
retry_cb (gpointer user_data)
{
  start_attempt (user_data);
  return G_SOURCE_REMOVE;
}

/* The reason of a failed session, VyOS's own text first. */
static GError *
session_error (VcrBackendVyos *self, int status, GBytes *out, const GError *child_error)
{
  g_autofree char *text = output_text (out);

  if (g_error_matches (child_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (VCR_ERROR, VCR_ERROR_FAILED,
                        "The VyOS configuration session did not end within the apply's %g s "
                        "and was stopped (its changes discarded): %s",
                        self->session_timeout_ms / 1000.0, text);
  if (child_error != NULL)
    return g_error_new (VCR_ERROR, VCR_ERROR_FAILED, "The VyOS configuration session: %s",
                        child_error->message);
  if (status == VCR_VYOS_EXIT_NOT_SAVED)
    return g_error_new (VCR_ERROR, VCR_ERROR_FAILED,
                        "Committed, but saving the config failed: %s", text);
  if (*text != '\0')
    return g_error_new_literal (VCR_ERROR, VCR_ERROR_FAILED, text);
  return g_error_new (VCR_ERROR, VCR_ERROR_FAILED,
                      "The VyOS configuration session failed (exit status %d)", status);
}

static void
session_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Apply *a = g_task_get_task_data (task);
  VcrBackendVyos *self = g_task_get_source_object (task);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) child_error = NULL;
  int status;

  remove_session_files (a->token_file, a->script_file);
  if (vcr_vyos_child_run_finish (result, &out, &status, &child_error) && status == 0)
    {
      apply_return (task, NULL);
      return;
    }
  if (child_error == NULL && status == VCR_VYOS_EXIT_LOCKED && a->attempt < self->max_attempts &&
      remaining_ms (a) > a->delay_ms)
    {
      g_message ("The VyOS configuration is locked by another commit; "
                 "trying again in %u ms", a->delay_ms);
      g_timeout_add (a->delay_ms, retry_cb, task);
      a->delay_ms = MIN (a->delay_ms * 2, MAX_RETRY_MS);
      return;
    }
  apply_return (task, session_error (self, status, out, child_error));
}

static void
prepare_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Apply *a = g_task_get_task_data (task);
  VcrBackendVyos *self = g_task_get_source_object (task);
  const char *argv[] = { "/bin/sh", a->script_file, NULL };
  const char *env[] = { "VCR_APPLY_TOKEN", a->token, NULL };
  VcrVyosChild spec = {
    .argv = argv,
    .setenv = env,
    .merge_stderr = TRUE,
    .timeout_ms = remaining_ms (a),
    .max_output = SESSION_OUTPUT_MAX,
  };
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      apply_return (task, error);
      return;
    }
  if (a->nothing_to_do)
    {
      apply_return (task, NULL);
      return;
    }
  if (spec.timeout_ms == 0)
    {
      apply_return (task, out_of_time (self));
      return;
    }
  /* Not cancellable: a session once started is finished (or discarded) by
   * its own script, never left open; its deadline is what is left of the
   * apply's. */
  vcr_vyos_child_run_async (&spec, session_done, task);
}

static void
apply_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Apply *a = g_task_get_task_data (task);
  g_autoptr(GTask) prepare_task = NULL;
  GError *error = NULL;
  GBytes *out = show_config_finish (result, &error);

  if (out == NULL)
    {
      apply_return (task, error);
      return;
    }
  g_clear_pointer (&a->running_text, g_bytes_unref);
  a->running_text = out;
  a->nothing_to_do = FALSE;
  prepare_task = g_task_new (g_task_get_source_object (task), NULL, prepare_done, task);
  g_task_set_task_data (prepare_task, a, NULL);
  g_task_run_in_thread (prepare_task, prepare_thread);
}

/* One attempt: read the running config again (another commit may just
 * have changed it), then diff and run the session. */
static void
start_attempt (GTask *task)
{
  Apply *a = g_task_get_task_data (task);
  VcrBackendVyos *self = g_task_get_source_object (task);
  guint left = remaining_ms (a);

  if (left == 0)
    {
      apply_return (task, out_of_time (self));
      return;
    }
  a->attempt++;
  spawn_show_config (self, MIN (self->read_timeout_ms, left), apply_read_done, task);
}

static void
vyos_apply_async (VcrBackend *backend, const VcrTree *tree, GPtrArray *paths,
                  GPtrArray *excludes, const char *base_stamp, gboolean keep_undo,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  VcrBackendVyos *self = VCR_BACKEND_VYOS (backend);
  GTask *task = g_task_new (backend, cancellable, callback, user_data);
  Apply *a;

  g_task_set_source_tag (task, vyos_apply_async);
  /* The token and script files are per apply. */
  if (self->applying)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "Another apply is running");
      g_object_unref (task);
      return;
    }
  self->applying = TRUE;
  /* The stamp does not matter here (the running config is read again),
   * and there is no undo (the old subtrees are applied instead). */
  a = g_new0 (Apply, 1);
  a->wanted = tree;
  a->paths = g_ptr_array_ref (paths);
  a->excludes = excludes != NULL ? g_ptr_array_ref (excludes) : NULL;
  a->delay_ms = self->retry_ms;
  a->deadline = g_get_monotonic_time () + (gint64) self->session_timeout_ms * 1000;
  a->token_file = g_strdup (env_or ("VCR_APPLY_TOKEN_FILE", DEFAULT_APPLY_TOKEN_FILE));
  a->script_file = script_file_for (a->token_file);
  g_task_set_task_data (task, a, (GDestroyNotify) apply_free);
  start_attempt (task);
}

static gboolean
vyos_apply_finish (VcrBackend *backend, GAsyncResult *result, char **written_stamp,
                   GError **error)
{
  /* no stamp: see vyos_get_stamp() */
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The active config is a tree of files under /opt/vyatta/config/active that
 * no single stamp covers: read it again every time. */
static char *
vyos_get_stamp (VcrBackend *backend)
{
  return NULL;
}

static void
vcr_backend_vyos_class_init (VcrBackendVyosClass *klass)
{
  VcrBackendClass *backend_class = VCR_BACKEND_CLASS (klass);

  backend_class->get_stamp = vyos_get_stamp;
  backend_class->read_async = vyos_read_async;
  backend_class->read_finish = vyos_read_finish;
  backend_class->apply_async = vyos_apply_async;
  backend_class->apply_finish = vyos_apply_finish;
}

static void
vcr_backend_vyos_init (VcrBackendVyos *self)
{
  self->retry_ms = DEFAULT_RETRY_MS;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->read_timeout_ms = DEFAULT_READ_TIMEOUT_MS;
  self->session_timeout_ms = DEFAULT_SESSION_TIMEOUT_MS;
}

VcrBackend *
vcr_backend_vyos_new (void)
{
  const char *token_file = env_or ("VCR_APPLY_TOKEN_FILE", DEFAULT_APPLY_TOKEN_FILE);
  g_autofree char *script_file = script_file_for (token_file);

  /* What an apply cut short by a crash left behind is no one's now. */
  remove_session_files (token_file, script_file);
  return g_object_new (vcr_backend_vyos_get_type (), NULL);
}

void
vcr_backend_vyos_set_retry (VcrBackend *backend, guint first_delay_ms, guint max_attempts)
{
  VcrBackendVyos *self = VCR_BACKEND_VYOS (backend);

  self->retry_ms = MAX (first_delay_ms, 1);
  self->max_attempts = MAX (max_attempts, 1);
}

void
vcr_backend_vyos_set_timeouts (VcrBackend *backend, guint read_ms, guint session_ms)
{
  VcrBackendVyos *self = VCR_BACKEND_VYOS (backend);

  self->read_timeout_ms = MAX (read_ms, 1);
  self->session_timeout_ms = MAX (session_ms, 1);
}
