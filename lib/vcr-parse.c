/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config.boot parser: a lexer and an iterative (explicit stack) parser
 * that accept exactly what vyos1x-config's ocamllex/menhir parser accepts,
 * fail at the same token with the same line and column, merge repeated
 * nodes one level deep as it does, and sort children in its lexical-numeric
 * order. Around it, the pipeline vyos-1x runs in Python (footer split,
 * escape_backslash) for VCR_PARSE_DEFAULT, and the literal-string variant
 * for `cli-shell-api showConfig` output.
 *
 * Positions are counted as VyOS counts them, so messages point where
 * VyOS's would: the lexer only starts a new line on a newline between
 * tokens, or on a newline that stands alone right before a quote or a
 * backslash inside a quoted string; newlines inside comments and other
 * newlines inside quoted strings are not counted. A string or comment token
 * is located at its closing quote or its closing star-slash.
 *
 * Errors read "ORIGIN:LINE:COLUMN: message" (VCR_ERROR_INVALID_CONFIG).
 * Syntax errors are placed where VyOS places them (the token the parser
 * stopped at). VyOS's "FAILURE" errors carry no position; here an unknown
 * escape ("lexing: empty token") points at its backslash, an unterminated
 * comment at its start, and two children with one name at the closing
 * brace (or the end of the input, for top-level nodes) where VyOS detects
 * it. Other limits: NUL bytes are refused (with their true position),
 * nesting deeper than VCR_TREE_MAX_DEPTH levels is refused at its brace;
 * bytes >= 128 are taken as they are (no UTF-8 check, as in VyOS).
 */
#define G_LOG_DOMAIN "vcr-parse"
#define _GNU_SOURCE   /* memmem() */

#include <string.h>

#include "vcr-error.h"
#include "vcr-tree-private.h"


typedef enum {
  TOK_IDENT,
  TOK_STRING,
  TOK_COMMENT,
  TOK_LBRACE,
  TOK_RBRACE,
  TOK_NEWLINE,
  TOK_EOF,
} TokType;

typedef struct {
  const char *text;
  gsize length;
  gsize pos;
  guint line;               /* VyOS's pos_lnum */
  gsize bol;                /* VyOS's pos_bol */
  gboolean inside_node;
  gboolean literal_strings; /* showConfig: no escapes inside quotes */

  /* The current token. */
  TokType type;
  const char *tok;          /* IDENT, STRING, COMMENT text (not terminated) */
  gsize tok_len;
  guint tok_line;           /* lexeme start, as VyOS reports errors */
  gsize tok_cnum;
  gsize tok_bol;
  GString *scratch;         /* unescaped string contents */
} Lexer;

typedef struct {
  VcrNode *node;            /* the node whose children are being read */
  const char *outer;        /* for a tag node: `name` of `name tag {` */
  guint start;              /* first pending child */
  guint depth;              /* of node in the tree (a tag node counts 2) */
  /* The last child read, when the next ones may join it: a tag node
   * whose tag values are being read (`rule 10 {…}` `rule 20 {…}`: its
   * children), or a leaf that is being repeated (`address a` `address b`:
   * its values). Its items wait in Parser.run_items from run_start on and
   * get an array of exactly their number when the run ends. */
  VcrNode *run_node;
  guint run_start;
} Frame;

typedef struct {
  VcrTree *tree;
  const char *origin;
  const GArray *inserted;   /* backslashes added by the pre-pass */
  Lexer lex;
  VcrNode **pending;        /* children read so far, for all open frames */
  guint n_pending;
  guint pending_cap;
  gpointer *run_items;      /* the runs of all open frames */
  guint n_run_items;
  guint run_items_cap;
  GArray *frames;
  /* Short names and values are stored once: a big config repeats a few
   * thousand words tens of thousands of times. Open addressing. */
  const char **interned;
  guint interned_size;      /* a power of two */
  guint interned_count;
} Parser;

#define INTERN_MAX_LENGTH 32
#define INTERN_MAX_SIZE (16 * 1024)

