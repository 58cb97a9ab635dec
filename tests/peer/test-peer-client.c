/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer client against the real peer server in the same process (on
 * 127.0.0.1 / ::1, port 0) with a fake application, and against a raw
 * socket "server" that sends hand-made responses (sealed right, one byte
 * of the frame changed, not sealed, signed as v1, a v1-only peer, a
 * redirect, an answer trickled byte by byte), to prove such responses
 * are dropped, a v1-only peer is spoken to only with allow-protocol-v1,
 * and every exchange has a deadline.
 */
#include <gio/gio.h>
#include <string.h>

#include "vcr-auth.h"
#include "vcr-error.h"
#include "vcr-frame.h"
#include "vcr-peer-client.h"
#include "vcr-peer-listener.h"
#include "vcr-peer-server.h"
#include "vcr-seal.h"

#define SECRET "a shared secret of some length"
#define EPOCH "00112233445566778899aabbccddeeff"

typedef struct {
  gboolean replica;
  guint calls;
  guint post_delay_ms;   /* answer posts that much later (an apply) */
  guint busy_posts;      /* answer that many posts "503 busy" first */
} FakeApp;

typedef struct {
  VcrPeerReply *reply;
  guint64 generation;
} LatePost;

static gboolean
answer_late_post (gpointer data)
{
  LatePost *late = data;
  gsize len;
  char *json = vcr_post_result_to_json (TRUE, late->generation, &len);

  vcr_peer_reply_json (late->reply, json, len);
  g_free (late);
  return G_SOURCE_REMOVE;
}

static void
fake_post (VcrSnapshot *snapshot, VcrPeerReply *reply, gpointer user_data)
{
  FakeApp *app = user_data;
  gsize len;
  char *json;

  app->calls++;
  if (app->busy_posts > 0)
    {
      app->busy_posts--;
      vcr_peer_reply_error (reply, 503, "busy", "another snapshot is being applied; try again");
    }
  else if (app->post_delay_ms > 0)
    {
      LatePost *late = g_new0 (LatePost, 1);

      late->reply = reply;
      late->generation = snapshot->generation;
      g_timeout_add (app->post_delay_ms, answer_late_post, late);
    }
  else if (!app->replica)
    vcr_peer_reply_error (reply, 409, "wrong-mode", "not a replica");
  else
    {
      json = vcr_post_result_to_json (TRUE, snapshot->generation, &len);
      vcr_peer_reply_json (reply, json, len);
    }
  vcr_snapshot_free (snapshot);
}

static void
fake_get_snapshot (VcrPeerReply *reply, gpointer user_data)
{
  g_autoptr(VcrSnapshot) s = vcr_snapshot_new ("p", EPOCH, 11);

  ((FakeApp *) user_data)->calls++;
  vcr_snapshot_add (s, "interfaces openvpn", "interfaces {\n}\n", NULL);
  vcr_peer_reply_snapshot (reply, s);
}

static void
fake_get_digests (VcrPeerReply *reply, gpointer user_data)
{
  FakeApp *app = user_data;
  g_autoptr(VcrDigests) d = vcr_digests_new (app->replica ? "replica" : "primary", "", 0);
  gsize len;
  char *json;

  app->calls++;
  json = vcr_digests_to_json (d, &len);
  vcr_peer_reply_json (reply, json, len);
}

static void
fake_get_texts (VcrPeerReply *reply, gpointer user_data)
{
  g_autoptr(VcrSnapshot) s = vcr_snapshot_new ("r", "", 0);
  const char *const excludes[] = { "interfaces openvpn vtun0 local-host", NULL };

  ((FakeApp *) user_data)->calls++;
  vcr_snapshot_add (s, "interfaces openvpn", "interfaces {\n}\n", NULL);
  vcr_snapshot_set_excludes (s, excludes);
  vcr_snapshot_set_kept (s, excludes);
  vcr_peer_reply_snapshot (reply, s);
}

