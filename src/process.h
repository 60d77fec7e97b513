/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* config.json's "process", applied to the calling process inside the
 * container (after pivot_root): cwd, umask, rlimits, oom_score_adj, user
 * and groups, capabilities, no_new_privs.  Then the executable is looked up
 * in the container's $PATH, so a missing one fails create, not start. */
int process_setup(const SpecProcess *p, char **ret_executable);
