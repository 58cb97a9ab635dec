/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-256 (nettle, through vcr_auth_sha256_hex()): the FIPS 180-2
 * examples, and GLib's GChecksum on every length around the padding
 * boundaries and on large unaligned buffers. */
#include <string.h>

#include "vcr-auth.h"

static char *
fast_hex (const void *data, gsize length)
{
  return vcr_auth_sha256_hex (data, length);
}

static char *
glib_hex (const void *data, gsize length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, length);
}

static void
check (const char *data, gsize length, const char *expected)
{
  g_autofree char *fast = fast_hex (data, length);
  g_autofree char *portable = glib_hex (data, length);

  g_assert_cmpstr (fast, ==, expected);
  g_assert_cmpstr (portable, ==, expected);
}

static void
test_sha256_known_answers (void)
{
  g_autofree char *million = g_malloc (1000000);

  check ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  memset (million, 'a', 1000000);
  check (million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every length from 0 to 1,100 bytes (all tail sizes, one and two padding
 * blocks, many full blocks) and a few large buffers, random contents. */
static void
test_sha256_matches_glib (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261127);
  gsize big = 5 * 1024 * 1024 + 17;
  g_autofree guint8 *data = g_malloc (big);

  for (gsize i = 0; i < big; i++)
    data[i] = (guint8) g_rand_int (rand);
  for (gsize length = 0; length <= 1100; length++)
    {
      g_autofree char *fast = fast_hex (data, length);
      g_autofree char *portable = glib_hex (data, length);
      g_assert_cmpstr (fast, ==, portable);
    }
  for (gsize offset = 1; offset < 4; offset++)   /* unaligned input */
    {
      g_autofree char *fast = fast_hex (data + offset, big - offset);
      g_autofree char *portable = glib_hex (data + offset, big - offset);
      g_assert_cmpstr (fast, ==, portable);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sha256/known-answers", test_sha256_known_answers);
  g_test_add_func ("/sha256/matches-glib", test_sha256_matches_glib);
  return g_test_run ();
}
