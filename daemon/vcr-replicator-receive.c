/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A replica taking a snapshot, pushed or pulled: the rules of SPEC §7 in
 * their order (the exclusion lists compared right after the path sets), then the comparison with the running config and the tree
 * to write, which vcr-replicator-apply.c writes. A receive takes a
 * reference on the settings in force when the snapshot arrives and uses
 * only those until it ends: a reload meanwhile (which may add or drop a
 * replicate path) changes neither the path set it checks the snapshot
 * against nor the subtrees it replaces.
 *
 * A snapshot that is the running config already is "unchanged", unless
 * the state holds the intent record of an apply whose --apply-command has
 * not succeeded (a crash, or an undo that failed): then the config may
 * hold a snapshot that was never completed, and it is applied again.
 *
 * The running config comes from the shared cache (vcr-running.h: what this
 * replica last wrote or read, while the backend's stamp holds: its
 * replicated subtrees as digests, the rest as a tree) or is read in a
 * worker while another parses the snapshot's texts. The snapshot's trees
 * go into the rest of the running config as they are, the backend writes
 * it while a worker writes the new reference copies, and what was written
 * becomes the cache.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-mask.h"
#include "vcr-replicator-private.h"
#include "vcr-splice.h"

/* With --verbose: how long the phase that just ended took. */
void
vcr_receive_phase (Receive *rx, const char *phase)
{
  gint64 now = g_get_monotonic_time ();

  g_debug ("Generation %" G_GUINT64_FORMAT ": %s in %.1f ms", rx->snapshot->generation,
           phase, (now - rx->mark) / 1000.0);
  rx->mark = now;
}

static void
receive_free (Receive *rx)
{
  /* A running config not applied to goes back to the cache, still valid
   * at the stamp it was read at (unless the backend has no stamps). */
  if (rx->running != NULL && rx->stamp != NULL)
    vcr_running_put (rx->self->running, rx->settings, g_steal_pointer (&rx->running),
                     g_steal_pointer (&rx->stamp), g_steal_pointer (&rx->running_digests));
  g_clear_pointer (&rx->running, vcr_tree_free);
  g_clear_pointer (&rx->running_digests, g_hash_table_unref);
  g_clear_handle_id (&rx->deadline, g_source_remove);
  g_clear_object (&rx->cancellable);
  g_clear_pointer (&rx->applied, vcr_tree_free);
  g_free (rx->written_stamp);
  g_clear_pointer (&rx->references, vcr_reference_update_free);
  g_clear_error (&rx->prepare_error);
  g_free (rx->undo_file);
  g_clear_pointer (&rx->snapshot, vcr_snapshot_free);
  g_clear_pointer (&rx->trees, g_ptr_array_unref);
  g_clear_pointer (&rx->splices, g_array_unref);
  g_clear_pointer (&rx->old, vcr_tree_free);
  g_free (rx->undo_reason);
  g_free (rx->stamp);
  g_clear_pointer (&rx->digests, g_hash_table_unref);
  g_clear_error (&rx->parse_error);
  g_clear_error (&rx->read_error);
  vcr_memory_release_later ();
  vcr_settings_unref (rx->settings);
  g_object_unref (rx->self);
  g_free (rx);
}

void
vcr_receive_finish (Receive *rx, guint status, const char *code, const char *message,
                    gboolean applied)
{
  if (rx->digests != NULL)
    vcr_running_set_pending (rx->self->running, NULL);
  rx->done (rx->self, status, code, message, applied, rx->snapshot->generation, rx->data);
  receive_free (rx);
}

/* The replicate paths the snapshot carries, sorted, as one string. */
static char *
describe_paths (const VcrSnapshot *snapshot)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < snapshot->entries->len; i++)
    g_ptr_array_add (paths, ((VcrSnapshotEntry *) g_ptr_array_index (snapshot->entries, i))->path);
  g_ptr_array_sort (paths, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < paths->len; i++)
    g_string_append_printf (s, "%s\"%s\"", i > 0 ? ", " : "", (char *) paths->pdata[i]);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
