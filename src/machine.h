/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "spec.h"
#include "state.h"

/* Containers as systemd-machined's machines, so that `machinectl list` and
 * `machinectl status ID` show them.  runsd registers the unit each container
 * already has (RegisterMachine); it never lets machined make one. */

/* The annotation that turns registration off: run.oci.systemd.machine=false
 * (named like crun's run.oci.systemd.* annotations). */
#define MACHINE_ANNOTATION "run.oci.systemd.machine"

/* What machined takes as a machine name (systemd's hostname_is_valid()):
 * labels of ASCII letters, digits and "-", joined by ".", none empty or
 * beginning or ending with "-", at most 64 characters in all. */
bool machine_name_is_valid(const char *name);

/* Whether create should register the container: 0 with --no-machine
 * (no_machine) or the annotation set to false (or 0), else 1; -EINVAL (with
 * a message naming the config and the annotation) for a value that is not
 * true, false, 1 or 0. */
int machine_wanted(const Spec *spec, bool no_machine);

/* Register the container with machined: its ID as the machine's name, its
 * init as the leader (whose unit machined takes, so the init must be in it
 * already), its rootfs as the root directory.  Nothing happens when machined
 * is not running or the ID is not a valid machine name, and a failure is a
 * warning: the create goes on either way. */
void machine_register(const ContainerState *s);

/* Unregister the container's machine: the machine named after it, if it
 * holds the container's unit (so a machine of that name that is somebody
 * else's stays).  Costs one access() when machined has no such machine. */
void machine_unregister(const ContainerState *s);
