/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* What a container's process runs with beyond user and capabilities, for
 * the init and for `runsd exec` alike. */

/* process.execCPUAffinity.initial: before the process joins the
 * container's cgroup (which may reset its affinity). */
int process_attr_initial(const SpecProcess *p);
/* linux.personality and memoryPolicy, process.scheduler, ioPriority and
 * the AppArmor profile or SELinux label of its exec: while the process is
 * still root, before it drops capabilities. */
int process_attr_apply(const Spec *s);
/* process.execCPUAffinity.final: last, once in the container's cgroup. */
int process_attr_final(const SpecProcess *p);
