/* profile: noise profile files, read into an engine (the text format is noise.h's).
 *
 * Main thread, while the engine is not processing (offline before the first block, live
 * before its stream starts).
 */
#ifndef HUSHD_PROFILE_H
#define HUSHD_PROFILE_H

#include <stddef.h>

struct engine;

/* Loads the profile in path into e. Returns 0, or -1 with "PATH: message" in err. */
int profile_load_file(struct engine *e, const char *path, char *err, size_t errlen);

#endif
