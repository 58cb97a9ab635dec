/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer protocol documents: written by hand (the v1 snapshot, whose texts
 * are megabytes to escape) or with json-glib's builder (the small ones),
 * read with json-glib made strict (vcr-json.c: RFC 8259, no duplicate
 * member names) and the schema checks below, which refuse missing, extra
 * or mistyped members and bad field syntax. Protocol v2 carries the
 * snapshot's texts outside JSON (vcr-frame.c); the v1 snapshot, read only
 * during a rolling upgrade (allow-protocol-v1), is copied out of
 * json-glib's tree.
 */
#define G_LOG_DOMAIN "vcr-snapshot"

#include "vcr-snapshot.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "vcr-error.h"
#include "vcr-auth.h"
#include "vcr-json.h"

#define MAX_ORIGIN_LEN 255

/* ---- schema checks ----------------------------------------------------- */

gboolean
vcr_snapshot_path_is_canonical (const char *path)
{
  gboolean word_start = TRUE;

  if (path == NULL || *path == '\0' || !g_utf8_validate (path, -1, NULL))
    return FALSE;
  for (const char *p = path; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == ' ')
        {
          if (word_start)
            return FALSE;
          word_start = TRUE;
          continue;
        }
      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        return FALSE;
      word_start = FALSE;
    }
  return !word_start;
}

static gboolean
check_hex_field (const char *where, const char *name, const char *value,
                 gsize len, GError **error)
{
  if (vcr_json_is_lower_hex (value, len))
    return TRUE;
  g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
               "%s.%s: not %" G_GSIZE_FORMAT " lowercase hex digits",
               where, name, len);
  return FALSE;
}

/* Checks the "paths" array of a snapshot (@with_config) or digests
 * document and returns it: its items are all objects that passed. */
static JsonArray *
check_entries (JsonObject *root, const char *what, gboolean with_config, GError **error)
{
  static const char *const snapshot_names[] = { "path", "config", "digest", NULL };
  static const char *const digest_names[] = { "path", "digest", NULL };
  JsonNode *node = json_object_get_member (root, "paths");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED, "%s.paths: not an array", what);
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *where = g_strdup_printf ("%s.paths[%u]", what, i);
      JsonNode *item = json_array_get_element (array, i);
      const char *path, *digest;
      JsonObject *o;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED, "%s: not an object", where);
          return NULL;
        }
      o = json_node_get_object (item);
      if (!vcr_json_check_members (o, where, with_config ? snapshot_names : digest_names, error) ||
          (path = vcr_json_get_string (o, where, "path", error)) == NULL ||
          (with_config && vcr_json_get_string (o, where, "config", error) == NULL) ||
          (digest = vcr_json_get_string (o, where, "digest", error)) == NULL ||
          !check_hex_field (where, "digest", digest, VCR_DIGEST_HEX_LEN, error))
        return NULL;
      if (!vcr_snapshot_path_is_canonical (path))
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                       "%s.path: \"%s\" is not words joined by single spaces",
                       where, path);
          return NULL;
        }
      if (!g_hash_table_add (seen, (gpointer) path))
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                       "%s.path: \"%s\" appears twice", where, path);
          return NULL;
        }
    }
  return array;
}

/* ---- entries ----------------------------------------------------------- */

static void
entry_free (gpointer data)
{
  VcrSnapshotEntry *entry = data;

  g_free (entry->path);
  g_free (entry->config);
  g_free (entry->digest);
  g_free (entry);
}

/* Takes all three strings (or, in a snapshot read in place, points to
 * them); @config NULL in a digests document. */
static VcrSnapshotEntry *
entry_new_take (char *path, char *config, char *digest)
{
  VcrSnapshotEntry *entry = g_new0 (VcrSnapshotEntry, 1);

  entry->path = path;
  entry->config = config;
  entry->config_len = config != NULL ? strlen (config) : 0;
  entry->digest = digest;
  return entry;
}

static VcrSnapshotEntry *
entry_new (const char *path, const char *config, const char *digest)
{
  return entry_new_take (g_strdup (path), g_strdup (config),
                         digest != NULL ? g_strdup (digest)
                         : vcr_auth_sha256_hex ((const guint8 *) config, strlen (config)));
}

static const VcrSnapshotEntry *
entries_lookup (GPtrArray *entries, const char *path)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (entries, i);
      if (g_strcmp0 (entry->path, path) == 0)
        return entry;
    }
  return NULL;
}

