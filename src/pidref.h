/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* A process held by a pidfd, so a signal or a wait can never reach a
 * process that merely reused its pid. */
typedef struct PidRef {
        pid_t pid;
        int fd;
} PidRef;

#define PIDREF_NULL ((PidRef) { .pid = 0, .fd = -1 })

void pidref_done(PidRef *p);

/* Start time (/proc/PID/stat field 22) and whether it is a zombie. */
int process_start_time(pid_t pid, uint64_t *ret, bool *ret_zombie);
/* Open pid only if it is still the process that started at start_time and
 * has not exited: -ESRCH otherwise. */
int pidref_open(pid_t pid, uint64_t start_time, PidRef *ret);
int pidref_kill(const PidRef *p, int sig);
/* Wait until it has exited, at most timeout_ms (-1: forever): -ETIMEDOUT. */
int pidref_wait_exit(const PidRef *p, int timeout_ms);
/* Reap it if it is our child, and return the shell's view of its end:
 * the exit code, or 128+N for signal N. */
int pidref_reap(const PidRef *p);

int pidfd_open_raw(pid_t pid);
int pidfd_send_signal_raw(int fd, int sig);
