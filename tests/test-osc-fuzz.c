/* test-osc-fuzz: 100000 random and mutated packets at the OSC server (osc-testd, argv[1])
 * over real UDP. Afterwards /ping still answers, no parameter changed, and the server
 * counted exactly the packets that are malformed.
 *
 * Mutations that happen to form a valid parameter change (a flipped type tag can turn a
 * query into "set bypass to T") are skipped: they are not bad input. liblo's own parser
 * decides that, the same one the server uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "osc-client.h"
#include "params.h"

#define PACKETS 100000
#define SYNC_EVERY 64 /* packets between round trips, so the socket buffer never overflows */
#define MAX_LEN 512

static const char *driver_exe;
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the server must do with a packet, by the protocol: returns how many malformed
 * parts it drops; *changes is set when some part is a valid parameter change. Bundle
 * elements are handled in order until the bundle's framing breaks. */
static int judge(unsigned char *data, size_t size, int depth, int *changes) {
  if (size >= 8 && memcmp(data, "#bundle", 8) == 0) {
    if (size < 16 || depth >= 4) return 1;
    int drops = 0;
    for (size_t pos = 16; pos < size;) {
      if (size - pos < 4) return drops + 1;
      uint32_t n = be32(data + pos);
      pos += 4;
      if (n == 0 || n % 4 || n > size - pos) return drops + 1;
      drops += judge(data + pos, n, depth + 1, changes);
      pos += n;
    }
    return drops;
  }
  int res;
  lo_message m = lo_message_deserialise(data, size, &res);
  if (!m) return 1;
  const char *path = (const char *)data;
  if (lo_message_get_argc(m) > 0 &&
      (!strncmp(path, "/hushd/param/", 13) || !strcmp(path, "/hushd/bypass") ||
       !strcmp(path, "/hushd/profile/adapt")))
    *changes = 1;
  lo_message_free(m);
  return 0;
}

struct seed {
  unsigned char data[MAX_LEN];
  size_t len;
};

static void add_seed(struct seed *s, int *n, const char *path, const char *types, ...) {
  lo_message m = lo_message_new();
  va_list ap;
  va_start(ap, types);
  for (const char *t = types; *t; t++) {
    if (*t == 'f') lo_message_add_float(m, (float)va_arg(ap, double));
    if (*t == 'i') lo_message_add_int32(m, va_arg(ap, int));
    if (*t == 's') lo_message_add_string(m, va_arg(ap, const char *));
  }
  va_end(ap);
  s[*n].len = sizeof s[*n].data;
  lo_message_serialise(m, path, s[*n].data, &s[*n].len);
  lo_message_free(m);
  (*n)++;
}

/* A well-formed message for a known path with random argument types and values: gets past
 * the parser and into the handlers' checks. */
static size_t random_message(const struct seed *seeds, int nseeds, unsigned char *out) {
  static const char types[] = "ifdhsTFNcb";
  lo_message m = lo_message_new();
  for (int i = rnd() % 4; i > 0; i--) {
    uint32_t v = rnd();
    switch (types[rnd() % (sizeof types - 1)]) {
      case 'i': lo_message_add_int32(m, (int32_t)v); break;
      case 'f': lo_message_add_float(m, (float)(int32_t)v / (float)(1u << (rnd() % 32))); break;
      case 'd': lo_message_add_double(m, (double)(int32_t)v * 1e-3); break;
      case 'h': lo_message_add_int64(m, (int64_t)v << (rnd() % 32)); break;
      case 's': lo_message_add_string(m, v % 2 ? "on" : "../x"); break;
      case 'T': lo_message_add_true(m); break;
      case 'F': lo_message_add_false(m); break;
      case 'N': lo_message_add_nil(m); break;
      case 'c': lo_message_add_char(m, (char)v); break;
      default: {
        lo_blob b = lo_blob_new(1 + v % 16, seeds);
        lo_message_add_blob(m, b);
        lo_blob_free(b);
      }
    }
  }
  const struct seed *s = &seeds[rnd() % nseeds];
  size_t len = MAX_LEN;
  if (s->data[0] != '/' || !lo_message_serialise(m, (const char *)s->data, out, &len)) len = 0;
  lo_message_free(m);
  return len;
}

