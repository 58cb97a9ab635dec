/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config tree model: the per-tree arena, nodes, VyOS's lexical-numeric
 * child order, lookups and the editing operations (ensure_path, delete,
 * graft, copy, compare). Parsing lives in vcr-parse.c and rendering in
 * vcr-render.c; all three share lib/vcr-tree-private.h.
 */
#define G_LOG_DOMAIN "vcr-tree"

#include <string.h>

#include "vcr-splice.h"
#include "vcr-tree-private.h"

/* ---- arena ------------------------------------------------------------ */

struct _VcrArenaBlock {
  VcrArenaBlock *next;
  gsize size;
  gsize used;
  /* data follows, 16-aligned */
};

#define ARENA_HEADER ((sizeof (VcrArenaBlock) + 15) & ~(gsize) 15)
#define ARENA_MIN_BLOCK (16 * 1024)
#define ARENA_MAX_BLOCK (4 * 1024 * 1024)

static void
vcr_arena_init (VcrArena *arena, gsize first_block)
{
  arena->blocks = NULL;
  arena->next_block_size = CLAMP (first_block, ARENA_MIN_BLOCK, 64 * 1024 * 1024);
  arena->total = 0;
}

static void
vcr_arena_clear (VcrArena *arena)
{
  VcrArenaBlock *block = arena->blocks;

  while (block != NULL)
    {
      VcrArenaBlock *next = block->next;
      g_free (block);
      block = next;
    }
  arena->blocks = NULL;
  arena->total = 0;
}

static VcrArenaBlock *
vcr_arena_add_block (VcrArena *arena, gsize at_least)
{
  gsize size = MAX (arena->next_block_size, at_least);
  VcrArenaBlock *block = g_malloc (ARENA_HEADER + size);

  block->size = size;
  block->used = 0;
  arena->total += ARENA_HEADER + size;
  /* Big single allocations get their own block behind the current one, so
   * the free space of the current block is not wasted. */
  if (at_least > arena->next_block_size && arena->blocks != NULL)
    {
      block->next = arena->blocks->next;
      arena->blocks->next = block;
      return block;
    }
  block->next = arena->blocks;
  arena->blocks = block;
  arena->next_block_size = MIN (arena->next_block_size * 2, ARENA_MAX_BLOCK);
  if (arena->next_block_size < size && size <= ARENA_MAX_BLOCK)
    arena->next_block_size = size;
  return block;
}

gpointer
vcr_arena_alloc (VcrArena *arena, gsize size)
{
  VcrArenaBlock *block = arena->blocks;
  gsize aligned = (size + 7) & ~(gsize) 7;
  gpointer mem;

  g_assert (aligned >= size);
  if (block == NULL || block->size - block->used < aligned)
    block = vcr_arena_add_block (arena, aligned);
  mem = (char *) block + ARENA_HEADER + block->used;
  block->used += aligned;
  return mem;
}

gpointer
vcr_arena_alloc0 (VcrArena *arena, gsize size)
{
  gpointer mem = vcr_arena_alloc (arena, size);

  memset (mem, 0, size);
  return mem;
}

const char *
vcr_arena_strndup (VcrArena *arena, const char *str, gsize len)
{
  char *copy = vcr_arena_alloc (arena, len + 1);

  memcpy (copy, str, len);
  copy[len] = '\0';
  return copy;
}

const char *
vcr_arena_strdup (VcrArena *arena, const char *str)
{
  if (str == NULL)
    return NULL;
  return vcr_arena_strndup (arena, str, strlen (str));
}

/* ---- lexical-numeric order -------------------------------------------- */

/* The byte the original C code reads at offset @i of an OCaml string of
 * length @len: past the end it reads the block's padding (zeros, and the
 * padding count in the last byte of the 64-bit word). The original only
 * reads past the end in the leading-zero corner case below. */
static inline guint
ocaml_byte_at (const char *s, gsize len, gsize i)
{
  gsize last = (len / 8 + 1) * 8 - 1;

  if (i < len)
    return (guchar) s[i];
  if (i == last)
    return (guint) (last - len);
  return 0;
}

static inline gboolean
is_digit (guint c)
{
  return c >= '0' && c <= '9';
}

