/* audio: PortAudio streams and the copy-only callbacks (see audio.h). */
#include "audio.h"

#include <alsa/asoundlib.h>
#include <ctype.h>
#include <errno.h>
#include <jack/jack.h>
#include <pa_jack.h>
#include <stdarg.h>
#include <portaudio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "ring.h"

#define MAX_CHANNELS 64 /* settings allow 1..64 */

struct audio {
  PaStream *in_stream, *out_stream; /* the same stream when duplex */
  int duplex;
  size_t channels;
  struct ring *in, *out;
  sem_t *wake;
  long long deadband_frames; /* two devices: fill error tolerated before correcting */

  /* written by the input side, read by the output side */
  _Alignas(64) atomic_ullong pushed_frames; /* frames put into the in ring */
  /* output side only */
  _Alignas(64) unsigned long long consumed_frames; /* frames taken from the out ring */
  float last_frame[MAX_CHANNELS];
  /* counters: written by the callbacks, read by the main thread */
  atomic_ullong xruns, overruns, underruns, dropped, repeated, callbacks;
  atomic_ulong callback_frames; /* size of the latest output callback */
};

/* ALSA and libjack print to stderr on their own while PortAudio probes the devices:
 * dozens of lines on a machine without a sound card or JACK server, which hushd then
 * explains in one. Their messages go to the debug log (--verbose) instead. libjack calls
 * these on its real-time thread too, where nothing may be formatted or written: there
 * they go through the log's RT queue, ALSA's format string as it is, unformatted. */
static pthread_t main_thread;

static void library_message(const char *prefix, const char *text) {
  if (pthread_equal(pthread_self(), main_thread)) log_debug("%s%s", prefix, text);
  else log_rt(LOG_LEVEL_DEBUG, prefix, text);
}

static void alsa_message(const char *file, int line, const char *function, int e,
                         const char *fmt, ...) {
  (void)file;
  (void)line;
  (void)e;
  if (!pthread_equal(pthread_self(), main_thread)) {
    library_message("ALSA: ", fmt);
    return;
  }
  char text[512];
  int k = snprintf(text, sizeof text, "%s: ", function);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text + k, sizeof text - (size_t)k, fmt, ap);
  va_end(ap);
  library_message("ALSA: ", text);
}

static void jack_message(const char *text) { library_message("JACK: ", text); }

int audio_init(const char *jack_client_name, char *err, size_t errlen) {
  main_thread = pthread_self();
  snd_lib_error_set_handler(alsa_message);
  jack_set_error_function(jack_message);
  jack_set_info_function(jack_message);
  PaError pe = PaJack_SetClientName(jack_client_name);
  if (pe == paNoError) pe = Pa_Initialize();
  if (pe != paNoError) {
    snprintf(err, errlen, "PortAudio: %s", Pa_GetErrorText(pe));
    return -1;
  }
  return 0;
}

void audio_done(void) { Pa_Terminate(); }

/* PortAudio answers NULL for an index it does not know (or a device gone since
 * Pa_Initialize): every lookup goes through these. */
static const char *host_api_name(const PaDeviceInfo *d) {
  const PaHostApiInfo *h = d ? Pa_GetHostApiInfo(d->hostApi) : NULL;
  return h && h->name ? h->name : "?";
}

void audio_list_devices(FILE *out) {
  int n = Pa_GetDeviceCount();
  int din = Pa_GetDefaultInputDevice(), dout = Pa_GetDefaultOutputDevice();
  fprintf(out, "%5s  %-32s %-12s %4s %4s %8s\n", "index", "name", "host API", "in", "out",
          "rate Hz");
  for (int i = 0; i < n; i++) {
    const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
    if (!d) continue;
    fprintf(out, "%5d  %-32s %-12s %4d %4d %8.0f%s%s\n", i, d->name, host_api_name(d),
            d->maxInputChannels, d->maxOutputChannels, d->defaultSampleRate,
            i == din ? "  default input" : "", i == dout ? "  default output" : "");
  }
  if (n <= 0) fprintf(out, "(no audio devices found)\n");
}

/* ---- device choice (main thread) ---- */

static int channels_of(const PaDeviceInfo *d, int input) {
  return input ? d->maxInputChannels : d->maxOutputChannels;
}

static int contains_nocase(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (!strncasecmp(hay, needle, n)) return 1;
  return n == 0;
}

