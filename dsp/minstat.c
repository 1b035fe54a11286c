/* minstat: minimum statistics noise floor (see minstat.h). */
#include "minstat.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define MINSTAT_SUBWINDOWS 8  /* sub-windows of the whole window */
#define SUBWINDOW_S 0.1875f   /* 8 x 0.1875 = 1.5 s */
#define SMOOTH_S 0.04f        /* periodogram smoothing: 0.67 per 16 ms */
#define NONE 1e30f            /* a minimum not seen yet */
#define BIAS_RUNS 400         /* simulated windows per bias figure */

struct minstat {
  int bins, sub_cycles, max_cycles;
  float alpha;
  float *smooth;      /* smoothed periodogram, bins */
  float *cur;         /* minimum in the current sub-window, bins */
  float *ring;        /* minima of the last sub-windows, MINSTAT_SUBWINDOWS x bins */
  float *ring_min;    /* minimum over the ring, bins */
  float *floor;       /* compensated minimum (what the tracker reads), bins */
  float *since;       /* minimum since minstat_since_start, bins */
  int since_cycles;   /* cycles since then (up to max_cycles) */
  float *bias;        /* compensation for a window of d cycles, index d (1..max_cycles) */
  int pos;            /* ring entry the current sub-window goes into */
  int filled;         /* ring entries that hold a minimum */
  int cyc;            /* cycle within the current sub-window */
  int warm;           /* cycles so far, up to the smoothing's own length */
  int warm_cycles;    /* the smoothing's length in cycles: 1 / (1 - alpha) */
};

