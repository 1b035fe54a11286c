/* wisdom: FFTW wisdom file in and out (see wisdom.h). */
#include "wisdom.h"

#include <errno.h>
#include <fftw3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int wisdom_load(const char *path, enum engine_plan *plan, char *err, size_t errlen) {
  *plan = path ? ENGINE_PLAN_MEASURE : ENGINE_PLAN_ESTIMATE;
  if (path && access(path, F_OK) == 0 && !fftwf_import_wisdom_from_filename(path)) {
    snprintf(err, errlen, "%s: not an FFTW wisdom file (single precision)", path);
    return -1;
  }
  return 0;
}

int wisdom_save(const char *path, char *err, size_t errlen) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
    snprintf(err, errlen, "%s: path too long", path);
    return -1;
  }
  if (!fftwf_export_wisdom_to_filename(tmp) || rename(tmp, path)) {
    snprintf(err, errlen, "%s: cannot write the FFTW wisdom: %s", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}