/* ---- positions and errors --------------------------------------------- */

/* An offset in the lexed text as an offset in the caller's text: the
 * backslash pre-pass added characters. */
static gsize
original_offset (const Parser *p, gsize offset)
{
  guint lo = 0, hi;

  if (p->inserted == NULL || p->inserted->len == 0)
    return offset;
  hi = p->inserted->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (p->inserted, gsize, mid) < offset)
        lo = mid + 1;
      else
        hi = mid;
    }
  return offset - lo;
}

static guint
column_of (const Parser *p, gsize cnum, gsize bol)
{
  gsize col = original_offset (p, cnum) - original_offset (p, bol) + 1;

  return (guint) MIN (col, G_MAXUINT);
}

static gboolean G_GNUC_PRINTF (5, 6)
parse_error (Parser *p, guint line, guint column, GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG, "%s:%u:%u: %s",
               p->origin, line, column, message);
  return FALSE;
}

static gboolean
lex_error_here (Parser *p, gsize cnum, GError **error, const char *message)
{
  return parse_error (p, p->lex.line, column_of (p, cnum, p->lex.bol), error, "%s", message);
}

static const char *
token_description (TokType type)
{
  switch (type)
    {
    case TOK_IDENT: return "a word";
    case TOK_STRING: return "a quoted string";
    case TOK_COMMENT: return "a comment";
    case TOK_LBRACE: return "\"{\"";
    case TOK_RBRACE: return "\"}\"";
    case TOK_NEWLINE: return "the end of the line";
    case TOK_EOF: return "the end of the input";
    default: return "a token";
    }
}

/* VyOS: "SYNTAX ERROR: line L col C: Invalid syntax." at the token where
 * the parser stopped. */
static gboolean
syntax_error (Parser *p, GError **error)
{
  Lexer *l = &p->lex;

  return parse_error (p, l->tok_line, column_of (p, l->tok_cnum, l->tok_bol), error,
                      "Invalid syntax (unexpected %s).", token_description (l->type));
}

/* ---- lexer ------------------------------------------------------------ */

static inline void
lex_mark (Lexer *l, gsize at)
{
  l->tok_line = l->line;
  l->tok_cnum = at;
  l->tok_bol = l->bol;
}

static inline void
lex_new_line (Lexer *l, gsize after)
{
  l->line++;
  l->bol = after;
}

static inline gboolean
is_ident_char (char c)
{
  return c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
         c != '{' && c != '}' && c != '"' && c != '\'';
}

static gboolean
lex_escape (char c, char *out)
{
  switch (c)
    {
    case '/': *out = '/'; return TRUE;
    case '\\': *out = '\\'; return TRUE;
    case 'b': *out = '\b'; return TRUE;
    case 'f': *out = '\f'; return TRUE;
    case 'n': *out = '\n'; return TRUE;
    case 'r': *out = '\r'; return TRUE;
    case 't': *out = '\t'; return TRUE;
    case '\'': *out = '\''; return TRUE;
    case '"': *out = '"'; return TRUE;
    default: return FALSE;
    }
}

/* A quoted string; l->pos is just after the opening quote. The token
 * points into the text unless an escape made a copy necessary. */