static const VcrPeerHandler fake_handler = {
  fake_post, fake_get_snapshot, fake_get_digests, fake_get_texts,
};

typedef struct {
  FakeApp app;
  VcrPeerServer *server;
  VcrPeerClient *client;
  char *host;
  guint16 port;
  GAsyncResult *result;
} Fixture;

static void
parse_address (const char *address, char **host, guint16 *port)
{
  const char *colon = strrchr (address, ':');

  *host = g_strndup (address, (gsize) (colon - address));
  *port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
}

static void
fixture_start (Fixture *f, const char *listen, gboolean replica)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  f->app.replica = replica;
  f->server = vcr_peer_server_new (SECRET, &fake_handler, &f->app);
  g_assert_true (vcr_peer_server_listen (f->server, listen, 0, &error));
  g_assert_no_error (error);
  address = vcr_peer_server_get_address (f->server);
  parse_address (address, &f->host, &f->port);
  f->client = vcr_peer_client_new (SECRET);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_start (f, "127.0.0.1", GPOINTER_TO_INT (data));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->server);
  g_clear_object (&f->result);
  g_free (f->host);
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  f->result = g_object_ref (result);
}

static void
wait_result (Fixture *f)
{
  g_clear_object (&f->result);
  while (f->result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static VcrDigests *
get_digests (Fixture *f, GError **error)
{
  vcr_peer_client_get_digests_async (f->client, f->host, f->port, NULL, store_result, f);
  wait_result (f);
  return vcr_peer_client_get_digests_finish (f->client, f->result, error);
}

/* GET /v1/texts: a replica's texts, its epoch "" and "kept" read. */
static void
test_client_texts (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) texts = NULL;

  vcr_peer_client_get_texts_async (f->client, f->host, f->port, NULL, store_result, f);
  wait_result (f);
  texts = vcr_peer_client_get_texts_finish (f->client, f->result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (texts->epoch, ==, "");
  g_assert_cmpstr (texts->kept[0], ==, "interfaces openvpn vtun0 local-host");
  g_assert_null (texts->kept[1]);
  g_assert_cmpstr (vcr_snapshot_lookup (texts, "interfaces openvpn")->config, ==,
                   "interfaces {\n}\n");
  g_assert_cmpuint (f->app.calls, ==, 1);
}

static void
test_client_good (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = get_digests (f, &error);
  g_autoptr(VcrSnapshot) snapshot = NULL;
  g_autoptr(VcrSnapshot) post = vcr_snapshot_new ("me", EPOCH, 12);
  gboolean applied = FALSE;
  guint64 generation = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (digests->mode, ==, "replica");

  vcr_peer_client_get_snapshot_async (f->client, f->host, f->port, NULL, store_result, f);
  wait_result (f);
  snapshot = vcr_peer_client_get_snapshot_finish (f->client, f->result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->generation, ==, 11);
  g_assert_cmpstr (vcr_snapshot_lookup (snapshot, "interfaces openvpn")->config, ==, "interfaces {\n}\n");

  vcr_snapshot_add (post, "firewall name WAN", "firewall {\n}\n", NULL);
  vcr_peer_client_post_snapshot_async (f->client, f->host, f->port, post, NULL, store_result, f);
  wait_result (f);
  g_assert_true (vcr_peer_client_post_snapshot_finish (f->client, f->result, &applied,
                                                       &generation, &error));
  g_assert_no_error (error);
  g_assert_true (applied);
  g_assert_cmpuint (generation, ==, 12);
  g_assert_cmpuint (f->app.calls, ==, 3);
}

static void
test_client_refusal (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) post = vcr_snapshot_new ("me", EPOCH, 1);

  vcr_peer_client_post_snapshot_async (f->client, f->host, f->port, post, NULL, store_result, f);
  wait_result (f);
  g_assert_false (vcr_peer_client_post_snapshot_finish (f->client, f->result, NULL, NULL, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_nonnull (strstr (error->message, "409 wrong-mode: not a replica"));
}

static void
test_client_wrong_secret (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;

  vcr_peer_client_set_secret (f->client, "another secret");
  digests = get_digests (f, &error);
  g_assert_null (digests);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "refused our authentication (401, unsealed)"));
  g_assert_cmpuint (f->app.calls, ==, 0);
}

static void
test_client_ipv6 (void)
{
  Fixture f = { { 0 } };
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;

  if (probe == NULL || !g_socket_bind (probe, sa, TRUE, NULL))
    {
      g_test_skip ("no IPv6 loopback");
      return;
    }
  fixture_start (&f, "::1", TRUE);
  g_assert_cmpstr (f.host, ==, "[::1]");
  digests = get_digests (&f, &error);   /* the host is given with brackets */
  g_assert_no_error (error);
  g_clear_pointer (&digests, vcr_digests_free);
  g_free (f.host);
  f.host = g_strdup ("::1");            /* and without */
  digests = get_digests (&f, &error);
  g_assert_no_error (error);
  fixture_teardown (&f, NULL);
}

static void
test_client_refused_connection (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;

  vcr_peer_server_stop (f->server);
  digests = get_digests (f, &error);
  g_assert_null (digests);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_true (g_str_has_prefix (error->message, f->host));
}

/* ---- a raw server with hand-made responses ----------------------------- */

typedef struct {
  /* "good" (sealed), "tamper" (one byte of the frame changed), "missing"
   * (plain JSON, not sealed), "v1-signed" (a v1 answer to a v2 request),
   * "v1-only" (what a v1-only peer answers), "redirect", "drip" */
  const char *mode;
  VcrAuthKey *key;
  VcrSealKeys *keys;
  char *location;      /* where "redirect" sends the client */
  gint requests;       /* requests read (atomic: the service has threads) */
  gint v1_requests;
} RawServer;

#define DIGESTS_BODY "{\"mode\":\"primary\",\"epoch\":\"\",\"generation\":0,\"paths\":[]}"
#define V1_REFUSAL "{\"error\":\"unauthorized\",\"message\":\"malformed Authorization " \
  "header (want \\\"VCR1 ts=N, nonce=<32 hex>, sig=<64 hex>\\\")\"}"

/* HTTP/1.1 @status with @body (@length bytes) and @headers (each line
 * ending with CRLF). */
static GBytes *
raw_response (guint status, const char *headers, const void *body, gsize length)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %u X\r\n%sContent-Length: %" G_GSIZE_FORMAT
                                           "\r\nConnection: close\r\n\r\n",
                                           status, headers, length);
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, (const guint8 *) head, strlen (head));
  g_byte_array_append (out, body, length);
  return g_byte_array_free_to_bytes (out);
}

