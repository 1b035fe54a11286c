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
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "clock.h"
#include "control.h"
#include "engine.h"
#include "log.h"
#include "memlock.h"
#include "notify.h"
#include "osc.h"
#include "profile.h"
#include "ring.h"
#include "status.h"
#include "wisdom.h"
#include "worker.h"

#define TICK_MS 50            /* main loop period: signal response and stall checks */
#define STALL_S 2.0           /* no callback for this long: the device is gone */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 4000
#define RT_PRIORITY 40 /* real time, but below the audio callback threads: JACK clients run a
                          * few steps under the server (-P 70 gives about 65; default 95),
                          * PipeWire at 88; a worker above them would delay the callback */
#define RESUME_ENV "HUSHD_RESUME" /* set by restart_in_place for the new process: */
#define RESUME_PARAMS_ENV "HUSHD_RESUME_PARAMS" /* counts, and the live parameters */

static volatile sig_atomic_t stop_signal, reload_signal;

static void on_signal(int sig) {
  if (sig == SIGHUP) reload_signal = 1;
  else stop_signal = sig;
}

struct live {
  const struct settings *s;
  struct runconfig *run;
  struct engine *engine;
  struct ring *in, *out;
  sem_t wake;
  struct audio *audio;
  struct worker *worker;
  struct audio_counts past; /* counts of the streams opened before this one */
  size_t hushd_latency_frames;
  double started_s;
  char last_error[1024]; /* said once while it repeats */
  struct osc *osc;       /* NULL with --no-osc */
  struct notify *notify; /* systemd; does nothing outside a service */
  unsigned long long attempts; /* opens tried: the watchdog's progress while waiting */
  /* the latest status, for control surfaces on other threads */
  pthread_mutex_t lock;
  struct hushd_status status;
  double callback_load;
};

static void sleep_ms(long ms) {
  log_flush(); /* what libjack and ALSA said on their threads */
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
      .underruns = c.underruns, .bad_samples = engine_bad_samples(l->engine),
      .uptime_s = now_s() - l->started_s};
  double cb = l->audio ? audio_cpu_load(l->audio) : 0;
  pthread_mutex_lock(&l->lock);
  l->status = st;
  l->callback_load = cb;
  pthread_mutex_unlock(&l->lock);
}

/* SIGHUP: re-reads the configuration. Returns 1 when the stream must be reopened. */
static int reload(struct live *l) {
  char what[512], err[1024];
  reload_signal = 0;
  notify_reloading(l->notify);
  int r = runconfig_reload(l->run, what, sizeof what, err, sizeof err);
  if (r < 0)
    log_error("reload: %s; keeping the settings", err);
  else
    log_notice("reloaded %s: %s%s", runconfig_path(l->run), what,
               r ? "; restarting the audio stream" : "");
  /* a new stream says READY=1 itself once its audio flows */
  if (r <= 0) notify_ready(l->notify);
  return r > 0;
}

enum stream_end { STREAM_LOST, STREAM_STOP, STREAM_RELOAD };

/* Runs one opened stream until a signal, until it is lost, or until a reload needs a
 * new stream. */
static enum stream_end run_stream(struct live *l, const struct audio_info *info,
                                  struct status_out *so) {
  double last_update = 0, last_progress = now_s();
  unsigned long long callbacks = 0;
  int size_told = 0, ready_told = 0;
  struct engine_meters start;
  engine_meters(l->engine, &start);
  const unsigned long long hops_at_start = start.hops;
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
      log_warning("lost the audio device (%s); restarting to reopen it", why);
      return STREAM_LOST;
    }
    if (reload_signal && reload(l)) return STREAM_RELOAD;
    unsigned long cf = audio_callback_frames(l->audio);
    if (cf && cf != (unsigned long)l->s->frames && !size_told++) {
      status_break(so);
      log_warning("the device calls back with %lu frames, not --frames %d: the latency "
                  "stated is off and underruns are likely; use --frames %lu",
                  cf, l->s->frames, cf);
    }
    struct engine_meters m;
    engine_meters(l->engine, &m);
    if (m.hops > hops_at_start && !ready_told++) notify_ready(l->notify); /* audio flows */
    notify_watchdog(l->notify, m.hops, t); /* only while the worker makes progress */
    if (t - last_update >= 1.0) {
      last_update = t;
      update_status(l, info->device_latency_ms);
      struct hushd_status st;
      get_status(l, &st);
      char line[160];
      snprintf(line, sizeof line, "latency %.1f ms, xruns %llu, overruns %llu, underruns %llu",
               st.latency_ms, st.xruns, st.overruns, st.underruns);
      notify_status(l->notify, line);
      if (!l->s->quiet) status_show(so, &st, l->callback_load, t);
    }
  }
  return STREAM_STOP;
}

