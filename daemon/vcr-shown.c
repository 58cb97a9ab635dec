/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The properties as last announced (see vcr-shown.h), each kept as a
 * text that holds every field of its value.
 */
#define G_LOG_DOMAIN "vcr-shown"

#include "config.h"

#include "vcr-shown.h"

struct _VcrShown {
  GHashTable *texts;    /* property name (static) → text */
};

VcrShown *
vcr_shown_new (void)
{
  VcrShown *self = g_new0 (VcrShown, 1);

  self->texts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  return self;
}

void
vcr_shown_free (VcrShown *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->texts);
  g_free (self);
}

static char *
strv_text (const char *const *strv)
{
  return strv != NULL ? g_strjoinv ("\n", (char **) strv) : g_strdup ("");
}

static char *
peers_text (GPtrArray *peers)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; peers != NULL && i < peers->len; i++)
    {
      const VcrPeerStatus *p = g_ptr_array_index (peers, i);
      g_string_append_printf (text, "%s|%s|%s|%" G_GUINT64_FORMAT "|%" G_GINT64_FORMAT "|%s\n",
                              p->name, p->address, p->state, p->acknowledged,
                              p->last_success, p->last_error);
    }
  return g_string_free (text, FALSE);
}

static char *
list_text (GPtrArray *list)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; list != NULL && i < list->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) g_ptr_array_index (list, i));
  return g_string_free (text, FALSE);
}

/* Adds @property to @changed when @text (taken) is not what was shown. */
static void
compare (VcrShown *self, GPtrArray *changed, const char *property, char *text)
{
  if (g_strcmp0 (g_hash_table_lookup (self->texts, property), text) == 0)
    {
      g_free (text);
      return;
    }
  g_hash_table_insert (self->texts, (gpointer) property, text);
  g_ptr_array_add (changed, (gpointer) property);
}

GPtrArray *
vcr_shown_update (VcrShown *self, const VcrShownValues *values)
{
  GPtrArray *changed = g_ptr_array_new ();

  compare (self, changed, "Mode", g_strdup (values->mode));
  compare (self, changed, "State", g_strdup (values->state));
  compare (self, changed, "ReplicatedPaths", strv_text (values->replicated_paths));
  compare (self, changed, "Generation", g_strdup_printf ("%" G_GUINT64_FORMAT, values->generation));
  compare (self, changed, "Peers", peers_text (values->peers));
  compare (self, changed, "ListenAddress", g_strdup (values->listen_address));
  compare (self, changed, "Warnings", list_text (values->warnings));
  return changed;
}