/* A uniform deviate in (0, 1) from a 64-bit xorshift (seeded: the same table every time) */
static double uniform(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return ((*s >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* bias[d] = mean power / mean of the minimum of d consecutive smoothed periodogram
 * values of Gaussian noise (exponentially distributed power of mean 1) */
static void measure_bias(struct minstat *m) {
  double *sum = calloc(m->max_cycles + 1, sizeof(double));
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  double p = 1.0;
  for (int run = 0; run < BIAS_RUNS; run++) {
    double lo = 1e300;
    for (int d = 1; d <= m->max_cycles; d++) {
      p = m->alpha * p + (1.0 - m->alpha) * -log(uniform(&seed));
      lo = p < lo ? p : lo;
      if (sum) sum[d] += lo;
    }
  }
  m->bias[0] = 1.f;
  for (int d = 1; d <= m->max_cycles; d++)
    m->bias[d] = sum ? (float)(BIAS_RUNS / sum[d]) : 1.f;
  free(sum);
}

struct minstat *minstat_create(int bins, float cycle_s) {
  struct minstat *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->bins = bins;
  m->sub_cycles = (int)lrintf(SUBWINDOW_S / cycle_s);
  if (m->sub_cycles < 1) m->sub_cycles = 1;
  m->max_cycles = (MINSTAT_SUBWINDOWS + 1) * m->sub_cycles;
  m->alpha = expf(-cycle_s / SMOOTH_S);
  m->warm_cycles = (int)lrintf(1.f / (1.f - m->alpha));
  m->smooth = calloc(bins, sizeof(float));
  m->cur = calloc(bins, sizeof(float));
  m->ring = calloc((size_t)bins * MINSTAT_SUBWINDOWS, sizeof(float));
  m->ring_min = calloc(bins, sizeof(float));
  m->floor = calloc(bins, sizeof(float));
  m->since = calloc(bins, sizeof(float));
  m->bias = calloc(m->max_cycles + 1, sizeof(float));
  if (!m->smooth || !m->cur || !m->ring || !m->ring_min || !m->floor || !m->since ||
      !m->bias) {
    minstat_destroy(m);
    return NULL;
  }
  measure_bias(m);
  minstat_reset(m);
  return m;
}

void minstat_destroy(struct minstat *m) {
  if (!m) return;
  free(m->smooth);
  free(m->cur);
  free(m->ring);
  free(m->ring_min);
  free(m->floor);
  free(m->since);
  free(m->bias);
  free(m);
}

void minstat_reset(struct minstat *m) {
  for (int k = 0; k < m->bins; k++)
    m->cur[k] = m->ring_min[k] = m->floor[k] = NONE;
  for (int i = 0; i < m->bins * MINSTAT_SUBWINDOWS; i++) m->ring[i] = NONE;
  m->pos = m->filled = m->cyc = m->warm = 0;
  minstat_since_start(m);
}

static int imin(int a, int b) { return a < b ? a : b; }

/* the ring entries' minimum, bin k */
static float ring_minimum(const struct minstat *m, int k) {
  float all = NONE;
  for (int i = 0; i < MINSTAT_SUBWINDOWS; i++) {
    float v = m->ring[(size_t)i * m->bins + k];
    all = v < all ? v : all;
  }
  return all;
}

/* The per-bin loop of a cycle that does not end a sub-window: selects only, restrict
 * pointers, no calls, so that it vectorizes. */
static void update_bins(float *restrict smooth, float *restrict cur, float *restrict floor,
                        float *restrict since, const float *restrict ring_min,
                        const float *restrict power, int k0, int k1, float a, int warm,
                        float b_all) {
  for (int k = k0; k < k1; k++) {
    float p = a * smooth[k] + (1.f - a) * power[k];
    smooth[k] = p;
    float c = warm && p < cur[k] ? p : cur[k];
    cur[k] = c;
    floor[k] = (c < ring_min[k] ? c : ring_min[k]) * b_all;
    since[k] = p < since[k] ? p : since[k];
  }
}

void minstat_update(struct minstat *m, const float *power, int k0, int k1) {
  const int v = m->sub_cycles, ends = m->cyc == v - 1;
  /* until the smoothing has seen its own length, a running mean (as smooth as the
   * data allow), and no minimum taken before it is as smooth as the bias assumes */
  const int warm = m->warm >= m->warm_cycles;
  const float a = warm ? m->alpha : (float)m->warm / (m->warm + 1);
  /* the windows' lengths in cycles for the bias: the stored sub-windows and the current
   * one so far (when it ends it is stored, and the oldest entry drops out) */
  const int stored = ends ? imin(m->filled + 1, MINSTAT_SUBWINDOWS) : m->filled;
  const int now = ends ? 0 : m->cyc + 1;
  const float b_all = m->bias[stored * v + now];
  if (!ends) {
    update_bins(m->smooth, m->cur, m->floor, m->since, m->ring_min, power, k0, k1, a, warm,
                b_all);
    return;
  }
  for (int k = k0; k < k1; k++) {
    float p = a * m->smooth[k] + (1.f - a) * power[k];
    m->smooth[k] = p;
    m->since[k] = p < m->since[k] ? p : m->since[k];
    m->ring[(size_t)m->pos * m->bins + k] = p < m->cur[k] && warm ? p : m->cur[k];
    m->ring_min[k] = ring_minimum(m, k);
    m->cur[k] = NONE;
    m->floor[k] = m->ring_min[k] * b_all;
  }
}

void minstat_cycle(struct minstat *m) {
  if (m->since_cycles < m->max_cycles) m->since_cycles++;
  if (m->warm < m->warm_cycles) m->warm++;
  if (++m->cyc < m->sub_cycles) return;
  m->cyc = 0;
  m->pos = (m->pos + 1) % MINSTAT_SUBWINDOWS;
  m->filled = imin(m->filled + 1, MINSTAT_SUBWINDOWS);
}

const float *minstat_floor(const struct minstat *m) { return m->floor; }
int minstat_window_cycles(const struct minstat *m) {
  return m->filled * m->sub_cycles + m->cyc;
}
int minstat_subwindow_cycles(const struct minstat *m) { return m->sub_cycles; }

void minstat_since_start(struct minstat *m) {
  for (int k = 0; k < m->bins; k++) m->since[k] = NONE;
  m->since_cycles = 0;
}
const float *minstat_since(const struct minstat *m) { return m->since; }
float minstat_since_bias(const struct minstat *m) {
  return m->bias[m->since_cycles > 0 ? m->since_cycles : 1];
}

void minstat_restart_from_since(struct minstat *m) {
  for (int i = 0; i < m->bins * MINSTAT_SUBWINDOWS; i++) m->ring[i] = NONE;
  m->filled = 0;
  /* the current sub-window holds the stretch since then, up to its own length */
  m->cyc = imin(m->since_cycles, m->sub_cycles - 1);
  const float b = m->bias[m->cyc + 1];
  for (int k = 0; k < m->bins; k++) {
    m->ring_min[k] = NONE;
    m->cur[k] = m->since[k];
    m->floor[k] = m->since[k] * b;
  }
}
