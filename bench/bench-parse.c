/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints how fast and how lean parse + boot rendering is: on the largest
 * real config (firewall-big, 1.18 MB) and on generated firewalls of N and
 * 10 N rules, to show the cost grows linearly. Memory is measured two ways:
 * the resident-set growth (ru_maxrss) of a forked child that does one parse
 * and render (the input is already resident, so this is what parsing and
 * rendering add), and the bytes held at the end (input + the used part of
 * the tree's arena + output). No assertions: figures only.
 *
 *   bench-parse [CONFIG] [RUNS]
 */
#define G_LOG_DOMAIN "bench-parse"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
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
    *arena_bytes = vcr_tree_get_used_size (tree);
  return boot_len;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct {
  double wall;
  double cpu;
} Timing;

/* Medians of wall-clock and CPU time: this machine is shared, and the wall
 * clock also counts the time other processes hold the CPU. */
static Timing
median_ms (const char *text, gsize length, guint runs)
{
  g_autofree double *walls = g_new (double, runs);
  g_autofree double *cpus = g_new (double, runs);
  Timing t;

  parse_render_once (text, length, NULL);   /* warm up */
  for (guint i = 0; i < runs; i++)
    {
      gint64 start = g_get_monotonic_time ();
      double cpu_start = cpu_ms ();

      parse_render_once (text, length, NULL);
      walls[i] = (g_get_monotonic_time () - start) / 1000.0;
      cpus[i] = cpu_ms () - cpu_start;
    }
  qsort (walls, runs, sizeof (double), compare_doubles);
  qsort (cpus, runs, sizeof (double), compare_doubles);
  t.wall = walls[runs / 2];
  t.cpu = cpus[runs / 2];
  return t;
}

static long
max_rss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* One parse + render in a fresh child process: every page is touched for
 * the first time, as in a daemon that parses a config now and then. */
static double
cold_ms (const char *text, gsize length)
{
  int fds[2];
  pid_t pid;
  double ms = -1;

  if (pipe (fds) != 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      gint64 start = g_get_monotonic_time ();
      double elapsed;

      parse_render_once (text, length, NULL);
      elapsed = (g_get_monotonic_time () - start) / 1000.0;
      if (write (fds[1], &elapsed, sizeof elapsed) != sizeof elapsed)
        _exit (1);
      _exit (0);
    }
  close (fds[1]);
  if (pid > 0 && read (fds[0], &ms, sizeof ms) != sizeof ms)
    ms = -1;
  close (fds[0]);
  if (pid > 0)
    waitpid (pid, NULL, 0);
  return ms;
}

static double
median_cold_ms (const char *text, gsize length, guint runs)
{
  g_autofree double *times = g_new (double, runs);

  for (guint i = 0; i < runs; i++)
    times[i] = cold_ms (text, length);
  qsort (times, runs, sizeof (double), compare_doubles);
  return times[runs / 2];
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
      printf ("%-22s peak rss growth %.2f MB = %.2f x input; input + arena used + output "
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
  Timing ms, ms_small, ms_big;

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

  /* Cold: a fresh process per run, so both sizes pay for first-touching
   * their memory (a page fault is expensive on this VM). */
  printf ("cold (fresh process per run), median of %u: firewall-big %.2f ms, "
          "3000 rules %.2f ms, 30000 rules %.2f ms\n", MAX (3, runs / 4),
          median_cold_ms (text, length, MAX (3, runs / 4)),
          median_cold_ms (small->str, small->len, MAX (3, runs / 4)),
          median_cold_ms (big->str, big->len, MAX (3, runs / 4)));

  /* Warm: keep freed memory in the heap for every size (glibc would
   * otherwise return blocks above 32 MB to the kernel after each run and
   * fault them in again, which only the big input would pay). */
  mallopt (M_MMAP_THRESHOLD, 512 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  ms = median_ms (text, length, runs);
  printf ("warm: %s: %.2f MB, parse + render (boot), median of %u runs: %.2f ms wall, "
          "%.2f ms CPU (%.0f MB/s)\n", path, length / 1e6, runs, ms.wall, ms.cpu,
          length / 1e3 / ms.cpu);
  ms_small = median_ms (small->str, small->len, runs);
  ms_big = median_ms (big->str, big->len, MAX (3, runs / 4));
  printf ("generated 3000 rules (%.2f MB): %.2f ms wall, %.2f ms CPU; "
          "30000 rules (%.2f MB): %.2f ms wall, %.2f ms CPU\n",
          small->len / 1e6, ms_small.wall, ms_small.cpu, big->len / 1e6, ms_big.wall, ms_big.cpu);
  printf ("ratio 10x/1x: %.2f wall, %.2f CPU\n", ms_big.wall / ms_small.wall,
          ms_big.cpu / ms_small.cpu);
  return 0;
}
