/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* In the container's new mount namespace: mount the rootfs and everything
 * config.json lists into it, give it a /dev, mask and write-protect what the
 * config says, and pivot_root into it.  Afterwards the cwd is "/". */
int rootfs_setup(const Spec *s);
