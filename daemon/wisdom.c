/* wisdom: FFTW wisdom file in and out (see wisdom.h). */
#include "wisdom.h"

#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"

int wisdom_load(const char *path, enum engine_plan *plan, char *err, size_t errlen) {
  *plan = path ? ENGINE_PLAN_MEASURE : ENGINE_PLAN_ESTIMATE;
  if (path && access(path, F_OK) == 0 && !fftwf_import_wisdom_from_filename(path)) {
    snprintf(err, errlen, "%s: not an FFTW wisdom file (single precision)", path);
    return -1;
  }
  return 0;
}

int wisdom_save(const char *path, char *err, size_t errlen) {
  char *text = fftwf_export_wisdom_to_string();
  if (!text) {
    snprintf(err, errlen, "%s: cannot export the FFTW wisdom (out of memory)", path);
    return -1;
  }
  int rc = atomic_write(path, text, strlen(text), err, errlen);
  free(text);
  return rc;
}
