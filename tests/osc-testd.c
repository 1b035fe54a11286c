/* osc-testd: the real OSC server on an engine driven in-process, for the OSC tests.
 *
 * An audio thread feeds the engine generated sound (noise with a tone switching on and
 * off) hop by hop, paced by the clock like a device would, and counts an xrun whenever a
 * hop is finished longer after its input was complete than the simulated device
 * buffer (--buffer-ms, default 10.7 ms: two 256-frame periods at 48 kHz, as JACK -p 256
 * -n 2) and the engine is to blame: the hop blocked (a voluntary context switch) or took
 * more CPU time than the buffer. A late hop that did neither was the machine's stall
 * (woken late or preempted) and is counted apart, so a busy machine fails no test while a
 * lock, a sleep or a slow engine still does. The main thread fills a struct control and
 * starts osc_create on it, prints "osc-testd: listening on ADDR:PORT", waits for SIGTERM
 * or SIGINT, stops everything and prints "osc-testd: hops N xruns N max_late_ms X
 * stalls N lost_ms X max_cpu_ms X osc_refused N".
 *
 * usage: osc-testd [--bind ADDR] [--port N] [--allow LIST] [--state-dir DIR] [--no-config]
 *                  [--no-audio] [--buffer-ms MS] [--late-engine-ms MS] [--bad-samples]
 *
 * --late-engine-ms makes one hop a second sleep MS inside the engine's time, the fault the
 * xrun count must catch. --bad-samples puts NaN, +Inf, -Inf and 1e20 into the tenth hop.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "clock.h"
#include "control.h"
#include "engine.h"
#include "osc.h"
#include "params.h"

#define RATE_HZ 48000

struct driver {
  struct engine *engine;
  const char *state_dir;
  double buffer_s;        /* simulated device buffer: lateness allowed before an xrun */
  double late_engine_s;   /* test of the test: a sleep in one hop a second */
  int bad_samples;        /* 1: four bad samples in hop 10 */
  atomic_int stop;
  atomic_ullong xruns;     /* late hops the engine caused */
  atomic_ullong stalls;    /* late hops the machine caused */
  _Atomic double lost_s;   /* time skipped after late hops */
  _Atomic double max_cpu_s;
  _Atomic float cpu_load; /* DSP time / hop time, smoothed */
  _Atomic double max_late_s;
  double start_s;
};

static void sleep_until(double t) {
  struct timespec ts = {(time_t)t, (long)((t - floor(t)) * 1e9)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) {
  }
}

static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long voluntary_switches(void) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw;
}

static void *audio(void *arg) {
  struct driver *d = arg;
  const int hop = engine_hop_size(d->engine);
  const double period = (double)hop / RATE_HZ;
  float *buf = calloc(hop, sizeof(float));
  unsigned seed = 1;
  long long n = 0;
  double t0 = now_s();
  for (long long k = 0; !atomic_load(&d->stop); k++) {
    for (int i = 0; i < hop; i++, n++) {
      seed = seed * 1664525u + 1013904223u;
      float noise = 0.01f * ((float)(seed >> 8) / (1 << 24) - 0.5f);
      int tone_on = (n / (RATE_HZ / 2)) % 2;
      buf[i] = noise + (tone_on ? 0.1f * sinf(2.f * (float)M_PI * 440.f * n / RATE_HZ) : 0.f);
    }
    if (d->bad_samples && k == 10) {
      buf[0] = NAN, buf[1] = INFINITY, buf[2] = -INFINITY, buf[3] = 1e20f;
    }
    /* hop k's input is complete at t0 + (k + 1) periods, as a device would deliver it */
    double ready = t0 + (k + 1) * period;
    sleep_until(ready);
    long blocked = voluntary_switches();
    double cpu = thread_cpu_s(), begin = now_s();
    engine_process_hop(d->engine, buf, buf);
    if (d->late_engine_s > 0 && k % (RATE_HZ / hop) == 0) sleep_until(begin + d->late_engine_s);
    double end = now_s();
    cpu = thread_cpu_s() - cpu;
    blocked = voluntary_switches() - blocked;
    if (cpu > atomic_load(&d->max_cpu_s)) atomic_store(&d->max_cpu_s, cpu);
    atomic_store(&d->cpu_load, 0.9f * atomic_load(&d->cpu_load) +
                                   0.1f * (float)((end - begin) / period));
    double late = end - ready;
    if (late > atomic_load(&d->max_late_s)) atomic_store(&d->max_late_s, late);
    if (late > d->buffer_s) {
      /* a device would drop or repeat a buffer and carry on from now */
      atomic_fetch_add(blocked > 0 || cpu > d->buffer_s ? &d->xruns : &d->stalls, 1);
      atomic_store(&d->lost_s, atomic_load(&d->lost_s) + late);
      t0 = end - (k + 1) * period;
    }
  }
  free(buf);
  return NULL;
}

