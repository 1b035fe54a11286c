/* demo: make a noisy speech sample and denoise it (see demo.h). */
#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "offline.h"
#include "pinknoise.h"

#define SYNTH_RATE_HZ 22050 /* espeak-ng's own rate, so both voices give alike files */
#define LEAD_S 1.0          /* noise before the speech, s */
#define TAIL_S 1.5          /* noise after it, s; its last TAIL_MEASURE_S are measured */
#define TAIL_MEASURE_S 1.0
#define SPEECH_PEAK 0.5f    /* speech peak, full scale = 1 */
#define SNR_DB 5.0          /* speech RMS over noise RMS */
#define HUM_HZ 50.0

static const char demo_text[] =
    "Hello. This is hushd, a noise suppressor for your microphone. "
    "The hiss and the hum around my voice should be gone in the denoised file.";

struct sound {
  float *x; /* mono samples */
  size_t n;
  int rate_hz;
};

/* Runs espeak-ng into wav (quietly). Returns 0 when it made the file. */
static int espeak_to(const char *wav) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  char *argv[] = {"espeak-ng", "-w", (char *)wav, (char *)demo_text, NULL};
  extern char **environ;
  pid_t pid;
  int rc = posix_spawnp(&pid, "espeak-ng", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) return -1;
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Reads a mono (or first-channel) sound. Returns 0 or -1. */
static int read_sound(const char *path, struct sound *s) {
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  if (!f) return -1;
  float *all = info.frames > 0 ? malloc((size_t)info.frames * info.channels * sizeof(float))
                               : NULL;
  s->x = malloc((size_t)(info.frames > 0 ? info.frames : 1) * sizeof(float));
  int rc = -1;
  if (all && s->x && sf_readf_float(f, all, info.frames) == info.frames) {
    for (sf_count_t i = 0; i < info.frames; i++) s->x[i] = all[i * info.channels];
    s->n = (size_t)info.frames;
    s->rate_hz = info.samplerate;
    rc = 0;
  }
  free(all);
  sf_close(f);
  if (rc) {
    free(s->x);
    s->x = NULL;
  }
  return rc;
}

/* A synthetic voice: words of two or three syllables; each syllable a vowel (harmonics
 * of a gliding f0 under three formant resonances) with a raised-cosine envelope, about
 * four syllables a second. */
static int synth_voice(struct sound *s) {
  static const double vowels[][3] = {{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240},
                                     {530, 1840, 2480}, {570, 840, 2410}};
  static const double bw_hz[3] = {90, 110, 150};
  const int rate = SYNTH_RATE_HZ, words = 12;
  const double syl_s = 0.22, gap_s = 0.16;
  s->rate_hz = rate;
  s->n = (size_t)(words * (3 * syl_s + gap_s) * rate);
  if (!(s->x = calloc(s->n, sizeof(float)))) return -1;
  double phase[64] = {0}, t_s = 0;
  size_t at = 0;
  for (int w = 0; w < words; w++) {
    int syllables = 2 + w % 2;
    for (int k = 0; k < syllables; k++) {
      const double *f = vowels[(w * 3 + k * 2) % 5];
      double accent = k == w % syllables ? 1.15 : 1.0;
      size_t len = (size_t)(syl_s * rate);
      for (size_t i = 0; i < len && at < s->n; i++, at++, t_s += 1.0 / rate) {
        double u = (double)i / len;
        double env = 0.5 - 0.5 * cos(2 * M_PI * u);
        /* declining f0 with a slow wobble and a rise on the accented syllable */
        double f0 = (125 - 3 * t_s + 8 * sin(2 * M_PI * 0.7 * t_s)) * accent;
        double y = 0;
        for (int h = 1; h < 64 && h * f0 < 4000; h++) {
          double fh = h * f0, a = 0;
          for (int j = 0; j < 3; j++) a += 1 / (1 + pow((fh - f[j]) / bw_hz[j], 2)) / (j + 1);
          phase[h] += 2 * M_PI * fh / rate;
          y += a * sin(phase[h]) / sqrt(h);
        }
        s->x[at] = (float)(env * y);
      }
    }
    at += (size_t)(gap_s * rate);
    t_s += gap_s;
  }
  return 0;
}

/* noisy = speech (peak SPEECH_PEAK) in the middle + pink-ish noise at SNR_DB under the
 * speech RMS + a hum at half the noise's RMS. */