static char *
generate (JsonBuilder *builder, gsize *length)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, length);
}

static void
build_entries (JsonBuilder *b, GPtrArray *entries, gboolean with_config)
{
  json_builder_set_member_name (b, "paths");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (entries, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, entry->path);
      if (with_config)
        {
          json_builder_set_member_name (b, "config");
          json_builder_add_string_value (b, entry->config);
        }
      json_builder_set_member_name (b, "digest");
      json_builder_add_string_value (b, entry->digest);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* ---- snapshot ---------------------------------------------------------- */

VcrSnapshot *
vcr_snapshot_new (const char *origin, const char *epoch, guint64 generation)
{
  VcrSnapshot *snapshot;

  g_return_val_if_fail (origin != NULL && epoch != NULL, NULL);
  g_return_val_if_fail (generation <= G_MAXINT64, NULL);
  snapshot = g_new0 (VcrSnapshot, 1);
  snapshot->origin = g_strdup (origin);
  snapshot->epoch = g_strdup (epoch);
  snapshot->generation = generation;
  snapshot->entries = g_ptr_array_new_with_free_func (entry_free);
  return snapshot;
}

void
vcr_snapshot_free (VcrSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->origin);
  g_free (snapshot->epoch);
  g_ptr_array_unref (snapshot->entries);
  g_strfreev (snapshot->excludes);
  g_strfreev (snapshot->kept);
  if (snapshot->release != NULL)
    snapshot->release (snapshot->release_data);
  g_free (snapshot);
}

void
vcr_snapshot_add (VcrSnapshot *snapshot, const char *path, const char *config,
                  const char *digest)
{
  g_return_if_fail (path != NULL && config != NULL);
  /* its entries' strings are not freed with it */
  g_return_if_fail (snapshot->document == NULL);
  g_ptr_array_add (snapshot->entries, entry_new (path, config, digest));
}

static GStrv
copy_list (const char *const *list)
{
  return list != NULL && list[0] != NULL ? g_strdupv ((char **) list) : NULL;
}

void
vcr_snapshot_set_excludes (VcrSnapshot *snapshot, const char *const *excludes)
{
  g_strfreev (snapshot->excludes);
  snapshot->excludes = copy_list (excludes);
}

void
vcr_snapshot_set_kept (VcrSnapshot *snapshot, const char *const *kept)
{
  g_strfreev (snapshot->kept);
  snapshot->kept = copy_list (kept);
}

const VcrSnapshotEntry *
vcr_snapshot_lookup (const VcrSnapshot *snapshot, const char *path)
{
  return entries_lookup (snapshot->entries, path);
}

/* Appends @str as a JSON string. Runs of bytes that need no escape are
 * copied in one go: a snapshot text is megabytes of plain text, which
 * json-glib's generator escapes a character at a time (about 10x slower). */
static void
append_json_string (GString *out, const char *str)
{
  const char *run = str;

  g_string_append_c (out, '"');
  for (const char *p = str; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          g_string_append_printf (out, "\\u%04x", c);
          break;
        }
    }
  g_string_append_len (out, run, strlen (run));
  g_string_append_c (out, '"');
}

/* `,"NAME":["a","b"]` when @list holds something. */
static void
append_json_list (GString *out, const char *name, char **list)
{
  if (list == NULL || list[0] == NULL)
    return;
  g_string_append_printf (out, ",\"%s\":[", name);
  for (guint i = 0; list[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_json_string (out, list[i]);
    }
  g_string_append_c (out, ']');
}

/* Written by hand rather than with JsonBuilder: see append_json_string(). */
char *
vcr_snapshot_to_json (const VcrSnapshot *snapshot, gsize *length)
{
  gsize estimate = 256 + strlen (snapshot->origin);
  g_autoptr(GString) out = NULL;

  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);
      /* the text plus a little for escapes: one allocation in most cases */
      estimate += strlen (entry->path) + strlen (entry->config) * 17 / 16 + 128;
    }
  out = g_string_sized_new (estimate);
  g_string_append_printf (out, "{\"protocol\":%d,\"origin\":", VCR_PROTOCOL_VERSION);
  append_json_string (out, snapshot->origin);
  g_string_append (out, ",\"epoch\":");
  append_json_string (out, snapshot->epoch);
  g_string_append_printf (out, ",\"generation\":%" G_GUINT64_FORMAT ",\"paths\":[",
                          snapshot->generation);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);

      g_string_append (out, i > 0 ? ",{\"path\":" : "{\"path\":");
      append_json_string (out, entry->path);
      g_string_append (out, ",\"config\":");
      append_json_string (out, entry->config);
      g_string_append (out, ",\"digest\":");
      append_json_string (out, entry->digest);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  /* a v1 reply to GET /v1/texts does not exist: "kept" is never written */
  append_json_list (out, "excludes", snapshot->excludes);
  g_string_append_c (out, '}');
  if (length != NULL)
    *length = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
