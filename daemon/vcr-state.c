/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state directory: state.json (epoch, generations, acknowledgements,
 * history) and the reference copies, read with validation and written
 * atomically (see vcr-state.h).
 */
#define G_LOG_DOMAIN "vcr-state"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include <sys/random.h>

#include "vcr-fileutil.h"
#include "vcr-path.h"
#include "vcr-state.h"

#define STATE_FILE "state.json"
#define REFERENCE_DIR "reference"
#define STATE_FORMAT 1
/* A state file is small; anything much bigger is not ours. */
#define STATE_MAX_SIZE (16 * 1024 * 1024)

struct _VcrState {
  GObject parent_instance;
  char *dir;
  char *epoch;
  guint64 generation;
  char *applied_epoch;
  guint64 applied_generation;
  GHashTable *acks;          /* peer name → VcrPeerAck* */
  GQueue history;            /* of VcrEvent*, head = newest */
  GHashTable *references;    /* path → digest of the copy, or path → NULL (none on disk) */
};

G_DEFINE_TYPE (VcrState, vcr_state, G_TYPE_OBJECT)

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

static void
vcr_state_finalize (GObject *object)
{
  VcrState *self = VCR_STATE (object);

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
}

static void
vcr_state_init (VcrState *self)
{
  self->acks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) peer_ack_free);
  g_queue_init (&self->history);
  self->references = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
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
is_hex (const char *s, gsize length)
{
  if (s == NULL || strlen (s) != length)
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isxdigit (*s) || g_ascii_isupper (*s))
      return FALSE;
  return TRUE;
}

/* Typed accessors that refuse what is not there or of the wrong type. */
static gboolean
get_uint (JsonObject *o, const char *key, guint64 *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_INT64 || json_node_get_int (n) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "\"%s\" is missing or not a non-negative integer", key);
      return FALSE;
    }
  *out = (guint64) json_node_get_int (n);
  return TRUE;
}

static gboolean
get_string (JsonObject *o, const char *key, gboolean nullable,
            const char **out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n != NULL && nullable && JSON_NODE_HOLDS_NULL (n))
    {
      *out = NULL;
      return TRUE;
    }
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "\"%s\" is missing or not a string", key);
      return FALSE;
    }
  *out = json_node_get_string (n);
  return TRUE;
}

static gboolean
load_acks (VcrState *self, JsonObject *root, GError **error)
{
  JsonNode *n = json_object_get_member (root, "acknowledged");
  g_autoptr(GList) names = NULL;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "\"acknowledged\" is missing or not an object");
      return FALSE;
    }
  names = json_object_get_members (json_node_get_object (n));
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *pn = json_object_get_member (json_node_get_object (n), l->data);
      JsonObject *po;
      JsonNode *dn;
      guint64 generation;
      g_autoptr(GHashTable) digests = NULL;
      g_autoptr(GList) paths = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (pn))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "acknowledgement of \"%s\" is not an object", (char *) l->data);
          return FALSE;
        }
      po = json_node_get_object (pn);
      if (!get_uint (po, "generation", &generation, error))
        return FALSE;
      dn = json_object_get_member (po, "digests");
      if (dn == NULL || !JSON_NODE_HOLDS_OBJECT (dn))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "digests of \"%s\" are missing", (char *) l->data);
          return FALSE;
        }
      digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      paths = json_object_get_members (json_node_get_object (dn));
      for (GList *p = paths; p != NULL; p = p->next)
        {
          const char *digest = NULL;
          if (!get_string (json_node_get_object (dn), p->data, FALSE, &digest, error))
            return FALSE;
          if (!is_hex (digest, 64))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "digest of \"%s\" is not 64 hex digits", (char *) p->data);
              return FALSE;
            }
          g_hash_table_insert (digests, g_strdup (p->data), g_strdup (digest));
        }
      vcr_state_set_ack (self, l->data, generation, g_steal_pointer (&digests));
    }
  return TRUE;
}

