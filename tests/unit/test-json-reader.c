/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON reader read in place against the copying read: for documents
 * with every kind of escape and structure, for every kind of refusal, and
 * for every prefix and many one-byte changes of them, both give the same
 * tree (or the same message), and the in-place tree's strings lie inside
 * the document. Each in-place read gets a buffer of exactly the document's
 * size with no NUL after it, so that a read past its end shows under ASan.
 */
#include <string.h>

#include "vcr-error.h"
#include "vcr-json-reader.h"

static const char *const documents[] = {
  "{}",
  " {\"a\":\"\"} ",
  "{\"\":\"\",\"b\":[\"\",\"\"]}",
  "{\"s\":\"plain text that is longer than a word or two, with no escape\"}",
  "{\"e\":\"\\n\\t\\\"\\\\\\/\\b\\f\\r\"}",
  "{\"u\":\"\\u00e9\\u00E9\\u0041\\u20ac\\ud83d\\ude00 x\\uD83D\\uDE00y\"}",
  "{\"mix\":\"12345678\\\"12345678\\\\1234567\\n\\u00e9 \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 end\"}",
  "{\"n\\u0061me\":1,\"name2\":-0,\"f\":1.5e-3,\"t\":true,\"x\":false,\"z\":null}",
  "{\"a\":{\"b\":{\"c\":[1,[2,{\"d\":\"\\\"deep\\\"\"}]]}},\"e\":[]}",
  ("{\"paths\":[{\"path\":\"firewall name WAN\",\"config\":\"firewall {\\n    name WAN {\\n"
   "        description \\\"a \\\\\\\"q\\\\\\\"\\\"\\n    }\\n}\\n\",\"digest\":\"00\"}]}"),
  "{\"\\u0001\\u001f\":\"\\u007f\",\"k\":\"\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\"}",
  /* refusals of every kind */
  "",
  "[]",
  "{",
  "{\"a\":1} x",
  "{\"a\":tru}",
  "{\"a\":-}",
  "{\"a\":1.}",
  "{\"a\":1e+}",
  "{\"a\":01}",
  "{\"a\":[1 2]}",
  "{\"a\" 1}",
  "{\"a\":1,}",
  "{\"a\":",
  "{\"a\":\"x",
  "{\"a\":\"x\\",
  "{\"a\":\"\x01\"}",
  "{\"a\":\"\\q\"}",
  "{\"a\":\"\\u12\"}",
  "{\"a\":\"\\u12",
  "{\"a\":\"\\u0000\"}",
  "{\"a\":\"\\udc00\"}",
  "{\"a\":\"\\ud800x\"}",
  "{\"a\":\"\\ud800\\u0041\"}",
  "{\"a\":-9223372036854775809}",
  "{\"a\":[[[[[[[[1]]]]]]]]}",
  "{x \xff",
  "{\"a\":\"\\n\\n\",\"b\":1,x \xff}",
  "{\"a\":\"\\n\\n\xff\"}",
  "{\"a\":\"\\n\\n\",\"b\":\"\xc3\"}",
  "{\"a\":\"\\n\\n\",\"a\":2}",
  "{\"a\":\"\\n\",\"a\":2,x}",
  "{\"\\n\":{\"b\":1,\"b\":2}}",
  "{\"a\":\"\\n\"}\0",
};

static void
assert_values_equal (const VcrJsonValue *a, const VcrJsonValue *b)
{
  g_assert_cmpint (a->kind, ==, b->kind);
  switch (a->kind)
    {
    case VCR_JSON_INTEGER:
      g_assert_cmpint (a->integer, ==, b->integer);
      break;
    case VCR_JSON_STRING:
      g_assert_cmpstr (a->string, ==, b->string);
      break;
    case VCR_JSON_ARRAY:
      g_assert_cmpuint (a->n, ==, b->n);
      for (guint i = 0; i < a->n; i++)
        assert_values_equal (&a->items[i], &b->items[i]);
      break;
    case VCR_JSON_OBJECT:
      g_assert_cmpuint (a->n, ==, b->n);
      for (guint i = 0; i < a->n; i++)
        {
          g_assert_cmpstr (a->members[i].name, ==, b->members[i].name);
          assert_values_equal (&a->members[i].value, &b->members[i].value);
        }
      break;
    default:
      break;
    }
}

static void
assert_inside (const char *string, const char *data, gsize length)
{
  g_assert_true (string >= data && string + strlen (string) < data + length);
}

