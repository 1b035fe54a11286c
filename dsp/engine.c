/* engine: per-channel STFT + noise model + gate, any block length (see engine.h). */
#include "engine.h"

#include <fftw3.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "impulse.h"
#include "noise.h"
#include "stft.h"

/* A wet/bypass change is ramped over this long, so a jump causes no click. */
#define WET_RAMP_S 0.02f
/* An input sample beyond this (or NaN, or infinite) is bad: taken as 0 and counted. Far
 * above any real signal (1.0 is full scale), far below what would overflow a power. */
#define SAMPLE_MAX 1000.f

struct engine {
  int rate, channels, fft, hop, bins, models; /* models: 1 when linked, else channels */
  struct stft **stft;       /* channels */
  struct impulse **imp;     /* channels: how click-like each channel's newest samples are */
  float complex **spec;     /* channels x bins */
  float **gain;             /* models x bins */
  float *power;             /* bins */
  float *ones;              /* bins ones: dot(x, ones) sums x */
  struct noise **noise;     /* models */
  struct gate **gate;       /* models */
  float *hop_in, *hop_out;  /* hop frames of one channel, de-interleaved (channels > 1) */
  float *clean;             /* hop * channels: the input with bad samples made 0 */
  unsigned long long bad;   /* bad samples so far (audio thread; saturates) */
  atomic_ullong bad_pub;    /* the same, published for other threads */
  /* re-blocking for engine_process: one hop of input being collected and the hop of
   * output being handed out, interleaved; pos = frames collected */
  float *fifo_in, *fifo_out;
  size_t pos;
  struct hp_values cur;     /* parameters in effect for this hop (audio thread) */
  /* effective wet (0 in bypass), moved from wet_from to wet_to along a smoothstep
   * over WET_RAMP_S: no step and no kink, so no click */
  float wet_from, wet_to, wet_phase;
  _Atomic float live[HP_COUNT];
  atomic_int learn_request; /* frames; taken by the audio thread */
  atomic_int learning;
  /* meters of the newest hop as linear means (engine_meters converts to dB, so the
   * audio thread takes no logarithm): signal power in and out, mask gain, noise power
   * relative to a full-scale sine's peak bin */
  _Atomic float m_in_pow, m_out_pow, m_gain, m_noise_pow;
  atomic_ullong hops;
  float noise_ref;          /* power of a full-scale sine's peak bin */
  struct engine_xfer *_Atomic xfer; /* profile handover to the audio thread (end of file) */
};

static void xfer_take(struct engine *e);

static float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

struct engine *engine_create(const struct hp_values *params, int rate, int channels,
                             enum engine_plan plan, char *err, size_t errlen) {
  struct hp_values p = *params;
  if (channels < 1 || channels > 64) {
    snprintf(err, errlen, "channels: %d is out of range [1, 64]", channels);
    return NULL;
  }
  for (int i = 0; i < HP_COUNT; i++)
    if (hp_check(i, p.v[i], err, errlen)) return NULL;
  if (hp_resolve(&p, rate, err, errlen)) return NULL;
  struct engine *e = calloc(1, sizeof *e);
  if (!e) goto oom;
  e->rate = rate;
  e->channels = channels;
  e->fft = (int)p.v[HP_fft_size];
  e->hop = (int)p.v[HP_hop_size];
  e->bins = e->fft / 2 + 1;
  e->models = p.v[HP_channels_linked] > 0.5f ? 1 : channels;
  e->cur = p;
  for (int i = 0; i < HP_COUNT; i++) atomic_init(&e->live[i], p.v[i]);
  atomic_init(&e->m_gain, 1.f); /* no reduction before the first hop */
  e->wet_from = e->wet_to = p.v[HP_bypass] > 0.5f ? 0.f : p.v[HP_wet];
  e->wet_phase = 1.f;
  e->noise_ref = (float)(e->fft / M_PI) * (float)(e->fft / M_PI);
  if (!(e->stft = calloc(channels, sizeof *e->stft)) ||
      !(e->imp = calloc(channels, sizeof *e->imp)) ||
      !(e->spec = calloc(channels, sizeof *e->spec)) ||
      !(e->gain = calloc(e->models, sizeof *e->gain)) ||
      !(e->noise = calloc(e->models, sizeof *e->noise)) ||
      !(e->gate = calloc(e->models, sizeof *e->gate)) || !(e->power = falloc(e->bins)) ||
      !(e->ones = falloc(e->bins)) ||
      !(e->hop_in = falloc(e->hop)) || !(e->hop_out = falloc(e->hop)) ||
      !(e->clean = falloc((size_t)e->hop * channels)) ||
      !(e->fifo_in = falloc((size_t)e->hop * channels)) ||
      !(e->fifo_out = falloc((size_t)e->hop * channels)))
    goto oom;
  for (int c = 0; c < channels; c++) {
    if (!(e->stft[c] = stft_create(e->fft, e->hop,
                                    plan == ENGINE_PLAN_MEASURE ? FFTW_MEASURE : FFTW_ESTIMATE)) ||
        !(e->spec[c] = (float complex *)fftwf_alloc_complex(e->bins)) ||
        !(e->imp[c] = impulse_create(rate, e->hop)))
      goto oom;
    memset(e->spec[c], 0, e->bins * sizeof(float complex));
  }
  for (int k = 0; k < e->bins; k++) e->ones[k] = 1.f;
  float hop_s = (float)e->hop / rate;
  for (int m = 0; m < e->models; m++) {
    if (!(e->gain[m] = falloc(e->bins)) ||
        !(e->noise[m] = noise_create(e->bins, hop_s, e->fft / e->hop)) ||
        !(e->gate[m] = gate_create(e->bins, rate, e->fft, e->hop)))
      goto oom;
    for (int k = 0; k < e->bins; k++) e->gain[m][k] = 1.f;
  }
  return e;
oom:
  snprintf(err, errlen, "out of memory creating the engine");
  engine_destroy(e);
  return NULL;
}

