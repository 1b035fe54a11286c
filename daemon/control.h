/* control: what the control surfaces (OSC, SIGHUP reload, systemd status) may ask of a
 * running hushd, and what the live daemon (daemon/live) gives them.
 *
 * The live daemon fills one struct control at start and owns everything it points to;
 * it outlives every control surface. All callbacks may be called from any thread and
 * never block the audio path.
 */
#ifndef HUSHD_CONTROL_H
#define HUSHD_CONTROL_H

#include <stddef.h>

struct engine;

struct hushd_status {
  float in_db, out_db;       /* input/output level of the latest hop, dBFS */
  float reduction_db;        /* gate's mean attenuation, dB (>= 0) */
  float noise_floor_db;      /* noise model's mean level, dB */
  float latency_ms;          /* total input-to-output latency, ms */
  float cpu_load;            /* DSP time / real time over the last second, 0..1 */
  unsigned long long xruns;      /* PortAudio over/underflow flags seen */
  unsigned long long overruns;   /* input ring full: samples dropped */
  unsigned long long underruns;  /* output ring empty: silence played */
  unsigned long long bad_samples; /* input samples that were NaN, Inf or huge, taken as 0 */
  double uptime_s;
};

struct control {
  struct engine *engine; /* live parameters and learning: engine_set_param/get/learn */
  void (*status)(void *ctx, struct hushd_status *out);
  void *status_ctx;
  const char *state_dir; /* folder for named noise profiles (NAME.profile) */
  /* writes the current live settings back to the config file; NULL when there is none.
   * Returns 0, or -1 with a message. */
  int (*save_config)(void *ctx, char *err, size_t errlen);
  void *config_ctx;
};

#endif
