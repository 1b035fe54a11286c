/* benchmark-engine: how fast hushd's engine denoises, next to speexdsp's preprocessor.
 *
 * Processes the same mono noisy speech (60 s at 48 kHz, generated here, or a file given
 * on the command line) with hushd's engine at its defaults and at the low-latency preset,
 * and with speexdsp's denoiser (20 ms frames, denoise on, AGC/VAD/dereverb off). For
 * each it prints the real-time factor (audio seconds per CPU second of the processing
 * loop alone, median and best of several repeats), microseconds per hop (per frame for
 * speexdsp), the algorithmic latency, and the wall-clock start-up time from create to the
 * return of the first process call. A benchmark, not a test: nothing here fails on speed.
 *
 *   benchmark-engine [--seconds S] [--repeats N] [--only default|low-latency|speexdsp]
 *                    [FILE]
 * --only runs one row with one untimed pass, for instruction counts under callgrind.
 */
#include <fftw3.h>
#include <math.h>
#include <sndfile.h>
#include <speex/speex_preprocess.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "pinknoise.h"
#include "signals.h"

#define RATE_DEFAULT 48000

/* What is measured for one row of the table. */
struct row {
  const char *name;
  int window, hop;          /* analysis window and hop (frame) in samples */
  size_t latency;           /* algorithmic latency of the per-hop API, samples */
  double startup_ms;        /* create + first process call, wall clock */
  double removed_db;        /* input energy / output energy: proof that it denoised */
  double median_s, best_s;  /* CPU seconds of the whole processing loop */
  size_t hops;              /* hops per loop */
};

