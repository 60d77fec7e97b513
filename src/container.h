/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "spec.h"
#include "state.h"
#include "stats.h"

/* The container lifecycle; what the commands of the CLI do.  Every
 * function returns 0 or a negative errno with error_message() set, and
 * leaves nothing behind when it fails. */

typedef struct CreateOptions {
        const char *bundle;
        const char *pid_file;
        bool no_machine;        /* do not register with systemd-machined */
        bool service;           /* a transient service, not a scope (service.h) */
        const char *console_socket;     /* where process.terminal's pty master goes */
        unsigned preserve_fds;  /* the caller's fds 3..3+N-1 go to the container's process */
} CreateOptions;

int container_create(const char *root, const char *id, const CreateOptions *o);
int container_start(const char *root, const char *id);
/* Create, start, and unless detach wait for the container's process, pass
 * signals on to it and delete the container; returns the exit code
 * (128+N for signal N), or 0 when detached. */
int container_run(const char *root, const char *id, const CreateOptions *o, bool detach);
/* `runsd exec`: a process in a running container; unless o->detach, wait
 * for it and return its exit code (128+N for signal N). */
int container_exec(const char *root, const char *id, const ExecOptions *o);
int container_kill(const char *root, const char *id, int sig, bool all);
/* Change the limits of a created, running or paused container; where
 * prefixes messages about r's fields. */
int container_update(const char *root, const char *id, const SpecResources *r, const char *where);
int container_delete(const char *root, const char *id, bool force);
/* Freeze every process of a created or running container (systemd's
 * FreezeUnit, else the v1 freezer), and thaw it again. */
int container_pause(const char *root, const char *id);
int container_resume(const char *root, const char *id);
/* The PIDs of every process of the container (runsd's PID namespace), sorted. */
int container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n);

typedef struct ContainerEvent {
        const char *type;               /* "stats" or "oom" */
        const char *id;
        const CgroupStats *stats;       /* of "stats" */
} ContainerEvent;

/* <0 stops container_events(), which returns it. */
typedef int (*ContainerEventFn)(const ContainerEvent *e, void *userdata);
/* As runc's `events`: with stats_only one "stats" event; else a "stats"
 * event every interval and an "oom" event when the OOM killer kills in the
 * container, until its init exits. */
int container_events(const char *root, const char *id, bool stats_only, uint64_t interval_nsec,
                     ContainerEventFn fn, void *userdata);

/* The state with its live status (which the file alone cannot tell). */
int container_state(const char *root, const char *id, ContainerState **ret, ContainerStatus *ret_status);

typedef struct ContainerInfo {
        ContainerState *state;
        ContainerStatus status;
} ContainerInfo;

void container_info_free_many(ContainerInfo *l, size_t n);
int container_list(const char *root, ContainerInfo **ret, size_t *ret_n);