static gboolean
load_event (VcrState *self, JsonNode *n, GError **error)
{
  JsonObject *o;
  JsonNode *pn;
  const char *event, *peer, *result;
  guint64 time_us, generation;
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(VcrEvent) e = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "a history entry is not an object");
      return FALSE;
    }
  o = json_node_get_object (n);
  if (!get_uint (o, "time", &time_us, error) ||
      !get_string (o, "event", FALSE, &event, error) ||
      !get_string (o, "peer", FALSE, &peer, error) ||
      !get_uint (o, "generation", &generation, error) ||
      !get_string (o, "result", FALSE, &result, error))
    return FALSE;
  pn = json_object_get_member (o, "paths");
  if (pn == NULL || !JSON_NODE_HOLDS_ARRAY (pn))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "\"paths\" of a history entry is not an array");
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (pn)); i++)
    {
      JsonNode *s = json_array_get_element (json_node_get_array (pn), i);
      if (!JSON_NODE_HOLDS_VALUE (s) || json_node_get_value_type (s) != G_TYPE_STRING)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "a history path is not a string");
          return FALSE;
        }
      g_ptr_array_add (paths, (gpointer) json_node_get_string (s));
    }
  g_ptr_array_add (paths, NULL);
  e = vcr_event_new (event, peer, generation, (const char *const *) paths->pdata, result);
  e->time_us = (gint64) time_us;
  /* The file lists newest first; appending keeps that order. */
  if (self->history.length < VCR_STATE_HISTORY_MAX)
    g_queue_push_tail (&self->history, g_steal_pointer (&e));
  return TRUE;
}

static gboolean
load_root (VcrState *self, JsonObject *root, GError **error)
{
  guint64 format, generation, applied_generation;
  const char *epoch, *applied_epoch;
  JsonNode *hn;

  if (!get_uint (root, "format", &format, error))
    return FALSE;
  if (format != STATE_FORMAT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "unknown format %" G_GUINT64_FORMAT, format);
      return FALSE;
    }
  if (!get_string (root, "epoch", FALSE, &epoch, error) ||
      !get_uint (root, "generation", &generation, error) ||
      !get_string (root, "applied_epoch", TRUE, &applied_epoch, error) ||
      !get_uint (root, "applied_generation", &applied_generation, error))
    return FALSE;
  if (!is_hex (epoch, 32) || (applied_epoch != NULL && !is_hex (applied_epoch, 32)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "an epoch is not 32 hex digits");
      return FALSE;
    }
  if (!load_acks (self, root, error))
    return FALSE;
  hn = json_object_get_member (root, "history");
  if (hn == NULL || !JSON_NODE_HOLDS_ARRAY (hn))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "\"history\" is missing or not an array");
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (hn)); i++)
    if (!load_event (self, json_array_get_element (json_node_get_array (hn), i), error))
      return FALSE;
  self->epoch = g_strdup (epoch);
  self->generation = generation;
  self->applied_epoch = g_strdup (applied_epoch);
  self->applied_generation = applied_generation;
  return TRUE;
}

/* Drops whatever a failed load left half-filled. */
static void
reset (VcrState *self)
{
  g_clear_pointer (&self->epoch, g_free);
  g_clear_pointer (&self->applied_epoch, g_free);
  self->generation = 0;
  self->applied_generation = 0;
  g_hash_table_remove_all (self->acks);
  g_queue_clear_full (&self->history, (GDestroyNotify) vcr_event_free);
  g_queue_init (&self->history);
}

/* Loads state.json. A missing file is a fresh start and a corrupt one is
 * moved aside, but a file that is there and cannot be read (EACCES, EIO, a
 * folder in its place) fails: starting afresh would make a new epoch and
 * throw away what the file may still hold once the fault is mended. */
