/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer documents' JSON reader: one recursive-descent pass (bounded by
 * VCR_JSON_MAX_DEPTH) that checks the RFC 8259 grammar and builds the tree
 * as it goes. Every refusal names the byte offset where reading stopped;
 * those messages are part of what peers and tests see, so the offsets and
 * texts are kept exactly as the earlier grammar checker produced them.
 * A snapshot is megabytes of config text in one string, so strings are read
 * in runs of bytes that need no decoding (found eight bytes at a time) and
 * copied with memcpy: a first pass finds the end and the decoded length, a
 * second decodes into a buffer of exactly that size (a string without
 * escapes is one memcpy). UTF-8 is checked only where it can occur, in the
 * multi-byte runs of strings; the whole body is validated only to word a
 * refusal, because bad UTF-8 anywhere must win over a grammar problem.
 * Read in place (vcr_json_read_in_place()), the second pass writes each
 * string over its own escaped text instead: the same code, with the source
 * as the destination, which works because decoding only ever shrinks.
 */
#define G_LOG_DOMAIN "vcr-json"

#include "vcr-json-reader.h"

#include <string.h>

#include "vcr-error.h"

typedef struct {
  const char *p;
  const char *end;
  /* the document when read in place (strings are decoded over their
   * escaped text), else NULL (strings get buffers of their own) */
  char *in_place;
  const char *data;
  /* the end of the last string read: every byte before it is valid UTF-8
   * that the reader took, and in place, the bytes after it are not written */
  const char *checked;
  guint depth;
  const char *problem;
  /* reported only once the whole document is read, so that a grammar
   * error later in the text still wins, as it always has */
  gboolean duplicate;
} Reader;

static gboolean read_value (Reader *rd, VcrJsonValue *out);

void
vcr_json_clear (VcrJsonValue *value)
{
  switch (value->kind)
    {
    case VCR_JSON_STRING:
      if (!value->borrowed)
        g_free (value->string);
      break;
    case VCR_JSON_ARRAY:
      for (guint i = 0; i < value->n; i++)
        vcr_json_clear (&value->items[i]);
      g_free (value->items);
      break;
    case VCR_JSON_OBJECT:
      for (guint i = 0; i < value->n; i++)
        {
          if (!value->borrowed)
            g_free (value->members[i].name);
          vcr_json_clear (&value->members[i].value);
        }
      g_free (value->members);
      break;
    default:
      break;
    }
  memset (value, 0, sizeof *value);
}

/* The clear functions of a half-read object's members: the names are
 * the reader's own, or (read in place) point into the document. */
static void
member_clear_borrowed (gpointer data)
{
  VcrJsonMember *member = data;

  vcr_json_clear (&member->value);
}

static void
member_clear (gpointer data)
{
  VcrJsonMember *member = data;

  g_free (member->name);
  member_clear_borrowed (member);
}

VcrJsonValue *
vcr_json_get_member (const VcrJsonValue *object, const char *name)
{
  g_return_val_if_fail (object->kind == VCR_JSON_OBJECT, NULL);
  for (guint i = 0; i < object->n; i++)
    if (strcmp (object->members[i].name, name) == 0)
      return &object->members[i].value;
  return NULL;
}

char *
vcr_json_steal_string (VcrJsonValue *value)
{
  g_return_val_if_fail (value->kind == VCR_JSON_STRING, NULL);
  g_return_val_if_fail (!value->borrowed, NULL);
  value->kind = VCR_JSON_NULL;
  return g_steal_pointer (&value->string);
}

/* ---- lexing ------------------------------------------------------------ */

static void
skip_ws (Reader *rd)
{
  while (rd->p < rd->end &&
         (*rd->p == ' ' || *rd->p == '\t' || *rd->p == '\n' || *rd->p == '\r'))
    rd->p++;
}

static gboolean
fail (Reader *rd, const char *problem)
{
  rd->problem = problem;
  return FALSE;
}

