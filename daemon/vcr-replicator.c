/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replicator (see vcr-replicator.h for the whole picture). This file
 * holds the object: what its creator hands it, the signals it reports
 * through, start and stop. Reading guide for the rest:
 * vcr-replicator-peers.c keeps the peer records and the status they make,
 * vcr-replicator-snapshot.c builds a primary's snapshot,
 * vcr-replicator-push.c sends it, vcr-replicator-receive.c is a replica's
 * side of both push and pull (the rules of SPEC §7) and
 * vcr-replicator-apply.c writes what it takes; vcr-replicator-pull.c and
 * vcr-replicator-serve.c are thin on top.
 */
#define G_LOG_DOMAIN "vcr-replicator"

#include <string.h>

#include "vcr-replicator-private.h"

G_DEFINE_TYPE (VcrReplicator, vcr_replicator, G_TYPE_OBJECT)

enum {
  SIGNAL_PEERS_CHANGED,
  SIGNAL_STATE_CHANGED,
  SIGNAL_GENERATION_CHANGED,
  SIGNAL_LISTEN_ADDRESS_CHANGED,
  SIGNAL_HISTORY_EVENT,
  SIGNAL_PUSH_FINISHED,
  SIGNAL_PULL_FINISHED,
  SIGNAL_SNAPSHOT_APPLIED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

guint
vcr_replicator_backoff_ms (guint attempt)
{
  guint64 delay = BACKOFF_FIRST_MS;

  for (guint i = 0; i < attempt && delay < BACKOFF_MAX_MS; i++)
    delay *= 2;
  delay = MIN (delay, BACKOFF_MAX_MS);
  return (guint) (delay * g_random_double_range (0.5, 1.0));
}

/* ---- Results handed to the caller ------------------------------------- */

void
vcr_push_result_free (VcrPushResult *r)
{
  g_free (r->replica);
  g_free (r->message);
  g_free (r);
}

VcrPushResult *
vcr_push_result_new (const char *replica, gboolean ok, guint64 generation, const char *message)
{
  VcrPushResult *r = g_new0 (VcrPushResult, 1);
  r->replica = g_strdup (replica);
  r->ok = ok;
  r->generation = generation;
  r->message = g_strdup (message);
  return r;
}

void
vcr_verify_result_free (VcrVerifyResult *r)
{
  g_free (r->peer);
  g_free (r->replicate_path);
  g_free (r);
}

/* ---- Reports ---------------------------------------------------------- */

/* TRUE while @settings, taken by a unit of work when it started, are still
 * the ones in force: a unit a reload overtook must not act on what the new
 * settings started (their peers, snapshot, Push or Pull). */
gboolean
vcr_replicator_is_current (VcrReplicator *self, const VcrSettings *settings)
{
  return settings != NULL && settings == self->settings;
}

/* A history entry naming the replicate paths of @settings (those of the
 * unit of work it reports on). */
void
vcr_replicator_add_event (VcrReplicator *self, const VcrSettings *settings,
                          const char *event, const char *peer,
                          guint64 generation, const char *result)
{
  g_signal_emit (self, signals[SIGNAL_HISTORY_EVENT], 0, event, peer, generation,
                 settings->path_strings, result);
}

void
vcr_replicator_emit_generation_changed (VcrReplicator *self)
{
  vcr_replicator_verify_forget (self);
  g_signal_emit (self, signals[SIGNAL_GENERATION_CHANGED], 0);
}

void
vcr_replicator_emit_push_finished (VcrReplicator *self, const char *replica, gboolean ok,
                                   guint64 generation, const char *message)
{
  vcr_replicator_verify_forget (self);
  g_signal_emit (self, signals[SIGNAL_PUSH_FINISHED], 0, replica, ok, generation, message);
}

void
vcr_replicator_emit_pull_finished (VcrReplicator *self, gboolean ok, guint64 generation,
                                   const char *message)
{
  vcr_replicator_verify_forget (self);
  g_signal_emit (self, signals[SIGNAL_PULL_FINISHED], 0, ok, generation, message);
}

void
vcr_replicator_emit_snapshot_applied (VcrReplicator *self, guint64 generation,
                                      const VcrSettings *settings, const char *origin)
{
  vcr_replicator_verify_forget (self);
  g_signal_emit (self, signals[SIGNAL_SNAPSHOT_APPLIED], 0, generation,
                 settings->path_strings, origin);
}

void
vcr_replicator_emit_peers_changed (VcrReplicator *self)
{
  g_signal_emit (self, signals[SIGNAL_PEERS_CHANGED], 0);
}

void
vcr_replicator_set_state (VcrReplicator *self, const char *state)
{
  if (g_strcmp0 (self->state, state) == 0)
    return;
  g_free (self->state);
  self->state = g_strdup (state);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

static void
set_listen_address (VcrReplicator *self, const char *address)
{
  if (g_strcmp0 (self->listen_address, address) == 0)
    return;
  g_free (self->listen_address);
  self->listen_address = g_strdup (address != NULL ? address : "");
  g_signal_emit (self, signals[SIGNAL_LISTEN_ADDRESS_CHANGED], 0);
}

const char *
vcr_replicator_get_state (VcrReplicator *self)
{
  return self->state;
}

GPtrArray *
vcr_replicator_get_peers (VcrReplicator *self)
{
  return self->shown;
}

const char *
vcr_replicator_get_listen_address (VcrReplicator *self)
{
  return self->listen_address;
}

/* ---- The running config ----------------------------------------------- */

typedef struct {
  VcrReplicator *self;
  TreeReady done;
  gpointer data;
} ReadCall;

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReadCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_backend_read_finish (VCR_BACKEND (source), result, &error);

  call->done (call->self, g_steal_pointer (&tree), error, call->data);
  g_object_unref (call->self);
  g_free (call);
}

void
vcr_replicator_read_running (VcrReplicator *self, TreeReady done, gpointer data)
{
  ReadCall *call = g_new0 (ReadCall, 1);

  call->self = g_object_ref (self);
  call->done = done;
  call->data = data;
  vcr_backend_read_async (self->backend, NULL, read_done, call);
}

/* ---- Start and stop --------------------------------------------------- */

/* "ADDR:PORT", "[ADDR]:PORT" or ":PORT" → address (NULL: all) and port. */
static gboolean
parse_listen (const char *text, char **address, guint16 *port, GError **error)
{
  const char *colon = strrchr (text, ':');
  g_autofree char *host = NULL;
  guint64 value = 0;

  if (colon == NULL ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS,
                   "--listen \"%s\" is not ADDRESS:PORT", text);
      return FALSE;
    }
  host = g_strndup (text, colon - text);
  if (host[0] == '[' && g_str_has_suffix (host, "]"))
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }
  if (*host != '\0' && !g_hostname_is_ip_address (host))
    {
      g_set_error (error, VCR_ERROR, VCR_ERROR_INVALID_SETTINGS,
                   "--listen \"%s\": \"%s\" is not an IP address", text, host);
      return FALSE;
    }
  *address = *host != '\0' ? g_steal_pointer (&host) : NULL;
  *port = (guint16) value;
  return TRUE;
}