static gboolean
load (VcrState *self, GError **error)
{
  g_autofree char *path = g_build_filename (self->dir, STATE_FILE, NULL);
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, G_FILE_ERROR, local_error->code,
                   "Cannot read the state file: %s; refusing to start with a fresh "
                   "state (a new epoch) while it is there", local_error->message);
      return FALSE;
    }
  if (length > STATE_MAX_SIZE)
    {
      vcr_file_move_aside (path, "too large");
      return TRUE;
    }
  if (!json_parser_load_from_data (parser, text, (gssize) length, &local_error))
    {
      vcr_file_move_aside (path, local_error->message);
      return TRUE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      vcr_file_move_aside (path, "not a JSON object");
      return TRUE;
    }
  if (!load_root (self, json_node_get_object (root), &local_error))
    {
      reset (self);
      vcr_file_move_aside (path, local_error->message);
      return TRUE;
    }
  g_debug ("Loaded %s: generation %" G_GUINT64_FORMAT ", %u events",
           path, self->generation, self->history.length);
  return TRUE;
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
  g_autofree char *refdir = g_build_filename (dir, REFERENCE_DIR, NULL);

  if (!ensure_dir (dir, error) || !ensure_dir (refdir, error))
    return NULL;
  if (g_access (dir, W_OK) < 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ACCES,
                   "The state directory %s is not writable", dir);
      return NULL;
    }
  self->dir = g_strdup (dir);
  if (!load (self, error))
    return NULL;
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

static JsonNode *
event_to_json (const VcrEvent *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, e->time_us);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, e->event);
  json_builder_set_member_name (b, "peer");
  json_builder_add_string_value (b, e->peer);
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) e->generation);
  json_builder_set_member_name (b, "paths");
  json_builder_begin_array (b);
  for (guint i = 0; e->paths[i] != NULL; i++)
    json_builder_add_string_value (b, e->paths[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, e->result);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
add_acks (VcrState *self, JsonBuilder *b)
{
  GHashTableIter iter;
  gpointer key, value;

  json_builder_set_member_name (b, "acknowledged");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, self->acks);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      VcrPeerAck *ack = value;
      GHashTableIter di;
      gpointer path, digest;

      json_builder_set_member_name (b, key);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) ack->generation);
      json_builder_set_member_name (b, "digests");
      json_builder_begin_object (b);
      g_hash_table_iter_init (&di, ack->digests);
      while (g_hash_table_iter_next (&di, &path, &digest))
        {
          json_builder_set_member_name (b, path);
          json_builder_add_string_value (b, digest);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

gboolean
vcr_state_save (VcrState *self, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = g_build_filename (self->dir, STATE_FILE, NULL);
  g_autofree char *text = NULL;
  gsize length = 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_int_value (b, STATE_FORMAT);
  json_builder_set_member_name (b, "epoch");
  json_builder_add_string_value (b, self->epoch);
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) self->generation);
  json_builder_set_member_name (b, "applied_epoch");
  if (self->applied_epoch != NULL)
    json_builder_add_string_value (b, self->applied_epoch);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "applied_generation");
  json_builder_add_int_value (b, (gint64) self->applied_generation);
  add_acks (self, b);
  json_builder_set_member_name (b, "history");
  json_builder_begin_array (b);
  for (GList *l = self->history.head; l != NULL; l = l->next)
    json_builder_add_value (b, event_to_json (l->data));
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &length);
  return vcr_file_write_atomic (path, text, length, 0600, error);
}

static char *
reference_file (VcrState *self, const char *path)
{
  g_autofree char *name = g_uri_escape_string (path, NULL, FALSE);
  return g_build_filename (self->dir, REFERENCE_DIR, name, NULL);
}

