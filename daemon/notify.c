/* notify: sd_notify messages and the progress-gated watchdog (see notify.h). */
#include "notify.h"

#include <stdint.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

struct notify {
  double watchdog_s;      /* 0 = no watchdog */
  int managed;            /* NOTIFY_SOCKET is set */
  double last_ping_s;     /* < 0 = none yet */
  unsigned long long last_progress;
};

struct notify *notify_create(void) {
  struct notify *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) n->watchdog_s = (double)usec / 1e6;
  const char *sock = getenv("NOTIFY_SOCKET");
  n->managed = sock && *sock;
  n->last_ping_s = -1;
  return n;
}

void notify_destroy(struct notify *n) { free(n); }

double notify_watchdog_s(const struct notify *n) { return n->watchdog_s; }

int notify_managed(const struct notify *n) { return n->managed; }

void notify_ready(struct notify *n) {
  (void)n;
  sd_notify(0, "READY=1");
}

void notify_reloading(struct notify *n) {
  (void)n;
  /* MONOTONIC_USEC: newer systemd (Type=notify-reload) wants to know when it began */
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)t.tv_sec * 1000000ULL + (unsigned long long)t.tv_nsec / 1000);
}

void notify_stopping(struct notify *n) {
  (void)n;
  sd_notify(0, "STOPPING=1");
}

void notify_status(struct notify *n, const char *text) {
  (void)n;
  sd_notifyf(0, "STATUS=%s", text);
}

void notify_watchdog(struct notify *n, unsigned long long progress, double now_s) {
  /* half the interval (less a millisecond of tick jitter): a ping delayed by one slow
   * tick still arrives in time */
  if (n->watchdog_s <= 0 ||
      (n->last_ping_s >= 0 && now_s - n->last_ping_s < n->watchdog_s / 2 - 1e-3))
    return;
  if (n->last_ping_s >= 0 && progress == n->last_progress) return; /* stuck: no ping */
  sd_notify(0, "WATCHDOG=1");
  n->last_ping_s = now_s;
  n->last_progress = progress;
}
