/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * getrandom(2), retried on EINTR and on short reads (see vcr-random.h).
 */
#define G_LOG_DOMAIN "vcr-random"

#include "vcr-random.h"

#include <errno.h>
#include <sys/random.h>

#include "vcr-error.h"

gboolean
vcr_random_bytes (guint8 *bytes, gsize length, GError **error)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = getrandom (bytes + done, length - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, VCR_ERROR, VCR_ERROR_FAILED, "getrandom: %s", g_strerror (saved));
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}
