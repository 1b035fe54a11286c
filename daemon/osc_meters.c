/* osc_meters: see osc_meters.h. */
#include "osc_meters.h"

#include <math.h>
#include <stddef.h>

static struct osc_subscriber *find(struct osc_meters *m, const struct osc_peer *p) {
  for (int i = 0; i < m->n; i++)
    if (osc_same_peer(&m->subs[i].to, p)) return &m->subs[i];
  return NULL;
}

static void drop(struct osc_meters *m, struct osc_subscriber *s) { *s = m->subs[--m->n]; }

int meters_subscribe(struct osc_meters *m, const struct osc_peer *p, double *interval_s,
                     double *lease_s, double now_s) {
  struct osc_subscriber *s = find(m, p);
  if (!s) {
    if (m->n == OSC_MAX_SUBSCRIBERS) return -1;
    s = &m->subs[m->n++];
    s->to = *p;
  }
  *interval_s = fmax(*interval_s, OSC_MIN_PUSH_INTERVAL_S);
  *lease_s = fmin(*lease_s, OSC_MAX_GRANTED_LEASE_S);
  s->interval_s = *interval_s;
  s->next_s = now_s;
  s->until_s = now_s + *lease_s;
  return 0;
}

void meters_unsubscribe(struct osc_meters *m, const struct osc_peer *p) {
  struct osc_subscriber *s = find(m, p);
  if (s) drop(m, s);
}

int meters_serve(struct osc_meters *m, double now_s,
                 void (*push)(void *ctx, const struct osc_peer *to), void *ctx) {
  double next = INFINITY;
  for (int i = 0; i < m->n;) {
    struct osc_subscriber *s = &m->subs[i];
    if (now_s >= s->until_s) {
      drop(m, s);
      continue;
    }
    if (now_s >= s->next_s) {
      push(ctx, &s->to);
      /* keep the cadence, but skip pushes missed while the thread was held up */
      s->next_s += s->interval_s;
      if (s->next_s < now_s) s->next_s = now_s + s->interval_s;
    }
    next = fmin(next, fmin(s->next_s, s->until_s));
    i++;
  }
  return isinf(next) ? -1 : (int)ceil((next - now_s) * 1000.0);
}
