/* configfile: read, print and save hushd's INI file (see configfile.h). */
#include "configfile.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "hushd-version.h"

/* One index for every key a file may hold: the SO_TABLE options, [dsp] preset, then
 * the DSP parameters. */
enum { K_PRESET = SO_COUNT, K_PARAM0, N_KEYS = K_PARAM0 + HP_COUNT };

static const char *const sections[] = {"audio", "dsp", "noise", "osc"};
#define N_SECTIONS ((int)(sizeof sections / sizeof sections[0]))

static const char *key_section(int k) { return k < SO_COUNT ? so_info(k)->section : "dsp"; }

static const char *key_name(int k) {
  if (k < SO_COUNT) return so_info(k)->key;
  return k == K_PRESET ? "preset" : hp_info(k - K_PARAM0)->name;
}

/* the key called name in section, or in any section when section is NULL; -1 if none */
static int key_find(const char *section, const char *name) {
  for (int k = 0; k < N_KEYS; k++)
    if ((!section || !strcmp(key_section(k), section)) && !strcmp(key_name(k), name))
      return k;
  return -1;
}

/* inih reads a ';' after a blank as the start of a comment, also right after the '=':
 * a value that starts with ';' (it can, as "key =;x" reads) follows the '=' unspaced. */
static void put_key(FILE *out, const char *name, const char *value) {
  fprintf(out, "%s =%s%s\n", name, *value && *value != ';' ? " " : "", value);
}

static void key_format(const struct settings *s, int k, char *buf, size_t len) {
  if (k < SO_COUNT)
    settings_format_option(s, k, buf, len);
  else if (k == K_PRESET)
    snprintf(buf, len, "%s", s->preset ? s->preset : "");
  else
    hp_format(k - K_PARAM0, s->params.v[k - K_PARAM0], buf, len);
}

int configfile_value(const struct settings *s, const char *section, const char *key,
                     char *buf, size_t buflen) {
  int k = key_find(section, key);
  if (k < 0) return -1;
  key_format(s, k, buf, buflen);
  return 0;
}

/* ---- did you mean ---- */

/* optimal string alignment distance: edits, counting a swap of neighbours as one */
static int edit_distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 63 || lb > 63) return 64;
  int d[64][64];
  for (int i = 0; i <= la; i++) d[i][0] = i;
  for (int j = 0; j <= lb; j++) d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      int cost = a[i - 1] != b[j - 1];
      int best = d[i - 1][j - 1] + cost;
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

/* The nearest of n candidates to word, or -1 when none is near: a few edits away (up
 * to a third of the word), or else one that begins with the word. */
static int nearest(const char *word, const char *const *cand, int n) {
  int best = -1, best_d = 1 << 30, prefix = -1;
  size_t wl = strlen(word);
  for (int i = 0; i < n; i++) {
    int d = edit_distance(word, cand[i]);
    if (d < best_d) best_d = d, best = i;
    if (prefix < 0 && wl >= 3 && !strncmp(cand[i], word, wl)) prefix = i;
  }
  int limit = wl / 3 > 2 ? (int)(wl / 3) : 2;
  return best >= 0 && best_d <= limit && best_d < (int)wl ? best : prefix;
}

/* ---- reading ---- */

struct configfile {
  char *path;
  char *owned[N_KEYS]; /* copies of the string values the settings point to */
};

struct parse {
  const char *path;
  const char *text; /* the whole file */
  size_t len, pos;  /* pos: start of the next line to hand to inih */
  int lineno;       /* lines handed to inih so far = inih's line number */
  int section_line; /* line of the latest [section] header */
  int key_line[N_KEYS]; /* where each key was set, 0 = not in the file */
  struct settings *s;
  struct configfile *f;
  struct hp_values params; /* [dsp] keys, applied on top of the preset at the end */
  int err_line;            /* first error found by the handler or the reader, 0 = none */
  char err[512];
};

