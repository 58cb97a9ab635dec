/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 for digests and request signatures. A push hashes every snapshot
 * twice on each side (digest and signature), megabytes each time, and
 * GLib's portable GChecksum runs at about 430 MB/s here. Where the CPU has
 * the x86 SHA extensions (SHA-NI, most CPUs since 2017) the compression
 * function runs on them, about three times as fast; anywhere else, or on
 * other architectures, GChecksum does the work. Both give the same bytes:
 * tests/unit/test-sha256.c compares them on every length up to 1,100 bytes
 * and on large buffers, and checks the FIPS 180-2 examples.
 */
#define G_LOG_DOMAIN "vcr-sha256"

#include "vcr-sha256.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VCR_SHA256_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

char *
vcr_sha256_hex_portable (const void *data, gsize length)
{
  static const guint8 empty[1] = { 0 };

  /* g_compute_checksum_for_data() gives lowercase hex */
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      data != NULL ? data : empty, length);
}

#ifdef VCR_SHA256_NI

static const guint32 round_constants[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Runs the compression function over @n_blocks 64-byte blocks. The
 * instructions keep the eight state words as two vectors, (A, B, E, F) and
 * (C, D, G, H), and do two rounds per sha256rnds2; each group of four
 * message words is derived from the previous sixteen with sha256msg1 and
 * sha256msg2 (FIPS 180-4, 6.2.2). */
__attribute__ ((target ("sha,sse4.1,ssse3")))
static void
compress_ni (guint32 state[8], const guint8 *data, gsize n_blocks)
{
  /* Big-endian words: reverse the bytes of each 32-bit lane. */
  const __m128i byte_swap = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i dcba = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &state[0]), 0xB1);
  __m128i hgfe = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &state[4]), 0x1B);
  __m128i abef = _mm_alignr_epi8 (dcba, hgfe, 8);
  __m128i cdgh = _mm_blend_epi16 (hgfe, dcba, 0xF0);

  for (gsize block = 0; block < n_blocks; block++, data += 64)
    {
      const __m128i abef_start = abef, cdgh_start = cdgh;
      __m128i w[4];

      for (guint i = 0; i < 4; i++)
        w[i] = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) (data + 16 * i)), byte_swap);
      for (guint group = 0; group < 16; group++)
        {
          __m128i words, schedule;

          if (group >= 4)
            {
              /* W[t..t+3] from W[t-16..t-13] (oldest), …, W[t-4..t-1] (newest) */
              const __m128i oldest = w[group % 4], older = w[(group + 1) % 4];
              const __m128i old = w[(group + 2) % 4], newest = w[(group + 3) % 4];

              words = _mm_sha256msg1_epu32 (oldest, older);
              words = _mm_add_epi32 (words, _mm_alignr_epi8 (newest, old, 4));
              w[group % 4] = _mm_sha256msg2_epu32 (words, newest);
            }
          words = w[group % 4];
          schedule = _mm_add_epi32 (words, _mm_loadu_si128 ((const __m128i *) &round_constants[4 * group]));
          cdgh = _mm_sha256rnds2_epu32 (cdgh, abef, schedule);
          abef = _mm_sha256rnds2_epu32 (abef, cdgh, _mm_shuffle_epi32 (schedule, 0x0E));
        }
      abef = _mm_add_epi32 (abef, abef_start);
      cdgh = _mm_add_epi32 (cdgh, cdgh_start);
    }

  /* Back to A…H in order. */
  hgfe = _mm_shuffle_epi32 (abef, 0x1B);          /* F E B A */
  dcba = _mm_shuffle_epi32 (cdgh, 0xB1);          /* D C H G */
  _mm_storeu_si128 ((__m128i *) &state[0], _mm_blend_epi16 (hgfe, dcba, 0xF0));
  _mm_storeu_si128 ((__m128i *) &state[4], _mm_alignr_epi8 (dcba, hgfe, 8));
}

static gboolean
cpu_has_sha_ni (void)
{
  static gsize result = 0;   /* 0: not known yet, 1: no, 2: yes */

  if (g_once_init_enter (&result))
    {
      unsigned int a = 0, b = 0, c = 0, d = 0;
      gboolean sse41 = FALSE, ssse3 = FALSE, sha = FALSE;

      if (__get_cpuid (1, &a, &b, &c, &d))
        {
          ssse3 = (c & bit_SSSE3) != 0;
          sse41 = (c & bit_SSE4_1) != 0;
        }
      if (__get_cpuid_count (7, 0, &a, &b, &c, &d))
        sha = (b & (1u << 29)) != 0;
      g_once_init_leave (&result, sse41 && ssse3 && sha ? 2 : 1);
    }
  return result == 2;
}

static char *
sha256_hex_ni (const guint8 *data, gsize length)
{
  guint32 state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };
  guint8 tail[128] = { 0 };
  gsize full = length / 64, rest = length % 64, tail_length;
  guint64 bits = (guint64) length * 8;
  char *hex = g_malloc (65);

  compress_ni (state, data, full);
  /* The padding (FIPS 180-4, 5.1.1): 0x80, zeros, then the length in bits,
   * big-endian, in the last 8 bytes of one or two more blocks. */
  if (rest > 0)
    memcpy (tail, data + 64 * full, rest);
  tail[rest] = 0x80;
  tail_length = rest < 56 ? 64 : 128;
  for (guint i = 0; i < 8; i++)
    tail[tail_length - 1 - i] = (guint8) (bits >> (8 * i));
  compress_ni (state, tail, tail_length / 64);

  for (guint i = 0; i < 8; i++)
    g_snprintf (hex + 8 * i, 9, "%08x", state[i]);
  return hex;
}

#endif /* VCR_SHA256_NI */

gboolean
vcr_sha256_is_accelerated (void)
{
#ifdef VCR_SHA256_NI
  return cpu_has_sha_ni ();
#else
  return FALSE;
#endif
}

char *
vcr_sha256_hex (const void *data, gsize length)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);

#ifdef VCR_SHA256_NI
  if (cpu_has_sha_ni ())
    return sha256_hex_ni (data, length);
#endif
  return vcr_sha256_hex_portable (data, length);
}
