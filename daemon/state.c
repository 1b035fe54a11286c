/* state: the state folder and the remembered noise model (see state.h). */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "engine.h"
#include "profile.h"

#define HEADER "hushd-state 1 channels %d\n"

const char *state_dir(char *buf, size_t len) {
  const char *sd = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  if (sd && *sd) snprintf(buf, len, "%.*s", (int)strcspn(sd, ":"), sd); /* first of a list */
  else if (xdg && *xdg) snprintf(buf, len, "%s/hushd", xdg);
  else if (home && *home) snprintf(buf, len, "%s/.local/state/hushd", home);
  else return NULL;
  return buf;
}

const char *state_model_path(const char *state, char *buf, size_t len) {
  if (!state || (size_t)snprintf(buf, len, "%s/last.profile", state) >= len) return NULL;
  return buf;
}

int state_model_load(struct engine *e, int channels, const char *path, char *err,
                     size_t errlen) {
  char *text = profile_read(path);
  if (!text) {
    snprintf(err, errlen, "%s: %s", path,
             errno == EFBIG ? "too large for a noise model" : strerror(errno));
    return -1;
  }
  int ch = 0, off = 0, rc = -1;
  char msg[512];
  if (sscanf(text, "hushd-state 1 channels %d\n%n", &ch, &off) != 1 || off == 0)
    snprintf(err, errlen, "%s: not a hushd state file", path);
  else if (ch != channels)
    snprintf(err, errlen, "%s: the model is for %d channel%s; this stream has %d", path, ch,
             ch == 1 ? "" : "s", channels);
  else if (engine_profile_load(e, text + off, msg, sizeof msg))
    snprintf(err, errlen, "%s: %s", path, msg);
  else
    rc = 0;
  free(text);
  return rc;
}

/* header + profile, written whole */
static int write_state(const char *path, int channels, const char *profile, char *err,
                       size_t errlen) {
  if (atomic_make_parent(path)) {
    snprintf(err, errlen, "%s: cannot make its folder: %s", path, strerror(errno));
    return -1;
  }
  size_t n = strlen(profile);
  char *text = malloc(n + 64);
  if (!text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int h = snprintf(text, 64, HEADER, channels);
  memcpy(text + h, profile, n);
  int rc = atomic_write(path, text, (size_t)h + n, err, errlen);
  free(text);
  return rc;
}

int state_save_idle(struct engine *e, int channels, const char *path, char *err,
                    size_t errlen) {
  char *text = malloc(PROFILE_MAX_BYTES);
  if (!text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  size_t n = engine_profile_save(e, 0, text, PROFILE_MAX_BYTES);
  int rc = -1;
  if (n == 0 || n >= PROFILE_MAX_BYTES)
    snprintf(err, errlen, "the noise model does not fit in %d bytes", PROFILE_MAX_BYTES);
  else
    rc = write_state(path, channels, text, err, errlen);
  free(text);
  return rc;
}

int state_save_live(struct engine *e, int channels, const char *path, int timeout_ms,
                    char *err, size_t errlen) {
  char *text = profile_save_live(e, timeout_ms, err, errlen);
  if (!text) return -1;
  int rc = write_state(path, channels, text, err, errlen);
  free(text);
  return rc;
}
