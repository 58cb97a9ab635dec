/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one snapshot check that needs the config tree engine: each config
 * text parses and holds nothing outside its own path, or is plain enough to
 * be spliced unparsed (vcr-splice.h). Kept apart from vcr-snapshot.c so
 * that the envelope code links without the tree engine.
 */
#define G_LOG_DOMAIN "vcr-snapshot"

#include "vcr-snapshot.h"

#include <string.h>

#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-splice.h"

VcrTree *
vcr_snapshot_entry_parse (const VcrSnapshotEntry *entry, GError **error)
{
  g_autofree char *origin = g_strdup_printf ("snapshot \"%s\"", entry->path);
  g_auto(GStrv) words = g_strsplit (entry->path, " ", -1);
  g_autoptr(VcrTree) tree = vcr_tree_parse (entry->config, entry->config_len,
                                            VCR_PARSE_DEFAULT, origin, error);

  if (tree == NULL)
    return NULL;
  if (vcr_tree_get_footer (tree) != NULL)
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "%s: config text carries a version footer", origin);
      return NULL;
    }
  if (!vcr_tree_is_within (tree, (const char *const *) words))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                   "%s: config text holds nodes outside its path", origin);
      return NULL;
    }
  return g_steal_pointer (&tree);
}

/* A text the splice check accepts passes every check of
 * vcr_snapshot_entry_parse(): it need not be parsed (vcr-splice.h). */
static gboolean
entry_splices (const VcrSnapshotEntry *entry, VcrSplice *splice)
{
  g_auto(GStrv) words = g_strsplit (entry->path, " ", -1);

  return entry->config_len > 0 &&
         vcr_splice_check (entry->config, entry->config_len, (const char *const *) words,
                           splice);
}

GPtrArray *
vcr_snapshot_parse_trees (const VcrSnapshot *snapshot, GArray **splices, GError **error)
{
  g_autoptr(GPtrArray) trees =
    g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_tree_free);
  g_autoptr(GArray) spliced = NULL;

  if (splices != NULL)
    spliced = g_array_sized_new (FALSE, TRUE, sizeof (VcrSplice), snapshot->entries->len);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *entry = g_ptr_array_index (snapshot->entries, i);
      VcrSplice splice = { 0 };
      VcrTree *tree = NULL;

      if (spliced == NULL || !entry_splices (entry, &splice))
        {
          splice = (VcrSplice) { 0 };
          tree = vcr_snapshot_entry_parse (entry, error);
          if (tree == NULL)
            return NULL;
        }
      g_ptr_array_add (trees, tree);
      if (spliced != NULL)
        g_array_append_val (spliced, splice);
    }
  if (splices != NULL)
    *splices = g_steal_pointer (&spliced);
  return g_steal_pointer (&trees);
}