static size_t mutate(const struct seed *seeds, int nseeds, unsigned char *out) {
  if (rnd() % 4 == 0) return random_message(seeds, nseeds, out);
  static const unsigned char interesting[] = {0, 0xff, ',', '/', 'T', 'F', 's', 'i', 'f',
                                              'b', '#', 0x7f, 0x80, 'N', '[', ']'};
  if (rnd() % 4 == 0) { /* pure noise, sometimes behind a plausible path */
    size_t len = rnd() % MAX_LEN, at = 0;
    if (rnd() % 2) at = (size_t)snprintf((char *)out, MAX_LEN, "/hushd/%s", "param/");
    for (size_t i = at; i < len; i++) out[i] = (unsigned char)rnd();
    return len > at ? len : at;
  }
  const struct seed *s = &seeds[rnd() % nseeds];
  size_t len = s->len;
  memcpy(out, s->data, len);
  for (int k = 1 + rnd() % 4; k > 0; k--) {
    switch (rnd() % 7) {
      case 0: if (len) out[rnd() % len] ^= (unsigned char)(1u << (rnd() % 8)); break;
      case 1: if (len) out[rnd() % len] = interesting[rnd() % sizeof interesting]; break;
      case 2: if (len) out[rnd() % len] = (unsigned char)rnd(); break;
      case 3: len = len ? rnd() % len : 0; break; /* truncate */
      case 4: /* append */
        for (int i = rnd() % 16; i > 0 && len < MAX_LEN; i--) out[len++] = (unsigned char)rnd();
        break;
      case 5: /* splice in the tail of another seed */
        if (len) {
          const struct seed *o = &seeds[rnd() % nseeds];
          size_t at = rnd() % len, from = rnd() % o->len, n = o->len - from;
          if (at + n > MAX_LEN) n = MAX_LEN - at;
          memcpy(out + at, o->data + from, n);
          len = at + n;
        }
        break;
      default: /* 4-byte aligned length field of a bundle element, or any word */
        if (len >= 4) {
          size_t at = (rnd() % (len / 4)) * 4;
          uint32_t v = rnd() % 3 ? rnd() % 64 : rnd();
          out[at] = (unsigned char)(v >> 24);
          out[at + 1] = (unsigned char)(v >> 16);
          out[at + 2] = (unsigned char)(v >> 8);
          out[at + 3] = (unsigned char)v;
        }
        break;
    }
  }
  return len;
}

/* A round trip with a reply no mutation can forge: an error for a unique unknown
 * parameter. Returns 1 when it came back. */
static int sync_with(struct client *c, int k) {
  char path[64], got[256];
  snprintf(path, sizeof path, "/hushd/param/sync%d", k);
  client_send(c, path, lo_message_new());
  for (;;) {
    lo_message r = client_expect(c, "/hushd/error", 2000, got, sizeof got);
    if (!r) return 0;
    int mine = lo_message_get_argc(r) == 2 && lo_message_get_types(r)[0] == 's' &&
               !strcmp(&lo_message_get_argv(r)[0]->s, path);
    lo_message_free(r);
    if (mine) return 1;
  }
}

static int dropped_now(struct client *c) {
  char got[256];
  client_send(c, "/hushd/status", lo_message_new());
  for (;;) {
    lo_message r = client_expect(c, "/hushd/status", 2000, got, sizeof got);
    if (!r) return -1;
    int n = !strcmp(got, "/hushd/status") && lo_message_get_argc(r) >= 11
                ? lo_message_get_argv(r)[10]->i
                : -1;
    lo_message_free(r);
    if (n >= 0) return n;
  }
}

static void params_now(struct client *c, float v[HP_COUNT]) {
  char got[256];
  client_send(c, "/hushd/params", lo_message_new());
  lo_message r = client_expect(c, "/hushd/params", 2000, got, sizeof got);
  assert_non_null(r);
  assert_string_equal(got, "/hushd/params");
  assert_int_equal(lo_message_get_argc(r), 2 * HP_COUNT);
  for (int id = 0; id < HP_COUNT; id++) v[id] = lo_message_get_argv(r)[2 * id + 1]->f;
  lo_message_free(r);
}

