/* status: the running status line (see status.h). */
#include "status.h"

#include <unistd.h>

#include "log.h"

void status_init(struct status_out *so, FILE *out) {
  so->out = out;
  so->tty = isatty(fileno(out));
  so->every_s = so->tty ? 1.0 : 5.0;
  so->last_s = -1;
  so->drawn = 0;
}

void status_format(const struct hushd_status *s, double callback_load, char *buf, size_t len) {
  snprintf(buf, len,
           "in %6.1f dB  out %6.1f dB  reduction %5.1f dB  noise floor %6.1f dB  "
           "latency %.1f ms  cpu callback %.1f%% dsp %.1f%%  xruns %llu  overruns %llu  "
           "underruns %llu",
           s->in_db, s->out_db, s->reduction_db, s->noise_floor_db, s->latency_ms,
           100 * callback_load, 100 * s->cpu_load, s->xruns, s->overruns, s->underruns);
}

void status_show(struct status_out *so, const struct hushd_status *s, double callback_load,
                 double now_s) {
  if (so->last_s >= 0 && now_s - so->last_s < so->every_s) return;
  so->last_s = now_s;
  char line[320];
  status_format(s, callback_load, line, sizeof line);
  if (so->tty) {
    fprintf(so->out, "\r%s\033[K", line); /* carriage return, line, erase the rest */
    so->drawn = 1;
  } else {
    log_notice("%s", line);
  }
  fflush(so->out);
}

void status_break(struct status_out *so) {
  if (so->drawn) fputc('\n', so->out);
  so->drawn = 0;
}
