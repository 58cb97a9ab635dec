/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CheckCommit's logic (see vcr-check-commit.h). Subtrees are compared
 * through the digests of their masked snapshot texts (vcr-mask.h): the
 * cached running config keeps only those digests of its replicated
 * subtrees, and the reference is kept as digests too.
 */
#define G_LOG_DOMAIN "vcr-check-commit"

#include "config.h"

#include "vcr-check-commit.h"

#include "vcr-mask.h"
#include "vcr-memory.h"

typedef struct {
  VcrSettings *settings;
  VcrRunning *running;
  VcrState *store;
  VcrBackend *backend;
  VcrTree *proposed;
  char *stamp;              /* the backend's stamp before the read */
} Check;

static void
check_free (Check *check)
{
  vcr_settings_unref (check->settings);
  g_object_unref (check->running);
  g_object_unref (check->store);
  g_object_unref (check->backend);
  g_clear_pointer (&check->proposed, vcr_tree_free);
  g_free (check->stamp);
  g_free (check);
}

void
vcr_violation_free (VcrViolation *violation)
{
  g_free (violation->replicate_path);
  g_free (violation->message);
  g_free (violation);
}

static char *
refusal_message (const char *path)
{
  return g_strdup_printf ("Error: path \"%s\" is managed by config replication "
                          "and must not be modified locally.", path);
}

/* SPEC §3: R is refused when the proposed subtree differs from the running
 * one (@running_digests, nullable: unknown) and is not the reference (no
 * reference: every change is refused). */
static GPtrArray *
find_violations (Check *check, GHashTable *running_digests)
{
  const VcrSettings *settings = check->settings;
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_violation_free);
  g_autoptr(GHashTable) proposed = NULL;

  if (settings->mode != VCR_MODE_REPLICA)
    return out;
  proposed = vcr_mask_path_digests (check->proposed, settings, NULL);
  for (guint i = 0; settings->path_strings[i] != NULL; i++)
    {
      const char *path = settings->path_strings[i];
      const char *digest = g_hash_table_lookup (proposed, path);
      VcrViolation *v;

      if (running_digests != NULL &&
          g_strcmp0 (digest, g_hash_table_lookup (running_digests, path)) == 0)
        continue;
      if (g_strcmp0 (digest, vcr_state_get_reference_digest (check->store, path)) == 0 ||
          g_strcmp0 (digest, vcr_running_get_pending (check->running, path)) == 0)
        continue;
      v = g_new0 (VcrViolation, 1);
      v->replicate_path = g_strdup (path);
      v->message = refusal_message (path);
      g_ptr_array_add (out, v);
    }
  return out;
}

static void
finish_check (GTask *task, GHashTable *running_digests)
{
  Check *check = g_task_get_task_data (task);
  GPtrArray *violations = find_violations (check, running_digests);

  vcr_memory_release_later ();   /* the proposed config is megabytes, freed soon */
  g_task_return_pointer (task, violations, (GDestroyNotify) g_ptr_array_unref);
}

static void
check_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  VcrTree *tree = vcr_backend_read_finish (check->backend, result, &error);
  g_autoptr(GHashTable) digests = NULL;

  if (tree == NULL)
    {
      g_prefix_error (&error, "Cannot read the running config: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  digests = vcr_mask_path_digests (tree, check->settings, NULL);
  vcr_running_put (check->running, check->settings, tree, g_steal_pointer (&check->stamp),
                   g_hash_table_ref (digests));
  finish_check (task, digests);
}

void
vcr_check_commit_async (VcrSettings *settings, VcrRunning *running, VcrState *store,
                        VcrBackend *backend, VcrTree *proposed,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  Check *check = g_new0 (Check, 1);
  GHashTable *cached;

  check->settings = vcr_settings_ref (settings);
  check->running = g_object_ref (running);
  check->store = g_object_ref (store);
  check->backend = g_object_ref (backend);
  check->proposed = proposed;
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  if (settings->mode != VCR_MODE_REPLICA)
    {
      finish_check (task, NULL);
      return;
    }
  /* The running config is parsed once and kept while the backend's stamp
   * says it did not change: a commit check must not re-read 1 MB. */
  check->stamp = vcr_backend_get_stamp (backend);
  cached = vcr_running_lookup (running, settings, check->stamp);
  if (cached != NULL)
    {
      finish_check (task, cached);
      return;
    }
  vcr_backend_read_async (backend, NULL, check_read_done, g_steal_pointer (&task));
}

GPtrArray *
vcr_check_commit_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
