/* osc_args: see osc_args.h. */
#include "osc_args.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void req_reply(const struct osc_req *q, const char *path, lo_message m) {
  osc_send(q->srv, q->from, path, m);
}

void req_reply_empty(const struct osc_req *q) { req_reply(q, q->path, lo_message_new()); }

void req_error(const struct osc_req *q, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lo_message m = lo_message_new();
  lo_message_add_string(m, q->path);
  lo_message_add_string(m, msg);
  req_reply(q, "/hushd/error", m);
}

int req_argc(const struct osc_req *q) { return lo_message_get_argc(q->m); }

char req_type(const struct osc_req *q, int i) { return lo_message_get_types(q->m)[i]; }

const char *req_string(const struct osc_req *q, int i) {
  return (const char *)lo_message_get_argv(q->m)[i];
}

int check_argc(const struct osc_req *q, int lo, int hi) {
  int argc = req_argc(q);
  if (argc >= lo && argc <= hi) return 0;
  if (lo == hi)
    req_error(q, "expects %d argument%s, got %d", lo, lo == 1 ? "" : "s", argc);
  else
    req_error(q, "expects %d %s %d arguments, got %d", lo, hi == lo + 1 ? "or" : "to", hi,
              argc);
  return -1;
}

int check_range(const struct osc_req *q, const char *what, double v, double lo, double hi) {
  if (isfinite(v) && (float)v >= (float)lo && (float)v <= (float)hi) return 0;
  req_error(q, "%s: %g is out of range [%g, %g]", what, v, lo, hi);
  return -1;
}

/* liblo's lo_arg pointers are only 4-byte aligned (OSC's own alignment), less than the
 * union needs: read the bytes, never through the union. */
static double arg_as_number(const lo_arg *a, char type) {
  int32_t i;
  int64_t h;
  float f;
  double d;
  switch (type) {
    case LO_INT32: memcpy(&i, a, sizeof i); return i;
    case LO_FLOAT: memcpy(&f, a, sizeof f); return f;
    case LO_DOUBLE: memcpy(&d, a, sizeof d); return d;
    default: memcpy(&h, a, sizeof h); return (double)h;
  }
}

int arg_number(const struct osc_req *q, int i, double *v) {
  char t = req_type(q, i);
  switch (t) {
    case LO_INT32:
    case LO_FLOAT:
    case LO_DOUBLE:
    case LO_INT64: *v = arg_as_number(lo_message_get_argv(q->m)[i], t); return 0;
    case LO_TRUE: *v = 1; return 0;
    case LO_FALSE: *v = 0; return 0;
    default:
      req_error(q, "argument %d must be a number (i, f, d, h, T or F), not '%c'", i + 1, t);
      return -1;
  }
}