void engine_destroy(struct engine *e) {
  if (!e) return;
  for (int c = 0; e->stft && c < e->channels; c++) stft_destroy(e->stft[c]);
  for (int c = 0; e->spec && c < e->channels; c++) fftwf_free(e->spec[c]);
  for (int c = 0; e->imp && c < e->channels; c++) impulse_destroy(e->imp[c]);
  for (int m = 0; m < e->models; m++) {
    if (e->gain) free(e->gain[m]);
    if (e->noise) noise_destroy(e->noise[m]);
    if (e->gate) gate_destroy(e->gate[m]);
  }
  free(e->stft);
  free(e->imp);
  free(e->spec);
  free(e->gain);
  free(e->noise);
  free(e->gate);
  free(e->power);
  free(e->ones);
  free(e->hop_in);
  free(e->hop_out);
  free(e->clean);
  free(e->fifo_in);
  free(e->fifo_out);
  free(e);
}

int engine_rate(const struct engine *e) { return e->rate; }
int engine_channels(const struct engine *e) { return e->channels; }
int engine_fft_size(const struct engine *e) { return e->fft; }
int engine_hop_size(const struct engine *e) { return e->hop; }
int engine_bins(const struct engine *e) { return e->bins; }
size_t engine_latency_frames(const struct engine *e) { return (size_t)e->fft - 1; }
size_t engine_hop_latency_frames(const struct engine *e) {
  return (size_t)(e->fft - e->hop);
}

static void take_params(struct engine *e) {
  for (int i = 0; i < HP_COUNT; i++)
    e->cur.v[i] = atomic_load_explicit(&e->live[i], memory_order_relaxed);
  /* `learning` is set before the request disappears, so that engine_learning, which
   * reads the request first, never sees neither (the previous hop's store may have
   * cleared the 1 that engine_learn wrote) */
  int req = atomic_load_explicit(&e->learn_request, memory_order_acquire);
  if (req > 0) {
    atomic_store_explicit(&e->learning, 1, memory_order_seq_cst);
    req = atomic_exchange_explicit(&e->learn_request, 0, memory_order_seq_cst);
  }
  if (req > 0)
    for (int m = 0; m < e->models; m++) noise_learn_start(e->noise[m], req);
  xfer_take(e);
}

/* the mix at ramp phase t in [0, 1]: smoothstep, flat at both ends */
static inline float wet_at(float from, float to, float t) {
  return from + (to - from) * t * t * (3.f - 2.f * t);
}

static float power_db(double p) { return (float)(10.0 * log10(p + 1e-20)); }

/* The per-bin and per-sample loops below are written so that gcc vectorizes them with
 * the dsp library's flags (-O3 -fno-trapping-math, see dsp/meson.build): restrict, no
 * calls, no loop-carried values, selects instead of branches. At the default 1024/256
 * they run per hop over 513 bins and 256 samples, next to an FFT pair of about 2.5 us. */

/* Sum of a[i] * b[i] in eight partial sums: a single running float sum has to keep its
 * order and would not vectorize without -ffast-math. */
