/* minstat: minimum statistics noise floor (Martin 2001), per bin.
 *
 * Each bin's periodogram is smoothed over a few tens of ms; its minimum over a window of
 * MINSTAT_SUBWINDOWS sub-windows (about 1.5 s in all) times a bias compensation is an
 * estimate of the mean noise power that needs no noise-only stretch, only a pause
 * somewhere in the window. The window grows from nothing at the start. A shorter, recent
 * window (the last ~0.5 s) tells a rise of the noise from speech: speech leaves dips in
 * most bins within half a second, a louder noise does not.
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

/* Bins values: bias-compensated minimum over the whole window, and over the recent part
 * (about 0.5 s). Both are FLT_MAX in a bin not updated yet. */
const float *minstat_floor(const struct minstat *m);
const float *minstat_recent(const struct minstat *m);
/* Cycles the whole window holds now (0 at the start). */
int minstat_window_cycles(const struct minstat *m);
/* Cycles of one sub-window. */
int minstat_subwindow_cycles(const struct minstat *m);

/* The noise changed: the window forgets everything older than its recent part, so that
 * the floor follows the new noise at once. */
void minstat_forget_old(struct minstat *m);

/* Starts afresh, as at create (a new model was loaded). */
void minstat_reset(struct minstat *m);

#endif
