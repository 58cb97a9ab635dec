/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replicate paths as an index (see vcr-path-index.h): a hash set of
 * their canonical strings, and the depth of the deepest.
 */
#define G_LOG_DOMAIN "vcr-path-index"

#include "config.h"

#include <string.h>

#include "vcr-error.h"
#include "vcr-path.h"
#include "vcr-path-index.h"

struct _VcrPathIndex {
  VcrSettings *settings;
  GHashTable *paths;        /* canonical string → itself (the settings') */
  guint depth;              /* words of the deepest replicate path */
  GString *buffer;          /* the prefix being looked up, reused */
  guint probes;
};

VcrPathIndex *
vcr_path_index_new (VcrSettings *settings)
{
  VcrPathIndex *self = g_new0 (VcrPathIndex, 1);

  self->settings = vcr_settings_ref (settings);
  self->paths = g_hash_table_new (g_str_hash, g_str_equal);
  self->buffer = g_string_sized_new (256);
  for (guint i = 0; settings->path_strings[i] != NULL; i++)
    g_hash_table_add (self->paths, settings->path_strings[i]);
  for (guint i = 0; i < settings->paths->len; i++)
    self->depth = MAX (self->depth, g_strv_length (g_ptr_array_index (settings->paths, i)));
  return self;
}

void
vcr_path_index_free (VcrPathIndex *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->paths);
  g_string_free (self->buffer, TRUE);
  vcr_settings_unref (self->settings);
  g_free (self);
}

/* The limits, checked before anything looks at the words themselves:
 * strnlen() stops at the byte budget, so a word of megabytes costs no
 * more than one of 4 KiB. */
static gboolean
check_limits (const char *const *words, GError **error)
{
  gsize bytes = 0;

  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    {
      if (i >= VCR_PATH_MANAGED_MAX_WORDS)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH,
                       "Invalid path: more than %d words", VCR_PATH_MANAGED_MAX_WORDS);
          return FALSE;
        }
      bytes += strnlen (words[i], VCR_PATH_MANAGED_MAX_BYTES + 1 - bytes);
      if (bytes > VCR_PATH_MANAGED_MAX_BYTES)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_PATH,
                       "Invalid path: more than %d bytes in total",
                       VCR_PATH_MANAGED_MAX_BYTES);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
vcr_path_index_check (const char *const *words, GError **error)
{
  return check_limits (words, error) && vcr_path_check_words (words, error);
}

gboolean
vcr_path_index_lookup (VcrPathIndex *self, const char *const *words,
                       const char **replicate_path, GError **error)
{
  GString *buf = self->buffer;

  *replicate_path = NULL;
  self->probes = 0;
  if (!vcr_path_index_check (words, error))
    return FALSE;
  /* Each prefix, joined as the keys are, looked up once; one longer than
   * the deepest replicate path cannot be one, so the work is at most
   * (that depth × the input), never quadratic in it. */
  g_string_truncate (buf, 0);
  for (guint i = 0; words[i] != NULL && i < self->depth; i++)
    {
      if (i > 0)
        g_string_append_c (buf, ' ');
      g_string_append (buf, words[i]);
      self->probes++;
      *replicate_path = g_hash_table_lookup (self->paths, buf->str);
      if (*replicate_path != NULL)
        break;
    }
  return TRUE;
}

guint
vcr_path_index_last_probes (const VcrPathIndex *self)
{
  return self->probes;
}
