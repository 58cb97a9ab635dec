/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer protocol documents: written by hand (the snapshot) or with
 * json-glib's builder (the small ones), read strictly. Our own reader
 * (vcr-json-reader.c) checks the RFC 8259 grammar, the nesting depth and
 * duplicate member names and builds a small tree in one pass; the schema
 * checks below refuse missing, extra or mistyped members and bad field
 * syntax, and a snapshot's strings are moved out of that tree into its
 * entries without another copy. Read in place, the tree's strings point
 * into the document, and so do the entries': the snapshot keeps the
 * document instead of a second copy of its texts.
 */
#define G_LOG_DOMAIN "vcr-snapshot"

#include "vcr-snapshot.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "vcr-error.h"
#include "vcr-auth.h"
#include "vcr-json-reader.h"

#define MAX_ORIGIN_LEN 255

/* ---- schema checks ----------------------------------------------------- */

/* The first member of @o, in document order, that is not in @names. */
static const char *
first_unknown_member (const VcrJsonValue *o, const char *const *names)
{
  for (guint i = 0; i < o->n; i++)
    if (!g_strv_contains (names, o->members[i].name))
      return o->members[i].name;
  g_assert_not_reached ();
}

/* @o (an object) has exactly the members @names (NULL-terminated). The
 * reader has refused duplicate names, so a count that differs means an
 * unknown member. */
static gboolean
check_members (const VcrJsonValue *o, const char *where,
               const char *const *names, GError **error)
{
  guint n = 0;

  for (; names[n] != NULL; n++)
    if (vcr_json_get_member (o, names[n]) == NULL)
      {
        g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                     "%s: missing member \"%s\"", where, names[n]);
        return FALSE;
      }
  if (o->n == n)
    return TRUE;
  g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
               "%s: unknown member \"%s\"", where, first_unknown_member (o, names));
  return FALSE;
}

/* check_members() of @required, but the members @optional may be there
 * too. */
static gboolean
check_members_optional (const VcrJsonValue *o, const char *where,
                        const char *const *required, const char *const *optional,
                        GError **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) present = NULL;

  g_strv_builder_addv (builder, (const char **) required);
  for (guint i = 0; optional[i] != NULL; i++)
    if (vcr_json_get_member (o, optional[i]) != NULL)
      g_strv_builder_add (builder, optional[i]);
  present = g_strv_builder_end (builder);
  return check_members (o, where, (const char *const *) present, error);
}

static const char *
get_string (const VcrJsonValue *o, const char *where, const char *name,
            GError **error)
{
  const VcrJsonValue *value = vcr_json_get_member (o, name);

  if (value == NULL || value->kind != VCR_JSON_STRING)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s.%s: not a string", where, name);
      return NULL;
    }
  return value->string;
}

static gboolean
get_generation (const VcrJsonValue *o, const char *where, guint64 *out,
                GError **error)
{
  const VcrJsonValue *value = vcr_json_get_member (o, "generation");

  if (value == NULL || value->kind != VCR_JSON_INTEGER || value->integer < 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s.generation: not a non-negative integer", where);
      return FALSE;
    }
  *out = (guint64) value->integer;
  return TRUE;
}

/* Takes the string member @name of @o, checked by get_string(): its own
 * bytes, or read in place, a pointer into the document. */
static char *
steal_string (VcrJsonValue *o, const char *name)
{
  VcrJsonValue *value = vcr_json_get_member (o, name);

  if (value->borrowed)
    return value->string;
  return vcr_json_steal_string (value);
}

static gboolean
is_lower_hex (const char *s, gsize len)
{
  if (strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
      return FALSE;
  return TRUE;
}

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
  if (is_lower_hex (value, len))
    return TRUE;
  g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
               "%s.%s: not %" G_GSIZE_FORMAT " lowercase hex digits",
               where, name, len);
  return FALSE;
}

/* Checks the "paths" array of a snapshot (@with_config) or digests
 * document and returns it: its items are all objects that passed. */
