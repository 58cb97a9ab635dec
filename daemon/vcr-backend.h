/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the router config lives. The daemon reads the running config and
 * applies replicated subtrees only through this interface:
 *
 *  - "file" (vcr-backend-file.c): a config.boot file; writes are atomic and
 *    canonical, the version footer kept;
 *  - "vyos" (vcr-backend-vyos.c): VyOS's own tools (cli-shell-api to read,
 *    a configuration session to apply, then save).
 *
 * Both are asynchronous: nothing here blocks the main loop.
 */
#pragma once

#include <gio/gio.h>

#include "vcr-tree.h"

G_BEGIN_DECLS

#define VCR_TYPE_BACKEND (vcr_backend_get_type ())
G_DECLARE_DERIVABLE_TYPE (VcrBackend, vcr_backend, VCR, BACKEND, GObject)

struct _VcrBackendClass {
  GObjectClass parent_class;

  /* A cheap token that changes whenever the running config may have
   * changed (e.g. the file's inode, size and mtime); NULL when the backend
   * cannot tell, and the config must be read again every time. */
  char *(*get_stamp) (VcrBackend *self);
  void (*read_async) (VcrBackend *self, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
  VcrTree *(*read_finish) (VcrBackend *self, GAsyncResult *result, GError **error);
  /* Makes the subtrees at @paths (GStrv each) of the running config equal
   * to those of @tree (borrowed: the caller keeps it, unchanged, until the
   * finish), except at @excludes (nullable, of GStrv: the settings'
   * exclusions), where the running config keeps what it holds when the
   * apply writes, which may be newer than @tree's (a local commit there
   * since the caller read it); everything else stays as it is. When
   * @base_stamp (nullable) is still the backend's stamp, @tree is the
   * whole running config as read at that stamp with the new subtrees in
   * place, and may be written as it is without reading the config again.
   * With @keep_undo, what the apply replaces is kept for undo_async(),
   * which keeps @excludes as they are then too. */
  void (*apply_async) (VcrBackend *self, const VcrTree *tree, GPtrArray *paths,
                       GPtrArray *excludes,
                       const char *base_stamp, gboolean keep_undo,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data);
  /* @written_stamp (nullable): when the running config is now exactly
   * @tree, the backend's stamp of it; NULL when it cannot tell. */
  gboolean (*apply_finish) (VcrBackend *self, GAsyncResult *result,
                            char **written_stamp, GError **error);
  /* Optional: puts back exactly what the last successful apply with
   * @keep_undo replaced (the file backend: the old bytes, comments and
   * layout included). */
  void (*undo_async) (VcrBackend *self, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*undo_finish) (VcrBackend *self, GAsyncResult *result, GError **error);
  /* Optional, with undo_async: puts back @previous (what
   * vcr_backend_set_undo_file()'s file held when an apply was cut short),
   * as undo_async() does. */
  void (*restore_async) (VcrBackend *self, GBytes *previous, GPtrArray *paths,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*restore_finish) (VcrBackend *self, GAsyncResult *result, GError **error);
};

/* "file" or "vyos"; @config is the config.boot path for "file". */
VcrBackend *vcr_backend_new (const char *kind, const char *config, GError **error);
VcrBackend *vcr_backend_file_new (const char *path);
VcrBackend *vcr_backend_vyos_new (void);

const char *vcr_backend_get_name (VcrBackend *self);
char *vcr_backend_get_stamp (VcrBackend *self);
void vcr_backend_read_async (VcrBackend *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
VcrTree *vcr_backend_read_finish (VcrBackend *self, GAsyncResult *result, GError **error);
void vcr_backend_apply_async (VcrBackend *self, const VcrTree *tree, GPtrArray *paths,
                              GPtrArray *excludes, const char *base_stamp, gboolean keep_undo,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean vcr_backend_apply_finish (VcrBackend *self, GAsyncResult *result,
                                   char **written_stamp, GError **error);
/* Undoes the last successful apply; fails with G_IO_ERROR_NOT_SUPPORTED
 * when the backend cannot (then apply the old subtrees instead), or when
 * there is nothing to undo. The file backend puts back the very bytes the
 * apply replaced when the file is still what it wrote, or when it differs
 * from that only inside the replicated subtrees; otherwise (a local
 * commit meanwhile) it puts back only the old replicated subtrees and
 * keeps the rest of the file as it is now. */
void vcr_backend_undo_async (VcrBackend *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
gboolean vcr_backend_undo_finish (VcrBackend *self, GAsyncResult *result, GError **error);

/* Whether the backend undoes by itself (the file backend); if not, the
 * caller keeps the old subtrees and applies them to undo. */
gboolean vcr_backend_can_undo (VcrBackend *self);
/* Where an apply with @keep_undo also keeps what it replaces, synced
 * before anything is replaced, so that an undo survives a crash (NULL:
 * in memory only). Used by backends that can undo; the file backend keeps
 * the whole old file there. */
void vcr_backend_set_undo_file (VcrBackend *self, const char *path);
const char *vcr_backend_get_undo_file (VcrBackend *self);
/* After a restart: puts back @previous, what the undo file of an apply
 * cut short holds, at @paths (of GStrv), as undo does (above). Fails with
 * G_IO_ERROR_NOT_SUPPORTED when the backend cannot undo. */
void vcr_backend_restore_async (VcrBackend *self, GBytes *previous, GPtrArray *paths,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean vcr_backend_restore_finish (VcrBackend *self, GAsyncResult *result, GError **error);

G_END_DECLS
