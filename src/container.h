/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "spec.h"
#include "state.h"

/* The container lifecycle; what the commands of the CLI do.  Every
 * function returns 0 or a negative errno with error_message() set, and
 * leaves nothing behind when it fails. */

typedef struct CreateOptions {
        const char *bundle;
        const char *pid_file;
        bool no_machine;        /* do not register with systemd-machined */
} CreateOptions;

int container_create(const char *root, const char *id, const CreateOptions *o);
int container_start(const char *root, const char *id);
/* Create, start, and unless detach wait for the container's process, pass
 * signals on to it and delete the container; returns the exit code
 * (128+N for signal N), or 0 when detached. */
int container_run(const char *root, const char *id, const CreateOptions *o, bool detach);
int container_kill(const char *root, const char *id, int sig, bool all);
/* Change the limits of a created, running or paused container; where
 * prefixes messages about r's fields. */
int container_update(const char *root, const char *id, const SpecResources *r, const char *where);
int container_delete(const char *root, const char *id, bool force);

/* The state with its live status (which the file alone cannot tell). */
int container_state(const char *root, const char *id, ContainerState **ret, ContainerStatus *ret_status);

typedef struct ContainerInfo {
        ContainerState *state;
        ContainerStatus status;
} ContainerInfo;

void container_info_free_many(ContainerInfo *l, size_t n);
int container_list(const char *root, ContainerInfo **ret, size_t *ret_n);
