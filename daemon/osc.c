/* osc: the OSC server thread and the /hushd namespace (see osc.h).
 *
 * Why not lo_server: liblo 0.31's server always binds the wildcard address, and a
 * datagram handed to lo_server_dispatch_data carries no sender. So the socket is ours
 * (bound where the user said, so 127.0.0.1 really means local only), liblo parses and
 * validates each message (lo_message_deserialise) and builds the replies, and a small
 * table routes paths. Replies leave from the server's socket, so they come from its port.
 */
#define _GNU_SOURCE
#include "osc.h"

#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "clock.h"
#include "engine.h"
#include "osc_allow.h"
#include "params.h"
#include "profile.h"

#define MAX_SUBSCRIBERS 16
#define MAX_LEARNERS 16
#define DEFAULT_LEASE_S 60.0
#define MIN_INTERVAL_S 0.01      /* accepted; a faster request is served at ... */
#define MIN_PUSH_INTERVAL_S 0.05 /* ... this: at most 20 meters a second to a subscriber */
#define MAX_INTERVAL_S 60.0
#define MAX_LEASE_S 3600.0       /* accepted; a longer lease is cut to ... */
#define MAX_GRANTED_LEASE_S 600.0 /* ... this: a forged sender's stream ends in 10 minutes */
#define MIN_LEARN_S 0.05
#define MAX_LEARN_S 600.0
#define LEARN_POLL_MS 20         /* how often a pending learn is checked for its end */
#define PROFILE_WAIT_MS 1000     /* longest wait for the audio thread's profile handover */
#define MAX_NAME_LEN 100
#define MAX_BUNDLE_DEPTH 4
#define RECV_BURST 256           /* datagrams per wake before timers are served again */

struct peer {
  struct sockaddr_storage addr;
  socklen_t len;
};

struct subscriber {
  struct peer to;
  double interval_s, next_s, until_s; /* times on the monotonic clock, s */
};

struct osc {
  int fd, port;
  int wake[2]; /* osc_destroy writes here to stop the thread */
  pthread_t thread;
  struct control *ctl;
  struct osc_allow allow;
  struct peer from; /* sender of the message being handled */
  struct subscriber subs[MAX_SUBSCRIBERS];
  int nsubs;
  struct peer learners[MAX_LEARNERS]; /* told /hushd/profile/learned when learning ends */
  int nlearners;
  atomic_ullong dropped, refused; /* malformed; from senders outside the allow-list */
  unsigned char in[65536];  /* the largest UDP datagram */
  unsigned char out[8192];  /* a serialised reply; one that does not fit (an error
                             * echoing an absurdly long path) is not sent */
};

static int same_peer(const struct peer *a, const struct peer *b) {
  return a->len == b->len && memcmp(&a->addr, &b->addr, a->len) == 0;
}

/* ---- replies ---- */

/* Sends m (freed here) to `to`, never blocking: a full socket loses the reply, not time. */
static void send_msg(struct osc *o, const struct peer *to, const char *path, lo_message m) {
  size_t len = lo_message_length(m, path);
  if (len <= sizeof o->out && lo_message_serialise(m, path, o->out, &len))
    sendto(o->fd, o->out, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&to->addr,
           to->len);
  lo_message_free(m);
}

static void reply(struct osc *o, const char *path, lo_message m) {
  send_msg(o, &o->from, path, m);
}

static void reply_error(struct osc *o, const char *path, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lo_message m = lo_message_new();
  lo_message_add_string(m, path);
  lo_message_add_string(m, msg);
  reply(o, "/hushd/error", m);
}

static void reply_empty(struct osc *o, const char *path) { reply(o, path, lo_message_new()); }

/* ---- arguments ---- */

/* liblo's lo_arg pointers are only 4-byte aligned (OSC's own alignment), less than the
 * union needs: read the bytes, never through the union. */
static double arg_as_number(const lo_arg *a, char type) {
  int32_t i;
  int64_t h;
  float f;
  double d;
  switch (type) {
    case LO_INT32: memcpy(&i, a, sizeof i); return i;
    case LO_FLOAT: memcpy(&f, a, sizeof f); return f;
    case LO_DOUBLE: memcpy(&d, a, sizeof d); return d;
    default: memcpy(&h, a, sizeof h); return (double)h;
  }
}

