/* ring: SPSC lock-free ring of float frames (see ring.h). */
#include "ring.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_LINE 64

struct ring {
  /* each index on its own cache line: the two threads write them at high rates */
  _Alignas(CACHE_LINE) atomic_size_t write_frames; /* frames ever written; writer owns */
  _Alignas(CACHE_LINE) atomic_size_t read_frames;  /* frames ever read; reader owns */
  _Alignas(CACHE_LINE) size_t size_frames;         /* power of two */
  size_t mask;
  size_t channels;
  float *data; /* size_frames * channels */
};

struct ring *ring_create(size_t min_frames, int channels) {
  if (channels < 1 || min_frames == 0 || min_frames > SIZE_MAX / 2) return NULL;
  size_t size = 1;
  while (size < min_frames) size <<= 1;
  if (size > SIZE_MAX / sizeof(float) / (size_t)channels) return NULL;
  struct ring *r = aligned_alloc(CACHE_LINE, sizeof *r);
  if (!r) return NULL;
  r->data = calloc(size * (size_t)channels, sizeof(float));
  if (!r->data) {
    free(r);
    return NULL;
  }
  r->size_frames = size;
  r->mask = size - 1;
  r->channels = (size_t)channels;
  atomic_init(&r->write_frames, 0);
  atomic_init(&r->read_frames, 0);
  return r;
}

void ring_destroy(struct ring *r) {
  if (!r) return;
  free(r->data);
  free(r);
}

void ring_reset(struct ring *r) {
  atomic_store(&r->write_frames, 0);
  atomic_store(&r->read_frames, 0);
}

size_t ring_capacity_frames(const struct ring *r) { return r->size_frames; }

size_t ring_fill_frames(const struct ring *r) {
  /* from a third thread both indexes may move between the loads: clamp */
  size_t rd = atomic_load_explicit(&r->read_frames, memory_order_acquire);
  size_t wr = atomic_load_explicit(&r->write_frames, memory_order_acquire);
  return wr - rd < r->size_frames ? wr - rd : r->size_frames;
}

/* Copies n frames between the ring at frame index `at` and a flat buffer, in at most
 * two pieces around the end. */
static void copy_in(struct ring *r, size_t at, const float *src, size_t n) {
  size_t i = at & r->mask, first = r->size_frames - i < n ? r->size_frames - i : n;
  size_t ch = r->channels;
  if (src) {
    memcpy(r->data + i * ch, src, first * ch * sizeof(float));
    memcpy(r->data, src + first * ch, (n - first) * ch * sizeof(float));
  } else {
    memset(r->data + i * ch, 0, first * ch * sizeof(float));
    memset(r->data, 0, (n - first) * ch * sizeof(float));
  }
}

static void copy_out(const struct ring *r, size_t at, float *dst, size_t n) {
  size_t i = at & r->mask, first = r->size_frames - i < n ? r->size_frames - i : n;
  size_t ch = r->channels;
  memcpy(dst, r->data + i * ch, first * ch * sizeof(float));
  memcpy(dst + first * ch, r->data, (n - first) * ch * sizeof(float));
}

/* ---- writer thread ---- */

size_t ring_write_space(const struct ring *r) {
  size_t wr = atomic_load_explicit(&r->write_frames, memory_order_relaxed);
  size_t rd = atomic_load_explicit(&r->read_frames, memory_order_acquire);
  return r->size_frames - (wr - rd);
}

size_t ring_write(struct ring *r, const float *src, size_t frames) {
  size_t wr = atomic_load_explicit(&r->write_frames, memory_order_relaxed);
  size_t rd = atomic_load_explicit(&r->read_frames, memory_order_acquire);
  size_t space = r->size_frames - (wr - rd);
  size_t n = frames < space ? frames : space;
  if (n == 0) return 0;
  copy_in(r, wr, src, n);
  /* release: the reader that sees the new index also sees the samples */
  atomic_store_explicit(&r->write_frames, wr + n, memory_order_release);
  return n;
}

/* ---- reader thread ---- */

size_t ring_read_space(const struct ring *r) {
  size_t rd = atomic_load_explicit(&r->read_frames, memory_order_relaxed);
  size_t wr = atomic_load_explicit(&r->write_frames, memory_order_acquire);
  return wr - rd;
}

size_t ring_read(struct ring *r, float *dst, size_t frames) {
  size_t rd = atomic_load_explicit(&r->read_frames, memory_order_relaxed);
  size_t wr = atomic_load_explicit(&r->write_frames, memory_order_acquire);
  size_t n = frames < wr - rd ? frames : wr - rd;
  if (n == 0) return 0;
  if (dst) copy_out(r, rd, dst, n);
  /* release: the writer that sees the new index may overwrite what was read */
  atomic_store_explicit(&r->read_frames, rd + n, memory_order_release);
  return n;
}