same_path_set (const VcrSettings *settings, const VcrSnapshot *snapshot)
{
  guint n = g_strv_length (settings->path_strings);

  if (n != snapshot->entries->len)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (vcr_snapshot_lookup (snapshot, settings->path_strings[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* The old subtrees of @running, kept only to put back should the
 * --apply-command fail on a backend that cannot undo byte for byte (a copy
 * of 10,000 rules is not free). */
static void
keep_old_subtrees (Receive *rx, const VcrTree *running)
{
  GPtrArray *paths = rx->settings->paths;

  if (!vcr_receive_has_apply_command (rx))
    return;
  rx->old = vcr_tree_new ();
  for (guint i = 0; i < paths->len; i++)
    vcr_tree_graft (rx->old, running, g_ptr_array_index (paths, i));
}

/* Whether the cached running config already holds the snapshot, by the
 * digests of its replicated subtrees. Equal digests are equal texts, which
 * parsed when they were applied: the snapshot's texts need no parsing. */
static gboolean
cached_running_matches (Receive *rx)
{
  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);

      if (g_strcmp0 (g_hash_table_lookup (rx->running_digests, e->path), e->digest) != 0)
        return FALSE;
    }
  return TRUE;
}

/* Puts entry @i of the snapshot into rx->applied at @words: its text
 * spliced, or its tree. A text that was spliceable but does not fit the
 * running config's shape (vcr_tree_graft_splice()) is parsed here. A path
 * with exclusions is never spliced (parse_thread()): its tree first takes
 * this replica's own subtrees there from @local (what rx->applied held at
 * them), since the graft replaces the whole path. */
static gboolean
graft_entry (Receive *rx, guint i, char **words, const VcrTree *local, GError **error)
{
  const VcrSplice *splice = rx->splices != NULL ? &g_array_index (rx->splices, VcrSplice, i) : NULL;
  VcrTree *tree = g_steal_pointer (&g_ptr_array_index (rx->trees, i));

  if (local != NULL)
    {
      g_autoptr(GPtrArray) excludes =
        vcr_settings_excludes_under (rx->settings, (const char *const *) words);

      /* (always a tree here: check_excluded() parsed such texts) */
      if (excludes->len > 0 && tree != NULL)
        vcr_mask_keep_local (tree, local, excludes);
    }

  if (splice != NULL && splice->text != NULL)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (rx->snapshot->entries, i);

      if (vcr_tree_graft_splice (rx->applied, (const char *const *) words, splice))
        return TRUE;
      g_debug ("Generation %" G_GUINT64_FORMAT ": the text of \"%s\" does not fit this "
               "config's shape (a tag node in one, not in the other): parsed",
               rx->snapshot->generation, entry->path);
      tree = vcr_snapshot_entry_parse (entry, error);
      if (tree == NULL)
        return FALSE;
    }
  vcr_tree_graft_owned (rx->applied, tree, (const char *const *) words);
  return TRUE;
}

/* The texts are parsed, and the running config is read (@tree, or NULL and
 * @error) unless it was cached: compare, then apply. */
static void
receive_read_done (VcrReplicator *self, VcrTree *tree, const GError *error, gpointer data)
{
  Receive *rx = data;
  const VcrSettings *settings = rx->settings;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(VcrTree) local = NULL;
  gboolean same = TRUE;

  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);
      g_ptr_array_add (words, vcr_path_parse (e->path, NULL));
    }
  if (rx->applied == NULL)
    {
      /* Read from the backend: compared as trees (equal subtrees render
       * to equal snapshot texts, and no text is rendered for it). */
      if (tree == NULL)
        {
          vcr_receive_failed (rx, error->message);
          return;
        }
      rx->running = tree;
      vcr_receive_phase (rx, "running config read");
      for (guint i = 0; i < words->len && same; i++)
        {
          const char *const *path = g_ptr_array_index (words, i);
          g_autoptr(GPtrArray) excludes = vcr_settings_excludes_under (settings, path);

          same = vcr_mask_subtree_equal (tree, g_ptr_array_index (rx->trees, i), path, excludes);
        }
      if (same && !vcr_receive_must_apply (rx))
        {
          vcr_receive_unchanged (rx);
          return;
        }
      keep_old_subtrees (rx, tree);
      rx->applied = vcr_mask_copy_pruned (tree, settings);
      g_clear_pointer (&rx->running, vcr_tree_free);
    }
  /* The rest of the running config (copied without the old subtrees but
   * with this replica's own values under the exclusions) takes the
   * snapshot's texts as spliced nodes, or its trees over as they are:
   * what is written holds each subtree once. */
  if (settings->excludes->len > 0)
    local = vcr_mask_take_local (rx->applied, settings->excludes);
  rx->digests = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < rx->snapshot->entries->len; i++)
    {
      VcrSnapshotEntry *e = g_ptr_array_index (rx->snapshot->entries, i);
      g_autoptr(GError) parse_error = NULL;

      if (!graft_entry (rx, i, g_ptr_array_index (words, i), local, &parse_error))
        {
          vcr_receive_failed (rx, parse_error->message);
          return;
        }
      g_hash_table_insert (rx->digests, e->path, e->digest);
    }
  vcr_receive_phase (rx, "compared and grafted");
  vcr_running_set_pending (self->running, rx->digests);
  vcr_receive_write (rx);
}

