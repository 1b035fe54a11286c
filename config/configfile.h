/* configfile: hushd's INI config file, read with libinih.
 *
 * Sections [audio], [noise] and [osc] hold the options of SO_TABLE (settings.h); [dsp]
 * holds `preset` and every parameter of the table in dsp/params.h, with the same names
 * and checks as --set and OSC. Within [dsp] the preset is applied first and the other
 * keys on top, whatever their order. Layers, lowest first: built-in defaults, the file,
 * the command line.
 *
 * Errors are one line, "FILE:LINE: message": unknown section or key (with a
 * did-you-mean), bad value (with the allowed range), duplicate key, syntax error.
 *
 * Main thread only: everything here reads or writes files.
 */
#ifndef HUSHD_CONFIGFILE_H
#define HUSHD_CONFIGFILE_H

#include <stddef.h>
#include <stdio.h>

#include "settings.h"

/* A file that was read: its path, and the copies of its string values that a struct
 * settings points to. Destroy it only once those settings are no longer used. */
struct configfile;

/* The file to read: cli_path when given (--config), else
 * $XDG_CONFIG_HOME/hushd/hushd.conf (~/.config/hushd/hushd.conf when unset) if it
 * exists, else SYSCONFDIR/hushd/hushd.conf if it exists. Returns 1 with the path, or 0
 * when there is no file to read. */
int configfile_locate(const char *cli_path, char *path, size_t pathlen);

/* The user's own file, $XDG_CONFIG_HOME/hushd/hushd.conf or ~/.config/hushd/hushd.conf,
 * where a save goes when hushd runs without a file. Returns 0, or -1 when neither
 * XDG_CONFIG_HOME nor HOME is set. */
int configfile_user_path(char *path, size_t pathlen);

/* Reads path and applies its keys to s (on top of what s holds). Returns the file, or
 * NULL with "FILE:LINE: message" (or "FILE: message") in err; s may then be half
 * updated, so read into a scratch copy when the old settings must survive. */
struct configfile *configfile_read(const char *path, struct settings *s, char *err,
                                   size_t errlen);
/* configfile_read on text already in memory (len bytes, no NUL needed); path only
 * names the file in messages. */
struct configfile *configfile_parse(const char *path, const char *text, size_t len,
                                    struct settings *s, char *err, size_t errlen);
void configfile_destroy(struct configfile *f);
const char *configfile_path(const struct configfile *f);

/* The effective settings of a run: defaults, then the located file, then argv on top.
 * *file is the file read (NULL when none). Returns 0, 1 when --help or --version was
 * printed to out, or -1 with a message in err (exit status 2). */
int configfile_build(struct settings *s, struct configfile **file, int argc, char **argv,
                     FILE *out, char *err, size_t errlen);

/* Prints s as a complete config file, each key with its help, unit, range and default
 * as comments. Reading the output back gives the same settings. */
void configfile_print(FILE *out, const struct settings *s);

/* The value of key in section as a file holds it ("1.5", "48000", "" for an empty
 * string). Returns 0, or -1 when there is no such key. */
int configfile_value(const struct settings *s, const char *section, const char *key,
                     char *buf, size_t buflen);

/* Writes s into the config file at path, atomically (a temporary file in the same
 * folder, fsync, rename, fsync of the folder): only the values that differ from what
 * the file gives now are rewritten, keys the file lacks are added to their section,
 * and every other line (comments included) is kept. A missing file is created with the
 * full --print-config text. Options the command line set (s->option_set: devices, rate,
 * OSC port...) keep the file's value: they come from the command line. Returns 0, or -1
 * with a message; on failure the old file is untouched. */
int configfile_save(const char *path, const struct settings *s, char *err, size_t errlen);

#endif
