/* live: the live daemon's main loop (see live.h). */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "control.h"
#include "engine.h"
#include "ring.h"
#include "status.h"
#include "worker.h"

#define TICK_MS 50            /* main loop period: signal response and stall checks */
#define STALL_S 2.0           /* no callback for this long: the device is gone */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 4000
#define RT_PRIORITY 70        /* below JACK's default 95 and PipeWire's 88, above 0 */
#define RESUME_ENV "HUSHD_RESUME" /* set by restart_in_place for the new process */
#define MAX_ARGS 256

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

struct live {
  const struct settings *s;
  struct engine *engine;
  struct ring *in, *out;
  sem_t wake;
  struct audio *audio;
  struct worker *worker;
  struct audio_counts past; /* counts of the streams opened before this one */
  size_t hushd_latency_frames;
  double started_s;
  char last_error[1024]; /* said once while it repeats */
  /* the latest status, for control surfaces on other threads */
  pthread_mutex_t lock;
  struct hushd_status status;
  double callback_load;
};

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL); /* a signal cuts it short, which is what we want */
}

/* control.status: any thread */
static void get_status(void *ctx, struct hushd_status *out) {
  struct live *l = ctx;
  pthread_mutex_lock(&l->lock);
  *out = l->status;
  pthread_mutex_unlock(&l->lock);
}

static void add_counts(struct audio_counts *to, const struct audio_counts *c) {
  to->xruns += c->xruns;
  to->overruns += c->overruns;
  to->underruns += c->underruns;
  to->dropped += c->dropped;
  to->repeated += c->repeated;
}

/* Main thread, once a second: gathers meters, loads and counts. */
static void update_status(struct live *l, double device_latency_ms) {
  struct engine_meters m;
  engine_meters(l->engine, &m);
  struct audio_counts c = l->past;
  struct audio_counts now = {0};
  if (l->audio) audio_counts(l->audio, &now);
  add_counts(&c, &now);
  struct hushd_status st = {
      .in_db = m.in_db, .out_db = m.out_db, .reduction_db = m.reduction_db,
      .noise_floor_db = m.noise_floor_db,
      .latency_ms = (float)(1000.0 * l->hushd_latency_frames / l->s->rate_hz +
                            device_latency_ms),
      .cpu_load = l->worker ? (float)worker_load(l->worker) : 0,
      .xruns = c.xruns, .overruns = c.overruns + (l->worker ? worker_overruns(l->worker) : 0),
      .underruns = c.underruns, .uptime_s = now_s() - l->started_s};
  double cb = l->audio ? audio_cpu_load(l->audio) : 0;
  pthread_mutex_lock(&l->lock);
  l->status = st;
  l->callback_load = cb;
  pthread_mutex_unlock(&l->lock);
}

/* Runs one opened stream until a signal (returns 1) or until it is lost (returns 0). */
static int run_stream(struct live *l, const struct audio_info *info, struct status_out *so) {
  double last_update = 0, last_progress = now_s();
  unsigned long long callbacks = 0;
  int size_told = 0;
  update_status(l, info->device_latency_ms);
  while (!stop_signal) {
    sleep_ms(TICK_MS);
    double t = now_s();
    unsigned long long n = audio_callbacks(l->audio);
    if (n != callbacks) {
      callbacks = n;
      last_progress = t;
    }
    const char *why = !audio_alive(l->audio) ? "the stream stopped"
                      : t - last_progress > STALL_S ? "no audio callback for 2 s" : NULL;
    if (why) {
      status_break(so);
      fprintf(stderr, "hushd: lost the audio device (%s); restarting to reopen it\n", why);
      return 0;
    }
    unsigned long cf = audio_callback_frames(l->audio);
    if (cf && cf != (unsigned long)l->s->frames && !size_told++) {
      status_break(so);
      fprintf(stderr, "hushd: the device calls back with %lu frames, not --frames %d: the "
                      "latency stated is off and underruns are likely; use --frames %lu\n",
              cf, l->s->frames, cf);
    }
    if (t - last_update >= 1.0) {
      last_update = t;
      update_status(l, info->device_latency_ms);
      if (!l->s->quiet) {
        struct hushd_status st;
        get_status(l, &st);
        status_show(so, &st, l->callback_load, t);
      }
    }
  }
  return 1;
}

