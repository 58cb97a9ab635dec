/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plaintext inside a protocol v2 frame (docs/protocol-v2.md): a 4-byte
 * big-endian length, a small JSON document (read with json-glib), then, for
 * a snapshot, each path's config text as raw bytes followed by one NUL, in
 * the order of the document's "paths". The texts are never JSON-escaped:
 * a receiver uses them where they lie.
 *
 * Errors are VCR_ERROR_PEER_FAILED naming the field.
 */
#pragma once

#include <glib.h>

#include "vcr-snapshot.h"

G_BEGIN_DECLS

#define VCR_FRAME_PROTOCOL_VERSION 2
/* The JSON part of a payload is small: a path list, digests, a message. */
#define VCR_FRAME_DOCUMENT_LIMIT (1024 * 1024)

/* The payload of a snapshot:
 * {"protocol":2,"origin":…,"epoch":…,"generation":N,
 *  "paths":[{"path":…,"digest":…,"length":N}]} and the texts; the
 * document also carries "excludes":[…] when the snapshot has exclusions,
 * and "kept":[…] when it has such (a replica's texts). */
GBytes *vcr_frame_snapshot_payload (const VcrSnapshot *snapshot);

/* Reads a snapshot payload in place: the texts stay in @payload (each
 * followed by its NUL), the entries' configs point there. The snapshot
 * takes @payload: @release(@release_data) runs when it is freed, or
 * before this returns NULL. Checks the document strictly (members,
 * types, protocol 2, epoch and digests as lowercase hex, canonical
 * distinct paths) and that the lengths account for every byte, each text
 * ends with its NUL and holds no other. Digests are not checked here
 * (vcr_snapshot_check_digests()). */
VcrSnapshot *vcr_frame_snapshot_read_in_place (guint8 *payload,
                                               gsize length,
                                               GDestroyNotify release,
                                               gpointer release_data,
                                               GError **error);

/* A replica's texts (GET /v1/texts) read in place: as a snapshot, but its
 * epoch may be "" and it may carry "kept" (each one of its "excludes"). */
VcrSnapshot *vcr_frame_texts_read_in_place (guint8 *payload,
                                            gsize length,
                                            GDestroyNotify release,
                                            gpointer release_data,
                                            GError **error);

/* The payload of a small document (digests, POST answer, error body):
 * the length and @json, nothing after it. */
GBytes *vcr_frame_document_payload (const char *json, gsize length);

/* The JSON of a small-document payload: *@json points into @payload.
 * Refuses a payload with bytes after the document. */
gboolean vcr_frame_document_read (const guint8 *payload,
                                  gsize length,
                                  const char **json,
                                  gsize *json_length,
                                  GError **error);

G_END_DECLS
