/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 as 64 lowercase hex digits: the CPU's SHA extensions when it has
 * them, GLib's GChecksum otherwise (same result; see vcr-sha256.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The hex SHA-256 of @length bytes at @data (NULL only when @length is 0). */
char *vcr_sha256_hex (const void *data, gsize length);

/* The same through GLib's GChecksum, whatever the CPU (tests compare). */
char *vcr_sha256_hex_portable (const void *data, gsize length);

/* TRUE when vcr_sha256_hex() runs on the CPU's SHA extensions. */
gboolean vcr_sha256_is_accelerated (void);

G_END_DECLS
