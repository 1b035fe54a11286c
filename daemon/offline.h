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

#include <sndfile.h>
#include <stddef.h>

#include "settings.h"

struct engine;
struct picture;

/* Returns the exit status: 0 done, 1 failed while running (I/O), 2 bad input or
 * settings; on failure a one-line message is in err. */
int offline_run(const struct settings *s, char *err, size_t errlen);

/* The parts of a run on open libsndfile handles (also what tests/fuzz/fuzz-sndfile.c
 * drives with sf_open_virtual). offline_check_input: an input just opened (name for
 * messages) holds audio and is not cut short; sets the float normalisation the reading
 * expects. Returns 0, or -1 with a message. */
int offline_check_input(SNDFILE *in, const SF_INFO *info, const char *name, char *err,
                        size_t errlen);
/* Denoises all of in (checked) into out (opened for writing with in's SF_INFO) through
 * e, made for info's rate and channels from params p; learns from the first learn_s
 * seconds first when learn_s > 0. pic: NULL, or a picture to fill; quiet: no progress
 * bar. A read error or fewer frames than the header announces is an error. Stops when
 * SIGINT, SIGTERM or SIGHUP arrived (offline_run catches them). Returns 0, or 1
 * (interrupted, write failed, no memory) or 2 (the input is cut short or damaged) with
 * a message. */
int offline_process(struct engine *e, const struct hp_values *p, float learn_s, SNDFILE *in,
                    const SF_INFO *info, SNDFILE *out, struct picture *pic, int quiet,
                    const char *in_name, const char *out_name, char *err, size_t errlen);

#endif