static const char *arg_string(lo_message m, int i) {
  return (const char *)lo_message_get_argv(m)[i];
}

/* Reads argument i as a number. Ints, floats, doubles, 64-bit ints and T/F are numbers.
 * Returns 0, or -1 after replying an error. */
static int arg_number(struct osc *o, const char *path, lo_message m, int i, double *v) {
  lo_arg **argv = lo_message_get_argv(m);
  char t = lo_message_get_types(m)[i];
  switch (t) {
    case LO_INT32:
    case LO_FLOAT:
    case LO_DOUBLE:
    case LO_INT64: *v = arg_as_number(argv[i], t); return 0;
    case LO_TRUE: *v = 1; return 0;
    case LO_FALSE: *v = 0; return 0;
    default:
      reply_error(o, path, "argument %d must be a number (i, f, d, h, T or F), not '%c'",
                  i + 1, t);
      return -1;
  }
}

static int check_argc(struct osc *o, const char *path, lo_message m, int lo, int hi) {
  int argc = lo_message_get_argc(m);
  if (argc >= lo && argc <= hi) return 0;
  if (lo == hi)
    reply_error(o, path, "expects %d argument%s, got %d", lo, lo == 1 ? "" : "s", argc);
  else
    reply_error(o, path, "expects %d %s %d arguments, got %d", lo, hi == lo + 1 ? "or" : "to",
                hi, argc);
  return -1;
}

/* Compared in float precision: f:0.01 is 0.0099999998, and must not fall below 0.01. */
static int check_range(struct osc *o, const char *path, const char *what, double v,
                       double lo, double hi) {
  if (isfinite(v) && (float)v >= (float)lo && (float)v <= (float)hi) return 0;
  reply_error(o, path, "%s: %g is out of range [%g, %g]", what, v, lo, hi);
  return -1;
}

/* ---- parameters ---- */

static void notify_value(struct osc *o, const char *path, int id) {
  float v = engine_get_param(o->ctl->engine, id);
  lo_message m = lo_message_new();
  lo_message_add_float(m, v);
  reply(o, path, m);
  /* subscribers see every change, whoever made it */
  for (int i = 0; i < o->nsubs; i++) {
    if (same_peer(&o->subs[i].to, &o->from)) continue;
    m = lo_message_new();
    lo_message_add_float(m, v);
    send_msg(o, &o->subs[i].to, path, m);
  }
}

/* The same path queries (no argument) and sets (one value). A string goes through the
 * table's parser, so "on"/"off" work from text-only senders. */
static void param_access(struct osc *o, const char *path, int id, lo_message m) {
  if (check_argc(o, path, m, 0, 1)) return;
  if (lo_message_get_argc(m) == 1) {
    char err[256];
    double v;
    float fv;
    if (lo_message_get_types(m)[0] == LO_STRING) {
      if (hp_parse(id, arg_string(m, 0), &fv, err, sizeof err)) {
        reply_error(o, path, "%s", err);
        return;
      }
      v = fv;
    } else if (arg_number(o, path, m, 0, &v)) {
      return;
    }
    if (hp_check(id, v, err, sizeof err) ||
        engine_set_param(o->ctl->engine, id, (float)v, err, sizeof err)) {
      reply_error(o, path, "%s", err);
      return;
    }
  }
  notify_value(o, path, id);
}

static void on_param(struct osc *o, const char *path, const char *name, lo_message m) {
  int id = hp_find(name);
  if (id < 0)
    reply_error(o, path, "unknown parameter '%s'", name);
  else
    param_access(o, path, id, m);
}

static void on_bypass(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  param_access(o, path, HP_bypass, m);
}

static void on_adapt(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  param_access(o, path, HP_adapt, m);
}

