/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sd-bus vtable of org.vyos.ConfigReplication (see vcr-bus-object.h).
 * Order in every handler: check the arguments, authorize (polkit, async),
 * act (the daemon, async), reply. Handlers that reply later keep a
 * reference on the call and return 1. CheckCommit, which reads a file
 * descriptor first, is vcr-bus-check-commit.c.
 */
#define G_LOG_DOMAIN "vcr-bus"

#include "config.h"

#include "vcr-bus-private.h"
#include "vcr-bus-source.h"
#include "vcr-error.h"
#include "vcr-polkit.h"

/* ---- Replies ---------------------------------------------------------- */

int
vcr_bus_reply_error (sd_bus_message *m, const GError *error)
{
  const char *name = NULL;

  if (error->domain == VCR_ERROR)
    name = vcr_error_to_dbus_name (error->code);
  if (name == NULL)
    name = SD_BUS_ERROR_FAILED;
  g_debug ("%s from %s: %s: %s", sd_bus_message_get_member (m),
           sd_bus_message_get_sender (m), name, error->message);
  return sd_bus_reply_method_errorf (m, name, "%s", error->message);
}

int
vcr_bus_reply_invalid (sd_bus_message *m, VcrError code, const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (VCR_ERROR, code, message);
  return vcr_bus_reply_error (m, error);
}

/* Replies that are sent later cannot hand their failure back to sd-bus:
 * log it instead. */
void
vcr_bus_log_reply (sd_bus_message *m, int r)
{
  if (r < 0)
    g_warning ("Cannot reply to %s: %s, ignoring", sd_bus_message_get_member (m),
               g_strerror (-r));
}

/* ---- IsPathManaged ---------------------------------------------------- */

static int
method_is_path_managed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  g_autoptr(GError) error = NULL;
  const char *replicate_path = NULL;
  gboolean managed = FALSE;
  int r;

  /* The words point into the message: no copies. One word past the limit
   * is enough for the daemon to refuse; the rest is never looked at. */
  g_ptr_array_set_size (self->words, 0);
  r = sd_bus_message_enter_container (m, 'a', "s");
  if (r < 0)
    return r;
  while (self->words->len <= VCR_PATH_MANAGED_MAX_WORDS)
    {
      const char *word;
      r = sd_bus_message_read_basic (m, 's', &word);
      if (r < 0)
        return r;
      if (r == 0)
        break;
      g_ptr_array_add (self->words, (gpointer) word);
    }
  if (self->words->len <= VCR_PATH_MANAGED_MAX_WORDS)
    {
      r = sd_bus_message_exit_container (m);
      if (r < 0)
        return r;
    }
  g_ptr_array_add (self->words, NULL);
  if (!vcr_daemon_is_path_managed (self->daemon, (const char *const *) self->words->pdata,
                                   &managed, &replicate_path, &error))
    return vcr_bus_reply_error (m, error);
  return sd_bus_reply_method_return (m, "bs", managed,
                                     replicate_path != NULL ? replicate_path : "");
}

/* ---- Push, Pull, Reload, Preview (polkit) ----------------------------- */

typedef enum { OP_PUSH, OP_PULL, OP_RELOAD, OP_PREVIEW } Op;

typedef struct {
  VcrBusObject *self;
  Op op;
} OpCall;

static void
push_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(sd_bus_message) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = vcr_daemon_push_finish (VCR_DAEMON (source), result, &error);
  g_autoptr(sd_bus_message) reply = NULL;
  int r;

  if (results == NULL)
    {
      vcr_bus_log_reply (call, vcr_bus_reply_error (call, error));
      return;
    }
  r = sd_bus_message_new_method_return (call, &reply);
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'a', "(sbts)");
  for (guint i = 0; r >= 0 && i < results->len; i++)
    {
      VcrPushResult *pr = g_ptr_array_index (results, i);
      r = sd_bus_message_append (reply, "(sbts)", pr->replica, pr->ok,
                                 pr->generation, pr->message);
    }
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r >= 0)
    r = sd_bus_send (NULL, reply, NULL);
  vcr_bus_log_reply (call, r);
}

