/* worker: the DSP thread (see worker.h). */
#define _GNU_SOURCE /* pthread_setname_np, pthread_getattr_np */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "ring.h"

#define LATE_EVERY_HOPS 200 /* test only: about once a second at hop 256, 48 kHz */

struct worker {
  struct engine *engine;
  struct ring *in, *out;
  sem_t *wake;
  float *hop; /* hop_size * channels */
  size_t hop_frames;
  pthread_t thread;
  atomic_int stop;
  atomic_ullong busy_ns, overruns;
  unsigned long long stall_at_ns; /* test only: stop processing from then on; 0 = never */
  long late_ns;                   /* test only: sleep before every LATE_EVERY_HOPS-th hop */
  unsigned long hops;
  /* main thread's bookkeeping for worker_load */
  unsigned long long last_busy_ns;
  struct timespec last_at;
};

static unsigned long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t); /* vDSO: no system call */
  return (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
}

static void *run(void *arg) {
  struct worker *w = arg;
  while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
    if (sem_wait(w->wake) && errno == EINTR) continue;
    unsigned long long t0 = now_ns();
    if (w->stall_at_ns && t0 >= w->stall_at_ns) continue; /* a stuck worker, for tests */
    int worked = 0;
    while (ring_read_space(w->in) >= w->hop_frames) {
      if (w->late_ns && ++w->hops % LATE_EVERY_HOPS == 0) { /* a late hushd, for tests */
        struct timespec late = {0, w->late_ns};
        nanosleep(&late, NULL);
      }
      ring_read(w->in, w->hop, w->hop_frames);
      engine_process_hop(w->engine, w->hop, w->hop);
      size_t put = ring_write(w->out, w->hop, w->hop_frames);
      if (put < w->hop_frames)
        atomic_fetch_add_explicit(&w->overruns, w->hop_frames - put, memory_order_relaxed);
      worked = 1;
    }
    if (worked) atomic_fetch_add_explicit(&w->busy_ns, now_ns() - t0, memory_order_relaxed);
  }
  return NULL;
}

struct worker *worker_start(struct engine *e, struct ring *in, struct ring *out, sem_t *wake,
                            int rt_priority, int *rt_refused, char *err, size_t errlen) {
  struct worker *w = calloc(1, sizeof *w);
  if (w) {
    w->hop_frames = (size_t)engine_hop_size(e);
    w->hop = calloc(w->hop_frames * (size_t)engine_channels(e), sizeof(float));
  }
  if (!w || !w->hop) {
    snprintf(err, errlen, "out of memory");
    if (w) free(w);
    return NULL;
  }
  w->engine = e;
  w->in = in;
  w->out = out;
  w->wake = wake;
  clock_gettime(CLOCK_MONOTONIC, &w->last_at);
  /* HUSHD_TEST_STALL_AFTER_S=S: the worker stops processing S seconds after it starts
   * (the watchdog test's stuck worker). Read here, on the main thread. */
  const char *stall = getenv("HUSHD_TEST_STALL_AFTER_S");
  if (stall && atof(stall) > 0)
    w->stall_at_ns = now_ns() + (unsigned long long)(atof(stall) * 1e9);
  /* HUSHD_TEST_LATE_MS=MS: a sleep of MS ms now and then (the live tests' late hushd) */
  const char *late = getenv("HUSHD_TEST_LATE_MS");
  if (late && atof(late) > 0 && atof(late) < 1000) w->late_ns = (long)(atof(late) * 1e6);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  *rt_refused = 0;
  int rc = EPERM;
  if (rt_priority > 0) {
    /* ask at creation, so the thread never runs a hop at normal priority by surprise */
    struct sched_param sp = {.sched_priority = rt_priority};
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
    pthread_attr_setschedparam(&attr, &sp);
    rc = pthread_create(&w->thread, &attr, run, w);
    if (rc) *rt_refused = rc;
  }
  if (rc) {
    pthread_attr_destroy(&attr);
    pthread_attr_init(&attr);
    rc = pthread_create(&w->thread, &attr, run, w);
  }
  pthread_attr_destroy(&attr);
  if (!rc) pthread_setname_np(w->thread, "hushd-dsp"); /* for top -H and ps -L */
  if (rc) {
    snprintf(err, errlen, "cannot start the DSP thread: %s", strerror(rc));
    free(w->hop);
    free(w);
    return NULL;
  }
  return w;
}

void worker_stop(struct worker *w) {
  if (!w) return;
  atomic_store_explicit(&w->stop, 1, memory_order_release);
  sem_post(w->wake);
  pthread_join(w->thread, NULL);
  free(w->hop);
  free(w);
}

double worker_load(struct worker *w) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  double wall_ns = (t.tv_sec - w->last_at.tv_sec) * 1e9 + (t.tv_nsec - w->last_at.tv_nsec);
  unsigned long long busy = atomic_load_explicit(&w->busy_ns, memory_order_relaxed);
  double load = wall_ns > 0 ? (double)(busy - w->last_busy_ns) / wall_ns : 0;
  w->last_busy_ns = busy;
  w->last_at = t;
  return load;
}

int worker_stack(const struct worker *w, void **addr, size_t *len) {
  pthread_attr_t attr;
  if (pthread_getattr_np(w->thread, &attr)) return -1;
  int rc = pthread_attr_getstack(&attr, addr, len);
  pthread_attr_destroy(&attr);
  return rc ? -1 : 0;
}

unsigned long long worker_overruns(const struct worker *w) {
  return atomic_load_explicit(&w->overruns, memory_order_relaxed);
}