/* Every string of @value read in place lies in @data and is borrowed. */
static void
assert_borrowed (const VcrJsonValue *value, const char *data, gsize length)
{
  switch (value->kind)
    {
    case VCR_JSON_STRING:
      g_assert_true (value->borrowed);
      assert_inside (value->string, data, length);
      break;
    case VCR_JSON_ARRAY:
      for (guint i = 0; i < value->n; i++)
        assert_borrowed (&value->items[i], data, length);
      break;
    case VCR_JSON_OBJECT:
      g_assert_true (value->borrowed || value->n == 0);
      for (guint i = 0; i < value->n; i++)
        {
          assert_inside (value->members[i].name, data, length);
          assert_borrowed (&value->members[i].value, data, length);
        }
      break;
    default:
      g_assert_false (value->borrowed);
      break;
    }
}

/* Both reads of @doc agree; returns whether it was accepted. */
static gboolean
compare_reads (const char *doc, gsize length)
{
  g_auto(VcrJsonValue) copied = { 0 };
  g_auto(VcrJsonValue) in_place = { 0 };
  g_autoptr(GError) copy_error = NULL;
  g_autoptr(GError) in_place_error = NULL;
  g_autofree char *data = g_memdup2 (doc, length);
  gboolean ok = vcr_json_read ("doc", doc, length, &copied, &copy_error);

  g_assert_true (ok == vcr_json_read_in_place ("doc", data, length, &in_place,
                                               &in_place_error));
  if (!ok)
    {
      g_assert_error (copy_error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_assert_error (in_place_error, VCR_ERROR, VCR_ERROR_PEER_FAILED);
      g_assert_cmpstr (in_place_error->message, ==, copy_error->message);
      g_assert_cmpint (in_place.kind, ==, VCR_JSON_NULL);
      return FALSE;
    }
  g_assert_no_error (in_place_error);
  assert_values_equal (&in_place, &copied);
  assert_borrowed (&in_place, data, length);
  g_assert_false (copied.borrowed);
  return TRUE;
}

static void
test_documents (void)
{
  guint accepted = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      /* the last one's NUL byte is part of it */
      gsize length = strlen (documents[i]) + (i == G_N_ELEMENTS (documents) - 1);

      g_test_message ("documents[%" G_GSIZE_FORMAT "]: %s", i, documents[i]);
      accepted += compare_reads (documents[i], length);
    }
  /* the table holds both kinds: a reader refusing all would not pass */
  g_assert_cmpuint (accepted, ==, 11);
}

/* Every prefix of every document, and each byte replaced by a few that
 * matter to the grammar, read both ways. */
static void
test_mutations (void)
{
  static const char replacements[] = { '"', '\\', 'u', '0', 'd', '\n', ',', '}', '\xff', '\0' };

  for (gsize i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      gsize length = strlen (documents[i]);
      g_autofree char *doc = g_strdup (documents[i]);

      for (gsize cut = 0; cut < length; cut++)
        compare_reads (doc, cut);
      for (gsize at = 0; at < length; at++)
        for (gsize r = 0; r < G_N_ELEMENTS (replacements); r++)
          {
            char old = doc[at];

            doc[at] = replacements[r];
            compare_reads (doc, length);
            doc[at] = old;
          }
    }
}

/* In place, a string's bytes are decoded where its text was: the value
 * starts right after the opening quote. */
static void
test_in_place_positions (void)
{
  char doc[] = "{\"k\\u0065y\":\"a\\nb\",\"e\":\"\"}";
  g_auto(VcrJsonValue) root = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (vcr_json_read_in_place ("doc", doc, strlen ("{\"k\\u0065y\":\"a\\nb\",\"e\":\"\"}"),
                                         &root, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (root.n, ==, 2);
  g_assert_true (root.members[0].name == doc + 2);
  g_assert_cmpstr (root.members[0].name, ==, "key");
  g_assert_true (root.members[0].value.string == doc + 13);
  g_assert_cmpstr (root.members[0].value.string, ==, "a\nb");
  g_assert_cmpstr (root.members[1].value.string, ==, "");
}

/* A long string with escapes between runs of every length: the word-wide
 * copy must not overwrite text it has not read yet. */
static void
test_long_escaped (void)
{
  g_autoptr(GString) doc = g_string_new ("{\"s\":\"");

  for (guint run = 0; run < 40; run++)
    {
      for (guint i = 0; i < run; i++)
        g_string_append_c (doc, (char) ('a' + (run + i) % 26));
      g_string_append (doc, run % 3 == 0 ? "\\n" : run % 3 == 1 ? "\\u00e9" : "\\ud83d\\ude00");
    }
  g_string_append (doc, "\"}");
  g_assert_true (compare_reads (doc->str, doc->len));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-reader/documents", test_documents);
  g_test_add_func ("/json-reader/mutations", test_mutations);
  g_test_add_func ("/json-reader/in-place-positions", test_in_place_positions);
  g_test_add_func ("/json-reader/long-escaped", test_long_escaped);
  return g_test_run ();
}