static void
pull_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(sd_bus_message) call = user_data;
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;
  guint64 generation = 0;

  if (!vcr_daemon_pull_finish (VCR_DAEMON (source), result, &changed, &generation, &error))
    vcr_bus_log_reply (call, vcr_bus_reply_error (call, error));
  else
    vcr_bus_log_reply (call, sd_bus_reply_method_return (call, "bt", changed, generation));
}

static void
preview_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(sd_bus_message) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = vcr_daemon_preview_finish (VCR_DAEMON (source), result, &error);
  g_autoptr(sd_bus_message) reply = NULL;
  int r;

  if (results == NULL)
    {
      vcr_bus_log_reply (call, vcr_bus_reply_error (call, error));
      return;
    }
  r = sd_bus_message_new_method_return (call, &reply);
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'a', "(sas)");
  for (guint i = 0; r >= 0 && i < results->len; i++)
    {
      VcrPreviewResult *pr = g_ptr_array_index (results, i);

      r = sd_bus_message_open_container (reply, 'r', "sas");
      if (r >= 0)
        r = sd_bus_message_append (reply, "s", pr->replica);
      if (r >= 0)
        r = sd_bus_message_append_strv (reply, pr->commands);
      if (r >= 0)
        r = sd_bus_message_close_container (reply);
    }
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r >= 0)
    r = sd_bus_send (NULL, reply, NULL);
  vcr_bus_log_reply (call, r);
}

static void
reload_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(sd_bus_message) call = user_data;
  g_autoptr(GError) error = NULL;

  if (!vcr_daemon_reload_finish (VCR_DAEMON (source), result, &error))
    vcr_bus_log_reply (call, vcr_bus_reply_error (call, error));
  else
    vcr_bus_log_reply (call, sd_bus_reply_method_return (call, ""));
}

static void
authorized_cb (sd_bus_message *call, gboolean allowed, const sd_bus_error *error,
               gpointer user_data)
{
  g_autofree OpCall *oc = user_data;
  VcrDaemon *daemon = oc->self->daemon;

  if (error != NULL)
    {
      vcr_bus_log_reply (call, sd_bus_reply_method_errorf (call, SD_BUS_ERROR_ACCESS_DENIED,
                                                          "Authorization failed: %s",
                                                          error->message));
      return;
    }
  if (!allowed)
    {
      g_message ("%s by %s refused by polkit", sd_bus_message_get_member (call),
                 sd_bus_message_get_sender (call));
      vcr_bus_log_reply (call, sd_bus_reply_method_errorf (call, SD_BUS_ERROR_ACCESS_DENIED,
                                                          "Not authorized to %s",
                                                          sd_bus_message_get_member (call)));
      return;
    }
  switch (oc->op)
    {
    case OP_PUSH:
      vcr_daemon_push_async (daemon, push_done, sd_bus_message_ref (call));
      break;
    case OP_PULL:
      vcr_daemon_pull_async (daemon, pull_done, sd_bus_message_ref (call));
      break;
    case OP_RELOAD:
      vcr_daemon_reload_async (daemon, reload_done, sd_bus_message_ref (call));
      break;
    case OP_PREVIEW:
      vcr_daemon_preview_async (daemon, preview_done, sd_bus_message_ref (call));
      break;
    default:
      g_assert_not_reached ();
    }
}

