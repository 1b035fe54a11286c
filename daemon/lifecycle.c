/* lifecycle: signals taken synchronously by the main loop (see lifecycle.h). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "lifecycle.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define STOP_WATCH_MS 100 /* how often a guard looks for a pending stop or its deadline */

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
  log_flush(); /* what libjack and ALSA said on their threads */
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
static volatile sig_atomic_t abort_status;

/* The watcher thread: it looks for a pending stop (WATCH_OPEN) or the deadline
 * (WATCH_DEADLINE) every STOP_WATCH_MS while a guard is on, and sleeps otherwise. It is
 * a thread, not a timer signal: a signal landing in the main thread while PortAudio
 * starts a JACK stream cuts its waits short (measured: 256 frames of underruns and a
 * wrong latency at start in tests/test-live-jack.py audio-path). */
enum watch_mode { WATCH_OFF, WATCH_DEADLINE, WATCH_OPEN };
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cond;
static enum watch_mode watch_mode;
static struct timespec watch_deadline;
static int watcher_started;

static size_t format_line(char *buf, size_t len, const char *prio, const char *text) {
  int n = snprintf(buf, len, "%s%s\n", log_journal() ? prio : "hushd: ", text);
  return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

static int stop_pending(void) {
  sigset_t p; /* the process's pending signals: all threads block them */
  return sigpending(&p) == 0 && (sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1);
}

/* async-signal-safe: write and _exit only */
static _Noreturn void say_and_exit(const char *line, size_t len, int status) {
  if (write(STDERR_FILENO, line, len) < 0) len = 0;
  _exit(status);
}

static void on_abort(int sig) {
  (void)sig;
  say_and_exit(abort_line, abort_len, abort_status);
}

static int passed(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static struct timespec in_ms(int ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
  return t;
}

static void *watcher(void *arg) {
  (void)arg;
  pthread_mutex_lock(&watch_lock);
  for (;;) {
    if (watch_mode == WATCH_OFF) {
      pthread_cond_wait(&watch_cond, &watch_lock);
      continue;
    }
    if (watch_mode == WATCH_OPEN && stop_pending()) say_and_exit(stop_line, stop_len, 0);
    if (watch_mode == WATCH_DEADLINE && passed(&watch_deadline))
      say_and_exit(abort_line, abort_len, abort_status);
    struct timespec t = in_ms(STOP_WATCH_MS);
    pthread_cond_timedwait(&watch_cond, &watch_lock, &t);
  }
  return NULL;
}

/* Main thread (signals blocked: the watcher inherits that). */
static void set_guard(enum watch_mode mode, const char *line, int status, int deadline_ms) {
  if (!watcher_started) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&watch_cond, &a);
    pthread_condattr_destroy(&a);
    pthread_t th;
    if (pthread_create(&th, NULL, watcher, NULL) == 0) {
      pthread_detach(th);
      pthread_setname_np(th, "hushd-guard");
    }
    watcher_started = 1;
  }
  pthread_mutex_lock(&watch_lock);
  if (line) {
    abort_len = format_line(abort_line, sizeof abort_line, "<4>", line);
    abort_status = status;
  }
  watch_mode = mode;
  if (mode == WATCH_DEADLINE) watch_deadline = in_ms(deadline_ms);
  pthread_cond_signal(&watch_cond);
  pthread_mutex_unlock(&watch_lock);
  struct sigaction act = {.sa_handler = line ? on_abort : SIG_DFL};
  sigemptyset(&act.sa_mask);
  sigaction(SIGABRT, &act, NULL);
}

void lifecycle_guard(const char *line, int status, int deadline_ms) {
  set_guard(line && deadline_ms > 0 ? WATCH_DEADLINE : WATCH_OFF, line, status, deadline_ms);
}

void lifecycle_guard_open(const char *line, int status) {
  if (line && !stop_len)
    stop_len = format_line(stop_line, sizeof stop_line, "<5>",
                           "stopped by a signal while opening the audio device");
  set_guard(line ? WATCH_OPEN : WATCH_OFF, line, status, 0);
}
