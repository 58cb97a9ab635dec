/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backend base class: dispatch to the file or the VyOS backend
 * (see vcr-backend.h).
 */
#define G_LOG_DOMAIN "vcr-backend"

#include "config.h"

#include "vcr-backend.h"
#include "vcr-error.h"

typedef struct {
  char *undo_file;
} VcrBackendPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (VcrBackend, vcr_backend, G_TYPE_OBJECT)

static void
vcr_backend_finalize (GObject *object)
{
  VcrBackendPrivate *priv = vcr_backend_get_instance_private (VCR_BACKEND (object));

  g_free (priv->undo_file);
  G_OBJECT_CLASS (vcr_backend_parent_class)->finalize (object);
}

static void
vcr_backend_class_init (VcrBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vcr_backend_finalize;
}

static void
vcr_backend_init (VcrBackend *self)
{
}

gboolean
vcr_backend_can_undo (VcrBackend *self)
{
  return VCR_BACKEND_GET_CLASS (self)->undo_async != NULL;
}

void
vcr_backend_set_undo_file (VcrBackend *self, const char *path)
{
  VcrBackendPrivate *priv = vcr_backend_get_instance_private (self);

  g_free (priv->undo_file);
  priv->undo_file = g_strdup (path);
}

const char *
vcr_backend_get_undo_file (VcrBackend *self)
{
  VcrBackendPrivate *priv = vcr_backend_get_instance_private (self);

  return priv->undo_file;
}

void
vcr_backend_restore_async (VcrBackend *self, GBytes *previous, GPtrArray *paths,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  VcrBackendClass *klass = VCR_BACKEND_GET_CLASS (self);
  g_autoptr(GTask) task = NULL;

  if (klass->restore_async != NULL)
    {
      klass->restore_async (self, previous, paths, cancellable, callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vcr_backend_restore_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "%s cannot undo an apply", vcr_backend_get_name (self));
}

gboolean
vcr_backend_restore_finish (VcrBackend *self, GAsyncResult *result, GError **error)
{
  VcrBackendClass *klass = VCR_BACKEND_GET_CLASS (self);

  if (g_task_get_source_tag (G_TASK (result)) == vcr_backend_restore_async)
    return g_task_propagate_boolean (G_TASK (result), error);
  return klass->restore_finish (self, result, error);
}

VcrBackend *
vcr_backend_new (const char *kind, const char *config, GError **error)
{
  if (g_strcmp0 (kind, "file") == 0)
    {
      if (config == NULL || *config == '\0')
        {
          g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               "The file backend needs --config FILE");
          return NULL;
        }
      return vcr_backend_file_new (config);
    }
  if (g_strcmp0 (kind, "vyos") == 0)
    return vcr_backend_vyos_new ();
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "Unknown backend \"%s\" (file or vyos)", kind);
  return NULL;
}

const char *
vcr_backend_get_name (VcrBackend *self)
{
  return G_OBJECT_TYPE_NAME (self);
}

char *
vcr_backend_get_stamp (VcrBackend *self)
{
  return VCR_BACKEND_GET_CLASS (self)->get_stamp (self);
}

void
vcr_backend_read_async (VcrBackend *self, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  VCR_BACKEND_GET_CLASS (self)->read_async (self, cancellable, callback, user_data);
}

VcrTree *
vcr_backend_read_finish (VcrBackend *self, GAsyncResult *result, GError **error)
{
  return VCR_BACKEND_GET_CLASS (self)->read_finish (self, result, error);
}

void
vcr_backend_apply_async (VcrBackend *self, const VcrTree *tree, GPtrArray *paths,
                         GPtrArray *excludes, const char *base_stamp, gboolean keep_undo,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  VCR_BACKEND_GET_CLASS (self)->apply_async (self, tree, paths, excludes, base_stamp,
                                             keep_undo, cancellable, callback, user_data);
}

gboolean
vcr_backend_apply_finish (VcrBackend *self, GAsyncResult *result, char **written_stamp,
                          GError **error)
{
  char *stamp = NULL;

  if (!VCR_BACKEND_GET_CLASS (self)->apply_finish (self, result, &stamp, error))
    return FALSE;
  if (written_stamp != NULL)
    *written_stamp = stamp;
  else
    g_free (stamp);
  return TRUE;
}

void
vcr_backend_undo_async (VcrBackend *self, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  VcrBackendClass *klass = VCR_BACKEND_GET_CLASS (self);
  g_autoptr(GTask) task = NULL;

  if (klass->undo_async != NULL)
    {
      klass->undo_async (self, cancellable, callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vcr_backend_undo_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "%s cannot undo an apply", vcr_backend_get_name (self));
}

gboolean
vcr_backend_undo_finish (VcrBackend *self, GAsyncResult *result, GError **error)
{
  VcrBackendClass *klass = VCR_BACKEND_GET_CLASS (self);

  if (g_task_get_source_tag (G_TASK (result)) == vcr_backend_undo_async)
    return g_task_propagate_boolean (G_TASK (result), error);
  return klass->undo_finish (self, result, error);
}
