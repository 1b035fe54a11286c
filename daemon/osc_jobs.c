/* osc_jobs: see osc_jobs.h.
 *
 * The slot's states: IDLE -submit-> QUEUED -worker-> RUNNING -worker-> DONE -take-> IDLE.
 * The lock is held only to move between them, never while a job runs.
 */
#define _GNU_SOURCE
#include "osc_jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "profile.h"

#define PROFILE_WAIT_MS 1000 /* longest wait for the audio thread's profile handover */

enum slot { IDLE, QUEUED, RUNNING, DONE };

struct osc_jobs {
  struct control *ctl;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  enum slot state;
  int stop;
  int done[2]; /* the worker writes a byte when a job is done */
  struct osc_job job;
};

static void fail(struct osc_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct osc_job *job, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(job->msg, sizeof job->msg, fmt, ap);
  va_end(ap);
  job->failed = 1;
}

static void profile_save(struct control *ctl, struct osc_job *job) {
  char err[256];
  char *text = profile_save_live(ctl->engine, PROFILE_WAIT_MS, err, sizeof err);
  if (!text) {
    fail(job, "%s", err);
    return;
  }
  /* the state folder may not exist yet on a first save (a fresh ~/.local/state) */
  if (atomic_make_parent(job->file))
    fail(job, "cannot create %s: %s", ctl->state_dir, strerror(errno));
  else if (atomic_write(job->file, text, strlen(text), err, sizeof err))
    fail(job, "%s", err);
  free(text);
}

static void profile_load(struct control *ctl, struct osc_job *job) {
  char err[256];
  char *text = profile_read(job->file);
  if (!text && errno == EFBIG)
    fail(job, "%s is larger than %d bytes", job->file, PROFILE_MAX_BYTES);
  else if (!text)
    fail(job, "cannot read %s: %s", job->file, strerror(errno));
  else if (profile_load_live(ctl->engine, text, PROFILE_WAIT_MS, err, sizeof err))
    fail(job, "%s: %s", job->file, err);
  free(text);
}

static void config_save(struct control *ctl, struct osc_job *job) {
  char err[512];
  if (ctl->save_config(ctl->config_ctx, err, sizeof err)) fail(job, "%s", err);
}

static void run_job(struct control *ctl, struct osc_job *job) {
  job->failed = 0;
  switch (job->kind) {
    case OSC_JOB_PROFILE_SAVE: profile_save(ctl, job); break;
    case OSC_JOB_PROFILE_LOAD: profile_load(ctl, job); break;
    case OSC_JOB_CONFIG_SAVE: config_save(ctl, job); break;
  }
}

static void *worker(void *arg) {
  struct osc_jobs *j = arg;
  pthread_mutex_lock(&j->lock);
  for (;;) {
    while (j->state != QUEUED && !j->stop) pthread_cond_wait(&j->cond, &j->lock);
    if (j->stop) break;
    j->state = RUNNING;
    pthread_mutex_unlock(&j->lock);
    run_job(j->ctl, &j->job); /* the OSC thread leaves the slot alone while RUNNING */
    pthread_mutex_lock(&j->lock);
    j->state = DONE;
    ssize_t w = write(j->done[1], "d", 1); /* one byte a job: the pipe has room */
    (void)w;
  }
  pthread_mutex_unlock(&j->lock);
  return NULL;
}

struct osc_jobs *jobs_create(struct control *ctl, char *err, size_t errlen) {
  struct osc_jobs *j = calloc(1, sizeof *j);
  if (!j) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  j->ctl = ctl;
  if (pipe2(j->done, O_CLOEXEC | O_NONBLOCK)) {
    snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
    free(j);
    return NULL;
  }
  pthread_mutex_init(&j->lock, NULL);
  pthread_cond_init(&j->cond, NULL);
  if ((errno = pthread_create(&j->thread, NULL, worker, j))) {
    snprintf(err, errlen, "cannot start the OSC file thread: %s", strerror(errno));
    close(j->done[0]);
    close(j->done[1]);
    free(j);
    return NULL;
  }
  return j;
}

void jobs_destroy(struct osc_jobs *j) {
  if (!j) return;
  pthread_mutex_lock(&j->lock);
  j->stop = 1;
  pthread_cond_signal(&j->cond);
  pthread_mutex_unlock(&j->lock);
  pthread_join(j->thread, NULL);
  pthread_cond_destroy(&j->cond);
  pthread_mutex_destroy(&j->lock);
  close(j->done[0]);
  close(j->done[1]);
  free(j);
}

int jobs_submit(struct osc_jobs *j, const struct osc_job *job) {
  pthread_mutex_lock(&j->lock);
  int idle = j->state == IDLE;
  if (idle) {
    j->job = *job;
    j->state = QUEUED;
    pthread_cond_signal(&j->cond);
  }
  pthread_mutex_unlock(&j->lock);
  return idle ? 0 : -1;
}

int jobs_fd(const struct osc_jobs *j) { return j->done[0]; }

int jobs_take(struct osc_jobs *j, struct osc_job *done) {
  char sink[16];
  while (read(j->done[0], sink, sizeof sink) > 0) {
  }
  pthread_mutex_lock(&j->lock);
  int finished = j->state == DONE;
  if (finished) {
    *done = j->job;
    j->state = IDLE;
  }
  pthread_mutex_unlock(&j->lock);
  return finished;
}
