/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The history of GetHistory (see vcr-history.h): the saved part in the
 * state store, with its delayed save, and the unprivileged callers' ring.
 */
#define G_LOG_DOMAIN "vcr-history"

#include "config.h"

#include "vcr-history.h"

/* History is saved at most this often: it is informational, and an fsync
 * per event would be wasted work. */
#define SAVE_DELAY_S 1

struct _VcrHistory {
  VcrState *store;
  guint save_source;
  GQueue unprivileged;      /* of VcrEvent*, newest first */
};

VcrHistory *
vcr_history_new (VcrState *store)
{
  VcrHistory *self = g_new0 (VcrHistory, 1);

  self->store = g_object_ref (store);
  g_queue_init (&self->unprivileged);
  return self;
}

void
vcr_history_free (VcrHistory *self)
{
  if (self == NULL)
    return;
  vcr_history_flush (self);
  g_queue_clear_full (&self->unprivileged, (GDestroyNotify) vcr_event_free);
  g_object_unref (self->store);
  g_free (self);
}

static void
save_now (VcrHistory *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->save_source, g_source_remove);
  if (!vcr_state_save (self->store, &error))
    g_warning ("Cannot save the state: %s, ignoring", error->message);
}

void
vcr_history_flush (VcrHistory *self)
{
  if (self->save_source != 0)
    save_now (self);
}

static gboolean
save_cb (gpointer user_data)
{
  VcrHistory *self = user_data;

  self->save_source = 0;
  save_now (self);
  return G_SOURCE_REMOVE;
}

void
vcr_history_add (VcrHistory *self, VcrEvent *event)
{
  vcr_state_add_event (self->store, event);
  if (self->save_source == 0)
    self->save_source = g_timeout_add_seconds (SAVE_DELAY_S, save_cb, self);
}

void
vcr_history_add_unprivileged (VcrHistory *self, VcrEvent *event)
{
  g_queue_push_head (&self->unprivileged, event);
  while (self->unprivileged.length > VCR_HISTORY_UNPRIVILEGED_MAX)
    vcr_event_free (g_queue_pop_tail (&self->unprivileged));
}

GPtrArray *
vcr_history_get (VcrHistory *self, guint max)
{
  g_autoptr(GPtrArray) saved = vcr_state_get_history (self->store);
  GPtrArray *out = g_ptr_array_sized_new (saved->len + self->unprivileged.length);
  GList *l = self->unprivileged.head;
  guint i = 0;

  /* Both are newest first: merge them by time. */
  while ((i < saved->len || l != NULL) && (max == 0 || out->len < max))
    {
      VcrEvent *a = i < saved->len ? g_ptr_array_index (saved, i) : NULL;
      VcrEvent *b = l != NULL ? l->data : NULL;

      if (b == NULL || (a != NULL && a->time_us >= b->time_us))
        {
          g_ptr_array_add (out, a);
          i++;
        }
      else
        {
          g_ptr_array_add (out, b);
          l = l->next;
        }
    }
  return out;
}
