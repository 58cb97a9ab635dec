/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a child process printed, kept within a bound and made fit for a
 * log line: the --apply-command's merged stdout and stderr may be any
 * bytes, and any amount of them. The first @limit bytes are kept, the
 * rest only counted; text is made of the kept bytes with every byte that
 * is not printable UTF-8 (invalid sequences, control characters other
 * than newline and tab) written as \xNN, so a log reader sees exactly
 * what came without the child being able to forge lines or break the
 * journal's UTF-8.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VcrOutput VcrOutput;

VcrOutput *vcr_output_new (gsize limit);
void vcr_output_free (VcrOutput *output);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrOutput, vcr_output_free)

/* Keeps what fits of @data, counts the rest. */
void vcr_output_append (VcrOutput *output, const char *data, gsize length);

/* Bytes kept, bytes counted but dropped. */
gsize vcr_output_get_kept (const VcrOutput *output);
guint64 vcr_output_get_dropped (const VcrOutput *output);

/* All kept bytes as text (see above); "" when nothing came. */
char *vcr_output_to_text (const VcrOutput *output);

/* At most @max bytes of that text, white space trimmed at both ends,
 * "…" appended when it was cut (here or by the bound): what fits in an
 * error message or a history entry. */
char *vcr_output_excerpt (const VcrOutput *output, gsize max);

/* @length bytes of @data as text, escaped as above. */
char *vcr_text_escape (const char *data, gsize length);

G_END_DECLS
