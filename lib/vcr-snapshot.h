/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON documents of the peer protocol (SPEC §7): the snapshot envelope
 * (protocol v1; v2's is vcr-frame.h; both carry the sender's exclusions
 * when it has any, and v2's is also a replica's texts for the dry run),
 * the digests document, the POST
 * answer and error bodies. The v1 snapshot is written by hand, the small
 * documents with json-glib's builder; all are read with json-glib, made
 * strict (vcr-json.h: no comments or single quotes, no \u0000, UTF-8;
 * duplicate or extra members, missing members, wrong types and bad syntax
 * of every field are refused).
 * All parse failures are VCR_ERROR_PEER_FAILED with a message naming the
 * field.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VCR_PROTOCOL_VERSION 1
#define VCR_EPOCH_HEX_LEN 32
#define VCR_DIGEST_HEX_LEN 64
/* The largest request or response body a peer takes (SPEC §7: 64 MiB). */
#define VCR_PEER_DEFAULT_BODY_LIMIT (64 * 1024 * 1024)

/* The strings are the entry's own, except in a snapshot read in place
 * from a v2 payload (VcrSnapshot.document set, vcr-frame.h): then its
 * config points into that payload and must be neither freed nor
 * replaced. */
typedef struct {
  char *path;         /* canonical: words joined by single spaces */
  char *config;       /* the snapshot text; NULL in a digests document */
  char *digest;       /* 64 lowercase hex */
  gsize config_len;   /* bytes of @config (no NUL inside); 0 without one */
} VcrSnapshotEntry;

typedef struct {
  char *origin;          /* the primary's host name */
  char *epoch;           /* 32 lowercase hex ("" allowed in a replica's texts) */
  guint64 generation;    /* <= G_MAXINT64 */
  GPtrArray *entries;    /* VcrSnapshotEntry, in document order */
  GStrv excludes;        /* the sender's `replicate exclude` paths, canonical
                          * and distinct; NULL: none (the document carries
                          * "excludes" only when there is one, so a peer
                          * without exclusions reads what it always read) */
  GStrv kept;            /* a replica's texts (vcr_frame_texts_*) only:
                          * those of @excludes it holds something at; NULL: none */
  /* read in place: the document the entries point into, and what frees
   * it with the snapshot (release NULL: the caller keeps it); else NULL */
  char *document;
  GDestroyNotify release;
  gpointer release_data;
} VcrSnapshot;

VcrSnapshot *vcr_snapshot_new (const char *origin,
                               const char *epoch,
                               guint64 generation);
void vcr_snapshot_free (VcrSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrSnapshot, vcr_snapshot_free)

/* Appends a path; @digest NULL computes it from @config. Not on a snapshot
 * read in place. */
void vcr_snapshot_add (VcrSnapshot *snapshot,
                       const char *path,
                       const char *config,
                       const char *digest);

/* Copies @excludes (canonical paths; NULL or empty: none). */
void vcr_snapshot_set_excludes (VcrSnapshot *snapshot, const char *const *excludes);
/* Copies @kept (a subset of the exclusions; NULL or empty: none). */
void vcr_snapshot_set_kept (VcrSnapshot *snapshot, const char *const *kept);

const VcrSnapshotEntry *vcr_snapshot_lookup (const VcrSnapshot *snapshot,
                                             const char *path);

char *vcr_snapshot_to_json (const VcrSnapshot *snapshot, gsize *length);
VcrSnapshot *vcr_snapshot_from_json (const char *data,
                                     gsize length,
                                     GError **error);

/* Every digest equals the lowercase hex SHA-256 of its config text. */
gboolean vcr_snapshot_check_digests (const VcrSnapshot *snapshot,
                                     GError **error);

/* Parses every config text (it must be a plain boot rendering: no version
 * footer) and checks that it holds nothing outside its own path
 * (vcr_tree_is_within). Returns the trees in entry order (VcrTree*, freed
 * with the array), or NULL with VCR_ERROR_INVALID_CONFIG naming the path.
 * With @splices, a text that vcr_splice_check() accepts is not parsed: its
 * tree is NULL, and *@splices (a GArray of VcrSplice, one per entry, whose
 * text is NULL for a parsed one) says where its lines are. */
GPtrArray *vcr_snapshot_parse_trees (const VcrSnapshot *snapshot,
                                     GArray **splices,
                                     GError **error);

/* The tree of one entry's text, checked as vcr_snapshot_parse_trees() does. */
struct _VcrTree *vcr_snapshot_entry_parse (const VcrSnapshotEntry *entry, GError **error);

/* The digests document: mode "primary" or "replica"; epoch 32 lowercase hex,
 * or "" for a replica that has applied nothing yet; entries without config. */
typedef struct {
  char *mode;
  char *epoch;
  guint64 generation;
  GPtrArray *entries;    /* VcrSnapshotEntry, config NULL */
} VcrDigests;

VcrDigests *vcr_digests_new (const char *mode,
                             const char *epoch,
                             guint64 generation);
void vcr_digests_free (VcrDigests *digests);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrDigests, vcr_digests_free)
void vcr_digests_add (VcrDigests *digests, const char *path, const char *digest);
const VcrSnapshotEntry *vcr_digests_lookup (const VcrDigests *digests,
                                            const char *path);
char *vcr_digests_to_json (const VcrDigests *digests, gsize *length);
VcrDigests *vcr_digests_from_json (const char *data, gsize length, GError **error);

/* {"result":"applied"|"unchanged","generation":N} */
char *vcr_post_result_to_json (gboolean applied, guint64 generation, gsize *length);
gboolean vcr_post_result_from_json (const char *data,
                                    gsize length,
                                    gboolean *applied,
                                    guint64 *generation,
                                    GError **error);

/* {"error":"<code>","message":"<text>"}; @code is non-empty. */
char *vcr_error_body_to_json (const char *code, const char *message, gsize *length);
gboolean vcr_error_body_from_json (const char *data,
                                   gsize length,
                                   char **code,
                                   char **message,
                                   GError **error);

/* TRUE when @path is canonical: non-empty words of printable characters
 * (no white space or control characters) joined by single spaces. */
gboolean vcr_snapshot_path_is_canonical (const char *path);

G_END_DECLS
