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
 * the spare kept from the last buffer given back when it fits, so that a
 * replica taking pushes in a row does not fault the same megabytes in
 * again each time (on a VM that cost a tenth of a push's CPU), else a new
 * private anonymous mapping. *@mapped receives the mapping's size (at
 * least @size). NULL when the kernel refuses. */
gpointer vcr_memory_map (gsize size, gsize *mapped);

/* Gives back a buffer from vcr_memory_map(). On the main loop's thread it
 * is kept as the spare and a release is scheduled
 * (vcr_memory_release_later()), which unmaps it; elsewhere it is unmapped
 * at once. */
void vcr_memory_unmap (gpointer pages, gsize mapped);

/* Drops a pending release (at exit) and the spare. */
void vcr_memory_shutdown (void);

G_END_DECLS
