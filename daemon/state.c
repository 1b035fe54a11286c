/* state: the state folder and the remembered noise model (see state.h). */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "engine.h"
#include "profile.h"

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

int state_model_load(struct engine *e, const char *path, char *err, size_t errlen) {
  return profile_load_file(e, path, err, errlen);
}

static int write_text(const char *path, const char *text, char *err, size_t errlen) {
  if (atomic_make_parent(path)) {
    snprintf(err, errlen, "%s: cannot make its folder", path);
    return -1;
  }
  return atomic_write(path, text, strlen(text), err, errlen);
}

int state_save_idle(struct engine *e, const char *path, char *err, size_t errlen) {
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
    rc = write_text(path, text, err, errlen);
  free(text);
  return rc;
}

int state_save_live(struct engine *e, const char *path, int timeout_ms, char *err,
                    size_t errlen) {
  char *text = profile_save_live(e, timeout_ms, err, errlen);
  if (!text) return -1;
  int rc = write_text(path, text, err, errlen);
  free(text);
  return rc;
}
