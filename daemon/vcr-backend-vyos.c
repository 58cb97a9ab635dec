/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VyOS backend: the running config of a real VyOS router.
 *
 * Reading runs `cli-shell-api --show-active-only showConfig` and parses its
 * output (VCR_PARSE_SHOW_CONFIG, any bytes) in a worker thread.
 *
 * Applying is one configuration session, so one commit under VyOS's one
 * commit lock: the running config is read again, lib's diff gives, per
 * replicated path, the fewest `delete`/`set`/`comment` commands that turn
 * the running subtree into the snapshot's (comments included, so the
 * replica's digests match the primary's), and they go into one shell
 * script that drives `vyatta-cfg-cmd-wrapper` (`begin`, the commands,
 * `commit`, `save`, `end`; every step in the same session through
 * CMD_WRAPPER_SESSION_ID). Any failing step discards the session and ends
 * it: nothing is committed or saved, and the step's own output (VyOS's
 * error text) is the error. When another commit holds the lock, the
 * script exits 75 and the whole apply is retried with backoff.
 *
 * The commit passes the commit guard (guard/vcr-commit-guard.c) because
 * the script carries a fresh random token in VCR_APPLY_TOKEN that matches
 * the root-only file the apply writes under /run for its duration.
 *
 * The tools can be redirected for tests: VCR_CLI_SHELL_API,
 * VCR_CFG_CMD_WRAPPER, VCR_APPLY_TOKEN_FILE (the session script is written
 * beside the token). The main loop never waits: the tools are
 * GSubprocesses, parsing, diffing and writing run in a worker.
 */
#define G_LOG_DOMAIN "vcr-backend-vyos"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcr-backend.h"
#include "vcr-backend-vyos.h"
#include "vcr-commands.h"
#include "vcr-diff.h"
#include "vcr-error.h"

#define DEFAULT_CLI_SHELL_API "/bin/cli-shell-api"
#define DEFAULT_CFG_CMD_WRAPPER "/opt/vyatta/sbin/vyatta-cfg-cmd-wrapper"
#define DEFAULT_APPLY_TOKEN_FILE "/run/vyos-config-replication/apply-token"

/* The script's exit status when VyOS's commit lock was held. */
#define EXIT_LOCKED 75
#define LOCKED_TEXT "locked due to another commit in progress"

#define DEFAULT_RETRY_MS 500
#define MAX_RETRY_MS 8000
#define DEFAULT_MAX_ATTEMPTS 8

struct _VcrBackendVyos {
  VcrBackend parent_instance;
  guint retry_ms;        /* first delay after a held lock; doubles */
  guint max_attempts;
};

G_DECLARE_FINAL_TYPE (VcrBackendVyos, vcr_backend_vyos, VCR, BACKEND_VYOS, VcrBackend)
G_DEFINE_TYPE (VcrBackendVyos, vcr_backend_vyos, VCR_TYPE_BACKEND)

static const char *
env_or (const char *name, const char *fallback)
{
  const char *value = g_getenv (name);
  return value != NULL && *value != '\0' ? value : fallback;
}

/* ---- reading ---------------------------------------------------------- */

/* A tool's output as text for a message (it may hold any bytes). */
static char *
output_text (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  char *text = g_utf8_make_valid (data != NULL ? data : "", (gssize) len);

  return g_strstrip (text);
}

/* Runs showConfig; @done gets the GSubprocess's communicate result. */
static gboolean
spawn_show_config (GCancellable *cancellable, GAsyncReadyCallback done, gpointer user_data,
                   GError **error)
{
  g_autoptr(GSubprocess) proc = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           error, env_or ("VCR_CLI_SHELL_API", DEFAULT_CLI_SHELL_API),
                           "--show-active-only", "showConfig", NULL);
  if (proc == NULL)
    return FALSE;
  g_subprocess_communicate_async (proc, NULL, cancellable, done, user_data);
  return TRUE;
}

