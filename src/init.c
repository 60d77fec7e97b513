/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "error.h"
#include "fds.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "mount.h"
#include "network.h"
#include "nsjoin.h"
#include "output.h"
#include "process-attr.h"
#include "process.h"
#include "seccomp-filter.h"
#include "state.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"
#include "timens.h"
#include "userns.h"

/* The signals that end a container that has not been started yet.  As PID 1
 * of its namespace the init would otherwise ignore them (the kernel drops
 * signals PID 1 has no handler for), and `systemctl stop` or `runsd kill`
 * would hang until SIGKILL. */
static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void on_stop_signal(int sig) {
        _exit(128 + sig);
}

/* In a new user namespace nothing works until runsd has written its id
 * maps; in any, the setup is root's. */
static int enter_user_namespace(const InitArgs *a) {
        const SpecNamespace *user = &a->spec->namespaces[NS_USER];
        char buf[256];

        if (!user->enabled)
                return 0;
        if (!user->path && sync_recv(a->sync_fd, buf, sizeof buf, true) != SYNC_USERNS_READY)
                return error_set(-EPIPE, "runsd went away during setup");
        return userns_become_root();
}

typedef struct CgroupWait {
        const InitArgs *args;
        bool done;
} CgroupWait;

/* While systemd's job for the unit runs, the init sets up whatever does not
 * depend on its cgroup; it waits here, as late as it can (before a cgroup
 * mount, else just before pivot_root: see rootfs_setup()).  A cgroup
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
        /* Our copy of runsd's state, which the hooks get, lacked it. */
        w->args->state->pid = (pid_t) strtol(buf, NULL, 10);
        if (s->namespaces[NS_CGROUP].enabled && !s->namespaces[NS_CGROUP].path && unshare(CLONE_NEWCGROUP) < 0)
                return error_set(-errno, "create cgroup namespace: %m");
        w->done = true;
        return 0;
}

/* Before pivot_root: runsd runs the hooks of its namespaces (prestart,
 * createRuntime) while we wait, then we run createContainer's in ours,
 * their paths still resolved in runsd's mount namespace. */
static int run_create_hooks(void *userdata) {
        CgroupWait *w = userdata;
        const SpecHooks *h = &w->args->spec->hooks;
        char buf[256];

        if (h->n[HOOK_PRESTART] + h->n[HOOK_CREATE_RUNTIME] > 0 &&
            (sync_send(w->args->sync_fd, SYNC_CREATE_RUNTIME, NULL) < 0 ||
             sync_recv(w->args->sync_fd, buf, sizeof buf, true) != SYNC_HOOKS_DONE))
                return error_set(-EPIPE, "runsd went away during setup");
        return hooks_run(h, HOOK_CREATE_CONTAINER, w->args->state);
}

static int setup(const InitArgs *a, char **ret_executable, scmp_filter_ctx *filter) {
        CgroupWait w = { .args = a };
        const Spec *s = a->spec;
        int r;

        /* While we are still the host's root (process.h says why). */
        r = process_apply_oom_score_adj(&s->process);
        if (r < 0)
                return error_prefix(r, "%s", s->path);
        /* Before runsd moves us into the unit's cgroup. */
        r = process_attr_initial(&s->process);
        if (r < 0)
                return error_prefix(r, "%s", s->path);
        r = enter_user_namespace(a);
        if (r < 0)
                return r;
        /* Else the helper that cloned us has joined them. */
        r = namespaces_join_before_clone(s) ? 0 : namespaces_join(s);
        if (r < 0)
                return r;
        if (s->namespaces[NS_NETWORK].enabled && !s->namespaces[NS_NETWORK].path) {
                r = loopback_up();
                if (r < 0)
                        return r;
        }
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                return error_set(-errno, "hostname: %m");
        if (s->ns.domainname && setdomainname(s->ns.domainname, strlen(s->ns.domainname)) < 0)
                return error_set(-errno, "domainname: %m");
        r = sysctl_apply(s);
        if (r < 0)
                return r;

        r = rootfs_setup(s, a->mount_fds, enter_cgroup, run_create_hooks, &w);
        if (r < 0)
                return r;
        /* After the mounts, so the pty is the container's devpts's. */
        if (a->fds.console >= 0) {
                r = terminal_setup(a->fds.console, &s->process);
                if (r < 0)
                        return r;
                close(a->fds.console);
        }
        r = seccomp_setup(s, a->sync_fd, SECCOMP_BEFORE_PROCESS, filter);
        if (r < 0)
                return r;
        r = process_setup(s, ret_executable);
        if (r < 0)
                return error_prefix(r, "%s", s->path);
        return 0;
}