/* PortAudio 19.6 cannot let go of a stream whose JACK server died: closing it waits ten
 * minutes for the dead server and Pa_Terminate then asserts, and without Pa_Terminate it
 * cannot find the server again. So after a loss hushd starts itself again in place: the
 * same arguments, the live parameters as they are now (as --set, which win over earlier
 * ones), and the counts and uptime in RESUME_ENV, so the new process reports totals and
 * waits for the device instead of failing on a device name that is missing for now.
 * SIGINT/SIGTERM stay blocked across exec and are taken by the new process's handlers.
 * Does not return. */
static _Noreturn void restart_in_place(struct live *l) {
  static char cmdline[16384], sets[HP_COUNT][96];
  char *argv[MAX_ARGS + 2 * HP_COUNT + 1];
  int argc = 0, fd = open("/proc/self/cmdline", O_RDONLY);
  ssize_t len = fd < 0 ? -1 : read(fd, cmdline, sizeof cmdline - 1);
  if (fd >= 0) close(fd);
  if (len <= 0 || (size_t)len == sizeof cmdline - 1) len = 0;
  for (char *p = cmdline; p < cmdline + len && argc < MAX_ARGS; p += strlen(p) + 1)
    argv[argc++] = p;
  for (int id = 0; id < HP_COUNT; id++) {
    if (!hp_info(id)->live) continue;
    char value[48];
    hp_format(id, engine_get_param(l->engine, id), value, sizeof value);
    snprintf(sets[id], sizeof sets[id], "%s=%s", hp_info(id)->name, value);
    argv[argc++] = "--set";
    argv[argc++] = sets[id];
  }
  argv[argc] = NULL;
  struct audio_counts c = l->past, now;
  audio_counts(l->audio, &now);
  add_counts(&c, &now);
  char resume[160];
  snprintf(resume, sizeof resume, "%llu %llu %llu %llu %llu %.3f", c.xruns,
           c.overruns + worker_overruns(l->worker), c.underruns, c.dropped, c.repeated,
           now_s() - l->started_s);
  setenv(RESUME_ENV, resume, 1);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  fflush(NULL);
  if (len) execv("/proc/self/exe", argv);
  /* the dead stream cannot be closed: leave, and let the service manager restart us */
  fprintf(stderr, "hushd: cannot restart in place: %s\n", len ? strerror(errno) : "no argv");
  _exit(1);
}

/* Takes over what restart_in_place carried; returns 1 when this run is such a restart. */
static int resume(struct live *l) {
  const char *r = getenv(RESUME_ENV);
  double uptime_s = 0;
  if (!r || sscanf(r, "%llu %llu %llu %llu %llu %lf", &l->past.xruns, &l->past.overruns,
                   &l->past.underruns, &l->past.dropped, &l->past.repeated, &uptime_s) != 6)
    return 0;
  l->started_s -= uptime_s;
  unsetenv(RESUME_ENV);
  return 1;
}

static void close_stream(struct live *l) {
  if (l->audio) {
    struct audio_counts c;
    audio_counts(l->audio, &c);
    add_counts(&l->past, &c);
    audio_close(l->audio); /* first: the callback posts the worker's semaphore */
    l->audio = NULL;
  }
  if (l->worker) {
    l->past.overruns += worker_overruns(l->worker);
    worker_stop(l->worker);
    l->worker = NULL;
  }
  audio_done();
}

/* Opens and starts the streams and the worker. Returns 0, 2 for a bad device name given
 * by the user (only before the first successful start), or 1 to retry later. */
static int open_stream(struct live *l, const struct audio_config *cfg, int first,
                       struct audio_info *info) {
  char err[1024];
  int bad_name = 0, rt_refused = 0;
  if (audio_init("hushd", err, sizeof err)) goto fail;
  ring_reset(l->in);
  ring_reset(l->out);
  while (sem_trywait(&l->wake) == 0) continue; /* stale wake-ups of the last stream */
  if (!(l->audio = audio_open(cfg, l->in, l->out, &l->wake, info, &bad_name, err, sizeof err)))
    goto fail;
  if (!(l->worker = worker_start(l->engine, l->in, l->out, &l->wake, RT_PRIORITY, &rt_refused,
                                 err, sizeof err)))
    goto fail;
  static int rt_told;
  if (rt_refused && !rt_told++)
    fprintf(stderr, "hushd: real-time priority for the DSP thread refused (%s); running "
                    "without it\n", strerror(rt_refused));
  if (audio_start(l->audio, err, sizeof err)) goto fail;
  l->last_error[0] = 0;
  l->hushd_latency_frames = info->prefill_frames + engine_hop_latency_frames(l->engine);
  double rate = l->s->rate_hz;
  fprintf(stderr,
          "hushd: %s \"%s\" -> \"%s\" (%s), %d Hz, %d channel%s, %d frames per callback\n"
          "hushd: latency %.1f ms: %zu frames in hushd (engine %zu + buffering %zu) + "
          "device %.1f ms\n",
          info->duplex ? "duplex" : "two devices:", info->input_name, info->output_name,
          info->host_api, cfg->rate_hz, cfg->channels, cfg->channels > 1 ? "s" : "",
          cfg->frames, 1000.0 * l->hushd_latency_frames / rate + info->device_latency_ms,
          l->hushd_latency_frames, engine_hop_latency_frames(l->engine),
          info->prefill_frames, info->device_latency_ms);
  return 0;
fail:
  close_stream(l);
  if (bad_name && first) {
    fprintf(stderr, "hushd: %s\n", err);
    return 2;
  }
  if (strcmp(err, l->last_error)) fprintf(stderr, "hushd: %s; retrying\n", err);
  snprintf(l->last_error, sizeof l->last_error, "%s", err);
  return 1;
}

