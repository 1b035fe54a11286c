/* params: the one parameter table of hushd.
 *
 * Every setting that the CLI (--set), the config file, OSC, --help and the docs know
 * comes from HP_TABLE below, expanded where needed (X-macro). A name means the same
 * thing everywhere. Values are stored as float; the type says how to parse and print.
 *
 * Pure data and validation: no I/O, no allocation, safe from any thread.
 */
#ifndef HUSHD_PARAMS_H
#define HUSHD_PARAMS_H

#include <stddef.h>

enum hp_type { HP_FLOAT, HP_INT, HP_BOOL };

/* X(name, type, unit, min, max, default, live, help)
 * live: 1 = may change while audio runs (OSC, SIGHUP), 0 = needs a restart.
 * fft_size/hop_size default 0 = "auto": about 21 ms window and a quarter of it as hop,
 * rounded to powers of two for the sample rate (hp_resolve). */
#define HP_TABLE(X) \
  X(threshold, HP_FLOAT, "dB", -10.0, 30.0, 3.0, 1, \
    "keep a bin when its estimated speech-to-noise ratio (decision-directed a priori SNR) exceeds this") \
  X(onset_db, HP_FLOAT, "dB", 0.0, 60.0, 12.0, 1, \
    "also keep a bin at once when its power exceeds the noise by this much (word onsets)") \
  X(speech_band_db, HP_FLOAT, "dB", -20.0, 20.0, -1.5, 1, \
    "added to threshold and onset_db in 300-3400 Hz, where speech has most of its energy") \
  X(high_band_db, HP_FLOAT, "dB", -20.0, 20.0, 2.0, 1, \
    "added to threshold and onset_db above 4 kHz, where most bins hold only noise") \
  X(low_band_db, HP_FLOAT, "dB", -20.0, 20.0, 6.0, 1, \
    "added to threshold and onset_db below 100 Hz, under most voices' fundamental") \
  X(isolated, HP_BOOL, "", 0, 1, 1, 1, \
    "1 = drop a kept bin with no kept neighbour in frequency or time (musical noise)") \
  X(reduction_db, HP_FLOAT, "dB", 0.0, 80.0, 20.0, 1, \
    "attenuation applied to bins judged to be noise (the gate's floor)") \
  X(active_reduction_db, HP_FLOAT, "dB", 0.0, 80.0, 16.0, 1, \
    "attenuation of noise bins while speech is present (at most reduction_db): keeps weak speech whole") \
  X(attack_ms, HP_FLOAT, "ms", 0.0, 200.0, 0.0, 1, \
    "time for a bin's gain to open once it is kept (0 = instant, protects onsets)") \
  X(hold_ms, HP_FLOAT, "ms", 0.0, 1000.0, 0.0, 1, \
    "time a bin stays open after it was last kept") \
  X(release_ms, HP_FLOAT, "ms", 0.0, 1000.0, 10.0, 1, \
    "time for a bin's gain to fall to the floor after the hold") \
  X(freq_smooth_hz, HP_FLOAT, "Hz", 0.0, 2000.0, 0.0, 1, \
    "half-width of a majority vote of the mask across frequency (0 = off)") \
  X(transient_db, HP_FLOAT, "dB", 0.0, 60.0, 18.0, 1, \
    "suppress a transient (click, knock) when the band above 2 kHz rises by this much within 10 ms in a burst of a millisecond or two (0 = off)") \
  X(transient_ms, HP_FLOAT, "ms", 0.0, 500.0, 25.0, 1, \
    "how long a transient is suppressed after its onset") \
  X(wet, HP_FLOAT, "", 0.0, 1.0, 1.0, 1, \
    "mix of denoised (1) and latency-aligned dry (0) signal") \
  X(adapt, HP_BOOL, "", 0, 1, 1, 1, \
    "1 = the noise model keeps following the noise, 0 = frozen") \
  X(bypass, HP_BOOL, "", 0, 1, 0, 1, \
    "1 = pass the latency-aligned input through (crossfaded, no click)") \
  X(channels_linked, HP_BOOL, "", 0, 1, 1, 0, \
    "1 = one mask shared by all channels, 0 = each channel its own") \
  X(fft_size, HP_INT, "samples", 0, 16384, 0, 0, \
    "STFT size, a power of two from 64 (0 = about 21 ms for the rate)") \
  X(hop_size, HP_INT, "samples", 0, 8192, 0, 0, \
    "STFT hop, dividing fft_size, at most fft_size/2 (0 = fft_size/4)")

enum hp_id {
#define HP_ENUM(name, type, unit, min, max, def, live, help) HP_##name,
  HP_TABLE(HP_ENUM)
#undef HP_ENUM
  HP_COUNT
};

struct hp_info {
  const char *name;
  enum hp_type type;
  const char *unit; /* "" when unitless */
  double min, max, def;
  int live;
  const char *help;
};

/* A full set of values, indexed by enum hp_id. Plain data: copy freely. */
struct hp_values {
  float v[HP_COUNT];
};

const struct hp_info *hp_info(int id);  /* NULL when id is out of range */
int hp_find(const char *name);          /* id, or -1 when unknown */
void hp_defaults(struct hp_values *out);

/* Checks one value against the table (range, integer, boolean, power of two for
 * fft_size). Returns 0, or -1 with a one-line message in err naming the parameter
 * and its allowed range. */
int hp_check(int id, double value, char *err, size_t errlen);

/* Parses text for parameter id ("0.5", "on", "true", "-20"...) and checks it.
 * Returns 0 and stores the value, or -1 with a message in err. */
int hp_parse(int id, const char *text, float *value, char *err, size_t errlen);

/* The words a boolean may be written as: on/true/yes -> 1, off/false/no -> 0 (any case).
 * Returns 1 and sets *value when text is one of them, 0 otherwise. */
int hp_bool_word(const char *text, double *value);

/* Prints a value in the parameter's own type into buf ("1.5", "1024", "1"). */
void hp_format(int id, float value, char *buf, size_t buflen);

/* Resolves automatic fft_size/hop_size for a sample rate and checks that hop divides
 * fft and is at most fft/2. Returns 0, or -1 with a message. */
int hp_resolve(struct hp_values *values, int rate_hz, char *err, size_t errlen);

/* Named presets ("voice" is the defaults). hp_preset_apply overwrites the preset's
 * parameters in values; returns 0, or -1 with a message listing the names. */
int hp_preset_count(void);
const char *hp_preset_name(int index);
const char *hp_preset_help(int index);
int hp_preset_apply(struct hp_values *values, const char *name, char *err, size_t errlen);

#endif