static gboolean
lex_string (Parser *p, char quote, GError **error)
{
  Lexer *l = &p->lex;
  gsize start = l->pos;
  gboolean escaped = FALSE;

  for (;;)
    {
      gsize run = l->pos;
      char c;

      /* A run of plain characters is one lexeme in VyOS's lexer; only a
       * lone newline right before a quote or a backslash counts a line. */
      while (run < l->length && l->text[run] != quote &&
             (l->literal_strings || l->text[run] != '\\'))
        run++;
      if (l->literal_strings)
        {
          for (gsize i = l->pos; i < run; i++)
            if (l->text[i] == '\n')
              lex_new_line (l, i + 1);
        }
      else if (run == l->pos + 1 && l->text[l->pos] == '\n')
        lex_new_line (l, run);
      if (escaped)
        g_string_append_len (l->scratch, l->text + l->pos, run - l->pos);
      if (run >= l->length)
        {
          lex_mark (l, l->length);
          return lex_error_here (p, l->length, error,
                                 quote == '"' ? "Quoted string is missing the closing double quote"
                                              : "Quoted string is missing the closing single quote");
        }
      if (l->text[run] == quote)
        {
          lex_mark (l, run);
          l->tok = escaped ? l->scratch->str : l->text + start;
          l->tok_len = escaped ? l->scratch->len : run - start;
          l->pos = run + 1;
          return TRUE;
        }
      /* A backslash: from now on the contents are built in the scratch
       * buffer. */
      if (!escaped)
        {
          g_string_truncate (l->scratch, 0);
          g_string_append_len (l->scratch, l->text + start, run - start);
          escaped = TRUE;
        }
      if (run + 1 >= l->length || !lex_escape (l->text[run + 1], &c))
        {
          g_autofree char *message = NULL;

          if (run + 1 < l->length && g_ascii_isgraph (l->text[run + 1]))
            message = g_strdup_printf ("unknown escape sequence \"\\%c\" in a quoted string "
                                       "(lexing: empty token)", l->text[run + 1]);
          else
            message = g_strdup ("unknown escape sequence in a quoted string (lexing: empty token)");
          return lex_error_here (p, run, error, message);
        }
      g_string_append_c (l->scratch, c);
      l->pos = run + 2;
    }
}

static gboolean
lex_comment (Parser *p, GError **error)
{
  Lexer *l = &p->lex;
  gsize start = l->pos;   /* after the opening slash-star */

  for (gsize i = start; i + 1 < l->length; i++)
    if (l->text[i] == '*' && l->text[i + 1] == '/')
      {
        lex_mark (l, i);
        l->tok = l->text + start;
        l->tok_len = i - start;
        l->pos = i + 2;
        return TRUE;
      }
  return lex_error_here (p, start - 2, error,
                         "comment is missing its closing \"*/\" (lexing: empty token)");
}

/* The next token, with VyOS's "newline only counts after a word or a
 * string" rule. */
static gboolean
lex_next (Parser *p, GError **error)
{
  Lexer *l = &p->lex;

  for (;;)
    {
      char c;

      if (l->pos >= l->length)
        {
          lex_mark (l, l->length);
          l->type = TOK_EOF;
          return TRUE;
        }
      c = l->text[l->pos];
      switch (c)
        {
        case ' ':
        case '\t':
        case '\r':
          l->pos++;
          continue;
        case '\n':
          lex_mark (l, l->pos);
          l->pos++;
          lex_new_line (l, l->pos);
          if (!l->inside_node)
            continue;
          l->inside_node = FALSE;
          l->type = TOK_NEWLINE;
          return TRUE;
        case '"':
        case '\'':
          l->pos++;
          l->inside_node = TRUE;
          l->type = TOK_STRING;
          return lex_string (p, c, error);
        case '{':
        case '}':
          lex_mark (l, l->pos);
          l->pos++;
          l->inside_node = FALSE;
          l->type = c == '{' ? TOK_LBRACE : TOK_RBRACE;
          return TRUE;
        default:
          break;
        }
      if (c == '/' && l->pos + 1 < l->length && l->text[l->pos + 1] == '/')
        {
          const char *eol = memchr (l->text + l->pos, '\n', l->length - l->pos);

          l->pos = eol != NULL ? (gsize) (eol - l->text) : l->length;
          continue;
        }
      /* Slash-star opens a comment only when the word would not be longer. */
      if (c == '/' && l->pos + 1 < l->length && l->text[l->pos + 1] == '*' &&
          (l->pos + 2 >= l->length || !is_ident_char (l->text[l->pos + 2])))
        {
          l->pos += 2;
          l->inside_node = FALSE;
          l->type = TOK_COMMENT;
          return lex_comment (p, error);
        }
      lex_mark (l, l->pos);
      l->tok = l->text + l->pos;
      while (l->pos < l->length && is_ident_char (l->text[l->pos]))
        l->pos++;
      l->tok_len = l->text + l->pos - l->tok;
      l->inside_node = TRUE;
      l->type = TOK_IDENT;
      return TRUE;
    }
}

