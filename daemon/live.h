/* live: the live daemon. Wires audio (PortAudio streams), the two rings, the DSP worker
 * and the status line, and runs until SIGINT or SIGTERM.
 *
 * Main thread. A lost device or stream error is reported and the streams are reopened
 * with backoff; a signal during that still ends the run at once. SIGHUP re-reads the
 * configuration (runconfig): live parameters change at once, the rest reopens.
 */
#ifndef HUSHD_LIVE_H
#define HUSHD_LIVE_H

#include "runconfig.h"
#include "settings.h"

/* s: the settings, which a SIGHUP reload through run updates in place. Returns the exit
 * status: 0 after SIGINT/SIGTERM (or --list-devices), 2 for bad settings or a device
 * name that matches no device or several, 1 for other failures. */
int live_run(struct settings *s, struct runconfig *run);

#endif
