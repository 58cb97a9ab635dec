/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Random bytes for the peer protocol (request nonces, protocol v2's
 * content keys and IVs) from getrandom(2): g_random_* is not a
 * cryptographic source. The pure code in lib/ takes them as arguments.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fills @bytes with @length random bytes; FALSE with VCR_ERROR_FAILED
 * when the kernel has none to give. */
gboolean vcr_random_bytes (guint8 *bytes, gsize length, GError **error);

G_END_DECLS