#define MAX_LINE INI_MAX_LINE

static void fail(struct parse *p, int line, const char *fmt, ...) {
  if (p->err_line) return; /* the first error is the one reported */
  p->err_line = line;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err, sizeof p->err, fmt, ap);
  va_end(ap);
}

/* inih's reader: one line of the file per call (so its line numbers are ours), without
 * its leading blanks: an indented key is a key, not a continuation of the value above
 * (hushd has no multi-line values). */
static char *read_line(char *buf, int size, void *stream) {
  struct parse *p = stream;
  if (p->pos >= p->len) return NULL;
  const char *line = p->text + p->pos;
  const char *nl = memchr(line, '\n', p->len - p->pos);
  size_t n = nl ? (size_t)(nl - line) + 1 : p->len - p->pos;
  p->pos += n;
  p->lineno++;
  while (n && (*line == ' ' || *line == '\t')) line++, n--;
  if (n > (size_t)size - 2) {
    fail(p, p->lineno, "line longer than %d characters", size - 2);
    n = (size_t)size - 2;
    memcpy(buf, line, n);
    buf[n++] = '\n';
  } else {
    memcpy(buf, line, n);
  }
  buf[n] = 0;
  if (*buf == '[') p->section_line = p->lineno;
  return buf;
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
  struct parse *p = user;
  if (p->err_line) return 1;
  int line = p->lineno, known = 0;
  for (int i = 0; i < N_SECTIONS; i++) known |= !strcmp(section, sections[i]);
  if (!known) {
    char hint[128];
    int k = key_find(NULL, name);
    if (!*section) {
      if (k >= 0) snprintf(hint, sizeof hint, " (it belongs in [%s])", key_section(k));
      else *hint = 0;
      fail(p, line, "key '%s' before any [section]%s", name, hint);
    } else {
      int i = nearest(section, sections, N_SECTIONS);
      if (i >= 0) snprintf(hint, sizeof hint, " (did you mean [%s]?)", sections[i]);
      else snprintf(hint, sizeof hint, " (known: [audio] [dsp] [noise] [osc])");
      fail(p, p->section_line, "unknown section [%s]%s", section, hint);
    }
    return 0;
  }
  int k = key_find(section, name);
  if (k < 0) {
    char hint[128];
    int other = key_find(NULL, name);
    const char *cand[N_KEYS];
    int n = 0;
    for (int c = 0; c < N_KEYS; c++)
      if (!strcmp(key_section(c), section)) cand[n++] = key_name(c);
    int near = nearest(name, cand, n);
    if (other >= 0)
      snprintf(hint, sizeof hint, " (it belongs in [%s])", key_section(other));
    else if (near >= 0)
      snprintf(hint, sizeof hint, " (did you mean '%s'?)", cand[near]);
    else
      *hint = 0;
    fail(p, line, "unknown key '%s' in [%s]%s", name, section, hint);
    return 0;
  }
  if (p->key_line[k]) {
    fail(p, line, "duplicate key '%s' (first set on line %d)", name, p->key_line[k]);
    return 0;
  }
  p->key_line[k] = line;
  char msg[256];
  int bad;
  if (k >= K_PARAM0) {
    bad = hp_parse(k - K_PARAM0, value, &p->params.v[k - K_PARAM0], msg, sizeof msg);
  } else if (k < SO_COUNT && so_info(k)->type != SO_STRING) {
    bad = settings_set_option(p->s, k, value, name, msg, sizeof msg);
  } else {
    /* a string: the settings keep a pointer to the file's own copy */
    char *copy = p->f->owned[k] = strdup(value);
    if (!copy) {
      fail(p, line, "out of memory");
      return 0;
    }
    if (k == K_PRESET) {
      struct hp_values scratch;
      hp_defaults(&scratch);
      bad = *copy && hp_preset_apply(&scratch, copy, msg, sizeof msg);
      p->s->preset = *copy ? copy : NULL;
    } else {
      bad = settings_set_option(p->s, k, copy, name, msg, sizeof msg);
    }
  }
  if (bad) {
    fail(p, line, "%s", msg);
    return 0;
  }
  return 1;
}

