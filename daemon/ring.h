/* ring: single-producer single-consumer lock-free ring of interleaved float frames.
 *
 * One writer thread and one reader thread, no locks: each side owns one index and reads
 * the other's with acquire, publishes its own with release (the zix/lv2 ring pattern).
 * Indexes count frames and run freely; the capacity is a power of two, so the wrap-around
 * of the index type never matters. The whole capacity is usable.
 *
 * ring_create/ring_destroy/ring_reset: main thread, while neither side runs.
 * ring_write*: the writer thread only. ring_read*: the reader thread only.
 * ring_fill/capacity: any thread (fill is a snapshot).
 * Everything except create/destroy is RT-safe: no allocation, locks or system calls.
 */
#ifndef HUSHD_RING_H
#define HUSHD_RING_H

#include <stddef.h>

struct ring;

/* At least min_frames frames of channels floats each (rounded up to a power of two).
 * Returns NULL when out of memory or when the size overflows. */
struct ring *ring_create(size_t min_frames, int channels);
void ring_destroy(struct ring *r);
void ring_reset(struct ring *r); /* empty it; neither side may be running */

size_t ring_capacity_frames(const struct ring *r);
size_t ring_fill_frames(const struct ring *r); /* any thread: frames readable now */

/* Writer thread. */
size_t ring_write_space(const struct ring *r);
/* Copies min(frames, space) frames from src (NULL: silence); returns how many. */
size_t ring_write(struct ring *r, const float *src, size_t frames);

/* Reader thread. */
size_t ring_read_space(const struct ring *r);
/* Copies min(frames, space) frames into dst (NULL: drops them); returns how many. */
size_t ring_read(struct ring *r, float *dst, size_t frames);

#endif
