/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state directory (see vcr-state.h): the object, what it holds in
 * memory, its accessors and the intent record. state.json is read and
 * made by vcr-state-file.c and written by vcr-state-writer.c, the
 * reference copies are vcr-state-references.c's.
 */
#define G_LOG_DOMAIN "vcr-state"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <sys/random.h>

#include "vcr-state-private.h"

G_DEFINE_TYPE (VcrState, vcr_state, G_TYPE_OBJECT)

enum {
  SIGNAL_SAVE_STATUS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

VcrEvent *
vcr_event_new (const char *event,
               const char *peer,
               guint64 generation,
               const char *const *paths,
               const char *result)
{
  VcrEvent *e = g_new0 (VcrEvent, 1);
  const char *const none[] = { NULL };

  e->time_us = g_get_real_time ();
  e->event = g_strdup (event);
  e->peer = g_strdup (peer != NULL ? peer : "");
  e->generation = generation;
  e->paths = g_strdupv ((char **) (paths != NULL ? paths : none));
  e->result = g_strdup (result != NULL ? result : "");
  return e;
}

void
vcr_event_free (VcrEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->event);
  g_free (event->peer);
  g_strfreev (event->paths);
  g_free (event->result);
  g_free (event);
}

static void
peer_ack_free (VcrPeerAck *ack)
{
  g_hash_table_unref (ack->digests);
  g_free (ack);
}

VcrIntent *
vcr_intent_new (const char *epoch, guint64 generation, GHashTable *digests,
                gboolean command, const char *undo)
{
  VcrIntent *intent = g_new0 (VcrIntent, 1);

  intent->epoch = g_strdup (epoch);
  intent->generation = generation;
  intent->digests = g_hash_table_ref (digests);
  intent->command = command;
  intent->undo = g_strdup (undo);
  return intent;
}

void
vcr_intent_free (VcrIntent *intent)
{
  if (intent == NULL)
    return;
  g_free (intent->epoch);
  g_hash_table_unref (intent->digests);
  g_free (intent->undo);
  g_free (intent);
}

static void
vcr_state_finalize (GObject *object)
{
  VcrState *self = VCR_STATE (object);

  vcr_state_writer_clear (self);
  vcr_intent_free (self->intent);
  g_free (self->saved_undo);
  g_free (self->reference_dir);
  g_free (self->saved_reference_dir);
  g_hash_table_unref (self->staged);
  g_free (self->dir);
  g_free (self->epoch);
  g_free (self->applied_epoch);
  g_hash_table_unref (self->acks);
  g_queue_clear_full (&self->history, (GDestroyNotify) vcr_event_free);
  g_hash_table_unref (self->references);
  G_OBJECT_CLASS (vcr_state_parent_class)->finalize (object);
}

static void
vcr_state_class_init (VcrStateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vcr_state_finalize;
  signals[SIGNAL_SAVE_STATUS_CHANGED] =
    g_signal_new ("save-status-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

void
vcr_state_emit_save_status (VcrState *self)
{
  g_signal_emit (self, signals[SIGNAL_SAVE_STATUS_CHANGED], 0);
}

static void
vcr_state_init (VcrState *self)
{
  self->acks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) peer_ack_free);
  g_queue_init (&self->history);
  self->references = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->staged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->reference_dir = g_strdup (REFERENCE_DIR);
  self->saved_reference_dir = g_strdup (REFERENCE_DIR);
  vcr_state_writer_init (self);
}

char *
vcr_state_pick_dir (const char *option)
{
  const char *env = g_getenv ("STATE_DIRECTORY");

  /* An explicit option wins over the environment, as everywhere else. */
  if (option != NULL && *option != '\0')
    return g_strdup (option);
  /* systemd passes a colon-separated list when several are configured. */
  if (env != NULL && *env != '\0')
    {
      g_auto(GStrv) parts = g_strsplit (env, ":", 2);
      return g_strdup (parts[0]);
    }
  return g_strdup (VCR_DEFAULT_STATE_DIR);
}

static gboolean
ensure_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create the state directory %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

