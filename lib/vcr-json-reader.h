/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A strict, single-pass JSON reader for the peer protocol documents (used by
 * vcr-snapshot.c; not a general JSON library). It checks RFC 8259 exactly
 * (UTF-8, no comments or single quotes, no leading zeros, no control
 * characters or bad escapes in strings, no \u0000 or lone surrogates,
 * integers within gint64, nothing after the document, a bounded nesting
 * depth, no duplicate member names) and builds a small tree whose strings
 * are decoded once, into buffers of their exact size, so a caller can take
 * them without another copy, or, read in place, over their own escaped
 * text in the caller's writable document, so that nothing is copied.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Objects and arrays nest at most this deep (the documents need 3). */
#define VCR_JSON_MAX_DEPTH 8

typedef enum {
  VCR_JSON_NULL,
  VCR_JSON_FALSE,
  VCR_JSON_TRUE,
  VCR_JSON_INTEGER,   /* no fraction, no exponent: fits gint64 */
  VCR_JSON_NUMBER,    /* any other number; its value is not kept */
  VCR_JSON_STRING,
  VCR_JSON_ARRAY,
  VCR_JSON_OBJECT,
} VcrJsonKind;

typedef struct _VcrJsonMember VcrJsonMember;
typedef struct _VcrJsonValue VcrJsonValue;

/* One value. Containers own their items, strings their bytes unless
 * @borrowed. */
struct _VcrJsonValue {
  VcrJsonKind kind;
  guint n;                    /* items of an array, members of an object */
  /* read in place: the string (VCR_JSON_STRING) or the member names
   * (VCR_JSON_OBJECT) point into the document and are not freed */
  gboolean borrowed;
  union {
    gint64 integer;           /* VCR_JSON_INTEGER */
    char *string;             /* VCR_JSON_STRING: NUL-terminated, no NUL inside */
    VcrJsonValue *items;      /* VCR_JSON_ARRAY */
    VcrJsonMember *members;   /* VCR_JSON_OBJECT, in document order */
  };
};

struct _VcrJsonMember {
  char *name;
  VcrJsonValue value;
};

/* Reads @length bytes that must hold exactly one JSON object into @root.
 * On failure (VCR_ERROR_PEER_FAILED) @root is left empty and the message,
 * which starts with @what, says what is wrong and where:
 * "WHAT: not UTF-8 text (or holds a NUL byte)",
 * "WHAT: malformed JSON at byte N: PROBLEM" or
 * "WHAT: duplicate member name". */
gboolean vcr_json_read (const char *what,
                        const char *data,
                        gsize length,
                        VcrJsonValue *root,
                        GError **error);

/* vcr_json_read(), with the same result and the same refusals, but every
 * string value and member name is decoded over its own escaped text in
 * @data (it is never longer) and points there, NUL-terminated at the
 * latest where its closing quote was: @root borrows them (vcr_json_clear()
 * does not free them; vcr_json_steal_string() refuses them), so @data must
 * outlive @root. @data is modified either way; after a failure its content
 * is unspecified. Nothing past @length is read or written. */
gboolean vcr_json_read_in_place (const char *what,
                                 char *data,
                                 gsize length,
                                 VcrJsonValue *root,
                                 GError **error);

/* Frees what @value holds and makes it a null. */
void vcr_json_clear (VcrJsonValue *value);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VcrJsonValue, vcr_json_clear)

/* The member @name of the object @object, or NULL. */
VcrJsonValue *vcr_json_get_member (const VcrJsonValue *object, const char *name);

/* Takes the bytes of the string @value (the caller frees them); @value
 * becomes a null. Not for a string read in place. */
char *vcr_json_steal_string (VcrJsonValue *value);

G_END_DECLS
