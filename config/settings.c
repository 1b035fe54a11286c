/* settings: defaults and command-line parsing on top of the parameter table. */
#include "settings.h"

#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hushd-version.h"

void settings_defaults(struct settings *s) {
  memset(s, 0, sizeof *s);
  hp_defaults(&s->params);
  s->rate_hz = 48000;
  s->frames = 256;
  s->channels = 1;
  s->osc_bind = "127.0.0.1";
  s->osc_port = 9040;
  s->osc_enabled = 1;
}

static const struct so_info options[SO_COUNT] = {
#define SO_INFO(section, key, type, field, min, max, unit, help) \
  {#section, #key, type, offsetof(struct settings, field), min, max, unit, help},
    SO_TABLE(SO_INFO)
#undef SO_INFO
};

const struct so_info *so_info(int id) {
  return id >= 0 && id < SO_COUNT ? &options[id] : NULL;
}

int so_find(const char *section, const char *key) {
  for (int i = 0; i < SO_COUNT; i++)
    if (!strcmp(options[i].section, section) && !strcmp(options[i].key, key)) return i;
  return -1;
}

int settings_set_option(struct settings *s, int id, const char *text, const char *label,
                        char *err, size_t errlen) {
  const struct so_info *o = so_info(id);
  char *field = (char *)s + o->offset;
  if (o->type == SO_STRING) {
    if (!*text && o->min > 0) {
      snprintf(err, errlen, "%s: must not be empty", label);
      return -1;
    }
    *(const char **)(void *)field = *text ? text : NULL;
    return 0;
  }
  double v;
  char *end = "";
  if (!(o->type == SO_BOOL && hp_bool_word(text, &v))) v = strtod(text, &end);
  if (end == text || *end || !(v >= o->min && v <= o->max) ||
      (o->type != SO_FLOAT && v != floor(v))) {
    if (o->type == SO_BOOL)
      snprintf(err, errlen, "%s: '%s' is not 0 or 1 (or on/off, true/false, yes/no)", label,
               text);
    else
      snprintf(err, errlen, "%s: '%s' is not %s in [%g, %g]%s%s", label, text,
               o->type == SO_FLOAT ? "a number" : "a whole number", o->min, o->max,
               *o->unit ? " " : "", o->unit);
    return -1;
  }
  if (o->type == SO_FLOAT)
    *(float *)(void *)field = (float)v;
  else
    *(int *)(void *)field = (int)v;
  return 0;
}

void settings_format_option(const struct settings *s, int id, char *buf, size_t buflen) {
  const struct so_info *o = so_info(id);
  const char *field = (const char *)s + o->offset;
  if (o->type == SO_STRING) {
    const char *v = *(const char *const *)(const void *)field;
    snprintf(buf, buflen, "%s", v ? v : "");
  } else if (o->type == SO_FLOAT) {
    snprintf(buf, buflen, "%g", *(const float *)(const void *)field);
  } else {
    snprintf(buf, buflen, "%d", *(const int *)(const void *)field);
  }
}

int settings_assign(struct settings *s, const char *assignment, char *err, size_t errlen) {
  const char *eq = strchr(assignment, '=');
  char name[64];
  size_t len = eq ? (size_t)(eq - assignment) : strlen(assignment);
  if (!eq || len == 0 || len >= sizeof name) {
    snprintf(err, errlen, "--set expects NAME=VALUE, got '%s'", assignment);
    return -1;
  }
  memcpy(name, assignment, len);
  name[len] = 0;
  int id = hp_find(name);
  if (id < 0) {
    snprintf(err, errlen, "unknown parameter '%s' (hushd --help lists them)", name);
    return -1;
  }
  if (hp_parse(id, eq + 1, &s->params.v[id], err, errlen)) return -1;
  s->param_set[id] = 1;
  return 0;
}

enum {
  OPT_LEARN = 256, OPT_PROFILE, OPT_SAVE_PROFILE, OPT_SPECTROGRAM, OPT_WISDOM,
  OPT_IN_DEV, OPT_OUT_DEV, OPT_RATE, OPT_FRAMES, OPT_CHANNELS, OPT_LIST,
  OPT_OSC_BIND, OPT_OSC_PORT, OPT_OSC_ALLOW, OPT_NO_OSC, OPT_CONFIG, OPT_PRINT_CONFIG, OPT_DEMO
};

static const struct option long_opts[] = {
    {"input", required_argument, 0, 'i'},
    {"output", required_argument, 0, 'o'},
    {"set", required_argument, 0, 's'},
    {"preset", required_argument, 0, 'p'},
    {"learn", required_argument, 0, OPT_LEARN},
    {"profile", required_argument, 0, OPT_PROFILE},
    {"save-profile", required_argument, 0, OPT_SAVE_PROFILE},
    {"spectrogram", required_argument, 0, OPT_SPECTROGRAM},
    {"wisdom", required_argument, 0, OPT_WISDOM},
    {"demo", required_argument, 0, OPT_DEMO},
    {"input-device", required_argument, 0, OPT_IN_DEV},
    {"output-device", required_argument, 0, OPT_OUT_DEV},
    {"rate", required_argument, 0, OPT_RATE},
    {"frames", required_argument, 0, OPT_FRAMES},
    {"channels", required_argument, 0, OPT_CHANNELS},
    {"list-devices", no_argument, 0, OPT_LIST},
    {"osc-bind", required_argument, 0, OPT_OSC_BIND},
    {"osc-port", required_argument, 0, OPT_OSC_PORT},
    {"osc-allow", required_argument, 0, OPT_OSC_ALLOW},
    {"no-osc", no_argument, 0, OPT_NO_OSC},
    {"config", required_argument, 0, OPT_CONFIG},
    {"print-config", no_argument, 0, OPT_PRINT_CONFIG},
    {"verbose", no_argument, 0, 'v'},
    {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},
    {"version", no_argument, 0, 'V'},
    {0, 0, 0, 0}};

/* the SO_TABLE row that a long option sets */
static int option_id(int opt) {
  switch (opt) {
    case OPT_LEARN: return SO_noise_learn_s;
    case OPT_PROFILE: return SO_noise_profile;
    case OPT_IN_DEV: return SO_audio_input_device;
    case OPT_OUT_DEV: return SO_audio_output_device;
    case OPT_RATE: return SO_audio_rate;
    case OPT_FRAMES: return SO_audio_frames;
    case OPT_CHANNELS: return SO_audio_channels;
    case OPT_OSC_BIND: return SO_osc_bind;
    case OPT_OSC_ALLOW: return SO_osc_allow;
    default: return SO_osc_port;
  }
}

int settings_parse_args(struct settings *s, int argc, char **argv, FILE *out, char *err,
                        size_t errlen) {
  /* A preset is applied first and --set on top, whatever their order on the line. */
  const char *sets[256];
  int nsets = 0;
  optind = 0; /* glibc: a full reset, so that the arguments can be parsed again */
  opterr = 0;
  int c, li;
  while ((c = getopt_long(argc, argv, ":i:o:s:p:vqhV", long_opts, &li)) != -1) {
    switch (c) {
      case 'i': s->input = optarg; break;
      case 'o': s->output = optarg; break;
      case 's':
        if (nsets == (int)(sizeof sets / sizeof sets[0])) {
          snprintf(err, errlen, "too many --set options");
          return -1;
        }
        sets[nsets++] = optarg;
        break;
      case 'p': s->preset = optarg; break;
      case OPT_SAVE_PROFILE: s->save_profile = optarg; break;
      case OPT_SPECTROGRAM: s->spectrogram = optarg; break;
      case OPT_WISDOM: s->wisdom = optarg; break;
      case OPT_DEMO: s->demo_dir = optarg; break;
      case OPT_LEARN:
      case OPT_PROFILE:
      case OPT_IN_DEV:
      case OPT_OUT_DEV:
      case OPT_RATE:
      case OPT_FRAMES:
      case OPT_CHANNELS:
      case OPT_OSC_BIND:
      case OPT_OSC_ALLOW:
      case OPT_OSC_PORT: {
        char label[32];
        snprintf(label, sizeof label, "--%s", long_opts[li].name);
        if (settings_set_option(s, option_id(c), optarg, label, err, errlen)) return -1;
        s->option_set[option_id(c)] = 1;
        break;
      }
      case OPT_LIST: s->list_devices = 1; break;
      case OPT_NO_OSC: s->osc_enabled = 0, s->option_set[SO_osc_enabled] = 1; break;
      case OPT_CONFIG: s->config_file = optarg; break;
      case OPT_PRINT_CONFIG: s->print_config = 1; break;
      case 'v': s->verbose = 1; break;
      case 'q': s->quiet = 1; break;
      case 'h': settings_print_help(out, argv[0]); return 1;
      case 'V': fprintf(out, "hushd %s\n", HUSHD_VERSION); return 1;
      case ':':
        snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
        return -1;
      default:
        snprintf(err, errlen, "unknown option '%s' (hushd --help lists them)",
                 argv[optind - 1]);
        return -1;
    }
  }
  if (optind < argc) {
    snprintf(err, errlen, "unexpected argument '%s' (hushd --help lists the options)",
             argv[optind]);
    return -1;
  }
  if (s->preset && hp_preset_apply(&s->params, s->preset, err, errlen)) return -1;
  for (int i = 0; i < nsets; i++)
    if (settings_assign(s, sets[i], err, errlen)) return -1;
  if (s->output && !s->input) {
    snprintf(err, errlen, "--output needs --input (offline mode)");
    return -1;
  }
  if (s->input && !s->output) {
    snprintf(err, errlen, "--input needs --output FILE");
    return -1;
  }
  return 0;
}

void settings_print_help(FILE *out, const char *prog) {
  fprintf(out,
          "Usage: %s [OPTION]...                      denoise the microphone live\n"
          "       %s --input IN --output OUT [OPTION]...  denoise a file\n"
          "\n"
          "hushd %s: real-time spectral-gate noise suppression.\n"
          "\n"
          "Files (offline mode):\n"
          "  -i, --input FILE         audio file to denoise (any format libsndfile reads)\n"
          "  -o, --output FILE        where to write the result (same rate, channels, format)\n"
          "      --spectrogram PNG    also draw input, mask and output spectrograms\n"
          "      --learn SECONDS      learn the noise from the first SECONDS of the input\n"
          "      --profile FILE       use a saved noise profile\n"
          "      --save-profile FILE  save the noise profile at the end\n"
          "      --wisdom FILE        FFTW wisdom file (plans with FFTW_MEASURE, saved back)\n"
          "      --demo DIR           make a noisy speech sample in DIR and denoise it\n"
          "\n"
          "Live mode:\n"
          "      --list-devices       list audio devices and exit\n"
          "      --input-device DEV   capture device: index or part of its name\n"
          "      --output-device DEV  playback device: index or part of its name\n"
          "      --rate HZ            sample rate (default 48000)\n"
          "      --frames N           frames per audio callback (default 256)\n"
          "      --channels N         channels (default 1)\n"
          "      --osc-bind ADDR      OSC address to listen on (default 127.0.0.1)\n"
          "      --osc-port PORT      OSC UDP port (default 9040)\n"
          "      --osc-allow NETS     senders OSC obeys: CIDR[,CIDR...], e.g. 192.168.1.0/24\n"
          "                           (default 127.0.0.0/8,::1: this machine only)\n"
          "      --no-osc             no OSC server\n"
          "\n"
          "Settings:\n"
          "  -s, --set NAME=VALUE     set a parameter (below); may be repeated\n"
          "  -p, --preset NAME        start from a preset (below); --set applies on top\n"
          "      --config FILE        read settings from FILE (default: the first that exists\n"
          "                           of $XDG_CONFIG_HOME/hushd/hushd.conf, that is\n"
          "                           ~/.config/hushd/hushd.conf, and %s/hushd/hushd.conf)\n"
          "      --print-config       print the effective settings as a config file\n"
          "  -v, --verbose            more messages\n"
          "  -q, --quiet              only errors\n"
          "  -h, --help               this help\n"
          "  -V, --version            version\n"
          "\n"
          "Parameters (--set NAME=VALUE; live = may change while running):\n",
          prog, prog, HUSHD_VERSION, HUSHD_SYSCONFDIR);
  for (int i = 0; i < HP_COUNT; i++) {
    const struct hp_info *p = hp_info(i);
    char def[32], range[64];
    hp_format(i, (float)p->def, def, sizeof def);
    if (p->type == HP_BOOL)
      snprintf(range, sizeof range, "0|1");
    else
      snprintf(range, sizeof range, "%g..%g%s%s", p->min, p->max, *p->unit ? " " : "", p->unit);
    fprintf(out, "  %-19s %-18s default %-6s %s\n", p->name, range, def,
            p->live ? "live" : "restart");
    fprintf(out, "      %s\n", p->help);
  }
  fprintf(out, "\nPresets (--preset NAME):\n");
  for (int i = 0; i < hp_preset_count(); i++)
    fprintf(out, "  %-12s %s\n", hp_preset_name(i), hp_preset_help(i));
  fprintf(out, "\nExit status: 0 success, 1 runtime failure, 2 bad input or usage.\n");
}