static VcrJsonValue *
check_entries (const VcrJsonValue *root, const char *what, gboolean with_config,
               GError **error)
{
  static const char *const snapshot_names[] = { "path", "config", "digest", NULL };
  static const char *const digest_names[] = { "path", "digest", NULL };
  VcrJsonValue *array = vcr_json_get_member (root, "paths");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (array == NULL || array->kind != VCR_JSON_ARRAY)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s.paths: not an array", what);
      return NULL;
    }
  for (guint i = 0; i < array->n; i++)
    {
      g_autofree char *where = g_strdup_printf ("%s.paths[%u]", what, i);
      const VcrJsonValue *o = &array->items[i];
      const char *path, *config = NULL, *digest;

      if (o->kind != VCR_JSON_OBJECT)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                       "%s: not an object", where);
          return NULL;
        }
      if (!check_members (o, where, with_config ? snapshot_names : digest_names, error) ||
          (path = get_string (o, where, "path", error)) == NULL ||
          (with_config && (config = get_string (o, where, "config", error)) == NULL) ||
          (digest = get_string (o, where, "digest", error)) == NULL ||
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
  append_json_list (out, "excludes", snapshot->excludes);
  append_json_list (out, "kept", snapshot->kept);
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

/* The optional list @name of @root ("excludes", "kept"): NULL when it is
 * not there, else its strings, each a canonical path given once; FALSE
 * with @error when it is not such a list. */
static gboolean
read_path_list (const VcrJsonValue *root, const char *where, const char *name, GStrv *out,
                GError **error)
{
  const VcrJsonValue *array = vcr_json_get_member (root, name);
  g_autoptr(GStrvBuilder) builder = NULL;

  *out = NULL;
  if (array == NULL)
    return TRUE;
  if (array->kind != VCR_JSON_ARRAY)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED, "%s.%s: not an array", where, name);
      return FALSE;
    }
  builder = g_strv_builder_new ();
  for (guint i = 0; i < array->n; i++)
    {
      const VcrJsonValue *item = &array->items[i];

      if (item->kind != VCR_JSON_STRING || !vcr_snapshot_path_is_canonical (item->string))
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                       "%s.%s[%u]: not canonical words joined by single spaces", where, name, i);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (strcmp (array->items[j].string, item->string) == 0)
          {
            g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                         "%s.%s[%u]: \"%s\" appears twice", where, name, i, item->string);
            return FALSE;
          }
      g_strv_builder_add (builder, item->string);
    }
  *out = g_strv_builder_end (builder);
  if ((*out)[0] == NULL)
    g_clear_pointer (out, g_strfreev);
  return TRUE;
}

/* "excludes" and, in a replica's texts, "kept" (each one of "excludes"). */
static gboolean
read_lists (const VcrJsonValue *root, VcrSnapshot *snapshot, gboolean texts, GError **error)
{
  if (!read_path_list (root, "snapshot", "excludes", &snapshot->excludes, error) ||
      (texts && !read_path_list (root, "snapshot", "kept", &snapshot->kept, error)))
    return FALSE;
  for (guint i = 0; snapshot->kept != NULL && snapshot->kept[i] != NULL; i++)
    if (snapshot->excludes == NULL ||
        !g_strv_contains ((const char *const *) snapshot->excludes, snapshot->kept[i]))
      {
        g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                     "snapshot.kept[%u]: \"%s\" is not one of its excludes", i,
                     snapshot->kept[i]);
        return FALSE;
      }
  return TRUE;
}

/* Both reads of a snapshot: in place when @in_place (which is @data) is
 * set, and then the entries point into it (the caller makes the snapshot
 * keep it). @texts: a replica's texts (epoch may be "", "kept" allowed). */
