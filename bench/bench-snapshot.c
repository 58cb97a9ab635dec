/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints how long a replica takes to read a snapshot document and how much
 * memory that costs: the snapshot of "firewall name WAN" with N rules
 * (default 10,000, the shape of bench-push.sh's `firewall`, about 4.8 MB of
 * JSON that is almost all one escaped "config" string) goes through
 * vcr_snapshot_from_json. Memory is the growth of VmHWM over VmRSS during
 * the first parse (peak reset through /proc/self/clear_refs), so it counts
 * the transient buffers and the result, not the input (what the result
 * alone holds is printed too, from mallinfo2); time is the median
 * of RUNS parses (default 21). Then the median times of what a replica
 * does next with the texts: check the digests, and either check that the
 * text can be spliced (vcr-splice.h: what a replica with its config cached
 * does) or parse it into a tree (what it did before). And protocol v2's
 * path for the same snapshot: the primary builds the payload (a small JSON
 * document read by json-glib, the texts raw) and seals it once, then one
 * lock per replica; the replica opens the frame and reads the snapshot in
 * place (vcr-seal.h, vcr-frame.h). Figures only; nothing is asserted.
 *
 *   bench-snapshot [RULES] [RUNS]
 */
#define G_LOG_DOMAIN "bench-snapshot"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "vcr-frame.h"
#include "vcr-path.h"
#include "vcr-seal.h"
#include "vcr-snapshot.h"
#include "vcr-splice.h"

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

/* The same text as bench-push.sh's `firewall` awk function. */
static char *
firewall_config (guint rules)
{
  GString *out = g_string_sized_new (rules * 480 + 64);

  g_string_append (out, "firewall {\n    name WAN {\n        default-action \"drop\"\n");
  for (guint i = 1; i <= rules; i++)
    {
      g_string_append_printf (out, "        rule %u {\n", i);
      g_string_append (out, "            action \"accept\"\n");
      if (i == 1)
        g_string_append (out, "            description \"bench-mark-00000000\"\n");
      else
        g_string_append_printf (out, "            description \"rule %u of the benchmark\"\n", i);
      g_string_append (out, "            destination {\n");
      g_string_append_printf (out, "                address \"10.%u.%u.0/24\"\n",
                              (i / 256) % 256, i % 256);
      g_string_append_printf (out, "                port \"%u\"\n", 1024 + i);
      g_string_append (out, "            }\n"
                            "            log \"enable\"\n"
                            "            protocol \"tcp\"\n"
                            "            source {\n");
      g_string_append_printf (out, "                address \"172.16.%u.%u\"\n",
                              (i / 256) % 256, i % 256);
      g_string_append (out, "            }\n"
                            "            state {\n"
                            "                established \"enable\"\n"
                            "                new \"enable\"\n"
                            "            }\n"
                            "        }\n");
    }
  g_string_append (out, "    }\n}\n");
  return g_string_free (out, FALSE);
}

/* The snapshot document a primary sends for that config. */
static char *
snapshot_json (guint rules, gsize *length)
{
  static const char *const words[] = { "firewall", "name", "WAN", NULL };
  g_autofree char *config = firewall_config (rules);
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (config, strlen (config), VCR_PARSE_DEFAULT,
                                            "bench", &error);
  g_autoptr(VcrSnapshot) snapshot = NULL;
  g_autofree char *text = NULL;

  if (tree == NULL)
    {
      g_printerr ("parse failed: %s\n", error->message);
      exit (1);
    }
  text = vcr_path_snapshot_text (tree, words);
  snapshot = vcr_snapshot_new ("bench-primary", "0123456789abcdef0123456789abcdef", 1);
  vcr_snapshot_add (snapshot, "firewall name WAN", text, NULL);
  return vcr_snapshot_to_json (snapshot, length);
}

static VcrSnapshot *
parse_or_die (const char *json, gsize length)
{
  g_autoptr(GError) error = NULL;
  VcrSnapshot *snapshot = vcr_snapshot_from_json (json, length, &error);

  if (snapshot == NULL)
    {
      g_printerr ("vcr_snapshot_from_json failed: %s\n", error->message);
      exit (1);
    }
  return snapshot;
}

/* Bytes malloc has handed out and not had back. */
static gsize
malloc_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

/* Peak growth (KiB) of one parse; -1 when the peak cannot be reset.
 * @kept: the bytes the parsed snapshot holds. */
