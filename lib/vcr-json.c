/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json-glib, made strict for the peer documents (see vcr-json.h).
 */
#define G_LOG_DOMAIN "vcr-json"

#include "vcr-json.h"

#include <string.h>

#include "vcr-error.h"

/* A peer document refused (VCR_ERROR_PEER_FAILED); FALSE. */
#define refuse(error, ...) vcr_error_refuse_peer (error, __VA_ARGS__)

/* The code unit of a \uXXXX escape at @data[@i], or -1. */
static gint
unicode_escape (const char *data, gsize length, gsize i)
{
  gint unit = 0;

  if (i + 5 >= length || data[i] != '\\' || data[i + 1] != 'u')
    return -1;
  for (gsize k = i + 2; k < i + 6; k++)
    {
      if (!g_ascii_isxdigit (data[k]))
        return -1;
      unit = unit * 16 + g_ascii_xdigit_value (data[k]);
    }
  return unit;
}

/* The escape at @data[@i] (a backslash): one of RFC 8259's, not \u0000,
 * and a surrogate only as a pair. json-glib takes "\x" as "x" and makes a
 * lone surrogate into bytes that are not UTF-8. Sets *@skip to the bytes
 * it spans after the backslash. */
static gboolean
check_escape (const char *what, const char *data, gsize length, gsize i, gsize *skip,
              GError **error)
{
  gint unit = unicode_escape (data, length, i);

  *skip = 1;
  if (unit < 0)
    {
      if (i + 1 < length && data[i + 1] != '\0' && data[i + 1] != 'u' &&
          strchr ("\"\\/bfnrt", data[i + 1]) != NULL)
        return TRUE;
      return refuse (error, "%s: not JSON: bad escape in a string at byte %" G_GSIZE_FORMAT,
                     what, i);
    }
  *skip = 5;
  if (unit == 0)
    return refuse (error, "%s: \\u0000 in a string at byte %" G_GSIZE_FORMAT, what, i);
  if (unit >= 0xdc00 && unit <= 0xdfff)
    return refuse (error, "%s: not JSON: lone low surrogate at byte %" G_GSIZE_FORMAT, what, i);
  if (unit >= 0xd800 && unit <= 0xdbff)
    {
      gint low = unicode_escape (data, length, i + 6);

      if (low < 0xdc00 || low > 0xdfff)
        return refuse (error, "%s: not JSON: lone high surrogate at byte %" G_GSIZE_FORMAT,
                       what, i);
      *skip = 11;
    }
  return TRUE;
}

/* What json-glib would accept against RFC 8259, or read wrongly: outside
 * strings a comment, a single quote, or anything but white space after
 * the document (json-glib reads the first of two documents and stops);
 * inside a control character, an escape RFC 8259 does not have, a
 * surrogate that is not part of a pair, or \u0000; and nesting deeper than the documents need. One pass
 * that follows the strings (a backslash escapes the next byte);
 * json-glib checks the rest of the grammar. */
static gboolean
check_text (const char *what, const char *data, gsize length, GError **error)
{
  gboolean in_string = FALSE, ended = FALSE;
  guint depth = 0;

  if (!g_utf8_validate_len (data, length, NULL))
    return refuse (error, "%s: not UTF-8 text (or holds a NUL byte)", what);
  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '"')
            in_string = FALSE;
          else if ((guchar) c < 0x20)
            return refuse (error, "%s: not JSON: control character in a string at byte %"
                           G_GSIZE_FORMAT, what, i);
          else if (c == '\\')
            {
              gsize skip;

              if (!check_escape (what, data, length, i, &skip, error))
                return FALSE;
              i += skip;
            }
          continue;
        }
      if (ended && !g_ascii_isspace (c))
        return refuse (error, "%s: not JSON: text after the document at byte %" G_GSIZE_FORMAT,
                       what, i);
      if (c == '"')
        in_string = TRUE;
      else if (c == '/' || c == '\'')
        return refuse (error, "%s: not JSON: '%c' at byte %" G_GSIZE_FORMAT
                       " (no comments or single quotes)", what, c, i);
      else if ((c == '{' || c == '[') && ++depth > VCR_JSON_MAX_DEPTH)
        return refuse (error, "%s: not JSON: nested too deeply at byte %" G_GSIZE_FORMAT,
                       what, i);
      else if ((c == '}' || c == ']') && depth > 0 && --depth == 0)
        ended = TRUE;
    }
  return TRUE;
}