/* A digests document sealed for the request (@head) as the real server
 * would: bound to the local address, its ts and nonce, and 200. */
static GBytes *
raw_sealed (RawServer *raw, GSocketConnection *conn, const char *head, gboolean tamper)
{
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (conn, NULL);
  g_autofree char *destination = vcr_peer_format_address (local);
  g_autoptr(GBytes) plain = vcr_frame_document_payload (DIGESTS_BODY, strlen (DIGESTS_BODY));
  g_autoptr(GBytes) frame = NULL;
  const char *ts = strstr (head, "ts=");
  const char *nonce = strstr (head, "nonce=");
  g_autofree char *nonce_hex = nonce != NULL ? g_strndup (nonce + 6, VCR_AUTH_NONCE_HEX_LEN)
                                             : g_strdup ("");
  VcrSealBinding binding = { "GET", "/v1/digests", destination,
                             ts != NULL ? g_ascii_strtoll (ts + 3, NULL, 10) : 0,
                             nonce_hex, 200 };
  guint8 random[VCR_SEAL_RANDOM_BYTES] = { 7 };
  g_autofree guint8 *copy = NULL;
  gsize len;

  frame = vcr_seal_frame (raw->keys, VCR_SEAL_RESPONSE, &binding,
                          g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), random);
  len = g_bytes_get_size (frame);
  copy = g_memdup2 (g_bytes_get_data (frame, NULL), len);
  if (tamper)
    copy[len - 20] ^= 1;
  return raw_response (200, "Content-Type: " VCR_SEAL_CONTENT_TYPE "\r\n", copy, len);
}

