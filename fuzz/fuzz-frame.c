/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the protocol v2 decoder (lib/vcr-seal.c,
 * lib/vcr-frame.c). The first input byte picks the mode:
 *   0: the rest is a plaintext payload. Sealed with a fixed key it opens
 *      to the same bytes; with any one byte of the frame changed it is
 *      refused; read as a snapshot, what is accepted has texts of exactly
 *      their lengths without NUL, and written out again reads back equal.
 *   1: the rest is a frame as received: opening it is refused (nobody
 *      without the key makes one that opens) with a UTF-8 message.
 *   2: the rest is a small-document payload: an accepted one is exactly
 *      its length field and its document.
 *   3 (that byte only; other bytes pick by their value modulo 3): the
 *      rest is a replica's texts (GET /v1/texts): what is accepted
 *      keeps only exclusions it lists in "kept", and written out again
 *      reads back equal.
 */
#define G_LOG_DOMAIN "fuzz-frame"

#include <string.h>

#include "vcr-error.h"
#include "vcr-frame.h"
#include "vcr-seal.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define SECRET "fuzzing-secret-0123456789"

static const VcrSealBinding binding = {
  "POST", "/v1/snapshot", "198.51.100.2:7790", 1700000000,
  "000102030405060708090a0b0c0d0e0f", 0,
};

static void
check_same (const VcrSnapshot *a, const VcrSnapshot *b)
{
  g_assert_cmpstr (a->origin, ==, b->origin);
  g_assert_cmpstr (a->epoch, ==, b->epoch);
  g_assert_cmpuint (a->generation, ==, b->generation);
  g_assert_cmpuint (a->entries->len, ==, b->entries->len);
  g_assert_true ((a->excludes == NULL) == (b->excludes == NULL));
  g_assert_true (a->excludes == NULL ||
                 g_strv_equal ((const char *const *) a->excludes,
                               (const char *const *) b->excludes));
  g_assert_true ((a->kept == NULL) == (b->kept == NULL));
  g_assert_true (a->kept == NULL ||
                 g_strv_equal ((const char *const *) a->kept, (const char *const *) b->kept));
  for (guint i = 0; i < a->entries->len; i++)
    {
      const VcrSnapshotEntry *x = g_ptr_array_index (a->entries, i);
      const VcrSnapshotEntry *y = g_ptr_array_index (b->entries, i);

      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpstr (x->digest, ==, y->digest);
      g_assert_cmpmem (x->config, x->config_len, y->config, y->config_len);
    }
}

static void
check_snapshot (const guint8 *data, gsize size)
{
  g_autoptr(GError) error = NULL;
  guint8 *copy = g_memdup2 (data, size);
  g_autoptr(VcrSnapshot) snapshot = vcr_frame_snapshot_read_in_place (copy, size, g_free,
                                                                      copy, &error);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(VcrSnapshot) reread = NULL;
  guint8 *again_copy;
  gsize again_len;

  if (snapshot == NULL)
    {
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return;
    }
  for (guint i = 0; i < snapshot->entries->len; i++)
    {
      const VcrSnapshotEntry *e = g_ptr_array_index (snapshot->entries, i);

      g_assert_null (memchr (e->config, '\0', e->config_len));
      g_assert_cmpint (e->config[e->config_len], ==, '\0');
      g_assert_true (vcr_snapshot_path_is_canonical (e->path));
    }
  again = vcr_frame_snapshot_payload (snapshot);
  again_copy = g_bytes_unref_to_data (g_steal_pointer (&again), &again_len);
  reread = vcr_frame_snapshot_read_in_place (again_copy, again_len, g_free, again_copy, &error);
  g_assert_no_error (error);
  check_same (snapshot, reread);
}

static void
check_texts (const guint8 *data, gsize size)
{
  g_autoptr(GError) error = NULL;
  guint8 *copy = g_memdup2 (data, size);
  g_autoptr(VcrSnapshot) texts = vcr_frame_texts_read_in_place (copy, size, g_free, copy,
                                                                &error);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(VcrSnapshot) reread = NULL;
  guint8 *again_copy;
  gsize again_len;

  if (texts == NULL)
    {
      g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return;
    }
  for (guint i = 0; texts->kept != NULL && texts->kept[i] != NULL; i++)
    g_assert_true (g_strv_contains ((const char *const *) texts->excludes, texts->kept[i]));
  again = vcr_frame_snapshot_payload (texts);
  again_copy = g_bytes_unref_to_data (g_steal_pointer (&again), &again_len);
  reread = vcr_frame_texts_read_in_place (again_copy, again_len, g_free, again_copy, &error);
  g_assert_no_error (error);
  check_same (texts, reread);
}

static void
check_sealed (const guint8 *data, gsize size)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  guint8 random[VCR_SEAL_RANDOM_BYTES] = { 0 };
  g_autoptr(GBytes) frame = NULL;
  g_autofree guint8 *copy = NULL;
  guint8 *plain;
  gsize len, plain_len;
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < sizeof random && i < size; i++)
    random[i] = data[i];
  frame = vcr_seal_frame (keys, VCR_SEAL_REQUEST, &binding, data, size, random);
  copy = g_bytes_unref_to_data (g_bytes_ref (frame), &len);
  g_assert_true (vcr_seal_open_in_place (keys, VCR_SEAL_REQUEST, &binding, copy, len,
                                         &plain, &plain_len, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain, plain_len, data, size);

  /* one changed byte, chosen by the input */
  g_free (copy);
  copy = g_bytes_unref_to_data (g_bytes_ref (frame), &len);
  copy[(size > 0 ? data[0] * 7919u + size : 0) % len] ^= 0x01;
  g_assert_false (vcr_seal_open_in_place (keys, VCR_SEAL_REQUEST, &binding, copy, len,
                                          &plain, &plain_len, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);

  check_snapshot (data, size);
}

static void
check_received (const guint8 *data, gsize size)
{
  g_autoptr(VcrSealKeys) keys = vcr_seal_keys_new (SECRET);
  g_autofree guint8 *copy = g_memdup2 (data, size);
  g_autoptr(GError) error = NULL;
  guint8 *plain;
  gsize plain_len;

  g_assert_false (vcr_seal_open_in_place (keys, VCR_SEAL_REQUEST, &binding, copy, size,
                                          &plain, &plain_len, &error));
  g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
check_document (const guint8 *data, gsize size)
{
  g_autoptr(GError) error = NULL;
  const char *json;
  gsize json_len;

  if (vcr_frame_document_read (data, size, &json, &json_len, &error))
    {
      g_assert_cmpuint (json_len + 4, ==, size);
      g_assert_true ((const guint8 *) json == data + 4);
    }
  else
    g_assert_error (error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  if (size == 0)
    return 0;
  /* 3 was mode 0 before the texts: the other bytes keep their modes,
   * so the corpus's regression inputs keep meaning what they meant */
  if (data[0] == 3)
    {
      check_texts (data + 1, size - 1);
      return 0;
    }
  switch (data[0] % 3)
    {
    case 0:
      check_sealed (data + 1, size - 1);
      break;
    case 1:
      check_received (data + 1, size - 1);
      break;
    default:
      check_document (data + 1, size - 1);
      break;
    }
  return 0;
}