static void on_params(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  if (check_argc(o, path, m, 0, 0)) return;
  lo_message r = lo_message_new();
  for (int id = 0; id < HP_COUNT; id++) {
    lo_message_add_string(r, hp_info(id)->name);
    lo_message_add_float(r, engine_get_param(o->ctl->engine, id));
  }
  reply(o, path, r);
}

static void on_info(struct osc *o, const char *path, const char *name, lo_message m) {
  if (check_argc(o, path, m, 0, 0)) return;
  int id = hp_find(name);
  if (id < 0) {
    reply_error(o, path, "unknown parameter '%s'", name);
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
  reply(o, path, r);
}

/* ---- status and meters ---- */

static void get_status(struct osc *o, struct hushd_status *st) {
  memset(st, 0, sizeof *st);
  if (o->ctl->status) {
    o->ctl->status(o->ctl->status_ctx, st);
    return;
  }
  struct engine_meters em;
  engine_meters(o->ctl->engine, &em);
  st->in_db = em.in_db;
  st->out_db = em.out_db;
  st->reduction_db = em.reduction_db;
  st->noise_floor_db = em.noise_floor_db;
}

static int32_t clamp_count(unsigned long long n) { return n > INT32_MAX ? INT32_MAX : (int32_t)n; }

static void on_status(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  if (check_argc(o, path, m, 0, 0)) return;
  struct hushd_status st;
  get_status(o, &st);
  lo_message r = lo_message_new();
  lo_message_add_float(r, st.in_db);
  lo_message_add_float(r, st.out_db);
  lo_message_add_float(r, st.reduction_db);
  lo_message_add_float(r, st.noise_floor_db);
  lo_message_add_float(r, st.latency_ms);
  lo_message_add_float(r, st.cpu_load);
  lo_message_add_int32(r, clamp_count(st.xruns));
  lo_message_add_int32(r, clamp_count(st.overruns));
  lo_message_add_int32(r, clamp_count(st.underruns));
  lo_message_add_float(r, (float)st.uptime_s);
  lo_message_add_int32(r, clamp_count(osc_dropped(o)));
  lo_message_add_int32(r, clamp_count(osc_refused(o)));
  reply(o, path, r);
}

static void push_meters(struct osc *o, const struct peer *to) {
  struct hushd_status st;
  get_status(o, &st);
  lo_message r = lo_message_new();
  lo_message_add_float(r, st.in_db);
  lo_message_add_float(r, st.out_db);
  lo_message_add_float(r, st.reduction_db);
  lo_message_add_float(r, st.noise_floor_db);
  send_msg(o, to, "/hushd/meters", r);
}

static struct subscriber *find_sub(struct osc *o, const struct peer *p) {
  for (int i = 0; i < o->nsubs; i++)
    if (same_peer(&o->subs[i].to, p)) return &o->subs[i];
  return NULL;
}

static void on_subscribe(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  double interval, lease = DEFAULT_LEASE_S;
  if (check_argc(o, path, m, 1, 2) || arg_number(o, path, m, 0, &interval) ||
      (lo_message_get_argc(m) == 2 && arg_number(o, path, m, 1, &lease)) ||
      check_range(o, path, "interval_s", interval, MIN_INTERVAL_S, MAX_INTERVAL_S) ||
      check_range(o, path, "lease_s", lease, MIN_INTERVAL_S, MAX_LEASE_S))
    return;
  struct subscriber *s = find_sub(o, &o->from);
  if (!s) {
    if (o->nsubs == MAX_SUBSCRIBERS) {
      reply_error(o, path, "too many subscribers (at most %d)", MAX_SUBSCRIBERS);
      return;
    }
    s = &o->subs[o->nsubs++];
    s->to = o->from;
  }
  interval = fmax(interval, MIN_PUSH_INTERVAL_S);
  lease = fmin(lease, MAX_GRANTED_LEASE_S);
  double t = now_s();
  s->interval_s = interval;
  s->next_s = t;
  s->until_s = t + lease;
  lo_message r = lo_message_new();
  lo_message_add_float(r, (float)interval);
  lo_message_add_float(r, (float)lease);
  reply(o, path, r);
}

static void drop_sub(struct osc *o, struct subscriber *s) { *s = o->subs[--o->nsubs]; }

static void on_unsubscribe(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  if (check_argc(o, path, m, 0, 0)) return;
  struct subscriber *s = find_sub(o, &o->from);
  if (s) drop_sub(o, s);
  reply_empty(o, path);
}

/* Pushes due meters and ends expired leases; returns ms until the next push (-1: none). */
static int serve_subscribers(struct osc *o) {
  double t = now_s(), next = INFINITY;
  for (int i = 0; i < o->nsubs;) {
    struct subscriber *s = &o->subs[i];
    if (t >= s->until_s) {
      drop_sub(o, s);
      continue;
    }
    if (t >= s->next_s) {
      push_meters(o, &s->to);
      /* keep the cadence, but skip pushes missed while the thread was held up */
      s->next_s += s->interval_s;
      if (s->next_s < t) s->next_s = t + s->interval_s;
    }
    if (s->next_s < next) next = s->next_s;
    if (s->until_s < next) next = s->until_s;
    i++;
  }
  return isinf(next) ? -1 : (int)ceil((next - t) * 1000.0);
}

/* ---- learning and profiles ---- */

static void on_learn(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  double s;
  if (check_argc(o, path, m, 1, 1) || arg_number(o, path, m, 0, &s) ||
      check_range(o, path, "seconds", s, MIN_LEARN_S, MAX_LEARN_S))
    return;
  int known = 0;
  for (int i = 0; i < o->nlearners; i++) known |= same_peer(&o->learners[i], &o->from);
  if (!known) {
    if (o->nlearners == MAX_LEARNERS) {
      reply_error(o, path, "too many clients waiting for learning (at most %d)", MAX_LEARNERS);
      return;
    }
    o->learners[o->nlearners++] = o->from;
  }
  engine_learn(o->ctl->engine, (float)s);
  lo_message r = lo_message_new();
  lo_message_add_float(r, (float)s);
  reply(o, path, r);
}

/* Tells the waiting clients once learning is over; returns ms until the next check. */
static int serve_learners(struct osc *o) {
  if (!o->nlearners) return -1;
  if (engine_learning(o->ctl->engine)) return LEARN_POLL_MS;
  struct hushd_status st;
  get_status(o, &st);
  for (int i = 0; i < o->nlearners; i++) {
    lo_message r = lo_message_new();
    lo_message_add_float(r, st.noise_floor_db);
    send_msg(o, &o->learners[i], "/hushd/profile/learned", r);
  }
  o->nlearners = 0;
  return -1;
}

/* A profile name becomes STATE_DIR/NAME.profile: a plain file name only. */
static int profile_path(struct osc *o, const char *path, lo_message m, char *file,
                        size_t len, const char **name_out) {
  if (check_argc(o, path, m, 1, 1)) return -1;
  if (lo_message_get_types(m)[0] != LO_STRING) {
    reply_error(o, path, "argument 1 must be a profile name (s), not '%c'",
                lo_message_get_types(m)[0]);
    return -1;
  }
  const char *name = arg_string(m, 0);
  int bad = !*name || strlen(name) > MAX_NAME_LEN || strchr(name, '/') || strstr(name, "..");
  for (const char *c = name; *c; c++) bad |= (unsigned char)*c < 0x20;
  if (bad) {
    reply_error(o, path,
                "profile name '%s' is not allowed: 1 to %d characters, no '/', no '..'",
                name, MAX_NAME_LEN);
    return -1;
  }
  if (!o->ctl->state_dir) {
    reply_error(o, path, "no state folder for profiles");
    return -1;
  }
  snprintf(file, len, "%s/%s.profile", o->ctl->state_dir, name);
  *name_out = name;
  return 0;
}

static void on_profile_save(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  char file[4096], err[256];
  const char *name;
  if (profile_path(o, path, m, file, sizeof file, &name)) return;
  char *text = profile_save_live(o->ctl->engine, PROFILE_WAIT_MS, err, sizeof err);
  if (!text) {
    reply_error(o, path, "%s", err);
    return;
  }
  /* the state folder may not exist yet on a first save (a fresh ~/.local/state) */
  int rc = atomic_make_parent(file);
  if (rc) snprintf(err, sizeof err, "cannot create %s: %s", o->ctl->state_dir, strerror(errno));
  if (!rc) rc = atomic_write(file, text, strlen(text), err, sizeof err);
  free(text);
  if (rc) {
    reply_error(o, path, "%s", err);
    return;
  }
  lo_message r = lo_message_new();
  lo_message_add_string(r, name);
  reply(o, path, r);
}

static void on_profile_load(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  char file[4096], err[256];
  const char *name;
  if (profile_path(o, path, m, file, sizeof file, &name)) return;
  char *text = profile_read(file);
  if (!text) {
    if (errno == EFBIG)
      reply_error(o, path, "%s is larger than %d bytes", file, PROFILE_MAX_BYTES);
    else
      reply_error(o, path, "cannot read %s: %s", file, strerror(errno));
    return;
  }
  int rc = profile_load_live(o->ctl->engine, text, PROFILE_WAIT_MS, err, sizeof err);
  free(text);
  if (rc) {
    reply_error(o, path, "%s: %s", file, err);
    return;
  }
  lo_message r = lo_message_new();
  lo_message_add_string(r, name);
  reply(o, path, r);
}

/* ---- the rest ---- */

static void on_ping(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)path;
  (void)rest;
  (void)m;
  reply_empty(o, "/pong");
}

