/* ladspa: hushd's engine as a LADSPA plugin, labels hushd_mono and hushd_stereo.
 *
 * The host calls ladspa_descriptor, instantiate, activate and cleanup from its main
 * thread (they allocate and plan FFTs; no deactivate is needed, activate resets), and
 * run from its audio thread: RT-safe, no allocation, locks, I/O or syscalls;
 * connect_port from either. run() takes any number of samples; the engine re-blocks
 * them into hops, so the output does not depend on how the host splits the stream, and
 * the latency is the engine's, fft_size - 1 samples (1023 at 48 kHz), reported on the
 * "latency" port.
 */
#include <fftw3.h>
#include <ladspa.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ports.h"

/* Stereo is interleaved into a scratch buffer of this many frames per engine call. */
#define STEREO_BLOCK 1024

/* Unique IDs in LADSPA's range 1 - 0x3FFFFF, picked at random (the registry that once
 * handed them out is gone; hosts should bind by file and label). */
#define ID_MONO 3890433
#define ID_STEREO 3890434

struct instance {
  int rate, channels;
  struct engine *e;
  int fresh;                 /* nothing processed since e was made: no reset needed */
  LADSPA_Data *port[PORTS_MAX];
  float applied[PORTS_CONTROLS]; /* control values in effect in e */
  float *scratch;            /* STEREO_BLOCK * channels interleaved (stereo only) */
};

/* The parameters a new engine starts with: the table's defaults overlaid with the
 * connected control ports' values, clamped. */
static void start_values(struct instance *in, struct hp_values *p) {
  hp_defaults(p);
  p->v[HP_channels_linked] = 1.f;
  for (int i = 0; i < PORTS_CONTROLS; i++) {
    int id = ports_param_id((unsigned long)i);
    if (in->port[i]) p->v[id] = ports_clamp(id, *in->port[i], p->v[id]);
    in->applied[i] = p->v[id];
  }
}

static struct engine *make_engine(struct instance *in) {
  struct hp_values p;
  char err[256];
  start_values(in, &p);
  return engine_create(&p, in->rate, in->channels, ENGINE_PLAN_ESTIMATE, err, sizeof err);
}

static LADSPA_Handle instantiate(const LADSPA_Descriptor *d, unsigned long rate) {
  struct instance *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  in->channels = d->UniqueID == ID_STEREO ? 2 : 1;
  /* the engine refuses rates it cannot handle (outside 8-384 kHz) with a message: the
   * host gets NULL, which every host reports as a failed instantiation */
  in->rate = rate > INT_MAX ? 0 : (int)rate;
  if ((in->channels > 1 &&
       !(in->scratch = calloc((size_t)STEREO_BLOCK * in->channels, sizeof(float)))) ||
      !(in->e = make_engine(in))) {
    free(in->scratch);
    free(in);
    return NULL;
  }
  in->fresh = 1;
  return in;
}

static void connect_port(LADSPA_Handle h, unsigned long port, LADSPA_Data *data) {
  struct instance *in = h;
  if (port < PORTS_AUDIO + 2 * (unsigned long)in->channels) in->port[port] = data;
}

static void write_latency(struct instance *in) {
  if (in->port[PORTS_LATENCY])
    *in->port[PORTS_LATENCY] = (LADSPA_Data)engine_latency_frames(in->e);
}

/* 1 when the engine is new and was made with the control values the ports hold now. */
static int engine_current(struct instance *in) {
  if (!in->fresh) return 0;
  for (int i = 0; i < PORTS_CONTROLS; i++) {
    int id = ports_param_id((unsigned long)i);
    if (in->port[i] && ports_clamp(id, *in->port[i], in->applied[i]) != in->applied[i])
      return 0;
  }
  return 1;
}

/* A new engine is the only complete reset of the noise model, gate and STFT history,
 * and it starts with the controls the host set before activate() (no ramp from the
 * defaults). When it cannot be made (out of memory) the old one carries on. */
static void activate(LADSPA_Handle h) {
  struct instance *in = h;
  if (!engine_current(in)) {
    float applied[PORTS_CONTROLS];
    memcpy(applied, in->applied, sizeof applied);
    struct engine *e = make_engine(in);
    if (e) {
      engine_destroy(in->e);
      in->e = e;
      in->fresh = 1;
    } else {
      memcpy(in->applied, applied, sizeof applied);
    }
  }
  write_latency(in);
}

