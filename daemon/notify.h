/* notify: hushd's side of systemd's service protocol (sd_notify, libsystemd).
 *
 * READY=1 once hushd serves (OSC up; the audio device may still be missing, STATUS=
 * says so), STATUS= lines for `systemctl status`, RELOADING=1 and
 * READY=1 around a SIGHUP reload, STOPPING=1, and WATCHDOG=1 pings that are sent only
 * while a progress counter (the engine's hop count) keeps advancing, so a stuck DSP
 * worker stops the pings and systemd restarts the service (WatchdogSec=).
 * Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
 *
 * Main thread only.
 */
#ifndef HUSHD_NOTIFY_H
#define HUSHD_NOTIFY_H

struct notify;

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID. NULL only when out of memory. */
struct notify *notify_create(void);
void notify_destroy(struct notify *n);

double notify_watchdog_s(const struct notify *n); /* WatchdogSec=, 0 = no watchdog */
int notify_managed(const struct notify *n); /* 1: NOTIFY_SOCKET names a service manager */

void notify_ready(struct notify *n);     /* READY=1 (again after a reload) */
void notify_reloading(struct notify *n); /* RELOADING=1 */
void notify_stopping(struct notify *n);  /* STOPPING=1 */
void notify_status(struct notify *n, const char *text); /* STATUS=text (one line) */

/* Call on every main-loop tick. Sends WATCHDOG=1 every half watchdog interval, but only
 * when progress differs from its value at the previous ping. now_s: monotonic seconds. */
void notify_watchdog(struct notify *n, unsigned long long progress, double now_s);

#endif
