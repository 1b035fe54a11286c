/* status: the one-line running status of the live daemon.
 *
 * On a terminal the line is redrawn in place every second; otherwise (a pipe, the
 * journal under systemd) a full line is written every few seconds. Main thread only.
 */
#ifndef HUSHD_STATUS_H
#define HUSHD_STATUS_H

#include <stddef.h>
#include <stdio.h>

#include "control.h"

struct status_out {
  FILE *out;
  int tty;          /* redraw in place */
  double every_s;   /* seconds between lines */
  double last_s;    /* when the last line was written; < 0 = never */
  int drawn;        /* a line is on the terminal without its newline */
};

void status_init(struct status_out *so, FILE *out);
/* One line: levels, reduction, noise floor, latency, CPU loads (callback_load from
 * PortAudio, the DSP thread's from s->cpu_load) and the error counts. */
void status_format(const struct hushd_status *s, double callback_load, char *buf, size_t len);
/* Writes the line when it is due at now_s (seconds, monotonic). */
void status_show(struct status_out *so, const struct hushd_status *s, double callback_load,
                 double now_s);
/* Ends a line drawn in place, so the next message starts on its own line. */
void status_break(struct status_out *so);

#endif
