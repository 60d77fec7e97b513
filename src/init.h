/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "macro.h"
#include "spec.h"

typedef struct InitArgs {
        const Spec *spec;
        int sync_fd;            /* our end of the socket pair with runsd */
        int state_dir_fd;       /* <root>/<id>, where exec.fifo is */
} InitArgs;

/* The container's init, from clone() to execve() of the user's process:
 * waits until runsd has put it in the unit's cgroup, sets up namespaces,
 * rootfs and process, reports to runsd, then blocks on the exec FIFO until
 * `runsd start`. */
_noreturn_ void container_init(const InitArgs *a);
