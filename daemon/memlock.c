/* memlock: the audio path's memory locked within RLIMIT_MEMLOCK (see memlock.h). */
#define _GNU_SOURCE /* mlock2 */
#include "memlock.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

#define STACK_LOCK_BYTES (32 * 1024) /* the top of the worker's stack: a hop uses less */
#define MAX_REGIONS 512
#define CAP_IPC_LOCK_BIT 14 /* linux/capability.h: the limit does not apply with it */

struct region {
  uintptr_t start, end;
};

/* What was locked, for the log line. */
struct report {
  size_t locked_bytes; /* locked by this call (ranges counted whole) */
  size_t wanted_bytes; /* what the candidates add up to */
  size_t limit_bytes;  /* RLIMIT_MEMLOCK; (size_t)-1 = no limit applies */
  int regions, candidates;
  int error; /* errno of the first refusal other than the limit's, else 0 */
};

/* A field of /proc/self/status as a number (VmLck in kB, CapEff in hex). */
static unsigned long long status_field(const char *name, int base) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  unsigned long long v = 0;
  size_t n = strlen(name);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, name, n) && line[n] == ':') {
      v = strtoull(line + n + 1, NULL, base);
      break;
    }
  if (f) fclose(f);
  return v;
}

/* [heap] first, then private writable anonymous mappings, into out; returns the count. */
static int private_mappings(struct region *out, int max, struct region skip) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  int n = 0;
  while (f && n < max && fgets(line, sizeof line, f)) {
    unsigned long start, end;
    char perms[8], path[256] = "";
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &start, &end, perms, path) < 3)
      continue;
    int heap = !strcmp(path, "[heap]"), anon = !path[0] || !strcmp(path, "[stack]");
    if (strcmp(perms, "rw-p") || !(heap || anon)) continue;
    if (start < skip.end && end > skip.start) continue; /* the worker's: locked first */
    struct region r = {start, end};
    if (heap && n) { /* keep [heap] at the front */
      out[n++] = out[0];
      out[0] = r;
    } else {
      out[n++] = r;
    }
  }
  if (f) fclose(f);
  return n;
}

static int by_size(const void *a, const void *b) {
  const struct region *x = a, *y = b;
  size_t lx = x->end - x->start, ly = y->end - y->start;
  return lx < ly ? -1 : lx > ly;
}

static void lock(const struct worker *w, struct report *r) {
  memset(r, 0, sizeof *r);
  struct rlimit rl = {0, 0};
  getrlimit(RLIMIT_MEMLOCK, &rl);
  int unlimited = rl.rlim_cur == RLIM_INFINITY ||
                  (status_field("CapEff", 16) >> CAP_IPC_LOCK_BIT & 1);
  r->limit_bytes = unlimited ? (size_t)-1 : (size_t)rl.rlim_cur;
  size_t used = (size_t)status_field("VmLck", 10) * 1024;
  size_t budget = unlimited ? (size_t)-1 : r->limit_bytes > used ? r->limit_bytes - used : 0;

  static struct region regions[MAX_REGIONS]; /* main thread only */
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  void *stack;
  size_t stack_len;
  struct region top = {0, 0};
  if (w && !worker_stack(w, &stack, &stack_len) && stack_len >= STACK_LOCK_BYTES) {
    top.end = ((uintptr_t)stack + stack_len) & ~(uintptr_t)(page - 1);
    top.start = top.end - STACK_LOCK_BYTES;
  }
  int n = 0;
  if (top.end) regions[n++] = top;
  n += private_mappings(regions + n, MAX_REGIONS - n, top);
  int first_rest = top.end ? 2 : 1; /* worker stack, heap, then smallest first */
  if (n > first_rest) qsort(regions + first_rest, (size_t)(n - first_rest), sizeof *regions,
                            by_size);
  r->candidates = n;
  for (int i = 0; i < n; i++) {
    size_t len = regions[i].end - regions[i].start;
    r->wanted_bytes += len;
    if (len > budget - r->locked_bytes) continue;
    if (mlock2((void *)regions[i].start, len, MLOCK_ONFAULT)) {
      if (!r->error && errno != ENOMEM && errno != EAGAIN) r->error = errno;
      continue;
    }
    r->locked_bytes += len;
    r->regions++;
  }
}

static void describe(const struct report *r, char *buf, size_t len) {
  char limit[64];
  if (r->limit_bytes == (size_t)-1) snprintf(limit, sizeof limit, "no limit");
  else snprintf(limit, sizeof limit, "%zu KiB limit", r->limit_bytes / 1024);
  if (!r->regions)
    snprintf(buf, len, "memory not locked: %s (RLIMIT_MEMLOCK), the audio path's %zu KiB "
             "do not fit%s%s; raise it (LimitMEMLOCK= in the unit, ulimit -l) to avoid "
             "page faults on the audio path", limit, r->wanted_bytes / 1024,
             r->error ? ": " : "", r->error ? strerror(r->error) : "");
  else
    snprintf(buf, len, "locked %zu KiB of %s: %d of %d regions (DSP stack, heap, private "
             "mappings; pages as they are touched)%s", r->locked_bytes / 1024, limit,
             r->regions, r->candidates,
             r->regions < r->candidates ? "; the rest did not fit and stays unlocked" : "");
}

void memlock_audio_path(const struct worker *w) {
  struct report r;
  char line[512];
  lock(w, &r);
  describe(&r, line, sizeof line);
  if (!r.regions) log_warning("%s", line);
  else if (r.regions < r.candidates) log_notice("%s", line);
  else log_info("%s", line); /* all of it: nothing to act on */
}