static void on_config_save(struct osc *o, const char *path, const char *rest, lo_message m) {
  (void)rest;
  char err[512];
  if (check_argc(o, path, m, 0, 0)) return;
  if (!o->ctl->save_config) {
    reply_error(o, path, "no config file to save to (start hushd with --config FILE)");
    return;
  }
  if (o->ctl->save_config(o->ctl->config_ctx, err, sizeof err)) {
    reply_error(o, path, "%s", err);
    return;
  }
  reply_empty(o, path);
}

typedef void handler(struct osc *o, const char *path, const char *rest, lo_message m);

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
    {"/hushd/bypass", 0, on_bypass},
    {"/hushd/profile/learn", 0, on_learn},
    {"/hushd/profile/adapt", 0, on_adapt},
    {"/hushd/profile/save", 0, on_profile_save},
    {"/hushd/profile/load", 0, on_profile_load},
    {"/hushd/status", 0, on_status},
    {"/hushd/subscribe", 0, on_subscribe},
    {"/hushd/unsubscribe", 0, on_unsubscribe},
    {"/hushd/config/save", 0, on_config_save},
};

static void dispatch(struct osc *o, const char *path, lo_message m) {
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    const struct route *r = &routes[i];
    size_t n = strlen(r->path);
    if (r->prefix ? strncmp(path, r->path, n) == 0 && path[n] : strcmp(path, r->path) == 0) {
      r->fn(o, path, path + n, m);
      return;
    }
  }
  reply_error(o, path, "unknown path");
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A message, or a bundle ("#bundle", time tag, then size-prefixed elements) whose
 * elements are handled at once, in order: hushd has nothing to schedule. */
