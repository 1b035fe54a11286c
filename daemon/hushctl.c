/* hushctl: a small command line client for a running hushd's OSC control (liblo).
 *
 * Sends one request, waits up to 1 s for the reply at the same path (or /hushd/error)
 * and prints it. Exit status: 0 done, 1 no reply, 2 usage error or an error reply.
 * Parameter names, ranges and formatting come from the parameter table (dsp/params.h).
 */
#include <getopt.h>
#include <lo/lo.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hushd-version.h"
#include "params.h"

#define REPLY_TIMEOUT_MS 1000
#define WATCH_INTERVAL_S 0.1f
#define WATCH_LEASE_S 10.f   /* renewed every half lease while watching */
#define BAR_CHARS 30

struct ctl {
  const char *host, *port;
  lo_address to;
  lo_server srv;
  char path[256];   /* of the last reply */
  lo_message reply; /* the last reply, kept (incref) until the next wait */
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: hushctl [--host H] [--port P] COMMAND [ARGS]\n"
          "Talks to a running hushd over OSC (UDP, default 127.0.0.1:9040).\n"
          "\n"
          "commands:\n"
          "  get [NAME]            print one parameter's value, or all as NAME VALUE lines\n"
          "  set NAME VALUE        change a live parameter; prints the value now in effect\n"
          "  info NAME             type, range, default, unit and help of a parameter\n"
          "  list                  every parameter with its value, range and help\n"
          "  status [--watch]      levels, gain reduction, noise floor, latency, cpu, xruns;\n"
          "                        --watch draws live level and reduction bars until Ctrl-C\n"
          "  learn SECONDS         learn the noise model from the next SECONDS of input\n"
          "  bypass on|off         pass the input through unchanged (crossfaded)\n"
          "  profile save NAME     save the noise model as NAME in hushd's state folder\n"
          "  profile load NAME     load a saved noise model\n"
          "  save                  write the current live settings to hushd's config file\n"
          "  ping                  check that hushd answers\n"
          "\n"
          "options:\n"
          "  -H, --host H          hushd's address (default 127.0.0.1)\n"
          "  -p, --port P          hushd's OSC port (default 9040)\n"
          "  -h, --help            this text\n"
          "  -V, --version         print the version\n"
          "\n"
          "parameters:\n");
  for (int id = 0; id < HP_COUNT; id++)
    fprintf(out, "  %-16s %s%s\n", hp_info(id)->name, hp_info(id)->help,
            hp_info(id)->live ? "" : " (needs a restart)");
  fprintf(out,
          "\n"
          "exit status: 0 done, 1 no reply within 1 s, 2 bad usage or an error from hushd\n");
}

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "hushctl: %s%s%s\nTry 'hushctl --help'.\n", msg, arg ? ": " : "",
          arg ? arg : "");
  return 2;
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc,
                      lo_message m, void *user) {
  (void)types;
  (void)argv;
  (void)argc;
  struct ctl *c = user;
  if (c->reply) lo_message_free(c->reply);
  lo_message_incref(m);
  c->reply = m;
  snprintf(c->path, sizeof c->path, "%s", path);
  return 0;
}

/* Argument i of the reply as a number (f or i) or a string. liblo's lo_arg pointers are
 * only 4-byte aligned, so the bytes are copied rather than read through the union. */
static float arg_f(struct ctl *c, int i) {
  const char *t = lo_message_get_types(c->reply);
  if ((int)strlen(t) <= i || (t[i] != 'f' && t[i] != 'i')) return NAN;
  const lo_arg *a = lo_message_get_argv(c->reply)[i];
  float f;
  int32_t n;
  if (t[i] == 'i') {
    memcpy(&n, a, sizeof n);
    return (float)n;
  }
  memcpy(&f, a, sizeof f);
  return f;
}

static const char *arg_s(struct ctl *c, int i) {
  const char *t = lo_message_get_types(c->reply);
  return (int)strlen(t) > i && t[i] == 's' ? (const char *)lo_message_get_argv(c->reply)[i]
                                           : "";
}

static volatile sig_atomic_t stop; /* set by SIGINT/SIGTERM while watching */
static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

/* Waits for a reply at `want` (or /hushd/error). Returns 0 with c->reply set, 1 on
 * timeout (says so unless quiet), 2 on an error reply (printed), 3 when stopped by a
 * signal. */
