/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The error table: VcrError codes and their D-Bus names, both directions.
 */
#define G_LOG_DOMAIN "vcr-error"

#include "vcr-error.h"

#include <string.h>

G_DEFINE_QUARK (vcr-error-quark, vcr_error)

static const struct {
  VcrError code;
  const char *name;
} error_names[] = {
  { VCR_ERROR_NOT_CONFIGURED, VCR_DBUS_ERROR_PREFIX "NotConfigured" },
  { VCR_ERROR_WRONG_MODE, VCR_DBUS_ERROR_PREFIX "WrongMode" },
  { VCR_ERROR_INVALID_PATH, VCR_DBUS_ERROR_PREFIX "InvalidPath" },
  { VCR_ERROR_INVALID_CONFIG, VCR_DBUS_ERROR_PREFIX "InvalidConfig" },
  { VCR_ERROR_INVALID_SETTINGS, VCR_DBUS_ERROR_PREFIX "InvalidSettings" },
  { VCR_ERROR_PEER_FAILED, VCR_DBUS_ERROR_PREFIX "PeerFailed" },
};

const char *
vcr_error_to_dbus_name (VcrError code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_names); i++)
    if (error_names[i].code == code)
      return error_names[i].name;
  return NULL;
}

gboolean
vcr_error_from_dbus_name (const char *name, VcrError *code)
{
  g_return_val_if_fail (code != NULL, FALSE);

  if (name == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (error_names); i++)
    if (strcmp (error_names[i].name, name) == 0)
      {
        *code = error_names[i].code;
        return TRUE;
      }
  return FALSE;
}

char *
vcr_error_message_valist (const char *format, va_list args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  if (g_utf8_validate (message, -1, NULL))
    return g_steal_pointer (&message);
  return g_utf8_make_valid (message, -1);
}

gboolean
vcr_error_refuse_peer (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = vcr_error_message_valist (format, args);
  va_end (args);
  g_set_error_literal (error, VCR_ERROR, VCR_ERROR_PEER_FAILED, message);
  return FALSE;
}
