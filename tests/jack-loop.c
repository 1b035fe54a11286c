/* jack-loop: plays a mono sound file into one JACK port and records another, sample-
 * aligned, for the live daemon's real-audio tests.
 *
 *   jack-loop FEED_PORT RECORD_PORT IN.wav OUT.wav TAIL_S [CYCLES.txt]
 *
 * Two clients, a player and a recorder, so the graph is player -> FEED_PORT ... RECORD_PORT
 * -> recorder and JACK runs them in that order within one cycle. Both start in the same
 * cycle (the first whose start frame time reaches a shared start time), so OUT.wav[n] was
 * recorded in the cycle position where IN.wav[n] was played: a delay measured in OUT.wav is
 * exactly the latency between the two ports. OUT.wav holds len(IN) + TAIL_S seconds.
 * Every other connection of FEED_PORT is removed first (e.g. PortAudio's autoconnection
 * to system:capture_N). Prints "xruns N" (the server's xrun count during the run).
 *
 * Positions follow the server's frame time, not the count of cycles a client ran: a
 * cycle the machine kept a client from running leaves a hole of silence in OUT.wav (or
 * skips those frames of IN.wav), and everything after it keeps its place. CYCLES.txt
 * gets a line "FRAME CLOCK_NS" per recorded cycle: the position in OUT.wav and the
 * CLOCK_MONOTONIC time the recorder ran it, so a test can tell when a sample was recorded
 * and which cycles the recorder missed.
 */
#include <jack/jack.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct side {
  jack_client_t *client;
  jack_port_t *port;
  float *buf;
  size_t len; /* frames */
  atomic_int done;
  /* recorder only: where and when each cycle was recorded */
  size_t *cycle_frame;
  long long *cycle_ns;
  size_t cycles, max_cycles;
};

static struct side play, rec;
static atomic_uint start_frame_time; /* 0 = not armed */
static atomic_uint base_frame_time;  /* 0 = not started yet */
static atomic_int xruns;

/* Copies between the port and the side's buffer from the armed start cycle on, at the
 * cycle's frame time since the start. */
static void run_side(struct side *s, jack_nframes_t n, int playing) {
  float *port = jack_port_get_buffer(s->port, n);
  jack_nframes_t t = jack_last_frame_time(s->client);
  unsigned start = atomic_load(&start_frame_time);
  int started = start && (jack_nframes_t)(t - start) < 0x80000000u;
  unsigned base = 0; /* the first started cycle's own frame time: position 0 */
  if (started && !atomic_compare_exchange_strong(&base_frame_time, &base, t)) t -= base;
  else t = 0;
  size_t pos = (size_t)t, k = 0;
  if (started && pos < s->len) {
    k = s->len - pos < n ? s->len - pos : n;
    if (playing) memcpy(port, s->buf + pos, k * sizeof(float));
    else memcpy(s->buf + pos, port, k * sizeof(float));
    if (!playing && s->cycles < s->max_cycles) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now); /* vDSO: no system call */
      s->cycle_frame[s->cycles] = pos;
      s->cycle_ns[s->cycles++] = now.tv_sec * 1000000000LL + now.tv_nsec;
    }
  }
  if (started && pos + n >= s->len) atomic_store(&s->done, 1);
  if (playing) memset(port + k, 0, (n - k) * sizeof(float));
}

static int play_cb(jack_nframes_t n, void *arg) {
  run_side(arg, n, 1);
  return 0;
}

static int rec_cb(jack_nframes_t n, void *arg) {
  run_side(arg, n, 0);
  return 0;
}

static int xrun_cb(void *arg) {
  (void)arg;
  atomic_fetch_add(&xruns, 1);
  return 0;
}

