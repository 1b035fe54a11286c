/* offline: file in, engine, file out (see offline.h). */
#include "offline.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "picture.h"
#include "profile.h"
#include "progress.h"
#include "wisdom.h"

#define CHUNK 4096 /* frames per read (rounded up to whole hops) */

/* The signal (SIGINT, SIGTERM, or SIGHUP: the terminal was closed) that arrived during a
 * run, else 0: the loop stops and every temporary file goes. */
static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_STOP_SIGNALS (sizeof stop_signals / sizeof stop_signals[0])

/* Catches the stop signals, except those ignored when hushd started (nohup, a background
 * job): the user asked for the run to survive them. */
static void catch_stop_signals(struct sigaction *old) {
  struct sigaction act = {.sa_handler = on_signal};
  sigemptyset(&act.sa_mask);
  for (size_t i = 0; i < N_STOP_SIGNALS; i++) {
    sigaction(stop_signals[i], NULL, &old[i]);
    if (old[i].sa_handler != SIG_IGN) sigaction(stop_signals[i], &act, NULL);
  }
}

static void restore_stop_signals(const struct sigaction *old) {
  for (size_t i = 0; i < N_STOP_SIGNALS; i++) sigaction(stop_signals[i], &old[i], NULL);
}

static const char *signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP"
                                                                               : "a signal";
}

/* A file being made: written under a temporary name in the same folder, renamed to its
 * real name only when everything succeeded, removed otherwise. */
struct pending {
  const char *path; /* the name it gets */
  char *tmp;        /* temporary name; NULL when nothing was created */
  int fd;           /* open on tmp until handed over; -1 after */
};

static int pending_open(struct pending *o, const char *path, char *err, size_t errlen) {
  o->path = path;
  o->fd = -1;
  size_t len = strlen(path) + 16;
  if (!(o->tmp = malloc(len))) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  snprintf(o->tmp, len, "%s.tmp-XXXXXX", path);
  if ((o->fd = mkstemp(o->tmp)) < 0) {
    snprintf(err, errlen, "%s: cannot create a file there: %s", path, strerror(errno));
    free(o->tmp);
    o->tmp = NULL;
    return -1;
  }
  /* mkstemp makes 0600; give the file the permissions a new file normally gets */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(o->fd, 0666 & ~mask);
  return 0;
}

static int pending_commit(struct pending *o, char *err, size_t errlen) {
  if (!o->tmp) return 0;
  if (rename(o->tmp, o->path)) {
    snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
    return -1;
  }
  free(o->tmp);
  o->tmp = NULL;
  return 0;
}

static void pending_discard(struct pending *o) {
  if (o->fd >= 0) close(o->fd);
  o->fd = -1;
  if (o->tmp) unlink(o->tmp);
  free(o->tmp);
  o->tmp = NULL;
}

/* Writes text to a pending file and closes it. */
static int pending_write_text(struct pending *o, const char *text, char *err, size_t errlen) {
  FILE *f = fdopen(o->fd, "w");
  if (!f) {
    snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
    return -1;
  }
  o->fd = -1;
  int bad = fputs(text, f) < 0;
  if (fclose(f) || bad) {
    snprintf(err, errlen, "%s: write failed: %s", o->path, strerror(errno));
    return -1;
  }
  return 0;
}

/* libsndfile reads integer PCM divided by 2^(bits-1) but writes it multiplied by
 * 2^(bits-1) - 1 and, with clipping on, truncates instead of rounding, so an unchanged
 * sample would not come back unchanged. For integer PCM hushd turns that normalisation
 * off and scales, rounds and clips itself (exact in float up to 24 bits). Returns
 * 2^(bits-1), or 0 to keep libsndfile's own conversion. */
static float pcm_scale(int format) {
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8: return 0x1p7f;
    case SF_FORMAT_PCM_16: return 0x1p15f;
    case SF_FORMAT_PCM_24: return 0x1p23f;
    case SF_FORMAT_PCM_32: return 0x1p31f;
    default: return 0;
  }
}

