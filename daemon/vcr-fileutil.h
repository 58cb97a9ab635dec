/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Crash-safe file writes: the daemon's state and the router config must be
 * either the old or the new content after a kill -9 or a power cut at any
 * instant. Writes go to a temporary file in the same folder, are fsync()ed,
 * renamed over the target, and the folder is fsync()ed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes @length bytes of @data to @path atomically with mode @mode. */
gboolean vcr_file_write_atomic (const char *path,
                                const char *data,
                                gsize length,
                                int mode,
                                GError **error);

/* Renames a file that failed validation to PATH.corrupt-TIMESTAMP, so that
 * it is kept for inspection but never read again. Logs what it did. */
void vcr_file_move_aside (const char *path, const char *reason);

G_END_DECLS
