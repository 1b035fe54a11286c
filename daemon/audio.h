/* audio: PortAudio devices and streams, and the callbacks that move samples between the
 * device buffers and the two rings.
 *
 * Main thread: audio_init/done, audio_list_devices, audio_open/close, audio_alive,
 * audio_cpu_load, audio_counts. The callbacks run on PortAudio's audio thread(s) and only
 * copy: device input -> `in` ring (then wake the worker with sem_post), `out` ring ->
 * device output. No allocation, lock, log or print there.
 *
 * Latency: before the stream starts, audio_open writes `prefill` frames of silence into
 * the out ring. From then on the output side keeps the frames in flight (in ring +
 * worker + out ring) at exactly that prefill: on one duplex device every callback takes
 * out what it brings in, so the latency is constant. After an overrun or an underrun it
 * repeats or drops frames to return to it. With two devices (two clocks) it drops or
 * repeats one frame per callback when the fill strays more than a period, and counts it.
 */
#ifndef HUSHD_AUDIO_H
#define HUSHD_AUDIO_H

#include <semaphore.h>
#include <stddef.h>
#include <stdio.h>

struct ring;
struct audio;

/* Pa_Initialize / Pa_Terminate. jack_client_name: the name PortAudio's JACK host API
 * uses for its client. audio_init returns 0 or -1 with a message. */
int audio_init(const char *jack_client_name, char *err, size_t errlen);
void audio_done(void);

/* One line per device: index, name, host API, input/output channels, default rate. */
void audio_list_devices(FILE *out);

struct audio_config {
  const char *input_device, *output_device; /* NULL = default; index or name substring */
  int rate_hz, channels;
  int frames;     /* per callback */
  int hop_frames; /* the worker's block: sets how much must be in flight */
};

/* What audio_open decided, for the start-up message and the status line. */
struct audio_info {
  int input_index, output_index, duplex;
  const char *input_name, *output_name, *host_api;
  size_t prefill_frames;  /* hushd's buffering: ring frames in flight */
  double device_latency_ms; /* PortAudio's input + output latency of the stream(s) */
};

struct audio_counts {
  unsigned long long xruns;     /* callbacks with a PortAudio over/underflow flag */
  unsigned long long overruns;  /* input frames dropped: in ring full */
  unsigned long long underruns; /* output frames of silence: out ring empty */
  unsigned long long dropped, repeated; /* frames skipped or repeated to hold the latency */
};

/* Resolves the devices, opens the stream(s) and prefills `out`; the rings must be empty
 * and big enough (see audio_ring_frames), and the worker not started yet (audio_open
 * writes to `out`). audio_start then starts the stream(s). Returns NULL with a
 * message; *bad_name is set to 1 when the device choice is at fault (a name or index that
 * matches no device or several, too few channels, no default device), 0 for other
 * failures. */
struct audio *audio_open(const struct audio_config *cfg, struct ring *in, struct ring *out,
                         sem_t *wake, struct audio_info *info, int *bad_name, char *err,
                         size_t errlen);
int audio_start(struct audio *a, char *err, size_t errlen); /* 0, or -1 with a message */
/* Stops (plays what was queued) and closes the stream(s). */
void audio_close(struct audio *a);
/* Ring size each ring needs for cfg, frames. */
size_t audio_ring_frames(const struct audio_config *cfg);

int audio_alive(struct audio *a);           /* 0 once a stream stopped or its device died */
double audio_cpu_load(struct audio *a);      /* PortAudio's callback CPU load, 0..1 */
void audio_counts(const struct audio *a, struct audio_counts *c);
unsigned long long audio_callbacks(const struct audio *a); /* output callbacks so far */
unsigned long audio_callback_frames(const struct audio *a); /* size of the latest one */

#endif