static double now_s(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 10 log10 of the energy ratio of in and out over n samples; stride 1 or int16 data */
static double removed_db(const float *in, const float *outf, const int16_t *out16, size_t n) {
  double ein = 1e-30, eout = 1e-30;
  for (size_t i = 0; i < n; i++) {
    double y = outf ? outf[i] : out16[i] / 32768.0;
    ein += (double)in[i] * in[i];
    eout += y * y;
  }
  return 10.0 * log10(ein / eout);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Two-pole resonator with gain normalised at its centre frequency. */
struct reson {
  double a1, a2, g, y1, y2;
};

static void reson_set(struct reson *r, double freq_hz, double bw_hz, int rate) {
  double rad = exp(-M_PI * bw_hz / rate);
  r->a1 = 2.0 * rad * cos(2.0 * M_PI * freq_hz / rate);
  r->a2 = -rad * rad;
  r->g = 1.0 - rad;
}

static double reson_run(struct reson *r, double x) {
  double y = r->g * x + r->a1 * r->y1 + r->a2 * r->y2;
  r->y2 = r->y1;
  r->y1 = y;
  return y;
}

/* Speech-like test signal: a glottal sawtooth with a wandering pitch through three
 * formant resonators whose vowel changes every syllable, syllables of 120-300 ms with a
 * raised-cosine envelope and a short noise burst as consonant, grouped into phrases with
 * pauses between them; plus pink noise (Kellet's filter) at 5 dB SNR over the active
 * speech. The same samples on every machine (xorshift generator). */
static void make_noisy_speech(float *x, size_t n, int rate) {
  static const double vowels[][3] = {{730, 1090, 2440}, {270, 2290, 3010}, {530, 1840, 2480},
                                     {570, 840, 2410},  {300, 870, 2240},  {660, 1720, 2410}};
  uint32_t seed = 20240611;
  double *speech = malloc(n * sizeof(double));
  struct reson f[3] = {{0}}, fric = {0};
  reson_set(&fric, 4500, 2500, rate);
  double phase = 0, speech_pow = 0;
  size_t active = 0, syl_left = 0, syl_len = 1, pause_left = 0, phrase_left = 0;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / rate;
    speech[i] = 0;
    if (pause_left) {
      pause_left--;
      continue;
    }
    if (!syl_left) {
      if (!phrase_left) {
        phrase_left = 3 + (size_t)(8 * (sig_uniform(&seed) + 1) / 2);
        pause_left = (size_t)((0.3 + 0.5 * (sig_uniform(&seed) + 1) / 2) * rate);
      }
      phrase_left--;
      syl_len = syl_left = (size_t)((0.12 + 0.18 * (sig_uniform(&seed) + 1) / 2) * rate);
      const double *v = vowels[(seed >> 8) % 6];
      for (int k = 0; k < 3; k++) reson_set(&f[k], v[k], 60 + 40 * k, rate);
      continue;
    }
    double pos = 1.0 - (double)syl_left / (double)syl_len;
    syl_left--;
    double env = 0.5 - 0.5 * cos(2.0 * M_PI * pos);
    double f0 = 125 + 25 * sin(2 * M_PI * 0.31 * t) + 12 * sin(2 * M_PI * 1.7 * t);
    phase += f0 / rate;
    phase -= floor(phase);
    double src = 1.0 - 2.0 * phase;
    double voiced = reson_run(&f[0], src) + 0.5 * reson_run(&f[1], src) +
                    0.25 * reson_run(&f[2], src);
    double burst = pos < 0.15 ? 0.3 * reson_run(&fric, sig_uniform(&seed)) : 0.0;
    speech[i] = env * voiced + burst;
    speech_pow += speech[i] * speech[i];
    active++;
  }
  speech_pow /= active ? (double)active : 1.0;
  double noise_pow = pink_noise(x, n, &seed);
  double noise_gain = sqrt(speech_pow / noise_pow * pow(10.0, -5.0 / 10.0));
  double peak = 0;
  for (size_t i = 0; i < n; i++) {
    speech[i] += noise_gain * x[i];
    if (fabs(speech[i]) > peak) peak = fabs(speech[i]);
  }
  for (size_t i = 0; i < n; i++) x[i] = (float)(0.5 * speech[i] / peak);
  free(speech);
}

/* Reads FILE mixed down to mono. Returns the samples (caller frees) or NULL. */
static float *read_mono(const char *path, size_t *frames, int *rate) {
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  if (!f) {
    fprintf(stderr, "benchmark-engine: %s: %s\n", path, sf_strerror(NULL));
    return NULL;
  }
  size_t n = (size_t)info.frames;
  float *inter = malloc((n ? n : 1) * info.channels * sizeof(float));
  float *mono = calloc(n ? n : 1, sizeof(float));
  if (!inter || !mono || n == 0 || sf_readf_float(f, inter, info.frames) != info.frames) {
    fprintf(stderr, "benchmark-engine: %s: no audio could be read\n", path);
    free(inter);
    free(mono);
    sf_close(f);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    for (int c = 0; c < info.channels; c++) mono[i] += inter[i * info.channels + c];
    mono[i] /= (float)info.channels;
  }
  free(inter);
  sf_close(f);
  *frames = n;
  *rate = info.samplerate;
  return mono;
}

/* One hushd configuration: the processing loop over whole hops is what is timed. */
static int bench_hushd(struct row *r, const char *preset, enum engine_plan plan,
                       const float *x, size_t n, int rate, int repeats) {
  struct hp_values p;
  char err[256];
  hp_defaults(&p);
  if (preset && hp_preset_apply(&p, preset, err, sizeof err)) {
    fprintf(stderr, "benchmark-engine: %s\n", err);
    return -1;
  }
  float *out = malloc(n * sizeof(float));
  double *cpu = malloc(repeats * sizeof(double));
  double t0 = now_s(CLOCK_MONOTONIC);
  struct engine *e = engine_create(&p, rate, 1, plan, err, sizeof err);
  if (!e) {
    fprintf(stderr, "benchmark-engine: %s\n", err);
    free(out);
    free(cpu);
    return -1;
  }
  r->hop = engine_hop_size(e);
  engine_process(e, x, out, (size_t)r->hop);
  r->startup_ms = 1e3 * (now_s(CLOCK_MONOTONIC) - t0);
  r->window = engine_fft_size(e);
  r->latency = engine_hop_latency_frames(e);
  r->hops = n / (size_t)r->hop;
  engine_destroy(e);
  for (int k = 0; k < repeats; k++) {
    e = engine_create(&p, rate, 1, plan, err, sizeof err);
    double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    for (size_t h = 0; h < r->hops; h++)
      engine_process_hop(e, x + h * r->hop, out + h * r->hop);
    cpu[k] = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    engine_destroy(e);
  }
  qsort(cpu, repeats, sizeof *cpu, cmp_double);
  r->best_s = cpu[0];
  r->median_s = cpu[repeats / 2];
  r->removed_db = removed_db(x, out, NULL, r->hops * r->hop);
  free(out);
  free(cpu);
  return 0;
}

/* speexdsp's preprocessor works in place on int16 frames; the conversion is done before
 * the timed loop so that only the denoiser is measured. */
static int bench_speex(struct row *r, const float *x, size_t n, int rate, int repeats) {
  const int frame = rate / 50; /* 20 ms */
  int16_t *pcm = malloc(n * sizeof(int16_t)), *work = malloc(n * sizeof(int16_t));
  double *cpu = malloc(repeats * sizeof(double));
  for (size_t i = 0; i < n; i++) {
    float v = x[i] * 32767.f;
    pcm[i] = (int16_t)lrintf(v > 32767.f ? 32767.f : v < -32768.f ? -32768.f : v);
  }
  r->hop = frame;
  r->window = 2 * frame;    /* its analysis window spans two frames */
  r->latency = (size_t)frame; /* output frame = the previous input frame, overlap-added */
  r->hops = n / (size_t)frame;
  for (int k = -1; k < repeats; k++) {
    memcpy(work, pcm, n * sizeof(int16_t));
    double t0 = now_s(CLOCK_MONOTONIC);
    SpeexPreprocessState *st = speex_preprocess_state_init(frame, rate);
    /* VAD is off from init; setting it (even to off) only prints a warning */
    int on = 1, off = 0;
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC, &off);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DEREVERB, &off);
    if (k < 0) { /* the start-up pass: create + first frame, not a repeat */
      speex_preprocess_run(st, work);
      r->startup_ms = 1e3 * (now_s(CLOCK_MONOTONIC) - t0);
      speex_preprocess_state_destroy(st);
      continue;
    }
    double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    for (size_t h = 0; h < r->hops; h++) speex_preprocess_run(st, work + h * frame);
    cpu[k] = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    speex_preprocess_state_destroy(st);
  }
  qsort(cpu, repeats, sizeof *cpu, cmp_double);
  r->best_s = cpu[0];
  r->median_s = cpu[repeats / 2];
  r->removed_db = removed_db(x, NULL, work, r->hops * frame);
  free(pcm);
  free(work);
  free(cpu);
  return 0;
}