static void test_100000_random_and_mutated_packets_change_nothing(void **state) {
  (void)state;
  static struct seed seeds[32];
  int n = 0;
  add_seed(seeds, &n, "/ping", "");
  add_seed(seeds, &n, "/hushd/params", "");
  add_seed(seeds, &n, "/hushd/status", "");
  add_seed(seeds, &n, "/hushd/info/threshold", "");
  add_seed(seeds, &n, "/hushd/param/threshold", "");
  add_seed(seeds, &n, "/hushd/param/threshold", "f", 2.0);
  add_seed(seeds, &n, "/hushd/param/wet", "f", 0.5);
  add_seed(seeds, &n, "/hushd/param/fft_size", "i", 512);
  add_seed(seeds, &n, "/hushd/bypass", "i", 1);
  add_seed(seeds, &n, "/hushd/profile/adapt", "i", 0);
  add_seed(seeds, &n, "/hushd/subscribe", "ff", 1.0, 1.0);
  add_seed(seeds, &n, "/hushd/unsubscribe", "");
  add_seed(seeds, &n, "/hushd/profile/save", "s", "fuzz");
  add_seed(seeds, &n, "/hushd/profile/load", "s", "fuzz");
  add_seed(seeds, &n, "/hushd/profile/learn", "f", 0.1);
  add_seed(seeds, &n, "/hushd/config/save", "s", "x");
  {
    lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
    lo_message a = lo_message_new(), q = lo_message_new();
    lo_message_add_float(q, 3);
    lo_bundle_add_message(b, "/ping", a);
    lo_bundle_add_message(b, "/hushd/param/threshold", q);
    seeds[n].len = sizeof seeds[n].data;
    lo_bundle_serialise(b, seeds[n].data, &seeds[n].len);
    lo_bundle_free_recursive(b);
    n++;
  }

  struct driver d;
  struct client c;
  char *tmp = getenv("TMPDIR"), dir[256];
  snprintf(dir, sizeof dir, "%s/hushd-fuzz-XXXXXX", tmp ? tmp : "/tmp");
  assert_non_null(mkdtemp(dir));
  char *argv[] = {(char *)driver_exe, "--state-dir", dir, NULL};
  assert_int_equal(driver_start(&d, argv), 0);
  assert_int_equal(client_open(&c, d.port), 0);

  float before[HP_COUNT], after[HP_COUNT];
  params_now(&c, before);
  int dropped0 = dropped_now(&c), expect_drops = 0, skipped = 0;
  unsigned char pkt[MAX_LEN];
  for (int k = 0; k < PACKETS;) {
    size_t len = mutate(seeds, n, pkt);
    int changes = 0, drops = judge(pkt, len, 0, &changes);
    if (changes) {
      skipped++;
      continue;
    }
    expect_drops += drops;
    client_send_raw(&c, pkt, len);
    if (++k % SYNC_EVERY == 0) assert_true(sync_with(&c, k));
  }
  assert_true(sync_with(&c, PACKETS + 1));
  int dropped = dropped_now(&c) - dropped0;
  params_now(&c, after);
  char got[256];
  client_send(&c, "/ping", lo_message_new());
  lo_message r = client_expect(&c, "/pong", 2000, got, sizeof got);
  assert_non_null(r);
  lo_message_free(r);
  client_close(&c);
  char out[1024];
  assert_int_equal(driver_stop(&d, out, sizeof out), 0);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);

  printf("# %d packets sent (%d valid parameter changes skipped), %d malformed: the server "
         "counted %d\n",
         PACKETS, skipped, expect_drops, dropped);
  assert_int_equal(dropped, expect_drops);
  assert_true(expect_drops > PACKETS / 4);
  for (int id = 0; id < HP_COUNT; id++) assert_float_equal(after[id], before[id], 0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test-osc-fuzz OSC-TESTD\n");
    return 2;
  }
  driver_exe = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_100000_random_and_mutated_packets_change_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
