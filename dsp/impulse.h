/* impulse: how click-like the newest samples of one channel are.
 *
 * The gate's transient test sees a sudden rise of the power above 2 kHz. A keyboard click
 * and the start of a fricative ("s", "t") both make one, and in quiet noise (brown noise,
 * a quiet room) a fricative's rise is as steep in the spectrum as a click's. In time they
 * differ: a click puts its energy into a millisecond or two, a fricative spreads it over
 * tens of them. This module keeps the high-frequency energy (a second difference: -35 dB
 * at 1 kHz, 0 dB at 8 kHz at 48 kHz) of the last IMPULSE_SPAN_MS in blocks of
 * IMPULSE_BLOCK_MS and reports the loudest block's energy over the mean block energy:
 * a few dB for steady noise or a fricative, up to 10 log10(24) = 13.8 dB for a click.
 * On the rises of the dev set that the gate's transient test sees: the ones speech made
 * median 7.2 dB (47 % under 7 dB), the keyboard clicks' median 11.1 dB (all over 7 dB);
 * a fire's crackles, 5-11 dB, sit across it.
 *
 * create/destroy allocate (main thread); impulse_feed/impulse_peak_ratio are RT-safe.
 */
#ifndef HUSHD_IMPULSE_H
#define HUSHD_IMPULSE_H

#define IMPULSE_BLOCK_MS 0.67f /* block length: about a click's own length */
#define IMPULSE_SPAN_MS 16.f   /* the window compared: a hop's worth of a 1024 FFT and more */

struct impulse;

/* max_samples: the most samples one impulse_feed call will pass (a hop); NULL when out of
 * memory. */
struct impulse *impulse_create(int rate_hz, int max_samples);
void impulse_destroy(struct impulse *im);
/* RT-safe. The next n (<= max_samples) samples of the channel. */
void impulse_feed(struct impulse *im, const float *x, int n);
/* RT-safe. Loudest block's high-frequency energy / the mean over the span (a power
 * ratio >= 1; 1 while the span holds no energy). */
float impulse_peak_ratio(const struct impulse *im);

#endif
