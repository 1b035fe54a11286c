/* lifecycle: the signals that drive the live daemon's state machine (daemon/live.c), and
 * the guards that end it cleanly when the audio server dies under a stream's open or close.
 *
 * SIGINT, SIGTERM and SIGHUP are blocked in every thread (lifecycle_block is called
 * before any thread is created, and threads inherit the mask), so they stay pending for
 * the process until the main loop takes them with lifecycle_wait. No handler runs and
 * no flag can be lost: signals still pending when the process restarts itself in place
 * (execv) stay pending in the new image, whose mask is the same, and it takes them there.
 *
 * Main thread only.
 */
#ifndef HUSHD_LIFECYCLE_H
#define HUSHD_LIFECYCLE_H

enum lc_event {
  LC_NONE,   /* the wait ran out */
  LC_STOP,   /* SIGINT or SIGTERM: end with status 0 */
  LC_RELOAD, /* SIGHUP: re-read the configuration */
};

/* Blocks the three signals in the calling thread and every thread it creates later. */
void lifecycle_block(void);

/* Waits at most timeout_ms (0: only looks) for one of the signals and takes it. A stop
 * pending beside a reload wins. *signo: the signal taken (for the closing line). */
enum lc_event lifecycle_wait(int timeout_ms, int *signo);

/* Takes a pending SIGINT or SIGTERM without waiting; a pending SIGHUP stays pending (for
 * the state that applies reloads, or for the process an exec makes). */
enum lc_event lifecycle_stop_pending(int *signo);

/* From now until the next call, an abort (PortAudio asserts when the JACK server dies
 * while a stream closes) or deadline_ms passing (0: no deadline; libjack waits seconds
 * for a server that is shutting down) writes line as a log line and ends the process
 * with status, instead of a core dump or the wait. line NULL: both are off again. */
void lifecycle_guard(const char *line, int status, int deadline_ms);

/* The same guard against an abort while a device opens, and besides it a look every
 * 100 ms (by a thread of its own) for a pending SIGINT or SIGTERM, which ends the process at once with status 0:
 * libjack can block for seconds on a server that is going away, and a stop must not wait
 * for it (nothing is lost: the engine has not run in this process yet). line NULL: off. */
void lifecycle_guard_open(const char *line, int status);

#endif
