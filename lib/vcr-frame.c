/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protocol v2 payloads: a length-prefixed JSON document (json-glib) and,
 * for a snapshot, the raw config texts after it. Reading is strict: every
 * member is checked for presence, type and form, nothing extra is taken,
 * and the announced text lengths must account for the payload exactly.
 */
#define _GNU_SOURCE   /* memmem() */
#define G_LOG_DOMAIN "vcr-frame"

#include "vcr-frame.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "vcr-error.h"

#define LENGTH_BYTES 4
#define MAX_ORIGIN_LEN 255

static gboolean
refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VCR_ERROR, VCR_ERROR_PEER_FAILED, message);
  return FALSE;
}

static void
put_length (guint8 *out, guint32 value)
{
  out[0] = value >> 24;
  out[1] = value >> 16;
  out[2] = value >> 8;
  out[3] = value;
}

static guint32
get_length (const guint8 *in)
{
  return (guint32) in[0] << 24 | (guint32) in[1] << 16 | (guint32) in[2] << 8 | in[3];
}

/* `"NAME":[…]` when @list holds something. */
static void
add_list (JsonBuilder *b, const char *name, char **list)
{
  if (list == NULL || list[0] == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; list[i] != NULL; i++)
    json_builder_add_string_value (b, list[i]);
  json_builder_end_array (b);
}

static char *
snapshot_document (const VcrSnapshot *snapshot, gsize *length)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "protocol");
  json_builder_add_int_value (b, VCR_FRAME_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "origin");
  json_builder_add_string_value (b, snapshot->origin);
  json_builder_set_member_name (b, "epoch");
  json_builder_add_string_value (b, snapshot->epoch);
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) snapshot->generation);
  json_builder_set_member_name (b, "paths");
  json_builder_begin_array (b);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, entry->path);
      json_builder_set_member_name (b, "digest");
      json_builder_add_string_value (b, entry->digest);
      json_builder_set_member_name (b, "length");
      json_builder_add_int_value (b, (gint64) entry->config_len);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  add_list (b, "excludes", snapshot->excludes);
  add_list (b, "kept", snapshot->kept);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, length);
}

GBytes *
vcr_frame_snapshot_payload (const VcrSnapshot *snapshot)
{
  gsize doc_len, total;
  g_autofree char *doc = snapshot_document (snapshot, &doc_len);
  guint8 *out, *p;

  total = LENGTH_BYTES + doc_len;
  for (guint i = 0; i < snapshot->entries->len; i++)
    total += ((const VcrSnapshotEntry *) g_ptr_array_index (snapshot->entries, i))->config_len + 1;
  p = out = g_malloc (total);
  put_length (p, doc_len);
  p += LENGTH_BYTES;
  memcpy (p, doc, doc_len);
  p += doc_len;
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);

      memcpy (p, entry->config, entry->config_len);
      p += entry->config_len;
      *p++ = '\0';
    }
  g_assert ((gsize) (p - out) == total);
  return g_bytes_new_take (out, total);
}

GBytes *
vcr_frame_document_payload (const char *json, gsize length)
{
  guint8 *out;

  g_return_val_if_fail (length <= VCR_FRAME_DOCUMENT_LIMIT, NULL);
  out = g_malloc (LENGTH_BYTES + length);
  put_length (out, length);
  memcpy (out + LENGTH_BYTES, json, length);
  return g_bytes_new_take (out, LENGTH_BYTES + length);
}

/* The document's bytes: the first 4 bytes give its length, which must be
 * within the limit and the payload. */
static gboolean
split (const guint8 *payload, gsize length, const char **json, gsize *json_length,
       GError **error)
{
  guint32 doc_len;

  if (length < LENGTH_BYTES)
    return refuse (error, "payload: shorter than its length field");
  doc_len = get_length (payload);
  if (doc_len > VCR_FRAME_DOCUMENT_LIMIT)
    return refuse (error, "payload: document of %u bytes is over the limit of %d",
                   doc_len, VCR_FRAME_DOCUMENT_LIMIT);
  if (doc_len > length - LENGTH_BYTES)
    return refuse (error, "payload: document length %u beyond the payload's end", doc_len);
  *json = (const char *) payload + LENGTH_BYTES;
  *json_length = doc_len;
  return TRUE;
}

gboolean
vcr_frame_document_read (const guint8 *payload, gsize length, const char **json,
                         gsize *json_length, GError **error)
{
  if (!split (payload, length, json, json_length, error))
    return FALSE;
  if (LENGTH_BYTES + *json_length != length)
    return refuse (error, "payload: %" G_GSIZE_FORMAT " bytes after the document",
                   length - LENGTH_BYTES - *json_length);
  return TRUE;
}

/* ---- reading a snapshot document --------------------------------------- */

/* TRUE when @o has exactly the members @names (NULL-terminated). */
static gboolean
check_members (JsonObject *o, const char *where, const char *const *names,
               GError **error)
{
  g_autoptr(GList) members = json_object_get_members (o);

  for (const char *const *n = names; *n != NULL; n++)
    if (!json_object_has_member (o, *n))
      return refuse (error, "%s: no member \"%s\"", where, *n);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (names, l->data))
      return refuse (error, "%s: unknown member \"%s\"", where, (const char *) l->data);
  return TRUE;
}

