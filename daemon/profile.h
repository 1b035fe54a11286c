/* profile: noise profiles in and out of an engine (the text format is noise.h's).
 *
 * profile_load_file: main thread, while the engine is not processing (offline before the
 * first block, live before its stream starts).
 * profile_save_live/profile_load_live: any thread but the audio thread, while the audio
 * thread keeps processing (the OSC thread). They block the caller, never the audio thread:
 * dsp/engine.h's handover is non-blocking, and the waiting for the audio thread's next
 * hop (sleeping on the monotonic clock) lives here, outside dsp/.
 */
#ifndef HUSHD_PROFILE_H
#define HUSHD_PROFILE_H

#include <stddef.h>

struct engine;

/* A profile of the largest FFT (16384: 8193 lines) takes under 200 kB. */
#define PROFILE_MAX_BYTES (1 << 20)

/* Reads a whole profile file of at most PROFILE_MAX_BYTES. Returns its text (malloc'd,
 * NUL-terminated; the caller frees), or NULL with errno set: fopen's or fread's error,
 * EFBIG when the file is larger, ENOMEM. The callers word the messages (the OSC reply's
 * and the command line's differ). */
char *profile_read(const char *path);

/* Loads the profile in path into e. Returns 0, or -1 with "PATH: message" in err. */
int profile_load_file(struct engine *e, const char *path, char *err, size_t errlen);

/* engine_profile_save/load for a running engine: wait at most timeout_ms for the audio
 * thread's next hop, and fail with a message when none comes or another handover is in
 * progress. save: returns the profile text (malloc'd, the caller frees; channel 0's
 * model), or NULL with a message. load: returns 0, or -1 with a message (a bad profile
 * fails at once, without waiting). */
char *profile_save_live(struct engine *e, int timeout_ms, char *err, size_t errlen);
int profile_load_live(struct engine *e, const char *text, int timeout_ms, char *err,
                      size_t errlen);

#endif
