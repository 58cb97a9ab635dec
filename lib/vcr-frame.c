/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protocol v2 payloads: a length-prefixed JSON document (json-glib) and,
 * for a snapshot, the raw config texts after it. Reading is strict: every
 * member is checked for presence, type and form, nothing extra is taken,
 * and the announced text lengths must account for the payload exactly.
 */
#define G_LOG_DOMAIN "vcr-frame"

#include "vcr-frame.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "vcr-error.h"
#include "vcr-json.h"

/* A peer document refused (VCR_ERROR_PEER_FAILED); FALSE. */
#define refuse(error, ...) vcr_error_refuse_peer (error, __VA_ARGS__)

#define LENGTH_BYTES 4
#define MAX_ORIGIN_LEN 255

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
      if (!vcr_json_check_members (o, where, names, error) ||
          (path = vcr_json_get_string (o, where, "path", error)) == NULL ||
          (digest = vcr_json_get_string (o, where, "digest", error)) == NULL ||
          !vcr_json_get_count (o, where, "length", &len, error))
        return FALSE;
      if (!vcr_snapshot_path_is_canonical (path))
        return refuse (error, "%s.path: not canonical words joined by single spaces", where);
      if (!g_hash_table_add (seen, (gpointer) path))
        return refuse (error, "%s.path: \"%s\" appears twice", where, path);
      if (!vcr_json_is_lower_hex (digest, VCR_DIGEST_HEX_LEN))
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
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  const char *json = NULL, *origin, *epoch;
  guint64 protocol, generation;
  gsize json_len = 0;
  JsonNode *paths;
  JsonObject *o = NULL;

  if (!split (payload, length, &json, &json_len, error) ||
      (parser = vcr_json_parse_object ("snapshot", json, json_len, &o, error)) == NULL)
    return NULL;
  if (!vcr_json_check_members_optional (o, "snapshot", names,
                                        texts ? texts_optional : snapshot_optional, error) ||
      !vcr_json_get_count (o, "snapshot", "protocol", &protocol, error))
    return NULL;
  if (protocol != VCR_FRAME_PROTOCOL_VERSION)
    {
      refuse (error, "snapshot.protocol: not %d (unsupported protocol version)",
              VCR_FRAME_PROTOCOL_VERSION);
      return NULL;
    }
  if ((origin = vcr_json_get_string (o, "snapshot", "origin", error)) == NULL ||
      !check_origin (origin, error) ||
      (epoch = vcr_json_get_string (o, "snapshot", "epoch", error)) == NULL ||
      !vcr_json_get_count (o, "snapshot", "generation", &generation, error))
    return NULL;
  if (!(texts && *epoch == '\0') && !vcr_json_is_lower_hex (epoch, VCR_EPOCH_HEX_LEN))
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
  if (!vcr_json_read_snapshot_lists (o, snapshot, texts, error))
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
