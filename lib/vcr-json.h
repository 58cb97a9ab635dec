/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict reading of the peer protocol's JSON documents with json-glib
 * (vcr-snapshot.c: protocol v1's bodies and every small document;
 * vcr-frame.c: the document at the head of a v2 payload). json-glib reads
 * the grammar; before it, one linear pass refuses what json-glib would
 * take but RFC 8259 does not (comments, single quotes, bytes that are not
 * UTF-8, a NUL, text after the document) and what it would take wrongly
 * (\u0000, which ends its strings early), and bounds the nesting; while
 * it reads, a member name given twice in one
 * object is noticed (json-glib keeps the last). The schema helpers then
 * refuse missing, unknown and mistyped members.
 *
 * Every refusal is VCR_ERROR_PEER_FAILED with a message that starts with
 * the document's or the field's name.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "vcr-snapshot.h"

G_BEGIN_DECLS

/* Objects and arrays nest at most this deep (the documents need 3). */
#define VCR_JSON_MAX_DEPTH 8

/* The object that @length bytes of @data hold (the parser keeps it:
 * unref the parser when done). @what names the document in messages. */
JsonParser *vcr_json_parse_object (const char *what,
                                   const char *data,
                                   gsize length,
                                   JsonObject **object,
                                   GError **error);

/* @o has exactly the members @names (NULL-terminated); the first unknown
 * one is named in document order. */
gboolean vcr_json_check_members (JsonObject *o,
                                 const char *where,
                                 const char *const *names,
                                 GError **error);

/* The string member @name, or NULL: "WHERE.NAME: not a string". */
const char *vcr_json_get_string (JsonObject *o,
                                 const char *where,
                                 const char *name,
                                 GError **error);

/* The integer member @name, 0 to G_MAXINT64: "WHERE.NAME: not a
 * non-negative integer". */
gboolean vcr_json_get_count (JsonObject *o,
                             const char *where,
                             const char *name,
                             guint64 *out,
                             GError **error);

/* vcr_json_check_members() of @required, but the members @optional may
 * be there too. */
gboolean vcr_json_check_members_optional (JsonObject *o,
                                          const char *where,
                                          const char *const *required,
                                          const char *const *optional,
                                          GError **error);

/* The optional lists of a snapshot document into @snapshot: "excludes"
 * and, when @texts (a replica's texts), "kept", each one of "excludes".
 * Each a list of canonical paths given once; an empty one reads as none. */
gboolean vcr_json_read_snapshot_lists (JsonObject *o,
                                       VcrSnapshot *snapshot,
                                       gboolean texts,
                                       GError **error);

/* @s is exactly @len lowercase hex digits. */
gboolean vcr_json_is_lower_hex (const char *s, gsize len);

G_END_DECLS
