/* fuzz-sndfile: offline mode's input path on arbitrary bytes: libsndfile opens them from
 * memory (sf_open_virtual), then daemon/offline.c checks the input and runs it through
 * the engine into a discarding output in the input's own format, as hushd --input does.
 * An odd-sized input also learns from its first 0.1 s (--learn). Oracle besides the
 * sanitizers: every refusal comes with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "offline.h"

/* The input: the fuzzer's bytes, read from memory. */
struct memfile {
  const uint8_t *data;
  sf_count_t size, pos;
};

static sf_count_t mem_len(void *user) { return ((struct memfile *)user)->size; }

static sf_count_t mem_seek(sf_count_t offset, int whence, void *user) {
  struct memfile *m = user;
  sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? m->pos + offset
                                                                   : m->size + offset;
  if (to < 0 || to > m->size) return -1;
  return m->pos = to;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *user) {
  struct memfile *m = user;
  if (count > m->size - m->pos) count = m->size - m->pos;
  if (count <= 0) return 0;
  memcpy(ptr, m->data + m->pos, (size_t)count);
  m->pos += count;
  return count;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *user) {
  (void)ptr, (void)count, (void)user;
  return 0; /* the input is read only */
}

static sf_count_t mem_tell(void *user) { return ((struct memfile *)user)->pos; }

/* The output: takes everything, keeps only its length and position (libsndfile seeks
 * back to finish the header). */
struct sink {
  sf_count_t size, pos;
};

static sf_count_t sink_len(void *user) { return ((struct sink *)user)->size; }

static sf_count_t sink_seek(sf_count_t offset, int whence, void *user) {
  struct sink *s = user;
  sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? s->pos + offset
                                                                   : s->size + offset;
  if (to < 0) return -1;
  return s->pos = to;
}

static sf_count_t sink_read(void *ptr, sf_count_t count, void *user) {
  (void)ptr, (void)count, (void)user;
  return 0;
}

static sf_count_t sink_write(const void *ptr, sf_count_t count, void *user) {
  (void)ptr;
  struct sink *s = user;
  s->pos += count;
  if (s->pos > s->size) s->size = s->pos;
  return count;
}

static sf_count_t sink_tell(void *user) { return ((struct sink *)user)->pos; }

static void need_message(int failed, const char *err) {
  if (failed && !*err) {
    fprintf(stderr, "refused without a message\n");
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static SF_VIRTUAL_IO in_io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
  static SF_VIRTUAL_IO out_io = {sink_len, sink_seek, sink_read, sink_write, sink_tell};
  struct memfile m = {data, (sf_count_t)size, 0};
  SF_INFO info = {0};
  SNDFILE *in = sf_open_virtual(&in_io, SFM_READ, &info, &m);
  if (!in) return 0;
  char err[1024] = "";
  struct hp_values p;
  hp_defaults(&p);
  struct engine *e = NULL;
  int failed = offline_check_input(in, &info, "fuzz", err, sizeof err);
  need_message(failed, err);
  /* a header can announce any rate, channel count and length: hushd takes what the
   * engine takes; the cap keeps one input within a second of work */
  if (!failed && info.frames <= (1 << 20) && info.channels <= 16 &&
      (e = engine_create(&p, info.samplerate, info.channels, ENGINE_PLAN_ESTIMATE, err,
                         sizeof err))) {
    SF_INFO oinfo = info;
    struct sink s = {0, 0};
    SNDFILE *out = sf_format_check(&info) ? sf_open_virtual(&out_io, SFM_WRITE, &oinfo, &s)
                                          : NULL;
    if (out) {
      err[0] = 0;
      failed = offline_process(e, &p, size % 2 ? 0.1f : 0, in, &info, out, NULL, 1, "fuzz",
                               "fuzz-out", err, sizeof err);
      need_message(failed, err);
      sf_close(out);
    }
  }
  engine_destroy(e);
  sf_close(in);
  return 0;
}
