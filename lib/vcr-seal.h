/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protocol v2 sealing (docs/protocol-v2.md): the keys derived from the
 * pre-shared secret with HKDF-SHA256, the signed `Authorization: VCR2 …`
 * header, and the sealed frame that carries every v2 body, encrypted and
 * authenticated with AES-256-GCM. The crypto is nettle's.
 *
 * A frame is two AES-256-GCM messages: a *lock* (a fresh 32-byte content
 * key, sealed under the direction's long-term key with associated data that
 * binds method, path, destination, timestamp, request nonce and, for a
 * response, its status) and the *payload*, sealed once under that content
 * key. A primary seals a snapshot once per push and only locks it again for
 * each replica (VcrSealedPayload + vcr_seal_lock()).
 *
 * Pure: no clock, no randomness; callers pass `now` and random bytes from a
 * cryptographic source.
 */
#pragma once

#include <glib.h>

#include "vcr-auth.h"

G_BEGIN_DECLS

#define VCR_SEAL_KEY_BYTES 32
#define VCR_SEAL_IV_BYTES 12
#define VCR_SEAL_TAG_BYTES 16
#define VCR_SEAL_MAGIC "VCR2"
#define VCR_SEAL_MAGIC_BYTES 4
/* magic, lock IV, sealed content key, lock tag */
#define VCR_SEAL_LOCK_BYTES \
  (VCR_SEAL_MAGIC_BYTES + VCR_SEAL_IV_BYTES + VCR_SEAL_KEY_BYTES + VCR_SEAL_TAG_BYTES)
/* the payload's IV and tag around its ciphertext */
#define VCR_SEAL_PAYLOAD_OVERHEAD (VCR_SEAL_IV_BYTES + VCR_SEAL_TAG_BYTES)
#define VCR_SEAL_FRAME_OVERHEAD (VCR_SEAL_LOCK_BYTES + VCR_SEAL_PAYLOAD_OVERHEAD)
/* Random bytes one frame needs: a content key and two IVs. */
#define VCR_SEAL_RANDOM_BYTES (VCR_SEAL_KEY_BYTES + 2 * VCR_SEAL_IV_BYTES)

#define VCR_SEAL_CONTENT_TYPE "application/vnd.vyos-config-replication.v2"

typedef enum {
  VCR_SEAL_REQUEST,   /* the client's body: sealed with the request key */
  VCR_SEAL_RESPONSE,  /* the server's body: sealed with the response key */
} VcrSealDirection;

/* What a frame and a v2 request header are bound to. @destination is the
 * receiver's address and port as the sender connected to them
 * ("198.51.100.2:7790", "[2001:db8::2]:7790"); @status is the response's
 * HTTP status, 0 for a request. */
typedef struct {
  const char *method;
  const char *path;
  const char *destination;
  gint64 ts;
  const char *nonce;   /* VCR_AUTH_NONCE_HEX_LEN lowercase hex */
  guint status;
} VcrSealBinding;

/* The long-term keys of one pre-shared secret: header signing, request
 * sealing, response sealing. Wiped when freed. */
typedef struct _VcrSealKeys VcrSealKeys;

VcrSealKeys *vcr_seal_keys_new (const char *secret);
VcrSealKeys *vcr_seal_keys_copy (const VcrSealKeys *keys);
void vcr_seal_keys_free (VcrSealKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrSealKeys, vcr_seal_keys_free)

/* HKDF-SHA256 (RFC 5869): extract with @salt, then expand @info to
 * @length bytes (≤ 255 × 32). Exposed for the test vectors. */
void vcr_seal_hkdf (const guint8 *salt, gsize salt_len,
                    const guint8 *ikm, gsize ikm_len,
                    const guint8 *info, gsize info_len,
                    guint8 *out, gsize length);

/* The binding as the bytes that are signed or used as associated data:
 * "VCR2-REQUEST\n" or "VCR2-RESPONSE\n", then method, path, destination,
 * ts, nonce (and for a response the status), each followed by "\n". */
char *vcr_seal_binding_string (VcrSealDirection direction,
                               const VcrSealBinding *binding);

