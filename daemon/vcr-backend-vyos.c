/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VyOS backend: the running config of a real VyOS router.
 *
 * Reading runs `cli-shell-api --show-active-only --show-ignore-edit
 * showConfig` (the active config, as VyOS's own Config class reads it) and
 * parses its output (VCR_PARSE_SHOW_CONFIG). Applying drives a configuration
 * session through `vyatta-cfg-cmd-wrapper`, the way VyOS's own scripts do
 * (the session is keyed on the caller's PID, which is this daemon for every
 * step): `begin`, then per replicated path `delete PATH` (allowed to fail
 * when the path is absent) and one `set PATH… VALUE` per leaf value of the
 * new subtree, then `commit`, `save`, `end`. Any failure discards the
 * session, so the old config stays. Comments inside replicated subtrees are
 * not carried by `set` and are lost on a replica.
 *
 * Every step is an asynchronous GSubprocess; the main loop never waits.
 * This backend cannot be exercised outside VyOS: the tests cover the file
 * backend only.
 */
#define G_LOG_DOMAIN "vcr-backend-vyos"

#include "config.h"

#include "vcr-backend.h"
#include "vcr-error.h"

#define CLI_SHELL_API "/bin/cli-shell-api"
#define CFG_WRAPPER "/opt/vyatta/sbin/vyatta-cfg-cmd-wrapper"

struct _VcrBackendVyos {
  VcrBackend parent_instance;
};

G_DECLARE_FINAL_TYPE (VcrBackendVyos, vcr_backend_vyos, VCR, BACKEND_VYOS, VcrBackend)
G_DEFINE_TYPE (VcrBackendVyos, vcr_backend_vyos, VCR_TYPE_BACKEND)

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GError *error = NULL;
  VcrTree *tree;

  if (!g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!g_subprocess_get_successful (proc))
    {
      g_task_return_new_error (task, VCR_ERROR, VCR_ERROR_FAILED,
                               "cli-shell-api showConfig failed: %s",
                               err != NULL ? g_strstrip (err) : "");
      return;
    }
  tree = vcr_tree_parse (out, strlen (out), VCR_PARSE_SHOW_CONFIG,
                         "running config", &error);
  if (tree == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, tree, (GDestroyNotify) vcr_tree_free);
}

static void
vyos_read_async (VcrBackend *backend, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  g_autoptr(GSubprocess) proc = NULL;
  GError *error = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, CLI_SHELL_API, "--show-active-only",
                           "--show-ignore-edit", "showConfig", NULL);
  if (proc == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_subprocess_communicate_utf8_async (proc, NULL, cancellable, read_done,
                                       g_steal_pointer (&task));
}

static VcrTree *
vyos_read_finish (VcrBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* One step of the session: argv, and whether a failure is tolerated. */
typedef struct {
  GStrv argv;
  gboolean may_fail;
} Step;

static void
step_free (Step *step)
{
  g_strfreev (step->argv);
  g_free (step);
}

typedef struct {
  GPtrArray *steps;    /* of Step* */
  guint next;
  gboolean failed;     /* running the clean-up steps after a failure */
  GError *error;       /* the failure being reported */
} Session;

static void
session_free (Session *s)
{
  g_ptr_array_unref (s->steps);
  g_clear_error (&s->error);
  g_free (s);
}

static void
add_step (GPtrArray *steps, gboolean may_fail, GPtrArray *words, const char *value)
{
  Step *step = g_new0 (Step, 1);
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, g_strdup (CFG_WRAPPER));
  for (guint i = 0; i < words->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (words, i)));
  if (value != NULL)
    g_ptr_array_add (argv, g_strdup (value));
  g_ptr_array_add (argv, NULL);
  step->argv = (GStrv) g_ptr_array_free (argv, FALSE);
  step->may_fail = may_fail;
  g_ptr_array_add (steps, step);
}

static void
add_command (GPtrArray *steps, gboolean may_fail, const char *command)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new ();
  g_ptr_array_add (words, (gpointer) command);
  add_step (steps, may_fail, words, NULL);
}