static long
measure_memory (const char *json, gsize length, gsize *kept)
{
  g_autoptr(VcrSnapshot) snapshot = NULL;
  long rss_before, hwm;
  gsize in_use;

  FILE *clear;

  malloc_trim (0);
  /* "5" resets VmHWM to the current RSS (Linux 4.0 and later) */
  clear = fopen ("/proc/self/clear_refs", "w");
  if (clear == NULL)
    return -1;
  if (fputs ("5", clear) < 0 || fclose (clear) != 0)
    return -1;
  rss_before = status_kib ("VmRSS:");
  in_use = malloc_in_use ();
  snapshot = parse_or_die (json, length);
  hwm = status_kib ("VmHWM:");
  *kept = malloc_in_use () - in_use;
  return hwm - rss_before;
}

typedef void (*Step) (const VcrSnapshot *snapshot);

static void
step_digests (const VcrSnapshot *snapshot)
{
  if (!vcr_snapshot_check_digests (snapshot, NULL))
    exit (1);
}

static void
step_splice (const VcrSnapshot *snapshot)
{
  g_autoptr(GArray) splices = NULL;
  g_autoptr(GPtrArray) trees = vcr_snapshot_parse_trees (snapshot, &splices, NULL);

  if (trees == NULL || g_array_index (splices, VcrSplice, 0).text == NULL)
    {
      g_printerr ("the snapshot text was not spliced\n");
      exit (1);
    }
}

static void
step_parse (const VcrSnapshot *snapshot)
{
  g_autoptr(GPtrArray) trees = vcr_snapshot_parse_trees (snapshot, NULL, NULL);

  if (trees == NULL)
    exit (1);
}

static void
time_step (const char *what, Step step, const VcrSnapshot *snapshot, guint runs)
{
  g_autofree double *walls = g_new (double, runs);

  for (guint i = 0; i < runs; i++)
    {
      gint64 start = g_get_monotonic_time ();

      step (snapshot);
      walls[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  qsort (walls, runs, sizeof (double), compare_doubles);
  printf ("%s: median %.2f ms of %u runs (min %.2f, max %.2f)\n",
          what, walls[runs / 2], runs, walls[0], walls[runs - 1]);
}

/* ---- protocol v2 --------------------------------------------------------- */

typedef struct {
  const VcrSnapshot *snapshot;
  VcrSealKeys *keys;
  VcrSealBinding binding;
  VcrSealedPayload *sealed;
  guint8 *frame;        /* one frame, as a replica receives it */
  gsize frame_len;
  guint8 *work;         /* a copy opened in place */
} V2;

/* Not random: a benchmark needs no secrecy. */
static const guint8 fixed_random[VCR_SEAL_RANDOM_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static double
v2_seal (V2 *v2)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GBytes) payload = vcr_frame_snapshot_payload (v2->snapshot);
  gsize size;
  const guint8 *data = g_bytes_get_data (payload, &size);

  g_clear_pointer (&v2->sealed, vcr_sealed_payload_unref);
  v2->sealed = vcr_sealed_payload_new (data, size, fixed_random);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static double
v2_lock (V2 *v2)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GBytes) lock = vcr_seal_lock (v2->keys, VCR_SEAL_REQUEST, &v2->binding, v2->sealed,
                                          fixed_random + VCR_SEAL_KEY_BYTES + VCR_SEAL_IV_BYTES);
  double ms = (g_get_monotonic_time () - start) / 1000.0;

  if (v2->frame == NULL)
    {
      g_autoptr(GBytes) rest = vcr_sealed_payload_get_bytes (v2->sealed);
      gsize lock_len, rest_len;
      const guint8 *l = g_bytes_get_data (lock, &lock_len);
      const guint8 *r = g_bytes_get_data (rest, &rest_len);

      v2->frame_len = lock_len + rest_len;
      v2->frame = g_malloc (v2->frame_len);
      memcpy (v2->frame, l, lock_len);
      memcpy (v2->frame + lock_len, r, rest_len);
      v2->work = g_malloc (v2->frame_len);
    }
  return ms;
}