/* Appends `index "name" (host API)` of every device with that direction to buf. */
static void list_candidates(char *buf, size_t len, int input, const char *needle) {
  size_t used = strlen(buf);
  int n = Pa_GetDeviceCount(), any = 0;
  for (int i = 0; i < n && used < len; i++) {
    const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
    if (!d || !channels_of(d, input) || (needle && !contains_nocase(d->name, needle)))
      continue;
    used += (size_t)snprintf(buf + used, len - used, "%s%d \"%s\" (%s)", any++ ? ", " : "",
                             i, d->name, host_api_name(d));
  }
  if (!any && used < len) snprintf(buf + used, len - used, "none");
}

/* A spec of digits, with an optional sign, is an index; anything else is (part of) a
 * name, "2i2" included. */
static int is_index(const char *spec) {
  const char *d = spec + (*spec == '-' || *spec == '+');
  return *d && strspn(d, "0123456789") == strlen(d);
}

/* The index spec names among n devices, or -1 when it is out of range (however many
 * digits it has: no wrap-around). */
static int parse_index(const char *spec, int n) {
  errno = 0;
  char *end;
  long v = strtol(spec, &end, 10);
  return errno || *end || v < 0 || v >= n ? -1 : (int)v;
}

/* Returns the device index for spec (NULL = default), or -1 with a message. */
static int find_device(const char *spec, int input, int channels, int *bad_name, char *err,
                       size_t errlen) {
  const char *dir = input ? "input" : "output";
  int n = Pa_GetDeviceCount(), found = -1;
  *bad_name = 0;
  if (!spec) {
    found = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    if (found == paNoDevice) {
      *bad_name = 1;
      snprintf(err, errlen,
               "no default %s device (no sound card or sound server?); see hushd "
               "--list-devices, try hushd --demo DIR (scripts/run --demo), or denoise "
               "files with --input IN --output OUT",
               dir);
      return -1;
    }
  } else if (is_index(spec)) {
    found = parse_index(spec, n);
    if (found < 0) {
      *bad_name = 1;
      if (n <= 0) {
        snprintf(err, errlen, "--%s-device %s: no device with that index: PortAudio found "
                 "no audio devices", dir, spec);
        return -1;
      }
      int k = snprintf(err, errlen, "--%s-device %s: no device with that index; %s devices: ",
                       dir, spec, dir);
      if (k > 0 && (size_t)k < errlen) list_candidates(err, errlen, input, NULL);
      return -1;
    }
  } else {
    int matches = 0;
    for (int i = 0; i < n; i++) {
      const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
      if (!d || !channels_of(d, input)) continue;
      if (!strcasecmp(d->name, spec)) { /* an exact name wins over substrings */
        found = i;
        matches = 1;
        break;
      }
      if (contains_nocase(d->name, spec)) {
        found = i;
        matches++;
      }
    }
    if (matches != 1) {
      *bad_name = 1;
      int k = snprintf(err, errlen, matches ? "--%s-device \"%s\" matches several %s devices: "
                                            : "--%s-device \"%s\" matches no %s device; "
                                              "%s devices: ",
                       dir, spec, dir, dir);
      if (k > 0 && (size_t)k < errlen) list_candidates(err, errlen, input, matches ? spec : NULL);
      return -1;
    }
  }
  const PaDeviceInfo *d = Pa_GetDeviceInfo(found);
  if (!d) {
    *bad_name = 1;
    snprintf(err, errlen, "%s device %d: PortAudio has no such device (see hushd "
             "--list-devices)", dir, found);
    return -1;
  }
  if (channels_of(d, input) < channels) {
    *bad_name = 1;
    snprintf(err, errlen, "%s device %d \"%s\" has %d %s channels, %d asked (--channels)", dir,
             found, d->name, channels_of(d, input), dir, channels);
    return -1;
  }
  return found;
}

/* ---- the callbacks (audio threads): copy, count, wake; nothing else ---- */

static void count_flags(struct audio *a, PaStreamCallbackFlags flags) {
  if (flags & (paInputUnderflow | paInputOverflow | paOutputUnderflow | paOutputOverflow))
    atomic_fetch_add_explicit(&a->xruns, 1, memory_order_relaxed);
}

static void capture(struct audio *a, const float *in, unsigned long frames) {
  size_t put = ring_write(a->in, in, frames);
  if (put < frames) atomic_fetch_add_explicit(&a->overruns, frames - put, memory_order_relaxed);
  atomic_fetch_add_explicit(&a->pushed_frames, put, memory_order_release);
  sem_post(a->wake); /* async-signal-safe, never blocks */
}

