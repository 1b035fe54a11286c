/* lifecycle: signals taken synchronously by the main loop (see lifecycle.h). */
#define _GNU_SOURCE /* gettid */
#include "lifecycle.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define STOP_WATCH_MS 100 /* how often a stop pending is looked for while a device opens */

static void signal_set(sigset_t *set, int with_hup) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  if (with_hup) sigaddset(set, SIGHUP);
}

void lifecycle_block(void) {
  sigset_t set;
  signal_set(&set, 1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Takes one signal of set within timeout_ms; 0 when none came. */
static int take(const sigset_t *set, int timeout_ms) {
  struct timespec t = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
  int sig;
  while ((sig = sigtimedwait(set, NULL, &t)) < 0 && errno == EINTR) continue;
  return sig < 0 ? 0 : sig;
}

enum lc_event lifecycle_wait(int timeout_ms, int *signo) {
  sigset_t stop, all;
  signal_set(&stop, 0);
  signal_set(&all, 1);
  int sig = take(&stop, 0), later;
  if (!sig) sig = take(&all, timeout_ms);
  if (sig == SIGHUP && (later = take(&stop, 0))) sig = later; /* a stop makes it moot */
  if (sig) *signo = sig;
  return !sig ? LC_NONE : sig == SIGHUP ? LC_RELOAD : LC_STOP;
}

enum lc_event lifecycle_stop_pending(int *signo) {
  sigset_t stop;
  signal_set(&stop, 0);
  int sig = take(&stop, 0);
  if (sig) *signo = sig;
  return sig ? LC_STOP : LC_NONE;
}

static char abort_line[512], stop_line[128];
static size_t abort_len, stop_len;
static volatile sig_atomic_t abort_status, watch_stops;

static size_t format_line(char *buf, size_t len, const char *prio, const char *text) {
  int n = snprintf(buf, len, "%s%s\n", log_journal() ? prio : "hushd: ", text);
  return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

static int stop_pending(void) {
  sigset_t p;
  return sigpending(&p) == 0 && (sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1);
}

/* async-signal-safe: sigpending, write and _exit only */
static void on_guard(int sig) {
  if (sig == SIGALRM && watch_stops) {
    if (!stop_pending()) return; /* the open goes on */
    if (write(STDERR_FILENO, stop_line, stop_len) < 0) stop_len = 0;
    _exit(0);
  }
  if (write(STDERR_FILENO, abort_line, abort_len) < 0) abort_len = 0;
  _exit(abort_status);
}

/* The guard's timer signals the thread that armed it (the main thread) only: a
 * process-wide SIGALRM could land on, and interrupt, PortAudio's, JACK's or the DSP
 * thread's waits. */
static void arm_timer(int value_ms, int interval_ms) {
  static timer_t timer;
  static int made;
  if (!made) {
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM};
    ev._sigev_un._tid = gettid(); /* glibc 2.36 names no sigev_notify_thread_id */
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer)) return;
    made = 1;
  }
  struct itimerspec t = {.it_value = {value_ms / 1000, (value_ms % 1000) * 1000000L},
                         .it_interval = {interval_ms / 1000, (interval_ms % 1000) * 1000000L}};
  timer_settime(timer, 0, &t, NULL);
}

static void set_guard(int on, int value_ms, int interval_ms) {
  struct sigaction act = {.sa_handler = on ? on_guard : SIG_DFL, .sa_flags = SA_RESTART};
  sigemptyset(&act.sa_mask);
  sigaction(SIGABRT, &act, NULL);
  sigaction(SIGALRM, &act, NULL);
  arm_timer(value_ms, interval_ms);
}

void lifecycle_guard(const char *line, int status, int deadline_ms) {
  watch_stops = 0;
  if (line) {
    abort_len = format_line(abort_line, sizeof abort_line, "<4>", line);
    abort_status = status;
  }
  set_guard(line != NULL, line ? deadline_ms : 0, 0);
}

void lifecycle_guard_open(const char *line, int status) {
  if (!line) {
    lifecycle_guard(NULL, 0, 0);
    return;
  }
  abort_len = format_line(abort_line, sizeof abort_line, "<4>", line);
  abort_status = status;
  stop_len = format_line(stop_line, sizeof stop_line, "<5>",
                         "stopped by a signal while opening the audio device");
  watch_stops = 1;
  set_guard(1, STOP_WATCH_MS, STOP_WATCH_MS);
}
