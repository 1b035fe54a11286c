/* state: the live daemon's state folder and the noise model it remembers there.
 *
 * The folder is systemd's StateDirectory= ($STATE_DIRECTORY), else
 * $XDG_STATE_HOME/hushd, else ~/.local/state/hushd. It holds the named profiles OSC saves
 * and last.profile: the noise model of the latest run, in noise.h's profile text, written
 * whole (config/atomicfile) on stop, every minute and before a restart in place, and
 * read back at start when its rate and fft size match the engine's.
 *
 * Main thread only (the files block on the disk). state_save_live never blocks the audio
 * thread: it goes through profile_save_live's non-blocking handover.
 */
#ifndef HUSHD_STATE_H
#define HUSHD_STATE_H

#include <stddef.h>

struct engine;

/* The state folder into buf, or NULL when no variable names one. */
const char *state_dir(char *buf, size_t len);

/* state/last.profile into buf; NULL when state is NULL or it does not fit. */
const char *state_model_path(const char *state, char *buf, size_t len);

/* The file is one line "hushd-state 1 channels N", then the noise profile (noise.h's
 * text: rate, fft size, the model's bins). */

/* Loads the remembered model into e (not processing) of channels channels. Returns 0, or
 * -1 with a message (missing file, other channel count, rate or fft, bad text): then e
 * is unchanged. */
int state_model_load(struct engine *e, int channels, const char *path, char *err,
                     size_t errlen);

/* Writes e's model: state_save_idle while no thread processes e, state_save_live while
 * the audio thread does (the text comes through profile_save_live's handover, waiting
 * at most timeout_ms for its next hop). Returns 0, or -1 with a message; the file keeps
 * its old content then. */
int state_save_idle(struct engine *e, int channels, const char *path, char *err,
                    size_t errlen);
int state_save_live(struct engine *e, int channels, const char *path, int timeout_ms,
                    char *err, size_t errlen);

#endif
