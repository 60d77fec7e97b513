/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "macro.h"
#include "pidref.h"
#include "spec.h"
#include "state.h"

/* What the container's process gets besides stdio. */
typedef struct InitFds {
        int console;            /* where its terminal's master goes (terminal.c); -1: no terminal */
        unsigned n_listen;      /* the caller's fds 3..: systemd's socket activation, then */
        unsigned n_preserve;    /* those of --preserve-fds */
        bool relay_output;      /* output[]: the pipes of a relay of runsd's: stdout, stderr (output.h) */
        int output[2];
} InitFds;

typedef struct InitArgs {
        const Spec *spec;
        int sync_fd;            /* our end of the socket pair with runsd */
        int state_dir_fd;       /* <root>/<id>, where exec.fifo is */
        InitFds fds;
        /* runsd's, as it was at the clone: ours to complete (the pid) for the hooks */
        ContainerState *state;
        /* set by init_spawn(): mount_open_idmapped()'s, or NULL */
        int *mount_fds;
} InitArgs;

/* The container's init, from clone() to execve() of the user's process:
 * waits until runsd has put it in the unit's cgroup, sets up namespaces,
 * rootfs and process, reports to runsd, then blocks on the exec FIFO until
 * `runsd start`. */
_noreturn_ void container_init(const InitArgs *a);

/* Clone the container's init with the namespaces the spec asks for (joining
 * its pid namespace first, if it names one): a child of ours, or with
 * clone_parent of our parent (systemd, in service mode). */
int init_spawn(const InitArgs *a, bool clone_parent, PidRef *ret);
