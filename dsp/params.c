/* params: the parameter table's accessors, checks and presets (see params.h). */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct hp_info table[HP_COUNT] = {
#define HP_INFO(name, type, unit, min, max, def, live, help) \
  {#name, type, unit, min, max, def, live, help},
    HP_TABLE(HP_INFO)
#undef HP_INFO
};

/* Presets are written as "name=value" lists so that they go through the same parser
 * and checks as user input. "voice" is the table's defaults. */
static const struct {
  const char *name, *help, *settings;
} presets[] = {
    {"voice", "the defaults: speech in steady or slowly changing noise", ""},
    {"gentle", "less attenuation, lower thresholds and a longer release: keeps more ambience",
     "reduction_db=10 threshold=1 onset_db=10 release_ms=120"},
    {"strong", "a 30 dB floor: removes more noise, costs a little speech",
     "reduction_db=30"},
    {"low-latency", "fft/hop for at most 8 ms algorithmic latency at 48 kHz",
     "fft_size=512 hop_size=128"},
};
#define N_PRESETS ((int)(sizeof presets / sizeof presets[0]))

const struct hp_info *hp_info(int id) {
  return id >= 0 && id < HP_COUNT ? &table[id] : NULL;
}

int hp_find(const char *name) {
  for (int i = 0; i < HP_COUNT; i++)
    if (strcmp(table[i].name, name) == 0) return i;
  return -1;
}

void hp_defaults(struct hp_values *out) {
  for (int i = 0; i < HP_COUNT; i++) out->v[i] = (float)table[i].def;
}

static int is_pow2(long v) { return v > 0 && (v & (v - 1)) == 0; }

int hp_check(int id, double value, char *err, size_t errlen) {
  const struct hp_info *p = hp_info(id);
  if (!p) {
    snprintf(err, errlen, "unknown parameter id %d", id);
    return -1;
  }
  if (!isfinite(value) || value < p->min || value > p->max) {
    snprintf(err, errlen, "%s: %g is out of range [%g, %g]%s%s", p->name, value, p->min,
             p->max, *p->unit ? " " : "", p->unit);
    return -1;
  }
  if (p->type != HP_FLOAT && value != floor(value)) {
    snprintf(err, errlen, "%s: %g is not %s", p->name, value,
             p->type == HP_BOOL ? "0 or 1" : "a whole number");
    return -1;
  }
  if (id == HP_fft_size && value != 0 && (value < 64 || !is_pow2((long)value))) {
    snprintf(err, errlen, "fft_size: %g is not a power of two in [64, %g] (or 0 = auto)",
             value, p->max);
    return -1;
  }
  return 0;
}

int hp_bool_word(const char *text, double *value) {
  static const char *const words[][2] = {{"on", "off"}, {"true", "false"}, {"yes", "no"}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    for (int b = 0; b < 2; b++)
      if (!strcasecmp(text, words[i][b])) {
        *value = b ? 0 : 1;
        return 1;
      }
  return 0;
}

int hp_parse(int id, const char *text, float *value, char *err, size_t errlen) {
  const struct hp_info *p = hp_info(id);
  if (!p) {
    snprintf(err, errlen, "unknown parameter id %d", id);
    return -1;
  }
  double v;
  if (!(p->type == HP_BOOL && hp_bool_word(text, &v))) {
    char *end;
    v = strtod(text, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == text || *end) {
      snprintf(err, errlen, "%s: '%s' is not a number (allowed: [%g, %g]%s%s)", p->name, text,
               p->min, p->max, *p->unit ? " " : "", p->unit);
      return -1;
    }
  }
  if (hp_check(id, v, err, errlen)) return -1;
  *value = (float)v;
  return 0;
}

void hp_format(int id, float value, char *buf, size_t buflen) {
  const struct hp_info *p = hp_info(id);
  if (p && p->type != HP_FLOAT)
    snprintf(buf, buflen, "%ld", lrintf(value));
  else
    snprintf(buf, buflen, "%g", value);
}

int hp_resolve(struct hp_values *values, int rate_hz, char *err, size_t errlen) {
  if (rate_hz < 8000 || rate_hz > 384000) {
    snprintf(err, errlen, "sample rate %d Hz is out of range [8000, 384000]", rate_hz);
    return -1;
  }
  long fft = lrintf(values->v[HP_fft_size]);
  if (fft == 0) {
    /* about 21.3 ms (1024 at 48 kHz): the nearest power of two on a log scale */
    fft = lround(pow(2.0, round(log2(rate_hz * 0.021333))));
    if (fft < 64) fft = 64;
  }
  long hop = lrintf(values->v[HP_hop_size]);
  if (hop == 0) hop = fft / 4;
  if (hop > fft / 2 || fft % hop) {
    snprintf(err, errlen, "hop_size: %ld must divide fft_size %ld and be at most %ld", hop,
             fft, fft / 2);
    return -1;
  }
  values->v[HP_fft_size] = (float)fft;
  values->v[HP_hop_size] = (float)hop;
  return 0;
}

int hp_preset_count(void) { return N_PRESETS; }
const char *hp_preset_name(int i) { return i >= 0 && i < N_PRESETS ? presets[i].name : NULL; }
const char *hp_preset_help(int i) { return i >= 0 && i < N_PRESETS ? presets[i].help : NULL; }

int hp_preset_apply(struct hp_values *values, const char *name, char *err, size_t errlen) {
  for (int i = 0; i < N_PRESETS; i++) {
    if (strcmp(presets[i].name, name)) continue;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", presets[i].settings);
    for (char *save, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
      char *eq = strchr(tok, '=');
      *eq = 0;
      int id = hp_find(tok);
      if (id < 0 || hp_parse(id, eq + 1, &values->v[id], err, errlen)) return -1;
    }
    return 0;
  }
  int n = snprintf(err, errlen, "unknown preset '%s' (known:", name);
  for (int i = 0; i < N_PRESETS && n > 0 && (size_t)n < errlen; i++)
    n += snprintf(err + n, errlen - n, " %s", presets[i].name);
  if (n > 0 && (size_t)n < errlen) snprintf(err + n, errlen - n, ")");
  return -1;
}
