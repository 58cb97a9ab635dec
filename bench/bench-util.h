/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the benchmark programs share: reading their own memory figures.
 */
#pragma once

#include <glib.h>
#include <stdlib.h>
#include <string.h>

/* A field of /proc/self/status ("VmRSS:", "VmHWM:"), in KiB, or -1. */
static inline long
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *at;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  at = strstr (status, field);
  if (at == NULL)
    return -1;
  return strtol (at + strlen (field), NULL, 10);
}
