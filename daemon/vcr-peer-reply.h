/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer server's VcrPeerReply (its public calls are in
 * vcr-peer-server.h): one request handed to the application, paused until
 * the application answers it. Kept apart from vcr-peer-server.c, which
 * makes them (vcr_peer_reply_new()) and counts the answers being written.
 */
#pragma once

#include <libsoup/soup.h>

#include "vcr-peer-respond.h"
#include "vcr-peer-server.h"

G_BEGIN_DECLS

/* Runs when the answer is given, before the message is unpaused. */
typedef void (*VcrPeerReplyAnswered) (SoupServerMessage *msg, gpointer owner);

/* Pauses @msg until the answer; answered as @auth says (copied). @owner
 * is kept until then and handed to @answered. */
VcrPeerReply *vcr_peer_reply_new (SoupServerMessage *msg,
                                  const VcrPeerAuth *auth,
                                  GObject *owner,
                                  VcrPeerReplyAnswered answered);

G_END_DECLS
