/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer protocol documents: build with json-glib, parse strictly. A small
 * RFC 8259 checker runs first (json-glib alone is lenient and recursive, so
 * the checker also bounds the nesting depth); json-glib then builds the
 * tree and the schema checks below refuse missing, extra, duplicate or
 * mistyped members.
 */
#define G_LOG_DOMAIN "vcr-snapshot"

#include "vcr-snapshot.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "vcr-error.h"
#include "vcr-auth.h"

#define MAX_DEPTH 8
#define MAX_ORIGIN_LEN 255

/* ---- strict grammar check ---------------------------------------------- */

typedef struct {
  const char *p;
  const char *end;
  guint depth;
  const char *problem;
} Lexer;

static gboolean check_value (Lexer *lx);

static void
skip_ws (Lexer *lx)
{
  while (lx->p < lx->end &&
         (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r'))
    lx->p++;
}

static gboolean
fail (Lexer *lx, const char *problem)
{
  lx->problem = problem;
  return FALSE;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
take_u_escape (Lexer *lx, guint *out)
{
  guint v = 0;

  if (lx->end - lx->p < 4)
    return fail (lx, "truncated \\u escape");
  for (int i = 0; i < 4; i++)
    {
      int d = hex_digit (lx->p[i]);
      if (d < 0)
        return fail (lx, "bad \\u escape");
      v = v * 16 + (guint) d;
    }
  lx->p += 4;
  *out = v;
  return TRUE;
}

/* A string; the bytes are already valid UTF-8 without NUL. */
static gboolean
check_string (Lexer *lx)
{
  lx->p++;  /* opening quote */
  while (lx->p < lx->end)
    {
      guchar c = (guchar) *lx->p++;
      guint u;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return fail (lx, "control character in string");
      if (c != '\\')
        continue;
      if (lx->p >= lx->end)
        break;
      c = (guchar) *lx->p++;
      if (strchr ("\"\\/bfnrt", c) != NULL && c != '\0')
        continue;
      if (c != 'u' || !take_u_escape (lx, &u))
        return fail (lx, lx->problem ? lx->problem : "bad escape in string");
      if (u == 0)
        return fail (lx, "\\u0000 in string");
      if (u >= 0xdc00 && u <= 0xdfff)
        return fail (lx, "lone low surrogate in string");
      if (u >= 0xd800 && u <= 0xdbff)
        {
          guint low;
          if (lx->end - lx->p < 2 || lx->p[0] != '\\' || lx->p[1] != 'u')
            return fail (lx, "lone high surrogate in string");
          lx->p += 2;
          if (!take_u_escape (lx, &low) || low < 0xdc00 || low > 0xdfff)
            return fail (lx, "bad surrogate pair in string");
        }
    }
  return fail (lx, "unterminated string");
}

static gboolean
take_digits (Lexer *lx)
{
  const char *start = lx->p;

  while (lx->p < lx->end && g_ascii_isdigit (*lx->p))
    lx->p++;
  return lx->p > start;
}

/* RFC 8259 number; an integer (no fraction or exponent) must fit gint64,
 * because json-glib silently saturates larger ones. */
static gboolean
check_number (Lexer *lx)
{
  const char *start = lx->p;
  gboolean integer = TRUE;

  if (*lx->p == '-')
    lx->p++;
  if (lx->p < lx->end && *lx->p == '0')
    lx->p++;
  else if (!take_digits (lx))
    return fail (lx, "bad number");
  if (lx->p < lx->end && *lx->p == '.')
    {
      lx->p++;
      integer = FALSE;
      if (!take_digits (lx))
        return fail (lx, "bad number");
    }
  if (lx->p < lx->end && (*lx->p == 'e' || *lx->p == 'E'))
    {
      lx->p++;
      integer = FALSE;
      if (lx->p < lx->end && (*lx->p == '+' || *lx->p == '-'))
        lx->p++;
      if (!take_digits (lx))
        return fail (lx, "bad number");
    }
  if (integer)
    {
      g_autofree char *text = g_strndup (start, (gsize) (lx->p - start));
      gint64 v;

      if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &v, NULL))
        return fail (lx, "integer out of range");
    }
  return TRUE;
}

static gboolean
check_literal (Lexer *lx, const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (lx->end - lx->p) < len || memcmp (lx->p, word, len) != 0)
    return fail (lx, "unexpected character");
  lx->p += len;
  return TRUE;
}