static int
authorize_then (sd_bus_message *m, VcrBusObject *self, Op op)
{
  OpCall *oc = g_new0 (OpCall, 1);
  int r;

  oc->self = self;
  oc->op = op;
  r = vcr_polkit_check_async (m, VCR_POLKIT_ACTION, authorized_cb, oc);
  if (r < 0)
    {
      g_free (oc);
      return sd_bus_reply_method_errorf (m, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Cannot ask polkit: %s", g_strerror (-r));
    }
  return 1;
}

static int
method_push (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  return authorize_then (m, userdata, OP_PUSH);
}

static int
method_pull (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  return authorize_then (m, userdata, OP_PULL);
}

static int
method_reload (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  return authorize_then (m, userdata, OP_RELOAD);
}

/* Preview answers with config values (keys, password hashes): polkit
 * `manage`, like Push, not open to anyone like Verify. */
static int
method_preview (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  return authorize_then (m, userdata, OP_PREVIEW);
}

/* ---- Verify, GetHistory ----------------------------------------------- */

static void
verify_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(sd_bus_message) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = vcr_daemon_verify_finish (VCR_DAEMON (source), result, &error);
  g_autoptr(sd_bus_message) reply = NULL;
  int r;

  if (results == NULL)
    {
      vcr_bus_log_reply (call, vcr_bus_reply_error (call, error));
      return;
    }
  r = sd_bus_message_new_method_return (call, &reply);
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'a', "(ssb)");
  for (guint i = 0; r >= 0 && i < results->len; i++)
    {
      VcrVerifyResult *vr = g_ptr_array_index (results, i);
      r = sd_bus_message_append (reply, "(ssb)", vr->peer, vr->replicate_path, vr->in_sync);
    }
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r >= 0)
    r = sd_bus_send (NULL, reply, NULL);
  vcr_bus_log_reply (call, r);
}

static int
method_verify (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  vcr_daemon_verify_async (self->daemon, verify_done, sd_bus_message_ref (m));
  return 1;
}

static int
append_strv (sd_bus_message *reply, char *const *strv)
{
  return sd_bus_message_append_strv (reply, (char **) strv);
}

static int
append_event (sd_bus_message *reply, const VcrEvent *e)
{
  int r = sd_bus_message_open_container (reply, 'a', "{sv}");
  if (r >= 0)
    r = sd_bus_message_append (reply, "{sv}{sv}{sv}{sv}",
                               "time", "t", (uint64_t) e->time_us,
                               "event", "s", e->event,
                               "peer", "s", e->peer,
                               "generation", "t", e->generation);
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'e', "sv");
  if (r >= 0)
    r = sd_bus_message_append (reply, "s", "paths");
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'v', "as");
  if (r >= 0)
    r = append_strv (reply, e->paths);
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r >= 0)
    r = sd_bus_message_append (reply, "{sv}", "result", "s", e->result);
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  return r;
}

static int
method_get_history (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(GPtrArray) events = NULL;
  uint32_t max = 0;
  int r;

  r = sd_bus_message_read (m, "u", &max);
  if (r < 0)
    return r;
  events = vcr_daemon_get_history (self->daemon, max);
  r = sd_bus_message_new_method_return (m, &reply);
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'a', "a{sv}");
  for (guint i = 0; r >= 0 && i < events->len; i++)
    r = append_event (reply, g_ptr_array_index (events, i));
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r < 0)
    return r;
  return sd_bus_send (NULL, reply, NULL);
}

/* ---- Properties ------------------------------------------------------- */

static int
get_mode (sd_bus *bus, const char *path, const char *interface, const char *property,
          sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  return sd_bus_message_append (reply, "s", vcr_mode_to_string (vcr_daemon_get_mode (self->daemon)));
}

static int
get_state (sd_bus *bus, const char *path, const char *interface, const char *property,
           sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  return sd_bus_message_append (reply, "s", vcr_daemon_get_state (self->daemon));
}

static int
get_replicated_paths (sd_bus *bus, const char *path, const char *interface,
                      const char *property, sd_bus_message *reply, void *userdata,
                      sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  return append_strv (reply, (char *const *) vcr_daemon_get_replicated_paths (self->daemon));
}

static int
get_generation (sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  return sd_bus_message_append (reply, "t", vcr_daemon_get_generation (self->daemon));
}

static int
get_peers (sd_bus *bus, const char *path, const char *interface, const char *property,
           sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  GPtrArray *peers = vcr_daemon_get_peers (self->daemon);
  int r = sd_bus_message_open_container (reply, 'a', "(ssstts)");

  for (guint i = 0; r >= 0 && i < peers->len; i++)
    {
      VcrPeerStatus *p = g_ptr_array_index (peers, i);
      r = sd_bus_message_append (reply, "(ssstts)", p->name, p->address, p->state,
                                 p->acknowledged, (uint64_t) MAX (p->last_success, 0),
                                 p->last_error);
    }
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  return r;
}