/* ---- building nodes --------------------------------------------------- */

enum { MERGE_NONE, MERGE_TARGET, MERGE_GONE };

static void
pending_push (Parser *p, VcrNode *node)
{
  if (p->n_pending == p->pending_cap)
    {
      p->pending_cap = MAX (64, p->pending_cap * 2);
      p->pending = g_renew (VcrNode *, p->pending, p->pending_cap);
    }
  p->pending[p->n_pending++] = node;
}

static void
run_push (Parser *p, gconstpointer item)
{
  if (p->n_run_items == p->run_items_cap)
    {
      p->run_items_cap = MAX (64, p->run_items_cap * 2);
      p->run_items = g_renew (gpointer, p->run_items, p->run_items_cap);
    }
  p->run_items[p->n_run_items++] = (gpointer) item;
}

/* Ends @frame's run, if any: before anything else joins the frame's
 * children, and before they are sorted. */
static void
finish_run (Parser *p, Frame *frame)
{
  VcrNode *node = frame->run_node;
  gpointer *items;
  guint n;

  if (node == NULL)
    return;
  n = p->n_run_items - frame->run_start;
  frame->run_node = NULL;
  p->n_run_items = frame->run_start;
  if (n == 0)
    return;
  /* Only now: before any run, run_items is still NULL. */
  items = p->run_items + frame->run_start;
  if (node->tag)
    {
      node->children = vcr_arena_alloc (&p->tree->arena, n * sizeof (VcrNode *));
      memcpy (node->children, items, n * sizeof (VcrNode *));
      node->n_children = n;
      node->children_exact = TRUE;
      /* Sorted and checked for duplicates when the frame closes. */
      if (n > 1)
        node->merged = MERGE_TARGET;
      return;
    }
  node->values = vcr_arena_alloc (&p->tree->arena, n * sizeof (char *));
  memcpy (node->values, items, n * sizeof (char *));
  node->n_values = n;
  node->values_exact = TRUE;
}

static void
start_run (Parser *p, Frame *frame, VcrNode *node)
{
  frame->run_node = node;
  frame->run_start = p->n_run_items;
}

/* @str is not NUL-terminated (a token). */
static gboolean
node_has_name (const VcrNode *node, const char *str, gsize len)
{
  return strncmp (node->name, str, len) == 0 && node->name[len] == '\0';
}

static guint32
hash_bytes (const char *str, gsize len)
{
  guint32 h = 2166136261u;   /* FNV-1a */

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) str[i]) * 16777619u;
  return h;
}

static void
intern_grow (Parser *p)
{
  guint size = p->interned_size == 0 ? 1024 : p->interned_size * 2;
  const char **table = g_new0 (const char *, size);

  for (guint i = 0; i < p->interned_size; i++)
    {
      const char *str = p->interned[i];
      guint slot;

      if (str == NULL)
        continue;
      slot = hash_bytes (str, strlen (str)) & (size - 1);
      while (table[slot] != NULL)
        slot = (slot + 1) & (size - 1);
      table[slot] = str;
    }
  g_free (p->interned);
  p->interned = table;
  p->interned_size = size;
}

/* @str as a string in the tree's arena, shared with equal short strings. */
static const char *
intern (Parser *p, const char *str, gsize len)
{
  const char *copy;
  guint slot;

  if (len > INTERN_MAX_LENGTH)
    return vcr_arena_strndup (&p->tree->arena, str, len);
  if (p->interned_count >= p->interned_size / 2 && p->interned_size < INTERN_MAX_SIZE)
    intern_grow (p);
  slot = hash_bytes (str, len) & (p->interned_size - 1);
  for (const char *other; (other = p->interned[slot]) != NULL;
       slot = (slot + 1) & (p->interned_size - 1))
    if ((len == 0 || other[0] == str[0]) && memcmp (other, str, len) == 0 && other[len] == '\0')
      return other;
  copy = vcr_arena_strndup (&p->tree->arena, str, len);
  /* A full table keeps working for lookups; new words are not shared. */
  if (p->interned_count < p->interned_size / 2)
    {
      p->interned[slot] = copy;
      p->interned_count++;
    }
  return copy;
}