/* A v1-signed digests answer to the request (@head). */
static GBytes *
raw_v1_signed (RawServer *raw, const char *head, gboolean sign)
{
  const char *p = strstr (head, "nonce=");
  g_autofree char *nonce = p != NULL ? g_strndup (p + 6, VCR_AUTH_NONCE_HEX_LEN) : g_strdup ("");
  g_autofree char *sig = vcr_auth_response_signature (raw->key, nonce, 200,
                                                      (const guint8 *) DIGESTS_BODY,
                                                      strlen (DIGESTS_BODY));
  g_autofree char *headers = g_strdup_printf ("Content-Type: application/json\r\n%s%s%s",
                                              sign ? "X-VCR-Signature: " : "",
                                              sign ? sig : "", sign ? "\r\n" : "");

  return raw_response (200, headers, DIGESTS_BODY, strlen (DIGESTS_BODY));
}

static GBytes *
raw_answer (RawServer *raw, GSocketConnection *conn, const char *head)
{
  gboolean v1 = strstr (head, "Authorization: VCR1 ") != NULL;

  if (v1)
    g_atomic_int_inc (&raw->v1_requests);
  if (g_str_equal (raw->mode, "redirect"))
    {
      g_autofree char *location = g_strdup_printf ("Location: %s\r\n", raw->location);
      return raw_response (302, location, "", 0);
    }
  if (g_str_equal (raw->mode, "v1-only") && !v1)
    return raw_response (401, "Content-Type: application/json\r\n",
                         V1_REFUSAL, strlen (V1_REFUSAL));
  if (g_str_equal (raw->mode, "v1-only") || g_str_equal (raw->mode, "v1-signed"))
    return raw_v1_signed (raw, head, TRUE);
  if (g_str_equal (raw->mode, "missing"))
    return raw_v1_signed (raw, head, FALSE);
  return raw_sealed (raw, conn, head, g_str_equal (raw->mode, "tamper"));
}

/* Reads the request head, answers as @mode says. */
static gboolean
raw_run (GThreadedSocketService *service, GSocketConnection *conn,
         GObject *source, gpointer user_data)
{
  RawServer *raw = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_autoptr(GString) head = g_string_new (NULL);
  g_autoptr(GBytes) response = NULL;
  const guint8 *data;
  gsize len;
  char c;

  while (!g_str_has_suffix (head->str, "\r\n\r\n") &&
         g_input_stream_read (in, &c, 1, NULL, NULL) == 1)
    g_string_append_c (head, c);
  g_atomic_int_inc (&raw->requests);
  response = raw_answer (raw, conn, head->str);
  data = g_bytes_get_data (response, &len);
  if (g_str_equal (raw->mode, "drip"))
    {
      /* a byte every 100 ms: no read ever waits 10 s (the I/O timeout),
       * the whole answer takes half a minute */
      for (gsize i = 0; i < len; i++)
        {
          if (!g_output_stream_write_all (out, data + i, 1, NULL, NULL, NULL))
            break;
          g_usleep (100 * 1000);
        }
    }
  else
    g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return TRUE;
}

typedef struct {
  RawServer raw;
  GSocketService *service;
  guint16 port;
} RawHandle;

