/* settings: everything a hushd run is told, from defaults, the command line and (later)
 * the config file, checked against the one parameter table (dsp/params.h).
 *
 * Main thread only. Strings point into argv or into the settings' own storage.
 */
#ifndef HUSHD_SETTINGS_H
#define HUSHD_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#include "params.h"

struct settings {
  struct hp_values params;          /* DSP parameters; fft/hop 0 = auto */
  unsigned char param_set[HP_COUNT]; /* 1 where the command line set it */
  const char *preset;               /* NULL = none given (voice) */

  /* offline mode (--input) */
  const char *input, *output, *spectrogram;
  const char *profile, *save_profile; /* noise profile files */
  float learn_s;                    /* learn the noise from the first seconds; 0 = off */
  const char *wisdom;               /* FFTW wisdom file; NULL = FFTW_ESTIMATE */
  const char *demo_dir;             /* --demo: make and denoise a sample into this folder */

  /* live mode */
  const char *input_device, *output_device; /* NULL = default; name substring or index */
  int rate_hz, frames, channels;    /* frames: callback size */
  int list_devices;

  /* OSC */
  const char *osc_bind;
  int osc_port, osc_enabled;

  /* general */
  const char *config_file;
  int verbose, quiet, print_config;
};

void settings_defaults(struct settings *s);

/* Parses argv. Returns 0 to run, 1 when --help or --version was printed to out (exit 0),
 * or -1 with a one-line message in err (exit 2). */
int settings_parse_args(struct settings *s, int argc, char **argv, FILE *out, char *err,
                        size_t errlen);

/* Applies a "NAME=VALUE" assignment (as given to --set). Returns 0 or -1 with a message
 * naming the parameter and its allowed range. */
int settings_assign(struct settings *s, const char *assignment, char *err, size_t errlen);

/* --help text, generated from the option list and the parameter table. */
void settings_print_help(FILE *out, const char *prog);

#endif
