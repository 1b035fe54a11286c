/* ports: the LADSPA port layout made from the parameter table (see ports.h). */
#include "ports.h"

#include <math.h>

static const char *const audio_names[2][2][PORTS_MAX_CHANNELS] = {
    {{"Input"}, {"Output"}},
    {{"Input L", "Input R"}, {"Output L", "Output R"}},
};

static const char *const meter_names[] = {"meter_in_db", "meter_out_db", "meter_reduction_db",
                                          "meter_noise_floor_db"};

/* The live parameters' ids in table order, expanded from the table at compile time. */
#define LIVE_1(id) id,
#define LIVE_0(id)
#define LIVE_ID(name, type, unit, min, max, def, live, help) LIVE_##live(HP_##name)
static const int control_ids[PORTS_CONTROLS] = {HP_TABLE(LIVE_ID)};

int ports_param_id(unsigned long port) {
  return port < PORTS_CONTROLS ? control_ids[port] : -1;
}

float ports_hint_value(LADSPA_PortRangeHintDescriptor hint, float min, float max) {
  switch (hint & LADSPA_HINT_DEFAULT_MASK) {
    case LADSPA_HINT_DEFAULT_MINIMUM: return min;
    case LADSPA_HINT_DEFAULT_LOW: return min * 0.75f + max * 0.25f;
    case LADSPA_HINT_DEFAULT_MIDDLE: return min * 0.5f + max * 0.5f;
    case LADSPA_HINT_DEFAULT_HIGH: return min * 0.25f + max * 0.75f;
    case LADSPA_HINT_DEFAULT_MAXIMUM: return max;
    case LADSPA_HINT_DEFAULT_0: return 0.f;
    case LADSPA_HINT_DEFAULT_1: return 1.f;
    case LADSPA_HINT_DEFAULT_100: return 100.f;
    case LADSPA_HINT_DEFAULT_440: return 440.f;
    default: return NAN;
  }
}

LADSPA_PortRangeHintDescriptor ports_default_hint(float min, float max, float def,
                                                  int toggled) {
  static const LADSPA_PortRangeHintDescriptor all[] = {
      LADSPA_HINT_DEFAULT_MINIMUM, LADSPA_HINT_DEFAULT_LOW, LADSPA_HINT_DEFAULT_MIDDLE,
      LADSPA_HINT_DEFAULT_HIGH,    LADSPA_HINT_DEFAULT_MAXIMUM, LADSPA_HINT_DEFAULT_0,
      LADSPA_HINT_DEFAULT_1,       LADSPA_HINT_DEFAULT_100,     LADSPA_HINT_DEFAULT_440};
  static const LADSPA_PortRangeHintDescriptor boolean[] = {LADSPA_HINT_DEFAULT_0,
                                                           LADSPA_HINT_DEFAULT_1};
  const LADSPA_PortRangeHintDescriptor *c = toggled ? boolean : all;
  int n = toggled ? 2 : (int)(sizeof all / sizeof all[0]);
  LADSPA_PortRangeHintDescriptor best = LADSPA_HINT_DEFAULT_NONE;
  float best_dist = INFINITY;
  for (int i = 0; i < n; i++) {
    float v = ports_hint_value(c[i], min, max);
    if (v < min || v > max) continue;
    if (fabsf(v - def) < best_dist) {
      best = c[i];
      best_dist = fabsf(v - def);
    }
  }
  return best;
}

static LADSPA_PortRangeHint control_hint(const struct hp_info *p) {
  LADSPA_PortRangeHint h = {.LowerBound = (float)p->min, .UpperBound = (float)p->max};
  int toggled = p->type == HP_BOOL;
  /* the bounds are filled for toggles too: PipeWire reads them whatever the hint says */
  h.HintDescriptor = toggled ? LADSPA_HINT_TOGGLED
                             : LADSPA_HINT_BOUNDED_BELOW | LADSPA_HINT_BOUNDED_ABOVE;
  if (p->type == HP_INT) h.HintDescriptor |= LADSPA_HINT_INTEGER;
  h.HintDescriptor |= ports_default_hint(h.LowerBound, h.UpperBound, (float)p->def, toggled);
  return h;
}

void ports_layout_init(struct ports_layout *l, int channels) {
  unsigned long i = 0;
  for (int id = 0; id < HP_COUNT; id++) {
    const struct hp_info *p = hp_info(id);
    if (!p->live) continue;
    l->desc[i] = LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL;
    l->names[i] = p->name;
    l->hints[i++] = control_hint(p);
  }
  l->desc[i] = LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL;
  l->names[i] = "latency";
  l->hints[i++] = (LADSPA_PortRangeHint){.HintDescriptor = LADSPA_HINT_INTEGER};
  for (int m = 0; m < PORTS_METERS; m++) {
    l->desc[i] = LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL;
    l->names[i] = meter_names[m];
    l->hints[i++] = (LADSPA_PortRangeHint){0};
  }
  for (int dir = 0; dir < 2; dir++)
    for (int c = 0; c < channels; c++) {
      l->desc[i] = (dir ? LADSPA_PORT_OUTPUT : LADSPA_PORT_INPUT) | LADSPA_PORT_AUDIO;
      l->names[i] = audio_names[channels - 1][dir][c];
      l->hints[i++] = (LADSPA_PortRangeHint){0};
    }
  l->count = i;
}

float ports_clamp(int id, float value, float current) {
  const struct hp_info *p = hp_info(id);
  if (isnan(value)) return current;
  if (p->type == HP_BOOL) return value > 0.f ? 1.f : 0.f;
  float lo = (float)p->min, hi = (float)p->max;
  value = value < lo ? lo : value > hi ? hi : value;
  return p->type == HP_INT ? rintf(value) : value;
}