const char *
vcr_state_get_reference_digest (VcrState *self, const char *path)
{
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  gpointer cached;
  char *digest = NULL;

  if (g_hash_table_lookup_extended (self->references, path, NULL, &cached))
    return cached;
  file = reference_file (self, path);
  if (!g_file_get_contents (file, &text, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read %s: %s, ignoring it", file, error->message);
    }
  else if (length != strlen (text) || !g_utf8_validate (text, -1, NULL))
    {
      /* A snapshot text is UTF-8 without NUL bytes: anything else is a
       * damaged file, and no reference is safer than a wrong one. */
      vcr_file_move_aside (file, "not UTF-8 text");
    }
  else
    digest = vcr_digest (text, length);
  g_hash_table_insert (self->references, g_strdup (path), digest);
  return digest;
}

typedef struct {
  char *path;               /* the replicate path */
  char *file;               /* its reference copy */
  const char *text;         /* the snapshot's, borrowed */
  char *digest;
  char *tmp;                /* the copy written, not yet in place */
} ReferenceCopy;

struct _VcrReferenceUpdate {
  GPtrArray *copies;        /* of ReferenceCopy* */
};

static void
reference_copy_free (ReferenceCopy *copy)
{
  if (copy->tmp != NULL)
    g_unlink (copy->tmp);
  g_free (copy->path);
  g_free (copy->file);
  g_free (copy->digest);
  g_free (copy->tmp);
  g_free (copy);
}

void
vcr_reference_update_free (VcrReferenceUpdate *update)
{
  g_ptr_array_unref (update->copies);
  g_free (update);
}

VcrReferenceUpdate *
vcr_state_prepare_references (VcrState *self, const VcrSnapshot *snapshot)
{
  VcrReferenceUpdate *update = g_new0 (VcrReferenceUpdate, 1);

  update->copies = g_ptr_array_new_with_free_func ((GDestroyNotify) reference_copy_free);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (snapshot->entries, i);
      ReferenceCopy *copy;

      if (g_strcmp0 (vcr_state_get_reference_digest (self, e->path), e->digest) == 0)
        continue;
      copy = g_new0 (ReferenceCopy, 1);
      copy->path = g_strdup (e->path);
      copy->file = reference_file (self, e->path);
      copy->text = e->config;
      copy->digest = g_strdup (e->digest);
      g_ptr_array_add (update->copies, copy);
    }
  return update;
}

gboolean
vcr_reference_update_write (VcrReferenceUpdate *update, GError **error)
{
  for (guint i = 0; i < update->copies->len; i++)
    {
      ReferenceCopy *copy = g_ptr_array_index (update->copies, i);

      copy->tmp = vcr_file_write_temporary (copy->file, copy->text, strlen (copy->text),
                                            0600, error);
      if (copy->tmp == NULL)
        return FALSE;
    }
  return TRUE;
}

gboolean
vcr_state_commit_references (VcrState *self, VcrReferenceUpdate *update, GError **error)
{
  for (guint i = 0; i < update->copies->len; i++)
    {
      ReferenceCopy *copy = g_ptr_array_index (update->copies, i);
      g_autofree char *tmp = g_steal_pointer (&copy->tmp);

      g_return_val_if_fail (tmp != NULL, FALSE);
      if (!vcr_file_replace (tmp, copy->file, error))
        {
          /* What is on disk is now a mix: read it again when asked. */
          g_hash_table_remove_all (self->references);
          return FALSE;
        }
      g_hash_table_insert (self->references, g_strdup (copy->path), g_strdup (copy->digest));
    }
  return TRUE;
}

gboolean
vcr_state_set_references (VcrState *self, const VcrSnapshot *snapshot, GError **error)
{
  g_autoptr(VcrReferenceUpdate) update = vcr_state_prepare_references (self, snapshot);

  return vcr_reference_update_write (update, error) &&
         vcr_state_commit_references (self, update, error);
}

void
vcr_state_clear_references (VcrState *self)
{
  g_autofree char *refdir = g_build_filename (self->dir, REFERENCE_DIR, NULL);
  g_autoptr(GDir) dir = g_dir_open (refdir, 0, NULL);
  const char *name;

  g_hash_table_remove_all (self->references);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (refdir, name, NULL);
      if (g_unlink (file) < 0)
        g_warning ("Cannot remove %s: %s, ignoring", file, g_strerror (errno));
    }
}