/* Hands changed control values to the engine (atomics; effective at the next hop). */
static void apply_controls(struct instance *in) {
  char err[160];
  for (int i = 0; i < PORTS_CONTROLS; i++) {
    if (!in->port[i]) continue;
    int id = ports_param_id((unsigned long)i);
    float v = ports_clamp(id, *in->port[i], in->applied[i]);
    if (v != in->applied[i] && engine_set_param(in->e, id, v, err, sizeof err) == 0)
      in->applied[i] = v;
  }
}

static void write_meters(struct instance *in) {
  struct engine_meters m;
  engine_meters(in->e, &m);
  const float v[PORTS_METERS] = {m.in_db, m.out_db, m.reduction_db, m.noise_floor_db};
  for (int i = 0; i < PORTS_METERS; i++)
    if (in->port[PORTS_METER_IN + i]) *in->port[PORTS_METER_IN + i] = v[i];
}

/* Stereo: interleave a block, process it in place, de-interleave. All of a block's
 * input is read before any of its output is written, so in-place hosts are fine. */
static void run_stereo(struct instance *in, unsigned long frames) {
  const LADSPA_Data *l = in->port[PORTS_AUDIO], *r = in->port[PORTS_AUDIO + 1];
  LADSPA_Data *ol = in->port[PORTS_AUDIO + 2], *or = in->port[PORTS_AUDIO + 3];
  float *x = in->scratch;
  for (unsigned long at = 0; at < frames; at += STEREO_BLOCK) {
    size_t n = frames - at < STEREO_BLOCK ? frames - at : STEREO_BLOCK;
    for (size_t i = 0; i < n; i++) {
      x[2 * i] = l[at + i];
      x[2 * i + 1] = r[at + i];
    }
    engine_process(in->e, x, x, n);
    for (size_t i = 0; i < n; i++) {
      ol[at + i] = x[2 * i];
      or[at + i] = x[2 * i + 1];
    }
  }
}

static void run(LADSPA_Handle h, unsigned long frames) {
  struct instance *in = h;
  for (int c = 0; c < 2 * in->channels; c++)
    if (!in->port[PORTS_AUDIO + c]) return;
  apply_controls(in);
  if (in->channels == 1)
    engine_process(in->e, in->port[PORTS_AUDIO], in->port[PORTS_AUDIO + 1], frames);
  else
    run_stereo(in, frames);
  in->fresh = 0;
  write_latency(in);
  write_meters(in);
}

static void cleanup(LADSPA_Handle h) {
  struct instance *in = h;
  engine_destroy(in->e);
  free(in->scratch);
  free(in);
}

static struct ports_layout layouts[2];
static LADSPA_Descriptor descriptors[2];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_descriptors(void) {
  /* Hosts may instantiate on several threads, and other plugins in the same process may
   * plan FFTW transforms too: FFTW's planner is not thread-safe unless told so. */
  fftwf_make_planner_thread_safe();
  static const struct {
    unsigned long id;
    const char *label, *name;
  } labels[2] = {
      {ID_MONO, "hushd_mono", "hushd noise suppression (mono)"},
      {ID_STEREO, "hushd_stereo", "hushd noise suppression (stereo, linked)"},
  };
  for (int i = 0; i < 2; i++) {
    ports_layout_init(&layouts[i], i + 1);
    descriptors[i] = (LADSPA_Descriptor){
        .UniqueID = labels[i].id,
        .Label = labels[i].label,
        .Name = labels[i].name,
        .Maker = "hushd",
        .Copyright = "MIT",
        .PortCount = layouts[i].count,
        .PortDescriptors = layouts[i].desc,
        .PortNames = layouts[i].names,
        .PortRangeHints = layouts[i].hints,
        .instantiate = instantiate,
        .connect_port = connect_port,
        .activate = activate,
        .run = run,
        .cleanup = cleanup,
    };
  }
}

__attribute__((visibility("default"))) const LADSPA_Descriptor *
ladspa_descriptor(unsigned long index) {
  pthread_once(&once, init_descriptors);
  return index < 2 ? &descriptors[index] : NULL;
}