static int wait_for(struct ctl *c, const char *want, int timeout_ms, int quiet) {
  double end = now_ms() + timeout_ms;
  for (;;) {
    int left = (int)(end - now_ms());
    if (stop) return 3;
    if (left <= 0) break;
    if (lo_server_recv_noblock(c->srv, left) <= 0) continue;
    if (!c->reply) continue;
    if (!strcmp(c->path, want)) return 0;
    if (!strcmp(c->path, "/hushd/error") && !strcmp(lo_message_get_types(c->reply), "ss")) {
      fprintf(stderr, "hushctl: %s: %s\n", arg_s(c, 0), arg_s(c, 1));
      return 2;
    }
  }
  if (!quiet)
    fprintf(stderr, "hushctl: no reply from %s:%s - is hushd running?\n", c->host, c->port);
  return 1;
}

static int wait_reply(struct ctl *c, const char *want) {
  return wait_for(c, want, REPLY_TIMEOUT_MS, 0);
}

/* Sends m (freed here) to path and waits for the reply at `want`. */
static int request(struct ctl *c, const char *path, lo_message m, const char *want) {
  if (c->reply) lo_message_free(c->reply);
  c->reply = NULL;
  int sent = lo_send_message_from(c->to, c->srv, path, m);
  lo_message_free(m);
  if (sent < 0) {
    fprintf(stderr, "hushctl: cannot send to %s:%s: %s\n", c->host, c->port,
            lo_address_errstr(c->to));
    return 1;
  }
  return wait_reply(c, want);
}

static int query(struct ctl *c, const char *path) { return request(c, path, lo_message_new(), path); }

static void print_value(const char *name, float v) {
  char buf[64];
  int id = hp_find(name);
  if (id >= 0)
    hp_format(id, v, buf, sizeof buf);
  else
    snprintf(buf, sizeof buf, "%g", v);
  printf("%s", buf);
}

static int cmd_get(struct ctl *c, int argc, char **argv) {
  char path[256];
  if (argc > 1) return usage_error("get takes at most one NAME", NULL);
  if (argc == 1) {
    snprintf(path, sizeof path, "/hushd/param/%s", argv[0]);
    int rc = query(c, path);
    if (rc) return rc;
    print_value(argv[0], arg_f(c, 0));
    printf("\n");
    return 0;
  }
  int rc = query(c, "/hushd/params");
  if (rc) return rc;
  for (int i = 0; i + 1 < lo_message_get_argc(c->reply); i += 2) {
    printf("%-16s ", arg_s(c, i));
    print_value(arg_s(c, i), arg_f(c, i + 1));
    printf("\n");
  }
  return 0;
}

/* Sends a number as a float, anything else as text for hushd's parser ("on", "off"). */
static lo_message value_message(const char *text) {
  lo_message m = lo_message_new();
  char *end;
  double v = strtod(text, &end);
  if (end != text && !*end)
    lo_message_add_float(m, (float)v);
  else
    lo_message_add_string(m, text);
  return m;
}

static int cmd_set(struct ctl *c, int argc, char **argv) {
  char path[256];
  if (argc != 2) return usage_error("set takes NAME VALUE", NULL);
  snprintf(path, sizeof path, "/hushd/param/%s", argv[0]);
  int rc = request(c, path, value_message(argv[1]), path);
  if (rc) return rc;
  printf("%s ", argv[0]);
  print_value(argv[0], arg_f(c, 0));
  printf("\n");
  return 0;
}

static int print_info(struct ctl *c, const char *name, int with_value) {
  char path[256];
  snprintf(path, sizeof path, "/hushd/info/%s", name);
  int rc = query(c, path);
  if (rc) return rc;
  float min = arg_f(c, 1), max = arg_f(c, 2), def = arg_f(c, 3);
  int live = (int)arg_f(c, 6);
  char unit[64], help[512], type[16];
  snprintf(type, sizeof type, "%s", arg_s(c, 0));
  snprintf(unit, sizeof unit, "%s", arg_s(c, 4));
  snprintf(help, sizeof help, "%s", arg_s(c, 5));
  printf("%s", name);
  if (with_value) {
    snprintf(path, sizeof path, "/hushd/param/%s", name);
    if ((rc = query(c, path))) return rc;
    printf(" = ");
    print_value(name, arg_f(c, 0));
  }
  printf(": %s in [%g, %g]%s%s, default %g, %s\n  %s\n", type, min, max, *unit ? " " : "",
         unit, def, live ? "live" : "needs a restart", help);
  return 0;
}

