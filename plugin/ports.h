/* ports: the LADSPA port layout of hushd's plugin, made from dsp/params.h's table.
 *
 * Index order, the same for both labels:
 *   [0, PORTS_CONTROLS)        one input control per live parameter, in table order,
 *                              named as in the table (names are an API: hosts bind to them)
 *   PORTS_LATENCY              output control "latency", samples, constant after activate()
 *   PORTS_METER_IN .. _NOISE   output controls: the engine's meters in dB
 *   then channels audio inputs, then channels audio outputs
 * Restart-only parameters (fft_size, hop_size: automatic for the rate; channels_linked:
 * fixed by the label) have no port.
 *
 * ports_layout_init fills arrays the host reads for the library's lifetime; the rest is
 * pure computation, safe from any thread (ports_clamp is RT-safe: no alloc, no locks).
 */
#ifndef HUSHD_PORTS_H
#define HUSHD_PORTS_H

#include <ladspa.h>

#include "params.h"

#define PORTS_COUNT_LIVE(name, type, unit, min, max, def, live, help) +(live)
enum {
  PORTS_CONTROLS = 0 HP_TABLE(PORTS_COUNT_LIVE),
  PORTS_LATENCY = PORTS_CONTROLS,
  PORTS_METER_IN,
  PORTS_METER_OUT,
  PORTS_METER_REDUCTION,
  PORTS_METER_NOISE,
  PORTS_METERS = 4,
  PORTS_AUDIO = PORTS_LATENCY + 1 + PORTS_METERS /* first audio input; outputs follow */
};
#define PORTS_MAX_CHANNELS 2
#define PORTS_MAX (PORTS_AUDIO + 2 * PORTS_MAX_CHANNELS)

struct ports_layout {
  unsigned long count;
  LADSPA_PortDescriptor desc[PORTS_MAX];
  const char *names[PORTS_MAX];
  LADSPA_PortRangeHint hints[PORTS_MAX];
};

/* The layout for channels (1 or 2) audio inputs and as many outputs. */
void ports_layout_init(struct ports_layout *l, int channels);

/* The dsp/params.h id of control input port, or -1 when port is not one. RT-safe. */
int ports_param_id(unsigned long port);

/* The default hint for a range and default: the LADSPA hint whose value (as
 * ports_hint_value computes it) equals def exactly, else the one nearest to def.
 * toggled: only DEFAULT_0 / DEFAULT_1 are allowed. */
LADSPA_PortRangeHintDescriptor ports_default_hint(float min, float max, float def,
                                                  int toggled);
/* The value of a default hint for the bounds, in float arithmetic as PipeWire's
 * filter-chain and the LADSPA SDK compute it (linear ranges). */
float ports_hint_value(LADSPA_PortRangeHintDescriptor hint, float min, float max);

/* A control port value as the engine takes it: clamped to the table's range (like the
 * ranges --set enforces), booleans on above zero (LADSPA's toggled rule), whole numbers
 * rounded; NaN keeps `current`. RT-safe. */
float ports_clamp(int id, float value, float current);

#endif