static const char *
token_string (Parser *p)
{
  return intern (p, p->lex.tok, p->lex.tok_len);
}

/* The comment of @node: OCaml's String.trim (' ', '\012', '\n', '\r', '\t'
 * at both ends) of the raw text. */
static void
set_comment (Parser *p, VcrNode *node, const char *text, gsize len)
{
  while (len > 0 && strchr (" \f\n\r\t", text[0]) != NULL)
    {
      text++;
      len--;
    }
  while (len > 0 && strchr (" \f\n\r\t", text[len - 1]) != NULL)
    len--;
  vcr_node_set_comment_len (&p->tree->arena, node, text, len);
}

static VcrNode *
new_node (Parser *p, const char *name)
{
  return vcr_node_new (p->tree, name);
}

static void
node_update_odd_order (VcrNode *node)
{
  node->odd_order = FALSE;
  for (guint i = 0; i < node->n_children && !node->odd_order; i++)
    node->odd_order = vcr_name_has_odd_digits (node->children[i]->name);
}


static gint
compare_names_bytewise (gconstpointer pa, gconstpointer pb, gpointer user_data)
{
  const VcrNode *a = *(VcrNode * const *) pa;
  const VcrNode *b = *(VcrNode * const *) pb;

  return strcmp (a->name, b->name);
}

/* The second child of @node holding the bytewise-smallest name that two
 * children share, or NULL: the name VyOS's find_duplicate_children reports,
 * at the place where it is repeated. */
static VcrNode *
find_duplicate (const VcrNode *node)
{
  g_autofree VcrNode **sorted = NULL;

  if (node->n_children < 2)
    return NULL;
  sorted = g_memdup2 (node->children, node->n_children * sizeof (VcrNode *));
  g_qsort_with_data (sorted, node->n_children, sizeof (VcrNode *), compare_names_bytewise, NULL);
  for (guint i = 1; i < node->n_children; i++)
    if (strcmp (sorted[i - 1]->name, sorted[i]->name) == 0)
      return sorted[i];
  return NULL;
}

/* Merges the children with equal names in @run (they sort next to each
 * other): values and children of the later ones go to the first one, which
 * keeps its comment and flags. */
static void
merge_run (VcrArena *arena, VcrNode **run, guint n)
{
  g_autofree VcrNode **by_name = NULL;

  if (n < 2)
    return;
  /* Usually all have the same name (`rule 10 {`, `rule 20 {`, …). */
  {
    guint same = 1;

    while (same < n && strcmp (run[0]->name, run[same]->name) == 0)
      same++;
    if (same == n)
      {
        for (guint i = 1; i < n; i++)
          {
            vcr_node_append_values (arena, run[0], run[i]->values, run[i]->n_values);
            vcr_node_append_children (arena, run[0], run[i]->children, run[i]->n_children);
            run[i]->merged = MERGE_GONE;
          }
        run[0]->merged = MERGE_TARGET;
        return;
      }
  }
  /* Group equal names; the sort is stable, so the first of a group is the
   * first in the input. */
  by_name = g_memdup2 (run, n * sizeof (VcrNode *));
  g_qsort_with_data (by_name, n, sizeof (VcrNode *), compare_names_bytewise, NULL);
  for (guint i = 0; i < n;)
    {
      guint j = i + 1;

      while (j < n && strcmp (by_name[i]->name, by_name[j]->name) == 0)
        {
          VcrNode *into = by_name[i];
          VcrNode *from = by_name[j];

          vcr_node_append_values (arena, into, from->values, from->n_values);
          vcr_node_append_children (arena, into, from->children, from->n_children);
          into->merged = MERGE_TARGET;
          from->merged = MERGE_GONE;
          j++;
        }
      i = j;
    }
}

