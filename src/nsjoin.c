/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "error.h"
#include "nsjoin.h"
#include "pidref.h"

static int join_one(NamespaceType t, const char *path) {
        _cleanup_close_ int fd = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return error_set(-errno, "linux.namespaces: %s: open %s: %m", namespace_type_to_string(t), path);
        if (setns(fd, namespace_clone_flag(t)) < 0)
                return error_set(-errno, "linux.namespaces: %s: join %s: %m", namespace_type_to_string(t), path);
        return 0;
}

int namespaces_join(const Spec *s) {
        int r;

        if (s->namespaces[NS_USER].path && (r = join_one(NS_USER, s->namespaces[NS_USER].path)) < 0)
                return r;
        for (NamespaceType t = 0; t < _NS_MAX; t++) {
                /* pid is joined by runsd before the clone: setns() of a pid
                 * namespace only applies to children. */
                if (!s->namespaces[t].path || t == NS_PID || t == NS_USER)
                        continue;
                r = join_one(t, s->namespaces[t].path);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool namespaces_join_before_clone(const Spec *s) {
        if (s->namespaces[NS_USER].path)
                return true;
        if (!s->namespaces[NS_USER].enabled)
                return false;
        for (NamespaceType t = 0; t < _NS_MAX; t++)
                if (s->namespaces[t].path && t != NS_PID)
                        return true;
        return false;
}

/* Returns only in the init; reports the init's pid or an error on report_fd. */
static void helper(const Spec *s, uint64_t flags, int report_fd) {
        struct clone_args args = {
                /* exit_signal must be 0 with CLONE_PARENT: the init gets ours, SIGCHLD */
                .flags = flags | CLONE_PARENT,
        };
        char msg[1024];
        pid_t pid;
        int r;

        r = namespaces_join(s);
        if (r >= 0) {
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
                if (pid == 0)
                        return;
                r = pid > 0 ? pid : error_set(-errno, "clone the container's init: %m");
        }
        snprintf(msg, sizeof msg, "%s", r < 0 ? error_message(r) : "");
        (void) !write(report_fd, &r, sizeof r);
        if (r < 0)
                (void) !write(report_fd, msg, strlen(msg));
        _exit(0);
}

pid_t namespaces_clone_joined(const Spec *s, uint64_t flags, int *ret_pidfd) {
        _cleanup_close_ int rd = -1, wr = -1;
        char msg[1024] = "";
        int fds[2], r = -EIO, status;
        pid_t h;
        ssize_t n, m;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return error_set(-errno, "pipe: %m");
        rd = fds[0];
        wr = fds[1];
        h = fork();
        if (h < 0)
                return error_set(-errno, "fork: %m");
        if (h == 0) {
                closep(&rd);
                helper(s, flags, wr);
                /* the init, cloned by the helper */
                return 0;
        }
        closep(&wr);
        wr = -1;
        n = RETRY_EINTR(read(rd, &r, sizeof r));
        if (n == sizeof r && r < 0) {
                m = RETRY_EINTR(read(rd, msg, sizeof msg - 1));
                msg[m > 0 ? m : 0] = '\0';
        }
        (void) RETRY_EINTR(waitpid(h, &status, 0));
        if (n != sizeof r)
                return error_set(-EIO, "the helper that clones the container's init died");
        if (r < 0)
                return error_set(r, "%s", msg);
        /* Our child now, and not reaped: its pid cannot be another's. */
        *ret_pidfd = pidfd_open_raw(r);
        if (*ret_pidfd < 0) {
                (void) kill(r, SIGKILL);
                return error_set(-errno, "pidfd_open %d: %m", r);
        }
        return r;
}
