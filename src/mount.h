/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* Called before the first mount that shows cgroups, and at the latest
 * just before pivot_root (so while the host's /run is in reach); it must
 * do its work once however often it is called.  The container must be in
 * its final cgroup (and cgroup namespace) when it returns. */
typedef int (*EnterCgroupFn)(void *userdata);
/* Called once, after enter_cgroup() and everything but pivot_root. */
typedef int (*BeforePivotFn)(void *userdata);

/* In the container's new mount namespace: mount the rootfs and everything
 * config.json lists into it, give it a /dev, mask and write-protect what the
 * config says, and pivot_root into it.  Afterwards the cwd is "/".
 * mount_fds (NULL if none) is mount_open_idmapped()'s: each is moved into
 * place and closed. */
int rootfs_setup(const Spec *s, int *mount_fds, EnterCgroupFn enter_cgroup, BeforePivotFn before_pivot,
                 void *userdata);

/* In runsd, before the init is cloned: for each idmap or ridmap mount a
 * detached, idmapped copy of its source (open_tree(2), mount_setattr(2)).
 * Only a process privileged over the source's file system (the host's user
 * namespace) may make one, which the init in its own user namespace is not.
 * *ret: one fd per mount of s, -1 for the others; NULL if none is idmapped. */
int mount_open_idmapped(const Spec *s, int **ret);
void mount_fds_free(int *fds, size_t n);
