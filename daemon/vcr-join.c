/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The join-or-follow-up rule of Push and Pull (see vcr-join.h): a small
 * state machine over two lists of callers.
 */
#define G_LOG_DOMAIN "vcr-join"

#include "config.h"

#include "vcr-join.h"

void
vcr_join_init (VcrJoin *join, GDestroyNotify free_waiter)
{
  join->free_waiter = free_waiter;
  join->phase = VCR_JOIN_IDLE;
  join->current = g_ptr_array_new_with_free_func (free_waiter);
  join->next = g_ptr_array_new_with_free_func (free_waiter);
}

void
vcr_join_clear (VcrJoin *join)
{
  g_clear_pointer (&join->current, g_ptr_array_unref);
  g_clear_pointer (&join->next, g_ptr_array_unref);
  join->phase = VCR_JOIN_IDLE;
}

VcrJoinOutcome
vcr_join_add (VcrJoin *join, gpointer waiter)
{
  switch (join->phase)
    {
    case VCR_JOIN_IDLE:
      g_ptr_array_add (join->current, waiter);
      join->phase = VCR_JOIN_DUE;
      return VCR_JOIN_START;
    case VCR_JOIN_DUE:
      g_ptr_array_add (join->current, waiter);
      return VCR_JOIN_JOINED;
    case VCR_JOIN_RUNNING:
    default:
      g_ptr_array_add (join->next, waiter);
      return VCR_JOIN_QUEUED;
    }
}

gboolean
vcr_join_begin (VcrJoin *join)
{
  if (join->phase == VCR_JOIN_RUNNING)
    return FALSE;
  join->phase = VCR_JOIN_RUNNING;
  return TRUE;
}

/* Takes a list away, leaving an empty one in its place. */
static GPtrArray *
swap_out (VcrJoin *join, GPtrArray **list)
{
  GPtrArray *taken = *list;

  *list = g_ptr_array_new_with_free_func (join->free_waiter);
  return taken;
}

GPtrArray *
vcr_join_end (VcrJoin *join, gboolean *follow_up)
{
  GPtrArray *done = swap_out (join, &join->current);
  GPtrArray *empty = join->current;

  join->current = join->next;
  join->next = empty;
  *follow_up = join->current->len > 0;
  join->phase = *follow_up ? VCR_JOIN_DUE : VCR_JOIN_IDLE;
  return done;
}

GPtrArray *
vcr_join_take_all (VcrJoin *join)
{
  GPtrArray *all = swap_out (join, &join->current);
  g_autoptr(GPtrArray) queued = swap_out (join, &join->next);
  gsize n = 0;
  g_autofree gpointer *moved = g_ptr_array_steal (queued, &n);

  for (gsize i = 0; i < n; i++)
    g_ptr_array_add (all, moved[i]);
  join->phase = VCR_JOIN_IDLE;
  return all;
}

gboolean
vcr_join_is_busy (const VcrJoin *join)
{
  return join->phase != VCR_JOIN_IDLE;
}