static int cmd_info(struct ctl *c, int argc, char **argv) {
  if (argc != 1) return usage_error("info takes NAME", NULL);
  return print_info(c, argv[0], 0);
}

static int cmd_list(struct ctl *c, int argc) {
  if (argc) return usage_error("list takes no arguments", NULL);
  int rc = query(c, "/hushd/params");
  if (rc) return rc;
  int n = lo_message_get_argc(c->reply) / 2;
  char names[64][64];
  for (int i = 0; i < n && i < 64; i++) snprintf(names[i], sizeof names[i], "%s", arg_s(c, 2 * i));
  for (int i = 0; i < n && i < 64; i++)
    if ((rc = print_info(c, names[i], 1))) return rc;
  return 0;
}

static void bar(char *out, float fraction) {
  int n = (int)lrintf(fmaxf(0.f, fminf(1.f, fraction)) * BAR_CHARS);
  for (int i = 0; i < BAR_CHARS; i++) out[i] = i < n ? '#' : '.';
  out[BAR_CHARS] = 0;
}

/* Meters pushed by a subscription, one line each: redrawn in place on a terminal. */
static int watch(struct ctl *c) {
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  int tty = isatty(1), rc = 0;
  double renew = 0;
  while (!stop) {
    if (now_ms() >= renew) {
      lo_message m = lo_message_new();
      lo_message_add_float(m, WATCH_INTERVAL_S);
      lo_message_add_float(m, WATCH_LEASE_S);
      if ((rc = request(c, "/hushd/subscribe", m, "/hushd/subscribe"))) break;
      renew = now_ms() + WATCH_LEASE_S * 500;
    }
    if ((rc = wait_reply(c, "/hushd/meters"))) break;
    char in[BAR_CHARS + 1], gr[BAR_CHARS + 1];
    float in_db = arg_f(c, 0), out_db = arg_f(c, 1), red_db = arg_f(c, 2);
    bar(in, (in_db + 80.f) / 80.f);
    bar(gr, red_db / 40.f);
    printf("%sin %s %6.1f dBFS  out %6.1f dBFS  reduction %s %5.1f dB%s", tty ? "\r" : "", in,
           in_db, out_db, gr, red_db, tty ? "" : "\n");
    fflush(stdout);
  }
  if (tty) printf("\n");
  if (rc == 1) return rc;
  stop = 0;
  request(c, "/hushd/unsubscribe", lo_message_new(), "/hushd/unsubscribe");
  return rc == 3 ? 0 : rc;
}

static int cmd_status(struct ctl *c, int argc, char **argv) {
  if (argc == 1 && !strcmp(argv[0], "--watch")) return watch(c);
  if (argc) return usage_error("status takes only --watch", argv[0]);
  int rc = query(c, "/hushd/status");
  if (rc) return rc;
  static const struct {
    const char *label, *unit;
    float scale;
  } rows[] = {{"input", "dBFS", 1},     {"output", "dBFS", 1},   {"reduction", "dB", 1},
              {"noise floor", "dB", 1}, {"latency", "ms", 1},    {"cpu load", "%", 100},
              {"xruns", "", 1},         {"overruns", "", 1},     {"underruns", "", 1},
              {"uptime", "s", 1},       {"osc dropped", "", 1},  {"osc refused", "", 1},
              {"bad samples", "", 1}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    float v = arg_f(c, (int)i) * rows[i].scale;
    if (*rows[i].unit)
      printf("%-12s %8.1f %s\n", rows[i].label, v, rows[i].unit);
    else
      printf("%-12s %8.0f\n", rows[i].label, v);
  }
  return 0;
}

static int cmd_learn(struct ctl *c, int argc, char **argv) {
  char *end;
  if (argc != 1) return usage_error("learn takes SECONDS", NULL);
  double s = strtod(argv[0], &end);
  if (end == argv[0] || *end || !(s > 0)) return usage_error("not a number of seconds", argv[0]);
  lo_message m = lo_message_new();
  lo_message_add_float(m, (float)s);
  int rc = request(c, "/hushd/profile/learn", m, "/hushd/profile/learn");
  if (rc) return rc;
  printf("learning the noise for %g s...\n", s);
  fflush(stdout);
  int wait_ms = (int)(s * 1000) + 2000;
  if ((rc = wait_for(c, "/hushd/profile/learned", wait_ms, 1)) == 1)
    fprintf(stderr, "hushctl: learning did not end within %g s - is hushd's audio running?\n",
            wait_ms / 1000.0);
  if (rc) return rc;
  printf("learned: noise floor %.1f dB\n", arg_f(c, 0));
  return 0;
}

