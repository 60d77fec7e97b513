/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "init.h"
#include "pidref.h"
#include "spec.h"
#include "systemd.h"

/* Service mode: the container's unit is a transient service whose main
 * process is the container's init, a child of systemd, so systemd records
 * how it exits and `systemctl status` shows it as any service.
 *
 * Only a process systemd starts can make a child of systemd (CLONE_PARENT),
 * so the service (Type=forking) runs `runsd service-init DIR`
 * (service_helper()).  It connects to `runsd create` (service_spawn_init())
 * over a socket in the container's state directory DIR, gets what the init
 * needs (the config create parsed, the init's end of the sync socket, the
 * state directory, create's stdio), clones the init and hands its pidfd
 * back.  Once create has seen the init ready, it says so
 * (service_handoff_ready()); the helper writes the init's PID to DIR/init.pid
 * (the unit's PIDFile) and exits, which ends the unit's start job. */

/* --service, or the annotation run.oci.systemd.unit-type=service|scope. */
#define UNIT_TYPE_ANNOTATION "run.oci.systemd.unit-type"
int service_wanted(const Spec *spec, bool flag);

typedef struct ServiceInit {
        const char *id;
        const Spec *spec;
        int state_dir_fd;       /* where the socket goes */
        int sync_fd;            /* the init's end */
        int fifo_dir_fd;        /* the init's handle on the state directory */
        bool pass_stdio;        /* our stdio becomes the init's; else the service's (the journal) */
        const InitFds *fds;     /* the console socket's connection, our fds 3... to pass on */
} ServiceInit;

/* Create's end of the handoff, until the unit's start job has finished. */
typedef struct ServiceHandoff {
        int fd;
        SystemdJob *job;
} ServiceHandoff;

#define SERVICE_HANDOFF_NULL ((ServiceHandoff) { .fd = -1 })

void service_handoff_done(ServiceHandoff *h);

/* Start the service unit u (u->exec_start is filled in here) and get the
 * init its helper cloned.  *ret_started says whether the unit was started,
 * so that a caller cleaning up knows to stop it. */
int service_spawn_init(sd_bus *bus, const UnitSpec *u, const ServiceInit *si, bool *ret_started,
                       PidRef *ret_init, ServiceHandoff *ret);
/* The init is set up: let the helper tell systemd, and wait for the job. */
int service_handoff_ready(sd_bus *bus, ServiceHandoff *h);

/* The helper: `runsd service-init DIR`, run by systemd only. */
int service_helper(const char *state_dir);