/* sf_readf_float in full scale [-1, 1] whatever the format. */
static sf_count_t read_frames(SNDFILE *in, const SF_INFO *info, float *buf, sf_count_t n) {
  n = sf_readf_float(in, buf, n);
  float full = pcm_scale(info->format);
  for (size_t i = 0; full && n > 0 && i < (size_t)n * info->channels; i++) buf[i] /= full;
  return n;
}

/* sf_writef_float from full scale [-1, 1] whatever the format (clips). */
static sf_count_t write_frames(SNDFILE *out, const SF_INFO *info, float *buf, sf_count_t n) {
  float full = pcm_scale(info->format);
  for (size_t i = 0; full && i < (size_t)n * info->channels; i++)
    buf[i] = fminf(fmaxf(rintf(buf[i] * full), -full), full - 1);
  return sf_writef_float(out, buf, n);
}

/* Opens the input with a message for each way it can be wrong. */
static SNDFILE *open_input(const char *path, SF_INFO *info, struct stat *st, char *err,
                           size_t errlen) {
  int fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, st)) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
  }
  const char *why = S_ISDIR(st->st_mode) ? "is a directory, not an audio file"
                    : S_ISREG(st->st_mode) && st->st_size == 0 ? "the file is empty"
                                         : NULL;
  if (why) {
    snprintf(err, errlen, "%s: %s", path, why);
    close(fd);
    return NULL;
  }
  memset(info, 0, sizeof *info);
  SNDFILE *in = sf_open_fd(fd, SFM_READ, info, SF_TRUE);
  if (!in) {
    snprintf(err, errlen, "%s: not an audio file libsndfile can read (%s)", path,
             sf_strerror(NULL));
    return NULL;
  }
  if (offline_check_input(in, info, path, err, errlen)) {
    sf_close(in);
    return NULL;
  }
  return in;
}

/* A data size of 2^31 - 1 or more in a RIFF header is a streaming writer's "unknown". */
#define UNKNOWN_DATA_SIZE 0x7fffffffLL

/* The WAV data size line of libsndfile's log of the header, "data : 384000" or, when
 * the file holds less, "data : 384000 (should be 149956)": returns how many of the
 * two numbers it found (said, then is). */
static int header_data_size(SNDFILE *in, long long *said, long long *is) {
  char log[4096];
  sf_command(in, SFC_GET_LOG_INFO, log, sizeof log);
  for (const char *l = log; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
    int n = sscanf(l, "data : %lld (should be %lld)", said, is);
    if (n > 0) return n;
  }
  return 0;
}

/* A RIFF header that announces more data than the file holds: libsndfile then reads
 * what is there and says so only in its log. Returns the ratio announced / present
 * (> 1), or 0 when the file is whole or its length unknown. */
static double header_cut_short(SNDFILE *in) {
  long long said, is;
  if (header_data_size(in, &said, &is) == 2 && said > is && is > 0 &&
      said < UNKNOWN_DATA_SIZE)
    return (double)said / (double)is;
  return 0;
}

/* A WAV stream read from a pipe whose header could not give its length: it ends where
 * the data ends. */
static int length_unknown(SNDFILE *in, const SF_INFO *info) {
  long long said, is;
  return !info->seekable && header_data_size(in, &said, &is) == 1 &&
         said >= UNKNOWN_DATA_SIZE;
}

int offline_check_input(SNDFILE *in, const SF_INFO *info, const char *name, char *err,
                        size_t errlen) {
  if (info->frames <= 0) {
    snprintf(err, errlen, "%s: holds no audio (0 frames)", name);
    return -1;
  }
  double cut = header_cut_short(in), s = (double)info->frames / info->samplerate;
  if (cut > 0) {
    snprintf(err, errlen, "%s: the file is cut short: its header announces %.3f s of audio, "
             "it holds %.3f s", name, s * cut, s);
    return -1;
  }
  if (pcm_scale(info->format)) sf_command(in, SFC_SET_NORM_FLOAT, NULL, SF_FALSE);
  return 0;
}

/* After a read gave fewer frames than asked, with done frames read in all: 0 at the
 * end the header announced, else -1 with a message (damaged or cut-short input). */