/* the text of line n (1-based) of the file, without its end of line */
static void nth_line(const char *text, size_t len, int n, const char **line, size_t *linelen) {
  const char *t = text, *end = text + len;
  for (int i = 1; i < n && t < end; i++) {
    const char *nl = memchr(t, '\n', (size_t)(end - t));
    t = nl ? nl + 1 : end;
  }
  const char *nl = memchr(t, '\n', (size_t)(end - t));
  *line = t;
  *linelen = (size_t)((nl ? nl : end) - t);
  while (*linelen && (t[*linelen - 1] == '\r')) --*linelen;
}

/* Parses text onto s and f; key_line gets where each key is. 0, or -1 with a message */
static int parse_text(const char *path, const char *text, size_t len, struct settings *s,
                      struct configfile *f, int *key_line, char *err, size_t errlen) {
  struct parse *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  p->path = path;
  p->text = text;
  p->len = len;
  p->s = s;
  p->f = f;
  p->params = s->params;
  int r = ini_parse_stream(read_line, p, on_key, p);
  int rc = 0;
  if (p->err_line && (r <= 0 || p->err_line <= r)) {
    snprintf(err, errlen, "%s:%d: %s", path, p->err_line, p->err);
    rc = -1;
  } else if (r > 0) {
    const char *line;
    size_t n;
    nth_line(text, len, r, &line, &n);
    while (n && (*line == ' ' || *line == '\t')) line++, n--;
    if (*line == '[')
      snprintf(err, errlen, "%s:%d: syntax error: section header without ']'", path, r);
    else
      snprintf(err, errlen,
               "%s:%d: syntax error: expected 'key = value', '[section]' or a comment, "
               "got '%.*s'",
               path, r, (int)(n > 40 ? 40 : n), line);
    rc = -1;
  } else if (r < 0) {
    snprintf(err, errlen, "%s: out of memory", path);
    rc = -1;
  }
  if (!rc) {
    char msg[256];
    if (s->preset && hp_preset_apply(&s->params, s->preset, msg, sizeof msg)) {
      snprintf(err, errlen, "%s:%d: %s", path, p->key_line[K_PRESET], msg);
      rc = -1;
    }
    for (int i = 0; i < HP_COUNT; i++)
      if (p->key_line[K_PARAM0 + i]) s->params.v[i] = p->params.v[i];
  }
  if (key_line) memcpy(key_line, p->key_line, sizeof p->key_line);
  free(p);
  return rc;
}

/* The whole file in a NUL-terminated buffer (caller frees), or NULL with errno set. */
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
      if (!buf) break;
    }
    ssize_t got = read(fd, buf + n, cap - n - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      free(buf);
      buf = NULL;
      errno = e;
      break;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  int e = errno;
  close(fd);
  errno = e;
  if (buf) buf[n] = 0, *len = n;
  return buf;
}

struct configfile *configfile_parse(const char *path, const char *text, size_t len,
                                    struct settings *s, char *err, size_t errlen) {
  struct configfile *f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path)))
    snprintf(err, errlen, "%s: out of memory", path);
  else if (parse_text(path, text, len, s, f, NULL, err, errlen) == 0)
    return f;
  configfile_destroy(f);
  return NULL;
}

struct configfile *configfile_read(const char *path, struct settings *s, char *err,
                                   size_t errlen) {
  size_t len = 0;
  char *text = slurp(path, &len);
  if (!text) {
    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    return NULL;
  }
  struct configfile *f = configfile_parse(path, text, len, s, err, errlen);
  free(text);
  return f;
}

