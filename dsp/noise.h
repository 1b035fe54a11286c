/* noise: the per-bin noise model the gate compares against.
 *
 * The model is a per-bin mean noise power (the expected |X|^2 of a noise-only frame) and
 * a spread of the noise level in dB. It comes from an adaptive causal tracker (needs no
 * noise-only lead-in, follows slow changes, can be frozen), from learning over a stretch
 * of frames, or from a saved profile (serialised to and from a byte buffer here; files
 * are the caller's business).
 *
 * The mean is in the power domain so that the gate compares powers, with no per-bin
 * log/exp; the spread noise_std_db()[k] changes only when the model's kind changes
 * (noise_std_epoch() counts those changes), so the gate can cache anything made from it.
 *
 * create/destroy/profile_* allocate or format text: main thread. update/learn_*: RT-safe.
 */
#ifndef HUSHD_NOISE_H
#define HUSHD_NOISE_H

#include <stddef.h>

struct noise;

/* bins: spectrum size; hop_s: seconds between frames (scales the time constants);
 * frames_per_window: fft/hop (the first fft/hop - 1 frames of a stream are partly the
 * STFT's initial zeros and are not taken as noise). */
struct noise *noise_create(int bins, float hop_s, int frames_per_window);
void noise_destroy(struct noise *n);

/* RT-safe. power: bins values |X|^2 of the newest frame. When adapt is 0 the model is
 * frozen (learning still runs if started). A frame of digital silence (all 0) changes
 * nothing, learning included. */
void noise_update(struct noise *n, const float *power, int adapt);

/* RT-safe. Starts learning from the next `frames` frames: when they are done the model
 * becomes their per-bin mean/std in dB (the tracker then continues from it if adapt). */
void noise_learn_start(struct noise *n, int frames);
int noise_learning(const struct noise *n); /* frames still to learn; 0 = not learning */

const float *noise_mean_power(const struct noise *n); /* bins values, > 0 */
/* bins values: 1 / (mean power x a factor from a learned spread, 1 when adaptive);
 * the gate compares |X|^2 times this with its thresholds */
const float *noise_inv_power(const struct noise *n);
const float *noise_std_db(const struct noise *n);     /* bins values */
/* bins values: the gate multiplies |X|^2 x noise_inv_power by this for its onset test
 * (a learned spread moves the onset threshold less than the a priori SNR threshold;
 * 1 when adaptive) */
const float *noise_onset_scale(const struct noise *n);
unsigned noise_std_epoch(const struct noise *n);

/* Profile text format, version 2:
 *   hushd-noise-profile 2\n kind adaptive|learned\n rate R\n fft N\n bins B\n
 *   then B lines "power_db std_db" (power_db = 10 log10 of the mean noise power).
 * Version 1 (no kind line) still loads, as a learned profile. A learned profile is
 * trusted (its spread sets the gate's thresholds, the tracker follows slow drift); an
 * adaptive one is continued by the tracker as if it had made it.
 * save: writes at most len bytes into buf (NUL-terminated); returns the length it
 * needed (like snprintf). load: returns 0, or -1 with a message when the text is not a
 * profile, is of another version, does not match rate/fft, or holds a value that is
 * not finite or out of range. */
size_t noise_profile_save(const struct noise *n, int rate_hz, int fft_size, char *buf,
                          size_t len);
int noise_profile_load(struct noise *n, int rate_hz, int fft_size, const char *text,
                       char *err, size_t errlen);

/* RT-safe. Replaces the model with a given one (bins values each, copied), as loading a
 * profile does: the tracker continues from mean_power; learned: 1 for a learned
 * model, 0 for an adaptive one (its std_db is then Gaussian noise's). */
void noise_set_model(struct noise *n, const float *mean_power, const float *std_db,
                     int learned);
int noise_is_learned(const struct noise *n); /* 1 after learning or a learned profile */

#endif
