/* profile: noise profile files and live handovers (see profile.h). */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"

char *profile_read(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *text = malloc(PROFILE_MAX_BYTES + 1);
  if (!text) {
    fclose(f);
    errno = ENOMEM;
    return NULL;
  }
  /* one byte more than allowed tells a file that is too large */
  size_t n = fread(text, 1, PROFILE_MAX_BYTES + 1, f);
  int failed = ferror(f), err = errno;
  fclose(f);
  if (failed || n > PROFILE_MAX_BYTES) {
    free(text);
    errno = failed ? err : EFBIG;
    return NULL;
  }
  text[n] = 0;
  return text;
}

int profile_load_file(struct engine *e, const char *path, char *err, size_t errlen) {
  char *text = profile_read(path);
  if (!text) {
    if (errno == EFBIG)
      snprintf(err, errlen, "%s: larger than %d bytes: not a noise profile", path,
               PROFILE_MAX_BYTES);
    else
      snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
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
