/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One table of named errors for the whole project. Every failure that can
 * reach a D-Bus caller, a peer or the client is a VCR_ERROR; the table maps
 * each code to its D-Bus name (org.vyos.ConfigReplication.Error.<Name>) and
 * back, so the daemon and the client never spell an error name twice.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VCR_ERROR (vcr_error_quark ())
#define VCR_DBUS_ERROR_PREFIX "org.vyos.ConfigReplication.Error."

typedef enum {
  VCR_ERROR_FAILED,            /* anything else (not sent as a named error) */
  VCR_ERROR_NOT_CONFIGURED,    /* no config-replication settings */
  VCR_ERROR_WRONG_MODE,        /* e.g. Push on a replica */
  VCR_ERROR_INVALID_PATH,      /* a path argument is empty or malformed */
  VCR_ERROR_INVALID_CONFIG,    /* a config that does not parse or render */
  VCR_ERROR_INVALID_SETTINGS,  /* config-replication settings refused */
  VCR_ERROR_PEER_FAILED,       /* a peer refused or could not be reached */
} VcrError;

GQuark vcr_error_quark (void);

/* "org.vyos.ConfigReplication.Error.NotConfigured", or NULL for
 * VCR_ERROR_FAILED and unknown codes. */
const char *vcr_error_to_dbus_name (VcrError code);

/* The code for a D-Bus error name; FALSE when the name is not ours. */
gboolean vcr_error_from_dbus_name (const char *name, VcrError *code);

/* g_strdup_vprintf(), made valid UTF-8: error messages quote words from
 * configs, which may be any bytes, and D-Bus and JSON carry only UTF-8. */
char *vcr_error_message_valist (const char *format, va_list args) G_GNUC_PRINTF (1, 0);

/* Sets @error to VCR_ERROR_PEER_FAILED with the message (made UTF-8) and
 * returns FALSE: how the readers of peer documents refuse. */
gboolean vcr_error_refuse_peer (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
