/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* A container's on-disk state: the directory <root>/<id>/ holding
 * state.json and exec.fifo.  The directory itself is the lock: every
 * command that changes the container holds flock() on it. */

#define STATE_FILE "state.json"
#define EXEC_FIFO "exec.fifo"

typedef enum ContainerStatus {
        STATUS_CREATING,
        STATUS_CREATED,
        STATUS_RUNNING,
        STATUS_PAUSED,
        STATUS_STOPPED,
        _STATUS_MAX,
} ContainerStatus;

const char *container_status_to_string(ContainerStatus s);
int container_status_from_string(const char *s);

typedef struct ContainerState {
        char *oci_version;
        char *id;
        char *bundle;
        char *rootfs;
        char *created;          /* RFC 3339 */
        char *owner;
        char *unit;             /* the systemd unit holding the container */
        char *cgroup;           /* its cgroup (on v1 runsd made it in the hierarchies systemd does not) */
        pid_t pid;              /* the init, as seen from runsd's pid namespace */
        uint64_t pid_start_time;  /* /proc/PID/stat field 22, so a recycled pid is told apart */
        ContainerStatus status; /* as recorded; the live status is derived (container.c) */
        char **annotations;     /* key, value, ..., NULL */
        /* Not in the state file: how a service-mode container's init
         * exited, as systemd recorded it (CLD_EXITED with its exit code,
         * CLD_KILLED or CLD_DUMPED with the signal); exit_code 0: unknown. */
        int exit_code, exit_status;
} ContainerState;

ContainerState *container_state_free(ContainerState *s);
static inline void container_state_freep(ContainerState **s) {
        container_state_free(*s);
}

typedef struct StateDir {
        int root_fd;
        int fd;                 /* the directory, flock()ed */
        int lock_op;            /* what we hold on it: LOCK_EX, LOCK_SH or 0 */
        char *id;
        char *path;
} StateDir;

#define STATE_DIR_NULL ((StateDir) { .root_fd = -1, .fd = -1 })

void state_dir_close(StateDir *d);

/* IDs name a directory and a systemd unit: [A-Za-z0-9_+.-], not starting
 * with "." or "-", at most CONTAINER_ID_MAX characters. */
#define CONTAINER_ID_MAX 200
int container_id_validate(const char *id);

/* Create <root>/<id> holding state s, locked; exactly one of concurrent
 * creators of one id wins, the others get -EEXIST. */
int state_dir_create(const char *root, const char *id, const ContainerState *s, StateDir *ret);
/* Remove what creates that died before their container existed left under
 * root (state_dir_create() does this too). */
void state_remove_abandoned(const char *root);
/* Open <root>/<id>; lock_op LOCK_EX, LOCK_SH or 0.  -ENOENT if absent. */
int state_dir_open(const char *root, const char *id, int lock_op, StateDir *ret);
/* flock() it, then check it was not deleted meanwhile (-ENOENT); LOCK_UN unlocks. */
int state_dir_lock(StateDir *d, int lock_op);
/* Whether another process holds the lock (never while we hold it). */
bool state_dir_is_locked(const StateDir *d);
/* Remove everything in the directory, then the directory. */
int state_dir_remove(StateDir *d);

int state_save(const StateDir *d, const ContainerState *s);
int state_load(const StateDir *d, ContainerState **ret);
int state_parse(const char *text, size_t len, ContainerState **ret);

/* The state as runc prints it (ociVersion, id, pid, status, bundle,
 * rootfs, created, owner, annotations) plus "systemd-unit"; with
 * internal also what only the state file needs. */
json_t *state_to_json(const ContainerState *s, ContainerStatus status, bool internal);

/* Names of the containers under root, sorted. */
int state_list(const char *root, char ***ret);
