/* gate: binary keep/attenuate mask with frequency and time smoothing (see gate.h). */
#include "gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Decision-directed smoothing (Ephraim & Malah 1984): 0.98 per 16 ms frame in the
 * literature, rescaled to the hop like the noise tracker's constants. */
#define DD_ALPHA 0.98f
#define DD_HOP_S 0.016f
/* The usual lower bound of the a priori SNR (-25 dB); it also keeps the recursion out
 * of denormal floats, which cost a hundred cycles each. */
#define DD_XI_FLOOR 0.00316f

/* Transients (keyboard clicks, knocks) rise within a millisecond; speech, even a
 * plosive, rises over several. The power above TRANSIENT_LO_HZ, where a click is loud
 * and voiced speech is weak, is compared with its level BACK_S before. */
#define TRANSIENT_LO_HZ 2000.f
#define TRANSIENT_HI_HZ 16000.f
#define BACK_S 0.01f
#define BACK_MAX 8 /* frames of that band's level kept */
/* During a transient a bin is still kept while it is at most this far above its level
 * before the transient: speech that was already there goes on. */
#define TRANSIENT_KEEP 10.f
/* A rise is a click when the newest samples' loudest 0.67 ms block holds this much
 * more high-frequency energy than their mean block (dB; see impulse.h) */
#define TRANSIENT_PEAK_DB 7.f

#define SPEECH_LO_HZ 300.f
#define SPEECH_HI_HZ 3400.f
#define HIGH_BAND_HZ 4000.f
#define LOW_BAND_HZ 100.f
#define ACTIVE_SHARE 0.05f
#define ACTIVE_HOLD_MS 10.f
#define SPEECH_FULL 0.15f /* share of 300-3400 Hz bins kept: no isolated-bin test */

struct gate {
  int bins, rate, fft, hop;
  float dd_alpha;  /* per hop */
  float *a2;       /* previous frame's estimated clean power (Wiener gain^2 * power) */
  float cache_key[5];  /* threshold parameters the per-bin thresholds were made for */
  int cache_valid;
  float *xi_min, *post_min; /* per-bin thresholds (power ratios), bins */
  /* keep, smooth: bins values with a 0 on either side (keep[-1], keep[bins]), so that
   * the neighbour test needs no edge cases; keep_buf, smooth_buf own them */
  float *keep_buf, *keep;     /* binary decision of this frame (1 = keep) */
  float *smooth_buf, *smooth; /* after the optional majority vote across frequency */
  float *prev;     /* previous frame's decision before isolated-bin removal, bins */
  int *count;      /* prefix count of kept bins, bins + 1 */
  float *gain;     /* smoothed gain state, bins */
  float *hold;     /* frames left in hold, bins */
  /* transients */
  int hf_lo, hf_hi;      /* bins of the band watched for transients */
  float hf_ring[BACK_MAX]; /* that band's power in the last frames */
  int hf_pos, hf_back;     /* newest entry; how many frames make BACK_S */
  /* the power two frames back and one frame back (recent, newer): the level before a
   * transient, taken from before the frame that already holds its first samples */
  float *recent, *newer;
  float transient_left;  /* frames of transient suppression left */
  float peak_min;        /* impulse peak ratio above which a rise is a click */
  int sp_lo, sp_hi;      /* bins of 300-3400 Hz */
  float active_left;     /* frames of speech activity left */
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
  g->keep_buf = calloc(bins + 2, sizeof(float));
  g->smooth_buf = calloc(bins + 2, sizeof(float));
  g->prev = calloc(bins, sizeof(float));
  g->xi_min = calloc(bins, sizeof(float));
  g->post_min = calloc(bins, sizeof(float));
  g->count = calloc(bins + 1, sizeof(int));
  g->gain = calloc(bins, sizeof(float));
  g->hold = calloc(bins, sizeof(float));
  g->recent = calloc(bins, sizeof(float));
  g->newer = calloc(bins, sizeof(float));
  g->sp_lo = (int)(SPEECH_LO_HZ * fft / rate);
  g->sp_hi = (int)(SPEECH_HI_HZ * fft / rate);
  if (g->sp_hi > bins) g->sp_hi = bins;
  if (g->sp_lo > g->sp_hi) g->sp_lo = g->sp_hi;
  /* at coarse resolutions (fft 64 above ~217 kHz) no bin starts inside 300-3400 Hz: the
   * bin that holds the band stands for it, so its kept share is never 0/0 */
  if (g->sp_hi == g->sp_lo) g->sp_hi = g->sp_lo + 1;
  g->peak_min = powf(10.f, TRANSIENT_PEAK_DB / 10.f);
  g->hf_back = (int)lrintf(BACK_S * rate / hop);
  if (g->hf_back < 1) g->hf_back = 1;
  if (g->hf_back > BACK_MAX - 1) g->hf_back = BACK_MAX - 1;
  g->hf_lo = (int)(TRANSIENT_LO_HZ * fft / rate);
  g->hf_hi = (int)(TRANSIENT_HI_HZ * fft / rate);
  if (g->hf_hi > bins - 1) g->hf_hi = bins - 1;
  if (g->hf_lo > g->hf_hi) g->hf_lo = g->hf_hi;
  if (!g->a2 || !g->keep_buf || !g->smooth_buf || !g->prev || !g->xi_min || !g->post_min ||
      !g->count || !g->gain || !g->hold || !g->recent || !g->newer) {
    gate_destroy(g);
    return NULL;
  }
  g->keep = g->keep_buf + 1;
  g->smooth = g->smooth_buf + 1;
  return g;
}