#define DOT_LANES 8
static float dot(const float *restrict a, const float *restrict b, int n) {
  float part[DOT_LANES] = {0};
  int i = 0;
  for (; i + DOT_LANES <= n; i += DOT_LANES)
    for (int j = 0; j < DOT_LANES; j++) part[j] += a[i + j] * b[i + j];
  for (; i < n; i++) part[0] += a[i] * b[i];
  float sum = 0;
  for (int j = 0; j < DOT_LANES; j++) sum += part[j];
  return sum;
}

/* power (+)= scale * |X|^2; the first channel of a model assigns, the others add. */
static void add_power(float *restrict power, const float complex *restrict spectrum,
                      int bins, float scale, int first) {
  const float *x = (const float *)spectrum; /* re, im interleaved (C11 6.2.5) */
  for (int k = 0; k < bins; k++)
    power[k] = (first ? 0.f : power[k]) +
               scale * (x[2 * k] * x[2 * k] + x[2 * k + 1] * x[2 * k + 1]);
}

static void apply_gain(float complex *restrict spectrum, const float *restrict gain,
                       int bins) {
  float *x = (float *)spectrum;
  for (int k = 0; k < bins; k++) {
    x[2 * k] *= gain[k];
    x[2 * k + 1] *= gain[k];
  }
}

/* y = w y + (1 - w) dry, w along the wet ramp from phase (exclusive) in steps of step;
 * returns the phase reached. Each sample's phase comes from the hop's start rather
 * than from the previous sample, so that the loop has no carried dependency and
 * vectorizes (a steady wet < 1 runs it on every hop). */
static float mix_dry(float *restrict y, const float *restrict dry, int hop, float from,
                     float to, float phase, float step) {
  for (int i = 0; i < hop; i++) {
    float t = phase + step * (float)(i + 1);
    float w = wet_at(from, to, t < 1.f ? t : 1.f);
    y[i] = w * y[i] + (1.f - w) * dry[i];
  }
  const float end = phase + step * (float)hop;
  return end < 1.f ? end : 1.f;
}

/* y = x with every bad sample (NaN, infinite, beyond SAMPLE_MAX) made 0; returns how
 * many there were. `!(|x| <= max)` is true for NaN too. */
static int clean_samples(float *restrict y, const float *restrict x, int n) {
  int bad = 0;
  for (int i = 0; i < n; i++) {
    int ok = fabsf(x[i]) <= SAMPLE_MAX;
    bad += !ok;
    y[i] = ok ? x[i] : 0.f;
  }
  return bad;
}

void engine_process_hop(struct engine *e, const float *raw, float *out) {
  const int ch = e->channels, hop = e->hop, bins = e->bins;
  const int bad = clean_samples(e->clean, raw, hop * ch);
  if (bad) {
    e->bad = e->bad > ~0ull - (unsigned)bad ? ~0ull : e->bad + (unsigned)bad;
    atomic_store_explicit(&e->bad_pub, e->bad, memory_order_relaxed);
  }
  const float *in = e->clean;
  take_params(e);
  const int adapt = e->cur.v[HP_adapt] > 0.5f;
  /* before any output is written: in and out may be the same array */
  const float in_pow = dot(in, in, hop * ch);
  for (int c = 0; c < ch; c++) {
    const float *x = in;
    if (ch > 1) {
      for (int i = 0; i < hop; i++) e->hop_in[i] = in[(size_t)i * ch + c];
      x = e->hop_in;
    }
    stft_analyze(e->stft[c], x, e->spec[c]);
    impulse_feed(e->imp[c], x, hop);
  }

  float gain_sum = 0, noise_sum = 0;
  for (int m = 0; m < e->models; m++) {
    /* power of this model's channel, or the channels' mean when linked */
    int c0 = e->models == 1 ? 0 : m, c1 = e->models == 1 ? ch : m + 1;
    float scale = 1.f / (float)(c1 - c0);
    float peak = 1.f; /* the most click-like of the model's channels */
    for (int c = c0; c < c1; c++) {
      add_power(e->power, e->spec[c], bins, scale, c == c0);
      float r = impulse_peak_ratio(e->imp[c]);
      peak = r > peak ? r : peak;
    }
    noise_update(e->noise[m], e->power, adapt);
    const float *np = noise_mean_power(e->noise[m]);
    gate_process(e->gate[m], &e->cur, e->power, noise_inv_power(e->noise[m]),
                 noise_onset_scale(e->noise[m]), peak, e->gain[m]);
    gain_sum += dot(e->gain[m], e->ones, bins);
    noise_sum += dot(np, e->ones, bins);
  }
  atomic_store_explicit(&e->learning, noise_learning(e->noise[0]) > 0, memory_order_relaxed);

  /* wet/bypass: a new target starts a fresh ramp from wherever the mix is now */
  float target = e->cur.v[HP_bypass] > 0.5f ? 0.f : e->cur.v[HP_wet];
  if (target != e->wet_to) {
    e->wet_from = wet_at(e->wet_from, e->wet_to, e->wet_phase);
    e->wet_to = target;
    e->wet_phase = 0.f;
  }
  const float step = 1.f / (WET_RAMP_S * e->rate);
  const float phase0 = e->wet_phase;

  for (int c = 0; c < ch; c++) {
    apply_gain(e->spec[c], e->gain[e->models == 1 ? 0 : c], bins);
    /* mono synthesizes straight into out; the dry hop lives in the STFT's history */
    float *y = ch == 1 ? out : e->hop_out;
    stft_synthesize(e->stft[c], e->spec[c], y);
    if (phase0 < 1.f || e->wet_to != 1.f)
      e->wet_phase = mix_dry(y, stft_dry_hop(e->stft[c]), hop, e->wet_from, e->wet_to, phase0,
                             step);
    if (ch > 1)
      for (int i = 0; i < hop; i++) out[(size_t)i * ch + c] = y[i];
  }
  const float out_pow = dot(out, out, hop * ch);

  const float n = (float)(hop * ch), nb = (float)(bins * e->models);
  atomic_store_explicit(&e->m_in_pow, in_pow / n, memory_order_relaxed);
  atomic_store_explicit(&e->m_out_pow, out_pow / n, memory_order_relaxed);
  atomic_store_explicit(&e->m_gain, gain_sum / nb, memory_order_relaxed);
  atomic_store_explicit(&e->m_noise_pow, noise_sum / nb / e->noise_ref, memory_order_relaxed);
  atomic_fetch_add_explicit(&e->hops, 1, memory_order_release);
}