static int
ocaml_memcmp (const char *a, gsize la, gsize oa,
              const char *b, gsize lb, gsize ob, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      guint ca = ocaml_byte_at (a, la, oa + i);
      guint cb = ocaml_byte_at (b, lb, ob + i);

      if (ca != cb)
        return ca < cb ? -1 : 1;
    }
  return 0;
}

static inline int
cmp_sizes (gsize x, gsize y)
{
  return x < y ? -1 : (x > y ? 1 : 0);
}

/* Reads a run of digits like the original: into a 32-bit signed int that
 * wraps around. */
static gint32
read_digit_run (const char *s, gsize len, gsize *offset, gsize limit, gsize *count)
{
  guint32 n = 0;

  *count = 0;
  while (*count < limit && is_digit (ocaml_byte_at (s, len, *offset)))
    {
      n = n * 10 + (ocaml_byte_at (s, len, *offset) - '0');
      (*offset)++;
      (*count)++;
    }
  return (gint32) n;
}

/* A step-by-step port of vyos1x-config's lexical_numeric_compare.c,
 * including its bookkeeping quirks (after digit runs of different lengths
 * the remaining lengths are adjusted by the shorter run only), so that the
 * child order is VyOS's even for odd names. */
int
vcr_lexical_numeric_compare_len (const char *a, gsize la, const char *b, gsize lb)
{
  gsize len1 = la, len2 = lb, len = MIN (la, lb);
  gsize o1 = 0, o2 = 0, p1 = 0, p2 = 0, pos = 0;

  if (a == b)
    return 0;
  do
    {
      gsize pos1, pos2;
      gint32 n1, n2;

      while (pos < len && (!is_digit (ocaml_byte_at (a, la, o1)) ||
                           !is_digit (ocaml_byte_at (b, lb, o2))))
        {
          o1++;
          o2++;
          pos++;
        }
      if (pos > 0)
        {
          int res = ocaml_memcmp (a, la, p1, b, lb, p2, pos);

          if (res != 0)
            return res;
          if (pos == len)
            return cmp_sizes (len1, len2);
        }
      p1 = o1;
      p2 = o2;
      len -= pos;
      len1 -= pos;
      len2 -= pos;
      n1 = read_digit_run (a, la, &o1, len1, &pos1);
      n2 = read_digit_run (b, lb, &o2, len2, &pos2);
      if (n1 != n2)
        return n1 < n2 ? -1 : 1;
      if (pos1 == len1 || pos2 == len2)
        return cmp_sizes (len1, len2);
      pos = MIN (pos1, pos2);
      p1 = o1;
      p2 = o2;
      len -= pos;
      len1 -= pos;
      len2 -= pos;
      pos = 0;
    }
  while (ocaml_byte_at (a, la, o1) != 0 && ocaml_byte_at (b, lb, o2) != 0);

  /* The original falls off the end of the function here (undefined
   * behaviour); only reachable through leading zeros. Order by length. */
  return cmp_sizes (len1, len2);
}

int
vcr_lexical_numeric_compare (const char *a, const char *b)
{
  gsize i = 0;

  g_return_val_if_fail (a != NULL && b != NULL, 0);
  /* Fast path: where the names first differ, both hold a non-digit. The
   * common prefix then holds the same digit runs, which compare equal, so
   * the original's answer is the byte comparison at that point. */
  while (a[i] == b[i] && a[i] != '\0')
    i++;
  if (a[i] == b[i])
    return 0;
  if (a[i] != '\0' && b[i] != '\0' && !is_digit ((guchar) a[i]) && !is_digit ((guchar) b[i]))
    return (guchar) a[i] < (guchar) b[i] ? -1 : 1;
  return vcr_lexical_numeric_compare_len (a, strlen (a), b, strlen (b));
}

gboolean
vcr_name_has_odd_digits (const char *name)
{
  for (const char *p = name; *p != '\0';)
    {
      gsize run = 0;

      if (!is_digit ((guchar) *p))
        {
          p++;
          continue;
        }
      while (is_digit ((guchar) p[run]))
        run++;
      if ((run > 1 && p[0] == '0') || run >= 10)
        return TRUE;
      p += run;
    }
  return FALSE;
}

