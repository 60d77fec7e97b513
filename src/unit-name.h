/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Which systemd unit holds a container, from linux.cgroupsPath:
 *   "SLICE:PREFIX:NAME" (what containerd and podman send with the systemd
 *   cgroup driver)  ->  PREFIX-NAME.scope in SLICE (system.slice if empty,
 *   as runc does);
 *   anything else: empty, or a cgroupfs path such as "/default/ID" sent
 *   without --systemd-cgroup  ->  runsd-ID.scope in runsd.slice;
 *   .service instead of .scope in service mode (service.h). */

/* Check a cgroupsPath; on error *reason says why. */
int cgroups_path_validate(const char *cgroups_path, const char **reason);
/* -ENAMETOOLONG if the name would be too long for systemd (an ID full of
 * "+", each escaped to 4 characters). */
int container_unit_name(const char *id, const char *cgroups_path, bool service, char **ret_unit, char **ret_slice);
/* Whether a container's unit is a service (service mode), not a scope. */
bool unit_is_service(const char *unit);
