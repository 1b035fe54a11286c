/* demo: hushd --demo DIR, the no-sound-card tour (scripts/run --demo).
 *
 * Makes a noisy speech sample, denoises it with the offline mode and the run's
 * settings, and writes into DIR (created if missing):
 *   demo-noisy.wav        speech + pink-ish noise + a 50 Hz hum, 16-bit mono
 *   demo-denoised.wav     hushd's output
 *   demo-spectrogram.png  input, mask and output (see picture.h)
 * The speech is espeak-ng's when it is installed, else a synthetic voice (harmonics
 * under moving formants with a syllable-rate envelope). The noise is seeded, so a run
 * makes the same files every time. Prints what it made and where to out.
 *
 * Main thread; allocates freely.
 */
#ifndef HUSHD_DEMO_H
#define HUSHD_DEMO_H

#include <stddef.h>
#include <stdio.h>

#include "settings.h"

/* Returns the exit status (0, 1 failed, 2 bad settings or folder) with a message in err. */
int demo_run(const struct settings *s, FILE *out, char *err, size_t errlen);

#endif
