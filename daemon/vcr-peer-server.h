/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer HTTP server (SPEC §7): serves POST /v1/snapshot, GET
 * /v1/snapshot, GET /v1/digests and (protocol v2 only) GET /v1/texts on
 * the GLib main loop. It owns its
 * listening sockets (vcr-peer-listener.c: an accept loop that survives
 * EMFILE) and its connections (vcr-peer-conns.c: a cap, deadlines, one
 * request per connection), and hands each one to a SoupServer. It does
 * everything that does not need the replicator: size limit and in-flight
 * byte budget, request authentication and replay refusal, routing,
 * content type, opening a sealed body, strict reading of the snapshot and
 * its digest check, sealing or signing the answer, error bodies and
 * `Connection: close`. The application answers through a VcrPeerHandler;
 * bad input never reaches it.
 *
 * Protocol v2 (docs/protocol-v2.md) by default; v1 (docs/protocol.md)
 * only with vcr_peer_server_set_allow_v1() (allow-protocol-v1), else
 * refused with 401 and a message that says so.
 *
 * A request that cannot be good is refused when its headers arrive,
 * before its body is read (an `Expect: 100-continue` is answered only
 * after that): a v2 header that is malformed, out of the time window,
 * before the server started, signed for another receiver, request or
 * length, or whose nonce is remembered: 401; body over the limit 413; no
 * room in the in-flight budget 503 `busy`. A v1 body is hashed as it
 * arrives and its signature checked, and its nonce recorded, once it is
 * in (a v2 nonce is recorded with its headers).
 *
 * Unsigned, plain answers: 401 (request not authenticated: there is no
 * trusted nonce, and signing would give anyone without the secret an
 * oracle), and to a v1 request 413 / 503 sent before its body was
 * checked. Every other answer to a v2 request is a frame sealed for it
 * (errors included), to a v1 request JSON signed with X-VCR-Signature.
 */
#pragma once

#include <glib-object.h>
#include <gio/gio.h>

#include "vcr-peer-conns.h"
#include "vcr-snapshot.h"

G_BEGIN_DECLS

/* One request waiting for its answer. Answer it exactly once with
 * vcr_peer_reply_json(), vcr_peer_reply_snapshot() or
 * vcr_peer_reply_error(), from the main loop, now or later; that frees
 * it. When the client went away meanwhile the answer is dropped quietly. */
typedef struct _VcrPeerReply VcrPeerReply;

/* 200 with the small document @json (taken; @length bytes): as it is
 * (v1), or as the payload of a sealed frame (v2). */
void vcr_peer_reply_json (VcrPeerReply *reply, char *json, gsize length);

/* 200 with @snapshot (kept by the caller): its v2 payload sealed, or its
 * v1 JSON. */
void vcr_peer_reply_snapshot (VcrPeerReply *reply, const VcrSnapshot *snapshot);

/* The protocol version of the request: 1 or 2. */
guint vcr_peer_reply_get_version (VcrPeerReply *reply);

/* @status with {"error":@code,"message":@message}. The codes SPEC §7
 * names: 409 wrong-mode, 409 path-mismatch, 409 stale-generation,
 * 400 bad-snapshot (a text outside its path or unparsable), 422
 * apply-failed. */
void vcr_peer_reply_error (VcrPeerReply *reply,
                           guint status,
                           const char *code,
                           const char *message);

/* The remote address of the request, "ADDR:PORT" (for logs). */
const char *vcr_peer_reply_get_peer (VcrPeerReply *reply);

/* The remote IP address of the request (the reply keeps it), or NULL. */
GInetAddress *vcr_peer_reply_get_remote_address (VcrPeerReply *reply);

typedef struct {
  /* POST /v1/snapshot: authenticated, its frame opened (v2) or its JSON
   * read (v1), strictly, every digest checked. The handler takes @snapshot. It still checks
   * mode, the path set, each text with vcr_snapshot_parse_trees() (400
   * bad-snapshot) and the generation, then applies; it answers with
   * vcr_post_result_to_json(). */
  void (*post_snapshot) (VcrSnapshot *snapshot,
                         VcrPeerReply *reply,
                         gpointer user_data);
  /* GET /v1/snapshot: answer vcr_peer_reply_snapshot() or 409 wrong-mode. */
  void (*get_snapshot) (VcrPeerReply *reply, gpointer user_data);
  /* GET /v1/digests: answer vcr_digests_to_json(). */
  void (*get_digests) (VcrPeerReply *reply, gpointer user_data);
  /* GET /v1/texts (v2 only; nullable: 404): a replica's texts as
   * replication carries them, for the primary's dry run: answer
   * vcr_peer_reply_snapshot() (epoch "" before any apply, "excludes" and
   * "kept" set) or 409 wrong-mode. */
  void (*get_texts) (VcrPeerReply *reply, gpointer user_data);
} VcrPeerHandler;

#define VCR_TYPE_PEER_SERVER (vcr_peer_server_get_type ())
G_DECLARE_FINAL_TYPE (VcrPeerServer, vcr_peer_server, VCR, PEER_SERVER, GObject)

/* @handler is copied; @user_data is passed to its callbacks and must
 * outlive the server. The nonce memory starts empty now: requests signed
 * before this moment are refused (their nonces may have been used with
 * an earlier server), whichever address the server listens on later. */
VcrPeerServer *vcr_peer_server_new (const char *secret,
                                    const VcrPeerHandler *handler,
                                    gpointer user_data);

/* A new secret (on reload). Requests already authenticated are answered
 * with the key they were checked with. The replay memory is kept. */
void vcr_peer_server_set_secret (VcrPeerServer *server, const char *secret);

/* allow-protocol-v1: v1 requests are served (default: refused, 401). */
void vcr_peer_server_set_allow_v1 (VcrPeerServer *server, gboolean allow);

/* The largest request body accepted (default VCR_PEER_DEFAULT_BODY_LIMIT).
 * The bodies of all requests in flight share a budget of twice that. */
void vcr_peer_server_set_body_limit (VcrPeerServer *server, gsize limit);

/* Connection cap and deadlines (default VCR_PEER_LIMITS_DEFAULT). */
void vcr_peer_server_set_limits (VcrPeerServer *server, const VcrPeerLimits *limits);

/* Capacity of the replay memory (default VCR_NONCE_CACHE_DEFAULT_CAPACITY);
 * only before the first request. */
void vcr_peer_server_set_nonce_capacity (VcrPeerServer *server, guint capacity);

/* Listens on @address (an IPv4 or IPv6 literal; NULL or "" for all
 * addresses) and @port (0: any free port). Again after
 * vcr_peer_server_stop(), on any address: the nonce memory is kept. */
gboolean vcr_peer_server_listen (VcrPeerServer *server,
                                 const char *address,
                                 guint16 port,
                                 GError **error);

/* The first bound address, "127.0.0.1:41234" or "[::1]:7790"; NULL before
 * listen. */
char *vcr_peer_server_get_address (VcrPeerServer *server);

/* Stops listening and closes connections; pending replies are dropped. */
void vcr_peer_server_stop (VcrPeerServer *server);
/* TRUE while an answer a handler gave is still being sent. */
gboolean vcr_peer_server_is_answering (VcrPeerServer *server);

G_END_DECLS
