/* hushd: parse the settings, then run one of the modes. Only wiring here. */
#include <stdio.h>

#include "demo.h"
#include "offline.h"
#include "settings.h"

int main(int argc, char **argv) {
  struct settings s;
  char err[1024];
  settings_defaults(&s);
  int r = settings_parse_args(&s, argc, argv, stdout, err, sizeof err);
  if (r > 0) return 0;
  if (r < 0) {
    fprintf(stderr, "hushd: %s\n", err);
    return 2;
  }
  if (s.input || s.demo_dir) {
    int rc = s.demo_dir ? demo_run(&s, stdout, err, sizeof err)
                        : offline_run(&s, err, sizeof err);
    if (rc) fprintf(stderr, "hushd: %s\n", err);
    return rc;
  }
  fprintf(stderr, "hushd: no audio device: live mode is not built yet; try scripts/run --demo, "
                  "hushd --list-devices or hushd --input IN --output OUT\n");
  return 1;
}
