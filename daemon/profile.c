/* profile: noise profile files and live handovers (see profile.h). */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"

static char *read_text_file(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
    len += got;
    if (len + 1 == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  fclose(f);
  if (!buf) snprintf(err, errlen, "%s: out of memory", path);
  else buf[len] = 0;
  return buf;
}

int profile_load_file(struct engine *e, const char *path, char *err, size_t errlen) {
  char *text = read_text_file(path, err, errlen);
  if (!text) return -1;
  char msg[512];
  int bad = engine_profile_load(e, text, msg, sizeof msg);
  free(text);
  if (bad) snprintf(err, errlen, "%s: %s", path, msg);
  return bad ? -1 : 0;
}

/* Posts x and waits for the audio thread. Returns 0 when it was done, -1 with a message
 * when another handover is pending or no hop came within timeout_ms. */
static int handover(struct engine_xfer *x, int timeout_ms, char *err, size_t errlen) {
  if (engine_xfer_post(x, err, errlen)) return -1;
  const struct timespec tick = {0, 1000000};
  double end = now_s() + timeout_ms / 1000.0;
  while (!engine_xfer_done(x)) {
    if (now_s() > end && engine_xfer_withdraw(x)) {
      snprintf(err, errlen, "the audio engine is not processing (no hop in %d ms)",
               timeout_ms);
      return -1;
    }
    /* not withdrawn: the audio thread has taken it and finishes within this hop */
    nanosleep(&tick, NULL);
  }
  return 0;
}

char *profile_save_live(struct engine *e, int timeout_ms, char *err, size_t errlen) {
  struct engine_xfer *x = engine_xfer_create(e, NULL, err, errlen);
  char *text = NULL;
  if (x && handover(x, timeout_ms, err, errlen) == 0) text = engine_xfer_text(x, err, errlen);
  engine_xfer_destroy(x);
  return text;
}

int profile_load_live(struct engine *e, const char *text, int timeout_ms, char *err,
                      size_t errlen) {
  struct engine_xfer *x = engine_xfer_create(e, text, err, errlen);
  if (!x) return -1;
  int rc = handover(x, timeout_ms, err, errlen);
  engine_xfer_destroy(x);
  return rc;
}