static gint
compare_nodes (gconstpointer pa, gconstpointer pb, gpointer user_data)
{
  const VcrNode *a = *(VcrNode * const *) pa;
  const VcrNode *b = *(VcrNode * const *) pb;

  return vcr_lexical_numeric_compare (a->name, b->name);
}

void
vcr_sort_children (VcrNode **children, guint n_children)
{
  guint i = 1;

  /* Configs saved by VyOS are sorted already: check before sorting. */
  while (i < n_children && vcr_lexical_numeric_compare (children[i - 1]->name, children[i]->name) <= 0)
    i++;
  /* g_qsort_with_data() is a stable merge sort, like OCaml's List.sort:
   * names that compare equal keep their input order. */
  if (i < n_children)
    g_qsort_with_data (children, n_children, sizeof (VcrNode *), compare_nodes, NULL);
}

static gint
compare_node_bytes (gconstpointer pa, gconstpointer pb, gpointer user_data)
{
  const VcrNode *a = *(VcrNode * const *) pa;
  const VcrNode *b = *(VcrNode * const *) pb;

  return strcmp (a->name, b->name);
}

/* The order of an edited node whose names VyOS's comparison cannot order
 * consistently (leading zeros, digit runs of 10 or more: it is not
 * transitive there). A merge sort of such names gives an order that
 * depends on the order they came in, so the same set of names built by
 * different edits (the commands of a diff, a graft) would render, and
 * hash, differently. Sorting them by bytes first makes the order a
 * function of the names alone; where the comparison is consistent it is
 * the one sorted order, as before. */
static void
sort_children_canonical (VcrNode *parent)
{
  g_qsort_with_data (parent->children, parent->n_children, sizeof (VcrNode *),
                     compare_node_bytes, NULL);
  vcr_sort_children (parent->children, parent->n_children);
}

/* ---- tree and nodes --------------------------------------------------- */

/* See struct _VcrNode: its size is most of a parsed tree's memory. */
G_STATIC_ASSERT (GLIB_SIZEOF_VOID_P != 8 || sizeof (VcrNode) == 40);

VcrNode *
vcr_node_new (VcrTree *tree, const char *name)
{
  VcrNode *node = vcr_arena_alloc0 (&tree->arena, sizeof (VcrNode));

  node->name = name;
  return node;
}

void
vcr_node_set_comment_len (VcrArena *arena, VcrNode *node, const char *comment, gsize len)
{
  gsize name_len;
  char *both;

  if (comment == NULL)
    {
      node->has_comment = FALSE;
      return;
    }
  name_len = strlen (node->name);
  g_assert (len < G_MAXSIZE - name_len - 2);
  both = vcr_arena_alloc (arena, name_len + len + 2);
  memcpy (both, node->name, name_len + 1);
  memcpy (both + name_len + 1, comment, len);
  both[name_len + 1 + len] = '\0';
  node->name = both;
  node->has_comment = TRUE;
}

VcrTree *
vcr_tree_new_sized (gsize size_hint)
{
  VcrTree *tree = g_new0 (VcrTree, 1);

  vcr_arena_init (&tree->arena, size_hint);
  tree->root = vcr_node_new (tree, "");
  return tree;
}

VcrTree *
vcr_tree_new (void)
{
  return vcr_tree_new_sized (ARENA_MIN_BLOCK);
}

void
vcr_tree_free (VcrTree *tree)
{
  if (tree == NULL)
    return;
  g_clear_pointer (&tree->owned, g_hash_table_unref);
  g_clear_pointer (&tree->spliced, g_hash_table_unref);
  vcr_arena_clear (&tree->arena);
  g_free (tree);
}

gsize
vcr_tree_get_allocated_size (const VcrTree *tree)
{
  return sizeof (VcrTree) + tree->arena.total;
}

gsize
vcr_tree_get_used_size (const VcrTree *tree)
{
  gsize used = sizeof (VcrTree);

  for (const VcrArenaBlock *block = tree->arena.blocks; block != NULL; block = block->next)
    used += ARENA_HEADER + block->used;
  return used;
}

const char *
vcr_tree_get_footer (const VcrTree *tree)
{
  g_return_val_if_fail (tree != NULL, NULL);
  return tree->footer;
}

