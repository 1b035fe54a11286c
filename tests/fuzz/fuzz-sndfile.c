/* fuzz-sndfile: offline mode's input path on arbitrary bytes: libsndfile opens them from
 * memory (sf_open_virtual), then daemon/offline.c checks the input and runs it through
 * the engine into a discarding output in the input's own format, as hushd --input does.
 * The input's size picks the options: odd, it also learns from its first 0.1 s
 * (--learn); size % 4 of 2 or 3, it also fills a spectrogram (--spectrogram, without
 * drawing the PNG). Oracle besides the sanitizers: every refusal comes with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "offline.h"
#include "picture.h"

/* A file in memory for libsndfile: the input (data: the fuzzer's bytes, read only) or
 * the output (data NULL: takes everything, keeps only its length and position, as
 * libsndfile seeks back to finish a header). */
struct vfile {
  const uint8_t *data;
  sf_count_t size, pos;
};

static sf_count_t vf_len(void *user) { return ((struct vfile *)user)->size; }

static sf_count_t vf_seek(sf_count_t offset, int whence, void *user) {
  struct vfile *f = user;
  sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? f->pos + offset
                                                                   : f->size + offset;
  if (to < 0 || (f->data && to > f->size)) return -1;
  return f->pos = to;
}

static sf_count_t vf_read(void *ptr, sf_count_t count, void *user) {
  struct vfile *f = user;
  sf_count_t left = f->data ? f->size - f->pos : 0;
  if (count > left) count = left;
  if (count <= 0) return 0;
  memcpy(ptr, f->data + f->pos, (size_t)count);
  f->pos += count;
  return count;
}

static sf_count_t vf_write(const void *ptr, sf_count_t count, void *user) {
  (void)ptr;
  struct vfile *f = user;
  if (f->data) return 0;
  f->pos += count;
  if (f->pos > f->size) f->size = f->pos;
  return count;
}

static sf_count_t vf_tell(void *user) { return ((struct vfile *)user)->pos; }

static void need_message(int failed, const char *err) {
  if (failed && !*err) {
    fprintf(stderr, "refused without a message\n");
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static SF_VIRTUAL_IO io = {vf_len, vf_seek, vf_read, vf_write, vf_tell};
  struct vfile m = {data, (sf_count_t)size, 0}, sink = {NULL, 0, 0};
  SF_INFO info = {0};
  SNDFILE *in = sf_open_virtual(&io, SFM_READ, &info, &m);
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
    SNDFILE *out = sf_format_check(&info) ? sf_open_virtual(&io, SFM_WRITE, &oinfo, &sink)
                                          : NULL;
    struct picture *pic =
        size % 4 < 2 ? NULL
                     : picture_create(info.samplerate, info.channels, engine_fft_size(e),
                                      engine_hop_size(e), info.frames, err, sizeof err);
    if (out) {
      err[0] = 0;
      failed = offline_process(e, &p, size % 2 ? 0.1f : 0, in, &info, out, pic, 1, "fuzz",
                               "fuzz-out", err, sizeof err);
      need_message(failed, err);
      sf_close(out);
    }
    picture_destroy(pic);
  }
  engine_destroy(e);
  sf_close(in);
  return 0;
}
