/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* Called once, before the first mount that shows cgroups: the container
 * must be in its final cgroup (and cgroup namespace) by then. */
typedef int (*EnterCgroupFn)(void *userdata);

/* In the container's new mount namespace: mount the rootfs and everything
 * config.json lists into it, give it a /dev, mask and write-protect what the
 * config says, and pivot_root into it.  Afterwards the cwd is "/". */
int rootfs_setup(const Spec *s, EnterCgroupFn enter_cgroup, void *userdata);
