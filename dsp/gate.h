/* gate: the spectral gate's per-bin keep/attenuate decision and its smoothing.
 *
 * A bin is kept (gain 1) when its power exceeds the noise model's threshold power
 * mean * 10^(threshold * std_db / 10), otherwise it gets the floor 10^(-reduction_db/20).
 * The binary decision is smoothed across frequency (freq_smooth_hz) and in time with a
 * causal attack / hold / release per bin.
 *
 * create/destroy allocate (main thread); gate_process is RT-safe.
 */
#ifndef HUSHD_GATE_H
#define HUSHD_GATE_H

#include "params.h"

struct gate;

struct gate *gate_create(int bins, int rate_hz, int fft_size, int hop_size);
void gate_destroy(struct gate *g);

/* RT-safe. power, noise_power, std_db: bins values (noise_std_db with its epoch, so the
 * per-bin threshold factors are recomputed only when the spread or threshold change).
 * gain: bins values written, each in [floor, 1]. */
void gate_process(struct gate *g, const struct hp_values *p, const float *power,
                  const float *noise_power, const float *std_db, unsigned std_epoch,
                  float *gain);

void gate_reset(struct gate *g);

#endif
