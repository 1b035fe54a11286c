/* lifecycle: signals taken synchronously by the main loop (see lifecycle.h). */
#include "lifecycle.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

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

static char abort_line[512];
static size_t abort_len;
static volatile sig_atomic_t abort_status;

/* async-signal-safe: write and _exit only */
static void on_guard(int sig) {
  (void)sig;
  if (write(STDERR_FILENO, abort_line, abort_len) < 0) abort_len = 0;
  _exit(abort_status);
}

void lifecycle_guard(const char *line, int status, unsigned deadline_s) {
  struct sigaction act = {.sa_handler = line ? on_guard : SIG_DFL};
  if (line) {
    int n = snprintf(abort_line, sizeof abort_line, "%s%s\n", log_journal() ? "<4>" : "hushd: ",
                     line);
    abort_len = n < 0 ? 0 : (size_t)n < sizeof abort_line ? (size_t)n : sizeof abort_line - 1;
    abort_status = status;
  }
  sigemptyset(&act.sa_mask);
  sigaction(SIGABRT, &act, NULL);
  sigaction(SIGALRM, &act, NULL);
  alarm(line ? deadline_s : 0);
}
