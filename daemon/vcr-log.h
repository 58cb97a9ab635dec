/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for the daemon: one GLib log writer that sends structured records
 * to journald when stderr is the journal (systemd sets JOURNAL_STREAM), and
 * one plain line per record to stderr otherwise. Debug records are dropped
 * unless --verbose was given. Code logs with g_message()/g_warning()/g_debug()
 * or, to add fields (VCR_PEER=, VCR_PATH=), with g_log_structured().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void vcr_log_init (gboolean verbose);
gboolean vcr_log_get_verbose (void);

G_END_DECLS
