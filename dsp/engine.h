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
 * they go through C11 atomics and take effect at the next hop. xfer_* (a profile for a
 * running engine) on any thread but the audio thread; none of them blocks.
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

/* Any thread. Bad input samples so far: NaN, infinite or beyond +-1000 (full scale is
 * 1.0). Each is taken as 0 (counted per sample, every channel), so it never reaches the
 * noise model or the output; the count saturates instead of wrapping. */
unsigned long long engine_bad_samples(const struct engine *e);

/* After a process call: the mask (gain per bin, bins values) of the newest hop of
 * channel ch (with channels_linked every channel has the same). Same thread as
 * process. For pictures and tests. */
const float *engine_last_mask(const struct engine *e, int ch);

/* Main thread, while not processing. Noise profile of channel ch (0 when linked) to and
 * from text (see noise.h for the format). */
size_t engine_profile_save(const struct engine *e, int ch, char *buf, size_t len);
int engine_profile_load(struct engine *e, const char *text, char *err, size_t errlen);

/* Noise profile of a running engine: a handover to the audio thread in non-blocking
 * steps, for any thread but the audio thread while the audio thread keeps calling
 * engine_process(_hop). Parsing, formatting and allocation happen on the calling thread;
 * the audio thread only copies the model (bins floats) in or out at its next hop. None of
 * these waits: the caller decides how long to poll engine_xfer_done and how to pass the
 * time (daemon/profile.h: profile_save_live/profile_load_live).
 *
 *   x = engine_xfer_create(e, text, ...)   text: load it; NULL: save channel 0's model
 *   engine_xfer_post(x, ...)               the audio thread takes it at its next hop
 *   engine_xfer_done(x)                    poll until 1; or engine_xfer_withdraw(x)
 *   engine_xfer_text(x, ...)               save, once done: the profile text
 *   engine_xfer_destroy(x)                 once done, withdrawn, or never posted
 *
 * x refers to e and must be destroyed before it. */
struct engine_xfer;

/* Allocates. text != NULL: parses it (as engine_profile_load; a bad profile fails here,
 * before any handover); NULL: a save. Returns NULL with a message. */
struct engine_xfer *engine_xfer_create(struct engine *e, const char *text, char *err,
                                       size_t errlen);
void engine_xfer_destroy(struct engine_xfer *x);
/* Publishes x to the audio thread. Returns 0, or -1 with a message when another handover
 * on this engine is pending. Non-blocking: atomics only. */
int engine_xfer_post(struct engine_xfer *x, char *err, size_t errlen);
/* 1 once the audio thread has copied the model in or out, else 0. Non-blocking. */
int engine_xfer_done(const struct engine_xfer *x);
/* Takes back a posted x the audio thread has not taken yet. Returns 1 when withdrawn (the
 * audio thread will not touch x), 0 when the audio thread has already taken it: it is done
 * within that hop, so keep polling engine_xfer_done before destroying x. Non-blocking. */
int engine_xfer_withdraw(struct engine_xfer *x);
/* A save, once done: the profile text (malloc'd, the caller frees), or NULL with a
 * message. */
char *engine_xfer_text(struct engine_xfer *x, char *err, size_t errlen);

#endif
