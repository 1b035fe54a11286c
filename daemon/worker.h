/* worker: the DSP thread. Waits on the semaphore the audio callback posts, then runs
 * engine_process_hop on every whole hop in the in ring and writes the result to the out
 * ring. It is the in ring's only reader and the out ring's only writer while it runs.
 *
 * For tests of the systemd watchdog, HUSHD_TEST_STALL_AFTER_S=S in the environment makes
 * the thread stop processing S seconds after worker_start (it still wakes, but no hop is
 * done: a stuck worker as the watchdog sees it). HUSHD_TEST_LATE_MS=MS makes it sleep MS
 * milliseconds before one hop in every LATE_EVERY_HOPS: a hushd that is itself late now
 * and then, which the live tests' checker must blame on hushd, not on the machine.
 *
 * worker_start/worker_stop/worker_load: main thread. The thread itself allocates
 * nothing, takes no locks and makes no system calls besides sem_wait.
 */
#ifndef HUSHD_WORKER_H
#define HUSHD_WORKER_H

#include <semaphore.h>
#include <stddef.h>

struct engine;
struct ring;
struct worker;

/* Starts the thread, asking for SCHED_FIFO priority rt_priority (0 = don't ask).
 * *rt_refused is set to the error number when that was refused (the thread then runs
 * with normal priority), else 0. Returns NULL with a message. */
struct worker *worker_start(struct engine *e, struct ring *in, struct ring *out, sem_t *wake,
                            int rt_priority, int *rt_refused, char *err, size_t errlen);
void worker_stop(struct worker *w); /* joins the thread and frees */

/* Main thread: share of the time spent processing since the previous call, 0..1. */
double worker_load(struct worker *w);
/* Main thread: where the thread's stack is, for memlock. 0, or -1. */
int worker_stack(const struct worker *w, void **addr, size_t *len);
/* Frames the out ring had no room for (never expected). */
unsigned long long worker_overruns(const struct worker *w);

#endif
