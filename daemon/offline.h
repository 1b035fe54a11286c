/* offline: denoise a file (hushd --input IN --output OUT).
 *
 * Reads any file libsndfile reads, runs the engine over it with its latency compensated
 * and its tail flushed, and writes a file of the same rate, channels, format and length.
 * The output is written to a temporary file in the output's folder and renamed when
 * complete; nothing is created or truncated when the input or settings are bad.
 * Main thread; allocates freely (not a real-time path).
 */
#ifndef HUSHD_OFFLINE_H
#define HUSHD_OFFLINE_H

#include <stddef.h>

#include "settings.h"

/* Returns the exit status: 0 done, 1 failed while running (I/O), 2 bad input or
 * settings; on failure a one-line message is in err. */
int offline_run(const struct settings *s, char *err, size_t errlen);

#endif