static int
get_listen_address (sd_bus *bus, const char *path, const char *interface,
                    const char *property, sd_bus_message *reply, void *userdata,
                    sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  return sd_bus_message_append (reply, "s", vcr_daemon_get_listen_address (self->daemon));
}

static int
get_warnings (sd_bus *bus, const char *path, const char *interface, const char *property,
              sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  VcrBusObject *self = userdata;
  g_auto(GStrv) warnings = vcr_daemon_get_warnings (self->daemon);
  int r = sd_bus_message_open_container (reply, 'a', "s");

  for (guint i = 0; r >= 0 && warnings[i] != NULL; i++)
    r = sd_bus_message_append (reply, "s", warnings[i]);
  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  return r;
}

static int
get_version (sd_bus *bus, const char *path, const char *interface, const char *property,
             sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  return sd_bus_message_append (reply, "s", PACKAGE_VERSION);
}

static const sd_bus_vtable vcr_vtable[] = {
  SD_BUS_VTABLE_START (0),
  SD_BUS_METHOD_WITH_ARGS ("IsPathManaged",
                           SD_BUS_ARGS ("as", path),
                           SD_BUS_RESULT ("b", managed, "s", replicate_path),
                           method_is_path_managed, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS ("CheckCommit",
                           SD_BUS_ARGS ("h", proposed_config),
                           SD_BUS_RESULT ("a(ss)", violations),
                           vcr_bus_method_check_commit, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS ("Push",
                           SD_BUS_NO_ARGS,
                           SD_BUS_RESULT ("a(sbts)", results),
                           method_push, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS ("Pull",
                           SD_BUS_NO_ARGS,
                           SD_BUS_RESULT ("b", changed, "t", generation),
                           method_pull, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS ("Preview",
                           SD_BUS_NO_ARGS,
                           SD_BUS_RESULT ("a(sas)", results),
                           method_preview, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS ("Verify",
                           SD_BUS_NO_ARGS,
                           SD_BUS_RESULT ("a(ssb)", results),
                           method_verify, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS ("Reload",
                           SD_BUS_NO_ARGS,
                           SD_BUS_NO_RESULT,
                           method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS ("GetHistory",
                           SD_BUS_ARGS ("u", max),
                           SD_BUS_RESULT ("aa{sv}", events),
                           method_get_history, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_SIGNAL_WITH_ARGS ("PushFinished",
                           SD_BUS_ARGS ("s", replica, "b", ok, "t", generation, "s", message),
                           0),
  SD_BUS_SIGNAL_WITH_ARGS ("PullFinished",
                           SD_BUS_ARGS ("b", ok, "t", generation, "s", message),
                           0),
  SD_BUS_SIGNAL_WITH_ARGS ("SnapshotApplied",
                           SD_BUS_ARGS ("t", generation, "as", paths, "s", origin),
                           0),
  SD_BUS_SIGNAL_WITH_ARGS ("CommitRefused",
                           SD_BUS_ARGS ("as", replicate_paths),
                           0),
  SD_BUS_PROPERTY ("Mode", "s", get_mode, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("ReplicatedPaths", "as", get_replicated_paths, 0,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("Generation", "t", get_generation, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("Peers", "a(ssstts)", get_peers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("ListenAddress", "s", get_listen_address, 0,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("Warnings", "as", get_warnings, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("Version", "s", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_VTABLE_END
};

/* ---- Daemon signals → bus --------------------------------------------- */

static void
on_property_changed (VcrDaemon *daemon, const char *property, VcrBusObject *self)
{
  int r = sd_bus_emit_properties_changed (self->bus, VCR_BUS_PATH, VCR_BUS_INTERFACE,
                                          property, NULL);
  if (r < 0)
    g_warning ("Cannot emit PropertiesChanged for %s: %s, ignoring", property, g_strerror (-r));
}

static void
on_commit_refused (VcrDaemon *daemon, GStrv paths, VcrBusObject *self)
{
  g_autoptr(sd_bus_message) sig = NULL;
  int r = sd_bus_message_new_signal (self->bus, &sig, VCR_BUS_PATH, VCR_BUS_INTERFACE,
                                     "CommitRefused");
  if (r >= 0)
    r = append_strv (sig, paths);
  if (r >= 0)
    r = sd_bus_send (self->bus, sig, NULL);
  if (r < 0)
    g_warning ("Cannot emit CommitRefused: %s, ignoring", g_strerror (-r));
}

static void
on_push_finished (VcrDaemon *daemon, const char *replica, gboolean ok, guint64 generation,
                  const char *message, VcrBusObject *self)
{
  int r = sd_bus_emit_signal (self->bus, VCR_BUS_PATH, VCR_BUS_INTERFACE, "PushFinished",
                              "sbts", replica, ok, generation, message);
  if (r < 0)
    g_warning ("Cannot emit PushFinished: %s, ignoring", g_strerror (-r));
}

static void
on_pull_finished (VcrDaemon *daemon, gboolean ok, guint64 generation, const char *message,
                  VcrBusObject *self)
{
  int r = sd_bus_emit_signal (self->bus, VCR_BUS_PATH, VCR_BUS_INTERFACE, "PullFinished",
                              "bts", ok, generation, message);
  if (r < 0)
    g_warning ("Cannot emit PullFinished: %s, ignoring", g_strerror (-r));
}

static void
on_snapshot_applied (VcrDaemon *daemon, guint64 generation, GStrv paths, const char *origin,
                     VcrBusObject *self)
{
  g_autoptr(sd_bus_message) sig = NULL;
  int r = sd_bus_message_new_signal (self->bus, &sig, VCR_BUS_PATH, VCR_BUS_INTERFACE,
                                     "SnapshotApplied");
  if (r >= 0)
    r = sd_bus_message_append (sig, "t", generation);
  if (r >= 0)
    r = append_strv (sig, paths);
  if (r >= 0)
    r = sd_bus_message_append (sig, "s", origin);
  if (r >= 0)
    r = sd_bus_send (self->bus, sig, NULL);
  if (r < 0)
    g_warning ("Cannot emit SnapshotApplied: %s, ignoring", g_strerror (-r));
}

VcrBusObject *
vcr_bus_object_new (sd_bus *bus, VcrDaemon *daemon, GError **error)
{
  g_autoptr(VcrBusObject) self = g_new0 (VcrBusObject, 1);
  int r;

  self->bus = sd_bus_ref (bus);
  self->daemon = g_object_ref (daemon);
  self->words = g_ptr_array_new ();
  vcr_bus_check_commit_init (self);
  r = sd_bus_add_object_vtable (bus, &self->slot, VCR_BUS_PATH, VCR_BUS_INTERFACE,
                                vcr_vtable, self);
  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-r),
                   "Cannot export %s: %s", VCR_BUS_PATH, g_strerror (-r));
      return NULL;
    }
  g_signal_connect (daemon, "property-changed", G_CALLBACK (on_property_changed), self);
  g_signal_connect (daemon, "commit-refused", G_CALLBACK (on_commit_refused), self);
  g_signal_connect (daemon, "push-finished", G_CALLBACK (on_push_finished), self);
  g_signal_connect (daemon, "pull-finished", G_CALLBACK (on_pull_finished), self);
  g_signal_connect (daemon, "snapshot-applied", G_CALLBACK (on_snapshot_applied), self);
  return g_steal_pointer (&self);
}

void
vcr_bus_object_free (VcrBusObject *self)
{
  if (self == NULL)
    return;
  if (self->daemon != NULL)
    g_signal_handlers_disconnect_by_data (self->daemon, self);
  sd_bus_slot_unref (self->slot);
  vcr_bus_check_commit_clear (self);
  g_clear_object (&self->daemon);
  sd_bus_unref (self->bus);
  g_ptr_array_unref (self->words);
  g_free (self);
}
