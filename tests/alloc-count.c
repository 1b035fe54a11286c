/* alloc-count: an LD_PRELOAD library that counts memory allocations made by the live
 * daemon's real-time threads, for test-live-jack.py.
 *
 * A thread becomes watched when it first calls sem_post (the audio callback waking the
 * worker) or sem_wait (the worker); from then on every malloc, calloc, realloc,
 * aligned_alloc, posix_memalign and memalign on that thread is counted. SIGUSR2 writes
 * "alloc-count: threads T allocations N" to stderr (the test sends it before stopping
 * hushd, so shutdown is not counted).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static int (*real_sem_post)(sem_t *);
static int (*real_sem_wait)(sem_t *);
static _Thread_local int watched;
static atomic_int threads;
static atomic_ulong allocations;

static void watch(void) {
  if (!watched) {
    watched = 1;
    atomic_fetch_add(&threads, 1);
  }
}

static void count(void) {
  if (watched) atomic_fetch_add(&allocations, 1);
}

void *malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
  count();
  return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void *memalign(size_t a, size_t n) {
  count();
  return __libc_memalign(a, n);
}
void *aligned_alloc(size_t a, size_t n) {
  count();
  return __libc_memalign(a, n);
}
int posix_memalign(void **p, size_t a, size_t n) {
  count();
  *p = __libc_memalign(a, n);
  return *p ? 0 : ENOMEM;
}

int sem_post(sem_t *s) {
  watch();
  return real_sem_post(s);
}

int sem_wait(sem_t *s) {
  watch();
  return real_sem_wait(s);
}

/* Writes an unsigned number with write(2): async-signal-safe. */
static void put_number(char **at, unsigned long v) {
  char digits[24];
  int n = 0;
  do digits[n++] = (char)('0' + v % 10);
  while (v /= 10);
  while (n) *(*at)++ = digits[--n];
}

static void report(int sig) {
  (void)sig;
  char line[96], *at = line;
  const char *a = "alloc-count: threads ", *b = " allocations ";
  memcpy(at, a, strlen(a));
  at += strlen(a);
  put_number(&at, (unsigned long)atomic_load(&threads));
  memcpy(at, b, strlen(b));
  at += strlen(b);
  put_number(&at, atomic_load(&allocations));
  *at++ = '\n';
  ssize_t w = write(2, line, (size_t)(at - line));
  (void)w;
}

__attribute__((constructor)) static void init(void) {
  real_sem_post = (int (*)(sem_t *))dlsym(RTLD_NEXT, "sem_post");
  real_sem_wait = (int (*)(sem_t *))dlsym(RTLD_NEXT, "sem_wait");
  signal(SIGUSR2, report);
}