void gate_destroy(struct gate *g) {
  if (!g) return;
  free(g->a2);
  free(g->keep_buf);
  free(g->smooth_buf);
  free(g->prev);
  free(g->xi_min);
  free(g->post_min);
  free(g->count);
  free(g->gain);
  free(g->hold);
  free(g->recent);
  free(g->newer);
  free(g);
}

void gate_reset(struct gate *g) {
  memset(g->a2, 0, g->bins * sizeof(float));
  memset(g->gain, 0, g->bins * sizeof(float));
  memset(g->hold, 0, g->bins * sizeof(float));
  memset(g->recent, 0, g->bins * sizeof(float));
  memset(g->newer, 0, g->bins * sizeof(float));
  memset(g->prev, 0, g->bins * sizeof(float));
  memset(g->hf_ring, 0, sizeof g->hf_ring);
  g->transient_left = 0;
  g->active_left = 0;
}

/* a per-hop smoothing coefficient for a time constant in ms (0 ms -> instant) */
static float coef(float ms, float hop_ms) { return ms > 0 ? expf(-hop_ms / ms) : 0.f; }
static float db_to_power(float db) { return powf(10.f, db / 10.f); }

/* Per-bin thresholds as power ratios, remade when a threshold parameter changes:
 * speech_band_db applies in 300-3400 Hz (where speech has most of its energy and the
 * cost of a missed bin is highest), high_band_db above 4 kHz (where most bins hold only
 * noise, at 48 kHz two thirds of them), low_band_db below 100 Hz (under most voices'
 * fundamental, where hum, fans, engines and brown noise are strongest). */
static void thresholds(struct gate *g, const struct hp_values *p) {
  const float key[5] = {p->v[HP_threshold], p->v[HP_onset_db], p->v[HP_speech_band_db],
                        p->v[HP_high_band_db], p->v[HP_low_band_db]};
  if (g->cache_valid && !memcmp(key, g->cache_key, sizeof key)) return;
  memcpy(g->cache_key, key, sizeof key);
  g->cache_valid = 1;
  for (int k = 0; k < g->bins; k++) {
    float hz = (float)k * g->rate / g->fft;
    float off = hz < LOW_BAND_HZ                            ? key[4]
                : hz > HIGH_BAND_HZ                         ? key[3]
                : hz > SPEECH_LO_HZ && hz < SPEECH_HI_HZ ? key[2]
                                                            : 0.f;
    g->xi_min[k] = db_to_power(key[0] + off);
    g->post_min[k] = db_to_power(key[1] + off);
  }
}

/* The sum of n values in SUM_LANES partial sums, which gcc vectorizes (a single running
 * sum is a chain of dependent adds it may not reorder). */
#define SUM_LANES 8
static float band_sum(const float *x, int n) {
  float part[SUM_LANES] = {0};
  int i = 0;
  for (; i + SUM_LANES <= n; i += SUM_LANES)
    for (int j = 0; j < SUM_LANES; j++) part[j] += x[i + j];
  for (; i < n; i++) part[0] += x[i];
  float sum = 0;
  for (int j = 0; j < SUM_LANES; j++) sum += part[j];
  return sum;
}

