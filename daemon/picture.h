/* picture: the spectrogram picture of an offline run (hushd --spectrogram PNG).
 *
 * Three panels stacked, each with time (s) and frequency (kHz) axes and a colour scale:
 * the input's spectrogram, the gate's mask (gain in dB) and the output's spectrogram,
 * the two spectrograms on one dB scale (0 dBFS = a full-scale sine), so the picture
 * shows what the gate kept and what it took away.
 *
 * The caller feeds it while it runs the engine: the input as it goes in, the output
 * once it is aligned with the input (latency compensated), and the engine's mask after
 * each hop. The picture does its own Hann-windowed FFT of the newest fft_size samples at
 * every hop boundary of each signal (the frames the engine's mask was computed from),
 * power averaged over channels, and averages hops and bins into at most
 * PICTURE_COLS_MAX x PICTURE_ROWS_MAX cells, so memory stays small for long files.
 *
 * Main thread only (offline mode): create plans an FFT and allocates; nothing here is
 * real-time. The picture owns its buffers; the caller owns the arrays it passes.
 */
#ifndef HUSHD_PICTURE_H
#define HUSHD_PICTURE_H

#include <stddef.h>
#include <stdio.h>

#define PICTURE_WIDTH_PX 1200
#define PICTURE_HEIGHT_PX 900
#define PICTURE_COLS_MAX 990 /* the plot's width in pixels */
#define PICTURE_ROWS_MAX 512

struct picture;

/* total_frames: length of the input (frames per channel). Returns NULL with a message. */
struct picture *picture_create(int rate_hz, int channels, int fft_size, int hop_size,
                               long long total_frames, char *err, size_t errlen);
void picture_destroy(struct picture *p);

/* frames interleaved frames of the input, in order from its start. */
void picture_add_input(struct picture *p, const float *in, size_t frames);
/* frames interleaved frames of the output aligned with the input, in order. */
void picture_add_output(struct picture *p, const float *out, size_t frames);
/* gain: fft_size/2 + 1 mask values of hop hop_index (0 = first); call once per channel
 * and hop (channels are averaged). Hops past the input's end are ignored. */
void picture_add_mask(struct picture *p, long long hop_index, const float *gain);

/* Draws the picture and writes it as PNG to f. Titles name the two files.
 * Returns 0, or -1 with a message. */
int picture_write_png(const struct picture *p, FILE *f, const char *input_name,
                      const char *output_name, char *err, size_t errlen);

#endif
