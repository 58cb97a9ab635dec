/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One request waiting for the application's answer (vcr-peer-reply.h):
 * the message stays paused, without a deadline (an apply takes what it
 * takes; the replicator bounds it), until one of the vcr_peer_reply_*()
 * answers; a client gone meanwhile makes the answer go nowhere.
 */
#define G_LOG_DOMAIN "vcr-peer-server"

#include "vcr-peer-reply.h"

#include "vcr-peer-listener.h"

struct _VcrPeerReply {
  SoupServerMessage *msg;   /* NULL once the client went away */
  GObject *owner;
  VcrPeerReplyAnswered answered;
  VcrPeerAuth auth;
  char *peer;
  GInetAddress *remote;     /* nullable: the client's IP address */
};

/* The connection ended while the handler had the message (the server
 * stopped): the answer, when it comes, goes nowhere. */
static void
reply_msg_gone (SoupServerMessage *msg, gpointer user_data)
{
  VcrPeerReply *reply = user_data;

  g_signal_handlers_disconnect_by_func (msg, reply_msg_gone, reply);
  g_clear_object (&reply->msg);
}

VcrPeerReply *
vcr_peer_reply_new (SoupServerMessage *msg, const VcrPeerAuth *auth, GObject *owner,
                    VcrPeerReplyAnswered answered)
{
  VcrPeerReply *reply = g_new0 (VcrPeerReply, 1);

  reply->msg = g_object_ref (msg);
  reply->owner = g_object_ref (owner);
  reply->answered = answered;
  vcr_peer_auth_copy (&reply->auth, auth);
  reply->peer = vcr_peer_format_address (soup_server_message_get_remote_address (msg));
  {
    GSocketAddress *remote = soup_server_message_get_remote_address (msg);

    if (G_IS_INET_SOCKET_ADDRESS (remote))
      reply->remote = g_object_ref (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  }
  g_signal_connect (msg, "disconnected", G_CALLBACK (reply_msg_gone), reply);
  soup_server_message_pause (msg);
  return reply;
}

static void
reply_finish (VcrPeerReply *reply, guint status, const char *code,
              const char *message, char *json, gsize length, const VcrSnapshot *snapshot)
{
  if (reply->msg != NULL)
    {
      g_signal_handlers_disconnect_by_func (reply->msg, reply_msg_gone, reply);
      if (code != NULL)
        vcr_peer_respond_error (reply->msg, &reply->auth, status, code, message);
      else if (snapshot != NULL)
        vcr_peer_respond_snapshot (reply->msg, &reply->auth, snapshot);
      else
        vcr_peer_respond_json (reply->msg, &reply->auth, status, g_steal_pointer (&json),
                               length);
      reply->answered (reply->msg, reply->owner);
      soup_server_message_unpause (reply->msg);
    }
  else
    g_debug ("%s went away before its answer; dropped", reply->peer);
  g_free (json);
  g_clear_object (&reply->msg);
  g_clear_object (&reply->owner);
  vcr_peer_auth_clear (&reply->auth);
  g_free (reply->peer);
  g_clear_object (&reply->remote);
  g_free (reply);
}

void
vcr_peer_reply_json (VcrPeerReply *reply, char *json, gsize length)
{
  g_return_if_fail (reply != NULL && json != NULL);
  reply_finish (reply, SOUP_STATUS_OK, NULL, NULL, json, length, NULL);
}

void
vcr_peer_reply_snapshot (VcrPeerReply *reply, const VcrSnapshot *snapshot)
{
  g_return_if_fail (reply != NULL && snapshot != NULL);
  reply_finish (reply, SOUP_STATUS_OK, NULL, NULL, NULL, 0, snapshot);
}

guint
vcr_peer_reply_get_version (VcrPeerReply *reply)
{
  return reply->auth.version;
}

void
vcr_peer_reply_error (VcrPeerReply *reply, guint status, const char *code,
                      const char *message)
{
  g_return_if_fail (reply != NULL && code != NULL && message != NULL);
  g_return_if_fail (status >= 400 && status < 600);
  reply_finish (reply, status, code, message, NULL, 0, NULL);
}

const char *
vcr_peer_reply_get_peer (VcrPeerReply *reply)
{
  return reply->peer;
}

GInetAddress *
vcr_peer_reply_get_remote_address (VcrPeerReply *reply)
{
  return reply->remote;
}
