/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CheckCommit on the bus. Any local user may call it with a descriptor of
 * their choosing, so every call is bounded (vcr-bus-object.h): calls in
 * flight per connection and in total (LimitsExceeded beyond), the read's
 * deadline, the bytes all calls hold together. The descriptor is read and
 * parsed in a worker (vcr-proposed-read.h), never on the main loop; the
 * caller's user is asked of the bus meanwhile, because refusals of callers
 * other than root are recorded apart (vcr-history.h). A caller that leaves
 * the bus has its reads cancelled at once. The descriptor belongs to the
 * call's message, which is dropped when the call ends, on every path: the
 * daemon keeps no descriptor of a call that ended.
 */
#define G_LOG_DOMAIN "vcr-bus"

#include "config.h"

#include <sys/stat.h>

#include "vcr-bus-private.h"
#include "vcr-error.h"
#include "vcr-memory.h"
#include "vcr-proposed-read.h"

/* The calls in flight of one connection, and its NameOwnerChanged match
 * (only while it has some). */
typedef struct {
  VcrBusObject *self;
  char *name;
  sd_bus_slot *match;
  GPtrArray *calls;         /* of CheckCommit* */
} Sender;

typedef struct {
  Sender *sender;
  sd_bus_message *call;     /* holds the caller's descriptor */
  GCancellable *cancellable;
  char *origin;
  VcrSettings *settings;    /* in force when the call came; nullable */
  guint waiting;            /* the worker's read and the user's lookup */
  gboolean privileged;      /* the caller is root */
  GHashTable *digests;      /* what the worker made of the proposed config */
  gsize reserved;           /* bytes of the budget held until the end */
  GError *error;
} CheckCommit;

static void
sender_free (Sender *sender)
{
  sd_bus_slot_unref (sender->match);
  g_ptr_array_unref (sender->calls);
  g_free (sender->name);
  g_free (sender);
}

void
vcr_bus_check_commit_init (VcrBusObject *self)
{
  self->check_senders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                               (GDestroyNotify) sender_free);
  self->check_budget = VCR_CHECK_COMMIT_MAX_BUFFERED;
}

void
vcr_bus_check_commit_clear (VcrBusObject *self)
{
  g_clear_pointer (&self->check_senders, g_hash_table_unref);
}

/* The call is over (replied or not): its slot, its bytes and, with its
 * message, the caller's descriptor go. */
static void
check_commit_end (CheckCommit *cc)
{
  Sender *sender = cc->sender;
  VcrBusObject *self = sender->self;

  g_ptr_array_remove_fast (sender->calls, cc);
  if (sender->calls->len == 0)
    g_hash_table_remove (self->check_senders, sender->name);
  self->check_total--;
  vcr_proposed_release (&self->check_budget, cc->reserved);
  /* what the read held (megabytes, maybe) goes back once calls pause */
  vcr_memory_release_later ();
  g_clear_pointer (&cc->digests, g_hash_table_unref);
  g_clear_pointer (&cc->settings, vcr_settings_unref);
  g_clear_error (&cc->error);
  g_object_unref (cc->cancellable);
  sd_bus_message_unref (cc->call);
  g_free (cc->origin);
  g_free (cc);
}

static void
reply_error (CheckCommit *cc, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    vcr_bus_log_reply (cc->call, sd_bus_reply_method_errorf (cc->call,
                                                             SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                             "%s", error->message));
  else
    vcr_bus_log_reply (cc->call, vcr_bus_reply_error (cc->call, error));
}

static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CheckCommit *cc = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) violations =
    vcr_daemon_check_commit_finish (VCR_DAEMON (source), result, &error);
  g_autoptr(sd_bus_message) reply = NULL;
  int r;

  if (violations == NULL)
    {
      reply_error (cc, error);
      check_commit_end (cc);
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
  check_commit_end (cc);
}

/* Once both the read and the user's lookup are back. */
static void
check_commit_step (CheckCommit *cc)
{
  if (--cc->waiting > 0)
    return;
  if (cc->digests == NULL)
    {
      reply_error (cc, cc->error);
      check_commit_end (cc);
      return;
    }
  vcr_daemon_check_commit_async (cc->sender->self->daemon, cc->settings,
                                 g_steal_pointer (&cc->digests), cc->privileged,
                                 check_done, cc);
}

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CheckCommit *cc = user_data;

  cc->digests = vcr_proposed_read_finish (result, &cc->reserved, &cc->error);
  check_commit_step (cc);
}

/* The caller's user, from the bus daemon. A caller that is gone already
 * cannot be answered: its read is cancelled. */
