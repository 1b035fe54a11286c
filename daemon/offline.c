/* offline: file in, engine, file out (see offline.h). */
#include "offline.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

#define CHUNK 4096 /* frames per read */

static char *read_text_file(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
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

/* Learns the noise from the first learn_s seconds with a throw-away engine and loads
 * the profile into e, so the whole file, its start included, is gated with it. */
static int learn_first_seconds(struct engine *e, const struct hp_values *p, SNDFILE *in,
                               const SF_INFO *info, float learn_s, float *buf, char *err,
                               size_t errlen) {
  struct engine *l = engine_create(p, info->samplerate, info->channels, 0, err, errlen);
  if (!l) return 2;
  sf_count_t want = (sf_count_t)(learn_s * info->samplerate);
  if (want > info->frames) want = info->frames;
  engine_learn(l, (float)want / info->samplerate);
  sf_count_t done = 0;
  while (done < want) {
    sf_count_t n = want - done < CHUNK ? want - done : CHUNK;
    n = sf_readf_float(in, buf, n);
    if (n <= 0) break;
    engine_process(l, buf, buf, (size_t)n);
    done += n;
  }
  /* the tracker needs the last hop collected: push the engine's latency of silence */
  memset(buf, 0, (size_t)CHUNK * info->channels * sizeof(float));
  for (size_t left = engine_latency_frames(l) + engine_hop_size(l); left;) {
    size_t n = left < CHUNK ? left : CHUNK;
    engine_process(l, buf, buf, n);
    left -= n;
  }
  size_t need = engine_profile_save(l, 0, NULL, 0) + 1;
  char *text = malloc(need);
  int rc = 0;
  if (!text) {
    snprintf(err, errlen, "out of memory");
    rc = 1;
  } else {
    engine_profile_save(l, 0, text, need);
    if (engine_profile_load(e, text, err, errlen)) rc = 1;
  }
  free(text);
  engine_destroy(l);
  if (!rc && sf_seek(in, 0, SEEK_SET) < 0) {
    snprintf(err, errlen, "%s", "cannot rewind the input after learning");
    rc = 1;
  }
  return rc;
}

int offline_run(const struct settings *s, char *err, size_t errlen) {
  SF_INFO info = {0};
  SNDFILE *in = sf_open(s->input, SFM_READ, &info);
  if (!in) {
    snprintf(err, errlen, "%s: cannot read audio: %s", s->input, sf_strerror(NULL));
    return 2;
  }
  if (info.frames <= 0) {
    snprintf(err, errlen, "%s: the file holds no audio", s->input);
    sf_close(in);
    return 2;
  }
  int rc = 2;
  struct engine *e =
      engine_create(&s->params, info.samplerate, info.channels, 0, err, errlen);
  float *buf = NULL;
  char *tmp = NULL;
  SNDFILE *out = NULL;
  if (!e) goto done;
  if (!(buf = malloc((size_t)CHUNK * info.channels * sizeof(float)))) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  if (s->profile) {
    char *text = read_text_file(s->profile, err, errlen);
    if (!text) goto done;
    int bad = engine_profile_load(e, text, err, errlen);
    free(text);
    if (bad) {
      /* prefix the file name to the loader's message */
      char msg[512];
      snprintf(msg, sizeof msg, "%s", err);
      snprintf(err, errlen, "%s: %s", s->profile, msg);
      goto done;
    }
  }
  if (s->learn_s > 0 &&
      (rc = learn_first_seconds(e, &s->params, in, &info, s->learn_s, buf, err, errlen)))
    goto done;

  /* Write to a temporary file beside the output, renamed when complete. */
  rc = 1;
  size_t tl = strlen(s->output) + 16;
  if (!(tmp = malloc(tl))) goto done;
  snprintf(tmp, tl, "%s.tmp-XXXXXX", s->output);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot create a file there: %s", s->output, strerror(errno));
    free(tmp);
    tmp = NULL;
    goto done;
  }
  /* mkstemp makes 0600; give the output the permissions a new file normally gets */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  SF_INFO oinfo = info;
  if (!(out = sf_open_fd(fd, SFM_WRITE, &oinfo, SF_TRUE))) {
    snprintf(err, errlen, "%s: cannot write this format: %s", s->output, sf_strerror(NULL));
    close(fd);
    goto done;
  }
  sf_command(out, SFC_SET_CLIPPING, NULL, SF_TRUE);

  /* Stream through: skip the engine's first `latency` output frames and push as many
   * frames of silence at the end, so the output lines up with the input. */
  size_t latency = engine_latency_frames(e), skip = latency, flush = latency;
  sf_count_t written = 0;
  for (;;) {
    sf_count_t n = sf_readf_float(in, buf, CHUNK);
    if (n <= 0) {
      if (!flush) break;
      n = flush < CHUNK ? (sf_count_t)flush : CHUNK;
      memset(buf, 0, (size_t)n * info.channels * sizeof(float));
      flush -= (size_t)n;
    }
    engine_process(e, buf, buf, (size_t)n);
    size_t drop = skip < (size_t)n ? skip : (size_t)n;
    skip -= drop;
    sf_count_t keep = n - (sf_count_t)drop;
    if (written + keep > info.frames) keep = info.frames - written;
    if (keep > 0 && sf_writef_float(out, buf + drop * info.channels, keep) != keep) {
      snprintf(err, errlen, "%s: write failed: %s", s->output, sf_strerror(out));
      goto done;
    }
    written += keep;
  }
  sf_write_sync(out);
  if (sf_close(out)) {
    out = NULL;
    snprintf(err, errlen, "%s: could not finish writing", s->output);
    goto done;
  }
  out = NULL;
  if (rename(tmp, s->output)) {
    snprintf(err, errlen, "%s: %s", s->output, strerror(errno));
    goto done;
  }
  free(tmp);
  tmp = NULL;
  if (s->save_profile) {
    size_t need = engine_profile_save(e, 0, NULL, 0) + 1;
    char *text = malloc(need);
    FILE *f = text ? fopen(s->save_profile, "w") : NULL;
    if (f) {
      engine_profile_save(e, 0, text, need);
      fputs(text, f);
    }
    if (!f || fclose(f)) {
      snprintf(err, errlen, "%s: cannot write the profile: %s", s->save_profile,
               strerror(errno));
      free(text);
      goto done;
    }
    free(text);
  }
  rc = 0;
done:
  if (out) sf_close(out);
  if (tmp) unlink(tmp);
  free(tmp);
  free(buf);
  engine_destroy(e);
  sf_close(in);
  return rc;
}
