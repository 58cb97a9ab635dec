/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Spliced snapshot texts (see vcr-splice.h): the check that a text is the
 * canonical rendering of a tree holding only its path, line by line and
 * without building the tree, and the placeholder node that renders as the
 * text's lines.
 *
 * The check accepts the lines render_boot_node() writes, at exactly four
 * spaces per level, and nothing else:
 *
 *     NAME {             a node with braces     (closed by "}")
 *     NAME TAG {         a child of a tag node  (closed by "}")
 *     NAME               a leaf without value
 *     NAME "VALUE"       a leaf value
 *
 * It also checks what vcr_tree_parse() would change: siblings must come in
 * the parser's order and never merge (equal names only for the tag values
 * of one tag node, strictly increasing, or for the values of one leaf), and
 * every line must lie on the path or under it.
 */
#define G_LOG_DOMAIN "vcr-tree"

#include "vcr-splice.h"

#include "vcr-render-private.h"

/* Deeper texts are parsed: a real config is less than 20 levels deep. */
#define MAX_LEVELS 128
/* The number of path words the open blocks at a level matched: the block
 * lies above the path. Or this: the block is the path's node or under it. */
#define INSIDE G_MAXUINT


typedef enum {
  LINE_NONE,        /* no item yet at this level */
  LINE_BLOCK,       /* NAME { */
  LINE_TAG,         /* NAME TAG { */
  LINE_LEAF,        /* NAME */
  LINE_VALUE,       /* NAME "VALUE" */
} LineKind;

typedef struct {
  LineKind kind;
  const char *name;
  gsize name_len;
  const char *tag;          /* LINE_TAG */
  gsize tag_len;
} Line;

typedef struct {
  const char *const *words;
  guint n_words;
  guint level;
  guint matched[MAX_LEVELS + 1];  /* of the block whose items are at that level */
  Line last[MAX_LEVELS + 1];      /* the last item read at that level */
  VcrSplice *splice;
  gboolean reached;               /* the path's own line(s) came */
  guint path_level;               /* the level of the path's own lines */
} Checker;

/* The parser's lexer reads these from @p on as the start of the footer
 * (vcr_tree_parse() splits it off), wherever they are. */
static gboolean
starts_footer (const char *p, const char *end)
{
  gsize left = end - p;

  return (left >= strlen (FOOTER_MARK_NEW) && memcmp (p, FOOTER_MARK_NEW, strlen (FOOTER_MARK_NEW)) == 0) ||
         (left >= strlen (FOOTER_MARK_OLD) && memcmp (p, FOOTER_MARK_OLD, strlen (FOOTER_MARK_OLD)) == 0);
}

/* A name or tag value the parser reads as one word and the renderer writes
 * back as it is, whose order against its siblings is plain: printable,
 * no quote, brace or backslash, not starting a comment, and digit runs
 * without leading zeros and shorter than 10 (vcr_name_has_odd_digits()). */
static gboolean
word_is_plain (const char *word, gsize len)
{
  gsize run = 0;

  if (len == 0 || word[0] == '/')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = word[i];

      if (c >= '0' && c <= '9')
        {
          if ((run == 1 && word[i - 1] == '0') || ++run >= 10)
            return FALSE;
          continue;
        }
      run = 0;
      if (c <= ' ' || c == 127 || c == '{' || c == '}' || c == '"' || c == '\'' || c == '\\')
        return FALSE;
    }
  return TRUE;
}

/* The bytes a quoted value may hold and still render as they are
 * (vcr_render_needs_escape()), but for '/', which is looked at more
 * closely: it may start a footer mark. */
static gboolean
value_byte_is_plain (guchar c)
{
  return c >= 32 && c != '"' && c != '\\' && c != 127 && c != '/';
}

/* A quoted value that renders without escapes and holds no footer mark. */
static gboolean
value_is_plain (const char *value, gsize len)
{
  const char *end = value + len;

  for (const char *p = value; p < end; p++)
    {
      if (G_LIKELY (value_byte_is_plain (*p)))
        continue;
      if (*p != '/' || starts_footer (p, end))
        return FALSE;
    }
  return TRUE;
}