/* Eight bytes at a time. A byte of (x - 0x01…) & ~x & 0x80… is set for
 * the lowest zero byte of x (bytes above it may be set too, never below),
 * so the lowest flag of such tests marks the first byte that matches. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define WORD_SCAN 1
#define ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS (ONES * 0x80)

/* Flags the quotes and backslashes of @w. */
static inline guint64
quote_or_backslash (guint64 w)
{
  guint64 quote = w ^ (ONES * '"');
  guint64 backslash = w ^ (ONES * '\\');

  return (((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash)) & HIGHS;
}

static inline gsize
first_flagged (guint64 flags)
{
  return (gsize) __builtin_ctzll (flags) >> 3;
}
#endif

/* The first byte at or after @p that is not plain ASCII text (a quote, a
 * backslash, a control character or a byte of a multi-byte character), or
 * @end. */
static inline const char *
skip_ascii (const char *p, const char *end)
{
#ifdef WORD_SCAN
  while (end - p >= 8)
    {
      guint64 w, special;

      memcpy (&w, p, sizeof w);
      special = quote_or_backslash (w) | (((w - ONES * 0x20) | w) & HIGHS);
      if (special != 0)
        return p + first_flagged (special);
      p += 8;
    }
#endif
  while (p < end && (guchar) *p >= 0x20 && (guchar) *p < 0x80 && *p != '"' && *p != '\\')
    p++;
  return p;
}

/* Copies the bytes at *@in up to the next quote or backslash to *@out,
 * advancing both. The string was checked by scan_string(): it holds no
 * control characters, and its bytes up to the closing quote are at least
 * as many as the output still to write (escapes only shrink), so whole
 * words can be read while @out_end leaves room for eight. A word is stored
 * whole only when all of it is text: in place (*@out at or before *@in),
 * its bytes after a quote or backslash are source still to be read. */
static inline void
copy_unescaped (const char **in, char **out, const char *out_end)
{
  const char *p = *in;
  char *o = *out;

  for (;;)
    {
#ifdef WORD_SCAN
      guint64 w, special;

      if (out_end - o >= 8)
        {
          gsize text;

          memcpy (&w, p, sizeof w);
          special = quote_or_backslash (w);
          text = special == 0 ? sizeof w : first_flagged (special);
          memcpy (o, &w, text);
          p += text;
          o += text;
          if (special == 0)
            continue;
          break;
        }
#endif
      while (*p != '"' && *p != '\\')
        *o++ = *p++;
      break;
    }
  *in = p;
  *out = o;
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
take_u_escape (Reader *rd, guint *out)
{
  guint v = 0;

  if (rd->end - rd->p < 4)
    return fail (rd, "truncated \\u escape");
  for (int i = 0; i < 4; i++)
    {
      int d = hex_digit (rd->p[i]);
      if (d < 0)
        return fail (rd, "bad \\u escape");
      v = v * 16 + (guint) d;
    }
  rd->p += 4;
  *out = v;
  return TRUE;
}

static gsize
utf8_length (gunichar c)
{
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/* ---- strings ----------------------------------------------------------- */

/* Checks the \u escape whose 'u' was just read, and any low surrogate that
 * must follow; adds its UTF-8 length to @length. */
static gboolean
scan_u_escape (Reader *rd, gsize *length)
{
  guint u, low;

  if (!take_u_escape (rd, &u))
    return FALSE;
  if (u == 0)
    return fail (rd, "\\u0000 in string");
  if (u >= 0xdc00 && u <= 0xdfff)
    return fail (rd, "lone low surrogate in string");
  if (u >= 0xd800 && u <= 0xdbff)
    {
      if (rd->end - rd->p < 2 || rd->p[0] != '\\' || rd->p[1] != 'u')
        return fail (rd, "lone high surrogate in string");
      rd->p += 2;
      if (!take_u_escape (rd, &low) || low < 0xdc00 || low > 0xdfff)
        return fail (rd, "bad surrogate pair in string");
      *length += 4;
      return TRUE;
    }
  *length += utf8_length (u);
  return TRUE;
}

/* A run of multi-byte characters in a string. A run of bytes >= 0x80 in
 * valid UTF-8 is whole characters, so checking each run checks the text.
 * The problem is never shown: vcr_json_read() words it from the body. */
static gboolean
scan_utf8 (Reader *rd, gsize *length)
{
  const char *start = rd->p;

  while (rd->p < rd->end && (guchar) *rd->p >= 0x80)
    rd->p++;
  if (!g_utf8_validate_len (start, (gsize) (rd->p - start), NULL))
    return fail (rd, "not UTF-8");
  *length += (gsize) (rd->p - start);
  return TRUE;
}

/* First pass over the string at rd->p (its opening quote): checks it,
 * finds its end and its decoded length. */
static gboolean
scan_string (Reader *rd, gsize *decoded, gboolean *escaped)
{
  gsize length = 0;

  *escaped = FALSE;
  rd->p++;  /* opening quote */
  for (;;)
    {
      const char *run = rd->p;
      guchar c;

      rd->p = skip_ascii (rd->p, rd->end);
      length += (gsize) (rd->p - run);
      if (rd->p >= rd->end)
        break;
      c = (guchar) *rd->p;
      if (c >= 0x80)
        {
          if (!scan_utf8 (rd, &length))
            return FALSE;
          continue;
        }
      rd->p++;
      if (c == '"')
        {
          *decoded = length;
          return TRUE;
        }
      if (c < 0x20)
        return fail (rd, "control character in string");
      /* a backslash */
      *escaped = TRUE;
      if (rd->p >= rd->end)
        break;
      switch (*rd->p++)
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          length++;
          break;
        case 'u':
          if (!scan_u_escape (rd, &length))
            return FALSE;
          break;
        default:
          return fail (rd, "bad escape in string");
        }
    }
  return fail (rd, "unterminated string");
}

static guint
hex4 (const char *p)
{
  return (guint) (hex_digit (p[0]) << 12 | hex_digit (p[1]) << 8 |
                  hex_digit (p[2]) << 4 | hex_digit (p[3]));
}

/* Second pass: the string from @p (after its opening quote), checked by
 * scan_string(), into @out, which has room for exactly its decoded bytes.
 * @out may be @p itself: each escape is read whole before its character
 * is written, and the output never gets ahead of the input. */
static void
decode_escaped (const char *p, char *out, const char *out_end)
{
  for (;;)
    {
      gunichar u;

      copy_unescaped (&p, &out, out_end);
      if (*p == '"')
        break;
      switch (p[1])
        {
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'u':
          u = hex4 (p + 2);
          if (u >= 0xd800 && u <= 0xdbff)
            {
              u = 0x10000 + ((u - 0xd800) << 10) + (hex4 (p + 8) - 0xdc00);
              p += 6;
            }
          out += g_unichar_to_utf8 (u, out);
          p += 4;
          break;
        default:  /* " \ / */
          *out++ = p[1];
          break;
        }
      p += 2;
    }
  g_assert (out == out_end);
}

/* The string at rd->p, decoded into a buffer of its exact size, or in
 * place: over its own text, NUL-terminated at the latest where its closing
 * quote was (the decoded bytes are never more than the escaped ones). */
static gboolean
read_string (Reader *rd, char **out)
{
  const char *start = rd->p + 1;
  gsize length = 0;
  gboolean escaped;
  char *text;

  if (!scan_string (rd, &length, &escaped))
    return FALSE;
  if (rd->in_place != NULL)
    text = rd->in_place + (start - rd->data);
  else
    text = g_malloc (length + 1);
  if (escaped)
    decode_escaped (start, text, text + length);
  else if (text != start)
    memcpy (text, start, length);
  text[length] = '\0';
  rd->checked = rd->p;
  *out = text;
  return TRUE;
}

/* ---- numbers and literals ---------------------------------------------- */

static gboolean
take_digits (Reader *rd)
{
  const char *start = rd->p;

  while (rd->p < rd->end && g_ascii_isdigit (*rd->p))
    rd->p++;
  return rd->p > start;
}

/* The integer part of a number; FALSE when it does not fit @limit. */
static gboolean
take_integer_part (Reader *rd, guint64 limit, guint64 *magnitude)
{
  gboolean fits = TRUE;

  *magnitude = 0;
  while (rd->p < rd->end && g_ascii_isdigit (*rd->p))
    {
      guint d = (guint) (*rd->p++ - '0');

      if (*magnitude > (limit - d) / 10)
        fits = FALSE;
      else
        *magnitude = *magnitude * 10 + d;
    }
  return fits;
}

/* RFC 8259 number. An integer (no fraction or exponent) must fit gint64:
 * the documents' integers are generations and versions, never rounded. */
static gboolean
read_number (Reader *rd, VcrJsonValue *out)
{
  gboolean negative = *rd->p == '-';
  guint64 limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  guint64 magnitude = 0;
  gboolean integer = TRUE;
  gboolean fits = TRUE;

  if (negative)
    rd->p++;
  if (rd->p < rd->end && *rd->p == '0')
    rd->p++;
  else if (rd->p < rd->end && g_ascii_isdigit (*rd->p))
    fits = take_integer_part (rd, limit, &magnitude);
  else
    return fail (rd, "bad number");
  if (rd->p < rd->end && *rd->p == '.')
    {
      rd->p++;
      integer = FALSE;
      if (!take_digits (rd))
        return fail (rd, "bad number");
    }
  if (rd->p < rd->end && (*rd->p == 'e' || *rd->p == 'E'))
    {
      rd->p++;
      integer = FALSE;
      if (rd->p < rd->end && (*rd->p == '+' || *rd->p == '-'))
        rd->p++;
      if (!take_digits (rd))
        return fail (rd, "bad number");
    }
  if (!integer)
    {
      out->kind = VCR_JSON_NUMBER;
      return TRUE;
    }
  if (!fits)
    return fail (rd, "integer out of range");
  out->kind = VCR_JSON_INTEGER;
  if (!negative)
    out->integer = (gint64) magnitude;
  else if (magnitude == (guint64) G_MAXINT64 + 1)
    out->integer = G_MININT64;
  else
    out->integer = -(gint64) magnitude;
  return TRUE;
}

static gboolean
read_literal (Reader *rd, const char *word, VcrJsonKind kind, VcrJsonValue *out)
{
  gsize len = strlen (word);

  if ((gsize) (rd->end - rd->p) < len || memcmp (rd->p, word, len) != 0)
    return fail (rd, "unexpected character");
  rd->p += len;
  out->kind = kind;
  return TRUE;
}

/* ---- containers -------------------------------------------------------- */

static gboolean
has_duplicate (const VcrJsonMember *members, guint n)
{
  g_autoptr(GHashTable) seen = NULL;

  /* the documents' objects have 2 to 5 members */
  if (n <= 8)
    {
      for (guint i = 1; i < n; i++)
        for (guint j = 0; j < i; j++)
          if (strcmp (members[i].name, members[j].name) == 0)
            return TRUE;
      return FALSE;
    }
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++)
    if (!g_hash_table_add (seen, members[i].name))
      return TRUE;
  return FALSE;
}

/* One member of an object (@name set) or item of an array (@name NULL). */
static gboolean
read_item (Reader *rd, char **name, VcrJsonValue *value)
{
  skip_ws (rd);
  if (name != NULL)
    {
      if (rd->p >= rd->end || *rd->p != '"')
        return fail (rd, "expected a member name");
      if (!read_string (rd, name))
        return FALSE;
      skip_ws (rd);
      if (rd->p >= rd->end || *rd->p != ':')
        return fail (rd, "expected ':'");
      rd->p++;
    }
  return read_value (rd, value);
}

/* An object or array at its opening bracket. The items go into a GArray
 * whose clear function frees them if reading stops half way. */
static gboolean
read_container (Reader *rd, gboolean object, VcrJsonValue *out)
{
  char close = object ? '}' : ']';
  g_autoptr(GArray) items = NULL;

  if (++rd->depth > VCR_JSON_MAX_DEPTH)
    return fail (rd, "nested too deeply");
  rd->p++;
  skip_ws (rd);
  out->kind = object ? VCR_JSON_OBJECT : VCR_JSON_ARRAY;
  out->borrowed = object && rd->in_place != NULL;
  if (rd->p < rd->end && *rd->p == close)
    {
      rd->p++;
      rd->depth--;
      return TRUE;
    }
  items = g_array_new (FALSE, TRUE, object ? sizeof (VcrJsonMember) : sizeof (VcrJsonValue));
  if (!object)
    g_array_set_clear_func (items, (GDestroyNotify) vcr_json_clear);
  else
    g_array_set_clear_func (items, out->borrowed ? member_clear_borrowed : member_clear);
  for (;;)
    {
      gboolean ok;

      /* read in place: the new slot is zeroed, so a failure frees it right */
      g_array_set_size (items, items->len + 1);
      if (object)
        {
          VcrJsonMember *member = &g_array_index (items, VcrJsonMember, items->len - 1);

          ok = read_item (rd, &member->name, &member->value);
        }
      else
        ok = read_item (rd, NULL, &g_array_index (items, VcrJsonValue, items->len - 1));
      if (!ok)
        return FALSE;
      skip_ws (rd);
      if (rd->p < rd->end && *rd->p == ',')
        {
          rd->p++;
          continue;
        }
      if (rd->p < rd->end && *rd->p == close)
        break;
      return fail (rd, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  rd->p++;
  rd->depth--;
  out->n = items->len;
  out->items = g_array_steal (items, NULL);
  if (object && !rd->duplicate)
    rd->duplicate = has_duplicate (out->members, out->n);
  return TRUE;
}

static gboolean
read_value (Reader *rd, VcrJsonValue *out)
{
  skip_ws (rd);
  if (rd->p >= rd->end)
    return fail (rd, "unexpected end of document");
  switch (*rd->p)
    {
    case '{':
      return read_container (rd, TRUE, out);
    case '[':
      return read_container (rd, FALSE, out);
    case '"':
      if (!read_string (rd, &out->string))
        return FALSE;
      out->kind = VCR_JSON_STRING;
      out->borrowed = rd->in_place != NULL;
      return TRUE;
    case 't':
      return read_literal (rd, "true", VCR_JSON_TRUE, out);
    case 'f':
      return read_literal (rd, "false", VCR_JSON_FALSE, out);
    case 'n':
      return read_literal (rd, "null", VCR_JSON_NULL, out);
    default:
      if (*rd->p == '-' || g_ascii_isdigit (*rd->p))
        return read_number (rd, out);
      return fail (rd, "unexpected character");
    }
}

/* Both reads: @in_place is @data or NULL. */
static gboolean
read_document (const char *what, const char *data, gsize length, char *in_place,
               VcrJsonValue *root, GError **error)
{
  Reader rd;
  g_auto(VcrJsonValue) value = { 0 };

  g_return_val_if_fail (root != NULL && root->kind == VCR_JSON_NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  /* an empty body may come as NULL: no arithmetic on a null pointer */
  if (length == 0)
    data = "", in_place = NULL;
  rd = (Reader) { data, data + length, in_place, data, data, 0, NULL, FALSE };
  skip_ws (&rd);
  if (rd.p >= rd.end || *rd.p != '{')
    rd.problem = "the document is not a JSON object";
  else if (read_value (&rd, &value))
    {
      skip_ws (&rd);
      if (rd.p == rd.end && rd.duplicate)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                       "%s: duplicate member name", what);
          return FALSE;
        }
      if (rd.p == rd.end)
        {
          *root = value;
          memset (&value, 0, sizeof value);
          return TRUE;
        }
      rd.problem = "text after the document";
    }
  /* A document read to its end has had every byte checked: outside
   * strings the grammar allows only ASCII, and strings check their
   * multi-byte characters. A refusal must name bad UTF-8 before any
   * grammar problem, wherever each is, so the whole text is checked now:
   * what is before rd.checked was read and found valid (and, in place,
   * may have been written over: a decoded string ends in a NUL). */
  if (!g_utf8_validate_len (rd.checked, (gsize) (rd.end - rd.checked), NULL))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
                   "%s: not UTF-8 text (or holds a NUL byte)", what);
      return FALSE;
    }
  g_set_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED,
               "%s: malformed JSON at byte %" G_GSIZE_FORMAT ": %s",
               what, (gsize) (rd.p - data), rd.problem);
  return FALSE;
}

gboolean
vcr_json_read (const char *what, const char *data, gsize length,
               VcrJsonValue *root, GError **error)
{
  return read_document (what, data, length, NULL, root, error);
}

gboolean
vcr_json_read_in_place (const char *what, char *data, gsize length,
                        VcrJsonValue *root, GError **error)
{
  return read_document (what, data, length, data, root, error);
}