static void play(struct audio *a, float *out, unsigned long frames) {
  size_t ch = a->channels;
  unsigned long long pushed = atomic_load_explicit(&a->pushed_frames, memory_order_acquire);
  /* > 0: more in flight than the prefill (after an underrun, or a faster input clock) */
  long long error = (long long)(pushed - a->consumed_frames) - (long long)frames;
  long long fix = a->duplex ? error : error > a->deadband_frames ? 1
                                    : error < -a->deadband_frames ? -1 : 0;
  size_t pad = 0;
  if (fix > 0) {
    size_t k = ring_read(a->out, NULL, (size_t)fix);
    a->consumed_frames += k;
    atomic_fetch_add_explicit(&a->dropped, k, memory_order_relaxed);
  } else if (fix < 0) {
    pad = (size_t)-fix < frames ? (size_t)-fix : frames;
    for (size_t i = 0; i < pad; i++) memcpy(out + i * ch, a->last_frame, ch * sizeof(float));
    atomic_fetch_add_explicit(&a->repeated, pad, memory_order_relaxed);
  }
  size_t want = frames - pad, got = ring_read(a->out, out + pad * ch, want);
  a->consumed_frames += got;
  if (got < want) {
    memset(out + (pad + got) * ch, 0, (want - got) * ch * sizeof(float));
    atomic_fetch_add_explicit(&a->underruns, want - got, memory_order_relaxed);
  }
  if (frames) memcpy(a->last_frame, out + (frames - 1) * ch, ch * sizeof(float));
  atomic_store_explicit(&a->callback_frames, frames, memory_order_relaxed);
  atomic_fetch_add_explicit(&a->callbacks, 1, memory_order_relaxed);
}

static int duplex_cb(const void *in, void *out, unsigned long frames,
                     const PaStreamCallbackTimeInfo *t, PaStreamCallbackFlags flags, void *p) {
  (void)t;
  count_flags(p, flags);
  capture(p, in, frames);
  play(p, out, frames);
  return paContinue;
}

static int input_cb(const void *in, void *out, unsigned long frames,
                    const PaStreamCallbackTimeInfo *t, PaStreamCallbackFlags flags, void *p) {
  (void)out, (void)t;
  count_flags(p, flags);
  capture(p, in, frames);
  return paContinue;
}

static int output_cb(const void *in, void *out, unsigned long frames,
                     const PaStreamCallbackTimeInfo *t, PaStreamCallbackFlags flags, void *p) {
  (void)in, (void)t;
  count_flags(p, flags);
  play(p, out, frames);
  return paContinue;
}

/* ---- streams (main thread) ---- */

static long gcd(long a, long b) { return b ? gcd(b, a % b) : a; }

/* Frames that must be in flight so the output never waits for the worker: the output
 * of a callback cannot use that callback's own input (the worker runs after it), one
 * period is being played, and up to hop - gcd(frames, hop) frames wait in the in ring
 * for a whole hop. Two clocks add a period of phase wander. */
static size_t prefill_frames(const struct audio_config *cfg, int duplex) {
  long f = cfg->frames, h = cfg->hop_frames;
  return (size_t)(2 * f + h - gcd(f, h) + (duplex ? 0 : f));
}

size_t audio_ring_frames(const struct audio_config *cfg) {
  return 4 * (prefill_frames(cfg, 0) + (size_t)cfg->frames + (size_t)cfg->hop_frames);
}

/* PortAudio's JACK host API computes a port's latency minus one period in unsigned
 * arithmetic: a client's port without latency comes out as about 24 hours. Such a value
 * is unknown, counted as 0. */
static double sane_latency_s(double s) { return s >= 0 && s < 10 ? s : 0; }

/* d: dev's info (not NULL: find_device checked it) */
static PaStreamParameters params_for(int dev, const PaDeviceInfo *d, int channels,
                                     int input) {
  PaStreamParameters p = {.device = dev, .channelCount = channels,
                          .sampleFormat = paFloat32,
                          .suggestedLatency = input ? d->defaultLowInputLatency
                                                    : d->defaultLowOutputLatency};
  return p;
}

static int pa_failed(PaError pe, const char *what, char *err, size_t errlen) {
  if (pe == paNoError) return 0;
  const PaHostErrorInfo *h = Pa_GetLastHostErrorInfo();
  snprintf(err, errlen, "%s: %s%s%s", what, Pa_GetErrorText(pe),
           pe == paUnanticipatedHostError && h && h->errorText ? ": " : "",
           pe == paUnanticipatedHostError && h && h->errorText ? h->errorText : "");
  return 1;
}