static int read_failed(SNDFILE *in, const SF_INFO *info, sf_count_t done, const char *name,
                       char *err, size_t errlen) {
  if (!sf_error(in) && (done >= info->frames || length_unknown(in, info))) return 0;
  snprintf(err, errlen, "%s: the file is cut short or damaged: read %.3f s of the %.3f s its "
           "header announces (%s)", name, (double)done / info->samplerate,
           (double)info->frames / info->samplerate,
           sf_error(in) ? sf_strerror(in) : "no more data");
  return -1;
}

/* Refuses, before anything is created, an output that would replace the input (the
 * original would be lost) or that libsndfile cannot write in the input's format. */
static int check_outputs(const struct settings *s, const struct stat *input,
                         const SF_INFO *info, char *err, size_t errlen) {
  const char *outputs[] = {s->output, s->spectrogram, s->save_profile};
  for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
    struct stat st;
    if (outputs[i] && stat(outputs[i], &st) == 0 && st.st_dev == input->st_dev &&
        st.st_ino == input->st_ino) {
      snprintf(err, errlen, "%s: is the input file; write the result to another file",
               outputs[i]);
      return -1;
    }
  }
  if (!sf_format_check(info)) {
    snprintf(err, errlen, "%s: libsndfile cannot write this file's format (0x%x)", s->output,
             info->format);
    return -1;
  }
  return 0;
}

/* The engine's noise profile as text (malloc'd), or NULL when out of memory. */
static char *profile_text(const struct engine *e) {
  size_t need = engine_profile_save(e, 0, NULL, 0) + 1;
  char *text = malloc(need);
  if (text) engine_profile_save(e, 0, text, need);
  return text;
}

/* Learns the noise from the first learn_s seconds with a throw-away engine and loads
 * the profile into e, so the whole file, its start included, is gated with it. Returns
 * 0, or 1 (no memory) or 2 (the input cannot be read) with a message. */
static int learn_first_seconds(struct engine *e, const struct hp_values *p, SNDFILE *in,
                               const SF_INFO *info, float learn_s, float *buf,
                               size_t buf_frames, const char *in_name, char *err,
                               size_t errlen) {
  struct engine *l = engine_create(p, info->samplerate, info->channels, 0, err, errlen);
  if (!l) return 1;
  sf_count_t want = (sf_count_t)(learn_s * info->samplerate);
  if (want > info->frames) want = info->frames;
  engine_learn(l, (float)want / info->samplerate);
  for (sf_count_t done = 0, n, got; done < want; done += n) {
    n = want - done < (sf_count_t)buf_frames ? want - done : (sf_count_t)buf_frames;
    got = read_frames(in, info, buf, n);
    if (interrupted) break; /* denoise() says so and stops */
    if (got < n || sf_error(in)) {
      read_failed(in, info, done + got, in_name, err, errlen);
      engine_destroy(l);
      return 2;
    }
    engine_process(l, buf, buf, (size_t)n);
  }
  /* the tracker needs the last hop collected: push the engine's latency of silence */
  memset(buf, 0, buf_frames * info->channels * sizeof(float));
  for (size_t left = engine_latency_frames(l) + engine_hop_size(l), n; left; left -= n) {
    n = left < buf_frames ? left : buf_frames;
    engine_process(l, buf, buf, n);
  }
  char *text = profile_text(l);
  int rc = 1;
  if (!text)
    snprintf(err, errlen, "out of memory");
  else if (engine_profile_load(e, text, err, errlen) == 0)
    rc = 0;
  free(text);
  engine_destroy(l);
  if (!rc && sf_seek(in, 0, SEEK_SET) < 0) {
    snprintf(err, errlen, "%s: cannot rewind the input after learning", in_name);
    rc = 2;
  }
  return rc;
}

/* Runs the whole input through the engine into out, hop by hop so that the mask of
 * every hop can go to the picture. The engine's first `latency` output frames are
 * dropped and as many frames of silence pushed at the end, so the output lines up with
 * the input and has its length. Returns 0, or 1 (write failed, interrupted) or 2 (the
 * input is cut short or damaged) with a message. */