_noreturn_ void container_init(const InitArgs *args) {
        _cleanup_free_ char *executable = NULL;
        _cleanup_free_ char **env = NULL;
        _cleanup_close_ int fifo = -1;
        struct sigaction sa = { .sa_handler = on_stop_signal };
        InitArgs copy = *args, *a = &copy;
        unsigned n_keep = a->fds.n_listen + a->fds.n_preserve;
        size_t n_mount_fds = a->mount_fds ? a->spec->n_mounts : 0;
        int *keep = malloc((3 + n_mount_fds) * sizeof *keep);
        scmp_filter_ctx filter = NULL;
        const char *reply;
        int r;

        log_forget_inherited();
        /* Until execve() (which makes it dumpable again) we run runsd's
         * binary, so /proc/<init>/exe is runsd on the host: non-dumpable,
         * no process of a container that can see us (one sharing our pid
         * namespace, or the host's) may open it, nor our fds or memory
         * (CVE-2019-5736; runc's init does the same). */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                _exit(1);
        if (a->fds.relay_output &&
            (dup2(a->fds.output[0], STDOUT_FILENO) < 0 || dup2(a->fds.output[1], STDERR_FILENO) < 0))
                _exit(1);
        if (!keep)
                _exit(1);
        keep[0] = a->sync_fd;
        keep[1] = a->state_dir_fd;
        keep[2] = a->fds.console;
        if (n_mount_fds > 0)
                memcpy(keep + 3, a->mount_fds, n_mount_fds * sizeof *keep);
        /* If runsd dies before we are set up, so do we.  Every fd but
         * stdio, the caller's to pass on, our own three and the idmapped
         * mounts goes: runsd's locked state directory and bus connection
         * are not the init's. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || fds_close_others(n_keep, keep, 3 + n_mount_fds) < 0)
                _exit(1);
        a->sync_fd = keep[0];
        a->state_dir_fd = keep[1];
        a->fds.console = keep[2];
        if (n_mount_fds > 0)
                a->mount_fds = keep + 3;
        for (size_t i = 0; i < ELEMENTSOF(stop_signals); i++)
                sigaction(stop_signals[i], &sa, NULL);

        r = setup(a, &executable, &filter);
        if (r >= 0 && a->fds.n_listen > 0 &&
            !(env = fds_listen_env(a->spec->process.env, a->fds.n_listen, getpid())))
                r = -ENOMEM;
        if (r < 0) {
                sync_send(a->sync_fd, SYNC_ERROR, error_message(r));
                _exit(1);
        }

        /* Nothing opened during setup may reach the container either
         * (CVE-2024-21626 class); stdio and the caller's fds stay. */
        if (fds_cloexec_from(n_keep) < 0) {
                sync_send(a->sync_fd, SYNC_ERROR, "close_range: cannot mark fds close-on-exec");
                _exit(1);
        }
        r = seccomp_setup(a->spec, a->sync_fd, SECCOMP_BEFORE_READY, &filter);
        if (r < 0) {
                sync_send(a->sync_fd, SYNC_ERROR, error_message(r));
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
        /* `runsd start` waits for a NUL, or reads why the startContainer
         * hooks failed. */
        r = fifo < 0 ? 0 : hooks_run(&a->spec->hooks, HOOK_START_CONTAINER, a->state);
        reply = r < 0 ? error_message(r) : "";
        if (fifo < 0 || RETRY_EINTR(write(fifo, reply, strlen(reply) + 1)) < 0) {
                fprintf(stderr, "runsd: container init: exec FIFO: %m\n");
                _exit(1);
        }
        if (r < 0)
                _exit(1);
        closep(&fifo);
        close(a->state_dir_fd);

        sa.sa_handler = SIG_DFL;
        for (size_t i = 0; i < ELEMENTSOF(stop_signals); i++)
                sigaction(stop_signals[i], &sa, NULL);
        r = seccomp_setup(a->spec, -1, SECCOMP_BEFORE_EXEC, &filter);
        if (r < 0) {
                fprintf(stderr, "runsd: container init: %s\n", error_message(r));
                _exit(1);
        }

        execve(executable, a->spec->process.args, env ?: a->spec->process.env ?: (char *[]) { NULL });
        fprintf(stderr, "runsd: exec %s: %m\n", executable);
        _exit(127);
}

/* The init's pid (0 in the init) or -errno with a message. */
static pid_t clone_init(const Spec *spec, bool clone_parent, int *ret_pidfd) {
        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t) (uintptr_t) ret_pidfd,
                .exit_signal = SIGCHLD,
        };
        _cleanup_close_ int own_timens = -1;
        pid_t pid;
        int r;

        for (NamespaceType t = 0; t < _NS_MAX; t++)
                /* cgroup: unshared by the init once it is in the unit's cgroup;
                 * time: entered from here (timens.h) */
                if (spec->namespaces[t].enabled && !spec->namespaces[t].path && t != NS_CGROUP && t != NS_TIME)
                        args.flags |= namespace_clone_flag(t);
        r = timens_prepare(spec, &own_timens);
        if (r < 0)
                return r;
        /* The helper that joins first clones the init as its parent's
         * child: ours, which in service mode hands it to systemd when it
         * exits (as a daemon's double fork does). */
        if (namespaces_join_before_clone(spec))
                pid = namespaces_clone_joined(spec, args.flags & ~CLONE_PIDFD, ret_pidfd);
        else {
                /* clone3() refuses an exit signal with CLONE_PARENT: the
                 * child gets ours (SIGCHLD, as systemd forked us) for our
                 * parent. */
                if (clone_parent) {
                        args.flags |= CLONE_PARENT;
                        args.exit_signal = 0;
                }
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
                if (pid < 0)
                        pid = error_set(-errno, "clone the container's init: %m");
        }
        if (pid == 0)
                return 0;
        r = timens_restore(own_timens);
        return pid < 0 ? pid : r < 0 ? r : pid;
}

