/* osc: hushd's OSC control surface (UDP, liblo message format).
 *
 * One server thread owns a UDP socket bound to the given address and answers the
 * /hushd namespace (see README "OSC control"): parameters from the table in
 * dsp/params.h, bypass, noise learning and profiles, status, meter subscriptions, ping.
 * Replies go to the sender from the server's own port; bad input gets /hushd/error
 * s:path s:message and changes nothing; malformed packets are counted and dropped.
 *
 * The handlers reach the engine only through its any-thread calls (atomics) and the
 * engine's profile handover, so OSC never blocks the audio path.
 *
 * osc_create/osc_destroy: main thread. ctl and what it points to must outlive the server.
 */
#ifndef HUSHD_OSC_H
#define HUSHD_OSC_H

#include <stddef.h>

#include "control.h"

struct osc;

/* Binds bind_addr:port (port 0 = any free port) and starts the server thread. Only
 * datagrams from senders in allow (osc_allow.h: comma-separated addresses and CIDR
 * networks; NULL or "" = loopback only) are read; the others are dropped unanswered and
 * counted. Returns NULL with a one-line message naming the address and port (a port in
 * use says so) or the bad allow-list entry in err. */
struct osc *osc_create(const char *bind_addr, int port, const char *allow,
                       struct control *ctl, char *err, size_t errlen);
void osc_destroy(struct osc *o); /* stops the thread, closes the socket; NULL is fine */

int osc_port(const struct osc *o);                   /* the bound UDP port */
unsigned long long osc_dropped(const struct osc *o); /* malformed packets so far; any thread */
unsigned long long osc_refused(const struct osc *o); /* datagrams from outside the allow-list */

#endif
