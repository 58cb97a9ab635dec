/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/vcr-output.c: a child's output kept within its bound (the rest
 * counted), and made into log text where every byte that is not printable
 * UTF-8 is written \xNN (a backslash itself doubled), so nothing a child
 * prints can forge a log line, a terminal escape or invalid UTF-8; the
 * excerpt for messages is cut on a character boundary and says so.
 */
#define G_LOG_DOMAIN "test-output"

#include <string.h>

#include "vcr-output.h"

static void
test_bound (void)
{
  g_autoptr(VcrOutput) output = vcr_output_new (64 * 1024);
  char chunk[10000];

  memset (chunk, 'a', sizeof chunk);
  for (guint i = 0; i < 10; i++)
    vcr_output_append (output, chunk, sizeof chunk);
  g_assert_cmpuint (vcr_output_get_kept (output), ==, 64 * 1024);
  g_assert_cmpuint (vcr_output_get_dropped (output), ==, 100000 - 64 * 1024);
  /* nothing more is kept once full, however it comes */
  vcr_output_append (output, "b", 1);
  g_assert_cmpuint (vcr_output_get_kept (output), ==, 64 * 1024);
  g_assert_cmpuint (vcr_output_get_dropped (output), ==, 100001 - 64 * 1024);
}

static void
check_escape (const char *input, gsize length, const char *want)
{
  g_autofree char *text = vcr_text_escape (input, length);

  g_assert_cmpstr (text, ==, want);
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

static void
test_escape (void)
{
  check_escape ("plain line\n\ttab", 15, "plain line\n\ttab");
  check_escape ("caf\xc3\xa9 \xe2\x82\xac", 9, "caf\xc3\xa9 \xe2\x82\xac");
  check_escape ("\x1b[31mred", 8, "\\x1b[31mred");
  check_escape ("a\0b", 3, "a\\x00b");
  check_escape ("cr\rlf", 5, "cr\\x0dlf");
  check_escape ("\xff\xfe", 2, "\\xff\\xfe");
  check_escape ("back\\slash", 10, "back\\\\slash");
  /* a character cut short, at the end or before a valid one */
  check_escape ("x\xc3", 2, "x\\xc3");
  check_escape ("\xe2\x82" "ok", 4, "\\xe2\\x82ok");
  /* an overlong encoding is not a character */
  check_escape ("\xc0\xaf", 2, "\\xc0\\xaf");
}

static void
test_excerpt (void)
{
  g_autoptr(VcrOutput) small = vcr_output_new (1024);
  g_autoptr(VcrOutput) cut = vcr_output_new (1024);
  g_autoptr(VcrOutput) full = vcr_output_new (4);
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

  vcr_output_append (small, "\n  it broke\n\n", 13);
  a = vcr_output_excerpt (small, 100);
  g_assert_cmpstr (a, ==, "it broke");

  /* cut at 5 bytes: "ab" + "é" (2 bytes) = 4, the "€" (3) does not fit */
  vcr_output_append (cut, "ab\xc3\xa9\xe2\x82\xac" "z", 8);
  b = vcr_output_excerpt (cut, 5);
  g_assert_cmpstr (b, ==, "ab\xc3\xa9…");
  c = vcr_output_excerpt (cut, 100);
  g_assert_cmpstr (c, ==, "ab\xc3\xa9\xe2\x82\xacz");

  /* the bound dropped some: said even when the excerpt fits */
  vcr_output_append (full, "abcdef", 6);
  d = vcr_output_excerpt (full, 100);
  g_assert_cmpstr (d, ==, "abcd…");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/output/bound", test_bound);
  g_test_add_func ("/output/escape", test_escape);
  g_test_add_func ("/output/excerpt", test_excerpt);
  return g_test_run ();
}
