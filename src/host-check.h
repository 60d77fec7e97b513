/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* What the config needs of the host that a parser cannot know: AppArmor
 * for process.apparmorProfile, SELinux for selinuxLabel and mountLabel,
 * mount_setattr(2) for idmapped mounts, resctrl for linux.intelRdt.  An error names the field and what is
 * missing, before anything of the container exists. */
int host_check(const Spec *s);

/* What `runsd features` says: whether a config may ask for AppArmor,
 * SELinux, idmapped mounts or Intel RDT here (the LSM is on, the kernel
 * has it; runsd can do it). */
bool host_apparmor_enabled(void);
bool host_selinux_enabled(void);
bool host_idmapped_mounts(void);
bool host_intel_rdt_supported(void);
