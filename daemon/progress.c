/* progress: a progress bar on a terminal (see progress.h). */
#include "progress.h"

#include <unistd.h>

#define BAR_CHARS 30

void progress_start(struct progress *p, double total_s, int quiet) {
  p->out = !quiet && total_s > PROGRESS_MIN_S && isatty(STDERR_FILENO) ? stderr : NULL;
  p->total_s = total_s;
  p->percent = -1;
}

void progress_update(struct progress *p, double done_s) {
  if (!p->out) return;
  if (done_s > p->total_s) done_s = p->total_s;
  int percent = (int)(100.0 * done_s / p->total_s);
  if (percent == p->percent) return;
  p->percent = percent;
  char bar[BAR_CHARS + 1];
  int full = percent * BAR_CHARS / 100;
  for (int i = 0; i < BAR_CHARS; i++) bar[i] = i < full ? '#' : '.';
  bar[BAR_CHARS] = 0;
  /* \r and clear to the end of the line: redraw in place */
  fprintf(p->out, "\rhushd: [%s] %3d%%  %.1f s of %.1f s\033[K", bar, percent, done_s,
          p->total_s);
  fflush(p->out);
}

void progress_end(struct progress *p) {
  if (!p->out) return;
  if (p->percent >= 0) fputc('\n', p->out);
  p->out = NULL;
}