static int cmd_bypass(struct ctl *c, int argc, char **argv) {
  if (argc != 1 || (strcmp(argv[0], "on") && strcmp(argv[0], "off")))
    return usage_error("bypass takes on or off", NULL);
  lo_message m = lo_message_new();
  lo_message_add_int32(m, !strcmp(argv[0], "on"));
  int rc = request(c, "/hushd/bypass", m, "/hushd/bypass");
  if (rc) return rc;
  printf("bypass %s\n", arg_f(c, 0) > 0.5f ? "on" : "off");
  return 0;
}

static int cmd_profile(struct ctl *c, int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[0], "save") && strcmp(argv[0], "load")))
    return usage_error("profile takes save NAME or load NAME", NULL);
  char path[64];
  snprintf(path, sizeof path, "/hushd/profile/%s", argv[0]);
  lo_message m = lo_message_new();
  lo_message_add_string(m, argv[1]);
  int rc = request(c, path, m, path);
  if (rc) return rc;
  printf("profile %s %s\n", argv[1], !strcmp(argv[0], "save") ? "saved" : "loaded");
  return 0;
}

static int cmd_simple(struct ctl *c, int argc, const char *path, const char *want,
                      const char *done) {
  if (argc) return usage_error("this command takes no arguments", NULL);
  double t0 = now_ms();
  int rc = request(c, path, lo_message_new(), want);
  if (rc) return rc;
  printf(done, c->host, c->port, now_ms() - t0);
  return 0;
}

static int run(struct ctl *c, int argc, char **argv) {
  const char *cmd = argv[0];
  argc--;
  argv++;
  if (!strcmp(cmd, "get")) return cmd_get(c, argc, argv);
  if (!strcmp(cmd, "set")) return cmd_set(c, argc, argv);
  if (!strcmp(cmd, "info")) return cmd_info(c, argc, argv);
  if (!strcmp(cmd, "list")) return cmd_list(c, argc);
  if (!strcmp(cmd, "status")) return cmd_status(c, argc, argv);
  if (!strcmp(cmd, "learn")) return cmd_learn(c, argc, argv);
  if (!strcmp(cmd, "bypass")) return cmd_bypass(c, argc, argv);
  if (!strcmp(cmd, "profile")) return cmd_profile(c, argc, argv);
  if (!strcmp(cmd, "save"))
    return cmd_simple(c, argc, "/hushd/config/save", "/hushd/config/save",
                      "config saved by %s:%s (%.1f ms)\n");
  if (!strcmp(cmd, "ping"))
    return cmd_simple(c, argc, "/ping", "/pong", "pong from %s:%s in %.1f ms\n");
  return usage_error("unknown command", cmd);
}

int main(int argc, char **argv) {
  struct ctl c = {.host = "127.0.0.1", .port = "9040"};
  static const struct option opts[] = {{"host", required_argument, 0, 'H'},
                                       {"port", required_argument, 0, 'p'},
                                       {"help", no_argument, 0, 'h'},
                                       {"version", no_argument, 0, 'V'},
                                       {0, 0, 0, 0}};
  int o;
  opterr = 0;
  while ((o = getopt_long(argc, argv, "+H:p:hV", opts, NULL)) != -1) {
    switch (o) {
      case 'H': c.host = optarg; break;
      case 'p': {
        char *end;
        long p = strtol(optarg, &end, 10);
        if (end == optarg || *end || p < 1 || p > 65535)
          return usage_error("--port: not a port in [1, 65535]", optarg);
        c.port = optarg;
        break;
      }
      case 'h': usage(stdout); return 0;
      case 'V': printf("hushctl %s\n", HUSHD_VERSION); return 0;
      default: return usage_error("unknown option", argv[optind - 1]);
    }
  }
  if (optind >= argc) return usage_error("no command given", NULL);
  c.to = lo_address_new(c.host, c.port);
  c.srv = lo_server_new(NULL, NULL);
  if (!c.to || !c.srv) {
    fprintf(stderr, "hushctl: cannot open a UDP socket to %s:%s\n", c.host, c.port);
    return 1;
  }
  lo_server_add_method(c.srv, NULL, NULL, on_message, &c);
  int rc = run(&c, argc - optind, argv + optind);
  if (c.reply) lo_message_free(c.reply);
  lo_server_free(c.srv);
  lo_address_free(c.to);
  return rc;
}
