/* settings: everything a hushd run is told, from defaults, the command line and the
 * config file (config/configfile.h), checked against the one parameter table
 * (dsp/params.h) and, for the options that are not DSP parameters, SO_TABLE below.
 *
 * Main thread only. Strings point into argv or into the struct configfile that read
 * them (it must outlive the settings).
 */
#ifndef HUSHD_SETTINGS_H
#define HUSHD_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#include "params.h"

/* The settings besides the DSP parameters that a config file holds, one row each:
 * X(section, key, type, field, min, max, unit, help). For SO_STRING, min 1 means "must
 * not be empty"; an empty optional string is stored as NULL (= the default). */
enum so_type { SO_STRING, SO_INT, SO_FLOAT, SO_BOOL };
#define SO_TABLE(X) \
  X(audio, input_device, SO_STRING, input_device, 0, 0, "", \
    "capture device: index or part of its name (empty = the default device)") \
  X(audio, output_device, SO_STRING, output_device, 0, 0, "", \
    "playback device: index or part of its name (empty = the default device)") \
  X(audio, rate, SO_INT, rate_hz, 8000, 384000, "Hz", "sample rate") \
  X(audio, frames, SO_INT, frames, 16, 8192, "frames", "frames per audio callback") \
  X(audio, channels, SO_INT, channels, 1, 64, "", "channels captured, denoised and played") \
  X(noise, profile, SO_STRING, profile, 0, 0, "", \
    "noise profile file to start from (empty = none, the model learns as it goes)") \
  X(noise, learn_s, SO_FLOAT, learn_s, 0, 600, "s", \
    "learn the noise from the first seconds of input (0 = off)") \
  X(osc, bind, SO_STRING, osc_bind, 1, 0, "", "address the OSC server listens on") \
  X(osc, port, SO_INT, osc_port, 1, 65535, "", "OSC UDP port") \
  X(osc, allow, SO_STRING, osc_allow, 0, 0, "", \
    "senders OSC obeys: addresses or CIDR networks, comma-separated (empty = this machine only)") \
  X(osc, enabled, SO_BOOL, osc_enabled, 0, 1, "", "1 = run the OSC server, 0 = none")

enum so_id {
#define SO_ENUM(section, key, type, field, min, max, unit, help) SO_##section##_##key,
  SO_TABLE(SO_ENUM)
#undef SO_ENUM
  SO_COUNT
};

struct so_info {
  const char *section, *key;
  enum so_type type;
  size_t offset; /* of the field in struct settings */
  double min, max;
  const char *unit, *help; /* unit "" when unitless */
};

struct settings {
  struct hp_values params;          /* DSP parameters; fft/hop 0 = auto */
  unsigned char param_set[HP_COUNT]; /* 1 where the command line set it */
  unsigned char option_set[SO_COUNT]; /* SO_TABLE options the command line set */
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
  const char *osc_bind, *osc_allow; /* osc_allow NULL = loopback only */
  int osc_port, osc_enabled;

  /* general */
  const char *config_file;
  int verbose, quiet, print_config;
};

void settings_defaults(struct settings *s);

const struct so_info *so_info(int id);                 /* NULL when out of range */
int so_find(const char *section, const char *key);     /* id, or -1 when unknown */

/* Parses text for option id and stores it in s; strings are stored as the pointer
 * given, so text must live as long as s. label names the option in the message
 * ("--rate", "rate"). Returns 0, or -1 with a message giving the allowed range. */
int settings_set_option(struct settings *s, int id, const char *text, const char *label,
                        char *err, size_t errlen);
/* Prints option id's value as a config file holds it ("" for a NULL string). */
void settings_format_option(const struct settings *s, int id, char *buf, size_t buflen);

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