static gboolean
start_server (VcrReplicator *self, const VcrSettings *settings, GError **error)
{
  const VcrPeerHandler handler = {
    .post_snapshot = vcr_replicator_on_post_snapshot,
    .get_snapshot = vcr_replicator_on_get_snapshot,
    .get_digests = vcr_replicator_on_get_digests,
    .get_texts = vcr_replicator_on_get_texts,
  };
  g_autofree char *address = NULL;
  g_autofree char *key = NULL;
  g_autofree char *bound = NULL;
  guint16 port = settings->port;

  if (self->listen != NULL)
    {
      if (!parse_listen (self->listen, &address, &port, error))
        return FALSE;
    }
  else
    address = g_strdup (settings->listen_address);
  key = g_strdup_printf ("%s|%u", address != NULL ? address : "", port);
  if (self->server != NULL && g_strcmp0 (key, self->listening_on) == 0)
    {
      vcr_peer_server_set_secret (self->server, settings->secret);
      vcr_peer_server_set_allow_v1 (self->server, settings->allow_v1);
      return TRUE;
    }
  /* The same server object on the new address: its nonce memory stays
   * (a request taken on the old address cannot be replayed on the new). */
  if (self->server != NULL)
    vcr_peer_server_stop (self->server);
  else
    self->server = vcr_peer_server_new (settings->secret, &handler, self);
  vcr_peer_server_set_secret (self->server, settings->secret);
  vcr_peer_server_set_allow_v1 (self->server, settings->allow_v1);
  g_clear_pointer (&self->listening_on, g_free);
  if (!vcr_peer_server_listen (self->server, address, port, error))
    return FALSE;
  self->listening_on = g_steal_pointer (&key);
  bound = vcr_peer_server_get_address (self->server);
  set_listen_address (self, bound);
  g_message ("Listening for peers on %s", bound);
  return TRUE;
}

