/* memlock: keeps the audio path's memory in RAM, within RLIMIT_MEMLOCK.
 *
 * A page fault on the worker's stack or the DSP state in the middle of a hop is a
 * disk read at worst: an underrun. mlockall(MCL_FUTURE) would prevent it but also makes
 * every later mapping count against RLIMIT_MEMLOCK, so with an ordinary user's limit a
 * later pthread_create or malloc fails (the OSC thread, a reconnect). memlock instead
 * locks, once the audio path is allocated, only what it uses and only as far as the
 * limit allows, in this order: the top of the DSP worker's stack, the heap (rings,
 * engine, FFTW plans), then the process's other private anonymous mappings (large
 * allocations, thread stacks), smallest first. Pages are locked as they are touched
 * (MLOCK_ONFAULT): an 8 MiB stack costs what it uses. Never MCL_FUTURE; shared mappings
 * (JACK's segment, which libjack locks itself) and files are left alone.
 *
 * Main thread.
 */
#ifndef HUSHD_MEMLOCK_H
#define HUSHD_MEMLOCK_H

#include <stddef.h>

struct worker;

/* Locks what fits (see above) and says what in a log line: "locked N KiB of M KiB
 * limit ..." (an info line when all of it fit, else a notice) or "memory not locked:
 * ..." (a warning). w: the running worker (its stack first). */
void memlock_audio_path(const struct worker *w);

#endif
