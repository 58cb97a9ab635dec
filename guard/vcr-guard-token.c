/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's own apply passes the commit guard with a per-apply token:
 * the vyos backend writes 32 random hex digits to a file only root may read
 * (/run/vyos-config-replication/apply-token, folder 0700), puts the same
 * digits into VCR_APPLY_TOKEN of its session, and removes the file when the
 * session ends. The guard reads the file as the committing user, so a user
 * who is not root can never pass this way, whatever VCR_APPLY_TOKEN says.
 *
 * The checks are made on what was opened (openat and fstat, no symlink
 * followed), not on names that could be swapped in between; the folder
 * must be root's and writable by no one else, the file root's and readable
 * by no one else; the comparison takes the same time wherever the first
 * difference is.
 */
#define G_LOG_DOMAIN "vcr-guard-token"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcr-guard.h"

#define MIN_TOKEN_SIZE 32
#define MAX_TOKEN_SIZE 256

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

/* The token file, opened safely; -1 when it is missing or not to be trusted. */
static int
open_token_file (void)
{
  g_autofree char *dir = g_path_get_dirname (guard_apply_token_file ());
  g_autofree char *name = g_path_get_basename (guard_apply_token_file ());
  __attribute__((cleanup (close_fd))) int dfd = -1;
  int fd;
  struct stat st;

  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0 || fstat (dfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022) != 0)
    return -1;
  fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != 0 ||
      (st.st_mode & 077) != 0 || st.st_size > MAX_TOKEN_SIZE)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Equal lengths and bytes, in time that depends on the length only. */
static gboolean
same_secret (const char *a, gsize a_len, const char *b, gsize b_len)
{
  guchar diff = a_len != b_len;

  for (gsize i = 0; i < a_len && i < b_len; i++)
    diff |= (guchar) (a[i] ^ b[i]);
  return diff == 0;
}

gboolean
guard_is_own_apply (void)
{
  const char *token = g_getenv ("VCR_APPLY_TOKEN");
  __attribute__((cleanup (close_fd))) int fd = -1;
  char buf[MAX_TOKEN_SIZE + 1];
  gsize len = 0;

  if (token == NULL || strlen (token) < MIN_TOKEN_SIZE || strlen (token) > MAX_TOKEN_SIZE)
    return FALSE;
  fd = open_token_file ();
  if (fd < 0)
    return FALSE;
  while (len < sizeof buf)
    {
      ssize_t n = read (fd, buf + len, sizeof buf - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      len += (gsize) n;
    }
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  if (len < MIN_TOKEN_SIZE || len > MAX_TOKEN_SIZE)
    return FALSE;
  return same_secret (buf, len, token, strlen (token));
}