/* Transient detection. A rise of the high band by more than transient_db within a hop
 * starts transient_ms of suppression (the noise tracker never sees a click: it is far
 * too short), when the newest samples hold their high-frequency energy in a short
 * burst (peak_ratio above TRANSIENT_PEAK_DB): in quiet noise a fricative rises as steeply
 * as a click, and without this test the gate cut the start of many an "s" and "t"
 * (9.6 dB of a fricative's first 30 ms in tests/test-quality.c). 7 dB, not 8: a fire's
 * crackles are less sharp than keyboard clicks (dev set +0.04 dB, fire +0.33; a set of
 * the dev set's speech and noises mixed across items -0.02, fire at -5 dB SNR -1.1).
 * Returns 1 while suppressing. */
static int transient(struct gate *g, const struct hp_values *p, const float *power,
                     float peak_ratio) {
  float e = band_sum(power + g->hf_lo, g->hf_hi + 1 - g->hf_lo);
  const float rise = db_to_power(p->v[HP_transient_db]);
  float before = g->hf_ring[(g->hf_pos + BACK_MAX - g->hf_back + 1) % BACK_MAX];
  if (p->v[HP_transient_db] > 0 && before > 0 && e > rise * before &&
      peak_ratio > g->peak_min)
    g->transient_left = p->v[HP_transient_ms] * 0.001f * g->rate / g->hop;
  g->hf_pos = (g->hf_pos + 1) % BACK_MAX;
  g->hf_ring[g->hf_pos] = e;
  if (g->transient_left > 0) {
    g->transient_left -= 1.f;
    return 1;
  }
  return 0;
}

/* The decision. xi, the decision-directed a priori SNR, weighs the previous frame's
 * clean-power estimate against this frame's excess power over the noise: in noise it
 * stays low where the raw power ratio fluctuates (fewer musical blips), and once speech
 * is there it follows it. It lags an onset, so a bin whose raw power is far above the
 * noise (onset_db) opens at once as well. During a transient, a bin that rose more
 * than TRANSIENT_KEEP above its level in the frame before is dropped: the click goes,
 * speech that was already there stays. Powers are compared: no log or exp. */
static void decide(struct gate *g, const float *restrict power,
                   const float *restrict inv_noise, const float *restrict onset_scale,
                   int in_transient) {
  const float a = g->dd_alpha;
  const int calm = !in_transient;
  float *restrict a2 = g->a2, *restrict keep = g->keep;
  const float *restrict xi_min = g->xi_min, *restrict post_min = g->post_min;
  const float *restrict recent = g->recent;
  for (int k = 0; k < g->bins; k++) {
    float inv = inv_noise[k];
    float post = power[k] * inv;
    float excess = post - 1.f;
    float xi = a * a2[k] * inv + (1.f - a) * (excess > 0.f ? excess : 0.f);
    xi = xi > DD_XI_FLOOR ? xi : DD_XI_FLOOR;
    float w = xi / (1.f + xi);
    a2[k] = w * w * power[k];
    keep[k] = (float)(((xi > xi_min[k]) | (post * onset_scale[k] > post_min[k])) &
                      ((power[k] <= TRANSIENT_KEEP * recent[k]) | calm));
  }
}

/* Frequency smoothing: the majority of the decisions over +-w bins, so an isolated kept
 * bin in a noisy region is dropped and a single dropped bin inside speech is filled.
 * Integer prefix counts keep the running sum exact and cheap. */
static void smooth_freq(struct gate *g, int w) {
  const int bins = g->bins;
  g->count[0] = 0;
  for (int k = 0; k < bins; k++) g->count[k + 1] = g->count[k] + (g->keep[k] > 0.5f);
  for (int k = 0; k < bins; k++) {
    int lo = k - w < 0 ? 0 : k - w, hi = k + w >= bins ? bins - 1 : k + w;
    g->smooth[k] = 2 * (g->count[hi + 1] - g->count[lo]) > hi - lo + 1 ? 1.f : 0.f;
  }
}

