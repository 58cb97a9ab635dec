/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.json: read with every field checked (a damaged file is moved
 * aside and the state starts afresh; one that is there but cannot be read
 * stops start-up) and made from what is in memory (vcr-state-writer.c
 * writes it; see vcr-state.h).
 */
#define G_LOG_DOMAIN "vcr-state"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "vcr-fileutil.h"
#include "vcr-state-private.h"

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

/* An object of path → 64 lowercase hex digits. */
static GHashTable *
load_digests (JsonNode *n, const char *what, GError **error)
{
  g_autoptr(GHashTable) digests = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                         g_free, g_free);
  g_autoptr(GList) paths = NULL;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "digests of %s are missing", what);
      return NULL;
    }
  paths = json_object_get_members (json_node_get_object (n));
  for (GList *p = paths; p != NULL; p = p->next)
    {
      const char *digest = NULL;

      if (!get_string (json_node_get_object (n), p->data, FALSE, &digest, error))
        return NULL;
      if (!is_hex (digest, 64))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "digest of \"%s\" in %s is not 64 hex digits", (char *) p->data, what);
          return NULL;
        }
      g_hash_table_insert (digests, g_strdup (p->data), g_strdup (digest));
    }
  return g_steal_pointer (&digests);
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
      guint64 generation;
      g_autofree char *what = NULL;
      g_autoptr(GHashTable) digests = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (pn))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "acknowledgement of \"%s\" is not an object", (char *) l->data);
          return FALSE;
        }
      po = json_node_get_object (pn);
      if (!get_uint (po, "generation", &generation, error))
        return FALSE;
      what = g_strdup_printf ("\"%s\"", (char *) l->data);
      digests = load_digests (json_object_get_member (po, "digests"), what, error);
      if (digests == NULL)
        return FALSE;
      vcr_state_set_ack (self, l->data, generation, g_steal_pointer (&digests));
    }
  return TRUE;
}

/* A name for a file of undo/: no folder, nothing hidden. */
static gboolean
undo_name_valid (const char *name)
{
  if (name == NULL || *name == '\0' || *name == '.' || strlen (name) > 128)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* "applying": null, or the intent record of an apply a crash cut short. */
static gboolean
load_intent (VcrState *self, JsonObject *root, GError **error)
{
  JsonNode *n = json_object_get_member (root, "applying");
  JsonObject *o;
  JsonNode *cn;
  const char *epoch, *undo;
  guint64 generation;
  g_autoptr(GHashTable) digests = NULL;
  g_autoptr(GList) paths = NULL;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "\"applying\" is not an object");
      return FALSE;
    }
  o = json_node_get_object (n);
  if (!get_string (o, "epoch", FALSE, &epoch, error) ||
      !get_uint (o, "generation", &generation, error) ||
      !get_string (o, "undo", TRUE, &undo, error))
    return FALSE;
  cn = json_object_get_member (o, "command");
  if (!is_hex (epoch, 32) || (undo != NULL && !undo_name_valid (undo)) ||
      cn == NULL || !JSON_NODE_HOLDS_VALUE (cn) ||
      json_node_get_value_type (cn) != G_TYPE_BOOLEAN)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "\"applying\" has a bad epoch, undo name or command flag");
      return FALSE;
    }
  digests = load_digests (json_object_get_member (o, "digests"), "\"applying\"", error);
  if (digests == NULL)
    return FALSE;
  paths = g_hash_table_get_keys (digests);
  for (GList *p = paths; p != NULL; p = p->next)
    if (!vcr_snapshot_path_is_canonical (p->data))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "\"applying\" names the path \"%s\", not a replicate path",
                     (char *) p->data);
        return FALSE;
      }
  vcr_state_set_intent (self, vcr_intent_new (epoch, generation, digests,
                                              json_node_get_boolean (cn), undo));
  self->saved_undo = g_strdup (undo);
  return TRUE;
}

/* "reference_dir": where the reference copies are ("reference" when the
 * file predates it). */
static gboolean
load_reference_dir (VcrState *self, JsonObject *root, GError **error)
{
  const char *name = REFERENCE_DIR;

  if (json_object_has_member (root, "reference_dir") &&
      !get_string (root, "reference_dir", FALSE, &name, error))
    return FALSE;
  if (!vcr_state_reference_dir_valid (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "\"reference_dir\" \"%s\" is not a folder of reference copies", name);
      return FALSE;
    }
  g_free (self->reference_dir);
  self->reference_dir = g_strdup (name);
  g_free (self->saved_reference_dir);
  self->saved_reference_dir = g_strdup (name);
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
  if (!load_acks (self, root, error) || !load_intent (self, root, error) ||
      !load_reference_dir (self, root, error))
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
  vcr_state_set_intent (self, NULL);
  g_clear_pointer (&self->saved_undo, g_free);
  g_free (self->reference_dir);
  self->reference_dir = g_strdup (REFERENCE_DIR);
  g_free (self->saved_reference_dir);
  self->saved_reference_dir = g_strdup (REFERENCE_DIR);
}

/* Loads state.json. A missing file is a fresh start and a corrupt one is
 * moved aside, but a file that is there and cannot be read (EACCES, EIO, a
 * folder in its place) fails: starting afresh would make a new epoch and
 * throw away what the file may still hold once the fault is mended. */
gboolean
vcr_state_load (VcrState *self, GError **error)
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
add_digests (JsonBuilder *b, GHashTable *digests)
{
  GHashTableIter iter;
  gpointer path, digest;

  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, digests);
  while (g_hash_table_iter_next (&iter, &path, &digest))
    {
      json_builder_set_member_name (b, path);
      json_builder_add_string_value (b, digest);
    }
  json_builder_end_object (b);
}

static void
add_intent (VcrState *self, JsonBuilder *b)
{
  const VcrIntent *intent = self->intent;

  json_builder_set_member_name (b, "applying");
  if (intent == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "epoch");
  json_builder_add_string_value (b, intent->epoch);
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) intent->generation);
  json_builder_set_member_name (b, "digests");
  add_digests (b, intent->digests);
  json_builder_set_member_name (b, "command");
  json_builder_add_boolean_value (b, intent->command);
  json_builder_set_member_name (b, "undo");
  if (intent->undo != NULL)
    json_builder_add_string_value (b, intent->undo);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
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

      json_builder_set_member_name (b, key);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "generation");
      json_builder_add_int_value (b, (gint64) ack->generation);
      json_builder_set_member_name (b, "digests");
      add_digests (b, ack->digests);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

char *
vcr_state_to_json (VcrState *self, gsize *length)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

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
  json_builder_set_member_name (b, "reference_dir");
  json_builder_add_string_value (b, self->reference_dir);
  add_intent (self, b);
  add_acks (self, b);
  json_builder_set_member_name (b, "history");
  json_builder_begin_array (b);
  for (GList *l = self->history.head; l != NULL; l = l->next)
    json_builder_add_value (b, event_to_json (l->data));
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, length);
}

