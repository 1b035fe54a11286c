/* engine: hushd's denoiser, the library's face.
 *
 * Per channel: streaming STFT -> noise model -> spectral gate -> inverse STFT with
 * overlap-add; interleaved float samples in and out. With channels_linked one noise
 * model and one mask (from the channels' mean power) serve all channels.
 *
 * Two ways to feed it; use one per instance:
 *  - engine_process: any number of frames, the same number out. Re-blocks internally
 *    into hops, so its latency is engine_latency_frames() = fft_size - 1: the STFT's
 *    algorithmic latency fft_size - hop_size plus the hop_size - 1 samples any causal
 *    streaming STFT must collect before it can finish a hop. Output is bit-identical
 *    whatever the block sizes.
 *  - engine_process_hop: exactly hop_size frames in and out per call, latency
 *    engine_hop_latency_frames() = fft_size - hop_size (for callers that already collect
 *    whole hops, such as the live worker).
 *
 * Threads: create/destroy/profile_* on the main thread (they allocate, plan FFTs and
 * format text). process/process_hop on one audio thread: RT-safe, no allocation, locks
 * or I/O. set_param/get_param/learn/meters may be called from any thread at any time:
 * they go through C11 atomics and take effect at the next hop.
 */
#ifndef HUSHD_ENGINE_H
#define HUSHD_ENGINE_H

#include <stddef.h>

#include "params.h"

struct engine;

enum engine_plan { ENGINE_PLAN_ESTIMATE = 0, ENGINE_PLAN_MEASURE = 1 };

/* params: a full set (fft/hop may be 0 = auto, resolved here for rate_hz).
 * plan: how FFTW plans: ENGINE_PLAN_ESTIMATE (0: deterministic, instant) or
 * ENGINE_PLAN_MEASURE (measured, uses and adds to the process's FFTW wisdom).
 * Returns NULL with a message in err. */
struct engine *engine_create(const struct hp_values *params, int rate_hz, int channels,
                             enum engine_plan plan, char *err, size_t errlen);
void engine_destroy(struct engine *e);

int engine_rate(const struct engine *e);
int engine_channels(const struct engine *e);
int engine_fft_size(const struct engine *e);
int engine_hop_size(const struct engine *e);
int engine_bins(const struct engine *e);
size_t engine_latency_frames(const struct engine *e);     /* engine_process: fft - 1 */
size_t engine_hop_latency_frames(const struct engine *e); /* engine_process_hop: fft - hop */

/* RT-safe. in/out: frames * channels interleaved floats; they may be the same array. */
void engine_process(struct engine *e, const float *in, float *out, size_t frames);
/* RT-safe. in/out: hop_size * channels interleaved floats; may be the same array. */
void engine_process_hop(struct engine *e, const float *in, float *out);

/* Any thread. Sets a live parameter (checked against the table; non-live parameters
 * are refused). Returns 0, or -1 with a message. */
int engine_set_param(struct engine *e, int id, float value, char *err, size_t errlen);
float engine_get_param(const struct engine *e, int id); /* value now in effect */

/* Any thread. Learn the noise model from the next `seconds` of input. */
void engine_learn(struct engine *e, float seconds);
int engine_learning(const struct engine *e); /* 1 while learning */

/* Any thread. Levels of the most recent hop. */
struct engine_meters {
  float in_db, out_db;      /* RMS of the hop over all channels, dBFS */
  float reduction_db;       /* mean mask gain over bins, as attenuation in dB (>= 0) */
  float noise_floor_db;     /* mean noise model power, dB per bin, full-scale sine = 0 */
  unsigned long long hops;  /* hops processed so far (progress for a watchdog) */
};
void engine_meters(const struct engine *e, struct engine_meters *m);

/* After a process call: the mask (gain per bin, bins values) of the newest hop of
 * channel ch (with channels_linked every channel has the same). Same thread as
 * process. For pictures and tests. */
const float *engine_last_mask(const struct engine *e, int ch);

/* Main thread, while not processing. Noise profile of channel ch (0 when linked) to and
 * from text (see noise.h for the format). */
size_t engine_profile_save(const struct engine *e, int ch, char *buf, size_t len);
int engine_profile_load(struct engine *e, const char *text, char *err, size_t errlen);

/* Any thread but the audio thread, while the audio thread keeps calling
 * engine_process(_hop): engine_profile_save/load for a running engine. Parsing,
 * formatting and allocation happen on the calling thread; the audio thread only copies
 * the model at its next hop. They wait at most timeout_ms for that hop (sleeping), and
 * fail with a message when none comes or another such call is in progress.
 * save: returns the profile text (malloc'd, the caller frees; channel 0's model), or NULL
 * with a message. load: returns 0, or -1 with a message (as engine_profile_load). */
char *engine_profile_save_live(struct engine *e, int timeout_ms, char *err, size_t errlen);
int engine_profile_load_live(struct engine *e, const char *text, int timeout_ms, char *err,
                             size_t errlen);

#endif
