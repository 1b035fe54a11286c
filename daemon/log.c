/* log: leveled one-line messages on stderr, journal-aware (see log.h). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int max_level = LOG_LEVEL_NOTICE;
static int journal;

/* The RT queue: a bounded many-writer, one-reader ring of fixed records. A record's seq
 * says whose turn it is: == the writer's ticket when free for it, == ticket + 1 once
 * written (the reader's turn), and the reader hands it to the next round with
 * ticket + LOG_RT_RECORDS. */
struct record {
  atomic_ullong seq;
  int level;
  char text[LOG_RT_TEXT];
};
static struct record records[LOG_RT_RECORDS];
static atomic_ullong tail;         /* next ticket for a writer */
static unsigned long long head;    /* next record to read; under flush_lock */
static atomic_ullong dropped;      /* messages the full queue refused */
static unsigned long long dropped_told; /* under flush_lock */
static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int records_ready;   /* the seq numbers are set up */

/* JOURNAL_STREAM is "DEVICE:INODE" of the journal's stream; it only counts when stderr
 * is still that stream (not redirected by a shell in between). */
static int stderr_is_journal(void) {
  const char *js = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;
  if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st)) return 0;
  return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(int verbose, int quiet) {
  max_level = quiet ? LOG_LEVEL_ERR : verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_NOTICE;
  journal = stderr_is_journal();
  if (!atomic_load(&records_ready)) {
    for (unsigned i = 0; i < LOG_RT_RECORDS; i++) atomic_store(&records[i].seq, i);
    atomic_store(&records_ready, 1);
  }
}

int log_journal(void) { return journal; }

/* One line: the prefix for the level, the text, a newline; one write(2). */
static void write_line(enum log_level level, const char *text) {
  char line[1024];
  int n = journal ? snprintf(line, sizeof line, "<%d>%s\n", (int)level, text)
                  : snprintf(line, sizeof line, "hushd: %s\n", text);
  size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  if (len && line[len - 1] != '\n') line[len - 1] = '\n';
  for (size_t done = 0; done < len;) {
    ssize_t w = write(STDERR_FILENO, line + done, len - done);
    if (w <= 0) break;
    done += (size_t)w;
  }
}

void log_rt(enum log_level level, const char *prefix, const char *text) {
  if ((int)level > max_level || !atomic_load_explicit(&records_ready, memory_order_acquire))
    return;
  unsigned long long t = atomic_load_explicit(&tail, memory_order_relaxed);
  struct record *r;
  for (;;) {
    r = &records[t % LOG_RT_RECORDS];
    unsigned long long seq = atomic_load_explicit(&r->seq, memory_order_acquire);
    if (seq == t) {
      if (atomic_compare_exchange_weak_explicit(&tail, &t, t + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break; /* the record is ours */
    } else if (seq < t) { /* the reader has not freed it yet: full */
      atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
      return;
    } else {
      t = atomic_load_explicit(&tail, memory_order_relaxed); /* another writer took it */
    }
  }
  r->level = (int)level;
  size_t p = strnlen(prefix, LOG_RT_TEXT - 1);
  memcpy(r->text, prefix, p);
  size_t n = strnlen(text, LOG_RT_TEXT - 1 - p);
  memcpy(r->text + p, text, n);
  while (n > 0 && text[n - 1] == '\n') n--; /* libraries end some with one */
  r->text[p + n] = 0;
  atomic_store_explicit(&r->seq, t + 1, memory_order_release);
}

void log_flush(void) {
  if (!atomic_load_explicit(&records_ready, memory_order_acquire)) return;
  pthread_mutex_lock(&flush_lock);
  for (;;) {
    struct record *r = &records[head % LOG_RT_RECORDS];
    if (atomic_load_explicit(&r->seq, memory_order_acquire) != head + 1) break;
    write_line((enum log_level)r->level, r->text);
    atomic_store_explicit(&r->seq, head + LOG_RT_RECORDS, memory_order_release);
    head++;
  }
  unsigned long long d = atomic_load_explicit(&dropped, memory_order_relaxed);
  if (d != dropped_told) {
    char text[96];
    snprintf(text, sizeof text, "%llu library messages dropped (the log queue was full)",
             d - dropped_told);
    write_line(LOG_LEVEL_WARNING, text);
    dropped_told = d;
  }
  pthread_mutex_unlock(&flush_lock);
}

unsigned long long log_rt_dropped(void) { return atomic_load(&dropped); }

void log_msg(enum log_level level, const char *fmt, ...) {
  if ((int)level > max_level) return;
  log_flush(); /* queued lines come first: they happened first */
  char text[1000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  write_line(level, text);
}
