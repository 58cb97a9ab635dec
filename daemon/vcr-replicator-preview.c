/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Preview (D-Bus, primary only): for each replica, the lines a Push now
 * would make it apply, changing nothing anywhere (docs/behaviour.md, "The
 * dry run"). A round reads the running config, makes the texts each
 * replica would receive (its overrides set; replicas without overrides
 * share one set), asks every replica concurrently for the texts it holds
 * (a signed read-only request), and diffs each pair in a worker
 * (lib/vcr-preview.c). A replica that cannot be asked gets the one line
 * "# unreachable: <the peer error>".
 *
 * Callers share rounds as Push callers do (vcr-join.h): one that comes
 * before a round has read the config joins it, a later one waits for one
 * follow-up round. A reload answers every caller "cancelled: the settings
 * changed"; the round in flight then ends without answering anyone.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include "vcr-mask.h"
#include "vcr-preview.h"
#include "vcr-replicator-private.h"

typedef struct {
  VcrReplicator *self;
  VcrSettings *settings;
  GPtrArray *peers;         /* of Peer*, the replicas when the round began */
  GPtrArray *results;       /* of VcrPreviewResult*, one per peer, same order */
  GPtrArray *shared;        /* of VcrPathText*: what a replica without overrides receives */
  guint outstanding;
  gint64 started;           /* monotonic µs, for the log */
} Round;

/* One replica's part of a round. */
typedef struct {
  Round *round;
  guint index;
  GPtrArray *wanted;        /* of VcrPathText*: what it would receive */
  VcrSnapshot *current;     /* what it holds (its answer) */
} Ask;

void
vcr_preview_result_free (VcrPreviewResult *r)
{
  if (r == NULL)
    return;
  g_free (r->replica);
  g_strfreev (r->commands);
  g_free (r);
}

static VcrPreviewResult *
result_new (const char *replica, GStrv commands)
{
  VcrPreviewResult *r = g_new0 (VcrPreviewResult, 1);

  r->replica = g_strdup (replica);
  r->commands = commands;
  return r;
}

static GPtrArray *
copy_results (GPtrArray *results)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_preview_result_free);

  for (guint i = 0; i < results->len; i++)
    {
      VcrPreviewResult *r = g_ptr_array_index (results, i);
      g_ptr_array_add (copy, result_new (r->replica, g_strdupv (r->commands)));
    }
  return copy;
}

static void
round_free (Round *round)
{
  g_object_unref (round->self);
  vcr_settings_unref (round->settings);
  g_ptr_array_unref (round->peers);
  g_ptr_array_unref (round->results);
  g_clear_pointer (&round->shared, g_ptr_array_unref);
  g_free (round);
}

static void
ask_free (Ask *ask)
{
  g_clear_pointer (&ask->wanted, g_ptr_array_unref);
  g_clear_pointer (&ask->current, vcr_snapshot_free);
  g_free (ask);
}

static void preview_schedule (VcrReplicator *self);

/* The round ended (@error NULL: with its results): its callers are
 * answered, unless a reload answered them already. */
static void
round_end (Round *round, const GError *error)
{
  VcrReplicator *self = round->self;
  gboolean follow_up = FALSE;
  g_autoptr(GPtrArray) waiters = NULL;

  if (self->preview_round != round)
    {
      round_free (round);
      return;
    }
  self->preview_round = NULL;
  g_debug ("Preview: %u replicas in %.1f ms", round->peers->len,
           (g_get_monotonic_time () - round->started) / 1000.0);
  waiters = vcr_join_end (&self->preview_join, &follow_up);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_pointer (task, copy_results (round->results),
                               (GDestroyNotify) g_ptr_array_unref);
    }
  if (follow_up)
    preview_schedule (self);
  round_free (round);
}

static void
asked (Ask *ask, GStrv commands)
{
  Round *round = ask->round;
  Peer *peer = g_ptr_array_index (round->peers, ask->index);

  g_ptr_array_index (round->results, ask->index) = result_new (peer->name, commands);
  ask_free (ask);
  if (--round->outstanding == 0)
    round_end (round, NULL);
}

/* In a worker: the texts are parsed and diffed. A replica that would
 * refuse the push (other paths or exclusions) gets that refusal as its
 * one note instead of lines. */
static void
diff_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Ask *ask = task_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  char *refusal = vcr_preview_refusal (ask->wanted,
                                       (const char *const *) ask->round->settings->exclude_strings,
                                       ask->current);
  GStrv commands;

  if (refusal != NULL)
    {
      commands = g_new0 (char *, 2);
      commands[0] = refusal;
    }
  else if ((kept = vcr_preview_kept_paths (ask->current, &error)) == NULL ||
           (commands = vcr_preview_commands (ask->wanted, ask->current, kept, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, commands, (GDestroyNotify) g_strfreev);
}

static void
diff_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Ask *ask = user_data;
  g_autoptr(GError) error = NULL;
  GStrv commands = g_task_propagate_pointer (G_TASK (result), &error);

  if (commands == NULL)
    {
      Peer *peer = g_ptr_array_index (ask->round->peers, ask->index);
      g_autofree char *reason = g_strdup_printf ("%s:%u: %s", peer->host, peer->port,
                                                 error->message);

      commands = g_new0 (char *, 2);
      commands[0] = vcr_preview_unreachable (reason);
    }
  asked (ask, commands);
}

