/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Run ps(1) with args (NULL or empty: "-ef"), as `runc ps` does, and return
 * its header line and the lines whose PID column is one of pids (sorted),
 * as text.  A ps that fails, or whose output has no PID column, is an
 * error naming it. */
int ps_table(char *const *args, const pid_t *pids, size_t n_pids, char **ret);
