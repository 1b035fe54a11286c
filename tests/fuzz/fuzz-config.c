/* fuzz-config: the config-file parser (config/configfile.c on libinih) on arbitrary
 * text, through memory. Oracle besides the sanitizers: a file that parses prints as a
 * file (configfile_print) that parses back to the same settings, as configfile.h
 * promises. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configfile.h"

/* Every key as a file holds it, one line each, into buf. */
static void settings_text(const struct settings *s, char *buf, size_t len) {
  size_t used = 0;
  for (int k = 0; k < SO_COUNT + HP_COUNT + 1 && used < len; k++) {
    const char *section = k < SO_COUNT ? so_info(k)->section : "dsp";
    const char *key = k < SO_COUNT ? so_info(k)->key
                      : k == SO_COUNT ? "preset" : hp_info(k - SO_COUNT - 1)->name;
    char value[256];
    if (configfile_value(s, section, key, value, sizeof value)) abort();
    used += (size_t)snprintf(buf + used, len - used, "%s.%s=%s\n", section, key, value);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct settings s, back;
  char err[1024] = "";
  settings_defaults(&s);
  struct configfile *f = configfile_parse("fuzz.conf", (const char *)data, size, &s, err,
                                          sizeof err);
  if (!f) {
    if (!*err) abort(); /* every refusal comes with a message */
    return 0;
  }
  char *printed = NULL;
  size_t printed_len = 0;
  FILE *out = open_memstream(&printed, &printed_len);
  if (!out) abort();
  configfile_print(out, &s);
  fclose(out);
  settings_defaults(&back);
  struct configfile *g = configfile_parse("printed.conf", printed, printed_len, &back, err,
                                          sizeof err);
  if (!g) {
    fprintf(stderr, "printed settings do not parse back: %s\n%s", err, printed);
    abort();
  }
  static char a[16384], b[16384];
  settings_text(&s, a, sizeof a);
  settings_text(&back, b, sizeof b);
  if (strcmp(a, b)) {
    fprintf(stderr, "printed settings read back differently:\n%s---\n%s", a, b);
    abort();
  }
  configfile_destroy(g);
  configfile_destroy(f);
  free(printed);
  return 0;
}