void engine_process(struct engine *e, const float *in, float *out, size_t frames) {
  const size_t ch = e->channels, hop = e->hop;
  while (frames) {
    size_t take = hop - e->pos;
    if (take > frames) take = frames;
    memcpy(e->fifo_in + e->pos * ch, in, take * ch * sizeof(float));
    /* The sample that completes a hop already leaves as the first sample of that hop's
     * output; every other sample leaves from the hop before (latency fft - 1). */
    int completes = e->pos + take == hop;
    size_t from_old = completes ? take - 1 : take;
    memcpy(out, e->fifo_out + (e->pos + 1) * ch, from_old * ch * sizeof(float));
    e->pos += take;
    if (completes) {
      engine_process_hop(e, e->fifo_in, e->fifo_out);
      memcpy(out + from_old * ch, e->fifo_out, ch * sizeof(float));
      e->pos = 0;
    }
    in += take * ch;
    out += take * ch;
    frames -= take;
  }
}

int engine_set_param(struct engine *e, int id, float value, char *err, size_t errlen) {
  if (hp_check(id, value, err, errlen)) return -1;
  if (!hp_info(id)->live) {
    snprintf(err, errlen, "%s cannot change while running: it needs a restart",
             hp_info(id)->name);
    return -1;
  }
  atomic_store_explicit(&e->live[id], value, memory_order_relaxed);
  return 0;
}

float engine_get_param(const struct engine *e, int id) {
  if (id < 0 || id >= HP_COUNT) return NAN;
  return atomic_load_explicit(&((struct engine *)e)->live[id], memory_order_relaxed);
}

void engine_learn(struct engine *e, float seconds) {
  int frames = (int)lrintf(seconds * e->rate / e->hop);
  if (frames < 1) frames = 1;
  atomic_store_explicit(&e->learning, 1, memory_order_relaxed);
  atomic_store_explicit(&e->learn_request, frames, memory_order_release);
}

int engine_learning(const struct engine *e) {
  struct engine *m = (struct engine *)e;
  return atomic_load_explicit(&m->learn_request, memory_order_seq_cst) > 0 ||
         atomic_load_explicit(&m->learning, memory_order_seq_cst);
}

unsigned long long engine_bad_samples(const struct engine *e) {
  return atomic_load_explicit(&((struct engine *)e)->bad_pub, memory_order_relaxed);
}

void engine_meters(const struct engine *e, struct engine_meters *m) {
  struct engine *x = (struct engine *)e;
  m->in_db = power_db(atomic_load_explicit(&x->m_in_pow, memory_order_relaxed));
  m->out_db = power_db(atomic_load_explicit(&x->m_out_pow, memory_order_relaxed));
  m->reduction_db = -2.f * power_db(atomic_load_explicit(&x->m_gain, memory_order_relaxed));
  m->noise_floor_db = power_db(atomic_load_explicit(&x->m_noise_pow, memory_order_relaxed));
  m->hops = atomic_load_explicit(&x->hops, memory_order_acquire);
}

