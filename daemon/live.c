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
#include "lifecycle.h"
#include "state.h"
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
#define CLOSE_DEADLINE_MS 500 /* closing a stream takes milliseconds; a dying JACK server 5 s */
#define RESUME_ENV "HUSHD_RESUME" /* set by restart_in_place for the new process: */
#define RESUME_PARAMS_ENV "HUSHD_RESUME_PARAMS" /* counts, and the live parameters */

enum live_state { LIVE_OPENING, LIVE_RUNNING, LIVE_WAITING, LIVE_RESTARTING, LIVE_STOPPING,
                  LIVE_DONE };

#define MODEL_SAVE_S 60.0    /* the remembered noise model is written this often; */
#define MODEL_SAVE_ENV "HUSHD_TEST_MODEL_SAVE_S" /* a test makes it shorter */
#define MODEL_SAVE_WAIT_MS 200 /* at most this long for the audio thread's next hop */

struct live {
  const struct settings *s;
  struct runconfig *run;
  struct engine *engine;
  struct ring *in, *out;
  sem_t wake;
  struct audio *audio;
  struct worker *worker;
  struct audio_counts past; /* counts of the streams opened before this one */
  unsigned long long past_bad; /* bad input samples before the last restart in place */
  size_t hushd_latency_frames;
  double started_s;
  char last_error[1024]; /* said once while it repeats */
  struct osc *osc;       /* NULL with --no-osc */
  struct notify *notify; /* systemd; does nothing outside a service */
  unsigned long long attempts; /* opens tried: the watchdog's progress while waiting */
  /* the lifecycle */
  enum live_state state;
  int rc;              /* exit status once LIVE_DONE */
  int first;           /* not a restart in place (a bad device name is fatal at a terminal) */
  int stop_signo;      /* what ended the run */
  int stream_dead;     /* lost: its stream must not be closed (see restart_in_place) */
  long backoff_ms;
  struct audio_config cfg;
  struct audio_info info;
  struct status_out so;
  /* the remembered noise model */
  const char *model_path; /* NULL: no state folder */
  int model_known;        /* loaded at start, or the engine has processed audio */
  int model_carried;      /* restarted in place with the model saved just before */
  double model_saved_s, model_save_s;
  /* the latest status, for control surfaces on other threads */
  pthread_mutex_t lock;
  struct hushd_status status;
  double callback_load;
};

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
      .underruns = c.underruns, .bad_samples = l->past_bad + engine_bad_samples(l->engine),
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

static void stop_worker(struct live *l) {
  if (!l->worker) return;
  l->past.overruns += worker_overruns(l->worker);
  worker_stop(l->worker);
  l->worker = NULL;
}

/* Lets go of the stream after the worker stopped: closes it, or leaves a dead one (its
 * server died: PortAudio can neither close it nor terminate, see restart_in_place; the
 * exec or the exit leaves the rest). A server that dies while the stream closes makes
 * PortAudio assert, one that shuts down makes libjack wait 5 s; then the process ends
 * with if_abort (a line) and abort_status instead of a core dump or the wait. */
static void release_stream(struct live *l, const char *if_abort, int abort_status) {
  if (l->audio) {
    struct audio_counts c;
    audio_counts(l->audio, &c);
    add_counts(&l->past, &c);
  }
  if (!l->stream_dead) {
    lifecycle_guard(if_abort, abort_status, CLOSE_DEADLINE_MS);
    audio_close(l->audio);
    audio_done();
    lifecycle_guard(NULL, 0, 0);
  }
  l->audio = NULL;
}

#define ABORT_LINE "the audio server went away or hung while hushd closed its stream"
#define ABORT_OPEN_LINE "the audio server went away while hushd opened its stream; exiting " \
                        "with status 1"

/* A failed open, or a reload that needs a new stream: the process goes on, or restarts
 * itself in place; a server that dies meanwhile ends it with status 1 (the service
 * manager starts it again). */
static void close_stream(struct live *l) {
  stop_worker(l);
  release_stream(l, ABORT_LINE "; exiting with status 1", 1);
}

/* Writes the noise model to the state folder while the audio thread runs it; a failure
 * is told and the next save tries again. */
static void save_model_live(struct live *l, double t) {
  char err[1024];
  l->model_saved_s = t;
  if (l->model_path && state_save_live(l->engine, l->s->channels, l->model_path,
                                       MODEL_SAVE_WAIT_MS, err, sizeof err))
    log_warning("noise model not remembered: %s", err);
}

/* The model, once no thread processes the engine (before a restart and at the end);
 * an engine that never ran nor loaded a model has nothing to remember. Returns 1 when
 * the file now holds this engine's model. */
