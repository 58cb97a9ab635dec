/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints how fast and how lean parse + boot rendering is: on the largest
 * real config (firewall-big, 1.18 MB) and on generated firewalls of N and
 * 10 N rules, to show the cost grows linearly. Memory is measured two ways:
 * the resident-set growth (ru_maxrss) of a forked child that does one parse
 * and render, and the exact bytes held at the end (input + tree arena +
 * output). No assertions: figures only.
 *
 *   bench-parse [CONFIG] [RUNS]
 */
#define G_LOG_DOMAIN "bench-parse"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcr-tree-private.h"

static gsize
parse_render_once (const char *text, gsize length, gsize *arena_bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VcrTree) tree = vcr_tree_parse (text, length, VCR_PARSE_DEFAULT, "bench", &error);
  g_autofree char *boot = NULL;
  gsize boot_len = 0;

  if (tree == NULL)
    {
      g_printerr ("parse failed: %s\n", error->message);
      exit (1);
    }
  boot = vcr_tree_render (tree, VCR_FORMAT_BOOT, &boot_len, NULL);
  if (arena_bytes != NULL)
    *arena_bytes = vcr_tree_get_allocated_size (tree);
  return boot_len;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

static double
median_ms (const char *text, gsize length, guint runs)
{
  g_autofree double *times = g_new (double, runs);
  double median;

  parse_render_once (text, length, NULL);   /* warm up */
  for (guint i = 0; i < runs; i++)
    {
      gint64 start = g_get_monotonic_time ();

      parse_render_once (text, length, NULL);
      times[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  qsort (times, runs, sizeof (double), compare_doubles);
  median = times[runs / 2];
  return median;
}

static long
max_rss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* Resident-set growth of one parse + render, in a forked child so that the
 * parent's earlier allocations do not hide it. */
static void
measure_memory (const char *label, const char *text, gsize length)
{
  int fds[2];
  pid_t pid;
  long result[3] = { 0 };

  if (pipe (fds) != 0)
    return;
  pid = fork ();
  if (pid == 0)
    {
      long before = max_rss_kib ();
      gsize arena = 0;
      gsize out = parse_render_once (text, length, &arena);
      long values[3] = { max_rss_kib () - before, (long) arena, (long) out };

      if (write (fds[1], values, sizeof values) != sizeof values)
        _exit (1);
      _exit (0);
    }
  close (fds[1]);
  if (pid > 0 && read (fds[0], result, sizeof result) == sizeof result)
    {
      printf ("%-22s rss growth %.2f MB = %.2f x input; input + arena + output "
              "%.2f MB = %.2f x input\n", label, result[0] / 1024.0,
              result[0] * 1024.0 / length,
              (length + result[1] + result[2]) / 1e6,
              (double) (length + result[1] + result[2]) / length);
    }
  close (fds[0]);
  if (pid > 0)
    waitpid (pid, NULL, 0);
}

/* A firewall like firewall-big: @n_rules rules over 20 rule-sets. */
static GString *
generate_firewall (guint n_rules)
{
  GString *text = g_string_new ("firewall {\n");
  guint per_set = MAX (1, n_rules / 20);

  for (guint set = 0; set * per_set < n_rules; set++)
    {
      g_string_append_printf (text, "    name SET-%u {\n        default-action drop\n", set);
      for (guint r = 0; r < per_set && set * per_set + r < n_rules; r++)
        g_string_append_printf (text,
                                "        rule %u {\n"
                                "            action accept\n"
                                "            description \"rule %u of set %u\"\n"
                                "            destination {\n"
                                "                address 10.%u.%u.0/24\n"
                                "                port 80,443,%u\n"
                                "            }\n"
                                "            protocol tcp\n"
                                "            source {\n"
                                "                group {\n"
                                "                    network-group NET-%u\n"
                                "                }\n"
                                "            }\n"
                                "        }\n",
                                (r + 1) * 10, r, set, set % 256, r % 256, 1024 + r, r % 50);
      g_string_append (text, "    }\n");
    }
  g_string_append (text, "}\n// Warning: Do not remove the following line.\n");
  return text;
}

int
main (int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : VCR_BENCH_DEFAULT_CONFIG;
  guint runs = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 21;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GString) small = generate_firewall (3000);
  g_autoptr(GString) big = generate_firewall (30000);
  gsize length;
  double ms, ms_small, ms_big;

  if (runs == 0)
    runs = 1;
  if (!g_file_get_contents (path, &text, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  /* Memory first, before the timing runs grow the parent's heap. */
  measure_memory ("firewall-big", text, length);
  measure_memory ("generated 3000 rules", small->str, small->len);
  measure_memory ("generated 30000 rules", big->str, big->len);

  ms = median_ms (text, length, runs);
  printf ("%s: %.2f MB, parse + render (boot): %.2f ms median of %u runs (%.0f MB/s)\n",
          path, length / 1e6, ms, runs, length / 1e3 / ms);
  ms_small = median_ms (small->str, small->len, runs);
  ms_big = median_ms (big->str, big->len, MAX (3, runs / 4));
  printf ("generated 3000 rules (%.2f MB): %.2f ms; 30000 rules (%.2f MB): %.2f ms; "
          "ratio 10x/1x = %.2f\n", small->len / 1e6, ms_small, big->len / 1e6, ms_big,
          ms_big / ms_small);
  return 0;
}