/* Cancels what runs for the old settings; callers of a running Push or
 * Pull get an error rather than a result for settings that are gone. An
 * apply in flight is not cancelled: it finishes on the settings it
 * started with. */
static void
stop_work (VcrReplicator *self)
{
  g_autoptr(GError) error = g_error_new_literal (VCR_ERROR, VCR_ERROR_PEER_FAILED,
                                                 "cancelled: the settings changed");

  g_clear_handle_id (&self->verify_source, g_source_remove);
  g_clear_handle_id (&self->pull_retry_source, g_source_remove);
  vcr_replicator_verify_forget (self);
  vcr_replicator_push_stop (self, error);
  vcr_replicator_pull_stop (self, error);
  vcr_replicator_preview_stop (self, error);
  g_ptr_array_set_size (self->peers, 0);
  vcr_replicator_set_snapshot (self, NULL);
}

static void
stop_server (VcrReplicator *self)
{
  if (self->server != NULL)
    vcr_peer_server_stop (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->listening_on, g_free);
}

gboolean
vcr_replicator_start (VcrReplicator *self, VcrSettings *settings, GError **error)
{
  guint interval = self->verify_interval > 0 ? self->verify_interval
                                             : DEFAULT_VERIFY_INTERVAL_S;

  g_return_val_if_fail (settings != NULL, FALSE);
  stop_work (self);
  g_clear_pointer (&self->settings, vcr_settings_unref);
  self->settings = vcr_settings_ref (settings);
  vcr_replicator_rebuild_peers (self);
  if (settings->mode == VCR_MODE_DISABLED)
    {
      stop_server (self);
      set_listen_address (self, "");
      return TRUE;
    }
  vcr_peer_client_set_secret (self->client, settings->secret);
  vcr_peer_client_set_allow_v1 (self->client, settings->allow_v1);
  if (!start_server (self, settings, error))
    {
      vcr_replicator_set_state (self, "error");
      return FALSE;
    }
  vcr_replicator_publish (self);
  /* An apply a crash cut short is settled first; its end starts the work. */
  if (!vcr_replicator_recover (self) && !self->recovering)
    vcr_replicator_start_work (self);
  self->verify_source = g_timeout_add_seconds (interval, vcr_replicator_verify_tick, self);
  return TRUE;
}

/* What the settings in force start: a primary sends its snapshot, a
 * replica pulls. */
void
vcr_replicator_start_work (VcrReplicator *self)
{
  if (self->settings == NULL)
    return;
  if (self->settings->mode == VCR_MODE_PRIMARY)
    vcr_replicator_primary_start (self);
  else if (self->settings->mode == VCR_MODE_REPLICA)
    vcr_replicator_pull_run (self);
}

void
vcr_replicator_stop (VcrReplicator *self)
{
  stop_work (self);
  stop_server (self);
}

gboolean
vcr_replicator_is_applying (VcrReplicator *self)
{
  /* the apply ends when the primary has its answer (SPEC §8) */
  return self->applying ||
         (self->server != NULL && vcr_peer_server_is_answering (self->server));
}

/* ---- Object ----------------------------------------------------------- */

static void
vcr_replicator_dispose (GObject *object)
{
  VcrReplicator *self = VCR_REPLICATOR (object);

  if (self->push_results != NULL)
    vcr_replicator_stop (self);
  G_OBJECT_CLASS (vcr_replicator_parent_class)->dispose (object);
}

