/* osc: hushd's OSC control surface (UDP, liblo message format).
 *
 * One server thread owns a UDP socket bound to the given address, reads the datagrams of
 * allowed senders (osc_allow.h) and answers the /hushd namespace (osc_hushd.h,
 * docs/osc.md). Replies go to the sender from the server's own port; bad input gets
 * /hushd/error s:path s:message and changes nothing; malformed packets are counted and
 * dropped. Files are read and written on a worker thread of its own (osc_jobs.h), so no
 * request holds up the OSC thread, and OSC never blocks the audio path.
 *
 * osc_create/osc_destroy: main thread. ctl and what it points to must outlive the server.
 */
#ifndef HUSHD_OSC_H
#define HUSHD_OSC_H

#include <stddef.h>
#include <sys/socket.h>

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

/* The server without socket or thread, for the fuzz target and tests: datagrams come in
 * through osc_dispatch_datagram on the caller's thread; replies go nowhere. Free it with
 * osc_destroy. */
struct osc *osc_create_detached(const char *allow, struct control *ctl, char *err,
                                size_t errlen);
/* Handles one datagram from `from` as the server thread does (allow-list, bundles, the
 * namespace), then serves what is due. Detached servers only. */
void osc_dispatch_datagram(struct osc *o, const void *data, size_t size,
                           const struct sockaddr *from, socklen_t fromlen);

#endif
