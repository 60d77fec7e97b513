/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* config.json's "process", applied to the calling process inside the
 * container (after pivot_root): cwd, umask, rlimits, oom_score_adj, what
 * process-attr.h applies (with linux.personality and memoryPolicy), user
 * and groups, capabilities, no_new_privs.  Then the executable is looked up
 * in the container's $PATH, so a missing one fails create, not start. */
int process_setup(const Spec *s, char **ret_executable);

/* process.oomScoreAdj alone (process_setup() applies it too, unless set
 * already).  /proc/self/oom_score_adj is writable by its owner, and that
 * of a non-dumpable process is the host's root: the init, non-dumpable,
 * sets it before it becomes root of its user namespace. */
int process_apply_oom_score_adj(const SpecProcess *p);