static int
uid_done (sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  CheckCommit *cc = userdata;
  uint32_t uid = G_MAXUINT32;

  if (sd_bus_message_get_error (reply) != NULL || sd_bus_message_read (reply, "u", &uid) < 0)
    g_cancellable_cancel (cc->cancellable);
  cc->privileged = uid == 0;
  check_commit_step (cc);
  return 0;
}

/* NameOwnerChanged for a connection with calls in flight: when it left,
 * its reads stop now rather than at their deadline. */
static int
sender_changed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  Sender *sender = userdata;
  const char *name = NULL, *old_owner = NULL, *new_owner = NULL;

  if (sd_bus_message_read (m, "sss", &name, &old_owner, &new_owner) < 0 ||
      g_strcmp0 (name, sender->name) != 0 || (new_owner != NULL && *new_owner != '\0'))
    return 0;
  g_debug ("%s left the bus: cancelling its %u CheckCommit calls", name, sender->calls->len);
  for (guint i = 0; i < sender->calls->len; i++)
    g_cancellable_cancel (((CheckCommit *) g_ptr_array_index (sender->calls, i))->cancellable);
  return 0;
}

static int
match_installed (sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  const sd_bus_error *e = sd_bus_message_get_error (reply);

  /* Without the match a read that lost its caller ends at its deadline. */
  if (e != NULL)
    g_warning ("Cannot watch %s on the bus: %s, ignoring", ((Sender *) userdata)->name,
               e->message);
  return 0;
}

/* The record of @name's calls; NULL when it has its share in flight or
 * all calls together have theirs (@why says which). */
static Sender *
admit (VcrBusObject *self, sd_bus *bus, const char *name, const char **why)
{
  Sender *sender = g_hash_table_lookup (self->check_senders, name);
  g_autofree char *rule = NULL;

  if (sender != NULL && sender->calls->len >= VCR_CHECK_COMMIT_MAX_PER_SENDER)
    {
      *why = "this connection has as many CheckCommit calls in flight as it may";
      return NULL;
    }
  if (self->check_total >= VCR_CHECK_COMMIT_MAX_TOTAL)
    {
      *why = "the daemon has as many CheckCommit calls in flight as it takes; try again";
      return NULL;
    }
  if (sender != NULL)
    return sender;
  sender = g_new0 (Sender, 1);
  sender->self = self;
  sender->name = g_strdup (name);
  sender->calls = g_ptr_array_new ();
  g_hash_table_insert (self->check_senders, sender->name, sender);
  /* Asked before the user's lookup: a caller that leaves before the match
   * is in place fails the lookup instead. */
  rule = g_strdup_printf ("type='signal',sender='org.freedesktop.DBus',"
                          "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
                          "member='NameOwnerChanged',arg0='%s'", name);
  if (*name == ':' && sd_bus_add_match_async (bus, &sender->match, rule, sender_changed,
                                              match_installed, sender) < 0)
    g_warning ("Cannot watch %s on the bus, ignoring", name);
  return sender;
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
  sd_bus *bus = sd_bus_message_get_bus (m);
  const char *name = sd_bus_message_get_sender (m);
  VcrProposedLimits limits = { VCR_CHECK_COMMIT_MAX_SIZE, 0, &self->check_budget };
  const char *why = NULL;
  CheckCommit *cc;
  Sender *sender;
  struct stat st;
  int fd = -1, r;

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
  sender = admit (self, bus, name != NULL ? name : "", &why);
  if (sender == NULL)
    {
      g_debug ("CheckCommit of %s refused: %s", name, why);
      return sd_bus_reply_method_errorf (m, SD_BUS_ERROR_LIMITS_EXCEEDED, "%s", why);
    }

  cc = g_new0 (CheckCommit, 1);
  cc->sender = sender;
  cc->call = sd_bus_message_ref (m);
  cc->cancellable = g_cancellable_new ();
  cc->origin = fd_origin (fd, S_ISREG (st.st_mode));
  cc->settings = vcr_daemon_get_settings (self->daemon);
  if (cc->settings != NULL)
    vcr_settings_ref (cc->settings);
  cc->waiting = 2;
  g_ptr_array_add (sender->calls, cc);
  self->check_total++;
  if (name == NULL || sd_bus_call_method_async (bus, NULL, "org.freedesktop.DBus",
                                                "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                                "GetConnectionUnixUser", uid_done, cc,
                                                "s", name) < 0)
    cc->waiting--;   /* no user to ask of: not root */
  limits.deadline = g_get_monotonic_time () + VCR_CHECK_COMMIT_TIMEOUT_S * G_TIME_SPAN_SECOND;
  vcr_proposed_read_async (fd, S_ISREG (st.st_mode), (gsize) st.st_size, cc->origin,
                           cc->settings, &limits, cc->cancellable, read_done, cc);
  return 1;
}
