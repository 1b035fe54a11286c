/* runconfig: the configuration of a running daemon. SIGHUP re-reads it (defaults, the
 * config file, the command line again on top), OSC's /hushd/config/save writes the live
 * settings back into the file.
 *
 * A reload that is bad changes nothing; a good one applies the live parameters to the
 * engine at once (engine_set_param: no break in the audio) and tells the caller when
 * something that needs a new stream changed (devices, rate, frames, channels, fft_size,
 * hop_size, channels_linked). [noise] and [osc] are read at start-up only.
 *
 * runconfig_create/destroy/attach/reload: main thread. runconfig_save: any thread but
 * the audio ones (it writes a file); a lock keeps it apart from a reload.
 */
#ifndef HUSHD_RUNCONFIG_H
#define HUSHD_RUNCONFIG_H

#include <stddef.h>

#include "configfile.h"
#include "settings.h"

struct engine;
struct runconfig;

/* s: the caller's settings, which a reload updates in place (they must outlive the
 * runconfig); file: the file they were read from (NULL = none), now owned here; argv
 * must stay valid. NULL when out of memory. */
struct runconfig *runconfig_create(struct settings *s, struct configfile *file, int argc,
                                   char **argv);
void runconfig_destroy(struct runconfig *r);

/* The engine whose parameters are the live ones (NULL: none running). */
void runconfig_attach(struct runconfig *r, struct engine *e);

/* The path a save writes to: the file read, else the user's file ("" if unknown). */
const char *runconfig_path(const struct runconfig *r);

/* Re-reads everything. Returns -1 with "FILE:LINE: message" in err when the new
 * settings are bad (nothing changed), 0 when they are applied and the stream can go on,
 * 1 when they are in *s but the stream must be reopened (and the engine re-created) for
 * them. what: a summary of the changes for the log ("threshold 1.5 -> 2, ..." or
 * "nothing changed"). */
int runconfig_reload(struct runconfig *r, char *what, size_t whatlen, char *err,
                     size_t errlen);

/* control.save_config: writes the settings with the engine's live values into the
 * file (configfile_save). ctx is the runconfig. Returns 0, or -1 with a message. */
int runconfig_save(void *ctx, char *err, size_t errlen);

#endif
