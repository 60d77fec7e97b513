/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <seccomp.h>

#include "spec.h"
#include "state.h"

/* linux.seccomp: the filter is built with libseccomp and loaded into the
 * calling init at one of three points, as late as it can be:
 * - without no_new_privs loading needs CAP_SYS_ADMIN, so before
 *   process_setup() drops capabilities and switches user (as runc);
 * - with SCMP_ACT_NOTIFY rules before the init reports ready, since the
 *   notify fd goes to runsd (SYNC_SECCOMP_FD), which hands it to the agent
 *   during create (as runc);
 * - else as the last thing before execve(), so the init's own syscalls
 *   (the exec FIFO) need nothing from the profile but execve.
 * It is built before the init reports ready at the latest, so a filter
 * libseccomp cannot make fails create.  *filter starts NULL and is the
 * init's until it execs. */
typedef enum SeccompPoint {
        SECCOMP_BEFORE_PROCESS,
        SECCOMP_BEFORE_READY,
        SECCOMP_BEFORE_EXEC,
} SeccompPoint;

int seccomp_setup(const Spec *s, int sync_fd, SeccompPoint point, scmp_filter_ctx *filter);


/* Hand the init's notify fd to the seccomp agent at listenerPath, as runc
 * does: on a stream socket, one message of the container process state
 * JSON ({"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"})
 * with the fd attached (SCM_RIGHTS). */
int seccomp_send_listener(const SpecSeccomp *sc, const ContainerState *s, int notify_fd);