/* An object or array after its opening bracket. */
static gboolean
check_container (Lexer *lx, char close, gboolean object)
{
  if (++lx->depth > MAX_DEPTH)
    return fail (lx, "nested too deeply");
  lx->p++;
  skip_ws (lx);
  if (lx->p < lx->end && *lx->p == close)
    {
      lx->p++;
      lx->depth--;
      return TRUE;
    }
  for (;;)
    {
      skip_ws (lx);
      if (object)
        {
          if (lx->p >= lx->end || *lx->p != '"')
            return fail (lx, "expected a member name");
          if (!check_string (lx))
            return FALSE;
          skip_ws (lx);
          if (lx->p >= lx->end || *lx->p != ':')
            return fail (lx, "expected ':'");
          lx->p++;
        }
      if (!check_value (lx))
        return FALSE;
      skip_ws (lx);
      if (lx->p < lx->end && *lx->p == ',')
        {
          lx->p++;
          continue;
        }
      if (lx->p < lx->end && *lx->p == close)
        {
          lx->p++;
          lx->depth--;
          return TRUE;
        }
      return fail (lx, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static gboolean
check_value (Lexer *lx)
{
  skip_ws (lx);
  if (lx->p >= lx->end)
    return fail (lx, "unexpected end of document");
  switch (*lx->p)
    {
    case '{':
      return check_container (lx, '}', TRUE);
    case '[':
      return check_container (lx, ']', FALSE);
    case '"':
      return check_string (lx);
    case 't':
      return check_literal (lx, "true");
    case 'f':
      return check_literal (lx, "false");
    case 'n':
      return check_literal (lx, "null");
    default:
      if (*lx->p == '-' || g_ascii_isdigit (*lx->p))
        return check_number (lx);
      return fail (lx, "unexpected character");
    }
}

static gboolean
check_grammar (const char *what, const char *data, gsize length, GError **error)
{
  Lexer lx = { data, data + length, 0, NULL };

  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s: not UTF-8 text (or holds a NUL byte)", what);
      return FALSE;
    }
  skip_ws (&lx);
  if (lx.p >= lx.end || *lx.p != '{')
    lx.problem = "the document is not a JSON object";
  else if (check_value (&lx))
    {
      skip_ws (&lx);
      if (lx.p == lx.end)
        return TRUE;
      lx.problem = "text after the document";
    }
  g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
               "%s: malformed JSON at byte %" G_GSIZE_FORMAT ": %s",
               what, (gsize) (lx.p - data), lx.problem);
  return FALSE;
}

/* ---- json-glib tree and schema checks ---------------------------------- */

static void
count_member (JsonParser *parser, JsonObject *object, const char *name, gpointer data)
{
  (*(guint *) data)++;
}

static guint
count_tree_members (JsonNode *node)
{
  guint n = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      JsonObjectIter iter;
      JsonNode *child;

      json_object_iter_init (&iter, o);
      while (json_object_iter_next (&iter, NULL, &child))
        n += 1 + count_tree_members (child);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (a); i++)
        n += count_tree_members (json_array_get_element (a, i));
    }
  return n;
}

/* The document's root object (owned by the returned parser). */
static JsonParser *
parse_object (const char *what, const char *data, gsize length,
              JsonObject **root, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local = NULL;
  guint members = 0;

  if (!check_grammar (what, data, length, error))
    return NULL;
  parser = json_parser_new_immutable ();
  g_signal_connect (parser, "object-member", G_CALLBACK (count_member), &members);
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s: malformed JSON: %s", what, local->message);
      return NULL;
    }
  /* json-glib keeps the last of duplicate members: count them away */
  if (members != count_tree_members (json_parser_get_root (parser)))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s: duplicate member name", what);
      return NULL;
    }
  *root = json_node_get_object (json_parser_get_root (parser));
  return g_steal_pointer (&parser);
}

/* @o has exactly the members @names (NULL-terminated). */
static gboolean
check_members (JsonObject *o, const char *where, const char *const *names,
               GError **error)
{
  guint n = 0;
  JsonObjectIter iter;
  const char *name;

  for (; names[n] != NULL; n++)
    if (!json_object_has_member (o, names[n]))
      {
        g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                     "%s: missing member \"%s\"", where, names[n]);
        return FALSE;
      }
  if (json_object_get_size (o) == n)
    return TRUE;
  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &name, NULL))
    if (!g_strv_contains (names, name))
      {
        g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                     "%s: unknown member \"%s\"", where, name);
        return FALSE;
      }
  g_assert_not_reached ();
}

static const char *
get_string (JsonObject *o, const char *where, const char *name, GError **error)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s.%s: not a string", where, name);
      return NULL;
    }
  return json_node_get_string (node);
}

static gboolean
get_generation (JsonObject *o, const char *where, guint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (o, "generation");

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s.generation: not a non-negative integer", where);
      return FALSE;
    }
  *out = (guint64) json_node_get_int (node);
  return TRUE;
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