void
vcr_tree_set_footer (VcrTree *tree, const char *footer)
{
  g_return_if_fail (tree != NULL);
  tree->footer = vcr_arena_strdup (&tree->arena, footer);
}

VcrNode *
vcr_tree_get_root (const VcrTree *tree)
{
  g_return_val_if_fail (tree != NULL, NULL);
  return tree->root;
}

const char *
vcr_node_get_name (const VcrNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);
  return node->name;
}

const char *
vcr_node_get_comment (const VcrNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);
  return vcr_node_comment (node);
}

gboolean
vcr_node_is_tag (const VcrNode *node)
{
  g_return_val_if_fail (node != NULL, FALSE);
  return node->tag;
}

gboolean
vcr_node_is_leaf (const VcrNode *node)
{
  g_return_val_if_fail (node != NULL, FALSE);
  return node->leaf;
}

guint
vcr_node_get_n_values (const VcrNode *node)
{
  g_return_val_if_fail (node != NULL, 0);
  return node->n_values;
}

const char *
vcr_node_get_value (const VcrNode *node, guint index)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (index < node->n_values, NULL);
  return node->values[index];
}

guint
vcr_node_get_n_children (const VcrNode *node)
{
  g_return_val_if_fail (node != NULL, 0);
  return node->n_children;
}

VcrNode *
vcr_node_get_child (const VcrNode *node, guint index)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (index < node->n_children, NULL);
  return node->children[index];
}

/* Where @name is or would go among @node's children: sets *@found when a
 * child has exactly that name. The insertion point is after every child
 * that sorts before or equal to @name. */