static int make_noisy(const struct sound *speech, struct sound *noisy) {
  const int rate = speech->rate_hz;
  size_t lead = (size_t)(LEAD_S * rate), tail = (size_t)(TAIL_S * rate);
  noisy->rate_hz = rate;
  noisy->n = lead + speech->n + tail;
  if (!(noisy->x = calloc(noisy->n, sizeof(float)))) return -1;
  float peak = 0;
  for (size_t i = 0; i < speech->n; i++) peak = fmaxf(peak, fabsf(speech->x[i]));
  double gain = peak > 0 ? SPEECH_PEAK / peak : 0, power = 0;
  for (size_t i = 0; i < speech->n; i++) power += pow(speech->x[i] * gain, 2);
  double noise_rms = sqrt(power / speech->n) * pow(10, -SNR_DB / 20);
  /* pink noise scaled to noise_rms (the filter's gain is measured on the noise itself) */
  float *noise = malloc(noisy->n * sizeof(float));
  if (!noise) return -1;
  uint32_t seed = 0x2545f491u;
  double npow = pink_noise(noise, noisy->n, &seed);
  double ngain = npow > 0 ? noise_rms / sqrt(npow) : 0;
  for (size_t i = 0; i < noisy->n; i++) {
    double t = (double)i / rate;
    double hum = sin(2 * M_PI * HUM_HZ * t) + 0.5 * sin(2 * M_PI * 2 * HUM_HZ * t) +
                 0.3 * sin(2 * M_PI * 3 * HUM_HZ * t);
    double y = noise[i] * ngain + 0.5 * noise_rms * hum / 0.8;
    if (i >= lead && i < lead + speech->n) y += speech->x[i - lead] * gain;
    noisy->x[i] = (float)y;
  }
  free(noise);
  return 0;
}

static int write_wav16(const char *path, const struct sound *s) {
  SF_INFO info = {.samplerate = s->rate_hz, .channels = 1,
                  .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  if (!f) return -1;
  sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
  int bad = sf_writef_float(f, s->x, (sf_count_t)s->n) != (sf_count_t)s->n;
  return sf_close(f) || bad ? -1 : 0;
}

/* RMS in dB of samples [from, to) of a sound. */
static double rms_db(const struct sound *s, size_t from, size_t to) {
  double p = 0;
  for (size_t i = from; i < to && i < s->n; i++) p += (double)s->x[i] * s->x[i];
  return 10 * log10(p / (double)(to - from) + 1e-20);
}

int demo_run(const struct settings *s, FILE *out, char *err, size_t errlen) {
  char dir[PATH_MAX], noisy_path[PATH_MAX + 32], denoised_path[PATH_MAX + 32],
      png_path[PATH_MAX + 32], speech_path[PATH_MAX + 32];
  if (mkdir(s->demo_dir, 0777) && errno != EEXIST) {
    snprintf(err, errlen, "%s: cannot create the folder: %s", s->demo_dir, strerror(errno));
    return 2;
  }
  struct stat st;
  if (!realpath(s->demo_dir, dir) || stat(dir, &st)) {
    snprintf(err, errlen, "%s: %s", s->demo_dir, strerror(errno));
    return 2;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s: is not a folder", s->demo_dir);
    return 2;
  }
  snprintf(noisy_path, sizeof noisy_path, "%s/demo-noisy.wav", dir);
  snprintf(denoised_path, sizeof denoised_path, "%s/demo-denoised.wav", dir);
  snprintf(png_path, sizeof png_path, "%s/demo-spectrogram.png", dir);
  snprintf(speech_path, sizeof speech_path, "%s/.demo-speech.wav", dir);

  struct sound speech = {0}, noisy = {0}, denoised = {0};
  int rc;
  const char *voice = "espeak-ng";
  int ok = espeak_to(speech_path) == 0 && read_sound(speech_path, &speech) == 0;
  unlink(speech_path);
  if (!ok) {
    voice = "a synthetic voice (espeak-ng not found)";
    if (synth_voice(&speech)) goto oom;
  }
  if (make_noisy(&speech, &noisy)) goto oom;
  if (write_wav16(noisy_path, &noisy)) {
    snprintf(err, errlen, "%s: cannot write: %s", noisy_path, sf_strerror(NULL));
    goto fail;
  }

  struct settings run = *s;
  run.input = noisy_path;
  run.output = denoised_path;
  run.spectrogram = png_path;
  rc = offline_run(&run, err, errlen);
  if (rc) goto done;
  if (read_sound(denoised_path, &denoised)) {
    snprintf(err, errlen, "%s: cannot read back", denoised_path);
    goto fail;
  }
  /* the last second is noise only: how much quieter did it get */
  size_t from = noisy.n - (size_t)(TAIL_MEASURE_S * noisy.rate_hz);
  fprintf(out,
          "hushd demo: %.1f s of speech from %s at %d Hz, with pink-ish noise (SNR %.0f dB) "
          "and a %.0f Hz hum\n"
          "hushd demo: noise-only end: %.1f dB before, %.1f dB after denoising\n"
          "hushd demo: wrote %s/\n  demo-noisy.wav\n  demo-denoised.wav\n"
          "  demo-spectrogram.png\n",
          (double)speech.n / speech.rate_hz, voice, noisy.rate_hz, SNR_DB, HUM_HZ,
          rms_db(&noisy, from, noisy.n), rms_db(&denoised, from, denoised.n), dir);
  goto done;
oom:
  snprintf(err, errlen, "out of memory");
fail:
  rc = 1;
done:
  free(speech.x);
  free(noisy.x);
  free(denoised.x);
  return rc;
}
