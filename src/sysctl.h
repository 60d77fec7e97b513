/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* In the init, in the container's namespaces: write linux.sysctl to
 * /proc/sys.  The kernel resolves a namespaced key (net.*, the ipc and uts
 * ones: all spec.c allows) in the namespaces of the process that opens it,
 * so the host's /proc serves before pivot_root. */
int sysctl_apply(const Spec *s);