/* One `set` per leaf value (or per valueless leaf / empty node) under
 * @node, whose words are in @words (starting with "set"). */
static void
add_sets (GPtrArray *steps, GPtrArray *words, const VcrNode *node)
{
  guint n_values = vcr_node_get_n_values (node);
  guint n_children = vcr_node_get_n_children (node);

  for (guint i = 0; i < n_values; i++)
    add_step (steps, FALSE, words, vcr_node_get_value (node, i));
  if (n_values == 0 && n_children == 0)
    add_step (steps, FALSE, words, NULL);
  for (guint i = 0; i < n_children; i++)
    {
      VcrNode *child = vcr_node_get_child (node, i);
      g_ptr_array_add (words, (gpointer) vcr_node_get_name (child));
      add_sets (steps, words, child);
      g_ptr_array_remove_index (words, words->len - 1);
    }
}

static GPtrArray *
build_steps (const VcrTree *tree, GPtrArray *paths)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);

  add_command (steps, FALSE, "begin");
  for (guint i = 0; i < paths->len; i++)
    {
      const char *const *path = g_ptr_array_index (paths, i);
      g_autoptr(GPtrArray) words = g_ptr_array_new ();
      VcrNode *node = vcr_tree_lookup (tree, path);

      g_ptr_array_add (words, "delete");
      for (guint j = 0; path[j] != NULL; j++)
        g_ptr_array_add (words, (gpointer) path[j]);
      add_step (steps, TRUE, words, NULL);   /* absent is fine */
      if (node == NULL)
        continue;
      g_ptr_array_index (words, 0) = "set";
      add_sets (steps, words, node);
    }
  add_command (steps, FALSE, "commit");
  add_command (steps, FALSE, "save");
  add_command (steps, FALSE, "end");
  return steps;
}

static void run_next (GTask *task);

static void
step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Session *s = g_task_get_task_data (task);
  Step *step = g_ptr_array_index (s->steps, s->next - 1);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                                      &out, NULL, &error);

  ok = ok && g_subprocess_get_successful (G_SUBPROCESS (source));
  if (!ok && !step->may_fail && !s->failed)
    {
      g_autofree char *cmd = g_strjoinv (" ", step->argv + 1);
      g_set_error (&s->error, VCR_ERROR, VCR_ERROR_FAILED, "`%s` failed: %s", cmd,
                   error != NULL ? error->message : (out != NULL ? g_strstrip (out) : ""));
      /* Throw the session away so the running config stays as it was. */
      s->failed = TRUE;
      g_ptr_array_set_size (s->steps, s->next);
      add_command (s->steps, TRUE, "discard");
      add_command (s->steps, TRUE, "end");
    }
  run_next (g_steal_pointer (&task));
}

static void
run_next (GTask *task)
{
  Session *s = g_task_get_task_data (task);
  g_autoptr(GSubprocess) proc = NULL;
  GError *error = NULL;
  Step *step;

  if (s->next >= s->steps->len)
    {
      if (s->error != NULL)
        g_task_return_error (task, g_steal_pointer (&s->error));
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  step = g_ptr_array_index (s->steps, s->next++);
  proc = g_subprocess_newv ((const char *const *) step->argv,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                            &error);
  if (proc == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_subprocess_communicate_utf8_async (proc, NULL, g_task_get_cancellable (task),
                                       step_done, task);
}

static void
vyos_apply_async (VcrBackend *backend, const VcrTree *tree, GPtrArray *paths,
                  const char *base_stamp, gboolean keep_undo,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (backend, cancellable, callback, user_data);
  Session *s = g_new0 (Session, 1);

  /* A session only touches @paths: the stamp does not matter here, and
   * there is no undo (the old subtrees are applied instead). */
  s->steps = build_steps (tree, paths);
  g_task_set_source_tag (task, vyos_apply_async);
  g_task_set_task_data (task, s, (GDestroyNotify) session_free);
  run_next (task);
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
}

VcrBackend *
vcr_backend_vyos_new (void)
{
  return g_object_new (vcr_backend_vyos_get_type (), NULL);
}