/* Both halves are back: the remaining rules of SPEC §7 in their order
 * (texts, generation, one apply at a time), then the apply. */
static void
receive_continue (Receive *rx)
{
  VcrReplicator *self = rx->self;
  guint status = 0;
  const char *code = NULL;
  g_autofree char *message = NULL;

  if (rx->parse_error != NULL)
    {
      status = 400, code = "bad-snapshot";
      message = g_strdup (rx->parse_error->message);
    }
  else if (rx->stale)
    {
      status = 409, code = "stale-generation";
      message = g_strdup_printf ("generation %" G_GUINT64_FORMAT " is older than the applied %"
                                 G_GUINT64_FORMAT, rx->snapshot->generation,
                                 vcr_state_get_applied_generation (self->store));
    }
  else if (!rx->claimed)
    {
      status = 503, code = "busy";
      message = g_strdup ("another snapshot is being applied; try again");
    }
  else if (vcr_receive_out_of_time (rx))
    {
      status = 422, code = "apply-failed";
      message = g_strdup_printf ("apply failed: the apply took longer than %u s",
                                 self->apply_bound);
    }
  if (status != 0)
    {
      if (rx->claimed)
        {
          self->applying = FALSE;
          vcr_replicator_publish (self);
        }
      vcr_receive_finish (rx, status, code, message, FALSE);
      return;
    }
  receive_read_done (self, g_steal_pointer (&rx->running), rx->read_error, rx);
}

static void
receive_half_done (Receive *rx)
{
  if (--rx->waiting == 0)
    receive_continue (rx);
}

/* The texts of paths with exclusions: parsed even when they could be
 * spliced (the replica's own subtrees go into their trees), and refused
 * when they carry anything this replica excludes (what is written would
 * not be what the primary sent, nor the reference CheckCommit compares
 * with). */
static gboolean
check_excluded (Receive *rx, GPtrArray *trees, GError **error)
{
  for (guint i = 0; i < trees->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (rx->snapshot->entries, i);
      g_auto(GStrv) words = g_strsplit (entry->path, " ", -1);
      g_autoptr(GPtrArray) excludes =
        vcr_settings_excludes_under (rx->settings, (const char *const *) words);
      const char *const *carried;

      if (excludes->len == 0)
        continue;
      if (g_ptr_array_index (trees, i) == NULL)
        {
          VcrTree *tree = vcr_snapshot_entry_parse (entry, error);

          if (tree == NULL)
            return FALSE;
          g_ptr_array_index (trees, i) = tree;
          g_array_index (rx->splices, VcrSplice, i) = (VcrSplice) { 0 };
        }
      carried = vcr_mask_find_carried (g_ptr_array_index (trees, i), excludes);
      if (carried != NULL)
        {
          g_autofree char *name = vcr_path_to_string (carried);

          g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                       "snapshot \"%s\": config text holds \"%s\", which this replica "
                       "excludes", entry->path, name);
          return FALSE;
        }
    }
  return TRUE;
}

static void
parse_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Receive *rx = task_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) trees =
    vcr_snapshot_parse_trees (rx->snapshot, rx->splice ? &rx->splices : NULL, &error);

  if (trees == NULL || !check_excluded (rx, trees, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&trees), (GDestroyNotify) g_ptr_array_unref);
}

static void
parse_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Receive *rx = user_data;

  rx->trees = g_task_propagate_pointer (G_TASK (result), &rx->parse_error);
  vcr_receive_phase (rx, rx->splice ? "snapshot texts checked" : "snapshot texts parsed");
  receive_half_done (rx);
}

static void
running_read (VcrReplicator *self, VcrTree *tree, const GError *error, gpointer data)
{
  Receive *rx = data;

  rx->running = tree;
  if (error != NULL)
    rx->read_error = g_error_copy (error);
  receive_half_done (rx);
}

