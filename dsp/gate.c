/* gate: binary keep/attenuate mask with frequency and time smoothing (see gate.h). */
#include "gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Decision-directed smoothing (Ephraim & Malah 1984): 0.98 per 16 ms frame in the
 * literature, rescaled to the hop like the noise tracker's constants. */
#define DD_ALPHA 0.98f
#define DD_HOP_S 0.016f

/* Transients (keyboard clicks, knocks) rise within a millisecond; speech, even a
 * plosive, rises over several. The power above TRANSIENT_LO_HZ, where a click is loud
 * and voiced speech is weak, is compared with its recent level (RECENT_S). */
#define TRANSIENT_LO_HZ 2000.f
#define TRANSIENT_HI_HZ 16000.f
#define RECENT_S 0.02f
/* During a transient a bin is still kept while it is at most this far above its level
 * before the transient: speech that was already there goes on. */
#define TRANSIENT_KEEP 10.f

#define SPEECH_LO_HZ 300.f
#define SPEECH_HI_HZ 3400.f
#define HIGH_BAND_HZ 4000.f

struct gate {
  int bins, rate, fft, hop;
  float dd_alpha;  /* per hop */
  float *a2;       /* previous frame's estimated clean power (Wiener gain^2 * power) */
  float cache_key[4];  /* threshold parameters the per-bin thresholds were made for */
  int cache_valid;
  float *xi_min, *post_min; /* per-bin thresholds (power ratios), bins */
  float *keep;     /* binary decision of this frame, bins */
  float *prev;     /* previous frame's decision before isolated-bin removal, bins */
  int *count;      /* prefix count of kept bins, bins + 1 */
  float *smooth;   /* after frequency smoothing, bins */
  float *gain;     /* smoothed gain state, bins */
  float *hold;     /* frames left in hold, bins */
  /* transients */
  int hf_lo, hf_hi;      /* bins of the band watched for transients */
  float hf_avg;          /* recent power in that band, smoothed */
  float *recent;         /* recent power per bin before a transient, smoothed */
  float transient_left;  /* frames of transient suppression left */
  float recent_coef;     /* per-hop smoothing for RECENT_S */
};

struct gate *gate_create(int bins, int rate, int fft, int hop) {
  struct gate *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->bins = bins;
  g->rate = rate;
  g->fft = fft;
  g->hop = hop;
  g->dd_alpha = powf(DD_ALPHA, (float)hop / rate / DD_HOP_S);
  g->a2 = calloc(bins, sizeof(float));
  g->keep = calloc(bins, sizeof(float));
  g->prev = calloc(bins, sizeof(float));
  g->xi_min = calloc(bins, sizeof(float));
  g->post_min = calloc(bins, sizeof(float));
  g->count = calloc(bins + 1, sizeof(int));
  g->smooth = calloc(bins, sizeof(float));
  g->gain = calloc(bins, sizeof(float));
  g->hold = calloc(bins, sizeof(float));
  g->recent = calloc(bins, sizeof(float));
  g->recent_coef = expf(-(float)hop / rate / RECENT_S);
  g->hf_lo = (int)(TRANSIENT_LO_HZ * fft / rate);
  g->hf_hi = (int)(TRANSIENT_HI_HZ * fft / rate);
  if (g->hf_hi > bins - 1) g->hf_hi = bins - 1;
  if (g->hf_lo > g->hf_hi) g->hf_lo = g->hf_hi;
  if (!g->prev || !g->xi_min || !g->post_min || !g->recent || !g->a2 || !g->keep || !g->count || !g->smooth || !g->gain || !g->hold) {
    gate_destroy(g);
    return NULL;
  }
  return g;
}

void gate_destroy(struct gate *g) {
  if (!g) return;
  free(g->a2);
  free(g->keep);
  free(g->prev);
  free(g->xi_min);
  free(g->post_min);
  free(g->count);
  free(g->smooth);
  free(g->gain);
  free(g->hold);
  free(g->recent);
  free(g);
}

void gate_reset(struct gate *g) {
  memset(g->a2, 0, g->bins * sizeof(float));
  memset(g->gain, 0, g->bins * sizeof(float));
  memset(g->hold, 0, g->bins * sizeof(float));
  memset(g->recent, 0, g->bins * sizeof(float));
  memset(g->prev, 0, g->bins * sizeof(float));
  g->hf_avg = 0;
  g->transient_left = 0;
}

/* a per-hop smoothing coefficient for a time constant in ms (0 ms -> instant) */
static float coef(float ms, float hop_ms) { return ms > 0 ? expf(-hop_ms / ms) : 0.f; }
static float db_to_power(float db) { return powf(10.f, db / 10.f); }

/* Per-bin thresholds as power ratios, remade when a threshold parameter changes:
 * speech_band_db applies in 300-3400 Hz (where speech has most of its energy and the
 * cost of a missed bin is highest), high_band_db above 4 kHz (where most bins hold only
 * noise, at 48 kHz two thirds of them). */
static void thresholds(struct gate *g, const struct hp_values *p) {
  const float key[4] = {p->v[HP_threshold], p->v[HP_onset_db], p->v[HP_speech_band_db],
                        p->v[HP_high_band_db]};
  if (g->cache_valid && !memcmp(key, g->cache_key, sizeof key)) return;
  memcpy(g->cache_key, key, sizeof key);
  g->cache_valid = 1;
  for (int k = 0; k < g->bins; k++) {
    float hz = (float)k * g->rate / g->fft;
    float off = hz > HIGH_BAND_HZ                           ? key[3]
                : hz > SPEECH_LO_HZ && hz < SPEECH_HI_HZ ? key[2]
                                                            : 0.f;
    g->xi_min[k] = db_to_power(key[0] + off);
    g->post_min[k] = db_to_power(key[1] + off);
  }
}