static void handle_packet(struct osc *o, unsigned char *data, size_t size, int depth) {
  if (size >= 8 && memcmp(data, "#bundle", 8) == 0) {
    if (size < 16 || depth >= MAX_BUNDLE_DEPTH) goto bad;
    for (size_t pos = 16; pos < size;) {
      if (size - pos < 4) goto bad;
      uint32_t n = be32(data + pos);
      pos += 4;
      if (n == 0 || n % 4 || n > size - pos) goto bad;
      handle_packet(o, data + pos, n, depth + 1);
      pos += n;
    }
    return;
  }
  int result = 0;
  lo_message m = lo_message_deserialise(data, size, &result);
  if (!m) goto bad;
  dispatch(o, (const char *)data, m); /* the path leads the data, validated above */
  lo_message_free(m);
  return;
bad:
  atomic_fetch_add_explicit(&o->dropped, 1, memory_order_relaxed);
}

static void receive(struct osc *o) {
  for (int i = 0; i < RECV_BURST; i++) {
    o->from.len = sizeof o->from.addr;
    ssize_t n = recvfrom(o->fd, o->in, sizeof o->in, MSG_DONTWAIT,
                         (struct sockaddr *)&o->from.addr, &o->from.len);
    if (n < 0) return;
    if (!osc_allow_match(&o->allow, (const struct sockaddr *)&o->from.addr, o->from.len)) {
      /* unanswered: a reply would let anyone aim our datagrams at a forged address */
      atomic_fetch_add_explicit(&o->refused, 1, memory_order_relaxed);
      continue;
    }
    handle_packet(o, o->in, (size_t)n, 0);
  }
}

