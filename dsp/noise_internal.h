/* noise_internal: test-only access to the noise model's state (not part of the API). */
#ifndef HUSHD_NOISE_INTERNAL_H
#define HUSHD_NOISE_INTERNAL_H

#include "noise.h"

/* Sets the count of whole frames taken in (to start it near its limit). */
void noise_test_set_frames_seen(struct noise *n, int frames);

#endif