void configfile_destroy(struct configfile *f) {
  if (!f) return;
  for (int k = 0; k < N_KEYS; k++) free(f->owned[k]);
  free(f->path);
  free(f);
}

const char *configfile_path(const struct configfile *f) { return f->path; }

int configfile_user_path(char *path, size_t pathlen) {
  const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
  int n;
  if (xdg && *xdg == '/')
    n = snprintf(path, pathlen, "%s/hushd/hushd.conf", xdg);
  else if (home && *home)
    n = snprintf(path, pathlen, "%s/.config/hushd/hushd.conf", home);
  else
    return -1;
  return n > 0 && (size_t)n < pathlen ? 0 : -1;
}

int configfile_locate(const char *cli_path, char *path, size_t pathlen) {
  if (cli_path) {
    snprintf(path, pathlen, "%s", cli_path);
    return 1;
  }
  if (configfile_user_path(path, pathlen) == 0 && access(path, F_OK) == 0) return 1;
  snprintf(path, pathlen, "%s/hushd/hushd.conf", HUSHD_SYSCONFDIR);
  return access(path, F_OK) == 0;
}

int configfile_build(struct settings *s, struct configfile **file, int argc, char **argv,
                     FILE *out, char *err, size_t errlen) {
  *file = NULL;
  settings_defaults(s);
  int r = settings_parse_args(s, argc, argv, out, err, errlen);
  char path[PATH_MAX];
  if (r || !configfile_locate(s->config_file, path, sizeof path)) return r;
  /* Read the file onto the defaults, then the command line again on top of it: its
   * preset and --set apply after the file's, as if they came last. */
  settings_defaults(s);
  if (!(*file = configfile_read(path, s, err, errlen))) return -1;
  return settings_parse_args(s, argc, argv, out, err, errlen);
}

/* ---- printing ---- */

static const char *const section_notes[] = {
    "Devices and stream format. A reload that changes them restarts the audio stream.",
    "The denoiser. `preset` applies first, the keys below on top of it. Keys marked\n"
    "# \"live\" change without a break in the audio; the others restart the stream.",
    "The noise model at start-up.",
    "OSC control (see hushctl). Changes take effect when hushd starts.",
};

static void print_key(FILE *out, const struct settings *s, const struct settings *def, int k) {
  char value[256], defval[256], range[128];
  key_format(s, k, value, sizeof value);
  key_format(def, k, defval, sizeof defval);
  const char *help, *unit, *when = "";
  char kind; /* 's' text, 'b' boolean, 'n' number */
  double lo, hi;
  if (k == K_PRESET) {
    int n = snprintf(range, sizeof range, "one of");
    for (int i = 0; i < hp_preset_count() && n > 0 && (size_t)n < sizeof range; i++)
      n += snprintf(range + n, sizeof range - (size_t)n, " %s", hp_preset_name(i));
    fprintf(out, "# start from a preset (empty = none: the built-in defaults)\n"
                 "# %s; default: empty\n", range);
    put_key(out, key_name(k), value);
    return;
  }
  if (k < SO_COUNT) {
    const struct so_info *o = so_info(k);
    help = o->help, unit = o->unit, lo = o->min, hi = o->max;
    kind = o->type == SO_STRING ? 's' : o->type == SO_BOOL ? 'b' : 'n';
  } else {
    const struct hp_info *h = hp_info(k - K_PARAM0);
    help = h->help, unit = h->unit, lo = h->min, hi = h->max;
    kind = h->type == HP_BOOL ? 'b' : 'n';
    when = h->live ? ", live" : ", restarts the stream";
  }
  if (kind == 's')
    snprintf(range, sizeof range, "text");
  else if (kind == 'b')
    snprintf(range, sizeof range, "0 or 1");
  else
    snprintf(range, sizeof range, "%g..%g%s%s", lo, hi, *unit ? " " : "", unit);
  fprintf(out, "# %s\n# %s; default: %s%s\n", help, range, *defval ? defval : "empty", when);
  put_key(out, key_name(k), value);
}

