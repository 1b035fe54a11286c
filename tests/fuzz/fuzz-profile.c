/* fuzz-profile: dsp/noise.c's noise-profile parser on arbitrary text, through the public
 * API only (noise_create, noise_profile_load/save, noise_destroy), for the stream the
 * seeds are made for: 48 kHz, fft 256 (129 bins). Oracle besides the sanitizers: a
 * profile that loads saves as one that loads again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noise.h"

enum { RATE = 48000, FFT = 256, HOP = 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1), err[512] = "";
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  struct noise *n = noise_create(FFT / 2 + 1, (float)HOP / RATE, FFT / HOP);
  if (!n) abort();
  if (noise_profile_load(n, RATE, FFT, text, err, sizeof err) == 0) {
    size_t need = noise_profile_save(n, RATE, FFT, NULL, 0) + 1;
    char *saved = malloc(need);
    if (!saved) abort();
    noise_profile_save(n, RATE, FFT, saved, need);
    if (noise_profile_load(n, RATE, FFT, saved, err, sizeof err)) {
      fprintf(stderr, "a saved profile does not load: %s\n%s", err, saved);
      abort();
    }
    free(saved);
  } else if (!*err) {
    abort(); /* every refusal comes with a message */
  }
  noise_destroy(n);
  free(text);
  return 0;
}