static void
raw_start (RawHandle *h, const char *mode)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  h->raw.mode = mode;
  h->raw.key = vcr_auth_key_new (SECRET);
  h->raw.keys = vcr_seal_keys_new (SECRET);
  h->service = g_threaded_socket_service_new (2);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (h->service), sa,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &bound, &error));
  g_signal_connect (h->service, "run", G_CALLBACK (raw_run), &h->raw);
  g_socket_service_start (h->service);
  h->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
raw_stop (RawHandle *h)
{
  g_socket_service_stop (h->service);
  g_socket_listener_close (G_SOCKET_LISTENER (h->service));
  g_clear_object (&h->service);
  vcr_auth_key_free (h->raw.key);
  vcr_seal_keys_free (h->raw.keys);
  g_free (h->raw.location);
}

/* A 302 to another server, which would answer (it has the secret, and
 * libsoup would send it the same signed request): not followed. */
static void
test_client_no_redirect (void)
{
  RawHandle target = { { 0 } };
  RawHandle redirect = { { 0 } };
  Fixture f = { { 0 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;

  raw_start (&target, "good");
  raw_start (&redirect, "redirect");
  redirect.raw.location = g_strdup_printf ("http://127.0.0.1:%u/v1/digests", target.port);
  f.client = vcr_peer_client_new (SECRET);
  f.host = g_strdup ("127.0.0.1");
  f.port = target.port;
  digests = get_digests (&f, &error);   /* the target alone answers */
  g_assert_no_error (error);
  g_clear_pointer (&digests, vcr_digests_free);

  f.port = redirect.port;
  digests = get_digests (&f, &error);
  g_assert_null (digests);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "HTTP 302"));
  g_assert_cmpint (g_atomic_int_get (&redirect.raw.requests), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&target.raw.requests), ==, 1);
  fixture_teardown (&f, NULL);
  raw_stop (&redirect);
  raw_stop (&target);
}

/* An answer that trickles in, each byte well within the I/O timeout, is
 * cut off by the exchange's deadline. */
static void
test_client_exchange_deadline (void)
{
  RawHandle drip = { { 0 } };
  Fixture f = { { 0 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;

  raw_start (&drip, "drip");
  f.client = vcr_peer_client_new (SECRET);
  vcr_peer_client_set_deadlines (f.client, 1, 1);
  f.host = g_strdup ("127.0.0.1");
  f.port = drip.port;
  digests = get_digests (&f, &error);
  g_assert_null (digests);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "no complete answer within 1 s"));
  fixture_teardown (&f, NULL);
  raw_stop (&drip);
}

static gboolean
post_one (Fixture *f, GError **error)
{
  g_autoptr(VcrSnapshot) post = vcr_snapshot_new ("me", EPOCH, 21);

  vcr_snapshot_add (post, "firewall name WAN", "firewall {\n}\n", NULL);
  vcr_peer_client_post_snapshot_async (f->client, f->host, f->port, post, NULL, store_result, f);
  wait_result (f);
  return vcr_peer_client_post_snapshot_finish (f->client, f->result, NULL, NULL, error);
}

/* The answer to a POST comes after the replica's apply, longer than the
 * I/O timeout (1 s here): it is awaited. */
static void
test_client_post_waits_for_apply (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->app.post_delay_ms = 2500;
  vcr_peer_client_set_timeout (f->client, 1);
  g_assert_true (post_one (f, &error));
  g_assert_no_error (error);
}

/* A replica busy with another apply answers "503 busy": the POST goes
 * again, a bounded number of times. */
