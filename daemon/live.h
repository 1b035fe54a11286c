/* live: the live daemon. Wires audio (PortAudio streams), the two rings, the DSP worker
 * and the status line, and runs until SIGINT or SIGTERM.
 *
 * SIGHUP re-reads the configuration (runconfig): live parameters change at once; a
 * changed device, rate, frame count, channel count or STFT setting reopens the stream
 * with a new engine; a bad file is logged and changes nothing. systemd hears READY=1 once
 * audio flows, STATUS= every second, RELOADING=1/READY=1 around a reload, STOPPING=1,
 * and WATCHDOG=1 only while the DSP worker makes progress (notify).
 *
 * Main thread. A lost device or stream error is reported and the streams are reopened
 * with backoff; a signal during that still ends the run at once.
 */
#ifndef HUSHD_LIVE_H
#define HUSHD_LIVE_H

#include "runconfig.h"
#include "settings.h"

/* Returns the exit status: 0 after a signal (or --list-devices), 2 for bad settings or
 * a device name that matches no device or several, 1 for other failures. */
int live_run(const struct settings *s, struct runconfig *config);

#endif
