/* log: leveled one-line messages on stderr, journal-aware (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int max_level = LOG_LEVEL_NOTICE;
static int journal;

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
}

int log_journal(void) { return journal; }

void log_msg(enum log_level level, const char *fmt, ...) {
  if ((int)level > max_level) return;
  char line[1024];
  int n = journal ? snprintf(line, sizeof line, "<%d>", (int)level)
                  : snprintf(line, sizeof line, "hushd: ");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  for (size_t done = 0; done < len;) {
    ssize_t w = write(STDERR_FILENO, line + done, len - done);
    if (w <= 0) break;
    done += (size_t)w;
  }
}