/* What VyOS does when it closes a node: merge children with the same name
 * one level deep, sort them, and fail when a merged child then holds two
 * children with the same name. The message names the node as VyOS does:
 * "NAME CHILD" ("@outer @name CHILD" for a tag node, "CHILD" for the
 * root); the position is where VyOS fails, at the closing brace (or the
 * end of the input for the root). */
static gboolean
set_children (Parser *p, VcrNode *node, VcrNode **kids, guint n,
              const char *outer, const char *name, GError **error)
{
  VcrArena *arena = &p->tree->arena;
  guint kept = 0;

  vcr_sort_children (kids, n);
  for (guint i = 0; i < n;)
    {
      guint j = i + 1;

      while (j < n && vcr_lexical_numeric_compare (kids[j - 1]->name, kids[j]->name) == 0)
        j++;
      if (j - i > 1)
        merge_run (arena, kids + i, j - i);
      i = j;
    }
  for (guint i = 0; i < n; i++)
    if (kids[i]->merged != MERGE_GONE)
      kids[kept++] = kids[i];
  for (guint i = 0; i < kept; i++)
    {
      VcrNode *child = kids[i];
      VcrNode *dup;

      if (child->merged != MERGE_TARGET)
        continue;
      child->merged = MERGE_NONE;
      vcr_sort_children (child->children, child->n_children);
      node_update_odd_order (child);
      dup = find_duplicate (child);
      if (dup != NULL)
        {
          g_autofree char *where = NULL;

          if (outer != NULL)
            where = g_strdup_printf ("%s %s %s", outer, name, child->name);
          else if (name != NULL)
            where = g_strdup_printf ("%s %s", name, child->name);
          else
            where = g_strdup (child->name);
          return parse_error (p, p->lex.tok_line,
                              column_of (p, p->lex.tok_cnum, p->lex.tok_bol), error,
                              "Node \"%s\" has two children named \"%s\"", where, dup->name);
        }
    }
  node->n_children = kept;
  node->children_exact = TRUE;
  node->children = kept > 0 ? vcr_arena_alloc (arena, kept * sizeof (VcrNode *)) : NULL;
  if (kept > 0)
    memcpy (node->children, kids, kept * sizeof (VcrNode *));
  node_update_odd_order (node);
  return TRUE;
}

/* ---- the parser ------------------------------------------------------- */

typedef enum {
  ST_CONTENT,   /* before a node, or a closing brace / the end */
  ST_COMMENTS,  /* after comments: a name must follow */
  ST_NAME,      /* after a name */
  ST_VALUE,     /* after a name and a value */
} State;

typedef struct {
  const char *comment;      /* raw text of the last comment, or NULL */
  gsize comment_len;
  const char *name;
  gsize name_len;
  const char *value;        /* in the arena */
} Pending;

static Frame *
top_frame (Parser *p)
{
  return &g_array_index (p->frames, Frame, p->frames->len - 1);
}

static VcrNode *
make_named_node (Parser *p, Pending *n, gboolean leaf)
{
  VcrNode *node = new_node (p, intern (p, n->name, n->name_len));

  node->leaf = leaf;
  return node;
}

/* A leaf that repeats the one before it gets its value added there: the
 * merge VyOS does when the node closes (values in input order, the first
 * one's comment and flags), without a node that lives only to be merged. */
static void
end_leaf (Parser *p, Pending *n, gboolean with_value)
{
  Frame *frame = top_frame (p);
  VcrNode *node = frame->run_node;

  if (node == NULL || node->tag || !node_has_name (node, n->name, n->name_len))
    {
      finish_run (p, frame);
      node = make_named_node (p, n, TRUE);
      if (n->comment != NULL)
        set_comment (p, node, n->comment, n->comment_len);
      pending_push (p, node);
      start_run (p, frame, node);
    }
  if (with_value)
    run_push (p, n->value);
  n->comment = NULL;
}