static void
test_client_post_busy (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->app.busy_posts = 2;
  g_assert_true (post_one (f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->app.calls, ==, 3);

  f->app.calls = 0;
  f->app.busy_posts = G_MAXUINT;
  g_assert_false (post_one (f, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_nonnull (strstr (error->message, "503 busy"));
  g_assert_cmpuint (f->app.calls, ==, 1 + 8);
}

/* ... but not for longer than the POST's own deadline. */
static void
test_client_post_deadline (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->app.post_delay_ms = 4000;
  vcr_peer_client_set_deadlines (f->client, 30, 1);
  g_assert_false (post_one (f, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_nonnull (strstr (error->message, "no complete answer within 1 s"));
}

static void
run_raw (const char *mode, gsize limit, const char *want)
{
  RawServer raw = { mode, vcr_auth_key_new (SECRET), vcr_seal_keys_new (SECRET), NULL, 0, 0 };
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;
  Fixture f = { { 0 } };

  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), sa,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &bound, &error));
  g_signal_connect (service, "run", G_CALLBACK (raw_run), &raw);
  g_socket_service_start (service);
  f.client = vcr_peer_client_new (SECRET);
  if (limit > 0)
    vcr_peer_client_set_body_limit (f.client, limit);
  f.host = g_strdup ("127.0.0.1");
  f.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  digests = get_digests (&f, &error);
  if (want == NULL)
    {
      g_assert_no_error (error);
      g_assert_nonnull (digests);
    }
  else
    {
      g_assert_null (digests);
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, want));
    }
  g_socket_service_stop (service);
  fixture_teardown (&f, NULL);
  vcr_auth_key_free (raw.key);
  vcr_seal_keys_free (raw.keys);
}

static void
test_client_raw_good (void)
{
  /* the raw server itself is right: the next cases fail for their reason */
  run_raw ("good", 0, NULL);
}

/* One byte of the sealed answer changed: dropped. */
static void
test_client_tampered_answer (void)
{
  run_raw ("tamper", 0, "response dropped (HTTP 200): sealed payload was altered");
}

/* An answer in clear, even one signed as v1 would be: dropped. */
static void
test_client_unsealed_answer (void)
{
  run_raw ("missing", 0, "response dropped (HTTP 200): not a sealed frame");
  run_raw ("v1-signed", 0, "response dropped (HTTP 200): not a sealed frame");
}

/* A peer that speaks v1 only: refused with a message that says so, unless
 * allow-protocol-v1 lets the request go again, once, in v1. */
