/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How Push and Pull callers share work, on its own so that it can be
 * tested. A run reads its input once (a Push: the primary's running
 * config; a Pull: the primary's snapshot, by sending its GET), and its
 * result may only be handed to callers that arrived before that read:
 * "ok" must mean the config as committed before the call.
 *
 *  - nothing runs: the caller starts a run (VCR_JOIN_START), which the
 *    owner begins a moment later (vcr_join_begin()), so that callers
 *    arriving together share it;
 *  - a run is due but has not read yet: the caller joins it;
 *  - a run has read: the caller waits for one follow-up run, which every
 *    later caller joins until it begins; it begins when the running one
 *    ends (vcr_join_end()).
 *
 * A run without callers (a background pull) begins the same way and is
 * followed up the same way.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VCR_JOIN_START,    /* the caller's run is due: start it */
  VCR_JOIN_JOINED,   /* joined a run that has not read yet */
  VCR_JOIN_QUEUED,   /* waits for the follow-up of the run that has read */
} VcrJoinOutcome;

typedef enum {
  VCR_JOIN_IDLE,
  VCR_JOIN_DUE,      /* a run will begin; callers join it */
  VCR_JOIN_RUNNING,  /* it has begun (read its input) */
} VcrJoinPhase;

typedef struct {
  GDestroyNotify free_waiter;
  VcrJoinPhase phase;
  GPtrArray *current;   /* the callers of the run that is due or runs */
  GPtrArray *next;      /* the callers of the follow-up */
} VcrJoin;

/* @free_waiter frees what vcr_join_clear() finds left. */
void vcr_join_init (VcrJoin *join, GDestroyNotify free_waiter);
void vcr_join_clear (VcrJoin *join);

/* Adds a caller (@waiter, taken) and says what the owner must do. */
VcrJoinOutcome vcr_join_add (VcrJoin *join, gpointer waiter);
/* The due run (or, when idle, one without callers) reads its input now;
 * FALSE (and nothing changes) when one runs already. */
gboolean vcr_join_begin (VcrJoin *join);
/* The run ended: its callers (the caller of this answers and frees them).
 * When a follow-up is due, *@follow_up is TRUE, the queued callers are
 * the current ones and the phase is VCR_JOIN_DUE: the owner starts it. */
GPtrArray *vcr_join_end (VcrJoin *join, gboolean *follow_up);
/* Everything is called off (a reload): every caller, the current and the
 * queued ones; the phase is VCR_JOIN_IDLE. */
GPtrArray *vcr_join_take_all (VcrJoin *join);
/* TRUE while a run is due or runs. */
gboolean vcr_join_is_busy (const VcrJoin *join);

G_END_DECLS
