/* hushd: build the settings (defaults, config file, command line), then run one of the
 * modes. Only wiring here. */
#include <stdio.h>

#include "configfile.h"
#include "demo.h"
#include "live.h"
#include "log.h"
#include "offline.h"
#include "runconfig.h"
#include "settings.h"

int main(int argc, char **argv) {
  struct settings s;
  struct configfile *file;
  char err[1024];
  log_init(0, 0); /* a bad setting is already an error line for the journal */
  int r = configfile_build(&s, &file, argc, argv, stdout, err, sizeof err);
  if (r > 0) return 0;
  if (r < 0) {
    log_error("%s", err);
    return 2;
  }
  log_init(s.verbose, s.quiet);
  int rc = 1;
  if (s.print_config) {
    configfile_print(stdout, &s);
    rc = 0;
  } else if (s.input || s.demo_dir) {
    rc = s.demo_dir ? demo_run(&s, stdout, err, sizeof err) : offline_run(&s, err, sizeof err);
    if (rc) log_error("%s", err);
  } else {
    struct runconfig *run = runconfig_create(&s, file, argc, argv);
    if (run) file = NULL; /* the runconfig owns it now */
    rc = run ? live_run(&s, run) : 1;
    if (!run) log_error("out of memory");
    runconfig_destroy(run);
  }
  configfile_destroy(file);
  return rc;
}
