/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fds.h"
#include "macro.h"
#include "strv.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int cmp_int(const void *a, const void *b) {
        return *(const int *) a - *(const int *) b;
}

/* fd at or above first, the original closed. */
static int move_up(int *fd, int first) {
        int moved;

        if (*fd < 3 || *fd >= first)
                return 0;
        moved = fcntl(*fd, F_DUPFD_CLOEXEC, first);
        if (moved < 0)
                return -errno;
        close(*fd);
        *fd = moved;
        return 0;
}

int fds_close_others(unsigned n_preserve, int *keep, size_t n_keep) {
        int first = 3 + (int) n_preserve, lo, r;
        _cleanup_free_ int *sorted = malloc(n_keep * sizeof *sorted);

        if (!sorted)
                return -ENOMEM;
        /* A fd of runsd's in the preserved range was not the caller's
         * (that one was not open): ours moves out, the range keeps a hole. */
        for (size_t i = 0; i < n_keep; i++) {
                if ((r = move_up(&keep[i], first)) < 0)
                        return r;
                sorted[i] = keep[i];
        }
        qsort(sorted, n_keep, sizeof *sorted, cmp_int);
        lo = first;
        for (size_t i = 0; i < n_keep; i++) {
                if (sorted[i] < lo)
                        continue;
                if (sorted[i] > lo && syscall(SYS_close_range, lo, sorted[i] - 1, 0) < 0)
                        return -errno;
                lo = sorted[i] + 1;
        }
        if (syscall(SYS_close_range, lo, ~0U, 0) < 0)
                return -errno;
        return 0;
}

int fds_place(int *fds, size_t n, int *keep, size_t n_keep) {
        int first = 3 + (int) n, r;

        /* Out of the range first: ours, and those to be placed in it. */
        for (size_t i = 0; i < n_keep; i++)
                if ((r = move_up(&keep[i], first)) < 0)
                        return r;
        for (size_t i = 0; i < n; i++)
                if ((r = move_up(&fds[i], first)) < 0)
                        return r;
        for (size_t i = 0; i < n; i++) {
                if (dup2(fds[i], 3 + (int) i) < 0)
                        return -errno;
                close(fds[i]);
                fds[i] = 3 + (int) i;
        }
        return 0;
}

int fds_cloexec_from(unsigned n_preserve) {
        if (syscall(SYS_close_range, 3 + n_preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return -errno;
        return 0;
}

unsigned fds_listen_count(void) {
        const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        char *end;
        unsigned long n;

        if (!fds || !pid || strtol(pid, &end, 10) != getpid() || *end)
                return 0;
        errno = 0;
        n = strtoul(fds, &end, 10);
        if (errno || *end || end == fds || n > INT_MAX - 3)
                return 0;
        return (unsigned) n;
}

char **fds_listen_env(char **env, unsigned n, int pid) {
        static char fds_var[32], pid_var[32];
        size_t len = strv_length(env), j = 0;
        char **l = calloc(len + 3, sizeof(char *));

        if (!l)
                return NULL;
        /* The caller's own, if any, would name another process. */
        STRV_FOREACH(e, env)
                if (strncmp(*e, "LISTEN_FDS=", 11) != 0 && strncmp(*e, "LISTEN_PID=", 11) != 0)
                        l[j++] = *e;
        snprintf(fds_var, sizeof fds_var, "LISTEN_FDS=%u", n);
        snprintf(pid_var, sizeof pid_var, "LISTEN_PID=%d", pid);
        l[j++] = fds_var;
        l[j] = pid_var;
        return l;
}
