/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reference copies (reference/NAME, see vcr-state.h): per replicate
 * path, the snapshot text a replica last applied. Only their digests are
 * kept in memory, each read from disk once; new copies are written to
 * temporary files in a worker and renamed into place on the main loop once
 * the config they go with is applied.
 */
#define G_LOG_DOMAIN "vcr-state"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "vcr-fileutil.h"
#include "vcr-path.h"
#include "vcr-state-private.h"

static char *
reference_file (VcrState *self, const char *path)
{
  g_autofree char *name = g_uri_escape_string (path, NULL, FALSE);
  return g_build_filename (self->dir, REFERENCE_DIR, name, NULL);
}

const char *
vcr_state_get_reference_digest (VcrState *self, const char *path)
{
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  gpointer cached;
  char *digest = NULL;

  if (g_hash_table_lookup_extended (self->references, path, NULL, &cached))
    return cached;
  file = reference_file (self, path);
  if (!g_file_get_contents (file, &text, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read %s: %s, ignoring it", file, error->message);
    }
  else if (length != strlen (text) || !g_utf8_validate (text, -1, NULL))
    {
      /* A snapshot text is UTF-8 without NUL bytes: anything else is a
       * damaged file, and no reference is safer than a wrong one. */
      vcr_file_move_aside (file, "not UTF-8 text");
    }
  else
    digest = vcr_digest (text, length);
  g_hash_table_insert (self->references, g_strdup (path), digest);
  return digest;
}

typedef struct {
  char *path;               /* the replicate path */
  char *file;               /* its reference copy */
  const char *text;         /* the snapshot's, borrowed */
  char *digest;
  char *tmp;                /* the copy written, not yet in place */
} ReferenceCopy;

struct _VcrReferenceUpdate {
  GPtrArray *copies;        /* of ReferenceCopy* */
};

static void
reference_copy_free (ReferenceCopy *copy)
{
  if (copy->tmp != NULL)
    g_unlink (copy->tmp);
  g_free (copy->path);
  g_free (copy->file);
  g_free (copy->digest);
  g_free (copy->tmp);
  g_free (copy);
}

void
vcr_reference_update_free (VcrReferenceUpdate *update)
{
  g_ptr_array_unref (update->copies);
  g_free (update);
}

VcrReferenceUpdate *
vcr_state_prepare_references (VcrState *self, const VcrSnapshot *snapshot)
{
  VcrReferenceUpdate *update = g_new0 (VcrReferenceUpdate, 1);

  update->copies = g_ptr_array_new_with_free_func ((GDestroyNotify) reference_copy_free);
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (snapshot->entries, i);
      ReferenceCopy *copy;

      if (g_strcmp0 (vcr_state_get_reference_digest (self, e->path), e->digest) == 0)
        continue;
      copy = g_new0 (ReferenceCopy, 1);
      copy->path = g_strdup (e->path);
      copy->file = reference_file (self, e->path);
      copy->text = e->config;
      copy->digest = g_strdup (e->digest);
      g_ptr_array_add (update->copies, copy);
    }
  return update;
}

gboolean
vcr_reference_update_write (VcrReferenceUpdate *update, GError **error)
{
  for (guint i = 0; i < update->copies->len; i++)
    {
      ReferenceCopy *copy = g_ptr_array_index (update->copies, i);

      copy->tmp = vcr_file_write_temporary (copy->file, copy->text, strlen (copy->text),
                                            0600, error);
      if (copy->tmp == NULL)
        return FALSE;
    }
  return TRUE;
}

gboolean
vcr_state_commit_references (VcrState *self, VcrReferenceUpdate *update, GError **error)
{
  for (guint i = 0; i < update->copies->len; i++)
    {
      ReferenceCopy *copy = g_ptr_array_index (update->copies, i);
      g_autofree char *tmp = g_steal_pointer (&copy->tmp);

      g_return_val_if_fail (tmp != NULL, FALSE);
      if (!vcr_file_replace (tmp, copy->file, error))
        {
          /* What is on disk is now a mix: read it again when asked. */
          g_hash_table_remove_all (self->references);
          return FALSE;
        }
      g_hash_table_insert (self->references, g_strdup (copy->path), g_strdup (copy->digest));
    }
  return TRUE;
}

gboolean
vcr_state_set_references (VcrState *self, const VcrSnapshot *snapshot, GError **error)
{
  g_autoptr(VcrReferenceUpdate) update = vcr_state_prepare_references (self, snapshot);

  return vcr_reference_update_write (update, error) &&
         vcr_state_commit_references (self, update, error);
}

void
vcr_state_clear_references (VcrState *self)
{
  g_autofree char *refdir = g_build_filename (self->dir, REFERENCE_DIR, NULL);
  g_autoptr(GDir) dir = g_dir_open (refdir, 0, NULL);
  const char *name;

  g_hash_table_remove_all (self->references);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (refdir, name, NULL);
      if (g_unlink (file) < 0)
        g_warning ("Cannot remove %s: %s, ignoring", file, g_strerror (errno));
    }
}
