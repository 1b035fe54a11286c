/* hushd: build the settings (defaults, config file, command line), then run one of the
 * modes. Only wiring here. */
#include <stdio.h>

#include "configfile.h"
#include "demo.h"
#include "live.h"
#include "offline.h"
#include "settings.h"

int main(int argc, char **argv) {
  struct settings s;
  struct configfile *file;
  char err[1024];
  int r = configfile_build(&s, &file, argc, argv, stdout, err, sizeof err);
  if (r > 0) return 0;
  if (r < 0) {
    fprintf(stderr, "hushd: %s\n", err);
    return 2;
  }
  int rc = 1;
  if (s.print_config) {
    configfile_print(stdout, &s);
    rc = 0;
  } else if (s.input || s.demo_dir) {
    rc = s.demo_dir ? demo_run(&s, stdout, err, sizeof err) : offline_run(&s, err, sizeof err);
    if (rc) fprintf(stderr, "hushd: %s\n", err);
  } else {
    rc = live_run(&s);
  }
  configfile_destroy(file);
  return rc;
}