static VcrSnapshot *
snapshot_read (const char *data, gsize length, char *in_place, gboolean texts,
               GError **error)
{
  static const char *const names[] = {
    "protocol", "origin", "epoch", "generation", "paths", NULL,
  };
  static const char *const snapshot_optional[] = { "excludes", NULL };
  static const char *const texts_optional[] = { "excludes", "kept", NULL };
  g_auto(VcrJsonValue) root = { 0 };
  g_autoptr(VcrSnapshot) snapshot = NULL;
  const VcrJsonValue *protocol;
  VcrJsonValue *items;
  const char *origin, *epoch;
  guint64 generation;

  if (!(in_place != NULL
          ? vcr_json_read_in_place ("snapshot", in_place, length, &root, error)
          : vcr_json_read ("snapshot", data, length, &root, error)) ||
      !check_members_optional (&root, "snapshot", names,
                               texts ? texts_optional : snapshot_optional, error))
    return NULL;
  protocol = vcr_json_get_member (&root, "protocol");
  if (protocol->kind != VCR_JSON_INTEGER || protocol->integer != VCR_PROTOCOL_VERSION)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "snapshot.protocol: not %d (unsupported protocol version)",
                   VCR_PROTOCOL_VERSION);
      return NULL;
    }
  if ((origin = get_string (&root, "snapshot", "origin", error)) == NULL ||
      !check_origin (origin, error) ||
      (epoch = get_string (&root, "snapshot", "epoch", error)) == NULL ||
      (!(texts && *epoch == '\0') &&
       !check_hex_field ("snapshot", "epoch", epoch, VCR_EPOCH_HEX_LEN, error)) ||
      !get_generation (&root, "snapshot", &generation, error) ||
      (items = check_entries (&root, "snapshot", TRUE, error)) == NULL)
    return NULL;

  snapshot = vcr_snapshot_new (origin, epoch, generation);
  if (!read_lists (&root, snapshot, texts, error))
    return NULL;
  if (in_place != NULL)
    g_ptr_array_set_free_func (snapshot->entries, g_free);
  for (guint i = 0; i < items->n; i++)
    {
      VcrJsonValue *o = &items->items[i];

      /* the texts are the bulk of a snapshot: move them, do not copy */
      g_ptr_array_add (snapshot->entries,
                       entry_new_take (steal_string (o, "path"),
                                       steal_string (o, "config"),
                                       steal_string (o, "digest")));
    }
  return g_steal_pointer (&snapshot);
}

VcrSnapshot *
vcr_snapshot_from_json (const char *data, gsize length, GError **error)
{
  return snapshot_read (data, length, NULL, FALSE, error);
}

static VcrSnapshot *
read_in_place (char *data, gsize length, gboolean texts, GDestroyNotify release,
               gpointer release_data, GError **error)
{
  VcrSnapshot *snapshot = snapshot_read (data, length, data, texts, error);

  if (snapshot == NULL)
    {
      if (release != NULL)
        release (release_data);
      return NULL;
    }
  snapshot->document = data;
  snapshot->release = release;
  snapshot->release_data = release_data;
  return snapshot;
}

VcrSnapshot *
vcr_snapshot_from_json_in_place (char *data, gsize length, GDestroyNotify release,
                                 gpointer release_data, GError **error)
{
  return read_in_place (data, length, FALSE, release, release_data, error);
}

VcrSnapshot *
vcr_snapshot_texts_from_json_in_place (char *data, gsize length, GDestroyNotify release,
                                       gpointer release_data, GError **error)
{
  return read_in_place (data, length, TRUE, release, release_data, error);
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
  g_auto(VcrJsonValue) root = { 0 };
  g_autoptr(VcrDigests) digests = NULL;
  VcrJsonValue *items;
  const char *mode, *epoch;
  guint64 generation;

  if (!vcr_json_read ("digests", data, length, &root, error) ||
      !check_members (&root, "digests", names, error) ||
      (mode = get_string (&root, "digests", "mode", error)) == NULL)
    return NULL;
  if (strcmp (mode, "primary") != 0 && strcmp (mode, "replica") != 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "digests.mode: \"%s\" is neither primary nor replica", mode);
      return NULL;
    }
  if ((epoch = get_string (&root, "digests", "epoch", error)) == NULL ||
      (*epoch != '\0' &&
       !check_hex_field ("digests", "epoch", epoch, VCR_EPOCH_HEX_LEN, error)) ||
      !get_generation (&root, "digests", &generation, error) ||
      (items = check_entries (&root, "digests", FALSE, error)) == NULL)
    return NULL;

  digests = vcr_digests_new (mode, epoch, generation);
  for (guint i = 0; i < items->n; i++)
    {
      VcrJsonValue *o = &items->items[i];

      g_ptr_array_add (digests->entries,
                       entry_new_take (steal_string (o, "path"), NULL,
                                       steal_string (o, "digest")));
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
  g_auto(VcrJsonValue) root = { 0 };
  const char *result;

  if (!vcr_json_read ("result", data, length, &root, error) ||
      !check_members (&root, "result", names, error) ||
      (result = get_string (&root, "result", "result", error)) == NULL ||
      !get_generation (&root, "result", generation, error))
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
  g_auto(VcrJsonValue) root = { 0 };
  const char *c, *m;

  if (!vcr_json_read ("error body", data, length, &root, error) ||
      !check_members (&root, "error body", names, error) ||
      (c = get_string (&root, "error body", "error", error)) == NULL ||
      (m = get_string (&root, "error body", "message", error)) == NULL)
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