/* The floor under any FFTW-based STFT: one r2c + c2r pair per hop and nothing else,
 * planned like the engine's (FFTW_ESTIMATE), over the same frames. */
static void bench_fft_pair(struct row *r, const float *x, size_t n, int repeats) {
  const int fft = r->window;
  float *sig = fftwf_alloc_real(n), *frame = fftwf_alloc_real(fft);
  fftwf_complex *spec = fftwf_alloc_complex(fft / 2 + 1);
  double *cpu = malloc(repeats * sizeof(double));
  memcpy(sig, x, n * sizeof(float));
  fftwf_plan fwd = fftwf_plan_dft_r2c_1d(fft, sig, spec, FFTW_ESTIMATE);
  fftwf_plan inv = fftwf_plan_dft_c2r_1d(fft, spec, frame, FFTW_ESTIMATE);
  r->hops = (n - (size_t)fft) / (size_t)r->hop;
  for (int k = 0; k < repeats; k++) {
    double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    for (size_t h = 0; h < r->hops; h++) {
      fftwf_execute_dft_r2c(fwd, sig + h * r->hop, spec);
      fftwf_execute_dft_c2r(inv, spec, frame);
    }
    cpu[k] = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
  }
  qsort(cpu, repeats, sizeof *cpu, cmp_double);
  r->best_s = cpu[0];
  r->median_s = cpu[repeats / 2];
  fftwf_destroy_plan(fwd);
  fftwf_destroy_plan(inv);
  fftwf_free(sig);
  fftwf_free(frame);
  fftwf_free(spec);
  free(cpu);
}

/* real-time factor of the median: audio seconds per hop / CPU seconds per hop */
static double rtf(const struct row *r, int rate) {
  return (double)r->hop / rate / (r->median_s / (double)r->hops);
}

/* Rows without a latency (the FFT floor) leave latency, start-up and removed empty. */
static void print_row(const struct row *r, int rate) {
  const double med = r->median_s / (double)r->hops, best = r->best_s / (double)r->hops;
  const double hop_s = (double)r->hop / rate;
  char lat[32] = "", rest[32] = "";
  if (r->latency) {
    snprintf(lat, sizeof lat, "%zu (%.1f ms)", r->latency, 1e3 * (double)r->latency / rate);
    snprintf(rest, sizeof rest, "%8.2f %8.1f", r->startup_ms, r->removed_db);
  }
  printf("%-20s %6d %5d  %-16s %8.2f %8.2f  %7.0fx %7.0fx  %s\n", r->name, r->window, r->hop,
         lat, 1e6 * med, 1e6 * best, hop_s / med, hop_s / best, rest);
}

