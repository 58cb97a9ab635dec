/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replication settings, read from the router's own config tree at
 * `high-availability config-replication` (SPEC §2), typed and validated.
 * A VcrSettings is immutable once vcr_settings_from_tree() returns it and
 * reference-counted: the daemon holds the current one, and every unit of
 * work (a receive, a push, a pull, a verify, a CheckCommit) takes a
 * reference when it starts and uses only that one until it ends, so a
 * reload meanwhile never mixes two sets of replicate paths.
 */
#pragma once

#include <glib.h>

#include "vcr-tree.h"

G_BEGIN_DECLS

#define VCR_DEFAULT_PEER_PORT 7790

typedef enum {
  VCR_MODE_DISABLED,  /* no config-replication node */
  VCR_MODE_PRIMARY,
  VCR_MODE_REPLICA,
} VcrMode;

const char *vcr_mode_to_string (VcrMode mode);   /* "disabled", "primary", "replica" */

/* `replica NAME override "PATH" value "V"`: on the primary, the value(s)
 * that replica receives for one leaf under a replicate path. */
typedef struct {
  GStrv path;       /* the leaf's words */
  GStrv values;     /* at least one, in the order given */
} VcrOverride;

typedef struct {
  char *name;       /* the replica's NAME, or "primary" on a replica */
  char *address;    /* IPv4, IPv6 or host name, as written */
  guint16 port;     /* VCR_DEFAULT_PEER_PORT when not set */
  GPtrArray *overrides;  /* of VcrOverride*, sorted by path; empty but on
                            a primary's replicas */
} VcrPeerSettings;

typedef struct {
  VcrMode mode;
  GPtrArray *paths;      /* of GStrv: the replicate paths' words, sorted */
  GStrv path_strings;    /* the same paths as canonical strings (words
                            joined by single spaces), in the same order */
  GPtrArray *excludes;   /* of GStrv: `replicate exclude` paths, each
                            strictly under a replicate path, sorted */
  GStrv exclude_strings; /* the same as canonical strings, in the same order */
  GPtrArray *peers;      /* of VcrPeerSettings*: the replicas (primary) or
                            the one primary (replica); empty when disabled */
  char *secret;          /* pre-shared secret */
  char *listen_address;  /* NULL: all addresses */
  guint16 port;          /* where this node listens */
  gboolean allow_v1;     /* `allow-protocol-v1`: peer protocol v1 accepted
                            (server) and fallen back to (client), for a
                            rolling upgrade; see docs/protocol-v2.md */
  GPtrArray *warnings;   /* of char*: accepted but worth telling (short secret) */
} VcrSettings;

/* Reads and validates the settings in @tree. A tree without
 * `high-availability config-replication` gives mode VCR_MODE_DISABLED.
 * Every refusal of SPEC §2 is VCR_ERROR_INVALID_SETTINGS with a message
 * that names the offending value. */
VcrSettings *vcr_settings_from_tree (const VcrTree *tree, GError **error);

/* Thread-safe (a worker may hold the settings a receive started with). */
VcrSettings *vcr_settings_ref (VcrSettings *settings);
void vcr_settings_unref (VcrSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrSettings, vcr_settings_unref)

/* TRUE when @a and @b (both nullable) have the same replicate paths and
 * exclusions in the same order: what a cache pruned (and whose digests
 * were masked) for one set may be reused under. */
gboolean vcr_settings_same_paths (const VcrSettings *a, const VcrSettings *b);

/* The exclusion that @words is under (or equal to), or NULL. */
const char *const *vcr_settings_find_exclude (const VcrSettings *settings,
                                              const char *const *words);

/* The exclusions under replicate path @path (of const char *const *, the
 * settings' own), in order; an empty array when there are none. */
GPtrArray *vcr_settings_excludes_under (const VcrSettings *settings,
                                        const char *const *path);

/* The replicate path that @words is under, or NULL. */
const char *const *vcr_settings_find_replicate_path (const VcrSettings *settings,
                                                     const char *const *words);

/* The first peer whose configured address is the IP address @address (a
 * literal, as a socket reports it; an IPv4-mapped IPv6 address is the
 * IPv4 one, on either side), or NULL; peers named by a host name never
 * match. How a primary tells which replica a request comes from. */
const VcrPeerSettings *vcr_settings_peer_at (const VcrSettings *settings,
                                             const char *address);

G_END_DECLS