void configfile_print(FILE *out, const struct settings *s) {
  struct settings def;
  settings_defaults(&def);
  fprintf(out,
          "# hushd configuration (hushd --print-config writes this file).\n"
          "#\n"
          "# hushd reads --config FILE, else $XDG_CONFIG_HOME/hushd/hushd.conf\n"
          "# (~/.config/hushd/hushd.conf), else hushd/hushd.conf in the system's\n"
          "# configuration folder (/etc for an install to /usr; see hushd --help).\n"
          "# Command-line options override this file; it overrides the defaults.\n"
          "# Comments start with # or ;. Apply changes to a running hushd with\n"
          "# `systemctl --user reload hushd` (SIGHUP).\n");
  for (int i = 0; i < N_SECTIONS; i++) {
    fprintf(out, "\n[%s]\n# %s\n", sections[i], section_notes[i]);
    for (int k = 0; k < N_KEYS; k++)
      if (!strcmp(key_section(k), sections[i])) {
        fputc('\n', out);
        print_key(out, s, &def, k);
      }
  }
}

/* ---- saving ---- */

/* Writes a key line with a new value, keeping the key, spacing and inline comment. */
static void put_rewritten(FILE *out, const char *line, size_t n, const char *value) {
  const char *end = line + n, *sep = line;
  while (sep < end && *sep != '=' && *sep != ':') sep++;
  const char *after = sep < end ? sep + 1 : end, *v = after;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  /* the value ends at an inline comment (';' after a blank, as inih reads it, the blanks
   * right after the '=' included) */
  const char *c = v;
  while (c < end && !(*c == ';' && c > after && (c[-1] == ' ' || c[-1] == '\t'))) c++;
  const char *vend = c;
  while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t' || vend[-1] == '\r' ||
                      vend[-1] == '\n'))
    vend--;
  fwrite(line, 1, (size_t)((*value == ';' ? after : v) - line), out);
  fputs(value, out);
  fwrite(vend, 1, (size_t)(end - vend), out);
}

/* Writes section sec's keys that changed but are not in the file. */
static void put_added(FILE *out, int sec, const int *changed, const int *key_line,
                      char (*values)[256]) {
  for (int k = 0; k < N_KEYS; k++)
    if (changed[k] && !key_line[k] && !strcmp(key_section(k), sections[sec]))
      put_key(out, key_name(k), values[k]);
}

static int section_index(const char *line, size_t n) {
  while (n && (*line == ' ' || *line == '\t')) line++, n--;
  if (!n || *line != '[') return -2; /* not a header */
  for (int i = 0; i < N_SECTIONS; i++) {
    size_t l = strlen(sections[i]);
    if (n > l + 1 && !strncmp(line + 1, sections[i], l) && line[l + 1] == ']') return i;
  }
  return -1; /* a header, but not ours */
}

