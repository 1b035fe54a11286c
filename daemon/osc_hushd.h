/* osc_hushd: the /hushd OSC namespace (docs/osc.md): parameters from the table in
 * dsp/params.h, bypass, noise learning and profiles, status, meter subscriptions, config
 * save, ping. The transport (osc.c) hands it each message with its sender; it replies
 * through osc_send.
 *
 * The handlers reach the engine only through its any-thread calls (atomics); profile and
 * config files are read and written on osc_jobs' worker, so no request holds up the OSC
 * thread for longer than building its replies.
 *
 * create/destroy: the thread that owns the server; the rest: the OSC thread.
 */
#ifndef HUSHD_OSC_HUSHD_H
#define HUSHD_OSC_HUSHD_H

#include <lo/lo.h>
#include <stddef.h>

#include "control.h"
#include "osc_server.h"

struct osc_hushd;

struct osc_hushd *osc_hushd_create(struct osc *srv, struct control *ctl, char *err,
                                   size_t errlen);
void osc_hushd_destroy(struct osc_hushd *h); /* NULL is fine */

/* Handles message m sent to path by from. */
void osc_hushd_handle(struct osc_hushd *h, const struct osc_peer *from, const char *path,
                      lo_message m);
/* Serves what is due: meters, the end of learning, finished jobs' replies. Returns ms
 * until something is due again, or -1 when nothing waits for the clock. */
int osc_hushd_serve(struct osc_hushd *h);
/* Readable when a job has finished: call osc_hushd_serve. */
int osc_hushd_fd(const struct osc_hushd *h);

#endif