/* setns() of a pid namespace makes our children its: the init's, and
 * then runsd's hooks' and whatever else runsd forks (a sanitizer's helper),
 * which belong in runsd's own, unseen by the container.  *ret_own is ours
 * to return to after the clone. */
static int join_pid_namespace(const Spec *spec, int *ret_own) {
        _cleanup_close_ int fd = -1, own = -1;
        const char *path = spec->namespaces[NS_PID].path;

        *ret_own = -1;
        if (!path)
                return 0;
        own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (own < 0)
                return error_set(-errno, "open /proc/self/ns/pid: %m");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
                return error_set(-errno, "linux.namespaces: pid: join %s: %m", path);
        *ret_own = TAKE_FD(own);
        return 0;
}

int init_spawn(const InitArgs *a, bool clone_parent, PidRef *ret) {
        _cleanup_close_ int own_pid_namespace = -1;
        InitArgs b = *a;
        int pidfd = -1, r;
        pid_t pid = -1;

        /* Here, in the host's user namespace, where a mount can be idmapped. */
        r = mount_open_idmapped(a->spec, &b.mount_fds);
        if (r < 0)
                return r;
        r = join_pid_namespace(a->spec, &own_pid_namespace);
        if (r >= 0)
                r = pid = clone_init(a->spec, clone_parent, &pidfd);
        if (r == 0)
                container_init(&b);
        mount_fds_free(b.mount_fds, a->spec->n_mounts);
        /* Our later children (hooks) are not the container's. */
        if (own_pid_namespace >= 0 && setns(own_pid_namespace, CLONE_NEWPID) < 0 && r >= 0)
                r = error_set(-errno, "return to runsd's own pid namespace: %m");
        /* (a failure after the clone leaves the init to the caller's clean-up) */
        if (pid > 0)
                *ret = (PidRef) { .pid = pid, .fd = pidfd };
        return r < 0 ? r : 0;
}