/* The "paths" array of a snapshot (@with_config) or digests document. */
static GPtrArray *
parse_entries (JsonObject *root, const char *what, gboolean with_config,
               GError **error)
{
  static const char *const snapshot_names[] = { "path", "config", "digest", NULL };
  static const char *const digest_names[] = { "path", "digest", NULL };
  JsonNode *node = json_object_get_member (root, "paths");
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s.paths: not an array", what);
      return NULL;
    }
  array = json_node_get_array (node);
  entries = g_ptr_array_new_with_free_func (NULL);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *where = g_strdup_printf ("%s.paths[%u]", what, i);
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *o;
      const char *path, *config = NULL, *digest;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                       "%s: not an object", where);
          return NULL;
        }
      o = json_node_get_object (item);
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
      g_ptr_array_add (entries, o);
    }
  return g_steal_pointer (&entries);
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

static VcrSnapshotEntry *
entry_new (const char *path, const char *config, const char *digest)
{
  VcrSnapshotEntry *entry = g_new0 (VcrSnapshotEntry, 1);

  entry->path = g_strdup (path);
  entry->config = g_strdup (config);
  entry->digest = digest != NULL ? g_strdup (digest)
                                 : vcr_auth_sha256_hex ((const guint8 *) config, strlen (config));
  return entry;
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
  g_free (snapshot);
}

void
vcr_snapshot_add (VcrSnapshot *snapshot, const char *path, const char *config,
                  const char *digest)
{
  g_return_if_fail (path != NULL && config != NULL);
  g_ptr_array_add (snapshot->entries, entry_new (path, config, digest));
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
  g_string_append (out, "]}");
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
  JsonObject *root = NULL;
  g_autoptr(JsonParser) parser = parse_object ("snapshot", data, length, &root, error);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  JsonNode *protocol;
  const char *origin, *epoch;
  guint64 generation;

  if (parser == NULL || !check_members (root, "snapshot", names, error))
    return NULL;
  protocol = json_object_get_member (root, "protocol");
  if (json_node_get_value_type (protocol) != G_TYPE_INT64 ||
      json_node_get_int (protocol) != VCR_PROTOCOL_VERSION)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "snapshot.protocol: not %d (unsupported protocol version)",
                   VCR_PROTOCOL_VERSION);
      return NULL;
    }
  if ((origin = get_string (root, "snapshot", "origin", error)) == NULL ||
      !check_origin (origin, error) ||
      (epoch = get_string (root, "snapshot", "epoch", error)) == NULL ||
      !check_hex_field ("snapshot", "epoch", epoch, VCR_EPOCH_HEX_LEN, error) ||
      !get_generation (root, "snapshot", &generation, error) ||
      (items = parse_entries (root, "snapshot", TRUE, error)) == NULL)
    return NULL;

  snapshot = vcr_snapshot_new (origin, epoch, generation);
  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *o = g_ptr_array_index (items, i);
      vcr_snapshot_add (snapshot, json_object_get_string_member (o, "path"),
                        json_object_get_string_member (o, "config"),
                        json_object_get_string_member (o, "digest"));
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
                                                  strlen (entry->config));

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
  JsonObject *root = NULL;
  g_autoptr(JsonParser) parser = parse_object ("digests", data, length, &root, error);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(VcrDigests) digests = NULL;
  const char *mode, *epoch;
  guint64 generation;

  if (parser == NULL || !check_members (root, "digests", names, error) ||
      (mode = get_string (root, "digests", "mode", error)) == NULL)
    return NULL;
  if (strcmp (mode, "primary") != 0 && strcmp (mode, "replica") != 0)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "digests.mode: \"%s\" is neither primary nor replica", mode);
      return NULL;
    }
  if ((epoch = get_string (root, "digests", "epoch", error)) == NULL ||
      (*epoch != '\0' &&
       !check_hex_field ("digests", "epoch", epoch, VCR_EPOCH_HEX_LEN, error)) ||
      !get_generation (root, "digests", &generation, error) ||
      (items = parse_entries (root, "digests", FALSE, error)) == NULL)
    return NULL;

  digests = vcr_digests_new (mode, epoch, generation);
  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *o = g_ptr_array_index (items, i);
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
  JsonObject *root = NULL;
  g_autoptr(JsonParser) parser = parse_object ("result", data, length, &root, error);
  const char *result;

  if (parser == NULL || !check_members (root, "result", names, error) ||
      (result = get_string (root, "result", "result", error)) == NULL ||
      !get_generation (root, "result", generation, error))
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
  JsonObject *root = NULL;
  g_autoptr(JsonParser) parser = parse_object ("error body", data, length, &root, error);
  const char *c, *m;

  if (parser == NULL || !check_members (root, "error body", names, error) ||
      (c = get_string (root, "error body", "error", error)) == NULL ||
      (m = get_string (root, "error body", "message", error)) == NULL)
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
