/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dry run of a push (D-Bus Preview(), docs/behaviour.md "The dry
 * run"): the `delete`/`set`/`comment` lines that one replica would apply
 * if the primary pushed now, computed on the primary from the texts it
 * would send that replica (vcr_mask_path_texts(), its overrides set) and
 * the texts the replica holds now, as replication carries them (its
 * exclusions left out, so no line ever touches them). The same lines
 * vcr_diff() gives between the replica's config before and after that
 * push.
 */
#pragma once

#include <glib.h>

#include "vcr-snapshot.h"

G_BEGIN_DECLS

/* The lines that turn @current (the replica's texts: a snapshot document,
 * one entry per replicate path) into @wanted (of VcrPathText*, in the
 * settings' order): for each path of @wanted in order, vcr_diff() of the
 * two parsed texts under the path (a path @current lacks counts as "").
 * @kept (nullable, of GStrv) are the exclusions at which the replica
 * holds something: the texts leave those out, yet the push keeps them
 * and the ancestors they need, so both trees get a stand-in node there
 * and the lines keep them too (no "delete" of an ancestor they need). An
 * empty vector when nothing would change. NULL with
 * VCR_ERROR_INVALID_CONFIG when a text of @current does not parse or
 * holds nodes outside its path. */
GStrv vcr_preview_commands (GPtrArray *wanted,
                            const VcrSnapshot *current,
                            GPtrArray *kept,
                            GError **error);

/* NULL when a push of @wanted (with the exclusions @excludes, canonical
 * strings, NULL-terminated or NULL) would be taken by a replica holding
 * @current (its texts, with its exclusions); else the note that takes
 * the place of its lines, "# refused: 409 path-mismatch: …", as its
 * refusal would say it: the replica replicates other paths, or leaves
 * other parts out. */
char *vcr_preview_refusal (GPtrArray *wanted,
                           const char *const *excludes,
                           const VcrSnapshot *current);

/* @current's "kept" as paths (of GStrv), for vcr_preview_commands(); an
 * empty array when none. NULL with VCR_ERROR_PEER_FAILED when one is not
 * a path. */
GPtrArray *vcr_preview_kept_paths (const VcrSnapshot *current, GError **error);

/* The one element of a Preview entry for a replica that could not be
 * asked: "# unreachable: @reason" (no VyOS command starts with '#'). */
char *vcr_preview_unreachable (const char *reason);

/* TRUE when @line is a note such as that one (it starts with '#'), not a
 * command. */
gboolean vcr_preview_is_note (const char *line);

G_END_DECLS
