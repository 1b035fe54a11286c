/* osc_args: one OSC request being handled, its arguments read as numbers and names, and
 * the replies to its sender: the value, or /hushd/error s:path s:message. OSC thread only.
 *
 * The check_* and arg_* helpers return 0, or -1 after replying the error, so a handler
 * chains them with || and returns on the first failure.
 */
#ifndef HUSHD_OSC_ARGS_H
#define HUSHD_OSC_ARGS_H

#include <lo/lo.h>

#include "osc_server.h"

struct osc_req {
  struct osc *srv;
  const struct osc_peer *from;
  const char *path; /* as received */
  lo_message m;
};

void req_reply(const struct osc_req *q, const char *path, lo_message m); /* m freed here */
void req_reply_empty(const struct osc_req *q);                        /* at q->path */
void req_error(const struct osc_req *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int req_argc(const struct osc_req *q);
char req_type(const struct osc_req *q, int i);
const char *req_string(const struct osc_req *q, int i); /* argument i is a string */

int check_argc(const struct osc_req *q, int lo, int hi);
/* lo <= v <= hi, compared in float precision: f:0.01 is 0.0099999998, and must not fall
 * below 0.01. */
int check_range(const struct osc_req *q, const char *what, double v, double lo, double hi);
/* Argument i as a number: i, f, d, h, T and F are numbers. */
int arg_number(const struct osc_req *q, int i, double *v);

#endif