static gboolean
open_block (Parser *p, Pending *n, gboolean tag, GError **error)
{
  Lexer *l = &p->lex;
  guint depth = top_frame (p)->depth + (tag ? 2 : 1);
  Frame frame = { NULL, NULL, p->n_pending, depth, NULL, 0 };

  if (depth > VCR_TREE_MAX_DEPTH)
    return parse_error (p, l->tok_line, column_of (p, l->tok_cnum, l->tok_bol), error,
                        "nodes nested deeper than %d levels", VCR_TREE_MAX_DEPTH);
  if (tag)
    {
      frame.outer = intern (p, n->name, n->name_len);
      frame.node = new_node (p, n->value);
    }
  else
    frame.node = make_named_node (p, n, FALSE);
  if (n->comment != NULL)
    set_comment (p, frame.node, n->comment, n->comment_len);
  n->comment = NULL;
  g_array_append_val (p->frames, frame);
  return TRUE;
}

static gboolean
close_block (Parser *p, GError **error)
{
  Frame frame;
  Frame *parent;
  VcrNode *outer;

  finish_run (p, top_frame (p));
  frame = *top_frame (p);
  if (p->n_pending > frame.start &&
      !set_children (p, frame.node, p->pending + frame.start, p->n_pending - frame.start,
                     frame.outer, frame.node->name, error))
    return FALSE;
  p->n_pending = frame.start;
  g_array_set_size (p->frames, p->frames->len - 1);
  parent = top_frame (p);
  /* `rule 10 {…}` `rule 20 {…}`: the parent would merge the two `rule`
   * nodes; collecting the tag values of one run under one node gives the
   * same result without nodes that live only to be merged, and without
   * arrays that grow and are left behind in the arena. */
  if (frame.outer != NULL && parent->run_node != NULL && parent->run_node->tag &&
      strcmp (parent->run_node->name, frame.outer) == 0)
    {
      run_push (p, frame.node);
      return TRUE;
    }
  finish_run (p, parent);
  if (frame.outer == NULL)
    {
      pending_push (p, frame.node);
      return TRUE;
    }
  outer = new_node (p, frame.outer);
  outer->tag = TRUE;
  pending_push (p, outer);
  start_run (p, parent, outer);
  run_push (p, frame.node);
  return TRUE;
}

static gboolean
finish_root (Parser *p, GError **error)
{
  finish_run (p, top_frame (p));
  return set_children (p, p->tree->root, p->pending, p->n_pending, NULL, NULL, error);
}

