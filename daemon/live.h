/* live: the live daemon. Wires audio (PortAudio streams), the two rings, the DSP worker
 * and the status line, and runs until SIGINT or SIGTERM.
 *
 * Main thread. A lost device or stream error is reported and the streams are reopened
 * with backoff; a signal during that still ends the run at once.
 */
#ifndef HUSHD_LIVE_H
#define HUSHD_LIVE_H

#include "settings.h"

/* Returns the exit status: 0 after a signal (or --list-devices), 2 for bad settings or
 * a device name that matches no device or several, 1 for other failures. */
int live_run(const struct settings *s);

#endif