int live_run(const struct settings *s) {
  char err[1024];
  if (s->list_devices) {
    if (audio_init("hushd", err, sizeof err)) {
      fprintf(stderr, "hushd: %s\n", err);
      return 1;
    }
    audio_list_devices(stdout);
    audio_done();
    return 0;
  }

  struct live l = {.s = s};
  pthread_mutex_init(&l.lock, NULL);
  l.started_s = now_s();
  int first = !resume(&l);
  if (!(l.engine = engine_create(&s->params, s->rate_hz, s->channels, 0, err, sizeof err))) {
    fprintf(stderr, "hushd: %s\n", err);
    return 2;
  }
  struct audio_config cfg = {.input_device = s->input_device,
                             .output_device = s->output_device, .rate_hz = s->rate_hz,
                             .channels = s->channels, .frames = s->frames,
                             .hop_frames = engine_hop_size(l.engine)};
  size_t ring_frames = audio_ring_frames(&cfg);
  l.in = ring_create(ring_frames, s->channels);
  l.out = ring_create(ring_frames, s->channels);
  sem_init(&l.wake, 0, 0);
  int rc = 1;
  if (!l.in || !l.out) {
    fprintf(stderr, "hushd: out of memory\n");
    goto done;
  }
  /* The control surfaces' view of this run; it stays valid until live_run returns. */
  struct control ctl = {.engine = l.engine, .status = get_status, .status_ctx = &l};

  /* Lock pages as they are touched (MCL_ONFAULT): no page faults on the audio path
   * later, without pulling every mapping (JACK's shared memory, thread stacks) in. */
  if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT))
    fprintf(stderr, "hushd: cannot lock memory (%s); running without it\n", strerror(errno));

  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigset_t stop_signals; /* blocked when we were restarted in place: take them now */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);

  struct status_out so;
  status_init(&so, stderr);
  long backoff_ms = BACKOFF_MIN_MS;
  while (!stop_signal) {
    struct audio_info info;
    int r = open_stream(&l, &cfg, first, &info);
    if (r == 2) {
      rc = 2;
      goto done;
    }
    if (r == 0) {
      first = 0;
      backoff_ms = BACKOFF_MIN_MS;
      if (run_stream(&l, &info, &so)) break;
      restart_in_place(&l);
    }
    for (long waited = 0; waited < backoff_ms && !stop_signal; waited += TICK_MS)
      sleep_ms(TICK_MS);
    backoff_ms = backoff_ms * 2 < BACKOFF_MAX_MS ? backoff_ms * 2 : BACKOFF_MAX_MS;
  }
  if (l.audio) close_stream(&l);
  update_status(&l, 0);
  struct hushd_status st;
  ctl.status(ctl.status_ctx, &st);
  status_break(&so);
  fprintf(stderr, "hushd: stopped by %s after %.1f s; xruns %llu, overruns %llu, underruns "
                  "%llu, frames dropped %llu, repeated %llu\n",
          stop_signal == SIGINT ? "SIGINT" : "SIGTERM", st.uptime_s, st.xruns, st.overruns,
          st.underruns, l.past.dropped, l.past.repeated);
  rc = 0;
done:
  ring_destroy(l.in);
  ring_destroy(l.out);
  sem_destroy(&l.wake);
  engine_destroy(l.engine);
  pthread_mutex_destroy(&l.lock);
  return rc;
}