VcrState *
vcr_state_new (const char *dir, GError **error)
{
  g_autoptr(VcrState) self = g_object_new (VCR_TYPE_STATE, NULL);
  g_autofree char *undodir = g_build_filename (dir, UNDO_DIR, NULL);

  if (!ensure_dir (dir, error) || !ensure_dir (undodir, error))
    return NULL;
  if (g_access (dir, W_OK) < 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ACCES,
                   "The state directory %s is not writable", dir);
      return NULL;
    }
  self->dir = g_strdup (dir);
  if (!vcr_state_load (self, error))
    return NULL;
  vcr_state_references_loaded (self);
  vcr_state_remove_stale_undo (self);
  if (self->epoch == NULL)
    {
      /* The epoch tells a replica that this primary started a new
       * history: it must never repeat, so it comes from the kernel's
       * generator rather than GLib's seeded one. */
      guint8 bytes[16];
      g_autoptr(GString) epoch = g_string_new (NULL);

      if (getrandom (bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "Cannot get random bytes for the epoch: %s", g_strerror (errno));
          return NULL;
        }
      for (guint i = 0; i < sizeof bytes; i++)
        g_string_append_printf (epoch, "%02x", bytes[i]);
      self->epoch = g_string_free (g_steal_pointer (&epoch), FALSE);
    }
  return g_steal_pointer (&self);
}

const char *
vcr_state_get_dir (VcrState *self)
{
  return self->dir;
}

const char *
vcr_state_get_epoch (VcrState *self)
{
  return self->epoch;
}

guint64
vcr_state_get_generation (VcrState *self)
{
  return self->generation;
}

void
vcr_state_set_generation (VcrState *self, guint64 generation)
{
  self->generation = generation;
}

const char *
vcr_state_get_applied_epoch (VcrState *self)
{
  return self->applied_epoch;
}

guint64
vcr_state_get_applied_generation (VcrState *self)
{
  return self->applied_generation;
}

void
vcr_state_set_applied (VcrState *self, const char *epoch, guint64 generation)
{
  g_free (self->applied_epoch);
  self->applied_epoch = g_strdup (epoch);
  self->applied_generation = generation;
}

const VcrPeerAck *
vcr_state_get_ack (VcrState *self, const char *peer)
{
  return g_hash_table_lookup (self->acks, peer);
}

void
vcr_state_set_ack (VcrState *self, const char *peer, guint64 generation,
                   GHashTable *digests)
{
  VcrPeerAck *ack = g_new0 (VcrPeerAck, 1);
  ack->generation = generation;
  ack->digests = digests;
  g_hash_table_insert (self->acks, g_strdup (peer), ack);
}

/* Kept among the acknowledgements under the empty name, which no replica
 * can have (names are 1 to 64 characters), so it shares their file format. */
#define SNAPSHOT_KEY ""

GHashTable *
vcr_state_get_snapshot_digests (VcrState *self)
{
  const VcrPeerAck *ack = vcr_state_get_ack (self, SNAPSHOT_KEY);
  return ack != NULL ? ack->digests : NULL;
}

void
vcr_state_set_snapshot_digests (VcrState *self, GHashTable *digests)
{
  vcr_state_set_ack (self, SNAPSHOT_KEY, self->generation, digests);
}

void
vcr_state_add_event (VcrState *self, VcrEvent *event)
{
  g_queue_push_head (&self->history, event);
  while (self->history.length > VCR_STATE_HISTORY_MAX)
    vcr_event_free (g_queue_pop_tail (&self->history));
}

GPtrArray *
vcr_state_get_history (VcrState *self)
{
  GPtrArray *out = g_ptr_array_sized_new (self->history.length);
  for (GList *l = self->history.head; l != NULL; l = l->next)
    g_ptr_array_add (out, l->data);
  return out;
}


/* ---- The intent record ------------------------------------------------ */

const VcrIntent *
vcr_state_get_intent (VcrState *self)
{
  return self->intent;
}

void
vcr_state_set_intent (VcrState *self, VcrIntent *intent)
{
  vcr_intent_free (self->intent);
  self->intent = intent;
}

char *
vcr_state_new_undo_name (VcrState *self, guint64 generation)
{
  return g_strdup_printf ("config-%" G_GUINT64_FORMAT "-%08x.boot", generation,
                          g_random_int ());
}

char *
vcr_state_get_undo_path (VcrState *self, const char *name)
{
  return g_build_filename (self->dir, UNDO_DIR, name, NULL);
}

void
vcr_state_remove_stale_undo (VcrState *self)
{
  g_autofree char *undodir = g_build_filename (self->dir, UNDO_DIR, NULL);
  g_autoptr(GDir) dir = g_dir_open (undodir, 0, NULL);
  const char *keep = self->intent != NULL ? self->intent->undo : NULL;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = NULL;

      /* (NAME.XXXXXX: the undo file being written right now) */
      if ((keep != NULL && g_str_has_prefix (name, keep)) ||
          (self->saved_undo != NULL && g_str_has_prefix (name, self->saved_undo)))
        continue;
      file = g_build_filename (undodir, name, NULL);
      if (g_unlink (file) < 0)
        g_warning ("Cannot remove %s: %s, ignoring", file, g_strerror (errno));
    }
}
