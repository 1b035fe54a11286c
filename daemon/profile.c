/* profile: noise profile files (see profile.h). */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
