/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer server's listening sockets and its own accept loop on the GLib
 * main loop. libsoup 3.2.3 removes its listen source on the first failed
 * accept(), so about 1,024 idle connections (EMFILE) ended peer service
 * for good while the main loop and the watchdog looked healthy; GLib's
 * GSocketService logs and re-queues at once on an error, a busy loop.
 * This listener never stops for an error: out of descriptors, buffers or
 * memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) it stops watching and tries
 * again after a backoff (VCR_PEER_ACCEPT_BACKOFF_MIN_MS doubling to
 * VCR_PEER_ACCEPT_BACKOFF_MAX_MS), with one warning per episode at most
 * once a minute; a connection that failed before it was taken
 * (ECONNABORTED, EPROTO, network errors) or an interrupted call is
 * skipped. The owner decides before each accept() whether one more
 * connection may be taken (its cap) and hands each one to libsoup.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The kernel's queue of connections not yet accepted (libsoup's was 10):
 * room for a burst while the cap holds connections. */
#define VCR_PEER_LISTEN_BACKLOG 128
/* Connections taken per wake-up of one socket, so that those taken get
 * their turn on the main loop (their headers read) before more come. */
#define VCR_PEER_ACCEPT_BATCH 16
#define VCR_PEER_ACCEPT_BACKOFF_MIN_MS 50
#define VCR_PEER_ACCEPT_BACKOFF_MAX_MS 1000

typedef struct _VcrPeerListener VcrPeerListener;

typedef struct {
  /* Asked before each accept(). FALSE leaves the connection in the
   * kernel's queue and stops watching until vcr_peer_listener_resume(). */
  gboolean (*may_accept) (gpointer user_data);
  /* A connection taken (non-blocking, close-on-exec); the callee owns
   * @socket. */
  void (*accepted) (GSocket *socket, gpointer user_data);
} VcrPeerListenerFuncs;

/* Listens on @address (an IPv4 or IPv6 literal; NULL or "" for every
 * address: 0.0.0.0 and, where the host has IPv6, [::] on the same port)
 * and @port (0: a free one). Accepting starts on the thread-default main
 * context. */
VcrPeerListener *vcr_peer_listener_new (const char *address,
                                        guint16 port,
                                        const VcrPeerListenerFuncs *funcs,
                                        gpointer user_data,
                                        GError **error);
/* Closes the listening sockets (connections taken are the owner's). */
void vcr_peer_listener_free (VcrPeerListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrPeerListener, vcr_peer_listener_free)

/* Watches again after may_accept() said no. */
void vcr_peer_listener_resume (VcrPeerListener *listener);

/* The first bound address, "127.0.0.1:41234" or "[::1]:7790". */
char *vcr_peer_listener_get_address (VcrPeerListener *listener);

/* "ADDR:PORT" of an inet socket address ("[ADDR]:PORT" for IPv6, an
 * IPv4-mapped one as IPv4), "?" for anything else. Protocol v2's
 * DESTINATION is written this way by both ends. */
char *vcr_peer_format_address (GSocketAddress *address);

G_END_DECLS
