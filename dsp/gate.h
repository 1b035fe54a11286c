/* gate: the spectral gate's per-bin keep/attenuate decision and its smoothing.
 *
 * A bin is kept (gain 1) when its decision-directed a priori SNR exceeds threshold, or
 * its power exceeds the noise by onset_db (instant onsets); per-band offsets
 * (speech_band_db, high_band_db, low_band_db) shift both. Otherwise it gets the floor:
 * 10^(-reduction_db/20) in pauses, 10^(-active_reduction_db/20) while speech is
 * present. Around that decision: transient suppression (a sudden rise above 2 kHz whose
 * energy sits in a millisecond or two drops the bins that rose with it for
 * transient_ms: clicks, not fricatives), removal of isolated kept bins
 * (musical noise), an optional majority vote across frequency (freq_smooth_hz), and a
 * causal attack / hold / release per bin in time.
 *
 * create/destroy allocate (main thread); gate_process is RT-safe.
 */
#ifndef HUSHD_GATE_H
#define HUSHD_GATE_H

#include "params.h"

struct gate;

struct gate *gate_create(int bins, int rate_hz, int fft_size, int hop_size);
void gate_destroy(struct gate *g);

/* RT-safe. power: this frame's |X|^2; inv_noise: 1 / the noise model's mean power
 * (noise_inv_power, so the gate multiplies instead of dividing); onset_scale: the
 * factor of power x inv_noise in the onset test (noise_onset_scale); all bins values.
 * peak_ratio: how click-like the newest samples are (impulse_peak_ratio): a rise only
 * counts as a transient when they are. gain: bins values written, each in [floor, 1]. */
void gate_process(struct gate *g, const struct hp_values *p, const float *power,
                  const float *inv_noise, const float *onset_scale, float peak_ratio,
                  float *gain);

void gate_reset(struct gate *g);

#endif
