/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CheckCommit on the bus: the proposed config arrives as a file
 * descriptor, a regular file (local and bounded: read at once) or a pipe
 * (read from the loop, never blocking it), at most
 * VCR_CHECK_COMMIT_MAX_SIZE bytes; it is parsed, handed to the daemon's
 * check, and its violations are the reply.
 */
#define G_LOG_DOMAIN "vcr-bus"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcr-bus-private.h"
#include "vcr-error.h"

typedef struct {
  VcrBusObject *self;
  sd_bus_message *call;
  GInputStream *stream;
  GByteArray *data;
  char *origin;
} CheckCommit;

static void
check_commit_free (CheckCommit *cc)
{
  sd_bus_message_unref (cc->call);
  g_clear_object (&cc->stream);
  g_clear_pointer (&cc->data, g_byte_array_unref);
  g_free (cc->origin);
  g_free (cc);
}

static void
check_commit_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CheckCommit *cc = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) violations =
    vcr_daemon_check_commit_finish (VCR_DAEMON (source), result, &error);
  g_autoptr(sd_bus_message) reply = NULL;
  int r;

  if (violations == NULL)
    {
      vcr_bus_log_reply (cc->call, vcr_bus_reply_error (cc->call, error));
      check_commit_free (cc);
      return;
    }
  r = sd_bus_message_new_method_return (cc->call, &reply);
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'a', "(ss)");
  for (guint i = 0; r >= 0 && i < violations->len; i++)
    {
      VcrViolation *v = g_ptr_array_index (violations, i);
      r = sd_bus_message_append (reply, "(ss)", v->replicate_path, v->message);
    }
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r >= 0)
    r = sd_bus_send (NULL, reply, NULL);
  vcr_bus_log_reply (cc->call, r);
  check_commit_free (cc);
}

/* The whole proposed config has arrived: parse it and ask the daemon. */
static void
check_commit_parse (CheckCommit *cc)
{
  g_autoptr(GError) error = NULL;
  VcrTree *tree = vcr_tree_parse ((const char *) cc->data->data, cc->data->len,
                                  VCR_PARSE_DEFAULT, cc->origin, &error);
  if (tree == NULL)
    {
      if (!g_error_matches (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG))
        {
          g_autoptr(GError) wrapped = g_error_new (VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                                                   "%s: %s", cc->origin, error->message);
          vcr_bus_log_reply (cc->call, vcr_bus_reply_error (cc->call, wrapped));
        }
      else
        vcr_bus_log_reply (cc->call, vcr_bus_reply_error (cc->call, error));
      check_commit_free (cc);
      return;
    }
  vcr_daemon_check_commit_async (cc->self->daemon, tree, check_commit_done, cc);
}

static void
check_commit_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CheckCommit *cc = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (cc->stream, result, &error);

  if (bytes == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%s: cannot read: %s", cc->origin, error->message);
      vcr_bus_log_reply (cc->call, vcr_bus_reply_invalid (cc->call, VCR_ERROR_INVALID_CONFIG, msg));
      check_commit_free (cc);
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      check_commit_parse (cc);
      return;
    }
  if (cc->data->len + g_bytes_get_size (bytes) > VCR_CHECK_COMMIT_MAX_SIZE)
    {
      g_autofree char *msg = g_strdup_printf ("%s: larger than %d bytes", cc->origin,
                                              VCR_CHECK_COMMIT_MAX_SIZE);
      vcr_bus_log_reply (cc->call, vcr_bus_reply_invalid (cc->call, VCR_ERROR_INVALID_CONFIG, msg));
      check_commit_free (cc);
      return;
    }
  g_byte_array_append (cc->data, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (cc->stream, 1024 * 1024, G_PRIORITY_DEFAULT, NULL,
                                   check_commit_read, cc);
}

/* A regular file is local and bounded: read it at once (a 1 MB config
 * takes well under a millisecond). */
static gboolean
read_regular (int fd, gsize size, GByteArray *data, GError **error)
{
  g_byte_array_set_size (data, size);
  gsize done = 0;
  while (done < size)
    {
      ssize_t n = pread (fd, data->data + done, size - done, (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_CONFIG,
                       "cannot read: %s", g_strerror (errno));
          return FALSE;
        }
      if (n == 0)
        break;   /* shrank meanwhile */
      done += (gsize) n;
    }
  g_byte_array_set_size (data, done);
  return TRUE;
}

static char *
fd_origin (int fd, gboolean regular)
{
  g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fd);
  g_autofree char *target = regular ? g_file_read_link (link, NULL) : NULL;
  return target != NULL && target[0] == '/' ? g_steal_pointer (&target)
                                            : g_strdup ("proposed config");
}

int
vcr_bus_method_check_commit (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  CheckCommit *cc;
  struct stat st;
  int fd = -1, own;
  int r;

  r = sd_bus_message_read (m, "h", &fd);
  if (r < 0)
    return r;
  if (fstat (fd, &st) < 0)
    return vcr_bus_reply_invalid (m, VCR_ERROR_INVALID_CONFIG, "The file descriptor cannot be examined");
  if (!S_ISREG (st.st_mode) && !S_ISFIFO (st.st_mode))
    return vcr_bus_reply_invalid (m, VCR_ERROR_INVALID_CONFIG,
                          "The proposed config must be a regular file or a pipe");
  if (S_ISREG (st.st_mode) && st.st_size > VCR_CHECK_COMMIT_MAX_SIZE)
    return vcr_bus_reply_invalid (m, VCR_ERROR_INVALID_CONFIG, "The proposed config is too large");

  cc = g_new0 (CheckCommit, 1);
  cc->self = self;
  cc->call = sd_bus_message_ref (m);
  cc->data = g_byte_array_new ();
  cc->origin = fd_origin (fd, S_ISREG (st.st_mode));
  if (S_ISREG (st.st_mode))
    {
      g_autoptr(GError) error = NULL;
      if (!read_regular (fd, (gsize) st.st_size, cc->data, &error))
        {
          g_prefix_error (&error, "%s: ", cc->origin);
          r = vcr_bus_reply_error (m, error);
          check_commit_free (cc);
          return r;
        }
      check_commit_parse (cc);
      return 1;
    }
  /* A pipe may be slow: read it from the loop, keeping our own copy of the
   * fd (the message owns the one it carries). */
  own = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (own < 0)
    {
      check_commit_free (cc);
      return -errno;
    }
  cc->stream = g_unix_input_stream_new (own, TRUE);
  g_input_stream_read_bytes_async (cc->stream, 1024 * 1024, G_PRIORITY_DEFAULT, NULL,
                                   check_commit_read, cc);
  return 1;
}

