/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the vyos backend (vcr-backend-vyos.c) has beyond VcrBackend: its
 * retry policy when VyOS's commit lock is held and the deadlines of its
 * children, which tests shorten.
 */
#pragma once

#include "vcr-backend.h"

G_BEGIN_DECLS

/* After a held lock the apply is tried again after @first_delay_ms,
 * doubling up to 8 s, at most @max_attempts times in all (defaults: 500 ms
 * and 8). */
void vcr_backend_vyos_set_retry (VcrBackend *backend, guint first_delay_ms, guint max_attempts);

/* Every `cli-shell-api showConfig` must end within @read_ms, a whole
 * apply (its reads, sessions and waits for a held lock) within
 * @session_ms (defaults: 60 s and 180 s); past it the session is stopped
 * and discarded. */
void vcr_backend_vyos_set_timeouts (VcrBackend *backend, guint read_ms, guint session_ms);

G_END_DECLS