static void
vcr_replicator_finalize (GObject *object)
{
  VcrReplicator *self = VCR_REPLICATOR (object);

  g_clear_pointer (&self->peers, g_ptr_array_unref);
  g_clear_pointer (&self->shown, g_ptr_array_unref);
  vcr_join_clear (&self->push_join);
  g_clear_pointer (&self->push_results, g_ptr_array_unref);
  vcr_join_clear (&self->pull_join);
  vcr_join_clear (&self->preview_join);
  g_clear_pointer (&self->verify_cache, g_ptr_array_unref);
  g_clear_object (&self->client);
  g_clear_pointer (&self->settings, vcr_settings_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->backend);
  g_clear_object (&self->running);
  g_free (self->apply_command);
  g_free (self->config_path);
  g_free (self->listen);
  g_free (self->state);
  g_free (self->listen_address);
  g_free (self->origin);
  G_OBJECT_CLASS (vcr_replicator_parent_class)->finalize (object);
}

static guint
new_signal (VcrReplicatorClass *klass, const char *name, guint n_params, ...)
{
  va_list args;
  guint id;

  va_start (args, n_params);
  id = g_signal_new_valist (name, G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, NULL,
                            NULL, NULL, NULL, G_TYPE_NONE, n_params, args);
  va_end (args);
  return id;
}

static void
vcr_replicator_class_init (VcrReplicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vcr_replicator_dispose;
  object_class->finalize = vcr_replicator_finalize;
  signals[SIGNAL_PEERS_CHANGED] = new_signal (klass, "peers-changed", 0);
  signals[SIGNAL_STATE_CHANGED] = new_signal (klass, "state-changed", 0);
  signals[SIGNAL_GENERATION_CHANGED] = new_signal (klass, "generation-changed", 0);
  signals[SIGNAL_LISTEN_ADDRESS_CHANGED] = new_signal (klass, "listen-address-changed", 0);
  signals[SIGNAL_HISTORY_EVENT] =
    new_signal (klass, "history-event", 5, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT64,
                G_TYPE_STRV, G_TYPE_STRING);
  signals[SIGNAL_PUSH_FINISHED] =
    new_signal (klass, "push-finished", 4, G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_UINT64,
                G_TYPE_STRING);
  signals[SIGNAL_PULL_FINISHED] =
    new_signal (klass, "pull-finished", 3, G_TYPE_BOOLEAN, G_TYPE_UINT64, G_TYPE_STRING);
  signals[SIGNAL_SNAPSHOT_APPLIED] =
    new_signal (klass, "snapshot-applied", 3, G_TYPE_UINT64, G_TYPE_STRV, G_TYPE_STRING);
}

static void
vcr_replicator_init (VcrReplicator *self)
{
  self->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_replicator_peer_retire);
  self->shown = vcr_replicator_peer_status_array ();
  vcr_join_init (&self->push_join, g_object_unref);
  self->push_results = g_ptr_array_new_with_free_func ((GDestroyNotify) vcr_push_result_free);
  vcr_join_init (&self->pull_join, g_object_unref);
  vcr_join_init (&self->preview_join, g_object_unref);
  self->origin = g_strdup (g_get_host_name ());
  self->state = g_strdup ("error");
  self->listen_address = g_strdup ("");
}

/* A write of the state failed, or succeeded again: State follows. */
static void
on_save_status_changed (VcrState *store, VcrReplicator *self)
{
  if (self->settings != NULL)
    vcr_replicator_publish (self);
}

VcrReplicator *
vcr_replicator_new (const VcrReplicatorSetup *setup)
{
  VcrReplicator *self = g_object_new (VCR_TYPE_REPLICATOR, NULL);

  self->store = g_object_ref (setup->store);
  self->backend = g_object_ref (setup->backend);
  self->running = g_object_ref (setup->running);
  if (setup->apply_command != NULL && *setup->apply_command != '\0')
    self->apply_command = g_strdup (setup->apply_command);
  self->apply_timeout = setup->apply_timeout;
  self->apply_bound = setup->apply_bound > 0 ? setup->apply_bound : VCR_REPLICATOR_APPLY_BOUND_S;
  self->config_path = g_strdup (setup->config_path);
  self->listen = g_strdup (setup->listen);
  self->verify_interval = setup->verify_interval;
  self->client = vcr_peer_client_new ("");
  g_signal_connect_object (self->store, "save-status-changed",
                           G_CALLBACK (on_save_status_changed), self, 0);
  return self;
}