/* PortAudio 19.6 cannot let go of a stream whose JACK server died: closing it waits ten
 * minutes for the dead server and Pa_Terminate then asserts, and without Pa_Terminate it
 * cannot find the server again. So after a loss hushd starts itself again in place: the
 * same arguments, with the counts and uptime in RESUME_ENV and the live parameters as
 * they are now in RESUME_PARAMS_ENV (they win over the file, as OSC changes do until a
 * reload), so the new process reports totals, keeps its settings, and waits for the
 * device instead of failing on a device name that is missing for now. SIGINT/SIGTERM
 * stay blocked across exec and are taken by the new process's handlers. Also used when
 * a reload changed what needs a new stream and engine (after closing the stream).
 * Does not return. */
static _Noreturn void restart_in_place(struct live *l) {
  static char cmdline[65536], params[HP_COUNT * 64];
  char *argv[1024];
  int argc = 0, fd = open("/proc/self/cmdline", O_RDONLY);
  ssize_t len = fd < 0 ? -1 : read(fd, cmdline, sizeof cmdline - 1);
  if (fd >= 0) close(fd);
  if (len <= 0 || (size_t)len == sizeof cmdline - 1) len = 0;
  for (char *p = cmdline; p < cmdline + len && argc < 1023; p += strlen(p) + 1)
    argv[argc++] = p;
  argv[argc] = NULL;
  size_t used = 0;
  for (int id = 0; id < HP_COUNT && used < sizeof params; id++) {
    if (!hp_info(id)->live) continue;
    char value[48];
    hp_format(id, engine_get_param(l->engine, id), value, sizeof value);
    used += (size_t)snprintf(params + used, sizeof params - used, "%s%s=%s", used ? " " : "",
                             hp_info(id)->name, value);
  }
  struct audio_counts c = l->past, now;
  if (l->audio) {
    audio_counts(l->audio, &now);
    add_counts(&c, &now);
    c.overruns += worker_overruns(l->worker);
  }
  char resume[160];
  snprintf(resume, sizeof resume, "%llu %llu %llu %llu %llu %.3f", c.xruns, c.overruns,
           c.underruns, c.dropped, c.repeated, now_s() - l->started_s);
  setenv(RESUME_ENV, resume, 1);
  setenv(RESUME_PARAMS_ENV, params, 1);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP); /* its default action would end the new process */
  sigprocmask(SIG_BLOCK, &block, NULL);
  osc_destroy(l->osc); /* its socket must be free for the new process */
  fflush(NULL);
  if (len) execv("/proc/self/exe", argv);
  /* the dead stream cannot be closed: leave, and let the service manager restart us */
  log_error("cannot restart in place: %s", len ? strerror(errno) : "no argv");
  _exit(1);
}

/* Takes over the counts restart_in_place carried; returns 1 when this run is such a
 * restart. */
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

/* Sets the live parameters restart_in_place carried on the new engine. */
static void resume_params(struct engine *e) {
  const char *r = getenv(RESUME_PARAMS_ENV);
  char name[64], text[48], err[256];
  for (int n = 0; r && sscanf(r, " %63[^=]=%47s%n", name, text, &n) == 2; r += n) {
    float v;
    int id = hp_find(name);
    if (id < 0 || hp_parse(id, text, &v, err, sizeof err) ||
        engine_set_param(e, id, v, err, sizeof err))
      log_warning("restart: %s=%s not kept: %s", name, text, id < 0 ? "unknown" : err);
  }
  unsetenv(RESUME_PARAMS_ENV);
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
    log_warning("real-time priority for the DSP thread refused (%s); running without it",
                strerror(rt_refused));
  if (audio_start(l->audio, err, sizeof err)) goto fail;
  l->last_error[0] = 0;
  l->hushd_latency_frames = info->prefill_frames + engine_hop_latency_frames(l->engine);
  double rate = l->s->rate_hz;
  log_notice("%s \"%s\" -> \"%s\" (%s), %d Hz, %d channel%s, %d frames per callback",
             info->duplex ? "duplex" : "two devices:", info->input_name, info->output_name,
             info->host_api, cfg->rate_hz, cfg->channels, cfg->channels > 1 ? "s" : "",
             cfg->frames);
  log_notice("latency %.1f ms: %zu frames in hushd (engine %zu + buffering %zu) + device "
             "%.1f ms; fft %d, hop %d",
             1000.0 * l->hushd_latency_frames / rate + info->device_latency_ms,
             l->hushd_latency_frames, engine_hop_latency_frames(l->engine),
             info->prefill_frames, info->device_latency_ms, engine_fft_size(l->engine),
             engine_hop_size(l->engine));
  memlock_audio_path(l->worker); /* the audio path is allocated: keep it in RAM */
  return 0;
fail:
  close_stream(l);
  if (bad_name && first) {
    log_error("%s", err);
    return 2;
  }
  if (strcmp(err, l->last_error)) log_warning("%s; retrying", err);
  snprintf(l->last_error, sizeof l->last_error, "%s", err);
  return 1;
}

/* The folder for named noise profiles: systemd's StateDirectory=, else the XDG one. */
static const char *state_dir(char *buf, size_t len) {
  const char *sd = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  if (sd && *sd) snprintf(buf, len, "%.*s", (int)strcspn(sd, ":"), sd); /* first of a list */
  else if (xdg && *xdg) snprintf(buf, len, "%s/hushd", xdg);
  else if (home && *home) snprintf(buf, len, "%s/.local/state/hushd", home);
  else return NULL;
  return buf;
}

