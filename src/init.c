/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "error.h"
#include "init.h"
#include "mount.h"
#include "network.h"
#include "process.h"
#include "state.h"
#include "sync.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The signals that end a container that has not been started yet.  As PID 1
 * of its namespace the init would otherwise ignore them (the kernel drops
 * signals PID 1 has no handler for), and `systemctl stop` or `runsd kill`
 * would hang until SIGKILL. */
static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void on_stop_signal(int sig) {
        _exit(128 + sig);
}

/* Close every fd but stdio, a and b: runsd's locked state
 * directory, its bus connection and the caller's fds are not the init's. */
static int close_all_but(int a, int b) {
        int lo = a < b ? a : b, hi = a < b ? b : a;

        if ((lo > 3 && syscall(SYS_close_range, 3, lo - 1, 0) < 0) ||
            (hi > lo + 1 && syscall(SYS_close_range, lo + 1, hi - 1, 0) < 0) ||
            syscall(SYS_close_range, hi + 1, ~0U, 0) < 0)
                return -errno;
        return 0;
}

static int join_namespaces(const Spec *s) {
        for (NamespaceType t = 0; t < _NS_MAX; t++) {
                _cleanup_close_ int fd = -1;

                /* pid is joined by runsd before the clone: setns() of a pid
                 * namespace only applies to children. */
                if (!s->namespaces[t].path || t == NS_PID)
                        continue;
                fd = open(s->namespaces[t].path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return error_set(-errno, "linux.namespaces: %s: open %s: %m",
                                         namespace_type_to_string(t), s->namespaces[t].path);
                if (setns(fd, namespace_clone_flag(t)) < 0)
                        return error_set(-errno, "linux.namespaces: %s: join %s: %m",
                                         namespace_type_to_string(t), s->namespaces[t].path);
        }
        return 0;
}

typedef struct CgroupWait {
        const InitArgs *args;
        bool done;
} CgroupWait;

/* While systemd's job for the unit runs, the init sets up whatever does not
 * depend on its cgroup; it waits here, as late as it can.  A cgroup
 * namespace made before runsd has put us in the unit's cgroup would be
 * rooted in runsd's cgroup, not the container's, and so would a cgroup
 * mount. */
static int enter_cgroup(void *userdata) {
        CgroupWait *w = userdata;
        const Spec *s = w->args->spec;
        char buf[256];

        if (w->done)
                return 0;
        if (sync_recv(w->args->sync_fd, buf, sizeof buf, true) != SYNC_CGROUP_READY)
                return error_set(-EPIPE, "runsd went away during setup");
        if (s->namespaces[NS_CGROUP].enabled && !s->namespaces[NS_CGROUP].path && unshare(CLONE_NEWCGROUP) < 0)
                return error_set(-errno, "create cgroup namespace: %m");
        w->done = true;
        return 0;
}

static int setup(const InitArgs *a, char **ret_executable) {
        CgroupWait w = { .args = a };
        const Spec *s = a->spec;
        int r;

        r = join_namespaces(s);
        if (r < 0)
                return r;
        if (s->namespaces[NS_NETWORK].enabled && !s->namespaces[NS_NETWORK].path) {
                r = loopback_up();
                if (r < 0)
                        return r;
        }
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                return error_set(-errno, "hostname: %m");

        r = rootfs_setup(s, enter_cgroup, &w);
        if (r < 0)
                return r;
        r = enter_cgroup(&w);
        if (r < 0)
                return r;
        r = process_setup(&s->process, ret_executable);
        if (r < 0)
                return error_prefix(r, "%s", s->path);
        return 0;
}

_noreturn_ void container_init(const InitArgs *a) {
        _cleanup_free_ char *executable = NULL;
        _cleanup_close_ int fifo = -1;
        struct sigaction sa = { .sa_handler = on_stop_signal };
        char byte = 0;
        int r;

        /* If runsd dies before we are set up, so do we. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || close_all_but(a->sync_fd, a->state_dir_fd) < 0)
                _exit(1);
        for (size_t i = 0; i < ELEMENTSOF(stop_signals); i++)
                sigaction(stop_signals[i], &sa, NULL);

        r = setup(a, &executable);
        if (r < 0) {
                sync_send(a->sync_fd, SYNC_ERROR, error_message(r));
                _exit(1);
        }

        /* Nothing opened during setup may reach the container either
         * (CVE-2024-21626 class); stdio stays. */
        if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                sync_send(a->sync_fd, SYNC_ERROR, "close_range: cannot mark fds close-on-exec");
                _exit(1);
        }
        /* From here on the init outlives runsd. */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (sync_send(a->sync_fd, SYNC_INIT_READY, NULL) < 0)
                _exit(1);
        close(a->sync_fd);

        /* Blocks until `runsd start` opens the other end.  The state
         * directory fd was opened before pivot_root, so the FIFO is reached
         * outside the container's root. */
        fifo = RETRY_EINTR(openat(a->state_dir_fd, EXEC_FIFO, O_WRONLY | O_CLOEXEC));
        if (fifo < 0 || RETRY_EINTR(write(fifo, &byte, 1)) != 1) {
                fprintf(stderr, "runsd: container init: exec FIFO: %m\n");
                _exit(1);
        }
        closep(&fifo);
        close(a->state_dir_fd);

        sa.sa_handler = SIG_DFL;
        for (size_t i = 0; i < ELEMENTSOF(stop_signals); i++)
                sigaction(stop_signals[i], &sa, NULL);

        execve(executable, a->spec->process.args, a->spec->process.env ?: (char *[]) { NULL });
        fprintf(stderr, "runsd: exec %s: %m\n", executable);
        _exit(127);
}