/* check_members() of @required, but the members @optional may be there
 * too. */
static gboolean
check_members_optional (JsonObject *o, const char *where, const char *const *required,
                        const char *const *optional, GError **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) present = NULL;

  g_strv_builder_addv (builder, (const char **) required);
  for (guint i = 0; optional[i] != NULL; i++)
    if (json_object_has_member (o, optional[i]))
      g_strv_builder_add (builder, optional[i]);
  present = g_strv_builder_end (builder);
  return check_members (o, where, (const char *const *) present, error);
}

/* The optional list @name of @o ("excludes", "kept"): *@out NULL when it
 * is not there (or empty), else its strings, each a canonical path given
 * once. */
static gboolean
read_path_list (JsonObject *o, const char *name, GStrv *out, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return refuse (error, "snapshot.%s: not an array", name);
  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      const char *path;

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING ||
          !vcr_snapshot_path_is_canonical (path = json_node_get_string (item)))
        return refuse (error, "snapshot.%s[%u]: not canonical words joined by single spaces",
                       name, i);
      for (guint j = 0; j < i; j++)
        if (strcmp (json_array_get_string_element (array, j), path) == 0)
          return refuse (error, "snapshot.%s[%u]: \"%s\" appears twice", name, i, path);
      g_strv_builder_add (builder, path);
    }
  *out = g_strv_builder_end (builder);
  if ((*out)[0] == NULL)
    g_clear_pointer (out, g_strfreev);
  return TRUE;
}

/* "excludes" and, in a replica's texts, "kept" (each one of "excludes"). */
static gboolean
read_lists (JsonObject *o, VcrSnapshot *snapshot, gboolean texts, GError **error)
{
  if (!read_path_list (o, "excludes", &snapshot->excludes, error) ||
      (texts && !read_path_list (o, "kept", &snapshot->kept, error)))
    return FALSE;
  for (guint i = 0; snapshot->kept != NULL && snapshot->kept[i] != NULL; i++)
    if (snapshot->excludes == NULL ||
        !g_strv_contains ((const char *const *) snapshot->excludes, snapshot->kept[i]))
      return refuse (error, "snapshot.kept[%u]: \"%s\" is not one of its excludes", i,
                     snapshot->kept[i]);
  return TRUE;
}

static const char *
get_string (JsonObject *o, const char *where, const char *name, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      refuse (error, "%s.%s: not a string", where, name);
      return NULL;
    }
  return json_node_get_string (node);
}

static gboolean
get_count (JsonObject *o, const char *where, const char *name, guint64 *out,
           GError **error)
{
  JsonNode *node = json_object_get_member (o, name);
  gint64 value;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return refuse (error, "%s.%s: not an integer", where, name);
  value = json_node_get_int (node);
  if (value < 0)
    return refuse (error, "%s.%s: negative", where, name);
  *out = (guint64) value;
  return TRUE;
}

