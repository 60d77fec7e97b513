/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

#include "spec.h"

/* linux.netDevices, as runc moves them: each host interface goes into the
 * network namespace of pid (the container's init) under its name there,
 * with its permanent global addresses, and is brought up.  By netlink from
 * runsd's own namespace, before the container's process runs. */
int net_devices_move(const Spec *s, pid_t pid);