/* The apply's bound (VCR_REPLICATOR_APPLY_BOUND_S, or --apply-bound in
 * the tests): whatever runs is told
 * to stop, and each step ends the receive as soon as it sees it. */
static gboolean
deadline_cb (gpointer user_data)
{
  Receive *rx = user_data;

  rx->deadline = 0;
  g_warning ("Generation %" G_GUINT64_FORMAT ": the apply has run for %u s; ending it",
             rx->snapshot->generation, rx->self->apply_bound);
  g_cancellable_cancel (rx->cancellable);
  return G_SOURCE_REMOVE;
}

/* Takes @snapshot (digests already checked) through the rules of SPEC §7
 * and applies it; @done gets the HTTP status and error code to answer. */
void
vcr_replicator_receive_snapshot (VcrReplicator *self, VcrSnapshot *snapshot, Received done, gpointer data)
{
  VcrState *store = self->store;
  Receive *rx = g_new0 (Receive, 1);
  g_autoptr(GTask) task = NULL;

  rx->self = g_object_ref (self);
  rx->settings = vcr_settings_ref (self->settings);
  rx->snapshot = snapshot;
  rx->mark = g_get_monotonic_time ();
  rx->done = done;
  rx->data = data;

  if (rx->settings->mode != VCR_MODE_REPLICA)
    {
      vcr_receive_finish (rx, 409, "wrong-mode", "this node is not a replica", FALSE);
      return;
    }
  if (!same_path_set (rx->settings, snapshot))
    {
      g_autofree char *theirs = describe_paths (snapshot);
      g_autofree char *ours = g_strjoinv ("\", \"", rx->settings->path_strings);
      g_autofree char *message =
        g_strdup_printf ("the snapshot carries %s; this replica replicates \"%s\"", theirs, ours);
      vcr_receive_finish (rx, 409, "path-mismatch", message, FALSE);
      return;
    }
  /* Both sides must leave the same parts out: what one sends under the
   * other's exclusion would be kept or lost without anyone asking. */
  {
    g_autofree char *message =
      vcr_mask_excludes_differ ((const char *const *) snapshot->excludes, "the snapshot",
                                (const char *const *) rx->settings->exclude_strings,
                                "this replica");
    if (message != NULL)
      {
        vcr_receive_finish (rx, 409, "path-mismatch", message, FALSE);
        return;
      }
  }
  rx->stale = g_strcmp0 (vcr_state_get_applied_epoch (store), snapshot->epoch) == 0 &&
              snapshot->generation < vcr_state_get_applied_generation (store);
  /* A snapshot that will be applied if its texts parse claims the apply
   * now, and the running config is read while the texts are parsed. */
  if (!rx->stale && !self->applying)
    {
      self->applying = TRUE;
      rx->claimed = TRUE;
      rx->cancellable = g_cancellable_new ();
      rx->deadline = g_timeout_add_seconds (self->apply_bound, deadline_cb, rx);
      vcr_replicator_publish (self);
      rx->stamp = vcr_backend_get_stamp (self->backend);
      /* The config this replica wrote last is still cached when the file
       * has not changed since: no need to read it again. */
      rx->running = vcr_running_take (self->running, rx->settings, rx->stamp,
                                      &rx->running_digests);
      if (rx->running != NULL)
        {
          if (cached_running_matches (rx) && !vcr_receive_must_apply (rx))
            {
              vcr_receive_phase (rx, "found unchanged in the cached running config");
              vcr_receive_unchanged (rx);
              return;
            }
          /* The cache holds the rest of the running config, without the
           * old subtrees: the snapshot's go in there. (No old subtrees for
           * an undo either: the file backend, the one that caches, undoes
           * byte for byte.) */
          rx->applied = g_steal_pointer (&rx->running);
          rx->splice = TRUE;
          g_clear_pointer (&rx->running_digests, g_hash_table_unref);
          vcr_receive_phase (rx, "running config taken from the cache");
        }
      else
        {
          rx->waiting++;
          vcr_replicator_read_running (self, running_read, rx);
        }
    }
  rx->waiting++;
  task = g_task_new (NULL, NULL, parse_done, rx);
  g_task_set_task_data (task, rx, NULL);
  g_task_run_in_thread (task, parse_thread);
}