static void
test_client_v1_only_peer (void)
{
  RawHandle old = { { 0 } };
  Fixture f = { { 0 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;

  raw_start (&old, "v1-only");
  f.client = vcr_peer_client_new (SECRET);
  f.host = g_strdup ("127.0.0.1");
  f.port = old.port;
  digests = get_digests (&f, &error);
  g_assert_null (digests);
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "speaks protocol v1 only"));
  g_assert_nonnull (strstr (error->message, "allow-protocol-v1"));
  g_assert_cmpint (g_atomic_int_get (&old.raw.v1_requests), ==, 0);
  g_clear_error (&error);

  vcr_peer_client_set_allow_v1 (f.client, TRUE);
  digests = get_digests (&f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (digests->mode, ==, "primary");
  g_assert_cmpint (g_atomic_int_get (&old.raw.requests), ==, 3);
  g_assert_cmpint (g_atomic_int_get (&old.raw.v1_requests), ==, 1);
  fixture_teardown (&f, NULL);
  raw_stop (&old);
}

/* A peer given by name: resolved, and the request bound to the address
 * the client connects to, which the server checks. */
static void
test_client_host_name (void)
{
  Fixture f = { { 0 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrDigests) digests = NULL;

  fixture_start (&f, NULL, TRUE);   /* every address: "localhost" may be ::1 */
  g_free (f.host);
  f.host = g_strdup ("localhost");
  digests = get_digests (&f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (digests);
  fixture_teardown (&f, NULL);
}

static void
test_client_response_too_big (void)
{
  run_raw ("good", 16, "response body over 16 bytes");
}

/* A replica that answers no snapshot until all N_PEERS have one in hand:
 * only a client that really sends to every peer at once gets answers
 * (libsoup's own default, 10 connections in all, would hang here). */
#define N_PEERS 16

typedef struct {
  GPtrArray *held;          /* of VcrPeerReply*: the requests waiting */
  guint answered;
} Gate;

static void
gate_post (VcrSnapshot *snapshot, VcrPeerReply *reply, gpointer user_data)
{
  Gate *gate = user_data;

  vcr_snapshot_free (snapshot);
  g_ptr_array_add (gate->held, reply);
  if (gate->held->len < N_PEERS)
    return;
  for (guint i = 0; i < gate->held->len; i++)
    {
      gsize len;
      char *json = vcr_post_result_to_json (TRUE, 1, &len);

      vcr_peer_reply_json (g_ptr_array_index (gate->held, i), json, len);
    }
  g_ptr_array_set_size (gate->held, 0);
}

static const VcrPeerHandler gate_handler = { gate_post, fake_get_snapshot, fake_get_digests };

static void
count_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Gate *gate = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (vcr_peer_client_post_snapshot_finish (VCR_PEER_CLIENT (source), result,
                                                       NULL, NULL, &error));
  g_assert_no_error (error);
  gate->answered++;
}

static gboolean
flag_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_client_many_peers_at_once (void)
{
  Gate gate = { g_ptr_array_new (), 0 };
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(VcrPeerClient) client = vcr_peer_client_new (SECRET);
  g_autoptr(VcrSnapshot) post = vcr_snapshot_new ("me", EPOCH, 1);
  gboolean timed_out = FALSE;
  guint timeout;

  vcr_snapshot_add (post, "firewall name WAN", "firewall {\n}\n", NULL);
  for (guint i = 0; i < N_PEERS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *address = NULL;
      g_autofree char *host = NULL;
      VcrPeerServer *server = vcr_peer_server_new (SECRET, &gate_handler, &gate);
      guint16 port;

      g_ptr_array_add (servers, server);
      g_assert_true (vcr_peer_server_listen (server, "127.0.0.1", 0, &error));
      g_assert_no_error (error);
      address = vcr_peer_server_get_address (server);
      parse_address (address, &host, &port);
      vcr_peer_client_post_snapshot_async (client, host, port, post, NULL, count_answer, &gate);
    }
  timeout = g_timeout_add_seconds (5, flag_timeout, &timed_out);
  while (gate.answered < N_PEERS && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout);
  g_assert_cmpuint (gate.answered, ==, N_PEERS);
  g_ptr_array_unref (gate.held);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/peer-client/good", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_client_good, fixture_teardown);
  g_test_add ("/peer-client/refusal", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_client_refusal, fixture_teardown);
  g_test_add ("/peer-client/wrong-secret", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_client_wrong_secret, fixture_teardown);
  g_test_add ("/peer-client/refused-connection", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_client_refused_connection, fixture_teardown);
  g_test_add ("/peer-client/texts", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_client_texts, fixture_teardown);
  g_test_add_func ("/peer-client/ipv6", test_client_ipv6);
  g_test_add_func ("/peer-client/raw-good", test_client_raw_good);
  g_test_add_func ("/peer-client/tampered-answer", test_client_tampered_answer);
  g_test_add_func ("/peer-client/unsealed-answer", test_client_unsealed_answer);
  g_test_add_func ("/peer-client/v1-only-peer", test_client_v1_only_peer);
  g_test_add_func ("/peer-client/host-name", test_client_host_name);
  g_test_add_func ("/peer-client/response-too-big", test_client_response_too_big);
  g_test_add_func ("/peer-client/many-peers-at-once", test_client_many_peers_at_once);
  g_test_add_func ("/peer-client/no-redirect", test_client_no_redirect);
  g_test_add_func ("/peer-client/exchange-deadline", test_client_exchange_deadline);
  g_test_add ("/peer-client/post-waits-for-apply", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_client_post_waits_for_apply, fixture_teardown);
  g_test_add ("/peer-client/post-busy", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_client_post_busy, fixture_teardown);
  g_test_add ("/peer-client/post-deadline", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_client_post_deadline, fixture_teardown);
  return g_test_run ();
}
