/* osc_hushd: the /hushd namespace (see osc_hushd.h). */
#include "osc_hushd.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"
#include "osc.h"
#include "osc_args.h"
#include "osc_jobs.h"
#include "osc_meters.h"
#include "params.h"

#define MAX_LEARNERS 16
#define DEFAULT_LEASE_S 60.0
#define MIN_INTERVAL_S 0.01 /* accepted; osc_meters grants 0.05 s at the fastest */
#define MAX_INTERVAL_S 60.0
#define MAX_LEASE_S 3600.0  /* accepted; osc_meters grants 600 s at the longest */
#define MIN_LEARN_S 0.05
#define MAX_LEARN_S 600.0
#define LEARN_POLL_MS 20    /* how often a pending learn is checked for its end */

struct osc_hushd {
  struct osc *srv;
  struct control *ctl;
  struct osc_meters meters;
  /* parameters set since the last serve, and who set each last (answered already):
   * subscribers are told once per burst of datagrams, not once per message */
  unsigned char changed[HP_COUNT];
  struct osc_peer changed_by[HP_COUNT];
  struct osc_peer learners[MAX_LEARNERS]; /* told /hushd/profile/learned when learning ends */
  int nlearners;
  struct osc_jobs *jobs;
};

typedef void handler(struct osc_hushd *h, const struct osc_req *q, const char *rest);

/* ---- parameters ---- */

static void reply_value(const struct osc_req *q, const char *path, float v) {
  lo_message m = lo_message_new();
  lo_message_add_float(m, v);
  req_reply(q, path, m);
}

/* Subscribers see every change, whoever made it, with the value in effect: one message
 * per parameter changed since the last call, however many messages set it. */
static void tell_subscribers(struct osc_hushd *h) {
  for (int id = 0; id < HP_COUNT; id++) {
    if (!h->changed[id]) continue;
    h->changed[id] = 0;
    char path[64];
    snprintf(path, sizeof path, "/hushd/param/%s", hp_info(id)->name);
    float v = engine_get_param(h->ctl->engine, id);
    for (int i = 0; i < h->meters.n; i++) {
      struct osc_req to = {.srv = h->srv, .from = &h->meters.subs[i].to};
      if (!osc_same_peer(to.from, &h->changed_by[id])) reply_value(&to, path, v);
    }
  }
}

/* The same path queries (no argument) and sets (one value). A string goes through the
 * table's parser, so "on"/"off" work from text-only senders. */
static void param_access(struct osc_hushd *h, const struct osc_req *q, int id) {
  if (check_argc(q, 0, 1)) return;
  if (req_argc(q) == 1) {
    char err[256];
    double v;
    float fv;
    if (req_type(q, 0) == LO_STRING) {
      if (hp_parse(id, req_string(q, 0), &fv, err, sizeof err)) {
        req_error(q, "%s", err);
        return;
      }
      v = fv;
    } else if (arg_number(q, 0, &v)) {
      return;
    }
    if (hp_check(id, v, err, sizeof err) ||
        engine_set_param(h->ctl->engine, id, (float)v, err, sizeof err)) {
      req_error(q, "%s", err);
      return;
    }
    h->changed[id] = 1;
    h->changed_by[id] = *q->from;
  }
  reply_value(q, q->path, engine_get_param(h->ctl->engine, id));
}

static void on_param(struct osc_hushd *h, const struct osc_req *q, const char *name) {
  int id = hp_find(name);
  if (id < 0)
    req_error(q, "unknown parameter '%s'", name);
  else
    param_access(h, q, id);
}

/* /hushd/bypass and /hushd/profile/adapt: the parameter their last word names. */
static void on_alias(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  on_param(h, q, strrchr(q->path, '/') + 1);
}

static void on_params(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  if (check_argc(q, 0, 0)) return;
  lo_message r = lo_message_new();
  for (int id = 0; id < HP_COUNT; id++) {
    lo_message_add_string(r, hp_info(id)->name);
    lo_message_add_float(r, engine_get_param(h->ctl->engine, id));
  }
  req_reply(q, q->path, r);
}

static void on_info(struct osc_hushd *h, const struct osc_req *q, const char *name) {
  (void)h;
  if (check_argc(q, 0, 0)) return;
  int id = hp_find(name);
  if (id < 0) {
    req_error(q, "unknown parameter '%s'", name);
    return;
  }
  static const char *const types[] = {[HP_FLOAT] = "float", [HP_INT] = "int",
                                      [HP_BOOL] = "bool"};
  const struct hp_info *p = hp_info(id);
  lo_message r = lo_message_new();
  lo_message_add_string(r, types[p->type]);
  lo_message_add_float(r, (float)p->min);
  lo_message_add_float(r, (float)p->max);
  lo_message_add_float(r, (float)p->def);
  lo_message_add_string(r, p->unit);
  lo_message_add_string(r, p->help);
  lo_message_add_int32(r, p->live);
  req_reply(q, q->path, r);
}

/* ---- status and meters ---- */

