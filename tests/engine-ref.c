/* engine-ref: the reference for tests/test-offline.py. Runs a whole file through
 * engine_process in ONE call (plus fft_size - 1 frames of silence), drops the first
 * fft_size - 1 output frames and writes the rest as raw interleaved float32, so the
 * test can require hushd's output file to be exactly this.
 *
 * Usage: engine-ref IN OUT.raw [NAME=VALUE]...   (exit 0, or 1 with a message)
 */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: engine-ref IN OUT.raw [NAME=VALUE]...\n");
    return 1;
  }
  char err[256];
  struct hp_values p;
  hp_defaults(&p);
  for (int i = 3; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    int id = eq ? (*eq = 0, hp_find(argv[i])) : -1;
    if (id < 0 || hp_parse(id, eq + 1, &p.v[id], err, sizeof err)) {
      fprintf(stderr, "engine-ref: bad setting %s\n", argv[i]);
      return 1;
    }
  }
  SF_INFO info = {0};
  SNDFILE *in = sf_open(argv[1], SFM_READ, &info);
  struct engine *e = in ? engine_create(&p, info.samplerate, info.channels, 0, err, sizeof err)
                        : NULL;
  if (!e) {
    fprintf(stderr, "engine-ref: %s\n", in ? err : sf_strerror(NULL));
    return 1;
  }
  size_t lat = engine_latency_frames(e), n = (size_t)info.frames + lat, ch = info.channels;
  float *x = calloc(n * ch, sizeof(float));
  if (!x || sf_readf_float(in, x, info.frames) != info.frames) {
    fprintf(stderr, "engine-ref: cannot read %s\n", argv[1]);
    return 1;
  }
  engine_process(e, x, x, n);
  FILE *out = fopen(argv[2], "wb");
  if (!out || fwrite(x + lat * ch, sizeof(float), (size_t)info.frames * ch, out) !=
                  (size_t)info.frames * ch || fclose(out)) {
    fprintf(stderr, "engine-ref: cannot write %s\n", argv[2]);
    return 1;
  }
  free(x);
  engine_destroy(e);
  sf_close(in);
  return 0;
}
