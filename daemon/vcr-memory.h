/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the daemon's memory goes back to the kernel. A replica handles
 * snapshots of megabytes now and then, and CheckCommit parses whole
 * configs: freed at once, those buffers are best kept by malloc while work
 * goes on (on a VM first-touch page faults cost more than the work) and
 * given back once the daemon has been quiet for a moment.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets malloc up for that; call first thing in main(). */
void vcr_memory_init (void);

/* Gives freed memory back to the kernel a moment after the last call (a
 * burst of work is not interrupted); call after a push, an apply or a
 * commit check. The main context must run. */
void vcr_memory_release_later (void);

/* Pages of their own for a big buffer of @size bytes (a request body):
 * the spare kept from the last accepted buffer when it fits (its pages
 * already faulted in: on this VM faulting a 4.8 MB body in again cost a
 * replica 20 of its 45 ms of CPU per push), else a new private anonymous
 * mapping, not faulted in until written. *@mapped receives the mapping's
 * size (at least @size). NULL when the kernel refuses. */
gpointer vcr_memory_map (gsize size, gsize *mapped);

/* Gives back a buffer from vcr_memory_map(). With @keep (the body of an
 * authenticated request), on the main loop's thread, it is kept as the
 * spare and a release is scheduled (vcr_memory_release_later()), which
 * unmaps it; otherwise (a refused request's body: its pages must not stay
 * resident; or another thread) it is unmapped at once. */
void vcr_memory_unmap (gpointer pages, gsize mapped, gboolean keep);

/* Drops a pending release (at exit) and the spare. */
void vcr_memory_shutdown (void);

G_END_DECLS