static guint
node_find_index (const VcrNode *node, const char *name, gboolean *found)
{
  gsize len = strlen (name);
  guint lo = 0, hi = node->n_children;

  *found = FALSE;
  if (node->odd_order)
    {
      /* The order is not consistent: look by name, insert at the end and
       * let the caller re-sort. */
      for (guint i = 0; i < node->n_children; i++)
        if (strcmp (node->children[i]->name, name) == 0)
          {
            *found = TRUE;
            return i;
          }
      return node->n_children;
    }
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const char *other = node->children[mid]->name;
      int cmp = vcr_lexical_numeric_compare_len (name, len, other, strlen (other));

      if (cmp < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  /* Equal-sorting names sit just before the insertion point. */
  for (guint i = lo; i > 0; i--)
    {
      const char *other = node->children[i - 1]->name;

      if (strcmp (other, name) == 0)
        {
          *found = TRUE;
          return i - 1;
        }
      if (vcr_lexical_numeric_compare_len (name, len, other, strlen (other)) != 0)
        break;
    }
  return lo;
}

VcrNode *
vcr_node_lookup (const VcrNode *node, const char *name)
{
  gboolean found;
  guint index;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  index = node_find_index (node, name, &found);
  return found ? node->children[index] : NULL;
}

VcrNode *
vcr_tree_lookup (const VcrTree *tree, const char *const *words)
{
  VcrNode *node;

  g_return_val_if_fail (tree != NULL, NULL);
  node = tree->root;
  for (gsize i = 0; words != NULL && words[i] != NULL && node != NULL; i++)
    node = vcr_node_lookup (node, words[i]);
  return node;
}

/* ---- editing ---------------------------------------------------------- */

/* The room an array of @n items has (see struct _VcrNode). Removing items
 * only makes this underestimate, which is safe. */
static guint
array_capacity (guint n, gboolean exact)
{
  guint cap = 4;

  if (exact || n == 0)
    return n;
  while (cap < n && cap < G_MAXUINT / 2)
    cap *= 2;
  return cap;
}

/* Makes room for @add more items in *@array (of @n items of @size bytes). */
static void
array_reserve (VcrArena *arena, gpointer *array, guint n, guint add, gsize size, guint *exact)
{
  gpointer grown;
  guint cap;

  g_assert (add <= G_MAXUINT / 2 - n);
  if (n + add <= array_capacity (n, *exact))
    return;
  cap = array_capacity (n + add, FALSE);
  grown = vcr_arena_alloc (arena, (gsize) cap * size);
  if (n > 0)
    memcpy (grown, *array, (gsize) n * size);
  *array = grown;
  *exact = FALSE;
}

void
vcr_node_append_values (VcrArena *arena, VcrNode *node, const char *const *values, guint n)
{
  guint exact = node->values_exact;

  if (n == 0)
    return;
  array_reserve (arena, (gpointer *) &node->values, node->n_values, n, sizeof (char *), &exact);
  node->values_exact = exact;
  memcpy (node->values + node->n_values, values, n * sizeof (char *));
  node->n_values += n;
}

void
vcr_node_append_children (VcrArena *arena, VcrNode *node, VcrNode *const *children, guint n)
{
  guint exact = node->children_exact;

  if (n == 0)
    return;
  array_reserve (arena, (gpointer *) &node->children, node->n_children, n,
                 sizeof (VcrNode *), &exact);
  node->children_exact = exact;
  memcpy (node->children + node->n_children, children, n * sizeof (VcrNode *));
  node->n_children += n;
}

static void
node_insert_child (VcrTree *tree, VcrNode *parent, guint index, VcrNode *child)
{
  guint exact = parent->children_exact;

  array_reserve (&tree->arena, (gpointer *) &parent->children, parent->n_children, 1,
                 sizeof (VcrNode *), &exact);
  parent->children_exact = exact;
  memmove (parent->children + index + 1, parent->children + index,
           (parent->n_children - index) * sizeof (VcrNode *));
  parent->children[index] = child;
  parent->n_children++;
  if (vcr_name_has_odd_digits (child->name))
    parent->odd_order = TRUE;
  if (parent->odd_order)
    sort_children_canonical (parent);
}

static void
node_remove_child (VcrNode *parent, guint index)
{
  memmove (parent->children + index, parent->children + index + 1,
           (parent->n_children - index - 1) * sizeof (VcrNode *));
  parent->n_children--;
  if (parent->odd_order)
    sort_children_canonical (parent);
}

VcrNode *
vcr_node_ensure_child (VcrTree *tree, VcrNode *parent, const char *name, gboolean *created)
{
  gboolean found;
  guint index = node_find_index (parent, name, &found);
  VcrNode *child;

  if (created != NULL)
    *created = !found;
  if (found)
    return parent->children[index];
  child = vcr_node_new (tree, vcr_arena_strdup (&tree->arena, name));
  node_insert_child (tree, parent, index, child);
  return child;
}

static gsize
words_length (const char *const *words)
{
  gsize n = 0;

  while (words != NULL && words[n] != NULL)
    n++;
  return n;
}

VcrNode *
vcr_tree_ensure_path (VcrTree *tree, const char *const *words)
{
  VcrNode *node;
  gsize n_words = words_length (words);

  g_return_val_if_fail (tree != NULL, NULL);
  /* Not a programming error: paths come from outside. */
  if (n_words > VCR_TREE_MAX_DEPTH)
    return NULL;
  node = tree->root;
  for (gsize i = 0; i < n_words; i++)
    node = vcr_node_ensure_child (tree, node, words[i], NULL);
  return node;
}

gboolean
vcr_tree_delete (VcrTree *tree, const char *const *words)
{
  gsize n_words = words_length (words);
  g_autofree VcrNode **chain = NULL;
  g_autofree guint *indexes = NULL;

  g_return_val_if_fail (tree != NULL, FALSE);
  if (n_words == 0)
    {
      gboolean had = tree->root->n_children > 0 || tree->root->n_values > 0;

      tree->root->n_children = 0;
      tree->root->n_values = 0;
      tree->root->odd_order = FALSE;
      return had;
    }
  /* chain[i] is the parent of words[i]; indexes[i] its position there. */
  chain = g_new (VcrNode *, n_words + 1);
  indexes = g_new (guint, n_words);
  chain[0] = tree->root;
  for (gsize i = 0; i < n_words; i++)
    {
      gboolean found;

      indexes[i] = node_find_index (chain[i], words[i], &found);
      if (!found)
        return FALSE;
      chain[i + 1] = chain[i]->children[indexes[i]];
    }
  /* Remove the node, then every ancestor it leaves empty (never the root). */
  for (gsize i = n_words; i > 0; i--)
    {
      VcrNode *parent = chain[i - 1];

      node_remove_child (parent, indexes[i - 1]);
      if (i - 1 == 0 || parent->n_children > 0 || parent->n_values > 0)
        break;
    }
  return TRUE;
}

/* @src's name, comment and flags, without values or children. */
static VcrNode *
node_copy_bare (VcrTree *dst, const VcrNode *src)
{
  VcrArena *arena = &dst->arena;
  VcrNode *copy = vcr_node_new (dst, src->name);
  gsize name_size = strlen (src->name) + 1;

  /* The name, and the comment after it. */
  if (src->has_comment)
    name_size += strlen (src->name + name_size) + 1;
  copy->name = memcpy (vcr_arena_alloc (arena, name_size), src->name, name_size);
  copy->has_comment = src->has_comment;
  copy->tag = src->tag;
  copy->leaf = src->leaf;
  return copy;
}

/* @src without its children. */
static VcrNode *
node_copy_values (VcrTree *dst, const VcrNode *src)
{
  VcrArena *arena = &dst->arena;
  VcrNode *copy = node_copy_bare (dst, src);

  copy->odd_order = src->odd_order;
  if (src->n_values > 0)
    {
      copy->values = vcr_arena_alloc (arena, src->n_values * sizeof (char *));
      for (guint i = 0; i < src->n_values; i++)
        copy->values[i] = vcr_arena_strdup (arena, src->values[i]);
      copy->n_values = src->n_values;
      copy->values_exact = TRUE;
    }
  return copy;
}

static VcrNode *
node_deep_copy (VcrTree *dst, const VcrNode *src)
{
  VcrArena *arena = &dst->arena;
  VcrNode *copy = node_copy_values (dst, src);

  if (src->n_children > 0)
    {
      copy->children = vcr_arena_alloc (arena, src->n_children * sizeof (VcrNode *));
      for (guint i = 0; i < src->n_children; i++)
        copy->children[i] = node_deep_copy (dst, src->children[i]);
      copy->n_children = src->n_children;
      copy->children_exact = TRUE;
    }
  return copy;
}

VcrTree *
vcr_tree_copy (const VcrTree *tree)
{
  VcrTree *copy;

  g_return_val_if_fail (tree != NULL, NULL);
  copy = vcr_tree_new_sized (tree->arena.total);
  copy->root = node_deep_copy (copy, tree->root);
  copy->footer = vcr_arena_strdup (&copy->arena, tree->footer);
  copy->raw = tree->raw;
  return copy;
}

/* node_deep_copy(), except below the nodes that @rest (of const char
 * *const *: the words of each path left below @src) leads to: those keep
 * their name and flags only. */
static VcrNode *
node_copy_pruned (VcrTree *dst, const VcrNode *src, GPtrArray *rest)
{
  VcrNode *copy;

  for (guint i = 0; i < rest->len; i++)
    if (((const char *const *) g_ptr_array_index (rest, i))[0] == NULL)
      return node_copy_bare (dst, src);
  copy = node_copy_values (dst, src);
  if (src->n_children > 0)
    {
      g_autoptr(GPtrArray) below = g_ptr_array_new ();

      copy->children = vcr_arena_alloc (&dst->arena, src->n_children * sizeof (VcrNode *));
      for (guint c = 0; c < src->n_children; c++)
        {
          const VcrNode *child = src->children[c];

          g_ptr_array_set_size (below, 0);
          for (guint i = 0; i < rest->len; i++)
            {
              const char *const *words = g_ptr_array_index (rest, i);
              if (g_str_equal (words[0], child->name))
                g_ptr_array_add (below, (gpointer) (words + 1));
            }
          copy->children[c] = below->len > 0 ? node_copy_pruned (dst, child, below)
                                             : node_deep_copy (dst, child);
        }
      copy->n_children = src->n_children;
      copy->children_exact = TRUE;
    }
  return copy;
}

VcrTree *
vcr_tree_copy_pruned (const VcrTree *tree, GPtrArray *paths)
{
  VcrTree *copy;
  g_autoptr(GPtrArray) rest = NULL;

  g_return_val_if_fail (tree != NULL && paths != NULL, NULL);
  rest = g_ptr_array_new ();
  for (guint i = 0; i < paths->len; i++)
    {
      const char *const *words = g_ptr_array_index (paths, i);
      g_return_val_if_fail (words != NULL && words[0] != NULL, NULL);
      g_ptr_array_add (rest, (gpointer) words);
    }
  copy = vcr_tree_new ();
  copy->root = node_copy_pruned (copy, tree->root, rest);
  copy->footer = vcr_arena_strdup (&copy->arena, tree->footer);
  copy->raw = tree->raw;
  return copy;
}

/* A spliced node (vcr-splice.h) has no nodes to copy: its text is parsed
 * (it parses: vcr_splice_check() accepted it) and grafted. Only when a
 * config changed under a replica's apply. */
static void
graft_spliced (VcrTree *dst, const VcrTree *src, const char *const *words)
{
  const VcrSplice *splice = g_hash_table_lookup (src->spliced, vcr_tree_lookup (src, words));
  g_autoptr(VcrTree) parsed = NULL;
  g_autoptr(GError) error = NULL;

  parsed = vcr_tree_parse (splice->text, splice->length, VCR_PARSE_DEFAULT, "spliced text", &error);
  if (parsed == NULL)
    {
      g_critical ("A spliced text does not parse: %s", error->message);
      return;
    }
  vcr_tree_graft (dst, parsed, words);
}

void
vcr_tree_graft (VcrTree *dst, const VcrTree *src, const char *const *words)
{
  gsize n_words = words_length (words);
  const VcrNode *src_node = src->root;
  VcrNode *parent;
  gboolean found;
  guint index;

  g_return_if_fail (dst != NULL && src != NULL);
  if (vcr_tree_lookup (src, words) == NULL)
    {
      vcr_tree_delete (dst, words);
      return;
    }
  if (vcr_tree_lookup (src, words)->spliced)
    {
      graft_spliced (dst, src, words);
      return;
    }
  if (n_words == 0)
    {
      dst->root = node_deep_copy (dst, src->root);
      return;
    }
  /* Ancestors: create the missing ones with the flags they have in @src. */
  parent = dst->root;
  for (gsize i = 0; i + 1 < n_words; i++)
    {
      src_node = vcr_node_lookup (src_node, words[i]);
      index = node_find_index (parent, words[i], &found);
      if (!found)
        {
          VcrNode *created = vcr_node_ensure_child (dst, parent, words[i], NULL);

          created->tag = src_node->tag;
          created->leaf = src_node->leaf;
          parent = created;
        }
      else
        parent = parent->children[index];
    }
  src_node = vcr_node_lookup (src_node, words[n_words - 1]);
  index = node_find_index (parent, words[n_words - 1], &found);
  if (found)
    parent->children[index] = node_deep_copy (dst, src_node);
  else
    node_insert_child (dst, parent, index, node_deep_copy (dst, src_node));
}

/* ---- comparing -------------------------------------------------------- */

static gboolean
node_equal (const VcrNode *a, const VcrNode *b)
{
  if (strcmp (a->name, b->name) != 0 ||
      g_strcmp0 (vcr_node_comment (a), vcr_node_comment (b)) != 0 ||
      a->n_values != b->n_values ||
      a->n_children != b->n_children)
    return FALSE;
  /* The flags only count where they change the rendering: "tag" for a node
   * with children, "leaf" (braces or not) for a node without. */
  if (a->n_children > 0 ? a->tag != b->tag : a->leaf != b->leaf)
    return FALSE;
  for (guint i = 0; i < a->n_values; i++)
    if (strcmp (a->values[i], b->values[i]) != 0)
      return FALSE;
  for (guint i = 0; i < a->n_children; i++)
    if (!node_equal (a->children[i], b->children[i]))
      return FALSE;
  return TRUE;
}

gboolean
vcr_tree_subtree_equal (const VcrTree *a, const VcrTree *b, const char *const *words)
{
  const VcrNode *na, *nb;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  na = vcr_tree_lookup (a, words);
  nb = vcr_tree_lookup (b, words);
  if (na == NULL || nb == NULL)
    return na == nb;
  return node_equal (na, nb);
}
