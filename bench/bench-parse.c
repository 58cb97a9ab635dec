/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints how fast and how lean parse + boot rendering is: on the largest
 * real config (firewall-big, 1.18 MB) and on generated firewalls of N and
 * 10 N rules, to show the cost grows linearly. Three kinds of figures, each
 * for every input:
 *  - time: warm (median of repeated runs in this process) and cold (a fresh
 *    process per run, every page touched for the first time), wall and CPU;
 *  - instructions: callgrind's count for exactly one parse + render (no
 *    hardware counters on this VM), the scaling figure that CPU noise and
 *    cache effects do not blur;
 *  - memory: VmHWM of a fresh process that reads the file and parses and
 *    renders it, minus its VmRSS before reading: the input, the tree and the
 *    output all count.
 * Fresh processes are this program run again with --once FILE. No
 * assertions: figures only.
 *
 *   bench-parse [CONFIG] [RUNS]
 *   bench-parse --once FILE     one parse + render; prints ms and memory
 */
#define G_LOG_DOMAIN "bench-parse"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "vcr-tree-private.h"

/* What one parse + render holds at its end, for the breakdown. */
typedef struct {
  gsize arena_used;
  gsize output;
} Held;

/* noinline: callgrind counts exactly this function (--toggle-collect). */
static G_GNUC_NO_INLINE void
parse_render_once (const char *text, gsize length, Held *held)
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
  if (held != NULL)
    {
      held->arena_used = vcr_tree_get_used_size (tree);
      held->output = boot_len;
    }
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
  double min_cpu;           /* the least disturbed run, for the ratio */
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
  t.min_cpu = cpus[0];
  return t;
}

/* --once: read, parse and render one file in this fresh process. Prints
 * wall ms, CPU ms, peak memory growth (bytes, from before the file was
 * read), input, arena used and output bytes. */
static int
run_once (const char *path)
{
  long rss_before = status_kib ("VmRSS:");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length;
  Held held = { 0 };
  gint64 start;
  double cpu_start, wall, cpu;
  long hwm;

  if (!g_file_get_contents (path, &text, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  start = g_get_monotonic_time ();
  cpu_start = cpu_ms ();
  parse_render_once (text, length, &held);
  wall = (g_get_monotonic_time () - start) / 1000.0;
  cpu = cpu_ms () - cpu_start;
  hwm = status_kib ("VmHWM:");
  printf ("%.3f %.3f %ld %zu %zu %zu\n", wall, cpu, (hwm - rss_before) * 1024,
          length, held.arena_used, held.output);
  return 0;
}

typedef struct {
  const char *label;
  const char *path;
  gsize length;
  Timing warm;
  Timing cold;
  double peak;              /* bytes */
  gsize arena_used;
  gsize output;
  double instructions;      /* 0: not measured */
  double ll_misses;         /* simulated last-level cache misses */
} Input;

/* Cold runs: this program again with --once, a fresh process each time. */
static void
measure_cold (Input *in, guint runs)
{
  const char *self = "/proc/self/exe";
  g_autofree double *walls = g_new (double, runs);
  g_autofree double *cpus = g_new (double, runs);
  g_autofree double *peaks = g_new (double, runs);

  for (guint i = 0; i < runs; i++)
    {
      const char *argv[] = { self, "--once", in->path, NULL };
      g_autofree char *out = NULL;
      g_autoptr(GError) error = NULL;
      long peak = 0;
      gsize length = 0;
      int status;

      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                         &out, NULL, &status, &error) ||
          !g_spawn_check_wait_status (status, &error) ||
          sscanf (out, "%lf %lf %ld %zu %zu %zu", &walls[i], &cpus[i], &peak, &length,
                  &in->arena_used, &in->output) != 6)
        {
          g_printerr ("%s: --once failed: %s\n", in->label, error != NULL ? error->message : out);
          exit (1);
        }
      peaks[i] = peak;
    }
  qsort (walls, runs, sizeof (double), compare_doubles);
  qsort (cpus, runs, sizeof (double), compare_doubles);
  qsort (peaks, runs, sizeof (double), compare_doubles);
  in->cold.wall = walls[runs / 2];
  in->cold.cpu = cpus[runs / 2];
  in->peak = peaks[runs / 2];
}

/* Instructions (Ir) and simulated last-level cache misses (DLmr + DLmw) of
 * parse_render_once() alone, from callgrind's summary line. */
