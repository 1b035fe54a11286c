/* osc_meters: the meter subscriptions: who gets /hushd/meters, how often, until when.
 *
 * What one subscription may cost is bounded, since a UDP sender can be forged: at most
 * OSC_MAX_SUBSCRIBERS at once, meters at most every OSC_MIN_PUSH_INTERVAL_S to each (20 a
 * second), leases of at most OSC_MAX_GRANTED_LEASE_S (a forgotten or forged subscription
 * ends in 10 minutes). Pure bookkeeping on the caller's clock (s, monotonic): no I/O.
 * OSC thread only.
 */
#ifndef HUSHD_OSC_METERS_H
#define HUSHD_OSC_METERS_H

#include "osc_server.h"

#define OSC_MAX_SUBSCRIBERS 16
#define OSC_MIN_PUSH_INTERVAL_S 0.05
#define OSC_MAX_GRANTED_LEASE_S 600.0

struct osc_subscriber {
  struct osc_peer to;
  double interval_s, next_s, until_s; /* next push and lease end, on the caller's clock */
};

struct osc_meters {
  struct osc_subscriber subs[OSC_MAX_SUBSCRIBERS];
  int n;
};

/* Adds p, or renews its subscription, from now_s on; the first push is due at once.
 * *interval_s and *lease_s become what is granted (clamped to the bounds above).
 * Returns 0, or -1 when every slot is taken by others. */
int meters_subscribe(struct osc_meters *m, const struct osc_peer *p, double *interval_s,
                     double *lease_s, double now_s);
void meters_unsubscribe(struct osc_meters *m, const struct osc_peer *p);

/* Calls push(ctx, peer) for each subscriber due at now_s and ends expired leases.
 * Returns ms until the next push or lease end, or -1 when none is left. */
int meters_serve(struct osc_meters *m, double now_s,
                 void (*push)(void *ctx, const struct osc_peer *to), void *ctx);

#endif
