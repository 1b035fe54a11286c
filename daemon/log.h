/* log: hushd's messages, one line each on stderr.
 *
 * Under systemd (JOURNAL_STREAM names the stream stderr is) a line starts with its
 * sd-daemon priority ("<3>" for an error), so the journal files it at that level; else
 * it starts with "hushd: ". By default errors, warnings and notices are shown;
 * --quiet keeps only errors, --verbose adds info and debug lines.
 *
 * log_msg: any thread but the audio and DSP threads (a line is formatted on the stack and
 * written with one write(2), so lines from different threads do not mix). The real-time
 * threads count events in atomics that the main loop reports.
 *
 * log_rt: any thread, the audio threads included (libjack's and ALSA's message callbacks
 * run there): the text is copied, cut at LOG_RT_TEXT bytes, into a preallocated ring of
 * fixed-size records (lock-free, many writers); no formatting, lock, allocation or system
 * call. When the ring is full the message is counted as dropped and the call returns.
 * log_flush writes the queued lines, in order, and says how many were dropped; log_msg
 * flushes first, so queued lines keep their place among the others. The live loop calls
 * log_flush every tick (non-RT threads only: it takes a lock and writes).
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

#define LOG_RT_TEXT 240    /* bytes of a queued message kept, prefix included */
#define LOG_RT_RECORDS 256 /* messages the queue holds between two flushes */

/* RT-safe: no alloc, no locks, no system calls. prefix + text make the line
 * ("JACK: " + libjack's message). */
void log_rt(enum log_level level, const char *prefix, const char *text);
void log_flush(void);
/* Messages dropped since the start because the queue was full. */
unsigned long long log_rt_dropped(void);

#endif