static int min_timeout(int a, int b) { return a < 0 ? b : b < 0 ? a : a < b ? a : b; }

static void *run(void *arg) {
  struct osc *o = arg;
  struct pollfd fds[2] = {{.fd = o->fd, .events = POLLIN}, {.fd = o->wake[0], .events = POLLIN}};
  for (;;) {
    int timeout = min_timeout(serve_subscribers(o), serve_learners(o));
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    if (fds[0].revents) receive(o);
  }
  return NULL;
}

/* ---- life cycle ---- */

static int open_socket(const char *addr, int port, char *err, size_t errlen) {
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                  *ai;
  int rc = getaddrinfo(addr, service, &hints, &ai);
  if (rc) {
    snprintf(err, errlen, "OSC address '%s': %s", addr, gai_strerror(rc));
    return -1;
  }
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen)) {
    if (errno == EADDRINUSE)
      snprintf(err, errlen,
               "OSC port %d on %s is already in use (is another hushd running? "
               "choose another with --osc-port or disable OSC with --no-osc)",
               port, addr);
    else
      snprintf(err, errlen, "cannot listen for OSC on %s port %d: %s", addr, port,
               strerror(errno));
    if (fd >= 0) close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  return fd;
}

struct osc *osc_create(const char *bind_addr, int port, const char *allow,
                       struct control *ctl, char *err, size_t errlen) {
  if (port < 0 || port > 65535) {
    snprintf(err, errlen, "OSC port %d is out of range [0, 65535]", port);
    return NULL;
  }
  struct osc *o = calloc(1, sizeof *o);
  if (!o) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  o->ctl = ctl;
  o->fd = o->wake[0] = o->wake[1] = -1;
  atomic_init(&o->dropped, 0);
  atomic_init(&o->refused, 0);
  if (osc_allow_parse(&o->allow, allow, err, errlen)) goto fail;
  if ((o->fd = open_socket(bind_addr, port, err, errlen)) < 0) goto fail;
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  getsockname(o->fd, (struct sockaddr *)&sa, &len);
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  getnameinfo((struct sockaddr *)&sa, len, host, sizeof host, serv, sizeof serv,
              NI_NUMERICHOST | NI_NUMERICSERV);
  o->port = atoi(serv);
  if (pipe2(o->wake, O_CLOEXEC)) {
    snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
    goto fail;
  }
  if ((errno = pthread_create(&o->thread, NULL, run, o))) {
    snprintf(err, errlen, "cannot start the OSC thread: %s", strerror(errno));
    goto fail;
  }
  return o;
fail:
  if (o->fd >= 0) close(o->fd);
  if (o->wake[0] >= 0) close(o->wake[0]);
  if (o->wake[1] >= 0) close(o->wake[1]);
  free(o);
  return NULL;
}

void osc_destroy(struct osc *o) {
  if (!o) return;
  ssize_t w = write(o->wake[1], "q", 1); /* a pipe with room: cannot fail */
  (void)w;
  pthread_join(o->thread, NULL);
  close(o->fd);
  close(o->wake[0]);
  close(o->wake[1]);
  free(o);
}

int osc_port(const struct osc *o) { return o->port; }

unsigned long long osc_dropped(const struct osc *o) {
  return atomic_load_explicit(&((struct osc *)o)->dropped, memory_order_relaxed);
}

unsigned long long osc_refused(const struct osc *o) {
  return atomic_load_explicit(&((struct osc *)o)->refused, memory_order_relaxed);
}