static void
measure_instructions (Input *in, const char *valgrind)
{
  g_autofree char *out_file = g_build_filename (g_get_tmp_dir (), "bench-parse.callgrind", NULL);
  g_autofree char *out_arg = g_strdup_printf ("--callgrind-out-file=%s", out_file);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { valgrind, "--tool=callgrind", "--cache-sim=yes", out_arg,
                         "--collect-atstart=no", "--toggle-collect=parse_render_once*",
                         self, "--once", in->path, NULL };
  g_autofree char *contents = NULL;
  g_auto(GStrv) events = NULL;
  g_auto(GStrv) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ev_line = NULL;
  g_autofree char *sum_line = NULL;
  const char *ev, *sum;
  int status;

  if (self == NULL ||
      !g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error) ||
      !g_file_get_contents (out_file, &contents, NULL, &error))
    {
      g_printerr ("%s: callgrind failed: %s\n", in->label,
                  error != NULL ? error->message : "no /proc/self/exe");
      return;
    }
  unlink (out_file);
  ev = strstr (contents, "\nevents: ");
  sum = strstr (contents, "\nsummary: ");
  if (ev == NULL || sum == NULL)
    return;
  ev_line = g_strndup (ev + 9, strcspn (ev + 9, "\n"));
  sum_line = g_strndup (sum + 10, strcspn (sum + 10, "\n"));
  events = g_strsplit (ev_line, " ", -1);
  summary = g_strsplit (sum_line, " ", -1);
  for (guint i = 0; events[i] != NULL && i < g_strv_length (summary); i++)
    {
      double value = g_ascii_strtod (summary[i], NULL);

      if (strcmp (events[i], "Ir") == 0)
        in->instructions = value;
      else if (strcmp (events[i], "DLmr") == 0 || strcmp (events[i], "DLmw") == 0)
        in->ll_misses += value;
    }
}

static char *
write_temp (const GString *text)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("bench-parse-XXXXXX", &path, &error);

  if (fd < 0 || !g_file_set_contents (path, text->str, text->len, &error))
    {
      g_printerr ("%s\n", error->message);
      exit (1);
    }
  close (fd);
  return path;
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

static void
print_row (const Input *in)
{
  printf ("%-22s %6.2f %7.2f %6.2f %6.2f %7.2f %6.2f %9.1f %8.2f %5.2f = %4.2f + %4.2f + %4.2f\n",
          in->label, in->length / 1e6, in->warm.wall, in->warm.cpu, in->warm.min_cpu,
          in->cold.wall, in->cold.cpu,
          in->instructions / 1e6, in->ll_misses / 1e3, in->peak / in->length,
          1.0, (double) in->arena_used / in->length, (double) in->output / in->length);
}

int
main (int argc, char **argv)
{
  g_autofree char *valgrind = g_find_program_in_path ("valgrind");
  g_autoptr(GString) small = generate_firewall (3000);
  g_autoptr(GString) big = generate_firewall (30000);
  g_autofree char *small_path = NULL;
  g_autofree char *big_path = NULL;
  g_autofree char *text = NULL;
  Input inputs[3] = { { 0 } };
  const Input *s = &inputs[1], *b = &inputs[2];
  guint runs;

  if (argc == 3 && strcmp (argv[1], "--once") == 0)
    return run_once (argv[2]);
  runs = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 21;
  runs = MAX (runs, 1);
  small_path = write_temp (small);
  big_path = write_temp (big);
  inputs[0] = (Input) { "firewall-big", argc > 1 ? argv[1] : VCR_BENCH_DEFAULT_CONFIG };
  inputs[1] = (Input) { "generated 3000 rules", small_path };
  inputs[2] = (Input) { "generated 30000 rules", big_path };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      measure_cold (&inputs[i], MAX (3, runs / 4));
      if (valgrind != NULL)
        measure_instructions (&inputs[i], valgrind);
    }
  /* Warm: keep freed memory in the heap for every size (glibc would
   * otherwise return blocks above 32 MB to the kernel after each run and
   * fault them in again, which only the big input would pay). */
  mallopt (M_MMAP_THRESHOLD, 512 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      gsize length;

      g_clear_pointer (&text, g_free);
      if (!g_file_get_contents (inputs[i].path, &text, &length, NULL))
        return 1;
      inputs[i].length = length;
      inputs[i].warm = median_ms (text, length, runs);
    }
  unlink (small_path);
  unlink (big_path);

  printf ("parse + render (boot); times in ms, medians of %u warm runs (and the least CPU "
          "time of them) and of %u cold runs (fresh process each)\n", runs, MAX (3, runs / 4));
  printf ("instructions and last-level cache misses: callgrind, one parse + render%s\n",
          valgrind != NULL ? "" : " (valgrind not found: not measured)");
  printf ("peak memory: VmHWM of a fresh process that reads the file, parses and renders, "
          "minus its VmRSS before reading, as x input;\n"
          "  then what is held at the end of render: input + arena used + output\n\n");
  printf ("%-22s %6s %7s %6s %6s %7s %6s %9s %8s %s\n", "input", "MB", "warm", "CPU", "minCPU",
          "cold", "CPU",
          "Minstr", "kLLmiss", "peak mem (x input) = in + tree + out");
  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    print_row (&inputs[i]);
  printf ("%-22s %6.2f %7.2f %6.2f %6.2f %7.2f %6.2f %9.2f %8.2f %5.2f\n", "ratio 30000/3000",
          (double) b->length / s->length, b->warm.wall / s->warm.wall, b->warm.cpu / s->warm.cpu,
          b->warm.min_cpu / s->warm.min_cpu,
          b->cold.wall / s->cold.wall, b->cold.cpu / s->cold.cpu,
          s->instructions > 0 ? b->instructions / s->instructions : 0,
          s->ll_misses > 0 ? b->ll_misses / s->ll_misses : 0, b->peak / s->peak);
  return 0;
}