/* The replica answered with the texts it holds (@current, taken), or
 * could not be asked (@error). */
static void
answered (Ask *ask, VcrSnapshot *current, const GError *error)
{
  g_autoptr(GTask) task = NULL;

  if (current == NULL)
    {
      GStrv commands = g_new0 (char *, 2);

      commands[0] = vcr_preview_unreachable (error->message);
      asked (ask, commands);
      return;
    }
  ask->current = current;
  task = g_task_new (NULL, NULL, diff_done, ask);
  g_task_set_task_data (task, ask, NULL);
  g_task_run_in_thread (task, diff_thread);
}

static void
texts_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Ask *ask = user_data;
  g_autoptr(GError) error = NULL;
  VcrSnapshot *current = vcr_peer_client_get_texts_finish (VCR_PEER_CLIENT (source), result,
                                                           &error);

  answered (ask, current, error);
}

/* Asks the replica of @ask for the texts it holds (GET /v1/texts): a
 * read-only request that changes nothing there, not even its peer state
 * here. */
static void
ask_replica (Ask *ask)
{
  Peer *peer = g_ptr_array_index (ask->round->peers, ask->index);

  vcr_peer_client_get_texts_async (ask->round->self->client, peer->host, peer->port, NULL,
                                   texts_done, ask);
}

static void
preview_read_done (VcrReplicator *self, VcrTree *running, const GError *error, gpointer data)
{
  g_autoptr(VcrTree) tree = running;   /* ours to free */
  Round *round = data;

  if (tree == NULL || !vcr_replicator_is_current (self, round->settings))
    {
      g_autoptr(GError) failure =
        tree == NULL ? g_error_new (VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                                    "Cannot read the running config: %s", error->message)
                     : g_error_new_literal (VCR_ERROR, VCR_ERROR_PEER_FAILED,
                                            "cancelled: the settings changed");
      round_end (round, failure);
      return;
    }
  /* One more than the replicas: an answer that comes at once must not
   * end the round while the loop below still uses it. */
  round->outstanding = round->peers->len + 1;
  g_ptr_array_set_size (round->results, round->peers->len);
  for (guint i = 0; i < round->peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (round->peers, i);
      const VcrPeerSettings *ps = vcr_replicator_peer_settings (round->settings, peer->name);
      Ask *ask = g_new0 (Ask, 1);

      ask->round = round;
      ask->index = i;
      if (ps != NULL && ps->overrides->len > 0)
        ask->wanted = vcr_mask_path_texts (tree, round->settings, ps);
      else
        {
          if (round->shared == NULL)
            round->shared = vcr_mask_path_texts (tree, round->settings, NULL);
          ask->wanted = g_ptr_array_ref (round->shared);
        }
      ask_replica (ask);
    }
  if (--round->outstanding == 0)
    round_end (round, NULL);
}

/* The round that is due reads the config now: later callers wait for
 * the follow-up. */
static gboolean
preview_begin (gpointer user_data)
{
  VcrReplicator *self = user_data;
  Round *round = g_new0 (Round, 1);

  self->preview_start_source = 0;
  vcr_join_begin (&self->preview_join);
  round->self = g_object_ref (self);
  round->started = g_get_monotonic_time ();
  round->settings = vcr_settings_ref (self->settings);
  round->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_replicator_peer_unref);
  for (guint i = 0; i < self->peers->len; i++)
    g_ptr_array_add (round->peers, vcr_replicator_peer_ref (g_ptr_array_index (self->peers, i)));
  round->results = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_preview_result_free);
  self->preview_round = round;
  vcr_replicator_read_running (self, preview_read_done, round);
  return G_SOURCE_REMOVE;
}

static void
preview_schedule (VcrReplicator *self)
{
  if (self->preview_start_source == 0)
    self->preview_start_source = g_idle_add_full (G_PRIORITY_DEFAULT, preview_begin, self, NULL);
}

void
vcr_replicator_preview_stop (VcrReplicator *self, const GError *error)
{
  g_autoptr(GPtrArray) waiters = vcr_join_take_all (&self->preview_join);

  g_clear_handle_id (&self->preview_start_source, g_source_remove);
  self->preview_round = NULL;   /* it ends on its own, answering no one */
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
}

void
vcr_replicator_preview_async (VcrReplicator *self, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  if (vcr_join_add (&self->preview_join, task) == VCR_JOIN_START)
    preview_schedule (self);
}

GPtrArray *
vcr_replicator_preview_finish (VcrReplicator *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
