/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Start-up recovery. When state.json holds the intent record of an apply
 * a crash cut short (kill -9, a power cut, the unit's stop timeout), the
 * replica settles it before it takes or pulls anything (it counts as an
 * apply: a snapshot that arrives meanwhile is answered 503 busy):
 *
 *  - no --apply-command had to succeed: if the config holds the snapshot
 *    (the rename happened), the apply is finished: reference copies made
 *    from the config, the applied generation recorded; if not, the record
 *    is dropped;
 *  - an --apply-command had to succeed and may not have: if the config
 *    holds the snapshot, the old config is put back from the undo file
 *    (the very bytes when nothing changed outside the replicated subtrees
 *    since, else only those subtrees: vcr-backend.h), and the record is
 *    dropped once the config no longer holds the snapshot. The replica's
 *    first pull (or the primary's retry) then applies the snapshot again,
 *    command included. Undone rather than the command run again here: the
 *    command's first run, if any, belonged to a daemon that is gone, and
 *    only a snapshot applied with its command from start to end may be
 *    answered for.
 *
 * A recovery that fails (the config unreadable, no undo file, the undo
 * refused) keeps the record, so the receive never answers "unchanged" for
 * that snapshot (vcr_receive_must_apply()): it is applied, command and
 * all, instead. The record's paths are used, not the settings'; the
 * settings' exclusions only when their paths are the record's.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-mask.h"
#include "vcr-replicator-private.h"

typedef struct {
  VcrReplicator *self;
  VcrSettings *settings;
  VcrIntent *intent;        /* a copy of the record */
  GPtrArray *paths;         /* of GStrv: the record's paths, sorted */
  VcrSnapshot *found;       /* the record's paths as the config holds them */
  VcrReferenceUpdate *references;
  GBytes *previous;         /* the undo file's contents */
  gboolean undone;
} Recovery;

static void
recovery_free (Recovery *rec)
{
  g_clear_pointer (&rec->references, vcr_reference_update_free);
  g_clear_pointer (&rec->previous, g_bytes_unref);
  g_clear_pointer (&rec->found, vcr_snapshot_free);
  g_ptr_array_unref (rec->paths);
  vcr_intent_free (rec->intent);
  vcr_settings_unref (rec->settings);
  g_object_unref (rec->self);
  g_free (rec);
}

/* The end, whatever it was: the start's work (pull, push) goes on. */
static void
recovered (Recovery *rec, const char *result)
{
  VcrReplicator *self = rec->self;

  g_message ("Start-up recovery of generation %" G_GUINT64_FORMAT ": %s",
             rec->intent->generation, result);
  vcr_replicator_add_event (self, rec->settings, "recover", "", rec->intent->generation,
                            result);
  self->recovering = FALSE;
  self->applying = FALSE;
  vcr_replicator_publish (self);
  vcr_replicator_start_work (self);
  recovery_free (rec);
}

static void
saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recovery *rec = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!vcr_state_save_finish (VCR_STATE (source), result, &error))
    message = g_strdup_printf ("settled, but the state cannot be saved: %s", error->message);
  recovered (rec, message != NULL ? message
                  : rec->found != NULL && !rec->undone ? "finished (the config held it)"
                  : rec->undone ? "undone (its apply command had not succeeded)"
                  : "dropped (the config did not hold it)");
}

static void
drop (Recovery *rec)
{
  g_clear_pointer (&rec->found, vcr_snapshot_free);
  vcr_state_set_intent (rec->self->store, NULL);
  vcr_state_save_async (rec->self->store, saved, rec);
}

static void
copies_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recovery *rec = user_data;
  VcrState *store = rec->self->store;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      message = g_strdup_printf ("not settled: cannot write the reference copies: %s",
                                 error->message);
      recovered (rec, message);
      return;
    }
  vcr_state_commit_references (store, rec->references);
  vcr_state_set_applied (store, rec->intent->epoch, rec->intent->generation);
  vcr_state_set_intent (store, NULL);
  vcr_state_save_async (store, saved, rec);
}

/* The config holds the snapshot and nothing more had to run: record it. */
static void
finish (Recovery *rec)
{
  rec->references = vcr_state_prepare_references (rec->self->store, rec->found);
  vcr_reference_update_write_async (rec->references, copies_written, rec);
}

/* The record's paths in @tree as snapshot texts, or NULL when they are not
 * all what the record was applying. */
static VcrSnapshot *
find_record (Recovery *rec, const VcrTree *tree)
{
  const VcrSettings *settings = rec->settings;
  g_autoptr(VcrSnapshot) found = vcr_snapshot_new ("", rec->intent->epoch,
                                                   rec->intent->generation);
  gboolean masked = g_strv_length (settings->path_strings) == rec->paths->len;
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; masked && settings->path_strings[i] != NULL; i++)
    masked = g_hash_table_contains (rec->intent->digests, settings->path_strings[i]);
  if (masked)
    {
      texts = vcr_mask_path_texts (tree, settings, NULL);
      for (guint i = 0; i < texts->len; i++)
        {
          VcrPathText *t = g_ptr_array_index (texts, i);
          g_hash_table_insert (by_path, t->path, t);
        }
    }
  for (guint i = 0; i < rec->paths->len; i++)
    {
      const char *const *words = g_ptr_array_index (rec->paths, i);
      g_autofree char *path = vcr_path_to_string (words);
      g_autofree char *text = masked ? NULL : vcr_path_snapshot_text (tree, words);
      const VcrPathText *t = masked ? g_hash_table_lookup (by_path, path) : NULL;
      g_autofree char *digest = masked ? g_strdup (t->digest) : vcr_digest (text, strlen (text));

      if (g_strcmp0 (digest, g_hash_table_lookup (rec->intent->digests, path)) != 0)
        return NULL;
      vcr_snapshot_add (found, path, masked ? t->text : text, digest);
    }
  return g_steal_pointer (&found);
}