/* Reads one item line (without its indentation and newline) into @line. */
static gboolean
read_item (const char *s, gsize len, Line *line)
{
  const char *space = memchr (s, ' ', len);
  const char *end = s + len;
  const char *rest;

  *line = (Line) { LINE_LEAF, s, space != NULL ? (gsize) (space - s) : len, NULL, 0 };
  if (!word_is_plain (line->name, line->name_len))
    return FALSE;
  if (space == NULL)
    return TRUE;
  rest = space + 1;
  if (rest == end)
    return FALSE;
  if (end - rest == 1 && *rest == '{')
    {
      line->kind = LINE_BLOCK;
      return TRUE;
    }
  if (*rest == '"')
    {
      line->kind = LINE_VALUE;
      return end - rest >= 2 && end[-1] == '"' && value_is_plain (rest + 1, end - rest - 2);
    }
  /* NAME TAG { */
  line->kind = LINE_TAG;
  line->tag = rest;
  line->tag_len = end - rest;
  if (line->tag_len < 3 || memcmp (end - 2, " {", 2) != 0)
    return FALSE;
  line->tag_len -= 2;
  return word_is_plain (line->tag, line->tag_len);
}

static gboolean
all_digits (const char *word, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (word[i]))
      return FALSE;
  return TRUE;
}

/* vcr_lexical_numeric_compare_len() of two plain words (word_is_plain()),
 * with the common cases first: where the words first differ both hold a
 * non-digit (the digit runs before are the same), or one is the start of
 * the other (the shorter comes first, digit run or not), or both are
 * numbers (no leading zeros: the shorter is the smaller). */
static int
compare_words (const char *a, gsize la, const char *b, gsize lb)
{
  gsize n = MIN (la, lb);
  gsize i = 0;

  while (i < n && a[i] == b[i])
    i++;
  if (i == n)
    return la == lb ? 0 : (la < lb ? -1 : 1);
  if (!g_ascii_isdigit (a[i]) && !g_ascii_isdigit (b[i]))
    return (guchar) a[i] < (guchar) b[i] ? -1 : 1;
  if (all_digits (a, la) && all_digits (b, lb))
    return la != lb ? (la < lb ? -1 : 1) : ((guchar) a[i] < (guchar) b[i] ? -1 : 1);
  return vcr_lexical_numeric_compare_len (a, la, b, lb);
}

/* @line may follow @last among siblings: in the parser's order, and not
 * merged with it unless as the next tag value or leaf value. */
static gboolean
in_order (const Line *last, const Line *line)
{
  int c;

  if (last->kind == LINE_NONE)
    return TRUE;
  c = compare_words (last->name, last->name_len, line->name, line->name_len);
  if (c < 0)
    return TRUE;
  if (c > 0 || last->name_len != line->name_len ||
      memcmp (last->name, line->name, line->name_len) != 0 || last->kind != line->kind)
    return FALSE;
  if (line->kind == LINE_VALUE)
    return TRUE;
  return line->kind == LINE_TAG &&
         compare_words (last->tag, last->tag_len, line->tag, line->tag_len) < 0;
}

static gboolean
word_is (const char *word, gsize len, const char *expected)
{
  return strlen (expected) == len && memcmp (word, expected, len) == 0;
}

/* The item's place against the path: the number of path words the block
 * it opens matches, or INSIDE; FALSE when it lies beside the path. */
static gboolean
place_item (Checker *c, const Line *line, gsize offset, guint *opens)
{
  guint m = c->matched[c->level];
  gboolean inside = FALSE;

  *opens = INSIDE;
  if (m == INSIDE)
    return TRUE;
  if (!word_is (line->name, line->name_len, c->words[m]))
    return FALSE;
  switch (line->kind)
    {
    case LINE_BLOCK:
      inside = m + 1 == c->n_words;
      *opens = inside ? INSIDE : m + 1;
      break;
    case LINE_TAG:
      if (m + 1 == c->n_words)
        {
          /* the path's node is this tag node */
          inside = TRUE;
          c->splice->tag_words |= G_GUINT64_CONSTANT (1) << m;
          break;
        }
      if (!word_is (line->tag, line->tag_len, c->words[m + 1]))
        return FALSE;
      c->splice->tag_words |= G_GUINT64_CONSTANT (1) << m;
      inside = m + 2 == c->n_words;
      *opens = inside ? INSIDE : m + 2;
      break;
    case LINE_LEAF:
    case LINE_VALUE:
      if (m + 1 != c->n_words)
        return FALSE;   /* a leaf above the path */
      inside = TRUE;
      c->splice->leaf = TRUE;
      break;
    case LINE_NONE:
    default:
      g_assert_not_reached ();
    }
  if (inside && !c->reached)
    {
      c->reached = TRUE;
      c->path_level = c->level;
      c->splice->start = offset;
    }
  return TRUE;
}

