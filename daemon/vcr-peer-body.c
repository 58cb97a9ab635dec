/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request bodies and their budget (see vcr-peer-body.h).
 */
#define G_LOG_DOMAIN "vcr-peer-body"

#include "vcr-peer-body.h"

#include <string.h>

#include "vcr-memory.h"

#define BODY_MAP_MIN (1024 * 1024)

struct _VcrPeerBudget {
  GMutex lock;
  gsize used;
  gsize limit;
};

VcrPeerBudget *
vcr_peer_budget_new (gsize limit)
{
  VcrPeerBudget *budget = g_atomic_rc_box_new0 (VcrPeerBudget);

  g_mutex_init (&budget->lock);
  budget->limit = limit;
  return budget;
}

VcrPeerBudget *
vcr_peer_budget_ref (VcrPeerBudget *budget)
{
  return g_atomic_rc_box_acquire (budget);
}

static void
budget_clear (gpointer data)
{
  g_mutex_clear (&((VcrPeerBudget *) data)->lock);
}

void
vcr_peer_budget_unref (VcrPeerBudget *budget)
{
  g_atomic_rc_box_release_full (budget, budget_clear);
}

void
vcr_peer_budget_set_limit (VcrPeerBudget *budget, gsize limit)
{
  g_mutex_lock (&budget->lock);
  budget->limit = limit;
  g_mutex_unlock (&budget->lock);
}

gboolean
vcr_peer_budget_take (VcrPeerBudget *budget, gsize bytes)
{
  gboolean ok;

  g_mutex_lock (&budget->lock);
  ok = bytes <= budget->limit - MIN (budget->used, budget->limit);
  if (ok)
    budget->used += bytes;
  g_mutex_unlock (&budget->lock);
  return ok;
}

void
vcr_peer_budget_give (VcrPeerBudget *budget, gsize bytes)
{
  g_mutex_lock (&budget->lock);
  budget->used -= MIN (bytes, budget->used);
  g_mutex_unlock (&budget->lock);
}

void
vcr_peer_body_clear (VcrPeerBody *body)
{
  if (body->map_size > 0)
    vcr_memory_unmap (body->data, body->map_size, body->authenticated);
  else
    g_free (body->data);
  if (body->budget != NULL)
    {
      vcr_peer_budget_give (body->budget, body->cap);
      vcr_peer_budget_unref (body->budget);
    }
  *body = (VcrPeerBody) { NULL, 0, 0, 0, FALSE, NULL };
}

void
vcr_peer_body_init (VcrPeerBody *body, VcrPeerBudget *budget, gsize cap)
{
  *body = (VcrPeerBody) { NULL, 0, cap, 0, FALSE, vcr_peer_budget_ref (budget) };
  if (cap >= BODY_MAP_MIN)
    {
      /* Not MAP_POPULATE: the body is not authenticated yet, and a bare
       * Content-Length must not make the daemon take its pages at once.
       * The budget counts what Content-Length said; a spare a little
       * bigger is not counted. */
      body->data = vcr_memory_map (cap, &body->map_size);
      if (body->data != NULL)
        return;
      body->map_size = 0;
    }
  body->data = cap > 0 ? g_malloc (cap) : NULL;
}

void
vcr_peer_body_free (gpointer data)
{
  VcrPeerBody *body = data;

  vcr_peer_body_clear (body);
  g_free (body);
}

VcrPeerBody *
vcr_peer_body_steal (VcrPeerBody *body)
{
  VcrPeerBody *owned = g_new (VcrPeerBody, 1);

  *owned = *body;
  *body = (VcrPeerBody) { NULL, 0, 0, 0, FALSE, NULL };
  return owned;
}

gboolean
vcr_peer_body_append (VcrPeerBody *body, const guint8 *data, gsize size, gsize limit)
{
  if (size > body->cap - body->len)
    {
      gsize cap = MIN (MAX (body->len + size, body->cap * 2), limit);

      if (!vcr_peer_budget_take (body->budget, cap - body->cap))
        return FALSE;
      if (body->map_size > 0)
        {
          /* more than Content-Length said: libsoup does not let it happen */
          guint8 *heap = g_malloc (cap);
          memcpy (heap, body->data, body->len);
          vcr_memory_unmap (body->data, body->map_size, FALSE);
          body->data = heap;
          body->map_size = 0;
        }
      else
        body->data = g_realloc (body->data, cap);
      body->cap = cap;
    }
  memcpy (body->data + body->len, data, size);
  body->len += size;
  return TRUE;
}