static jack_client_t *open_client(const char *name, struct side *s, JackProcessCallback cb,
                                  enum JackPortFlags dir) {
  jack_status_t st;
  jack_client_t *c = jack_client_open(name, JackNoStartServer, &st);
  if (!c) {
    fprintf(stderr, "jack-loop: cannot open JACK client %s (status 0x%x)\n", name, st);
    exit(1);
  }
  s->client = c;
  s->port = jack_port_register(c, dir == JackPortIsOutput ? "out" : "in",
                               JACK_DEFAULT_AUDIO_TYPE, dir, 0);
  jack_set_process_callback(c, cb, s);
  return c;
}

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: jack-loop FEED_PORT RECORD_PORT IN.wav OUT.wav TAIL_S "
                    "[CYCLES.txt]\n");
    return 2;
  }
  SF_INFO info = {0};
  SNDFILE *in = sf_open(argv[3], SFM_READ, &info);
  if (!in || info.channels != 1) {
    fprintf(stderr, "jack-loop: %s: need a mono sound file\n", argv[3]);
    return 2;
  }
  play.len = (size_t)info.frames;
  rec.len = play.len + (size_t)(atof(argv[5]) * info.samplerate);
  play.buf = malloc(play.len * sizeof(float));
  rec.buf = calloc(rec.len, sizeof(float));
  rec.max_cycles = rec.len + 1; /* a cycle records at least one frame */
  rec.cycle_frame = calloc(rec.max_cycles, sizeof *rec.cycle_frame);
  rec.cycle_ns = calloc(rec.max_cycles, sizeof *rec.cycle_ns);
  sf_readf_float(in, play.buf, (sf_count_t)play.len);
  sf_close(in);

  jack_client_t *pc = open_client("hushd-test-play", &play, play_cb, JackPortIsOutput);
  jack_client_t *rc = open_client("hushd-test-rec", &rec, rec_cb, JackPortIsInput);
  jack_set_xrun_callback(rc, xrun_cb, NULL);
  if ((int)jack_get_sample_rate(pc) != info.samplerate) {
    fprintf(stderr, "jack-loop: the server runs at %u Hz, %s is %d Hz\n",
            jack_get_sample_rate(pc), argv[3], info.samplerate);
    return 2;
  }
  if (jack_activate(pc) || jack_activate(rc)) {
    fprintf(stderr, "jack-loop: cannot activate the clients\n");
    return 1;
  }
  jack_port_t *feed = jack_port_by_name(pc, argv[1]);
  const char **others = feed ? jack_port_get_all_connections(pc, feed) : NULL;
  for (int i = 0; others && others[i]; i++) jack_disconnect(pc, others[i], argv[1]);
  jack_free(others);
  if (jack_connect(pc, jack_port_name(play.port), argv[1]) ||
      jack_connect(rc, argv[2], jack_port_name(rec.port))) {
    fprintf(stderr, "jack-loop: cannot connect %s and %s\n", argv[1], argv[2]);
    return 1;
  }
  /* a few periods ahead, so both clients see the connections before they start */
  unsigned start = jack_frame_time(pc) + 4 * jack_get_buffer_size(pc);
  atomic_store(&start_frame_time, start ? start : 1);
  atomic_store(&xruns, 0);
  while (!atomic_load(&rec.done)) usleep(20000);
  jack_client_close(pc);
  jack_client_close(rc);

  SF_INFO oinfo = {.samplerate = info.samplerate, .channels = 1,
                   .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
  SNDFILE *out = sf_open(argv[4], SFM_WRITE, &oinfo);
  if (!out || sf_writef_float(out, rec.buf, (sf_count_t)rec.len) != (sf_count_t)rec.len) {
    fprintf(stderr, "jack-loop: %s: cannot write\n", argv[4]);
    return 1;
  }
  sf_close(out);
  FILE *cycles = argc == 7 ? fopen(argv[6], "w") : NULL;
  for (size_t i = 0; cycles && i < rec.cycles; i++)
    fprintf(cycles, "%zu %lld\n", rec.cycle_frame[i], rec.cycle_ns[i]);
  if (cycles) fclose(cycles);
  printf("xruns %d\n", atomic_load(&xruns));
  return 0;
}
