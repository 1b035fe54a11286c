/* fuzz-params: the parameter and option value parsers (dsp/params.c, config/settings.c)
 * and the command line. The first byte picks the entry point, the second a parameter or
 * option; the rest is the text (for the command line: arguments separated by newlines).
 * Oracles besides the sanitizers: every value accepted is in its table's range and
 * prints as text that parses back to the same printed value; a refusal has a message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

#define MAX_ARGS 64

static void need(int cond, const char *what, const char *text) {
  if (cond) return;
  fprintf(stderr, "%s: '%s'\n", what, text);
  abort();
}

static void parse_param(int id, const char *text) {
  char err[512] = "", printed[64];
  float v;
  if (hp_parse(id, text, &v, err, sizeof err)) {
    need(*err, "refused without a message", text);
    return;
  }
  need(hp_check(id, v, err, sizeof err) == 0, "accepted an out-of-range value", text);
  hp_format(id, v, printed, sizeof printed);
  float again;
  need(hp_parse(id, printed, &again, err, sizeof err) == 0, "printed value refused", printed);
  char reprinted[64];
  hp_format(id, again, reprinted, sizeof reprinted);
  need(!strcmp(printed, reprinted), "printed value reads back differently", printed);
}

static void set_option(int id, const char *text) {
  struct settings s;
  char err[512] = "", printed[256];
  settings_defaults(&s);
  if (settings_set_option(&s, id, text, "fuzz", err, sizeof err)) {
    need(*err, "refused without a message", text);
    return;
  }
  settings_format_option(&s, id, printed, sizeof printed);
  const struct so_info *o = so_info(id);
  if (o->type != SO_STRING) {
    double v = strtod(printed, NULL);
    need(v >= o->min && v <= o->max, "accepted an out-of-range option", text);
  }
}

static void command_line(char *text) {
  char *argv[MAX_ARGS + 2] = {"hushd"};
  int argc = 1;
  for (char *save, *a = strtok_r(text, "\n", &save); a && argc <= MAX_ARGS;
       a = strtok_r(NULL, "\n", &save))
    argv[argc++] = a;
  argv[argc] = NULL;
  static FILE *null;
  if (!null && !(null = fopen("/dev/null", "w"))) abort();
  struct settings s;
  char err[1024] = "";
  settings_defaults(&s);
  int r = settings_parse_args(&s, argc, argv, null, err, sizeof err);
  need(r >= 0 || *err, "command line refused without a message", text);
  for (int i = 0; r == 0 && i < HP_COUNT; i++)
    need(hp_check(i, s.params.v[i], err, sizeof err) == 0, "out-of-range parameter", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  char *text = malloc(size - 1), err[512] = "";
  if (!text) return 0;
  memcpy(text, data + 2, size - 2);
  text[size - 2] = 0;
  switch (data[0] % 5) {
    case 0: parse_param(data[1] % HP_COUNT, text); break;
    case 1: set_option(data[1] % SO_COUNT, text); break;
    case 2: {
      struct settings s;
      settings_defaults(&s);
      if (settings_assign(&s, text, err, sizeof err)) need(*err, "refused silently", text);
      break;
    }
    case 3: command_line(text); break;
    default: {
      struct hp_values v;
      hp_defaults(&v);
      int bad = hp_preset_apply(&v, text, err, sizeof err);
      need(!bad || *err, "preset refused silently", text);
      v.v[HP_fft_size] = (float)(data[1] & 1 ? 0 : 64 << (data[1] >> 1) % 9);
      v.v[HP_hop_size] = (float)(data[1] >> 5);
      int rate = (int)strtol(text, NULL, 10);
      if (hp_resolve(&v, rate, err, sizeof err) == 0)
        need(v.v[HP_hop_size] > 0 && (int)v.v[HP_fft_size] % (int)v.v[HP_hop_size] == 0,
             "resolved to a hop that does not divide the fft", text);
    }
  }
  free(text);
  return 0;
}
