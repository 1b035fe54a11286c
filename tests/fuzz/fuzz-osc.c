/* fuzz-osc: the OSC server's datagram handling (daemon/osc.c: allow-list, bundles; the
 * /hushd namespace in osc_hushd.c, its argument checks, subscriptions and jobs) on
 * arbitrary bytes, through osc_dispatch_datagram on a detached server (no socket): each
 * input is one UDP datagram from 127.0.0.1, from one of 32 ports (so that subscriptions
 * and learners fill their slots). The engine does not run, so profile saves and loads wait
 * on the jobs' worker and end in errors, as with no stream.
 * Oracle besides the sanitizers: no parameter ever leaves its range. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "engine.h"
#include "osc.h"
#include "params.h"

static struct osc *server;
static struct engine *engine;
static char dir[] = "/tmp/hushd-fuzz-osc-XXXXXX"; /* the state folder; saves fail: no stream */

static void remove_dir(void) { rmdir(dir); }

static int save_config(void *ctx, char *err, size_t errlen) {
  (void)ctx;
  (void)err;
  (void)errlen;
  return 0;
}

static void setup(void) {
  static struct control ctl;
  char err[512];
  struct hp_values p;
  hp_defaults(&p);
  engine = engine_create(&p, 48000, 1, ENGINE_PLAN_ESTIMATE, err, sizeof err);
  if (!engine || !mkdtemp(dir)) abort();
  atexit(remove_dir);
  ctl = (struct control){.engine = engine, .state_dir = dir, .save_config = save_config};
  server = osc_create_detached(NULL, &ctl, err, sizeof err);
  if (!server) {
    fprintf(stderr, "fuzz-osc: %s\n", err);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!server) setup();
  struct sockaddr_in from = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)(40000 + size % 32)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  osc_dispatch_datagram(server, data, size, (struct sockaddr *)&from, sizeof from);
  for (int id = 0; id < HP_COUNT; id++) {
    const struct hp_info *p = hp_info(id);
    float v = engine_get_param(engine, id);
    if (!(v >= (float)p->min && v <= (float)p->max)) {
      fprintf(stderr, "fuzz-osc: %s = %g is outside [%g, %g]\n", p->name, v, p->min, p->max);
      abort();
    }
  }
  return 0;
}
