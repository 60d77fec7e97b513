/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* The file descriptors a container's process gets: stdio, and with
 * --preserve-fds N (and socket activation) the caller's fds 3..3+N-1,
 * as runc passes them.  Nothing else of runsd's may reach it
 * (CVE-2024-21626). */

/* In a child about to enter the container: keep stdio, fds 3..3+n_preserve-1
 * and the n_keep fds in keep[] (runsd's own, for setup; moved above the
 * preserved range if they were in it, keep[] updated), close every other. */
int fds_close_others(unsigned n_preserve, int *keep, size_t n_keep);
/* Where fds_close_others() expects them: fds[i] at 3+i (the originals
 * closed, fds[] updated), the n_keep fds in keep[] moved out of that range
 * first (keep[] updated).  For service mode's helper, which got the
 * caller's fds passed at whatever numbers. */
int fds_place(int *fds, size_t n, int *keep, size_t n_keep);
/* Just before execve(): every fd from 3+n_preserve on is close-on-exec. */
int fds_cloexec_from(unsigned n_preserve);

/* Socket activation, as runc: the number of fds systemd passed to runsd
 * ($LISTEN_FDS, if $LISTEN_PID is runsd); 0 if none. */
unsigned fds_listen_count(void);
/* env plus LISTEN_FDS=n and LISTEN_PID=pid, as a new array of the same
 * strings (free only the array). */
char **fds_listen_env(char **env, unsigned n, int pid);
