/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared cache of the running config and the pending reference (see
 * vcr-running.h). One entry at a time: a router has one running config,
 * and the entry is only worth keeping while the backend's stamp holds.
 */
#define G_LOG_DOMAIN "vcr-running"

#include "config.h"

#include "vcr-running.h"

#include "vcr-mask.h"

struct _VcrRunning {
  GObject parent_instance;
  VcrSettings *settings;   /* in force; nullable until the first reload */
  VcrSettings *made_for;   /* the settings the entry was made for */
  VcrTree *tree;           /* without its replicated subtrees (but with what
                            * lies at their exclusions); nullable */
  char *stamp;             /* the backend's stamp of @tree; nullable */
  GHashTable *digests;     /* path → digest of its subtree; NULL: no entry */
  GHashTable *pending;     /* path → digest of the text being applied, or NULL */
};

G_DEFINE_TYPE (VcrRunning, vcr_running, G_TYPE_OBJECT)

static void
clear_entry (VcrRunning *self)
{
  g_clear_pointer (&self->made_for, vcr_settings_unref);
  g_clear_pointer (&self->tree, vcr_tree_free);
  g_clear_pointer (&self->stamp, g_free);
  g_clear_pointer (&self->digests, g_hash_table_unref);
}

static void
vcr_running_finalize (GObject *object)
{
  VcrRunning *self = VCR_RUNNING (object);

  clear_entry (self);
  g_clear_pointer (&self->settings, vcr_settings_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  G_OBJECT_CLASS (vcr_running_parent_class)->finalize (object);
}

static void
vcr_running_class_init (VcrRunningClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vcr_running_finalize;
}

static void
vcr_running_init (VcrRunning *self)
{
}

VcrRunning *
vcr_running_new (void)
{
  return g_object_new (VCR_TYPE_RUNNING, NULL);
}

void
vcr_running_set_settings (VcrRunning *self, VcrSettings *settings)
{
  g_return_if_fail (VCR_IS_RUNNING (self));

  clear_entry (self);
  g_clear_pointer (&self->settings, vcr_settings_unref);
  if (settings != NULL)
    self->settings = vcr_settings_ref (settings);
}

void
vcr_running_put (VcrRunning *self, const VcrSettings *settings, VcrTree *tree,
                 char *stamp, GHashTable *digests)
{
  g_autoptr(VcrTree) whole = tree;
  g_autofree char *owned_stamp = stamp;
  g_autoptr(GHashTable) known = digests;

  g_return_if_fail (VCR_IS_RUNNING (self));
  g_return_if_fail (settings != NULL && tree != NULL);

  /* Made for other paths than those in force (a reload came meanwhile):
   * of no use to anyone, and the entry there may still be good. */
  if (self->settings == NULL || !vcr_settings_same_paths (settings, self->settings))
    return;
  clear_entry (self);
  self->made_for = vcr_settings_ref (self->settings);
  self->digests = known != NULL ? g_steal_pointer (&known)
                                : vcr_mask_path_digests (whole, settings, NULL);
  if (owned_stamp == NULL)
    return;
  self->stamp = g_steal_pointer (&owned_stamp);
  self->tree = settings->paths->len > 0 ? vcr_mask_copy_pruned (whole, settings)
                                        : g_steal_pointer (&whole);
}

GHashTable *
vcr_running_lookup (VcrRunning *self, const VcrSettings *settings, const char *stamp)
{
  g_return_val_if_fail (VCR_IS_RUNNING (self), NULL);

  if (self->tree == NULL || stamp == NULL || g_strcmp0 (stamp, self->stamp) != 0 ||
      !vcr_settings_same_paths (settings, self->made_for))
    return NULL;
  return self->digests;
}

VcrTree *
vcr_running_take (VcrRunning *self, const VcrSettings *settings, const char *stamp,
                  GHashTable **digests)
{
  VcrTree *tree;

  *digests = NULL;
  if (vcr_running_lookup (self, settings, stamp) == NULL)
    return NULL;
  *digests = g_steal_pointer (&self->digests);
  tree = g_steal_pointer (&self->tree);
  clear_entry (self);
  return tree;
}

GHashTable *
vcr_running_peek_digests (VcrRunning *self)
{
  g_return_val_if_fail (VCR_IS_RUNNING (self), NULL);

  if (self->digests == NULL || !vcr_settings_same_paths (self->made_for, self->settings))
    return NULL;
  return self->digests;
}

void
vcr_running_set_pending (VcrRunning *self, GHashTable *digests)
{
  g_return_if_fail (VCR_IS_RUNNING (self));

  g_clear_pointer (&self->pending, g_hash_table_unref);
  if (digests != NULL)
    self->pending = g_hash_table_ref (digests);
}

const char *
vcr_running_get_pending (VcrRunning *self, const char *path)
{
  g_return_val_if_fail (VCR_IS_RUNNING (self), NULL);

  return self->pending != NULL ? g_hash_table_lookup (self->pending, path) : NULL;
}