check_origin (const char *origin, GError **error)
{
  gsize len = strlen (origin);

  if (len == 0 || len > MAX_ORIGIN_LEN)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "snapshot.origin: must be 1 to %d bytes", MAX_ORIGIN_LEN);
      return FALSE;
    }
  for (const char *p = origin; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                             "snapshot.origin: holds a control character");
        return FALSE;
      }
  return TRUE;
}

VcrSnapshot *
vcr_snapshot_from_json (const char *data, gsize length, GError **error)
{
  static const char *const names[] = {
    "protocol", "origin", "epoch", "generation", "paths", NULL,
  };
  static const char *const optional[] = { "excludes", NULL };
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  JsonObject *root = NULL;
  JsonArray *items;
  const char *origin, *epoch;
  guint64 protocol, generation;

  if ((parser = vcr_json_parse_object ("snapshot", data, length, &root, error)) == NULL ||
      !vcr_json_check_members_optional (root, "snapshot", names, optional, error))
    return NULL;
  if (!vcr_json_get_count (root, "snapshot", "protocol", &protocol, NULL) ||
      protocol != VCR_PROTOCOL_VERSION)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "snapshot.protocol: not %d (unsupported protocol version)",
                   VCR_PROTOCOL_VERSION);
      return NULL;
    }
  if ((origin = vcr_json_get_string (root, "snapshot", "origin", error)) == NULL ||
      !check_origin (origin, error) ||
      (epoch = vcr_json_get_string (root, "snapshot", "epoch", error)) == NULL ||
      !check_hex_field ("snapshot", "epoch", epoch, VCR_EPOCH_HEX_LEN, error) ||
      !vcr_json_get_count (root, "snapshot", "generation", &generation, error) ||
      (items = check_entries (root, "snapshot", TRUE, error)) == NULL)
    return NULL;

  snapshot = vcr_snapshot_new (origin, epoch, generation);
  if (!vcr_json_read_snapshot_lists (root, snapshot, FALSE, error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *o = json_array_get_object_element (items, i);

      g_ptr_array_add (snapshot->entries,
                       entry_new (json_object_get_string_member (o, "path"),
                                  json_object_get_string_member (o, "config"),
                                  json_object_get_string_member (o, "digest")));
    }
  return g_steal_pointer (&snapshot);
}

gboolean
vcr_snapshot_check_digests (const VcrSnapshot *snapshot, GError **error)
{
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);
      g_autofree char *digest = vcr_auth_sha256_hex ((const guint8 *) entry->config,
                                                  entry->config_len);

      if (strcmp (digest, entry->digest) != 0)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                       "snapshot: digest of path \"%s\" does not match its config text",
                       entry->path);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- digests document -------------------------------------------------- */

VcrDigests *
vcr_digests_new (const char *mode, const char *epoch, guint64 generation)
{
  VcrDigests *digests;

  g_return_val_if_fail (mode != NULL && epoch != NULL, NULL);
  g_return_val_if_fail (generation <= G_MAXINT64, NULL);
  digests = g_new0 (VcrDigests, 1);
  digests->mode = g_strdup (mode);
  digests->epoch = g_strdup (epoch);
  digests->generation = generation;
  digests->entries = g_ptr_array_new_with_free_func (entry_free);
  return digests;
}

void
vcr_digests_free (VcrDigests *digests)
{
  if (digests == NULL)
    return;
  g_free (digests->mode);
  g_free (digests->epoch);
  g_ptr_array_unref (digests->entries);
  g_free (digests);
}

void
vcr_digests_add (VcrDigests *digests, const char *path, const char *digest)
{
  VcrSnapshotEntry *entry;

  g_return_if_fail (path != NULL && digest != NULL);
  entry = g_new0 (VcrSnapshotEntry, 1);
  entry->path = g_strdup (path);
  entry->digest = g_strdup (digest);
  g_ptr_array_add (digests->entries, entry);
}