static void undo (Recovery *rec);

static void
running_read (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  Recovery *rec = data;
  g_autofree char *message = NULL;

  if (tree == NULL)
    {
      message = g_strdup_printf ("not settled: %s", error->message);
      recovered (rec, message);
      return;
    }
  rec->found = find_record (rec, tree);
  if (rec->found == NULL)
    drop (rec);
  else if (!rec->intent->command)
    finish (rec);
  else if (rec->undone)
    /* The old config held the very same snapshot: the command is still
     * owed, and the record stays for the next receive. */
    recovered (rec, "not settled: the old config holds the same snapshot");
  else
    undo (rec);
}

static void
undo_applied (Recovery *rec, GError *error)
{
  g_autofree char *message = NULL;

  if (error != NULL)
    {
      message = g_strdup_printf ("not settled: cannot put the old config back: %s",
                                 error->message);
      g_error_free (error);
      recovered (rec, message);
      return;
    }
  rec->undone = TRUE;
  g_clear_pointer (&rec->found, vcr_snapshot_free);
  vcr_replicator_read_running (rec->self, running_read, rec);
}

static void
subtrees_applied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;

  vcr_backend_apply_finish (VCR_BACKEND (source), result, NULL, &error);
  undo_applied (user_data, error);
}

static void
restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recovery *rec = user_data;
  VcrBackend *backend = VCR_BACKEND (source);
  GError *error = NULL;
  g_autoptr(VcrTree) old = NULL;
  gsize length = 0;
  const char *bytes;

  if (vcr_backend_restore_finish (backend, result, &error) ||
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      undo_applied (rec, error);
      return;
    }
  /* A backend that cannot undo by itself: the file holds the old
   * subtrees, applied through it. */
  g_clear_error (&error);
  bytes = g_bytes_get_data (rec->previous, &length);
  old = vcr_tree_parse (bytes, length, VCR_PARSE_DEFAULT, "undo", &error);
  if (old == NULL)
    {
      undo_applied (rec, error);
      return;
    }
  vcr_backend_apply_async (backend, old, rec->paths, rec->settings->excludes, NULL, FALSE, NULL,
                           subtrees_applied, rec);
}

static void
undo (Recovery *rec)
{
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  if (rec->intent->undo == NULL)
    {
      recovered (rec, "not settled: there is no undo file");
      return;
    }
  /* The undo file is the config's size, read once at start-up before
   * anything else runs. */
  file = vcr_state_get_undo_path (rec->self->store, rec->intent->undo);
  if (!g_file_get_contents (file, &text, &length, &error))
    {
      g_autofree char *message = g_strdup_printf ("not settled: %s", error->message);
      recovered (rec, message);
      return;
    }
  rec->previous = g_bytes_new_take (g_steal_pointer (&text), length);
  vcr_backend_restore_async (rec->self->backend, rec->previous, rec->paths, NULL, restored, rec);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  g_autofree char *x = vcr_path_to_string (*(const char *const *const *) a);
  g_autofree char *y = vcr_path_to_string (*(const char *const *const *) b);

  return strcmp (x, y);
}

/* Runs once, at the first start: TRUE when there is a record to settle
 * (the start's work then waits for vcr_replicator_start_work()). */
gboolean
vcr_replicator_recover (VcrReplicator *self)
{
  const VcrIntent *intent = vcr_state_get_intent (self->store);
  Recovery *rec;
  GHashTableIter iter;
  gpointer path;

  if (self->recovered)
    return FALSE;
  self->recovered = TRUE;
  if (intent == NULL)
    return FALSE;
  rec = g_new0 (Recovery, 1);
  rec->self = g_object_ref (self);
  rec->settings = vcr_settings_ref (self->settings);
  rec->intent = vcr_intent_new (intent->epoch, intent->generation, intent->digests,
                                intent->command, intent->undo);
  rec->paths = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_hash_table_iter_init (&iter, intent->digests);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    {
      GStrv words = vcr_path_parse (path, NULL);   /* checked at load */
      if (words != NULL)
        g_ptr_array_add (rec->paths, words);
    }
  g_ptr_array_sort (rec->paths, compare_paths);
  g_message ("Settling the apply of generation %" G_GUINT64_FORMAT
             " that was under way when the daemon stopped", intent->generation);
  self->recovering = TRUE;
  self->applying = TRUE;
  vcr_replicator_publish (self);
  vcr_replicator_read_running (self, running_read, rec);
  return TRUE;
}
