/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing state.json (see vcr-state.h): off the main loop and coalesced.
 * Every save asks for a new version of the state; a write takes the state
 * as it is when it starts (made into text on the main loop: a few kB) and
 * syncs it to disk in a worker, and covers every version asked for up to
 * then. Saves asked for while a write runs share the next one, so a burst
 * of changes costs one or two fsyncs, never one each. A caller that needs
 * its change on disk before it goes on waits for the write that covers it.
 * A failed write is retried with backoff (1 s doubling to 30 s) while
 * anything is unsaved, and the failure is reported until one succeeds.
 */
#define G_LOG_DOMAIN "vcr-state"

#include "config.h"

#include "vcr-fileutil.h"
#include "vcr-state-private.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

typedef struct {
  GTask *task;
  guint64 version;     /* done once this version is on disk */
} SaveWaiter;

typedef struct {
  char *path;
  char *text;
  gsize length;
  guint64 version;
  char *reference_dir; /* the folder this text names */
  char *undo;          /* the undo file its intent names */
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_free (job->path);
  g_free (job->text);
  g_free (job->reference_dir);
  g_free (job->undo);
  g_free (job);
}

static void start_write (VcrState *self);

void
vcr_state_writer_init (VcrState *self)
{
  g_mutex_init (&self->write_lock);
  g_queue_init (&self->waiters);
}

void
vcr_state_writer_clear (VcrState *self)
{
  /* Waiters and writes in flight hold a reference: none is left here. */
  g_clear_handle_id (&self->write_source, g_source_remove);
  g_clear_error (&self->save_error);
  g_mutex_clear (&self->write_lock);
}

static gboolean
write_cb (gpointer user_data)
{
  VcrState *self = user_data;

  self->write_source = 0;
  start_write (self);
  return G_SOURCE_REMOVE;
}

/* A write soon: at the next idle moment of the main loop (everything
 * changed meanwhile goes into it), or after @delay_ms; a write in flight
 * starts the next one itself when it ends. */
static void
schedule (VcrState *self, guint delay_ms)
{
  if (self->writing)
    return;
  g_clear_handle_id (&self->write_source, g_source_remove);
  if (delay_ms == 0)
    self->write_source = g_idle_add (write_cb, self);
  else
    self->write_source = g_timeout_add (delay_ms, write_cb, self);
}

/* Ends the waiters whose version @version covers: with @error, or done. */
static void
finish_waiters (VcrState *self, guint64 version, const GError *error)
{
  while (!g_queue_is_empty (&self->waiters))
    {
      SaveWaiter *waiter = g_queue_peek_head (&self->waiters);

      if (waiter->version > version)
        break;
      g_queue_pop_head (&self->waiters);
      if (error != NULL)
        g_task_return_error (waiter->task, g_error_copy (error));
      else
        g_task_return_boolean (waiter->task, TRUE);
      g_object_unref (waiter->task);
      g_free (waiter);
    }
}

static void
write_succeeded (VcrState *self, const WriteJob *job)
{
  self->durable = MAX (self->durable, job->version);
  self->retry_delay_ms = 0;
  vcr_state_references_saved (self, job->reference_dir);
  g_free (self->saved_undo);
  self->saved_undo = g_strdup (job->undo);
  vcr_state_remove_stale_undo (self);
  if (self->save_error != NULL)
    {
      g_clear_error (&self->save_error);
      g_message ("The state is saved again");
      vcr_state_emit_save_status (self);
    }
  finish_waiters (self, job->version, NULL);
}

static void
write_failed (VcrState *self, const WriteJob *job, const GError *error)
{
  gboolean new_failure = self->save_error == NULL ||
                         g_strcmp0 (self->save_error->message, error->message) != 0;

  g_clear_error (&self->save_error);
  self->save_error = g_error_copy (error);
  self->retry_delay_ms = self->retry_delay_ms == 0
                           ? RETRY_FIRST_MS : MIN (self->retry_delay_ms * 2, RETRY_MAX_MS);
  if (new_failure)
    {
      g_warning ("Cannot save the state: %s; retrying", error->message);
      vcr_state_emit_save_status (self);
    }
  finish_waiters (self, job->version, error);
}

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VcrState *self = VCR_STATE (source);
  WriteJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    write_succeeded (self, job);
  else
    write_failed (self, job, error);
  /* Newer changes go at once (someone may wait for them); the same ones
   * again only after the backoff. */
  if (self->version > job->version)
    schedule (self, 0);
  else if (self->version > self->durable)
    schedule (self, self->retry_delay_ms);
}

static void
write_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VcrState *self = source;
  WriteJob *job = task_data;
  GError *error = NULL;

  g_mutex_lock (&self->write_lock);
  /* A flush at exit may already have written something newer. */
  if (job->version > self->on_disk)
    {
      if (vcr_file_write_atomic (job->path, job->text, job->length, 0600, &error))
        {
          self->on_disk = job->version;
          self->writes++;
        }
    }
  g_mutex_unlock (&self->write_lock);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
start_write (VcrState *self)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, write_done, NULL);
  WriteJob *job = g_new0 (WriteJob, 1);

  job->path = g_build_filename (self->dir, STATE_FILE, NULL);
  job->text = vcr_state_to_json (self, &job->length);
  job->version = self->version;
  job->reference_dir = g_strdup (self->reference_dir);
  job->undo = self->intent != NULL ? g_strdup (self->intent->undo) : NULL;
  self->writing = TRUE;
  g_task_set_task_data (task, job, (GDestroyNotify) write_job_free);
  g_task_run_in_thread (task, write_thread);
}

gboolean
vcr_state_save (VcrState *self, GError **error)
{
  self->version++;
  schedule (self, 0);
  if (self->save_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->save_error));
      return FALSE;
    }
  return TRUE;
}

void
vcr_state_save_async (VcrState *self, GAsyncReadyCallback callback, gpointer user_data)
{
  SaveWaiter *waiter = g_new0 (SaveWaiter, 1);

  waiter->task = g_task_new (self, NULL, callback, user_data);
  waiter->version = ++self->version;
  g_queue_push_tail (&self->waiters, waiter);
  schedule (self, 0);
}

gboolean
vcr_state_save_finish (VcrState *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vcr_state_flush (VcrState *self)
{
  g_autofree char *path = g_build_filename (self->dir, STATE_FILE, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  g_clear_handle_id (&self->write_source, g_source_remove);
  text = vcr_state_to_json (self, &length);
  g_mutex_lock (&self->write_lock);
  if (self->version > self->on_disk)
    {
      if (vcr_file_write_atomic (path, text, length, 0600, &error))
        {
          self->on_disk = self->version;
          self->writes++;
        }
      else
        g_warning ("Cannot save the state: %s", error->message);
    }
  g_mutex_unlock (&self->write_lock);
}

const GError *
vcr_state_get_save_error (VcrState *self)
{
  return self->save_error;
}

guint64
vcr_state_get_writes (VcrState *self)
{
  guint64 writes;

  g_mutex_lock (&self->write_lock);
  writes = self->writes;
  g_mutex_unlock (&self->write_lock);
  return writes;
}