static int denoise(struct engine *e, SNDFILE *in, const SF_INFO *info, SNDFILE *out,
                   struct picture *pic, int quiet, float *buf, size_t buf_frames,
                   const char *in_name, const char *out_name, char *err, size_t errlen) {
  const size_t ch = info->channels, hop = engine_hop_size(e);
  size_t skip = engine_latency_frames(e), flush = skip;
  sf_count_t written = 0, read = 0, eof = 0;
  long long pushed = 0; /* frames given to the engine */
  struct progress bar;
  int rc = 1;
  progress_start(&bar, (double)info->frames / info->samplerate, quiet);
  for (;;) {
    if (interrupted) {
      snprintf(err, errlen, "interrupted by %s; %s left as it was", signal_name(interrupted),
               out_name);
      goto done;
    }
    sf_count_t n = eof ? 0 : read_frames(in, info, buf, (sf_count_t)buf_frames);
    read += n;
    if (interrupted) continue; /* a signal cuts a read short: not the file's fault */
    if (!eof && (n < (sf_count_t)buf_frames || sf_error(in))) {
      eof = 1;
      if (read_failed(in, info, read, in_name, err, errlen)) {
        rc = 2;
        goto done;
      }
    }
    if (n > 0) {
      if (pic) picture_add_input(pic, buf, (size_t)n);
    } else {
      if (!flush) break;
      n = flush < buf_frames ? (sf_count_t)flush : (sf_count_t)buf_frames;
      memset(buf, 0, (size_t)n * ch * sizeof(float));
      flush -= (size_t)n;
    }
    /* slices end at hop boundaries: each one that completes a hop completes one */
    for (size_t at = 0, len; at < (size_t)n; at += len) {
      len = hop - (size_t)(pushed % (long long)hop);
      if (len > (size_t)n - at) len = (size_t)n - at;
      engine_process(e, buf + at * ch, buf + at * ch, len);
      pushed += (long long)len;
      if (pic && pushed % (long long)hop == 0)
        for (size_t c = 0; c < ch; c++)
          picture_add_mask(pic, pushed / (long long)hop - 1, engine_last_mask(e, (int)c));
    }
    size_t drop = skip < (size_t)n ? skip : (size_t)n;
    skip -= drop;
    sf_count_t keep = n - (sf_count_t)drop;
    if (written + keep > info->frames) keep = info->frames - written;
    if (keep > 0) {
      if (pic) picture_add_output(pic, buf + drop * ch, (size_t)keep);
      if (write_frames(out, info, buf + drop * ch, keep) != keep) {
        snprintf(err, errlen, "%s: write failed: %s", out_name, sf_strerror(out));
        goto done;
      }
    }
    written += keep;
    progress_update(&bar, (double)written / info->samplerate);
  }
  rc = 0;
done:
  progress_end(&bar);
  return rc;
}

int offline_process(struct engine *e, const struct hp_values *p, float learn_s, SNDFILE *in,
                    const SF_INFO *info, SNDFILE *out, struct picture *pic, int quiet,
                    const char *in_name, const char *out_name, char *err, size_t errlen) {
  size_t hop = (size_t)engine_hop_size(e), buf_frames = (CHUNK + hop - 1) / hop * hop;
  float *buf = malloc(buf_frames * info->channels * sizeof(float));
  if (!buf) {
    snprintf(err, errlen, "out of memory");
    return 1;
  }
  int rc = learn_s > 0 ? learn_first_seconds(e, p, in, info, learn_s, buf, buf_frames,
                                             in_name, err, errlen)
                       : 0;
  if (!rc)
    rc = denoise(e, in, info, out, pic, quiet, buf, buf_frames, in_name, out_name, err,
                 errlen);
  free(buf);
  return rc;
}

static int write_picture(struct pending *png, const struct picture *pic,
                         const struct settings *s, char *err, size_t errlen) {
  FILE *f = fdopen(png->fd, "wb");
  if (!f) {
    snprintf(err, errlen, "%s: %s", png->path, strerror(errno));
    return -1;
  }
  png->fd = -1;
  char msg[512];
  int bad = picture_write_png(pic, f, s->input, s->output, msg, sizeof msg);
  if (fclose(f) && !bad) {
    snprintf(msg, sizeof msg, "write failed: %s", strerror(errno));
    bad = -1;
  }
  if (bad) snprintf(err, errlen, "%s: %s", png->path, msg);
  return bad;
}

