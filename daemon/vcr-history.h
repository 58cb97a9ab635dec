/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The history GetHistory shows, in two parts. The events of the daemon's
 * own work and of root's calls live in the state store (state.json, the
 * last VCR_STATE_HISTORY_MAX), saved a moment after each. Refused commits
 * of callers other than root go to a small ring of their own, in memory
 * only: any local user can call CheckCommit as often as the bus lets
 * them, so those entries must never push root's events out of the
 * history nor make the daemon write its state file (on a router, flash).
 * GetHistory merges both, newest first.
 */
#pragma once

#include "vcr-state.h"

G_BEGIN_DECLS

/* Refused commits of callers other than root that are kept. */
#define VCR_HISTORY_UNPRIVILEGED_MAX 32

typedef struct _VcrHistory VcrHistory;

VcrHistory *vcr_history_new (VcrState *store);
void vcr_history_free (VcrHistory *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrHistory, vcr_history_free)

/* Adds @event (taken) to the saved history: state.json is written about a
 * second later, once for a burst of events. */
void vcr_history_add (VcrHistory *self, VcrEvent *event);
/* Adds @event (taken) to the ring of unprivileged callers' refusals,
 * dropping its oldest beyond VCR_HISTORY_UNPRIVILEGED_MAX; never saved. */
void vcr_history_add_unprivileged (VcrHistory *self, VcrEvent *event);
/* Both, newest first, at most @max (0: all); the events are borrowed. */
GPtrArray *vcr_history_get (VcrHistory *self, guint max);
/* Writes a pending save now (at exit). */
void vcr_history_flush (VcrHistory *self);

G_END_DECLS
