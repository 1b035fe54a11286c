/* wisdom: the optional FFTW wisdom file (--wisdom FILE).
 *
 * Without it hushd plans with FFTW_ESTIMATE: deterministic and instant. With it, plans are
 * measured once (FFTW_MEASURE, about 0.25 s at n = 1024) and remembered in the file, so
 * later starts get measured plans for free. Main thread only (FFTW's planner is not
 * thread-safe); dsp/ itself does no I/O, so the file lives here.
 */
#ifndef HUSHD_WISDOM_H
#define HUSHD_WISDOM_H

#include <stddef.h>

#include "engine.h"

/* Imports path if it exists (a missing file is fine: it is created by wisdom_save) and
 * sets *plan for engine_create: measured with a path, estimated when path is NULL.
 * Returns 0, or -1 with a message when the file exists but is not wisdom. */
int wisdom_load(const char *path, enum engine_plan *plan, char *err, size_t errlen);

/* Writes the accumulated wisdom to path (config/atomicfile). 0 or -1 with message. */
int wisdom_save(const char *path, char *err, size_t errlen);

#endif
