/* stall-probe: measures the machine's own stalls, for the live tests.
 *
 *   stall-probe OUT.txt PRIORITY
 *
 * One thread per CPU, pinned to it, at SCHED_FIFO PRIORITY (the priority hushd's DSP
 * worker asks for; normal priority when refused), wakes every PERIOD_NS on an absolute
 * CLOCK_MONOTONIC schedule and notes how late each wake-up was. A thread of the worker's
 * priority that wakes late was kept off its CPU by the machine (a busier real-time
 * thread, the hypervisor, a frozen guest): at that moment hushd's worker could have been
 * too, through no fault of its own. Runs until SIGTERM or SIGINT, then writes one line per
 * wake-up later than NOTE_NS to OUT.txt, "CPU MONOTONIC_NS LATE_NS" (MONOTONIC_NS: when
 * the thread was due), and prints "policy fifo|other, wakeups N, max late MS ms".
 */
#define _GNU_SOURCE /* CPU_SET, pthread_setaffinity_np */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_NS 1000000LL /* 1 ms: finer than the 5.3 ms hop the worker must keep up with */
#define NOTE_NS 500000LL    /* later than this is written out */
#define MAX_NOTES 100000    /* per thread: 100 s of every wake-up late */
#define MAX_CPUS 16

struct probe {
  pthread_t thread;
  int cpu;
  long long due_ns[MAX_NOTES], late_ns[MAX_NOTES];
  size_t notes;
  unsigned long long wakeups;
  long long max_late_ns;
};

static struct probe probes[MAX_CPUS];
static atomic_int stop;

static long long mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *run(void *arg) {
  struct probe *p = arg;
  long long due = mono_ns() + PERIOD_NS;
  while (!atomic_load(&stop)) {
    struct timespec t = {due / 1000000000LL, due % 1000000000LL};
    if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) continue;
    long long late = mono_ns() - due;
    p->wakeups++;
    if (late > p->max_late_ns) p->max_late_ns = late;
    if (late > NOTE_NS && p->notes < MAX_NOTES) {
      p->due_ns[p->notes] = due;
      p->late_ns[p->notes++] = late;
    }
    due += PERIOD_NS;
    if (due < mono_ns()) due = mono_ns() + PERIOD_NS; /* after a stall, one note, not many */
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: stall-probe OUT.txt PRIORITY\n");
    return 2;
  }
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* the threads inherit it; main takes them */

  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu < 1) ncpu = 1;
  if (ncpu > MAX_CPUS) ncpu = MAX_CPUS;
  int fifo = 1;
  for (int i = 0; i < ncpu; i++) {
    struct probe *p = &probes[i];
    p->cpu = i;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(i, &set);
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    struct sched_param sp = {.sched_priority = atoi(argv[2])};
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
    pthread_attr_setschedparam(&attr, &sp);
    if (pthread_create(&p->thread, &attr, run, p)) {
      fifo = 0; /* not allowed: measure at normal priority, as the worker then runs */
      pthread_attr_destroy(&attr);
      pthread_attr_init(&attr);
      pthread_attr_setaffinity_np(&attr, sizeof set, &set);
      if (pthread_create(&p->thread, &attr, run, p)) {
        fprintf(stderr, "stall-probe: cannot start a thread\n");
        return 1;
      }
    }
    pthread_attr_destroy(&attr);
  }
  int sig;
  sigwait(&sigs, &sig);
  atomic_store(&stop, 1);
  FILE *out = fopen(argv[1], "w");
  if (!out) {
    fprintf(stderr, "stall-probe: cannot write %s\n", argv[1]);
    return 1;
  }
  unsigned long long wakeups = 0;
  long long max_late = 0;
  for (int i = 0; i < ncpu; i++) {
    struct probe *p = &probes[i];
    pthread_join(p->thread, NULL);
    for (size_t k = 0; k < p->notes; k++)
      fprintf(out, "%d %lld %lld\n", p->cpu, p->due_ns[k], p->late_ns[k]);
    wakeups += p->wakeups;
    if (p->max_late_ns > max_late) max_late = p->max_late_ns;
  }
  fclose(out);
  printf("policy %s, wakeups %llu, max late %.2f ms\n", fifo ? "fifo" : "other", wakeups,
         max_late / 1e6);
  return 0;
}