/* "VCR2 ts=<digits>, nonce=<32 hex>, sig=<64 hex>", signed over the
 * request binding and the body's length. The nonce is @nonce_bytes in hex;
 * @nonce_out (nullable) receives it. */
char *vcr_seal_request_header (const VcrSealKeys *keys,
                               const char *method,
                               const char *path,
                               const char *destination,
                               gint64 ts,
                               const guint8 nonce_bytes[VCR_AUTH_NONCE_BYTES],
                               guint64 body_length,
                               char **nonce_out);

/* The server's check of a v2 request's headers, before any byte of its
 * body is read: syntax (exactly the v1 grammar with "VCR2"), |now - ts|
 * within the window, ts not before @not_before (the server's start; 0:
 * no such bound), signature over the binding and the announced length
 * (constant time), then the nonce is new and recorded in @cache. Errors
 * are VCR_AUTH_ERROR_*; a ts before @not_before is VCR_AUTH_ERROR_STALE. */
gboolean vcr_seal_verify_request_header (const VcrSealKeys *keys,
                                         VcrNonceCache *cache,
                                         const char *header,
                                         const char *method,
                                         const char *path,
                                         const char *destination,
                                         guint64 body_length,
                                         gint64 now,
                                         gint64 not_before,
                                         VcrAuthHeader *out,
                                         GError **error);

/* A payload sealed once under a fresh content key, to be locked for each
 * receiver. Reference-counted (thread-safe): every request that sends it
 * holds it; the content key is wiped with the last reference. */
typedef struct _VcrSealedPayload VcrSealedPayload;

/* Seals @plain under the content key that is the first
 * VCR_SEAL_KEY_BYTES of @random, with the IV after it. */
VcrSealedPayload *vcr_sealed_payload_new (const guint8 *plain,
                                          gsize length,
                                          const guint8 random[VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES]);
VcrSealedPayload *vcr_sealed_payload_ref (VcrSealedPayload *payload);
void vcr_sealed_payload_unref (VcrSealedPayload *payload);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VcrSealedPayload, vcr_sealed_payload_unref)

/* Bytes of the frame made of @payload and one lock. */
gsize vcr_sealed_payload_get_frame_size (const VcrSealedPayload *payload);

/* The payload part of the frame: IV, ciphertext, tag. Shared by every
 * frame made from @payload. */
GBytes *vcr_sealed_payload_get_bytes (const VcrSealedPayload *payload);

/* The VCR_SEAL_LOCK_BYTES that start a frame of @payload for one
 * receiver: magic, then @payload's content key sealed under the
 * direction's key with the binding string as associated data (IV
 * @lock_iv). The frame is these bytes followed by
 * vcr_sealed_payload_get_bytes(). */
GBytes *vcr_seal_lock (const VcrSealKeys *keys,
                       VcrSealDirection direction,
                       const VcrSealBinding *binding,
                       const VcrSealedPayload *payload,
                       const guint8 lock_iv[VCR_SEAL_IV_BYTES]);

/* One frame in one buffer: lock + payload (for bodies sent once). @random
 * is VCR_SEAL_RANDOM_BYTES: content key, payload IV, lock IV. */
GBytes *vcr_seal_frame (const VcrSealKeys *keys,
                        VcrSealDirection direction,
                        const VcrSealBinding *binding,
                        const guint8 *plain,
                        gsize length,
                        const guint8 random[VCR_SEAL_RANDOM_BYTES]);

/* Opens a frame in place: checks the magic, opens the lock with the
 * binding, then decrypts the payload into @frame itself. On success
 * *@plain points into @frame (at offset VCR_SEAL_LOCK_BYTES +
 * VCR_SEAL_IV_BYTES) and *@plain_length is its length; on failure @frame's
 * payload bytes are unspecified and the error is VCR_ERROR_PEER_FAILED
 * ("not a v2 frame", "sealed for another receiver, request or key",
 * "payload altered"). */
gboolean vcr_seal_open_in_place (const VcrSealKeys *keys,
                                 VcrSealDirection direction,
                                 const VcrSealBinding *binding,
                                 guint8 *frame,
                                 gsize frame_length,
                                 guint8 **plain,
                                 gsize *plain_length,
                                 GError **error);

G_END_DECLS