/* blank, or a whole-line comment */
static int is_filler(const char *line, size_t n) {
  while (n && (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')) line++, n--;
  return !n || *line == '#' || *line == ';';
}

/* The file's text with s's values: changed keys rewritten in place, missing ones added
 * after the last key of their section (before the blank and comment lines that lead to
 * the next section), missing sections appended. */
static void merge(FILE *out, const char *text, size_t len, const struct settings *s,
                  const struct settings *now, const int *key_line) {
  char values[N_KEYS][256];
  int changed[N_KEYS], done[N_SECTIONS] = {0};
  for (int k = 0; k < N_KEYS; k++) {
    char old[256];
    key_format(s, k, values[k], sizeof values[k]);
    key_format(now, k, old, sizeof old);
    /* the preset line stays: the keys it would change are written out instead */
    changed[k] = k != K_PRESET && strcmp(values[k], old);
  }
  int cur = -1, lineno = 0;
  const char *pending = NULL; /* filler lines not yet written */
  const char *t = text, *end = text + len;
  while (t < end) {
    const char *nl = memchr(t, '\n', (size_t)(end - t));
    size_t n = nl ? (size_t)(nl - t) + 1 : (size_t)(end - t);
    lineno++;
    if (is_filler(t, n)) {
      if (!pending) pending = t;
      t += n;
      continue;
    }
    int sec = section_index(t, n);
    if (sec != -2 && cur >= 0 && !done[cur]) {
      put_added(out, cur, changed, key_line, values);
      done[cur] = 1;
    }
    if (pending) fwrite(pending, 1, (size_t)(t - pending), out);
    pending = NULL;
    if (sec != -2) cur = sec;
    int k = 0;
    while (k < N_KEYS && !(key_line[k] == lineno && changed[k])) k++;
    if (k < N_KEYS)
      put_rewritten(out, t, n, values[k]);
    else
      fwrite(t, 1, n, out);
    t += n;
    if (t == end && t[-1] != '\n') fputc('\n', out);
  }
  if (cur >= 0 && !done[cur]) {
    put_added(out, cur, changed, key_line, values);
    done[cur] = 1;
  }
  if (pending) {
    fwrite(pending, 1, (size_t)(end - pending), out);
    if (end[-1] != '\n') fputc('\n', out);
  }
  for (int i = 0; i < N_SECTIONS; i++) {
    int any = 0;
    for (int k = 0; k < N_KEYS; k++)
      any |= changed[k] && !key_line[k] && !strcmp(key_section(k), sections[i]);
    if (!done[i] && any) {
      fprintf(out, "%s[%s]\n", len ? "\n" : "", sections[i]);
      put_added(out, i, changed, key_line, values);
    }
  }
}

/* Copies into w the options that the command line set, from `from` (the file's or the
 * default values): they are not the file's business. */
static void keep_cli_options(struct settings *w, const struct settings *from) {
  for (int k = 0; k < SO_COUNT; k++) {
    if (!w->option_set[k]) continue;
    const struct so_info *o = so_info(k);
    size_t size = o->type == SO_STRING ? sizeof(char *)
                  : o->type == SO_FLOAT ? sizeof(float)
                                        : sizeof(int);
    memcpy((char *)w + o->offset, (const char *)from + o->offset, size);
  }
}

int configfile_save(const char *path, const struct settings *s, char *err, size_t errlen) {
  size_t len = 0;
  char *text = slurp(path, &len);
  if (!text && errno != ENOENT) {
    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    return -1;
  }
  char *data = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&data, &size);
  if (!out) {
    free(text);
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  int rc = 0;
  struct settings w = *s;
  if (!text) {
    struct settings def;
    settings_defaults(&def);
    keep_cli_options(&w, &def);
    configfile_print(out, &w);
  } else {
    /* compare with what the file gives now, so that only real changes are written */
    struct settings now;
    struct configfile *f = calloc(1, sizeof *f);
    int key_line[N_KEYS];
    settings_defaults(&now);
    if (!f) {
      snprintf(err, errlen, "%s: out of memory", path);
      rc = -1;
    } else if (parse_text(path, text, len, &now, f, key_line, err, errlen)) {
      size_t n = strlen(err);
      snprintf(err + n, errlen - n, " (not saved)");
      rc = -1;
    } else {
      keep_cli_options(&w, &now);
      merge(out, text, len, &w, &now, key_line);
    }
    configfile_destroy(f);
  }
  if (fclose(out) && !rc) {
    snprintf(err, errlen, "%s: out of memory", path);
    rc = -1;
  }
  if (!rc && !text && atomic_make_parent(path)) {
    snprintf(err, errlen, "%s: cannot create its folder: %s", path, strerror(errno));
    rc = -1;
  }
  if (!rc) rc = atomic_write(path, data, size, err, errlen);
  free(data);
  free(text);
  return rc;
}