const VcrSnapshotEntry *
vcr_digests_lookup (const VcrDigests *digests, const char *path)
{
  return entries_lookup (digests->entries, path);
}

char *
vcr_digests_to_json (const VcrDigests *digests, gsize *length)
{
  g_autoptr(JsonBuilder) b = json_builder_new_immutable ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, digests->mode);
  json_builder_set_member_name (b, "epoch");
  json_builder_add_string_value (b, digests->epoch);
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) digests->generation);
  build_entries (b, digests->entries, FALSE);
  json_builder_end_object (b);
  return generate (b, length);
}

VcrDigests *
vcr_digests_from_json (const char *data, gsize length, GError **error)
{
  static const char *const names[] = { "mode", "epoch", "generation", "paths", NULL };
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(VcrDigests) digests = NULL;
  JsonObject *root = NULL;
  JsonArray *items;
  const char *mode, *epoch;
  guint64 generation;

  if ((parser = vcr_json_parse_object ("digests", data, length, &root, error)) == NULL ||
      !vcr_json_check_members (root, "digests", names, error) ||
      (mode = vcr_json_get_string (root, "digests", "mode", error)) == NULL)
    return NULL;
  if (strcmp (mode, "primary") != 0 && strcmp (mode, "replica") != 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "digests.mode: \"%s\" is neither primary nor replica", mode);
      return NULL;
    }
  if ((epoch = vcr_json_get_string (root, "digests", "epoch", error)) == NULL ||
      (*epoch != '\0' &&
       !check_hex_field ("digests", "epoch", epoch, VCR_EPOCH_HEX_LEN, error)) ||
      !vcr_json_get_count (root, "digests", "generation", &generation, error) ||
      (items = check_entries (root, "digests", FALSE, error)) == NULL)
    return NULL;

  digests = vcr_digests_new (mode, epoch, generation);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *o = json_array_get_object_element (items, i);

      vcr_digests_add (digests, json_object_get_string_member (o, "path"),
                       json_object_get_string_member (o, "digest"));
    }
  return g_steal_pointer (&digests);
}

/* ---- small answers ----------------------------------------------------- */

char *
vcr_post_result_to_json (gboolean applied, guint64 generation, gsize *length)
{
  g_autoptr(JsonBuilder) b = json_builder_new_immutable ();

  g_return_val_if_fail (generation <= G_MAXINT64, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, applied ? "applied" : "unchanged");
  json_builder_set_member_name (b, "generation");
  json_builder_add_int_value (b, (gint64) generation);
  json_builder_end_object (b);
  return generate (b, length);
}

gboolean
vcr_post_result_from_json (const char *data, gsize length, gboolean *applied,
                           guint64 *generation, GError **error)
{
  static const char *const names[] = { "result", "generation", NULL };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL;
  const char *result;

  if ((parser = vcr_json_parse_object ("result", data, length, &root, error)) == NULL ||
      !vcr_json_check_members (root, "result", names, error) ||
      (result = vcr_json_get_string (root, "result", "result", error)) == NULL ||
      !vcr_json_get_count (root, "result", "generation", generation, error))
    return FALSE;
  if (strcmp (result, "applied") != 0 && strcmp (result, "unchanged") != 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "result.result: \"%s\" is neither applied nor unchanged", result);
      return FALSE;
    }
  *applied = strcmp (result, "applied") == 0;
  return TRUE;
}

char *
vcr_error_body_to_json (const char *code, const char *message, gsize *length)
{
  g_autoptr(JsonBuilder) b = json_builder_new_immutable ();

  g_return_val_if_fail (code != NULL && *code != '\0' && message != NULL, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  return generate (b, length);
}

gboolean
vcr_error_body_from_json (const char *data, gsize length, char **code,
                          char **message, GError **error)
{
  static const char *const names[] = { "error", "message", NULL };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL;
  const char *c, *m;

  if ((parser = vcr_json_parse_object ("error body", data, length, &root, error)) == NULL ||
      !vcr_json_check_members (root, "error body", names, error) ||
      (c = vcr_json_get_string (root, "error body", "error", error)) == NULL ||
      (m = vcr_json_get_string (root, "error body", "message", error)) == NULL)
    return FALSE;
  if (*c == '\0')
    {
      g_set_error_literal (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                           "error body.error: empty");
      return FALSE;
    }
  *code = g_strdup (c);
  *message = g_strdup (m);
  return TRUE;
}
