/* minstat: minimum statistics noise floor (Martin 2001), per bin.
 *
 * Each bin's periodogram is smoothed over a few tens of ms; its minimum over a window of
 * MINSTAT_SUBWINDOWS sub-windows (about 1.5 s in all) times a bias compensation is an
 * estimate of the mean noise power that needs no noise-only stretch, only a pause
 * somewhere in the window. The window grows from nothing at the start. A second minimum,
 * taken from a moment the caller chooses (minstat_since_start), measures a noise that
 * has just risen from the stretch since the rise alone.
 *
 * Bins are updated a block at a time (the noise tracker's bin blocks): every bin once per
 * cycle, and the caller ends each cycle with minstat_cycle(). The bias compensation is
 * measured at create by simulating Gaussian noise's periodogram through the same
 * smoothing and windows (a seeded generator: the same figures every time).
 *
 * create/destroy: main thread (they allocate). The rest: RT-safe, no alloc, no locks.
 */
#ifndef HUSHD_MINSTAT_H
#define HUSHD_MINSTAT_H

struct minstat;

/* bins: spectrum size; cycle_s: seconds between two updates of one bin. NULL: no memory. */
struct minstat *minstat_create(int bins, float cycle_s);
void minstat_destroy(struct minstat *m);

/* Takes power (bins values |X|^2, only [k0, k1) read) into bins [k0, k1). */
void minstat_update(struct minstat *m, const float *power, int k0, int k1);
/* Ends a cycle: every bin was updated once since the last call. */
void minstat_cycle(struct minstat *m);

/* Bins values: bias-compensated minimum over the whole window (1e30 in a bin not
 * updated yet). */
const float *minstat_floor(const struct minstat *m);
/* Cycles the whole window holds now (0 at the start). */
int minstat_window_cycles(const struct minstat *m);
/* Cycles of one sub-window. */
int minstat_subwindow_cycles(const struct minstat *m);

/* Starts the second minimum from the next update on. */
void minstat_since_start(struct minstat *m);
/* Bins values: that minimum of the smoothed periodogram, not compensated (1e30 in a bin
 * not updated since), and its compensation for the cycles since the start. */
const float *minstat_since(const struct minstat *m);
float minstat_since_bias(const struct minstat *m);
/* The noise changed at the last minstat_since_start: the window forgets everything
 * before it and goes on from the minimum since then, so that the floor is the new
 * noise's at once. */
void minstat_restart_from_since(struct minstat *m);

/* Starts afresh, as at create (a new model was loaded). */
void minstat_reset(struct minstat *m);

#endif
