/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The error table maps every code to its D-Bus name and back. */
#include "vcr-error.h"

static void
test_error_roundtrip (void)
{
  const VcrError codes[] = {
    VCR_ERROR_NOT_CONFIGURED, VCR_ERROR_WRONG_MODE, VCR_ERROR_INVALID_PATH,
    VCR_ERROR_INVALID_CONFIG, VCR_ERROR_INVALID_SETTINGS, VCR_ERROR_PEER_FAILED,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      const char *name = vcr_error_to_dbus_name (codes[i]);
      VcrError back = VCR_ERROR_FAILED;

      g_assert_nonnull (name);
      g_assert_true (g_str_has_prefix (name, VCR_DBUS_ERROR_PREFIX));
      g_assert_true (vcr_error_from_dbus_name (name, &back));
      g_assert_cmpint (back, ==, codes[i]);
    }
  g_assert_cmpstr (vcr_error_to_dbus_name (VCR_ERROR_WRONG_MODE), ==,
                   "org.vyos.ConfigReplication.Error.WrongMode");
}

static void
test_error_unknown (void)
{
  VcrError code = VCR_ERROR_FAILED;

  g_assert_null (vcr_error_to_dbus_name (VCR_ERROR_FAILED));
  g_assert_false (vcr_error_from_dbus_name ("org.freedesktop.DBus.Error.AccessDenied", &code));
  g_assert_false (vcr_error_from_dbus_name (VCR_DBUS_ERROR_PREFIX "Nope", &code));
  g_assert_false (vcr_error_from_dbus_name (NULL, &code));
  g_assert_cmpint (code, ==, VCR_ERROR_FAILED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/error/roundtrip", test_error_roundtrip);
  g_test_add_func ("/error/unknown", test_error_unknown);
  return g_test_run ();
}