/* The decision. xi, the decision-directed a priori SNR, weighs the previous frame's
 * clean-power estimate against this frame's excess power over the noise: in noise it
 * stays low where the raw power ratio fluctuates (fewer musical blips), and once speech
 * is there it follows it. It lags an onset, so a bin whose raw power is far above the
 * noise (onset_db) opens at once as well. Powers are compared: no log or exp. */
static void decide(struct gate *g, const float *power, const float *noise_power) {
  const float a = g->dd_alpha;
  float *restrict a2 = g->a2, *restrict keep = g->keep;
  const float *restrict xi_min = g->xi_min, *restrict post_min = g->post_min;
  for (int k = 0; k < g->bins; k++) {
    float inv = 1.f / noise_power[k];
    float post = power[k] * inv;
    float excess = post - 1.f;
    float xi = a * a2[k] * inv + (1.f - a) * (excess > 0.f ? excess : 0.f);
    float w = xi / (1.f + xi);
    a2[k] = w * w * power[k];
    keep[k] = xi > xi_min[k] || post > post_min[k] ? 1.f : 0.f;
  }
}

/* Isolated-bin removal: a kept bin with no kept neighbour in frequency and not kept in
 * the previous frame is a noise peak (musical noise), not speech, whose harmonics span
 * two or more bins of this window and last longer than a hop. */
static void drop_isolated(struct gate *g) {
  const int bins = g->bins;
  const float *keep = g->keep;
  float *prev = g->prev, *out = g->smooth;
  for (int k = 0; k < bins; k++) {
    float left = k > 0 ? keep[k - 1] : 0.f, right = k < bins - 1 ? keep[k + 1] : 0.f;
    out[k] = keep[k] > 0.5f && left + right + prev[k] > 0.5f ? 1.f : 0.f;
  }
  memcpy(prev, keep, bins * sizeof(float));
  memcpy(g->keep, out, bins * sizeof(float));
}

/* Frequency smoothing: the majority of the decisions over +-w bins, so an isolated kept
 * bin in a noisy region is dropped and a single dropped bin inside speech is filled.
 * Integer prefix counts keep the running sum exact and cheap. */
static const float *smooth_freq(struct gate *g, int w) {
  const int bins = g->bins;
  if (w <= 0) return g->keep;
  g->count[0] = 0;
  for (int k = 0; k < bins; k++) g->count[k + 1] = g->count[k] + (g->keep[k] > 0.5f);
  for (int k = 0; k < bins; k++) {
    int lo = k - w < 0 ? 0 : k - w, hi = k + w >= bins ? bins - 1 : k + w;
    g->smooth[k] = 2 * (g->count[hi + 1] - g->count[lo]) > hi - lo + 1 ? 1.f : 0.f;
  }
  return g->smooth;
}

/* Transient suppression. A rise of the high band by more than transient_db within a
 * hop starts transient_ms of suppression: bins that rose with the transient are
 * dropped at once (the tracker never sees a click, it is far too short). Returns 1
 * while suppressing. */
static int transient(struct gate *g, const struct hp_values *p, const float *power) {
  const float a = g->recent_coef;
  float e = 0;
  for (int k = g->hf_lo; k <= g->hf_hi; k++) e += power[k];
  const float rise = db_to_power(p->v[HP_transient_db]);
  if (g->transient_left <= 0 && p->v[HP_transient_db] > 0 && g->hf_avg > 0 &&
      e > rise * g->hf_avg)
    g->transient_left = p->v[HP_transient_ms] * 0.001f * g->rate / g->hop;
  if (g->transient_left > 0) {
    g->transient_left -= 1.f;
    for (int k = 0; k < g->bins; k++)
      if (power[k] > TRANSIENT_KEEP * g->recent[k]) g->keep[k] = 0.f;
    /* at its end the band's level is taken as it is: a lasting rise (a new noise, a
     * voice) starts no second transient */
    if (g->transient_left <= 0) g->hf_avg = e;
    return 1;
  }
  g->hf_avg = a * g->hf_avg + (1.f - a) * e;
  for (int k = 0; k < g->bins; k++) g->recent[k] = a * g->recent[k] + (1.f - a) * power[k];
  return 0;
}

void gate_process(struct gate *g, const struct hp_values *p, const float *power,
                  const float *noise_power, float *gain) {
  const int bins = g->bins;
  thresholds(g, p);
  decide(g, power, noise_power);
  int in_transient = transient(g, p, power);
  if (p->v[HP_isolated] > 0.5f) drop_isolated(g);
  const float *decision =
      smooth_freq(g, (int)lrintf(p->v[HP_freq_smooth_hz] * g->fft / (2.f * g->rate)));

  /* Time: attack towards 1 (instant at 0 ms), hold, then release towards the floor. */
  const float hop_ms = 1000.f * g->hop / g->rate;
  const float floor_gain = powf(10.f, -p->v[HP_reduction_db] / 20.f);
  const float a_att = coef(p->v[HP_attack_ms], hop_ms);
  const float a_rel = coef(p->v[HP_release_ms], hop_ms);
  const float hold_frames = p->v[HP_hold_ms] / hop_ms;
  for (int k = 0; k < bins; k++) {
    float gk = g->gain[k], hk = g->hold[k];
    if (decision[k] > 0.5f) {
      hk = hold_frames;
      gk = a_att * gk + (1.f - a_att);
    } else if (in_transient) {
      hk = 0.f;
      gk = floor_gain;
    } else if (hk > 0.f) {
      hk -= 1.f;
    } else {
      gk = a_rel * gk + (1.f - a_rel) * floor_gain;
    }
    g->gain[k] = gk;
    g->hold[k] = hk;
    gain[k] = gk < floor_gain ? floor_gain : gk;
  }
}