static gboolean
parse_tokens (Parser *p, GError **error)
{
  Lexer *l = &p->lex;
  State state = ST_CONTENT;
  Pending n = { 0 };

  for (;;)
    {
      if (!lex_next (p, error))
        return FALSE;
      switch (state)
        {
        case ST_CONTENT:
        case ST_COMMENTS:
          if (l->type == TOK_COMMENT)
            {
              n.comment = l->tok;
              n.comment_len = l->tok_len;
              state = ST_COMMENTS;
              continue;
            }
          if (l->type == TOK_IDENT)
            {
              n.name = l->tok;
              n.name_len = l->tok_len;
              state = ST_NAME;
              continue;
            }
          if (state == ST_CONTENT && l->type == TOK_RBRACE && p->frames->len > 1)
            {
              if (!close_block (p, error))
                return FALSE;
              continue;
            }
          if (state == ST_CONTENT && l->type == TOK_EOF && p->frames->len == 1)
            return finish_root (p, error);
          return syntax_error (p, error);

        case ST_NAME:
        case ST_VALUE:
          if (l->type == TOK_NEWLINE || l->type == TOK_EOF)
            {
              end_leaf (p, &n, state == ST_VALUE);
              state = ST_CONTENT;
              /* A leaf ends at EOF too; the config then needs EOF again,
               * which the lexer gives at the same place. */
              if (l->type == TOK_EOF)
                {
                  if (p->frames->len == 1)
                    return finish_root (p, error);
                  return syntax_error (p, error);
                }
              continue;
            }
          if (l->type == TOK_LBRACE)
            {
              if (!open_block (p, &n, state == ST_VALUE, error))
                return FALSE;
              state = ST_CONTENT;
              continue;
            }
          if (state == ST_NAME && (l->type == TOK_IDENT || l->type == TOK_STRING))
            {
              n.value = token_string (p);
              state = ST_VALUE;
              continue;
            }
          return syntax_error (p, error);

        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- entry point ------------------------------------------------------ */

/* vyos-1x component_version.py: the version footer starts at the first
 * "// Warning: …" line, or else at the first "/ * Warning: … * /" one. */
static gsize
find_footer (const char *text, gsize length)
{
  const char *marks[] = { FOOTER_MARK_NEW, FOOTER_MARK_OLD };

  for (gsize m = 0; m < G_N_ELEMENTS (marks); m++)
    {
      const char *found = memmem (text, length, marks[m], strlen (marks[m]));

      if (found != NULL)
        return found - text;
    }
  return length;
}

static gboolean
check_no_nul (const char *text, gsize length, const char *origin, GError **error)
{
  const char *nul = memchr (text, '\0', length);
  guint line = 1;
  const char *bol = text;

  if (nul == NULL)
    return TRUE;
  for (const char *c = text; c < nul; c++)
    if (*c == '\n')
      {
        line++;
        bol = c + 1;
      }
  g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
               "%s:%u:%u: a NUL byte is not allowed in a config", origin, line,
               (guint) (nul - bol + 1));
  return FALSE;
}

VcrTree *
vcr_tree_parse (const char *text, gsize length, VcrParseFlags flags,
                const char *origin, GError **error)
{
  g_autoptr(VcrTree) tree = NULL;
  g_autoptr(GString) escaped = NULL;
  g_autoptr(GArray) inserted = NULL;
  g_autoptr(GString) scratch = NULL;
  g_autoptr(GArray) frames = NULL;
  g_autofree VcrNode **pending = NULL;
  gsize body_len = length;
  Frame root_frame = { NULL, NULL, 0, 0, NULL, 0 };
  Parser p = { 0 };
  gboolean ok;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (text == NULL)
    text = "";
  if (origin == NULL)
    origin = "<input>";
  if (!check_no_nul (text, length, origin, error))
    return NULL;

  if (!(flags & VCR_PARSE_RAW))
    body_len = find_footer (text, length);
  /* Untouched arena pages cost nothing; a big first block avoids growth. */
  tree = vcr_tree_new_sized (body_len * 3);
  tree->raw = (flags & VCR_PARSE_RAW) != 0;
  if (body_len < length)
    tree->footer = vcr_arena_strndup (&tree->arena, text + body_len, length - body_len);

  p.lex.text = text;
  p.lex.length = body_len;
  if (!(flags & (VCR_PARSE_RAW | VCR_PARSE_SHOW_CONFIG)) &&
      memchr (text, '\\', body_len) != NULL)
    {
      /* vyos-1x configtree.py escape_backslash(): backslashes in quoted
       * values that end a line are literal. */
      inserted = g_array_new (FALSE, FALSE, sizeof (gsize));
      escaped = vcr_replace_backslash (text, body_len, TRUE, inserted);
      if (escaped != NULL)
        {
          p.lex.text = escaped->str;
          p.lex.length = escaped->len;
        }
    }

  scratch = g_string_sized_new (256);
  frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  root_frame.node = tree->root;
  g_array_append_val (frames, root_frame);
  p.tree = tree;
  p.origin = origin;
  p.inserted = inserted;
  p.frames = frames;
  p.lex.line = 1;
  p.lex.literal_strings = (flags & VCR_PARSE_SHOW_CONFIG) != 0;
  p.lex.scratch = scratch;
  ok = parse_tokens (&p, error);
  pending = p.pending;
  g_free (p.run_items);
  g_free (p.interned);
  if (!ok)
    return NULL;
  return g_steal_pointer (&tree);
}