struct audio *audio_open(const struct audio_config *cfg, struct ring *in, struct ring *out,
                         sem_t *wake, struct audio_info *info, int *bad_name, char *err,
                         size_t errlen) {
  int idev = find_device(cfg->input_device, 1, cfg->channels, bad_name, err, errlen);
  if (idev < 0) return NULL;
  int odev = find_device(cfg->output_device, 0, cfg->channels, bad_name, err, errlen);
  if (odev < 0) return NULL;
  struct audio *a = calloc(1, sizeof *a);
  if (!a) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  a->duplex = idev == odev;
  a->channels = (size_t)cfg->channels;
  a->in = in;
  a->out = out;
  a->wake = wake;
  a->deadband_frames = cfg->frames;
  size_t prefill = prefill_frames(cfg, a->duplex);
  ring_write(out, NULL, prefill);

  const PaDeviceInfo *di = Pa_GetDeviceInfo(idev), *dout = Pa_GetDeviceInfo(odev);
  PaStreamParameters ip = params_for(idev, di, cfg->channels, 1);
  PaStreamParameters op = params_for(odev, dout, cfg->channels, 0);
  PaStreamFlags fl = paClipOff | paDitherOff;
  /* PortAudio's JACK host API re-blocks a fixed callback size through a buffer of one
   * more period; with an unspecified size it hands over JACK's own period unbuffered
   * (audio_callback_frames lets the caller check that it is cfg->frames). */
  const PaHostApiInfo *api = Pa_GetHostApiInfo(di->hostApi);
  unsigned long fpb = api && api->type == paJACK && a->duplex ? paFramesPerBufferUnspecified
                                                       : (unsigned long)cfg->frames;
  if (a->duplex) {
    if (pa_failed(Pa_OpenStream(&a->in_stream, &ip, &op, cfg->rate_hz, fpb, fl, duplex_cb, a),
                  "opening the duplex stream", err, errlen))
      goto fail;
    a->out_stream = a->in_stream;
  } else if (pa_failed(Pa_OpenStream(&a->in_stream, &ip, NULL, cfg->rate_hz, fpb, fl,
                                     input_cb, a), "opening the input stream", err, errlen) ||
             pa_failed(Pa_OpenStream(&a->out_stream, NULL, &op, cfg->rate_hz, fpb, fl,
                                     output_cb, a), "opening the output stream", err, errlen)) {
    goto fail;
  }

  const PaStreamInfo *si = Pa_GetStreamInfo(a->in_stream), *so = Pa_GetStreamInfo(a->out_stream);
  info->input_index = idev;
  info->output_index = odev;
  info->duplex = a->duplex;
  info->input_name = di->name;
  info->output_name = dout->name;
  info->host_api = host_api_name(di);
  info->prefill_frames = prefill;
  info->device_latency_ms = 1000.0 * (sane_latency_s(si ? si->inputLatency : 0) +
                                      sane_latency_s(so ? so->outputLatency : 0));
  return a;
fail:
  audio_close(a);
  return NULL;
}

int audio_start(struct audio *a, char *err, size_t errlen) {
  /* output first: its prefill covers the input's start */
  return pa_failed(Pa_StartStream(a->out_stream), "starting the stream", err, errlen) ||
         (!a->duplex &&
          pa_failed(Pa_StartStream(a->in_stream), "starting the input stream", err, errlen))
             ? -1 : 0;
}

void audio_close(struct audio *a) {
  if (!a) return;
  PaStream *s[2] = {a->out_stream, a->duplex ? NULL : a->in_stream};
  for (int i = 0; i < 2; i++) {
    if (!s[i]) continue;
    if (Pa_IsStreamActive(s[i]) == 1) Pa_StopStream(s[i]);
    Pa_CloseStream(s[i]);
  }
  free(a);
}

int audio_alive(struct audio *a) {
  return Pa_IsStreamActive(a->out_stream) == 1 &&
         (a->duplex || Pa_IsStreamActive(a->in_stream) == 1);
}

double audio_cpu_load(struct audio *a) {
  double l = Pa_GetStreamCpuLoad(a->out_stream);
  if (!a->duplex) l += Pa_GetStreamCpuLoad(a->in_stream);
  return l;
}

void audio_counts(const struct audio *a, struct audio_counts *c) {
  c->xruns = atomic_load(&a->xruns);
  c->overruns = atomic_load(&a->overruns);
  c->underruns = atomic_load(&a->underruns);
  c->dropped = atomic_load(&a->dropped);
  c->repeated = atomic_load(&a->repeated);
}

unsigned long long audio_callbacks(const struct audio *a) { return atomic_load(&a->callbacks); }

unsigned long audio_callback_frames(const struct audio *a) {
  return atomic_load(&a->callback_frames);
}