static int save_model_idle(struct live *l) {
  char err[1024];
  struct engine_meters m;
  engine_meters(l->engine, &m);
  l->model_known |= m.hops > 0;
  if (!l->model_path || !l->model_known) return 0;
  if (state_save_idle(l->engine, l->s->channels, l->model_path, err, sizeof err) == 0)
    return 1;
  log_warning("noise model not remembered: %s", err);
  return 0;
}

/* LIVE_RUNNING: one opened stream, until a signal, until it is lost, or until a reload
 * needs a new stream and engine. */
static enum live_state running(struct live *l) {
  double last_update = 0, last_progress = now_s();
  unsigned long long callbacks = 0;
  int size_told = 0;
  l->model_saved_s = now_s();
  update_status(l, l->info.device_latency_ms);
  for (;;) {
    enum lc_event ev = lifecycle_wait(TICK_MS, &l->stop_signo);
    if (ev == LC_STOP) return LIVE_STOPPING;
    /* applied first, also when the stream turns out lost below: the engine lives on */
    int reopen = ev == LC_RELOAD && reload(l);
    double t = now_s();
    unsigned long long n = audio_callbacks(l->audio);
    if (n != callbacks) {
      callbacks = n;
      last_progress = t;
    }
    const char *why = !audio_alive(l->audio) ? "the stream stopped"
                      : t - last_progress > STALL_S ? "no audio callback for 2 s" : NULL;
    if (why) {
      status_break(&l->so);
      log_warning("lost the audio device (%s); restarting to reopen it", why);
      l->stream_dead = 1;
      return LIVE_RESTARTING;
    }
    if (reopen) {
      close_stream(l); /* alive: close it properly */
      return LIVE_RESTARTING;
    }
    unsigned long cf = audio_callback_frames(l->audio);
    if (cf && cf != (unsigned long)l->s->frames && !size_told++) {
      status_break(&l->so);
      log_warning("the device calls back with %lu frames, not --frames %d: the latency "
                  "stated is off and underruns are likely; use --frames %lu",
                  cf, l->s->frames, cf);
    }
    struct engine_meters m;
    engine_meters(l->engine, &m);
    notify_watchdog(l->notify, m.hops, t); /* only while the worker makes progress */
    if (t - l->model_saved_s >= l->model_save_s) save_model_live(l, t);
    if (t - last_update >= 1.0) {
      last_update = t;
      update_status(l, l->info.device_latency_ms);
      struct hushd_status st;
      get_status(l, &st);
      char line[160];
      snprintf(line, sizeof line, "latency %.1f ms, xruns %llu, overruns %llu, "
               "underruns %llu", st.latency_ms, st.xruns, st.overruns, st.underruns);
      notify_status(l->notify, line);
      if (!l->s->quiet) status_show(&l->so, &st, l->callback_load, t);
    }
  }
}

/* PortAudio 19.6 cannot let go of a stream whose JACK server died: closing it waits ten
 * minutes for the dead server and Pa_Terminate then asserts, and without Pa_Terminate it
 * cannot find the server again. So after a loss hushd starts itself again in place: the
 * same arguments, with the counts and uptime in RESUME_ENV and the live parameters as
 * they are now in RESUME_PARAMS_ENV (they win over the file, as OSC changes do until a
 * reload), so the new process reports totals, keeps its settings, and waits for the
 * device instead of failing on a device name that is missing for now. The signals are
 * blocked (lifecycle.h): one that comes meanwhile stays pending across exec and the new
 * process takes it. Also used when a reload changed what needs a new stream and engine
 * (after closing the stream). Does not return. */
