/* clock: the daemon's one time source for timers, timeouts and uptime. Any thread but
 * the audio thread (the audio path reads no clock).
 */
#ifndef HUSHD_CLOCK_H
#define HUSHD_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC: intervals and deadlines must not jump when the wall clock
 * is set (NTP, suspend), so no CLOCK_REALTIME here. */
static inline double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

#endif