/* [noise] profile (or --profile) is a path, or the name of a profile in the state folder
 * (NAME.profile, as OSC's /hushd/profile/save writes them); [noise] learn_s learns the
 * noise from the first seconds. */
static int start_noise_model(const struct settings *s, struct engine *e, const char *state,
                             char *err, size_t errlen) {
  if (s->learn_s > 0) engine_learn(e, s->learn_s);
  if (!s->profile) return 0;
  char named[1100];
  const char *path = s->profile;
  if (!strchr(path, '/') && access(path, F_OK) && state) {
    snprintf(named, sizeof named, "%s/%s.profile", state, path);
    path = named;
  }
  return profile_load_file(e, path, err, errlen);
}

int live_run(struct settings *s, struct runconfig *run) {
  char err[1024];
  log_init(s->verbose, s->quiet);
  if (s->list_devices) {
    if (audio_init("hushd", err, sizeof err)) {
      log_error("%s", err);
      return 1;
    }
    audio_list_devices(stdout);
    audio_done();
    return 0;
  }

  struct live l = {.s = s, .run = run};
  pthread_mutex_init(&l.lock, NULL);
  l.started_s = now_s();
  int first = !resume(&l);
  enum engine_plan plan;
  if (wisdom_load(s->wisdom, &plan, err, sizeof err) ||
      !(l.engine = engine_create(&s->params, s->rate_hz, s->channels, plan, err, sizeof err))) {
    log_error("%s", err);
    return 2;
  }
  if (s->wisdom && wisdom_save(s->wisdom, err, sizeof err))
    log_warning("%s; running with the plans made now", err);
  char state[1024];
  const char *state_path = state_dir(state, sizeof state);
  if (start_noise_model(s, l.engine, state_path, err, sizeof err)) {
    log_error("%s", err);
    engine_destroy(l.engine);
    return 2;
  }
  if (!first) resume_params(l.engine);
  struct audio_config cfg = {.input_device = s->input_device,
                             .output_device = s->output_device, .rate_hz = s->rate_hz,
                             .channels = s->channels, .frames = s->frames,
                             .hop_frames = engine_hop_size(l.engine)};
  size_t ring_frames = audio_ring_frames(&cfg);
  l.in = ring_create(ring_frames, s->channels);
  l.out = ring_create(ring_frames, s->channels);
  sem_init(&l.wake, 0, 0);
  int rc = 1;
  l.notify = notify_create();
  if (!l.in || !l.out || !l.notify) {
    log_error("out of memory");
    goto done;
  }
  /* The control surfaces' view of this run; it stays valid until live_run returns. */
  struct control ctl = {.engine = l.engine, .status = get_status, .status_ctx = &l,
                        .state_dir = state_path,
                        .save_config = runconfig_save, .config_ctx = run};
  runconfig_attach(run, l.engine);

  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigset_t stop_signals; /* blocked when we were restarted in place: take them now */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);

  if (s->osc_enabled) {
    if (!(l.osc = osc_create(s->osc_bind, s->osc_port, s->osc_allow, &ctl, err, sizeof err))) {
      log_error("%s", err);
      rc = 2;
      goto done;
    }
    log_notice("OSC control on %s:%d", s->osc_bind, osc_port(l.osc));
  }

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
      enum stream_end end = run_stream(&l, &info, &so);
      if (end == STREAM_STOP) break;
      if (end == STREAM_RELOAD) close_stream(&l); /* alive: close it properly */
      restart_in_place(&l);
    }
    notify_status(l.notify, "waiting for the audio device");
    l.attempts++;
    for (long waited = 0; waited < backoff_ms && !stop_signal; waited += TICK_MS) {
      notify_watchdog(l.notify, l.attempts, now_s()); /* alive while waiting */
      sleep_ms(TICK_MS);
    }
    backoff_ms = backoff_ms * 2 < BACKOFF_MAX_MS ? backoff_ms * 2 : BACKOFF_MAX_MS;
  }
  notify_stopping(l.notify);
  if (l.audio) close_stream(&l);
  runconfig_attach(run, NULL);
  update_status(&l, 0);
  struct hushd_status st;
  ctl.status(ctl.status_ctx, &st);
  status_break(&so);
  log_notice("stopped by %s after %.1f s; xruns %llu, overruns %llu, underruns %llu, "
             "frames dropped %llu, repeated %llu, bad samples %llu",
             stop_signal == SIGINT ? "SIGINT" : "SIGTERM", st.uptime_s, st.xruns, st.overruns,
             st.underruns, l.past.dropped, l.past.repeated, st.bad_samples);
  rc = 0;
done:
  osc_destroy(l.osc);
  notify_destroy(l.notify);
  ring_destroy(l.in);
  ring_destroy(l.out);
  sem_destroy(&l.wake);
  engine_destroy(l.engine);
  pthread_mutex_destroy(&l.lock);
  return rc;
}
