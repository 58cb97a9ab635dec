/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stand-in for VyOS's /opt/vyatta/sbin/my_cli_bin in the guard tests: a
 * binary (a script would lose argv[0] to its interpreter) that writes its
 * argv, one element a line, to $VCR_FAKE_DIR/ran, whether it was given
 * VCR_APPLY_TOKEN to $VCR_FAKE_DIR/ran-token ("unset" or the value), and
 * exits with $VCR_FAKE_EXIT (default 0).
 */
#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  const char *dir = getenv ("VCR_FAKE_DIR");
  const char *code = getenv ("VCR_FAKE_EXIT");
  char path[4096];
  FILE *f;

  if (dir == NULL)
    return 99;
  snprintf (path, sizeof path, "%s/ran", dir);
  f = fopen (path, "w");
  if (f == NULL)
    return 98;
  for (int i = 0; i < argc; i++)
    fprintf (f, "%s\n", argv[i]);
  fclose (f);
  snprintf (path, sizeof path, "%s/ran-token", dir);
  f = fopen (path, "w");
  if (f == NULL)
    return 98;
  fprintf (f, "%s\n", getenv ("VCR_APPLY_TOKEN") != NULL ? getenv ("VCR_APPLY_TOKEN") : "unset");
  fclose (f);
  return code != NULL ? atoi (code) : 0;
}
