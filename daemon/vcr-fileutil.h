/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Crash-safe file writes: the daemon's state and the router config must be
 * either the old or the new content after a kill -9 or a power cut at any
 * instant. Writes go to a temporary file in the same folder, are fsync()ed,
 * renamed over the target, and the folder is fsync()ed. A file replaced
 * keeps its owner and group. A @path that is a symlink is written through
 * to its target (the temporary file next to the target), provided the link
 * is owned by this process's user or by its folder's owner; any other link
 * is refused with G_FILE_ERROR_PERM and nothing is written.
 */
#pragma once

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

/* Writes @length bytes of @data to @path atomically with mode @mode. */
gboolean vcr_file_write_atomic (const char *path,
                                const char *data,
                                gsize length,
                                int mode,
                                GError **error);

/* The file being written by vcr_file_write_atomic_stream(). */
typedef struct _VcrFileWriter VcrFileWriter;

/* Appends @length bytes to the file of @writer (a VcrFileWriter *; the
 * signature is lib's VcrSink, so a renderer can write straight to it).
 * Short writes and EINTR are handled. */
gboolean vcr_file_writer_write (const char *data,
                                gsize length,
                                gpointer writer,
                                GError **error);

/* Writes the new contents of the file; returns FALSE and sets @error to
 * leave the file as it was. */
typedef gboolean (*VcrFileProducer) (VcrFileWriter *writer,
                                     gpointer user_data,
                                     GError **error);

/* As vcr_file_write_atomic(), with the bytes written by @producer in as
 * many pieces as it likes, so they never need to be held whole. When
 * anything fails (the producer included), @path is untouched and the
 * temporary file removed. @written (nullable) gets the status of the file
 * written, taken from its descriptor: what @path is unless someone else
 * replaces it afterwards. */
gboolean vcr_file_write_atomic_stream (const char *path,
                                       int mode,
                                       VcrFileProducer producer,
                                       gpointer user_data,
                                       struct stat *written,
                                       GError **error);

/* vcr_file_write_atomic() in two steps, so that the slow one can run in
 * a worker and the quick one where the order of events is decided: the
 * data in a synced temporary file next to @path, whose name is returned
 * (NULL with @error, and nothing left behind, on failure)... */
char *vcr_file_write_temporary (const char *path,
                                const char *data,
                                gsize length,
                                int mode,
                                GError **error);
/* ...then that file renamed over @path and the folder synced (@tmp is
 * removed if the rename fails). */
gboolean vcr_file_replace (const char *tmp, const char *path, GError **error);

/* Renames a file that failed validation to PATH.corrupt-TIMESTAMP, so that
 * it is kept for inspection but never read again. Logs what it did. */
void vcr_file_move_aside (const char *path, const char *reason);

G_END_DECLS
