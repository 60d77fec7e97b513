/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Everything runsd says to systemd, over sd-bus. */

/* systemd's private socket when we are root and it is there (no broker
 * hop), else the system bus. */
int systemd_connect(sd_bus **ret);

/* Appends further (sv) entries to the open a(sv) of properties. */
typedef int (*PropertiesFn)(sd_bus_message *m, void *userdata);

typedef struct UnitSpec {
        const char *name;
        const char *slice;
        const char *description;
        PropertiesFn properties;        /* may be NULL */
        void *userdata;
} UnitSpec;

/* StartTransientUnit for a scope holding pid, then wait for its job. */
int systemd_start_scope(sd_bus *bus, const UnitSpec *u, pid_t pid);
/* SetUnitProperties, runtime only (gone with the unit, as the container). */
int systemd_set_unit_properties(sd_bus *bus, const char *unit, PropertiesFn properties, void *userdata);
/* A string property of a unit (org.freedesktop.systemd1.Unit), such as
 * ActiveState ("inactive" for a unit systemd does not know) or Description. */
int systemd_unit_property(sd_bus *bus, const char *unit, const char *property, char **ret);
/* Signal every process of the unit (KillUnit, who=all). */
int systemd_kill_unit(sd_bus *bus, const char *unit, int sig);
/* StopUnit and wait for the job, then ResetFailedUnit: afterwards systemd
 * holds nothing of the unit.  A unit already gone is fine. */
int systemd_stop_unit(sd_bus *bus, const char *unit);
