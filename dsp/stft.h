/* stft: streaming short-time Fourier analysis and weighted overlap-add synthesis.
 *
 * One instance per channel. Each call of stft_analyze takes the next hop of input and
 * gives the spectrum of the newest fft_size samples (sqrt-Hann analysis window);
 * stft_synthesize takes a (masked) spectrum and gives the next hop of output. Analysis
 * x synthesis windows sum to one across hops (least-squares WOLA synthesis window), so
 * with an unchanged spectrum the output is the input delayed by exactly
 * fft_size - hop_size samples for any hop that divides fft_size/2.
 *
 * FFTW plans and all buffers are made in stft_create (main thread; FFTW planning is not
 * thread-safe); analyze/synthesize are RT-safe: no allocation, no locks, no I/O.
 * The caller owns the in/out arrays it passes; the instance owns everything else.
 */
#ifndef HUSHD_STFT_H
#define HUSHD_STFT_H

#include <complex.h>
#include <stddef.h>

struct stft;

/* fft_size: power of two >= 16; hop_size divides fft_size and is <= fft_size/2.
 * fftw_flags: FFTW_ESTIMATE (deterministic, fast start) or FFTW_MEASURE.
 * Returns NULL on bad sizes or out of memory. */
struct stft *stft_create(int fft_size, int hop_size, unsigned fftw_flags);
void stft_destroy(struct stft *s);

int stft_fft_size(const struct stft *s);
int stft_hop_size(const struct stft *s);
int stft_bins(const struct stft *s); /* fft_size/2 + 1 */

/* RT-safe. in_hop: hop_size samples. spectrum: stft_bins() values, written. The FFT
 * writes straight into spectrum when it has the SIMD alignment FFTW planned with (any
 * fftwf_malloc'ed array, and malloc's on x86-64); otherwise through a copy. */
void stft_analyze(struct stft *s, const float *in_hop, float complex *spectrum);

/* RT-safe. The hop_size input samples that the output hop of the next
 * stft_synthesize call lines up with (the dry signal for wet/dry mixing):
 * valid after stft_analyze, points into the instance. */
const float *stft_dry_hop(const struct stft *s);

/* RT-safe. spectrum: stft_bins() values, used as the inverse FFT's input and so
 * overwritten (FFTW's complex-to-real transforms destroy their input; this saves a
 * copy per hop). out_hop: hop_size samples, written. */
void stft_synthesize(struct stft *s, float complex *spectrum, float *out_hop);

/* Clears the signal history (not the plans): the next hop starts from silence. */
void stft_reset(struct stft *s);

#endif