static void get_status(struct osc_hushd *h, struct hushd_status *st) {
  memset(st, 0, sizeof *st);
  if (h->ctl->status) {
    h->ctl->status(h->ctl->status_ctx, st);
    return;
  }
  struct engine_meters em;
  engine_meters(h->ctl->engine, &em);
  st->in_db = em.in_db;
  st->out_db = em.out_db;
  st->reduction_db = em.reduction_db;
  st->noise_floor_db = em.noise_floor_db;
}

/* The four levels that lead both /hushd/status and /hushd/meters. */
static lo_message levels_message(struct osc_hushd *h, struct hushd_status *st) {
  get_status(h, st);
  lo_message r = lo_message_new();
  lo_message_add_float(r, st->in_db);
  lo_message_add_float(r, st->out_db);
  lo_message_add_float(r, st->reduction_db);
  lo_message_add_float(r, st->noise_floor_db);
  return r;
}

static int32_t clamp_count(unsigned long long n) { return n > INT32_MAX ? INT32_MAX : (int32_t)n; }

static void on_status(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  if (check_argc(q, 0, 0)) return;
  struct hushd_status st;
  lo_message r = levels_message(h, &st);
  lo_message_add_float(r, st.latency_ms);
  lo_message_add_float(r, st.cpu_load);
  lo_message_add_int32(r, clamp_count(st.xruns));
  lo_message_add_int32(r, clamp_count(st.overruns));
  lo_message_add_int32(r, clamp_count(st.underruns));
  lo_message_add_float(r, (float)st.uptime_s);
  lo_message_add_int32(r, clamp_count(osc_dropped(h->srv)));
  lo_message_add_int32(r, clamp_count(osc_refused(h->srv)));
  lo_message_add_int32(r, clamp_count(st.bad_samples));
  req_reply(q, q->path, r);
}

static void push_meters(void *ctx, const struct osc_peer *to) {
  struct osc_hushd *h = ctx;
  struct hushd_status st;
  osc_send(h->srv, to, "/hushd/meters", levels_message(h, &st));
}

static void on_subscribe(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  double interval, lease = DEFAULT_LEASE_S;
  if (check_argc(q, 1, 2) || arg_number(q, 0, &interval) ||
      (req_argc(q) == 2 && arg_number(q, 1, &lease)) ||
      check_range(q, "interval_s", interval, MIN_INTERVAL_S, MAX_INTERVAL_S) ||
      check_range(q, "lease_s", lease, MIN_INTERVAL_S, MAX_LEASE_S))
    return;
  if (meters_subscribe(&h->meters, q->from, &interval, &lease, now_s())) {
    req_error(q, "too many subscribers (at most %d)", OSC_MAX_SUBSCRIBERS);
    return;
  }
  lo_message r = lo_message_new();
  lo_message_add_float(r, (float)interval);
  lo_message_add_float(r, (float)lease);
  req_reply(q, q->path, r);
}

static void on_unsubscribe(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  if (check_argc(q, 0, 0)) return;
  meters_unsubscribe(&h->meters, q->from);
  req_reply_empty(q);
}

/* ---- learning ---- */

static void on_learn(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  double s;
  if (check_argc(q, 1, 1) || arg_number(q, 0, &s) ||
      check_range(q, "seconds", s, MIN_LEARN_S, MAX_LEARN_S))
    return;
  int known = 0;
  for (int i = 0; i < h->nlearners; i++) known |= osc_same_peer(&h->learners[i], q->from);
  if (!known) {
    if (h->nlearners == MAX_LEARNERS) {
      req_error(q, "too many clients waiting for learning (at most %d)", MAX_LEARNERS);
      return;
    }
    h->learners[h->nlearners++] = *q->from;
  }
  engine_learn(h->ctl->engine, (float)s);
  lo_message r = lo_message_new();
  lo_message_add_float(r, (float)s);
  req_reply(q, q->path, r);
}

/* Tells the waiting clients once learning is over; returns ms until the next check. */
static int serve_learners(struct osc_hushd *h) {
  if (!h->nlearners) return -1;
  if (engine_learning(h->ctl->engine)) return LEARN_POLL_MS;
  struct hushd_status st;
  get_status(h, &st);
  for (int i = 0; i < h->nlearners; i++) {
    lo_message r = lo_message_new();
    lo_message_add_float(r, st.noise_floor_db);
    osc_send(h->srv, &h->learners[i], "/hushd/profile/learned", r);
  }
  h->nlearners = 0;
  return -1;
}

/* ---- profiles and the config file: jobs for osc_jobs' worker ---- */

/* what a job's reply is sent as: a constant, since the request's path does not outlive it */
static const char *const job_paths[] = {[OSC_JOB_PROFILE_SAVE] = "/hushd/profile/save",
                                        [OSC_JOB_PROFILE_LOAD] = "/hushd/profile/load",
                                        [OSC_JOB_CONFIG_SAVE] = "/hushd/config/save"};

static void submit(struct osc_hushd *h, const struct osc_req *q, struct osc_job *job) {
  job->to = *q->from;
  if (jobs_submit(h->jobs, job))
    req_error(q, "another profile or config save or load is in progress; send this again "
                 "after its reply");
}

