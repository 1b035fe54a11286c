/* osc_jobs: the OSC requests that touch files or wait for the audio thread (profile save
 * and load, config save), run one at a time on a worker thread of their own, so that no
 * request can hold up the OSC thread: a save waits up to a second for the audio thread's
 * handover and fsyncs a file.
 *
 * One job at a time: while one runs, jobs_submit refuses the next, and the OSC thread
 * answers at once with an error. A bundle of 2000 saves thus writes one file.
 *
 * jobs_create/jobs_destroy: the thread that owns the OSC server. jobs_submit, jobs_fd,
 * jobs_take: the OSC thread. ctl must outlive the jobs.
 */
#ifndef HUSHD_OSC_JOBS_H
#define HUSHD_OSC_JOBS_H

#include <stddef.h>

#include "control.h"
#include "osc_server.h"

#define OSC_MAX_NAME_LEN 100

enum osc_job_kind { OSC_JOB_PROFILE_SAVE, OSC_JOB_PROFILE_LOAD, OSC_JOB_CONFIG_SAVE };

struct osc_job {
  enum osc_job_kind kind;
  const char *path;                    /* the request's path (a string constant) */
  struct osc_peer to;                  /* who is answered */
  char name[OSC_MAX_NAME_LEN + 1];     /* profile name */
  char file[4096];                     /* profile file: STATE_DIR/NAME.profile */
  int failed;                          /* once done: 0, or 1 with a message in msg */
  char msg[512];
};

struct osc_jobs;

struct osc_jobs *jobs_create(struct control *ctl, char *err, size_t errlen);
void jobs_destroy(struct osc_jobs *j); /* waits for a running job; NULL is fine */

/* Hands job to the worker. Returns 0, or -1 when another job has not been taken yet. */
int jobs_submit(struct osc_jobs *j, const struct osc_job *job);
/* Readable when a job is done: then call jobs_take. */
int jobs_fd(const struct osc_jobs *j);
/* Copies the finished job, with its result, into done and frees the slot. Returns 1, or 0
 * when none is finished. Non-blocking. */
int jobs_take(struct osc_jobs *j, struct osc_job *done);

#endif
