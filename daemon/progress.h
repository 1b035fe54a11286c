/* progress: a one-line progress bar on stderr for long offline runs.
 *
 *   hushd: [###############...............]  52%  3.1 s of 6.0 s
 *
 * Drawn only when stderr is a terminal and the audio is longer than PROGRESS_MIN_S
 * seconds; otherwise every call does nothing, so pipes and logs stay clean.
 * Main thread only; the struct is the caller's (no allocation).
 */
#ifndef HUSHD_PROGRESS_H
#define HUSHD_PROGRESS_H

#include <stdio.h>

#define PROGRESS_MIN_S 5.0 /* shorter files finish before a bar is worth drawing */

struct progress {
  FILE *out;        /* NULL when the bar is off */
  double total_s;   /* length of the audio, s */
  int percent;      /* last drawn, -1 = none yet */
};

/* quiet: 1 = never draw (--quiet). */
void progress_start(struct progress *p, double total_s, int quiet);
/* done_s: seconds of audio finished so far; redraws when the percentage changes. */
void progress_update(struct progress *p, double done_s);
/* Ends the bar's line (so later messages start on their own line). */
void progress_end(struct progress *p);

#endif
