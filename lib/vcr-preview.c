/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dry run's lines (see vcr-preview.h): both texts of a path are
 * parsed and diffed under it. Texts of the same path are small next to a
 * whole config, and a replica's texts are checked like a snapshot's.
 */
#define G_LOG_DOMAIN "vcr-preview"

#include "vcr-preview.h"

#include <string.h>

#include "vcr-diff.h"
#include "vcr-mask.h"
#include "vcr-path.h"

/* The tree of our own text @text (a canonical rendering: it parses). */
static VcrTree *
parse_own (const VcrPathText *entry, GError **error)
{
  g_autofree char *origin = g_strdup_printf ("text \"%s\"", entry->path);

  return vcr_tree_parse (entry->text, entry->length, VCR_PARSE_DEFAULT, origin, error);
}

GStrv
vcr_preview_commands (GPtrArray *wanted, const VcrSnapshot *current, GError **error)
{
  g_autoptr(GStrvBuilder) lines = g_strv_builder_new ();

  g_return_val_if_fail (wanted != NULL && current != NULL, NULL);
  for (guint i = 0; i < wanted->len; i++)
    {
      const VcrPathText *want = g_ptr_array_index (wanted, i);
      const VcrSnapshotEntry *have = vcr_snapshot_lookup (current, want->path);
      g_autoptr(VcrTree) new_tree = parse_own (want, error);
      g_autoptr(VcrTree) old_tree = NULL;
      g_auto(GStrv) words = NULL;
      g_auto(GStrv) diff = NULL;

      if (new_tree == NULL)
        return NULL;
      old_tree = have != NULL ? vcr_snapshot_entry_parse (have, error) : vcr_tree_new ();
      if (old_tree == NULL)
        return NULL;
      words = vcr_path_parse (want->path, error);
      if (words == NULL)
        return NULL;
      diff = vcr_diff (old_tree, new_tree, (const char *const *) words);
      g_strv_builder_addv (lines, (const char **) diff);
    }
  return g_strv_builder_end (lines);
}

char *
vcr_preview_unreachable (const char *reason)
{
  return g_strdup_printf ("# unreachable: %s", reason);
}

gboolean
vcr_preview_is_note (const char *line)
{
  return line != NULL && line[0] == '#';
}
