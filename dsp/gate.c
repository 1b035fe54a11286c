/* gate: binary keep/attenuate mask with frequency and time smoothing (see gate.h). */
#include "gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct gate {
  int bins, rate, fft, hop;
  float *factor;   /* 10^(threshold*std_db/10) per bin, cached */
  float cached_threshold;
  unsigned cached_epoch;
  int cache_valid;
  float *keep;     /* binary decision of this frame, bins */
  float *smooth;   /* after frequency smoothing, bins */
  float *gain;     /* smoothed gain state, bins */
  float *hold;     /* frames left in hold, bins */
};

struct gate *gate_create(int bins, int rate, int fft, int hop) {
  struct gate *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->bins = bins;
  g->rate = rate;
  g->fft = fft;
  g->hop = hop;
  g->factor = calloc(bins, sizeof(float));
  g->keep = calloc(bins, sizeof(float));
  g->smooth = calloc(bins + 1, sizeof(float));
  g->gain = calloc(bins, sizeof(float));
  g->hold = calloc(bins, sizeof(float));
  if (!g->factor || !g->keep || !g->smooth || !g->gain || !g->hold) {
    gate_destroy(g);
    return NULL;
  }
  return g;
}

void gate_destroy(struct gate *g) {
  if (!g) return;
  free(g->factor);
  free(g->keep);
  free(g->smooth);
  free(g->gain);
  free(g->hold);
  free(g);
}

void gate_reset(struct gate *g) {
  memset(g->gain, 0, g->bins * sizeof(float));
  memset(g->hold, 0, g->bins * sizeof(float));
}

/* a per-hop smoothing coefficient for a time constant in ms (0 ms -> instant) */
static float coef(float ms, float hop_ms) { return ms > 0 ? expf(-hop_ms / ms) : 0.f; }

void gate_process(struct gate *g, const struct hp_values *p, const float *power,
                  const float *noise_power, const float *std_db, unsigned epoch,
                  float *gain) {
  const int bins = g->bins;
  const float threshold = p->v[HP_threshold];
  if (!g->cache_valid || threshold != g->cached_threshold || epoch != g->cached_epoch) {
    for (int k = 0; k < bins; k++) g->factor[k] = powf(10.f, threshold * std_db[k] / 10.f);
    g->cached_threshold = threshold;
    g->cached_epoch = epoch;
    g->cache_valid = 1;
  }
  /* The decision: compare powers, no per-bin logarithm. */
  for (int k = 0; k < bins; k++)
    g->keep[k] = power[k] > noise_power[k] * g->factor[k] ? 1.f : 0.f;

  /* Frequency smoothing: a centred moving average of the decision over +-w bins,
   * re-binarised at one half, so an isolated kept bin in a noisy region is dropped and
   * a single dropped bin inside speech is filled. */
  int w = (int)lrintf(p->v[HP_freq_smooth_hz] * g->fft / (2.f * g->rate));
  const float *decision = g->keep;
  if (w > 0) {
    float run = 0;
    for (int k = 0; k < bins + w; k++) {
      if (k < bins) run += g->keep[k];
      if (k - 2 * w - 1 >= 0) run -= g->keep[k - 2 * w - 1];
      int c = k - w;
      if (c < 0) continue;
      int lo = c - w < 0 ? 0 : c - w, hi = c + w >= bins ? bins - 1 : c + w;
      g->smooth[c] = run * 2.f > (float)(hi - lo + 1) ? 1.f : 0.f;
    }
    decision = g->smooth;
  }

  /* Time: attack towards 1 (instant at 0 ms), hold, then release towards the floor. */
  const float hop_ms = 1000.f * g->hop / g->rate;
  const float floor_gain = powf(10.f, -p->v[HP_reduction_db] / 20.f);
  const float a_att = coef(p->v[HP_attack_ms], hop_ms);
  const float a_rel = coef(p->v[HP_release_ms], hop_ms);
  const float hold_frames = p->v[HP_hold_ms] / hop_ms;
  for (int k = 0; k < bins; k++) {
    float target;
    if (decision[k] > 0.5f) {
      g->hold[k] = hold_frames;
      target = 1.f;
      g->gain[k] = a_att * g->gain[k] + (1.f - a_att) * target;
    } else if (g->hold[k] > 0.f) {
      g->hold[k] -= 1.f;
    } else {
      g->gain[k] = a_rel * g->gain[k] + (1.f - a_rel) * floor_gain;
    }
    float v = g->gain[k];
    gain[k] = v < floor_gain ? floor_gain : v;
  }
}