static int usage(void) {
  fprintf(stderr, "usage: benchmark-engine [--seconds S] [--repeats N] "
                  "[--only default|low-latency|speexdsp] [FILE]\n");
  return 2;
}

int main(int argc, char **argv) {
  double seconds = 60;
  int repeats = 7;
  const char *only = NULL, *path = NULL;
  for (int i = 1; i < argc; i++) {
    char *end;
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = strtod(argv[++i], &end);
      if (*end || !(seconds > 0.1 && seconds <= 3600)) return usage();
    } else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
      repeats = (int)strtol(argv[++i], &end, 10);
      if (*end || repeats < 1 || repeats > 1000) return usage();
    } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
      only = argv[++i];
      if (strcmp(only, "default") && strcmp(only, "low-latency") && strcmp(only, "speexdsp"))
        return usage();
    } else if (argv[i][0] != '-' && !path) {
      path = argv[i];
    } else {
      return usage();
    }
  }
  int rate = RATE_DEFAULT;
  size_t n;
  float *x;
  if (path) {
    if (!(x = read_mono(path, &n, &rate))) return 2;
  } else {
    n = (size_t)(seconds * rate);
    x = malloc(n * sizeof(float));
    make_noisy_speech(x, n, rate);
  }
  const double audio_s = (double)n / rate;
  if (only) {
    struct row r = {.name = only};
    int bad = !strcmp(only, "speexdsp") ? bench_speex(&r, x, n, rate, 1)
                                        : bench_hushd(&r, strcmp(only, "default") ? only : NULL,
                                                      ENGINE_PLAN_ESTIMATE, x, n, rate, 1);
    /* calls of the process function: the loop's hops and the start-up pass's one */
    if (!bad) printf("%s: %zu calls of %d samples\n", only, r.hops + 1, r.hop);
    free(x);
    return bad ? 1 : 0;
  }

  /* The first engine in the process is created first: its start-up is the cold one.
   * FFTW_MEASURE comes last: the wisdom it leaves would change later ESTIMATE plans. */
  enum { DEFAULT, LOW_LATENCY, SPEEX, FFT_PAIR, MEASURED, ROWS };
  struct row rows[ROWS] = {[DEFAULT] = {.name = "hushd default"},
                           [LOW_LATENCY] = {.name = "hushd low-latency"},
                           [SPEEX] = {.name = "speexdsp preprocess"},
                           [FFT_PAIR] = {.name = "FFTW pair alone"},
                           [MEASURED] = {.name = "hushd FFTW_MEASURE"}};
  if (bench_hushd(&rows[DEFAULT], NULL, ENGINE_PLAN_ESTIMATE, x, n, rate, repeats) ||
      bench_hushd(&rows[LOW_LATENCY], "low-latency", ENGINE_PLAN_ESTIMATE, x, n, rate,
                  repeats) ||
      bench_speex(&rows[SPEEX], x, n, rate, repeats)) {
    free(x);
    return 1;
  }
  /* the floor under any FFTW-based STFT at the default size: the FFTs alone */
  rows[FFT_PAIR].window = rows[DEFAULT].window;
  rows[FFT_PAIR].hop = rows[DEFAULT].hop;
  bench_fft_pair(&rows[FFT_PAIR], x, n, repeats);
  /* what a saved FFTW wisdom (--wisdom) buys, and what planning without one costs */
  if (bench_hushd(&rows[MEASURED], NULL, ENGINE_PLAN_MEASURE, x, n, rate, repeats)) {
    free(x);
    return 1;
  }
  printf("%.1f s of %d Hz mono %s; CPU time of the processing loop, %d repeats\n", audio_s,
         rate, path ? path : "synthetic noisy speech (5 dB SNR, pink noise)", repeats);
  printf("%-20s %6s %5s  %-16s %8s %8s  %8s %8s  %8s %8s\n", "", "window", "hop", "latency",
         "us/hop", "", "RTF", "", "start-up", "removed");
  printf("%-20s %6s %5s  %-16s %8s %8s  %8s %8s  %8s %8s\n", "", "", "", "samples (ms)",
         "median", "best", "median", "best", "ms", "dB");
  for (int i = 0; i < ROWS; i++) print_row(&rows[i], rate);
  printf("hushd / speexdsp speed (median RTF): default %.1fx, low-latency %.1fx\n",
         rtf(&rows[DEFAULT], rate) / rtf(&rows[SPEEX], rate),
         rtf(&rows[LOW_LATENCY], rate) / rtf(&rows[SPEEX], rate));
  free(x);
  return 0;
}