typedef struct {
  GHashTable *names;      /* JsonObject* → GHashTable of its member names */
  gboolean duplicate;
} Members;

static void
object_member (JsonParser *parser, JsonObject *object, const char *name, gpointer data)
{
  Members *m = data;
  GHashTable *seen = g_hash_table_lookup (m->names, object);

  if (seen == NULL)
    {
      seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (m->names, object, seen);
    }
  if (!g_hash_table_add (seen, g_strdup (name)))
    m->duplicate = TRUE;
}

JsonParser *
vcr_json_parse_object (const char *what, const char *data, gsize length,
                       JsonObject **object, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) json_error = NULL;
  Members m = { g_hash_table_new_full (NULL, NULL, NULL,
                                       (GDestroyNotify) g_hash_table_unref), FALSE };
  JsonNode *root;
  gboolean ok;

  if (!check_text (what, data, length, error))
    {
      g_hash_table_unref (m.names);
      return NULL;
    }
  g_signal_connect (parser, "object-member", G_CALLBACK (object_member), &m);
  ok = json_parser_load_from_data (parser, data, (gssize) length, &json_error);
  g_signal_handlers_disconnect_by_func (parser, object_member, &m);
  g_hash_table_unref (m.names);
  if (!ok)
    {
      /* json-glib quotes the input in its message */
      g_autofree char *why = g_utf8_make_valid (json_error->message, -1);

      refuse (error, "%s: not JSON: %s", what, why);
      return NULL;
    }
  if (m.duplicate)
    {
      refuse (error, "%s: duplicate member name", what);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      refuse (error, "%s: not a JSON object", what);
      return NULL;
    }
  *object = json_node_get_object (root);
  return g_steal_pointer (&parser);
}

gboolean
vcr_json_check_members (JsonObject *o, const char *where, const char *const *names,
                        GError **error)
{
  g_autoptr(GList) members = json_object_get_members (o);

  for (const char *const *n = names; *n != NULL; n++)
    if (!json_object_has_member (o, *n))
      return refuse (error, "%s: missing member \"%s\"", where, *n);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (names, l->data))
      return refuse (error, "%s: unknown member \"%s\"", where, (const char *) l->data);
  return TRUE;
}

const char *
vcr_json_get_string (JsonObject *o, const char *where, const char *name, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      refuse (error, "%s.%s: not a string", where, name);
      return NULL;
    }
  return json_node_get_string (node);
}

gboolean
vcr_json_get_count (JsonObject *o, const char *where, const char *name, guint64 *out,
                    GError **error)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return refuse (error, "%s.%s: not a non-negative integer", where, name);
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

gboolean
vcr_json_is_lower_hex (const char *s, gsize len)
{
  if (strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
      return FALSE;
  return TRUE;
}

gboolean
vcr_json_check_members_optional (JsonObject *o, const char *where,
                                 const char *const *required, const char *const *optional,
                                 GError **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) present = NULL;

  g_strv_builder_addv (builder, (const char **) required);
  for (guint i = 0; optional[i] != NULL; i++)
    if (json_object_has_member (o, optional[i]))
      g_strv_builder_add (builder, optional[i]);
  present = g_strv_builder_end (builder);
  return vcr_json_check_members (o, where, (const char *const *) present, error);
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
      /* the lists are short (settings hold a few exclusions): quadratic is fine */
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

gboolean
vcr_json_read_snapshot_lists (JsonObject *o, VcrSnapshot *snapshot, gboolean texts,
                              GError **error)
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