static _Noreturn void restart_in_place(struct live *l, int model_saved) {
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
  char resume[256];
  snprintf(resume, sizeof resume, "%llu %llu %llu %llu %llu %.3f %d %llu", c.xruns,
           c.overruns, c.underruns, c.dropped, c.repeated, now_s() - l->started_s, model_saved,
           l->past_bad + engine_bad_samples(l->engine));
  setenv(RESUME_ENV, resume, 1);
  setenv(RESUME_PARAMS_ENV, params, 1);
  osc_destroy(l->osc); /* its socket must be free for the new process */
  log_flush();
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
  if (!r || sscanf(r, "%llu %llu %llu %llu %llu %lf %d %llu", &l->past.xruns,
                   &l->past.overruns, &l->past.underruns, &l->past.dropped, &l->past.repeated,
                   &uptime_s, &l->model_carried, &l->past_bad) != 8)
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

/* The remembered model comes first after a restart in place that saved it (it is the
 * model that was running, learned or loaded over OSC included) and at a start that names
 * no model of its own (--profile, --learn) unless --fresh ([noise] resume = 0); else the
 * start is start_noise_model's. */
static int load_noise_model(struct live *l, const char *state, char *err, size_t errlen) {
  const struct settings *s = l->s;
  int wanted = l->first ? s->resume && !s->profile && s->learn_s <= 0 : l->model_carried;
  if (wanted && l->model_path) {
    char why[1024];
    if (state_model_load(l->engine, s->channels, l->model_path, why, sizeof why) == 0) {
      log_notice("noise model resumed from %s", l->model_path);
      l->model_known = 1;
      return 0;
    }
    if (access(l->model_path, F_OK) == 0) log_notice("noise model not resumed: %s", why);
  }
  if (!l->first) return 0; /* the settings' model was applied when this run began */
  l->model_known = s->profile != NULL;
  return start_noise_model(s, l->engine, state, err, errlen);
}

/* LIVE_OPENING. A device name that matches nothing ends the first start at a terminal
 * (a typo); under a service manager the device may just not be there yet (a USB
 * microphone, a sound server that starts later), so hushd waits for it, serving. */
static enum live_state opening(struct live *l) {
  /* a stop that came while the engine was planned, or during the backoff's last tick */
  if (lifecycle_stop_pending(&l->stop_signo) == LC_STOP) return LIVE_STOPPING;
  /* PortAudio asserts when the JACK server goes away while it connects (PaJack_Initialize),
   * libjack may block for seconds then; the engine has not run in this process yet (no
   * state goes from RUNNING back to OPENING), so there is nothing to save first */
  lifecycle_guard_open(ABORT_OPEN_LINE, 1);
  int r = open_stream(l, &l->cfg, l->first && !notify_managed(l->notify), &l->info);
  lifecycle_guard_open(NULL, 0);
  if (r == 2) {
    l->rc = 2;
    return LIVE_DONE;
  }
  if (r) return LIVE_WAITING;
  l->first = 0;
  l->backoff_ms = BACKOFF_MIN_MS;
  return LIVE_RUNNING;
}

/* LIVE_WAITING: the device is missing; OSC goes on serving, a reload is applied. */
static enum live_state waiting(struct live *l) {
  char line[1200];
  snprintf(line, sizeof line, "serving OSC, waiting for the audio device (input \"%s\", "
           "output \"%s\"): %.300s", l->cfg.input_device ? l->cfg.input_device : "default",
           l->cfg.output_device ? l->cfg.output_device : "default", l->last_error);
  update_status(l, 0);
  notify_status(l->notify, line);
  l->attempts++;
  for (long waited = 0; waited < l->backoff_ms; waited += TICK_MS) {
    notify_watchdog(l->notify, l->attempts, now_s()); /* alive while waiting */
    enum lc_event ev = lifecycle_wait(TICK_MS, &l->stop_signo);
    if (ev == LC_STOP) return LIVE_STOPPING;
    if (ev == LC_RELOAD && reload(l)) return LIVE_RESTARTING;
  }
  l->backoff_ms = l->backoff_ms * 2 < BACKOFF_MAX_MS ? l->backoff_ms * 2 : BACKOFF_MAX_MS;
  return LIVE_OPENING;
}

/* LIVE_RESTARTING: the stream is closed, or dead. */
static enum live_state restarting(struct live *l) {
  stop_worker(l);
  int saved = save_model_idle(l);
  if (l->stream_dead) release_stream(l, NULL, 0);
  /* a stop that came meanwhile ends the run here rather than after a restart */
  if (lifecycle_stop_pending(&l->stop_signo) == LC_STOP) return LIVE_STOPPING;
  restart_in_place(l, saved);
}

/* LIVE_STOPPING: the model is saved before the stream closes, so that a server dying
 * meanwhile loses nothing; the stop was asked for, so that still ends with status 0. */
static enum live_state stopping(struct live *l) {
  notify_stopping(l->notify);
  stop_worker(l);
  save_model_idle(l);
  if (l->audio && !audio_alive(l->audio)) l->stream_dead = 1; /* its server just went */
  if (l->stream_dead && l->audio) log_notice("the audio server is gone: leaving its stream");
  release_stream(l, ABORT_LINE "; stopped without closing it", 0);
  runconfig_attach(l->run, NULL);
  update_status(l, 0);
  struct hushd_status st;
  get_status(l, &st);
  status_break(&l->so);
  log_notice("stopped by %s after %.1f s; xruns %llu, overruns %llu, underruns %llu, "
             "frames dropped %llu, repeated %llu, bad samples %llu",
             l->stop_signo == SIGINT ? "SIGINT" : "SIGTERM", st.uptime_s, st.xruns,
             st.overruns, st.underruns, l->past.dropped, l->past.repeated, st.bad_samples);
  l->rc = 0;
  return LIVE_DONE;
}

/* The lifecycle: starting (live_run up to here), then
 *   OPENING -> RUNNING | WAITING | STOPPING | DONE (a bad device name at a first start
 *              at a terminal)
 *   RUNNING -> STOPPING | RESTARTING (device lost, or a reload that needs a new engine)
 *   WAITING -> OPENING | STOPPING | RESTARTING (a reload that needs a new engine)
 *   RESTARTING -> (exec: starting again) | STOPPING (a stop came meanwhile)
 *   STOPPING -> DONE
 * Every wait is lifecycle_wait, so a stop is taken within TICK_MS of any state. */
static void run_lifecycle(struct live *l) {
  l->state = LIVE_OPENING;
  l->backoff_ms = BACKOFF_MIN_MS;
  while (l->state != LIVE_DONE) {
    switch (l->state) {
      case LIVE_OPENING: l->state = opening(l); break;
      case LIVE_RUNNING: l->state = running(l); break;
      case LIVE_WAITING: l->state = waiting(l); break;
      case LIVE_RESTARTING: l->state = restarting(l); break;
      case LIVE_STOPPING: l->state = stopping(l); break;
      case LIVE_DONE: break;
    }
  }
}

int live_run(struct settings *s, struct runconfig *run) {
  char err[1024];
  /* before any thread exists (PortAudio's, JACK's, OSC's): they inherit the mask */
  lifecycle_block();
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

  struct live l = {.s = s, .run = run, .rc = 1, .stop_signo = SIGTERM};
  pthread_mutex_init(&l.lock, NULL);
  l.started_s = now_s();
  l.first = !resume(&l);
  const char *every = getenv(MODEL_SAVE_ENV);
  l.model_save_s = every && atof(every) > 0 ? atof(every) : MODEL_SAVE_S;
  /* a stop carried over a restart in place ends the run before the engine is planned */
  if (lifecycle_stop_pending(&l.stop_signo) == LC_STOP) {
    log_notice("stopped by %s while restarting", l.stop_signo == SIGINT ? "SIGINT" : "SIGTERM");
    pthread_mutex_destroy(&l.lock);
    return 0;
  }
  enum engine_plan plan;
  if (wisdom_load(s->wisdom, &plan, err, sizeof err) ||
      !(l.engine = engine_create(&s->params, s->rate_hz, s->channels, plan, err, sizeof err))) {
    log_error("%s", err);
    return 2;
  }
  if (s->wisdom && wisdom_save(s->wisdom, err, sizeof err))
    log_warning("%s; running with the plans made now", err);
  char state[1024], model[1100];
  const char *state_path = state_dir(state, sizeof state);
  l.model_path = state_model_path(state_path, model, sizeof model);
  if (load_noise_model(&l, state_path, err, sizeof err)) {
    log_error("%s", err);
    engine_destroy(l.engine);
    return 2;
  }
  if (!l.first) resume_params(l.engine);
  l.cfg = (struct audio_config){.input_device = s->input_device,
                                .output_device = s->output_device, .rate_hz = s->rate_hz,
                                .channels = s->channels, .frames = s->frames,
                                .hop_frames = engine_hop_size(l.engine)};
  size_t ring_frames = audio_ring_frames(&l.cfg);
  l.in = ring_create(ring_frames, s->channels);
  l.out = ring_create(ring_frames, s->channels);
  sem_init(&l.wake, 0, 0);
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


  if (s->osc_enabled) {
    if (!(l.osc = osc_create(s->osc_bind, s->osc_port, s->osc_allow, &ctl, err, sizeof err))) {
      log_error("%s", err);
      l.rc = 2;
      goto done;
    }
    log_notice("OSC control on %s:%d", s->osc_bind, osc_port(l.osc));
  }
  /* Ready means serving: a device that is not there yet must not hold the service in
   * "activating" until systemd's start timeout kills it. STATUS= says what it waits for.
   * After a restart in place this also ends the RELOADING=1 of the reload behind it. */
  update_status(&l, 0); /* what OSC's status tells until the stream runs */
  notify_status(l.notify, "serving OSC, opening the audio device");
  notify_ready(l.notify);

  status_init(&l.so, stderr);
  run_lifecycle(&l);
done:
  osc_destroy(l.osc);
  notify_destroy(l.notify);
  ring_destroy(l.in);
  ring_destroy(l.out);
  sem_destroy(&l.wake);
  engine_destroy(l.engine);
  pthread_mutex_destroy(&l.lock);
  return l.rc;
}
