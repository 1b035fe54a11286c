/* benchmark-plugin: what the LADSPA plugin costs a host per run() call.
 *
 * Loads libhushd_ladspa.so (path in argv[1]) as a host does and runs 60 s of noisy
 * "speech" (generated here) through hushd_mono and hushd_stereo at 48 kHz with every
 * control at its default, in run() calls of a PipeWire-like quantum (64, 256, 1024
 * frames). For each it prints the CPU time per call (median of the repeats), the
 * throughput in frames per microsecond of CPU, and the slowest single call (wall clock):
 * with hop 256 at 48 kHz a call that completes a hop pays for the whole hop, the others
 * only copy. A benchmark, not a test: nothing here fails on speed.
 *
 *   benchmark-plugin PATH/libhushd_ladspa.so [--seconds S] [--repeats N]
 */
#include <dlfcn.h>
#include <ladspa.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "params.h"
#include "signals.h"

#define RATE 48000

static double now_s(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

struct result {
  double cpu_s;      /* CPU seconds of the whole loop */
  double worst_s;    /* slowest run() call, wall clock */
};

/* One pass: a new instance, every control at the table's default, frames of x (planar,
 * channels) in calls of quantum frames. */
static struct result one_pass(const LADSPA_Descriptor *d, float **x, float **y, size_t frames,
                              size_t quantum) {
  LADSPA_Handle h = d->instantiate(d, RATE);
  LADSPA_Data ctl[64] = {0};
  unsigned long in = 0, out = 0, ins[2], outs[2];
  for (unsigned long p = 0; p < d->PortCount; p++) {
    LADSPA_PortDescriptor pd = d->PortDescriptors[p];
    if (LADSPA_IS_PORT_AUDIO(pd)) {
      if (LADSPA_IS_PORT_INPUT(pd)) ins[in++] = p;
      else outs[out++] = p;
      continue;
    }
    int id = hp_find(d->PortNames[p]);
    if (id >= 0 && LADSPA_IS_PORT_INPUT(pd)) ctl[p] = (float)hp_info(id)->def;
    d->connect_port(h, p, &ctl[p]);
  }
  d->activate(h);
  struct result r = {0, 0};
  double t0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
  for (size_t at = 0; at + quantum <= frames; at += quantum) {
    for (unsigned long c = 0; c < in; c++) {
      d->connect_port(h, ins[c], x[c] + at);
      d->connect_port(h, outs[c], y[c] + at);
    }
    double w0 = now_s(CLOCK_MONOTONIC);
    d->run(h, quantum);
    double w = now_s(CLOCK_MONOTONIC) - w0;
    if (w > r.worst_s) r.worst_s = w;
  }
  r.cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
  d->cleanup(h);
  return r;
}

int main(int argc, char **argv) {
  double seconds = 60;
  int repeats = 5;
  if (argc < 2) {
    fprintf(stderr, "usage: benchmark-plugin PATH/libhushd_ladspa.so [--seconds S] [--repeats N]\n");
    return 2;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
  }
  if (seconds <= 0 || repeats < 1 || repeats > 100) {
    fprintf(stderr, "benchmark-plugin: --seconds must be > 0, --repeats 1..100\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  const LADSPA_Descriptor *(*descriptor)(unsigned long) = NULL;
  if (lib) *(void **)&descriptor = dlsym(lib, "ladspa_descriptor");
  if (!descriptor) {
    fprintf(stderr, "benchmark-plugin: %s\n", lib ? "no ladspa_descriptor" : dlerror());
    return 1;
  }
  const size_t frames = (size_t)(seconds * RATE);
  float *x[2], *y[2];
  uint32_t seed = 4242;
  for (int c = 0; c < 2; c++) {
    x[c] = malloc(frames * sizeof(float));
    y[c] = malloc(frames * sizeof(float));
    if (!x[c] || !y[c]) return 1;
    for (size_t i = 0; i < frames; i++) {
      double on = (i / (RATE / 4)) % 2;
      x[c][i] = (float)(0.3 * on * sin(2 * M_PI * (220 + 110 * c) * (double)i / RATE)) +
                0.01f * sig_gauss(&seed);
    }
  }
  const size_t quanta[] = {64, 256, 1024};
  printf("hushd LADSPA plugin, %.0f s at %d Hz, defaults, median of %d runs\n", seconds, RATE,
         repeats);
  printf("%-13s %7s %12s %14s %13s %8s\n", "label", "quantum", "us/run()", "frames/us CPU",
         "worst run us", "RT x");
  for (unsigned long l = 0; descriptor(l); l++) {
    const LADSPA_Descriptor *d = descriptor(l);
    for (size_t q = 0; q < sizeof quanta / sizeof quanta[0]; q++) {
      double cpu[100], worst = 0;
      for (int r = 0; r < repeats; r++) {
        struct result res = one_pass(d, x, y, frames, quanta[q]);
        cpu[r] = res.cpu_s;
        if (res.worst_s > worst) worst = res.worst_s;
      }
      qsort(cpu, (size_t)repeats, sizeof cpu[0], cmp_double);
      double med = cpu[repeats / 2], calls = (double)(frames / quanta[q]);
      double done = calls * (double)quanta[q];
      printf("%-13s %7zu %12.2f %14.1f %13.1f %8.0f\n", d->Label, quanta[q], med / calls * 1e6,
             done / (med * 1e6), worst * 1e6, done / RATE / med);
    }
  }
  for (int c = 0; c < 2; c++) {
    free(x[c]);
    free(y[c]);
  }
  return 0;
}