/* /hushd/profile/save and load. A profile name becomes STATE_DIR/NAME.profile: a plain
 * file name only. */
static void on_profile(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  enum osc_job_kind kind = strcmp(q->path, job_paths[OSC_JOB_PROFILE_SAVE])
                               ? OSC_JOB_PROFILE_LOAD
                               : OSC_JOB_PROFILE_SAVE;
  if (check_argc(q, 1, 1)) return;
  if (req_type(q, 0) != LO_STRING) {
    req_error(q, "argument 1 must be a profile name (s), not '%c'", req_type(q, 0));
    return;
  }
  const char *name = req_string(q, 0);
  int bad = !*name || strlen(name) > OSC_MAX_NAME_LEN || strchr(name, '/') ||
            strstr(name, "..");
  for (const char *c = name; *c; c++) bad |= (unsigned char)*c < 0x20;
  if (bad) {
    req_error(q, "profile name '%s' is not allowed: 1 to %d characters, no '/', no '..'",
              name, OSC_MAX_NAME_LEN);
    return;
  }
  if (!h->ctl->state_dir) {
    req_error(q, "no state folder for profiles");
    return;
  }
  struct osc_job job = {.kind = kind, .path = job_paths[kind]};
  snprintf(job.name, sizeof job.name, "%s", name);
  snprintf(job.file, sizeof job.file, "%s/%s.profile", h->ctl->state_dir, name);
  submit(h, q, &job);
}

static void on_config_save(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)rest;
  if (check_argc(q, 0, 0)) return;
  if (!h->ctl->save_config) {
    req_error(q, "no config file to save to (start hushd with --config FILE)");
    return;
  }
  struct osc_job job = {.kind = OSC_JOB_CONFIG_SAVE, .path = job_paths[OSC_JOB_CONFIG_SAVE]};
  submit(h, q, &job);
}

/* Replies to the client of a finished job. */
static void serve_jobs(struct osc_hushd *h) {
  struct osc_job job;
  if (!jobs_take(h->jobs, &job)) return;
  struct osc_req q = {.srv = h->srv, .from = &job.to, .path = job.path};
  if (job.failed) {
    req_error(&q, "%s", job.msg);
    return;
  }
  lo_message r = lo_message_new();
  if (job.kind != OSC_JOB_CONFIG_SAVE) lo_message_add_string(r, job.name);
  req_reply(&q, job.path, r);
}

/* ---- the rest ---- */

static void on_ping(struct osc_hushd *h, const struct osc_req *q, const char *rest) {
  (void)h;
  (void)rest;
  req_reply(q, "/pong", lo_message_new());
}

/* prefix 1: the path continues with a name (rest), 0: exact */
static const struct route {
  const char *path;
  int prefix;
  handler *fn;
} routes[] = {
    {"/ping", 0, on_ping},
    {"/hushd/param/", 1, on_param},
    {"/hushd/params", 0, on_params},
    {"/hushd/info/", 1, on_info},
    {"/hushd/bypass", 0, on_alias},
    {"/hushd/profile/learn", 0, on_learn},
    {"/hushd/profile/adapt", 0, on_alias},
    {"/hushd/profile/save", 0, on_profile},
    {"/hushd/profile/load", 0, on_profile},
    {"/hushd/status", 0, on_status},
    {"/hushd/subscribe", 0, on_subscribe},
    {"/hushd/unsubscribe", 0, on_unsubscribe},
    {"/hushd/config/save", 0, on_config_save},
};

void osc_hushd_handle(struct osc_hushd *h, const struct osc_peer *from, const char *path,
                      lo_message m) {
  struct osc_req q = {.srv = h->srv, .from = from, .path = path, .m = m};
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    const struct route *r = &routes[i];
    size_t n = strlen(r->path);
    if (r->prefix ? strncmp(path, r->path, n) == 0 && path[n] : strcmp(path, r->path) == 0) {
      r->fn(h, &q, path + n);
      return;
    }
  }
  req_error(&q, "unknown path");
}

static int min_timeout(int a, int b) { return a < 0 ? b : b < 0 ? a : a < b ? a : b; }

int osc_hushd_serve(struct osc_hushd *h) {
  tell_subscribers(h);
  serve_jobs(h);
  return min_timeout(meters_serve(&h->meters, now_s(), push_meters, h), serve_learners(h));
}

int osc_hushd_fd(const struct osc_hushd *h) { return jobs_fd(h->jobs); }

struct osc_hushd *osc_hushd_create(struct osc *srv, struct control *ctl, char *err,
                                   size_t errlen) {
  struct osc_hushd *h = calloc(1, sizeof *h);
  if (!h) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  h->srv = srv;
  h->ctl = ctl;
  if (!(h->jobs = jobs_create(ctl, err, errlen))) {
    free(h);
    return NULL;
  }
  return h;
}

void osc_hushd_destroy(struct osc_hushd *h) {
  if (!h) return;
  jobs_destroy(h->jobs);
  free(h);
}