/* The output of showConfig, or NULL with its error text. */
static GBytes *
show_config_finish (GObject *source, GAsyncResult *result, GError **error)
{
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;

  if (!g_subprocess_communicate_finish (proc, result, &out, &err, error))
    return NULL;
  if (!g_subprocess_get_successful (proc))
    {
      g_autofree char *text = output_text (err);
      g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED,
                   "cli-shell-api showConfig failed: %s", text);
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
  GBytes *out = show_config_finish (source, result, &error);

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
  GError *error = NULL;

  if (!spawn_show_config (cancellable, read_done, task, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
    }
}

static VcrTree *
vyos_read_finish (VcrBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the session script ----------------------------------------------- */

/* A single-quoted shell word. */
static void
append_sh_quoted (GString *out, const char *text)
{
  g_string_append_c (out, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append (out, "'\\''");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

/* The script's prologue: each step's output is kept; a failing step prints
 * it, throws the session away and exits (EXIT_LOCKED for a held lock). */
static void
append_prologue (GString *s, const char *wrapper)
{
  g_string_append (s, "#!/bin/sh\n"
                      "# vyos-config-replication: one configuration session (generated)\n"
                      "W=");
  append_sh_quoted (s, wrapper);
  g_string_append (s, "\n"
                      "CMD_WRAPPER_SESSION_ID=$$\n"
                      "export CMD_WRAPPER_SESSION_ID\n"
                      "step () {\n"
                      "  if ! out=$(\"$W\" \"$@\" 2>&1); then\n"
                      "    printf '%s\\n' \"$out\"\n"
                      "    \"$W\" discard >/dev/null 2>&1\n"
                      "    \"$W\" end >/dev/null 2>&1\n"
                      "    case $out in\n"
                      "      *'" LOCKED_TEXT "'*) exit " G_STRINGIFY (EXIT_LOCKED) " ;;\n"
                      "    esac\n"
                      "    exit 1\n"
                      "  fi\n"
                      "}\n"
                      "step begin\n");
}

/* The whole script, or NULL when nothing differs. @n_commands gets the
 * number of set/delete/comment commands. The diff's lines are already
 * shell words: values in single quotes, names with backslash escapes
 * (vcr_commands_quote_value(), vcr_commands_quote_word()). */
static char *
build_script (const VcrTree *running, const VcrTree *wanted, GPtrArray *paths,
              const char *wrapper, guint *n_commands)
{
  g_autoptr(GString) s = g_string_new (NULL);

  *n_commands = 0;
  append_prologue (s, wrapper);
  for (guint i = 0; i < paths->len; i++)
    {
      g_auto(GStrv) lines = vcr_diff (running, wanted, g_ptr_array_index (paths, i));
      for (guint j = 0; lines[j] != NULL; j++)
        {
          g_string_append (s, "step ");
          g_string_append (s, lines[j]);
          g_string_append_c (s, '\n');
          (*n_commands)++;
        }
    }
  if (*n_commands == 0)
    return NULL;
  g_string_append (s, "step commit\n"
                      "step save\n"
                      "\"$W\" end >/dev/null 2>&1\n"
                      "exit 0\n");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
write_private (const char *path, const char *data, gsize len, GError **error)
{
  return g_file_set_contents_full (path, data, (gssize) len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* ---- applying --------------------------------------------------------- */

typedef struct {
  const VcrTree *wanted;   /* borrowed: the caller keeps it until the finish */
  GPtrArray *paths;        /* of GStrv */
  guint attempt;
  guint delay_ms;
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
  g_clear_pointer (&a->running_text, g_bytes_unref);
  g_free (a->token_file);
  g_free (a->script_file);
  g_free (a->token);
  g_free (a);
}

static void
remove_session_files (Apply *a)
{
  if (unlink (a->token_file) < 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s, ignoring", a->token_file, g_strerror (errno));
  if (unlink (a->script_file) < 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s, ignoring", a->script_file, g_strerror (errno));
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

/* Worker: parse the running config, diff, write the script and the token. */
static void
prepare_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Apply *a = task_data;
  g_autoptr(VcrTree) running = NULL;
  g_autofree char *script = NULL;
  g_autofree char *dir = NULL;
  GError *error = NULL;
  guint n_commands;

  running = parse_running (a->running_text, &error);
  if (running == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  script = build_script (running, a->wanted, a->paths,
                         env_or ("VCR_CFG_CMD_WRAPPER", DEFAULT_CFG_CMD_WRAPPER), &n_commands);
  if (script == NULL)
    {
      a->nothing_to_do = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_debug ("Applying with %u commands in one session", n_commands);
  dir = g_path_get_dirname (a->token_file);
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int e = errno;
      g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED, "Cannot create %s: %s",
                               dir, g_strerror (e));
      return;
    }
  g_free (a->token);
  a->token = random_token (&error);
  if (a->token == NULL ||
      !write_private (a->script_file, script, strlen (script), &error) ||
      !write_private (a->token_file, a->token, strlen (a->token), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void start_attempt (GTask *task);

static gboolean
retry_cb (gpointer user_data)
{
  start_attempt (user_data);
  return G_SOURCE_REMOVE;
}

static void
session_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Apply *a = g_task_get_task_data (task);
  VcrBackendVyos *self = g_task_get_source_object (task);
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr(GBytes) out = NULL;
  g_autofree char *text = NULL;
  GError *error = NULL;
  int status;

  remove_session_files (a);
  if (!g_subprocess_communicate_finish (proc, result, &out, NULL, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  if (status == 0)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  text = output_text (out);
  if (status == EXIT_LOCKED && a->attempt < self->max_attempts)
    {
      g_message ("The VyOS configuration is locked by another commit; "
                 "trying again in %u ms", a->delay_ms);
      g_timeout_add (a->delay_ms, retry_cb, task);
      a->delay_ms = MIN (a->delay_ms * 2, MAX_RETRY_MS);
      return;
    }
  g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED, "%s",
                           *text != '\0' ? text : "the VyOS configuration session failed");
  g_object_unref (task);
}

static void
prepare_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Apply *a = g_task_get_task_data (task);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      remove_session_files (a);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (a->nothing_to_do)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* stdin is /dev/null: nothing in a session may wait for input. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "VCR_APPLY_TOKEN", a->token, TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", a->script_file, NULL);
  if (proc == NULL)
    {
      remove_session_files (a);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* No cancellable: a session once started is finished (or discarded) by
   * its own script, never left open. */
  g_subprocess_communicate_async (proc, NULL, NULL, session_done, task);
}

static void
apply_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Apply *a = g_task_get_task_data (task);
  g_autoptr(GTask) prepare = NULL;
  GError *error = NULL;
  GBytes *out = show_config_finish (source, result, &error);

  if (out == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_clear_pointer (&a->running_text, g_bytes_unref);
  a->running_text = out;
  a->nothing_to_do = FALSE;
  prepare = g_task_new (g_task_get_source_object (task), NULL, prepare_done, task);
  g_task_set_task_data (prepare, a, NULL);
  g_task_run_in_thread (prepare, prepare_thread);
}

/* One attempt: read the running config again (another commit may just
 * have changed it), then diff and run the session. */
static void
start_attempt (GTask *task)
{
  Apply *a = g_task_get_task_data (task);
  GError *error = NULL;

  a->attempt++;
  if (!spawn_show_config (NULL, apply_read_done, task, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
    }
}

static void
vyos_apply_async (VcrBackend *backend, const VcrTree *tree, GPtrArray *paths,
                  const char *base_stamp, gboolean keep_undo,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  VcrBackendVyos *self = VCR_BACKEND_VYOS (backend);
  GTask *task = g_task_new (backend, cancellable, callback, user_data);
  Apply *a = g_new0 (Apply, 1);
  g_autofree char *dir = NULL;

  /* The stamp does not matter here (the running config is read again),
   * and there is no undo (the old subtrees are applied instead). */
  a->wanted = tree;
  a->paths = g_ptr_array_ref (paths);
  a->delay_ms = self->retry_ms;
  a->token_file = g_strdup (env_or ("VCR_APPLY_TOKEN_FILE", DEFAULT_APPLY_TOKEN_FILE));
  dir = g_path_get_dirname (a->token_file);
  a->script_file = g_build_filename (dir, "apply-session.sh", NULL);
  g_task_set_source_tag (task, vyos_apply_async);
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
}

VcrBackend *
vcr_backend_vyos_new (void)
{
  return g_object_new (vcr_backend_vyos_get_type (), NULL);
}

void
vcr_backend_vyos_set_retry (VcrBackend *backend, guint first_delay_ms, guint max_attempts)
{
  VcrBackendVyos *self = VCR_BACKEND_VYOS (backend);

  self->retry_ms = MAX (first_delay_ms, 1);
  self->max_attempts = MAX (max_attempts, 1);
}