static gboolean
check_line (Checker *c, const char *s, gsize len, gsize offset)
{
  /* Four spaces per level: compared at once, not counted one by one. */
  static const char spaces[4 * MAX_LEVELS + 1] = { [0 ... 4 * MAX_LEVELS - 1] = ' ' };
  gsize indent = 4 * (gsize) c->level;
  Line line;
  guint opens;

  if (c->level > 0 && len == indent - 3 && s[len - 1] == '}' &&
      memcmp (s, spaces, len - 1) == 0)
    {
      /* The end of the block above the path that holds its lines. */
      if (c->reached && c->level == c->path_level && c->splice->end == 0)
        c->splice->end = offset;
      c->level--;
      return TRUE;
    }
  if (len <= indent || memcmp (s, spaces, indent) != 0 || s[indent] == ' ')
    return FALSE;
  if (!read_item (s + indent, len - indent, &line) ||
      !in_order (&c->last[c->level], &line) || !place_item (c, &line, offset, &opens))
    return FALSE;
  c->last[c->level] = line;
  if (line.kind != LINE_BLOCK && line.kind != LINE_TAG)
    return TRUE;
  if (c->level + 1 > MAX_LEVELS)
    return FALSE;
  c->level++;
  c->matched[c->level] = opens;
  c->last[c->level].kind = LINE_NONE;
  return TRUE;
}

gboolean
vcr_splice_check (const char *text, gsize length, const char *const *words, VcrSplice *splice)
{
  g_autofree Checker *c = g_new (Checker, 1);
  gsize pos = 0;

  g_return_val_if_fail (text != NULL || length == 0, FALSE);
  g_return_val_if_fail (words != NULL && words[0] != NULL, FALSE);
  g_return_val_if_fail (splice != NULL, FALSE);

  *splice = (VcrSplice) { text, length, 0, 0, g_strv_length ((char **) words), 0, FALSE };
  if (splice->n_words > VCR_SPLICE_MAX_WORDS)
    return FALSE;
  c->words = words;
  c->n_words = splice->n_words;
  c->level = 0;
  c->matched[0] = 0;
  c->last[0].kind = LINE_NONE;
  c->splice = splice;
  c->reached = FALSE;
  c->path_level = 0;
  while (pos < length)
    {
      const char *eol = memchr (text + pos, '\n', length - pos);

      if (eol == NULL || !check_line (c, text + pos, eol - (text + pos), pos))
        return FALSE;
      pos = eol + 1 - text;
    }
  if (c->level != 0 || !c->reached)
    return FALSE;
  if (c->path_level == 0)
    splice->end = length;
  return TRUE;
}

gboolean
vcr_tree_graft_splice (VcrTree *tree, const char *const *words, const VcrSplice *splice)
{
  guint n = g_strv_length ((char **) words);
  const VcrNode *node;
  VcrNode *parent;
  VcrNode *target;

  g_return_val_if_fail (tree != NULL && splice != NULL, FALSE);
  g_return_val_if_fail (n > 0 && n == splice->n_words, FALSE);

  /* The existing ancestors must render the path's lines at the level and
   * in the form the text has them. */
  node = tree->root;
  for (guint i = 0; i + 1 < n && node != NULL; i++)
    {
      node = vcr_node_lookup (node, words[i]);
      if (node != NULL &&
          (node->spliced || node->tag != ((splice->tag_words >> i) & 1)))
        return FALSE;
    }
  parent = tree->root;
  for (guint i = 0; i + 1 < n; i++)
    {
      gboolean created;

      parent = vcr_node_ensure_child (tree, parent, words[i], &created);
      if (created)
        parent->tag = (splice->tag_words >> i) & 1;
    }
  target = vcr_node_ensure_child (tree, parent, words[n - 1], NULL);
  /* What the node held before (the pruned rest keeps its name only) is not
   * rendered: the text's lines are. */
  target->values = NULL;
  target->n_values = 0;
  target->children = NULL;
  target->n_children = 0;
  target->values_exact = target->children_exact = FALSE;
  target->odd_order = FALSE;
  target->has_comment = FALSE;
  target->tag = (splice->tag_words >> (n - 1)) & 1;
  target->leaf = splice->leaf;
  target->spliced = TRUE;
  if (tree->spliced == NULL)
    tree->spliced = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_replace (tree->spliced, target, g_memdup2 (splice, sizeof *splice));
  return TRUE;
}
