/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fileio.h"
#include "pidref.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int pidfd_open_raw(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

int pidfd_send_signal_raw(int fd, int sig) {
        return (int) syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

void pidref_done(PidRef *p) {
        closep(&p->fd);
        *p = PIDREF_NULL;
}

int process_start_time(pid_t pid, uint64_t *ret, bool *ret_zombie) {
        _cleanup_free_ char *text = NULL;
        char path[64], state, *c;
        uint64_t start;
        int r;

        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        r = read_full_file(path, 4096, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        /* comm may hold spaces and parentheses: the fields start after the last ')'. */
        c = strrchr(text, ')');
        if (!c)
                return -EIO;
        /* fields 3 (state) ... 22 (starttime) */
        if (sscanf(c + 2, "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %" SCNu64,
                   &state, &start) != 2)
                return -EIO;
        if (ret)
                *ret = start;
        if (ret_zombie)
                *ret_zombie = state == 'Z' || state == 'X';
        return 0;
}

int pidref_open(pid_t pid, uint64_t start_time, PidRef *ret) {
        _cleanup_close_ int fd = -1;
        uint64_t now;
        bool zombie;
        int r;

        if (pid <= 0)
                return -ESRCH;
        fd = pidfd_open_raw(pid);
        if (fd < 0)
                return -errno;
        /* Checked after the pidfd is open: the pidfd now pins this process,
         * so if the start time matches, fd refers to the right one. */
        r = process_start_time(pid, &now, &zombie);
        if (r < 0)
                return r;
        if (now != start_time || zombie)
                return -ESRCH;
        ret->pid = pid;
        ret->fd = TAKE_FD(fd);
        return 0;
}

int pidref_kill(const PidRef *p, int sig) {
        if (pidfd_send_signal_raw(p->fd, sig) < 0)
                return -errno;
        return 0;
}

int pidref_wait_exit(const PidRef *p, int timeout_ms) {
        struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
        int n;

        n = RETRY_EINTR(poll(&pfd, 1, timeout_ms));
        if (n < 0)
                return -errno;
        return n == 0 ? -ETIMEDOUT : 0;
}

int pidref_reap(const PidRef *p) {
        siginfo_t si = {};

        if (RETRY_EINTR(waitid(P_PIDFD, p->fd, &si, WEXITED)) < 0)
                return -errno;
        if (si.si_code == CLD_EXITED)
                return si.si_status;
        return 128 + si.si_status;
}
