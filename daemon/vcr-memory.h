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

/* Pages of their own for a big buffer of @size bytes (a request body), a
 * private anonymous mapping not faulted in until written: back to the
 * kernel as a whole by vcr_memory_unmap(), whatever malloc keeps. NULL
 * when the kernel refuses. (No mapping is kept for the next body: the
 * pages of a refused request's body must not stay resident, and the
 * push benchmark showed no gain worth it; docs/performance.md.) */
gpointer vcr_memory_map (gsize size);

/* Gives a buffer from vcr_memory_map() back, from any thread. */
void vcr_memory_unmap (gpointer pages, gsize size);

/* Drops a pending release (at exit). */
void vcr_memory_shutdown (void);

G_END_DECLS
