/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Everything runsd says to systemd, over sd-bus. */

/* systemd's private socket when we are root and it is there (no broker
 * hop), else the system bus. */
int systemd_connect(sd_bus **ret);

/* Appends further (sv) entries to the open a(sv) of properties. */
typedef int (*PropertiesFn)(sd_bus_message *m, void *userdata);
/* For such a function: open the (sv) of property name, its variant
 * holding contents ("au", "a(ss)"), and close it again. */
int systemd_property_open(sd_bus_message *m, const char *name, const char *contents);
int systemd_property_close(sd_bus_message *m);

typedef struct UnitSpec {
        const char *name;
        const char *slice;
        const char *description;
        const pid_t *pids;              /* a scope: the processes it holds */
        size_t n_pids;
        char **exec_start;              /* a service (Type=forking): what it runs */
        const char *pid_file;           /* and where that leaves its main process's PID */
        PropertiesFn properties;        /* may be NULL */
        void *userdata;
} UnitSpec;

/* The job of a unit being started, to wait for. */
typedef struct SystemdJob SystemdJob;
SystemdJob *systemd_job_free(SystemdJob *j);
static inline void systemd_job_freep(SystemdJob **j) {
        systemd_job_free(*j);
}

/* StartTransientUnit: a scope holding u->pids, or a service running
 * u->exec_start; its job in *ret_job. */
int systemd_start_unit(sd_bus *bus, const UnitSpec *u, SystemdJob **ret_job);
/* Wait until the job has finished (0, or an error saying how it failed),
 * or, if fd >= 0, until fd is readable (1) while the job still runs. */
int systemd_job_wait(sd_bus *bus, SystemdJob *j, int fd);
/* SetUnitProperties, runtime only (gone with the unit, as the container). */
int systemd_set_unit_properties(sd_bus *bus, const char *unit, PropertiesFn properties, void *userdata);
/* A string property of a unit (org.freedesktop.systemd1.Unit), such as
 * ActiveState ("inactive" for a unit systemd does not know) or Description. */
int systemd_unit_property(sd_bus *bus, const char *unit, const char *property, char **ret);
/* How the main process of a service exited: *ret_code is CLD_EXITED
 * (*ret_status its exit code), CLD_KILLED or CLD_DUMPED (the signal), as
 * systemd recorded it (ExecMainCode, ExecMainStatus); -ENODATA (no
 * message) if it has not exited or the unit is gone. */
int systemd_service_exit(sd_bus *bus, const char *unit, int *ret_code, int *ret_status);
/* The same, waiting (a bounded time) until systemd has recorded it: for a
 * main process seen to exit, whose SIGCHLD systemd may not have handled yet. */
int systemd_service_wait_exit(sd_bus *bus, const char *unit, int *ret_code, int *ret_status);
/* Signal every process of the unit (KillUnit, who=all). */
int systemd_kill_unit(sd_bus *bus, const char *unit, int sig);
/* StopUnit and wait for the job, then ResetFailedUnit: afterwards systemd
 * holds nothing of the unit.  A unit already gone is fine. */
int systemd_stop_unit(sd_bus *bus, const char *unit);
/* FreezeUnit or ThawUnit, which return once the kernel has done it.
 * -EOPNOTSUPP (no message) where systemd cannot freeze: it needs the
 * cgroup v2 freezer, so not on a legacy or hybrid layout. */
int systemd_freeze_unit(sd_bus *bus, const char *unit, bool freeze);
/* The PIDs of every process of the unit, its sub-cgroups' too
 * (GetUnitProcesses), sorted.  -ESRCH (no message) for a unit systemd
 * does not know. */
int systemd_unit_pids(sd_bus *bus, const char *unit, pid_t **ret, size_t *ret_n);

/* Tell the service manager we run under (a Type=notify service such as
 * runsd@.service) that we are ready; nothing without $NOTIFY_SOCKET. */
void systemd_notify_ready(void);