static gboolean
is_lower_hex (const char *s, gsize len)
{
  if (strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]) || g_ascii_isupper (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
check_origin (const char *origin, GError **error)
{
  gsize len = strlen (origin);

  if (len == 0 || len > MAX_ORIGIN_LEN)
    return refuse (error, "snapshot.origin: must be 1 to %d bytes", MAX_ORIGIN_LEN);
  for (const char *p = origin; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return refuse (error, "snapshot.origin: holds a control character");
  return TRUE;
}

static void
frame_entry_free (gpointer data)
{
  VcrSnapshotEntry *entry = data;

  /* the config text lies in the payload, which the snapshot releases */
  g_free (entry->path);
  g_free (entry->digest);
  g_free (entry);
}

/* Adds the entries of the "paths" array, whose texts start at @texts and
 * must end exactly at @end. */
static gboolean
read_entries (VcrSnapshot *snapshot, JsonArray *paths, guint8 *texts,
              const guint8 *end, GError **error)
{
  static const char *const names[] = { "path", "digest", "length", NULL };
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint8 *p = texts;

  for (guint i = 0; i < json_array_get_length (paths); i++)
    {
      JsonNode *node = json_array_get_element (paths, i);
      g_autofree char *where = g_strdup_printf ("snapshot.paths[%u]", i);
      const char *path, *digest;
      VcrSnapshotEntry *entry;
      JsonObject *o;
      guint64 len;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return refuse (error, "%s: not an object", where);
      o = json_node_get_object (node);
      if (!check_members (o, where, names, error) ||
          (path = get_string (o, where, "path", error)) == NULL ||
          (digest = get_string (o, where, "digest", error)) == NULL ||
          !get_count (o, where, "length", &len, error))
        return FALSE;
      if (!vcr_snapshot_path_is_canonical (path))
        return refuse (error, "%s.path: not canonical words joined by single spaces", where);
      if (!g_hash_table_add (seen, (gpointer) path))
        return refuse (error, "%s.path: \"%s\" appears twice", where, path);
      if (!is_lower_hex (digest, VCR_DIGEST_HEX_LEN))
        return refuse (error, "%s.digest: not %d lowercase hex digits", where, VCR_DIGEST_HEX_LEN);
      if (len >= (guint64) (end - p))
        return refuse (error, "%s.length: %" G_GUINT64_FORMAT " bytes run past the payload's end",
                       where, len);
      if (p[len] != '\0' || memchr (p, '\0', len) != NULL)
        return refuse (error, "%s: text not exactly %" G_GUINT64_FORMAT " bytes ended by one NUL",
                       where, len);
      entry = g_new0 (VcrSnapshotEntry, 1);
      entry->path = g_strdup (path);
      entry->digest = g_strdup (digest);
      entry->config = (char *) p;
      entry->config_len = len;
      g_ptr_array_add (snapshot->entries, entry);
      p += len + 1;
    }
  if (p != end)
    return refuse (error, "snapshot: %" G_GSIZE_FORMAT " bytes after the last text",
                   (gsize) (end - p));
  return TRUE;
}

/* @texts: a replica's texts (epoch may be "", "kept" allowed). */
static VcrSnapshot *
read_snapshot (guint8 *payload, gsize length, gboolean texts, GError **error)
{
  static const char *const names[] = { "protocol", "origin", "epoch", "generation", "paths", NULL };
  static const char *const snapshot_optional[] = { "excludes", NULL };
  static const char *const texts_optional[] = { "excludes", "kept", NULL };
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(VcrSnapshot) snapshot = NULL;
  g_autoptr(GError) json_error = NULL;
  const char *json = NULL, *origin, *epoch;
  guint64 protocol, generation;
  gsize json_len = 0;
  JsonNode *root, *paths;
  JsonObject *o;

  if (!split (payload, length, &json, &json_len, error))
    return NULL;
  if (!g_utf8_validate_len (json, json_len, NULL))
    {
      refuse (error, "snapshot: document is not UTF-8");
      return NULL;
    }
  /* json-glib's strings end at a NUL: "a\u0000b" would read as "a" */
  if (memmem (json, json_len, "\\u0000", 6) != NULL)
    {
      refuse (error, "snapshot: document holds \\u0000");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, json_len, &json_error))
    {
      /* json-glib quotes the input in its message */
      g_autofree char *why = g_utf8_make_valid (json_error->message, -1);

      refuse (error, "snapshot: not JSON: %s", why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      refuse (error, "snapshot: not a JSON object");
      return NULL;
    }
  o = json_node_get_object (root);
  if (!check_members_optional (o, "snapshot", names,
                               texts ? texts_optional : snapshot_optional, error) ||
      !get_count (o, "snapshot", "protocol", &protocol, error))
    return NULL;
  if (protocol != VCR_FRAME_PROTOCOL_VERSION)
    {
      refuse (error, "snapshot.protocol: not %d (unsupported protocol version)",
              VCR_FRAME_PROTOCOL_VERSION);
      return NULL;
    }
  if ((origin = get_string (o, "snapshot", "origin", error)) == NULL ||
      !check_origin (origin, error) ||
      (epoch = get_string (o, "snapshot", "epoch", error)) == NULL ||
      !get_count (o, "snapshot", "generation", &generation, error))
    return NULL;
  if (!(texts && *epoch == '\0') && !is_lower_hex (epoch, VCR_EPOCH_HEX_LEN))
    {
      refuse (error, "snapshot.epoch: not %d lowercase hex digits", VCR_EPOCH_HEX_LEN);
      return NULL;
    }
  paths = json_object_get_member (o, "paths");
  if (!JSON_NODE_HOLDS_ARRAY (paths))
    {
      refuse (error, "snapshot.paths: not an array");
      return NULL;
    }
  snapshot = vcr_snapshot_new (origin, epoch, generation);
  if (!read_lists (o, snapshot, texts, error))
    return NULL;
  g_ptr_array_set_free_func (snapshot->entries, frame_entry_free);
  if (!read_entries (snapshot, json_node_get_array (paths),
                     payload + LENGTH_BYTES + json_len, payload + length, error))
    return NULL;
  return g_steal_pointer (&snapshot);
}

static VcrSnapshot *
read_in_place (guint8 *payload, gsize length, gboolean texts, GDestroyNotify release,
               gpointer release_data, GError **error)
{
  VcrSnapshot *snapshot = read_snapshot (payload, length, texts, error);

  if (snapshot == NULL)
    {
      if (release != NULL)
        release (release_data);
      return NULL;
    }
  snapshot->document = (char *) payload;
  snapshot->release = release;
  snapshot->release_data = release_data;
  return snapshot;
}

VcrSnapshot *
vcr_frame_snapshot_read_in_place (guint8 *payload, gsize length, GDestroyNotify release,
                                  gpointer release_data, GError **error)
{
  return read_in_place (payload, length, FALSE, release, release_data, error);
}

VcrSnapshot *
vcr_frame_texts_read_in_place (guint8 *payload, gsize length, GDestroyNotify release,
                               gpointer release_data, GError **error)
{
  return read_in_place (payload, length, TRUE, release, release_data, error);
}