/* Speech activity of the frame: at least ACTIVE_SHARE of the bins in 300-3400 Hz kept
 * (share), held for ACTIVE_HOLD_MS. While speech is active the floor is active_reduction_db:
 * weak parts of the speech that the binary decision drops are then not carved out
 * of it (on the dev set, 16 dB against the pauses' 20: STOI 0.829 against 0.819 and no
 * item worse than the input, for 0.05 dB of ΔSI-SDR), while the pauses get the full
 * reduction_db. */
static int speech_active(struct gate *g, float share, float hop_ms) {
  if (share > ACTIVE_SHARE) g->active_left = ACTIVE_HOLD_MS / hop_ms;
  if (g->active_left <= 0.f) return 0;
  g->active_left -= 1.f;
  return 1;
}

void gate_process(struct gate *g, const struct hp_values *p, const float *power,
                  const float *inv_noise, const float *onset_scale, float peak_ratio,
                  float *gain) {
  const int bins = g->bins;
  thresholds(g, p);
  int in_transient = transient(g, p, power, peak_ratio);
  decide(g, power, inv_noise, onset_scale, in_transient);
  int w = (int)lrintf(p->v[HP_freq_smooth_hz] * g->fft / (2.f * g->rate));
  if (w > 0) smooth_freq(g, w);
  const float *restrict d = w > 0 ? g->smooth : g->keep;

  /* Isolated-bin removal, then time smoothing, in one branch-free pass (every case is
   * computed, then selected, so gcc vectorizes it).
   * Isolated: a kept bin with no kept neighbour in frequency and not kept in the
   * previous frame is a noise peak (musical noise), not speech, whose harmonics span
   * two or more bins of this window and last longer than a hop. The edge bins have one
   * neighbour only (d[-1] = d[bins] = 0): DC, where noise such as brown noise is
   * strongest, gets no benefit of the doubt. In a frame with speech in SPEECH_FULL of
   * the 300-3400 Hz bins a lone kept bin is rather a weak harmonic than a blip, and a
   * blip there is masked by the speech: the test is left out (blips are heard in the
   * pauses, where it stays; dev set +0.04 dB, --learn 1 +0.06 dB, STOI +0.002, mus and
   * pauses unchanged).
   * Time: attack towards 1 (instant at 0 ms), hold, then release towards the floor; a
   * bin that a transient closed goes to the floor at once. */
  const float hop_ms = 1000.f * g->hop / g->rate;
  const float share =
      band_sum(d + g->sp_lo, g->sp_hi - g->sp_lo) / (float)(g->sp_hi - g->sp_lo);
  float floor_db = p->v[HP_reduction_db];
  if (!in_transient && speech_active(g, share, hop_ms) &&
      p->v[HP_active_reduction_db] < floor_db)
    floor_db = p->v[HP_active_reduction_db];
  const float floor_gain = powf(10.f, -floor_db / 20.f);
  const float a_att = coef(p->v[HP_attack_ms], hop_ms);
  const float a_rel = coef(p->v[HP_release_ms], hop_ms);
  const float hold_frames = p->v[HP_hold_ms] / hop_ms;
  const int lone_test = p->v[HP_isolated] > 0.5f && (in_transient || share <= SPEECH_FULL);
  const float lone = lone_test ? 0.5f : -1.f; /* neighbour sum to exceed */
  const int tr = in_transient;
  float *restrict gs = g->gain, *restrict hs = g->hold;
  float *restrict prev = g->prev;
  for (int k = 0; k < bins; k++) {
    float gk = gs[k], hk = hs[k];
    int open = (d[k] > 0.5f) & (d[k - 1] + d[k + 1] + prev[k] > lone);
    prev[k] = d[k];
    float g_open = a_att * gk + (1.f - a_att);
    float g_rel = a_rel * gk + (1.f - a_rel) * floor_gain;
    float g_closed = tr ? floor_gain : (hk > 0.f ? gk : g_rel);
    float h_closed = tr ? 0.f : (hk > 1.f ? hk - 1.f : 0.f);
    gk = open ? g_open : g_closed;
    hs[k] = open ? hold_frames : h_closed;
    gs[k] = gk;
    gain[k] = gk < floor_gain ? floor_gain : gk;
  }
  if (!in_transient) {
    float *t = g->recent;
    g->recent = g->newer;
    g->newer = t;
    memcpy(g->newer, power, bins * sizeof(float));
  }
}
