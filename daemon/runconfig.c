/* runconfig: SIGHUP reload and config save of a running daemon (see runconfig.h). */
#include "runconfig.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct runconfig {
  pthread_mutex_t lock; /* reload (main thread) against save (OSC thread) */
  struct settings *s;
  struct configfile *file;
  struct engine *engine;
  int argc;
  char **argv;
  char path[PATH_MAX]; /* where a save goes */
};

static void set_path(struct runconfig *r) {
  if (r->file)
    snprintf(r->path, sizeof r->path, "%s", configfile_path(r->file));
  else if (configfile_user_path(r->path, sizeof r->path))
    r->path[0] = 0;
}

struct runconfig *runconfig_create(struct settings *s, struct configfile *file, int argc,
                                   char **argv) {
  struct runconfig *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  pthread_mutex_init(&r->lock, NULL);
  r->s = s;
  r->file = file;
  r->argc = argc;
  r->argv = argv;
  set_path(r);
  return r;
}

void runconfig_destroy(struct runconfig *r) {
  if (!r) return;
  configfile_destroy(r->file);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

void runconfig_attach(struct runconfig *r, struct engine *e) {
  pthread_mutex_lock(&r->lock);
  r->engine = e;
  pthread_mutex_unlock(&r->lock);
}

const char *runconfig_path(const struct runconfig *r) { return r->path; }

/* appends ", what" (or "what" first) to a summary buffer */
static void add(char *buf, size_t len, const char *fmt, ...) {
  size_t n = strlen(buf);
  if (n + 3 >= len) return;
  if (n) n += (size_t)snprintf(buf + n, len - n, ", ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + n, len - n, fmt, ap);
  va_end(ap);
}

int runconfig_reload(struct runconfig *r, char *what, size_t whatlen, char *err,
                     size_t errlen) {
  struct settings next;
  struct configfile *file;
  /* the arguments parsed at start-up: they cannot print --help or fail now */
  if (configfile_build(&next, &file, r->argc, r->argv, stdout, err, errlen)) return -1;
  /* each value was checked; their combination (hop_size against fft_size) is checked
   * here, so that a reload never leaves settings that cannot make an engine */
  struct hp_values resolved = next.params;
  char msg[256];
  if (hp_resolve(&resolved, next.rate_hz, msg, sizeof msg)) {
    snprintf(err, errlen, "%s%s%s", file ? configfile_path(file) : "", file ? ": " : "", msg);
    configfile_destroy(file);
    return -1;
  }
  pthread_mutex_lock(&r->lock);
  int restart = 0;
  *what = 0;
  for (int id = 0; id < SO_COUNT; id++) {
    char was[256], now[256];
    settings_format_option(r->s, id, was, sizeof was);
    settings_format_option(&next, id, now, sizeof now);
    if (strcmp(was, now)) {
      int stream = !strcmp(so_info(id)->section, "audio");
      restart |= stream;
      add(what, whatlen, "%s '%s' -> '%s'%s", so_info(id)->key, was, now,
          stream ? "" : " (at the next start)");
    }
  }
  for (int id = 0; id < HP_COUNT; id++) {
    const struct hp_info *p = hp_info(id);
    float was = p->live && r->engine ? engine_get_param(r->engine, id) : r->s->params.v[id];
    float now = next.params.v[id];
    if (was == now) continue;
    char a[32], b[32];
    hp_format(id, was, a, sizeof a);
    hp_format(id, now, b, sizeof b);
    add(what, whatlen, "%s %s -> %s", p->name, a, b);
    if (!p->live)
      restart = 1;
    else if (r->engine)
      engine_set_param(r->engine, id, now, err, errlen); /* checked by the file's reader */
  }
  if (!*what) snprintf(what, whatlen, "nothing changed");
  *r->s = next;
  configfile_destroy(r->file);
  r->file = file;
  set_path(r);
  pthread_mutex_unlock(&r->lock);
  return restart;
}

int runconfig_save(void *ctx, char *err, size_t errlen) {
  struct runconfig *r = ctx;
  pthread_mutex_lock(&r->lock);
  struct settings now = *r->s;
  for (int id = 0; id < HP_COUNT && r->engine; id++)
    if (hp_info(id)->live) now.params.v[id] = engine_get_param(r->engine, id);
  int rc;
  if (!r->path[0]) {
    snprintf(err, errlen, "no config file to save to (neither XDG_CONFIG_HOME nor HOME set)");
    rc = -1;
  } else {
    rc = configfile_save(r->path, &now, err, errlen);
  }
  pthread_mutex_unlock(&r->lock);
  return rc;
}
