/* log: hushd's messages, one line each on stderr.
 *
 * Under systemd (JOURNAL_STREAM names the stream stderr is) a line starts with its
 * sd-daemon priority ("<3>" for an error), so the journal files it at that level; else
 * it starts with "hushd: ". By default errors, warnings and notices are shown;
 * --quiet keeps only errors, --verbose adds info and debug lines.
 *
 * Any thread but the audio and DSP threads (a line is formatted on the stack and written
 * with one write(2), so lines from different threads do not mix). The real-time threads
 * count events in atomics that the main loop reports.
 */
#ifndef HUSHD_LOG_H
#define HUSHD_LOG_H

/* syslog's numbers, which sd-daemon's prefixes use */
enum log_level { LOG_LEVEL_ERR = 3, LOG_LEVEL_WARNING, LOG_LEVEL_NOTICE, LOG_LEVEL_INFO,
                 LOG_LEVEL_DEBUG };

/* Main thread, before other threads start. verbose/quiet: the command-line flags. */
void log_init(int verbose, int quiet);
int log_journal(void); /* 1 when lines carry journal priorities */

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