const float *engine_last_mask(const struct engine *e, int ch) {
  return e->gain[e->models == 1 ? 0 : ch];
}

size_t engine_profile_save(const struct engine *e, int ch, char *buf, size_t len) {
  return noise_profile_save(e->noise[e->models == 1 ? 0 : ch], e->rate, e->fft, buf, len);
}

int engine_profile_load(struct engine *e, const char *text, char *err, size_t errlen) {
  for (int m = 0; m < e->models; m++)
    if (noise_profile_load(e->noise[m], e->rate, e->fft, text, err, errlen)) return -1;
  return 0;
}

/* Profile handover for a running engine. The caller's thread does everything that
 * allocates or parses (text, a scratch noise model) and publishes one request through
 * e->xfer; the audio thread takes it at its next hop, copies bins floats in or out, and
 * marks it done. How long to wait for that, and how, is the caller's business. */
struct engine_xfer {
  struct engine *e;
  int load;                   /* 1: models <- arrays; 0: arrays <- model 0 */
  struct noise *n;            /* scratch model of e's size: parses (load) or formats (save) */
  float *mean_power, *std_db; /* bins each, the staging copy: n's arrays (load) or our own */
  int learned;                /* the staged model's kind */
  atomic_int done;
};

static void xfer_take(struct engine *e) {
  struct engine_xfer *x = atomic_exchange_explicit(&e->xfer, NULL, memory_order_acq_rel);
  if (!x) return;
  if (x->load) {
    for (int m = 0; m < e->models; m++)
      noise_set_model(e->noise[m], x->mean_power, x->std_db, x->learned);
  } else {
    x->learned = noise_is_learned(e->noise[0]);
    memcpy(x->mean_power, noise_mean_power(e->noise[0]), e->bins * sizeof(float));
    memcpy(x->std_db, noise_std_db(e->noise[0]), e->bins * sizeof(float));
  }
  atomic_store_explicit(&x->done, 1, memory_order_release);
}

struct engine_xfer *engine_xfer_create(struct engine *e, const char *text, char *err,
                                       size_t errlen) {
  struct engine_xfer *x = calloc(1, sizeof *x);
  if (!x || !(x->n = noise_create(e->bins, (float)e->hop / e->rate, e->fft / e->hop))) {
    free(x);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  x->e = e;
  x->load = text != NULL;
  atomic_init(&x->done, 0);
  if (x->load) {
    if (noise_profile_load(x->n, e->rate, e->fft, text, err, errlen)) {
      engine_xfer_destroy(x);
      return NULL;
    }
    /* the scratch model's arrays serve as the staging copy */
    x->learned = noise_is_learned(x->n);
    x->mean_power = (float *)noise_mean_power(x->n);
    x->std_db = (float *)noise_std_db(x->n);
  } else if (!(x->mean_power = falloc(e->bins)) || !(x->std_db = falloc(e->bins))) {
    engine_xfer_destroy(x);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  return x;
}

void engine_xfer_destroy(struct engine_xfer *x) {
  if (!x) return;
  if (!x->load) {
    free(x->mean_power);
    free(x->std_db);
  }
  noise_destroy(x->n);
  free(x);
}

int engine_xfer_post(struct engine_xfer *x, char *err, size_t errlen) {
  struct engine_xfer *none = NULL;
  atomic_store_explicit(&x->done, 0, memory_order_relaxed);
  if (!atomic_compare_exchange_strong_explicit(&x->e->xfer, &none, x, memory_order_acq_rel,
                                               memory_order_acquire)) {
    snprintf(err, errlen, "another profile transfer is in progress");
    return -1;
  }
  return 0;
}

int engine_xfer_done(const struct engine_xfer *x) {
  return atomic_load_explicit(&((struct engine_xfer *)x)->done, memory_order_acquire);
}

int engine_xfer_withdraw(struct engine_xfer *x) {
  struct engine_xfer *mine = x;
  return atomic_compare_exchange_strong_explicit(&x->e->xfer, &mine, NULL, memory_order_acq_rel,
                                                 memory_order_acquire);
}

char *engine_xfer_text(struct engine_xfer *x, char *err, size_t errlen) {
  struct engine *e = x->e;
  noise_set_model(x->n, x->mean_power, x->std_db, x->learned);
  size_t len = noise_profile_save(x->n, e->rate, e->fft, NULL, 0) + 1;
  char *text = malloc(len);
  if (text)
    noise_profile_save(x->n, e->rate, e->fft, text, len);
  else
    snprintf(err, errlen, "out of memory");
  return text;
}