static int write_profile(struct pending *prof, const struct engine *e, char *err,
                         size_t errlen) {
  char *text = profile_text(e);
  if (!text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int bad = pending_write_text(prof, text, err, errlen);
  free(text);
  return bad;
}

int offline_run(const struct settings *s, char *err, size_t errlen) {
  SF_INFO info;
  struct stat in_st;
  SNDFILE *in = open_input(s->input, &info, &in_st, err, errlen), *out = NULL;
  if (!in) return 2;
  int rc = 2;
  struct engine *e = NULL;
  struct picture *pic = NULL;
  struct pending wav = {.fd = -1}, png = {.fd = -1}, prof = {.fd = -1};
  struct sigaction old[N_STOP_SIGNALS];
  int handlers = 0;
  char msg[512];

  /* Everything that can be wrong with the input or the settings is found here, before
   * any output file is created. */
  enum engine_plan plan;
  if (wisdom_load(s->wisdom, &plan, err, errlen)) goto done;
  if (!(e = engine_create(&s->params, info.samplerate, info.channels, plan, msg,
                          sizeof msg))) {
    snprintf(err, errlen, "%s (%d Hz, %d channel%s): %s", s->input, info.samplerate,
             info.channels, info.channels == 1 ? "" : "s", msg);
    goto done;
  }
  if (check_outputs(s, &in_st, &info, err, errlen)) goto done;
  if (s->profile && profile_load_file(e, s->profile, err, errlen)) goto done;

  rc = 1;
  if (s->spectrogram &&
      !(pic = picture_create(info.samplerate, info.channels, engine_fft_size(e),
                             engine_hop_size(e), info.frames, err, errlen)))
    goto done;

  /* From here on temporary files exist: a signal only asks the loop to stop, so that
   * they are removed. A folder that cannot be written is a bad argument too (2). */
  interrupted = 0;
  catch_stop_signals(old);
  handlers = 1;
  rc = 2;
  if (pending_open(&wav, s->output, err, errlen) ||
      (s->spectrogram && pending_open(&png, s->spectrogram, err, errlen)) ||
      (s->save_profile && pending_open(&prof, s->save_profile, err, errlen)))
    goto done;
  rc = 1;
  SF_INFO oinfo = info;
  if (!(out = sf_open_fd(wav.fd, SFM_WRITE, &oinfo, SF_TRUE))) {
    snprintf(err, errlen, "%s: cannot write this format: %s", s->output, sf_strerror(NULL));
    goto done;
  }
  wav.fd = -1; /* libsndfile closes it */
  sf_command(out, SFC_SET_CLIPPING, NULL, SF_TRUE);
  if (pcm_scale(info.format)) sf_command(out, SFC_SET_NORM_FLOAT, NULL, SF_FALSE);

  if ((rc = offline_process(e, &s->params, s->learn_s, in, &info, out, pic, s->quiet,
                           s->input, s->output, err, errlen)))
    goto done;
  rc = 1;
  sf_write_sync(out);
  int close_failed = sf_close(out);
  out = NULL;
  if (close_failed) {
    snprintf(err, errlen, "%s: could not finish writing", s->output);
    goto done;
  }
  if ((pic && write_picture(&png, pic, s, err, errlen)) ||
      (s->save_profile && write_profile(&prof, e, err, errlen)))
    goto done;
  if (pending_commit(&png, err, errlen) || pending_commit(&prof, err, errlen) ||
      pending_commit(&wav, err, errlen))
    goto done;
  if (s->wisdom && wisdom_save(s->wisdom, err, errlen)) goto done;
  rc = 0;
  /* never hidden, not even by --quiet: the output differs from what the file asked for */
  if (engine_bad_samples(e))
    fprintf(stderr, "hushd: %s: bad_samples %llu (NaN, infinite or beyond +-1000, taken as 0)\n",
            s->input, engine_bad_samples(e));
done:
  if (out) sf_close(out);
  pending_discard(&wav);
  pending_discard(&png);
  pending_discard(&prof);
  if (handlers) restore_stop_signals(old);
  picture_destroy(pic);
  engine_destroy(e);
  sf_close(in);
  return rc;
}