static double
v2_open (V2 *v2)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrSnapshot) snapshot = NULL;
  guint8 *plain;
  gsize plain_len;
  gint64 start;

  memcpy (v2->work, v2->frame, v2->frame_len);  /* not timed: the request body */
  start = g_get_monotonic_time ();
  if (!vcr_seal_open_in_place (v2->keys, VCR_SEAL_REQUEST, &v2->binding, v2->work,
                               v2->frame_len, &plain, &plain_len, &error) ||
      (snapshot = vcr_frame_snapshot_read_in_place (plain, plain_len, NULL, NULL,
                                                    &error)) == NULL)
    {
      g_printerr ("v2: %s\n", error->message);
      exit (1);
    }
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
v2_time (const char *what, double (*step) (V2 *), V2 *v2, guint runs, gsize bytes)
{
  g_autofree double *walls = g_new (double, runs);

  for (guint i = 0; i < runs; i++)
    walls[i] = step (v2);
  qsort (walls, runs, sizeof (double), compare_doubles);
  printf ("v2 %s: median %.2f ms of %u runs (min %.2f, max %.2f)", what, walls[runs / 2], runs,
          walls[0], walls[runs - 1]);
  if (bytes > 0)
    printf (", %.0f MB/s", bytes / 1e6 / (walls[runs / 2] / 1e3));
  printf ("\n");
}

static void
bench_v2 (const char *json, gsize length, guint runs)
{
  g_autoptr(VcrSnapshot) snapshot = parse_or_die (json, length);
  V2 v2 = {
    .snapshot = snapshot,
    .keys = vcr_seal_keys_new ("bench-secret-0123456789abcdef"),
    .binding = { "POST", "/v1/snapshot", "127.0.0.2:7790", 1700000000,
                 "00112233445566778899aabbccddeeff", 0 },
  };

  v2_time ("payload + seal once per push (vcr_frame_snapshot_payload, vcr_sealed_payload_new)",
           v2_seal, &v2, runs, 0);
  v2_time ("lock per replica (vcr_seal_lock)", v2_lock, &v2, runs, 0);
  printf ("v2 frame: %zu bytes\n", v2.frame_len);
  v2_time ("open + read in place (vcr_seal_open_in_place, vcr_frame_snapshot_read_in_place)",
           v2_open, &v2, runs, v2.frame_len);
  vcr_sealed_payload_unref (v2.sealed);
  vcr_seal_keys_free (v2.keys);
  g_free (v2.frame);
  g_free (v2.work);
}

int
main (int argc, char **argv)
{
  guint rules = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 10000;
  guint runs = argc > 2 ? (guint) strtoul (argv[2], NULL, 10) : 21;
  g_autofree double *walls = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;
  gsize kept = 0;
  long peak;

  if (rules == 0 || runs == 0)
    {
      g_printerr ("usage: %s [RULES] [RUNS]\n", argv[0]);
      return 2;
    }
  json = snapshot_json (rules, &length);
  printf ("snapshot of \"firewall name WAN\", %u rules: %zu bytes of JSON\n", rules, length);

  peak = measure_memory (json, length, &kept);
  if (peak < 0)
    printf ("peak memory: cannot reset VmHWM here\n");
  else
    printf ("peak memory growth of one parse (VmHWM - VmRSS before): %.1f MB "
            "(%.2f x the document); the result holds %.1f MB\n",
            peak * 1024 / 1e6, peak * 1024.0 / length, kept / 1e6);

  walls = g_new (double, runs);
  for (guint i = 0; i < runs; i++)
    {
      gint64 start = g_get_monotonic_time ();
      VcrSnapshot *snapshot = parse_or_die (json, length);

      walls[i] = (g_get_monotonic_time () - start) / 1000.0;
      vcr_snapshot_free (snapshot);  /* not timed */
    }
  qsort (walls, runs, sizeof (double), compare_doubles);
  printf ("vcr_snapshot_from_json: median %.2f ms of %u runs (min %.2f, max %.2f), "
          "%.0f MB/s\n", walls[runs / 2], runs, walls[0], walls[runs - 1],
          length / 1e6 / (walls[runs / 2] / 1e3));

  {
    g_autoptr(VcrSnapshot) snapshot = parse_or_die (json, length);

    time_step ("vcr_snapshot_check_digests", step_digests, snapshot, runs);
    time_step ("splice check of the text (vcr_snapshot_parse_trees with splices)",
               step_splice, snapshot, runs);
    time_step ("parse of the text into a tree (vcr_snapshot_parse_trees)",
               step_parse, snapshot, runs);
  }
  bench_v2 (json, length, runs);
  return 0;
}