static void status(void *ctx, struct hushd_status *st) {
  struct driver *d = ctx;
  struct engine_meters m;
  engine_meters(d->engine, &m);
  st->in_db = m.in_db;
  st->out_db = m.out_db;
  st->reduction_db = m.reduction_db;
  st->noise_floor_db = m.noise_floor_db;
  st->latency_ms = 1000.f * engine_hop_latency_frames(d->engine) / RATE_HZ;
  st->cpu_load = atomic_load(&d->cpu_load);
  st->xruns = atomic_load(&d->xruns);
  st->overruns = st->underruns = 0;
  st->bad_samples = engine_bad_samples(d->engine);
  st->uptime_s = now_s() - d->start_s;
}

/* The config the test driver "saves": every parameter as NAME = VALUE in
 * STATE_DIR/hushd.conf. */
static int save_config(void *ctx, char *err, size_t errlen) {
  struct driver *d = ctx;
  char file[4096], v[32];
  snprintf(file, sizeof file, "%s/hushd.conf", d->state_dir);
  FILE *f = fopen(file, "w");
  if (!f) {
    snprintf(err, errlen, "cannot write %s", file);
    return -1;
  }
  for (int id = 0; id < HP_COUNT; id++) {
    hp_format(id, engine_get_param(d->engine, id), v, sizeof v);
    fprintf(f, "%s = %s\n", hp_info(id)->name, v);
  }
  return fclose(f) ? -1 : 0;
}

int main(int argc, char **argv) {
  const char *bind_addr = "127.0.0.1", *allow = NULL;
  int port = 0, with_config = 1, with_audio = 1;
  struct driver d = {.state_dir = ".", .buffer_s = 2 * 256 / 48000.0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--bind") && v) bind_addr = argv[++i];
    else if (!strcmp(a, "--port") && v) port = atoi(argv[++i]);
    else if (!strcmp(a, "--allow") && v) allow = argv[++i];
    else if (!strcmp(a, "--state-dir") && v) d.state_dir = argv[++i];
    else if (!strcmp(a, "--buffer-ms") && v) d.buffer_s = atof(argv[++i]) / 1000.0;
    else if (!strcmp(a, "--late-engine-ms") && v) d.late_engine_s = atof(argv[++i]) / 1000.0;
    else if (!strcmp(a, "--bad-samples")) d.bad_samples = 1;
    else if (!strcmp(a, "--no-config")) with_config = 0;
    else if (!strcmp(a, "--no-audio")) with_audio = 0;
    else {
      fprintf(stderr, "osc-testd: unknown option '%s'\n", a);
      return 2;
    }
  }
  char err[512];
  struct hp_values p;
  hp_defaults(&p);
  d.engine = engine_create(&p, RATE_HZ, 1, ENGINE_PLAN_ESTIMATE, err, sizeof err);
  if (!d.engine) {
    fprintf(stderr, "osc-testd: %s\n", err);
    return 1;
  }
  d.start_s = now_s();
  struct control ctl = {.engine = d.engine, .status = status, .status_ctx = &d,
                        .state_dir = d.state_dir,
                        .save_config = with_config ? save_config : NULL, .config_ctx = &d};

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit it; main waits below */

  pthread_t audio_thread;
  if (with_audio) pthread_create(&audio_thread, NULL, audio, &d);
  struct osc *o = osc_create(bind_addr, port, allow, &ctl, err, sizeof err);
  if (!o) {
    fprintf(stderr, "osc-testd: %s\n", err);
    atomic_store(&d.stop, 1);
    if (with_audio) pthread_join(audio_thread, NULL);
    engine_destroy(d.engine);
    return 2;
  }
  printf("osc-testd: listening on %s:%d\n", bind_addr, osc_port(o));
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  unsigned long long refused = osc_refused(o);
  osc_destroy(o);
  atomic_store(&d.stop, 1);
  if (with_audio) pthread_join(audio_thread, NULL);
  struct engine_meters m;
  engine_meters(d.engine, &m);
  printf("osc-testd: hops %llu xruns %llu max_late_ms %.2f stalls %llu lost_ms %.1f "
         "max_cpu_ms %.2f osc_refused %llu\n",
         m.hops, atomic_load(&d.xruns), atomic_load(&d.max_late_s) * 1000.0,
         atomic_load(&d.stalls), atomic_load(&d.lost_s) * 1000.0,
         atomic_load(&d.max_cpu_s) * 1000.0, refused);
  engine_destroy(d.engine);
  return 0;
}
