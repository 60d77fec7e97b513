/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "error.h"
#include "exec.h"
#include "fds.h"
#include "host-check.h"
#include "log.h"
#include "path.h"
#include "process-attr.h"
#include "process.h"
#include "seccomp-filter.h"
#include "strv.h"
#include "sync.h"
#include "terminal.h"

/* ------------------------------------------------------------ what to run */

static int strv_set_env(char ***env, const char *assignment) {
        size_t name_len = strcspn(assignment, "=") + 1, n = strv_length(*env);
        char *copy = strdup(assignment), **l;

        if (!copy)
                return -ENOMEM;
        STRV_FOREACH(e, *env)
                if (strncmp(*e, assignment, name_len) == 0) {
                        free(*e);
                        *e = copy;
                        return 0;
                }
        l = realloc(*env, (n + 2) * sizeof(char *));
        if (!l) {
                free(copy);
                return -ENOMEM;
        }
        l[n] = copy;
        l[n + 1] = NULL;
        *env = l;
        return 0;
}

static char **strv_copy(char **l) {
        size_t n = strv_length(l);
        char **c = calloc(n + 1, sizeof(char *));

        for (size_t i = 0; c && i < n; i++)
                if (!(c[i] = strdup(l[i]))) {
                        strv_free(c);
                        return NULL;
                }
        return c;
}

static int apply_options(const ExecOptions *o, SpecProcess *p) {
        int r;

        if (o->args) {
                char **args = strv_copy(o->args);

                if (!args)
                        return -ENOMEM;
                strv_free(p->args);
                p->args = args;
        }
        if (o->cwd) {
                if (!path_is_absolute(o->cwd) || !path_is_normalized(o->cwd))
                        return error_set(-EINVAL, "exec: --cwd \"%s\" must be an absolute path without \"..\"", o->cwd);
                free(p->cwd);
                if (!(p->cwd = strdup(o->cwd)))
                        return -ENOMEM;
        }
        STRV_FOREACH(e, o->env)
                if ((r = strv_set_env(&p->env, *e)) < 0)
                        return r;
        if (o->set_user)
                p->uid = o->uid;
        if (o->set_gid)
                p->gid = o->gid;
        STRV_FOREACH(c, o->caps) {
                cap_value_t v;

                if (cap_from_name(*c, &v) < 0 || v >= 64)
                        return error_set(-EINVAL, "exec: --cap \"%s\": unknown capability", *c);
                p->capabilities.bounding |= UINT64_C(1) << v;
                p->capabilities.effective |= UINT64_C(1) << v;
                p->capabilities.permitted |= UINT64_C(1) << v;
        }
        if (o->no_new_privs)
                p->no_new_privileges = true;
        if (o->tty)
                p->terminal = true;
        return 0;
}

int exec_prepare(const ExecOptions *o, const char *bundle, Spec **ret) {
        _cleanup_(spec_freep) Spec *spec = NULL;
        int r;

        /* Always the container's config: its linux.seccomp is the exec'd
         * process's too, as with runc. */
        r = spec_load(bundle, &spec);
        if (r < 0)
                return error_prefix(r, "exec: the container's config");
        if (o->process_file) {
                _cleanup_(spec_process_freep) SpecProcess *p = NULL;

                r = spec_process_load(o->process_file, &p);
                if (r < 0)
                        return r;
                spec_process_done(&spec->process);
                spec->process = *p;
                *p = (SpecProcess) {};
        }
        if (spec->seccomp && seccomp_uses_notify(spec->seccomp))
                return error_set(-EOPNOTSUPP, "exec: %s: linux.seccomp has SCMP_ACT_NOTIFY rules, which exec does not "
                                 "support yet", spec->path);
        r = apply_options(o, &spec->process);
        if (r < 0)
                return r;
        r = host_check(spec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(spec);
        return 0;
}

/* ------------------------------------------------------------ starting it */

/* Those of the init's namespaces that are not ours: setns() refuses to
 * "join" our own user namespace, and the others we share need no joining. */
static int namespaces_to_join(pid_t pid, int *ret_flags) {
        int flags = 0;

        for (NamespaceType t = 0; t < _NS_MAX; t++) {
                char theirs[64], ours[64];
                struct stat a, b;

                snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", pid, namespace_proc_name(t));
                snprintf(ours, sizeof ours, "/proc/self/ns/%s", namespace_proc_name(t));
                if (stat(ours, &b) < 0)
                        continue;       /* not in this kernel */
                if (stat(theirs, &a) < 0)
                        return error_set(-errno, "container not running: %s: %m", theirs);
                if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
                        flags |= (int) namespace_clone_flag(t);
        }
        *ret_flags = flags;
        return 0;
}

typedef struct Helper {
        const Spec *spec;               /* the container's, with the exec'd process */
        pid_t init_pid;
        int init_pidfd;
        int ns_flags;
        int sync_fd;
        int console_fd;
        unsigned n_preserve;
} Helper;

_noreturn_ static void fail(int sync_fd, int r) {
        sync_send(sync_fd, SYNC_ERROR, error_message(r));
        _exit(1);
}

/* The process, inside the container: from here on its setup is the same
 * as the init's, in process_setup(). */
_noreturn_ static void run_process(const Helper *h) {
        const SpecProcess *p = &h->spec->process;
        _cleanup_free_ char *executable = NULL;
        scmp_filter_ctx filter = NULL;
        int r;

        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                fail(h->sync_fd, error_set(-errno, "prctl: %m"));
        /* Its own session, as the init has: the caller's terminal and job
         * control are runsd's, which passes signals on. */
        if (h->console_fd >= 0)
                r = terminal_setup(h->console_fd, p);
        else
                r = setsid() < 0 ? error_set(-errno, "setsid: %m") : 0;
        if (r < 0)
                fail(h->sync_fd, r);
        if (h->console_fd >= 0)
                close(h->console_fd);
        /* User, capabilities, no_new_privs, rlimits, cwd, seccomp: the
         * process's security settings are the init's, at the same points. */
        r = seccomp_setup(h->spec, h->sync_fd, SECCOMP_BEFORE_PROCESS, &filter);
        if (r >= 0)
                r = process_setup(h->spec, &executable);
        if (r >= 0)
                r = seccomp_setup(h->spec, h->sync_fd, SECCOMP_BEFORE_READY, &filter);
        if (r < 0)
                fail(h->sync_fd, r);
        r = fds_cloexec_from(h->n_preserve);
        if (r < 0)
                fail(h->sync_fd, error_set(r, "close_range: cannot mark fds close-on-exec: %m"));
        /* Outlives runsd from here (--detach). */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        r = seccomp_setup(h->spec, h->sync_fd, SECCOMP_BEFORE_EXEC, &filter);
        if (r < 0)
                fail(h->sync_fd, r);
        /* The sync socket is close-on-exec: runsd sees it close. */
        execve(executable, p->args, p->env ?: (char *[]) { NULL });
        fail(h->sync_fd, error_set(-errno, "exec %s: %m", executable));
}

/* runsd's child: joins the container, then starts the process as runsd's
 * child (CLONE_PARENT), since joining a pid namespace takes a fork. */
_noreturn_ static void helper(Helper *h) {
        /* (the exit signal is ours, SIGCHLD: clone3 takes none with CLONE_PARENT) */
        struct clone_args args = { .flags = CLONE_PARENT };
        int keep[3] = { h->sync_fd, h->console_fd, h->init_pidfd };
        char text[32];
        pid_t pid;
        int r;

        log_forget_inherited();
        /* In the container's namespaces nothing of runsd may be reached:
         * not its memory (non-dumpable: no ptrace, no /proc/PID/mem or exe
         * for the container), not its fds. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                fail(h->sync_fd, error_set(-errno, "prctl: %m"));
        r = fds_close_others(h->n_preserve, keep, ELEMENTSOF(keep));
        h->sync_fd = keep[0];
        h->console_fd = keep[1];
        h->init_pidfd = keep[2];
        if (r < 0)
                fail(h->sync_fd, error_set(r, "close runsd's fds: %m"));

        /* The cgroup first: its files are the host's. */
        r = process_attr_initial(&h->spec->process);
        if (r >= 0)
                r = cgroup_join_cgroups_of(h->init_pid);
        if (r < 0)
                fail(h->sync_fd, r);
        if (h->ns_flags && setns(h->init_pidfd, h->ns_flags) < 0)
                fail(h->sync_fd, error_set(-errno, "join the namespaces of the container's init %d: %m", h->init_pid));
        close(h->init_pidfd);

        pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
        if (pid < 0)
                fail(h->sync_fd, error_set(-errno, "fork into the container: %m"));
        if (pid == 0)
                run_process(h);
        snprintf(text, sizeof text, "%d", pid);
        _exit(sync_send(h->sync_fd, SYNC_EXEC_PID, text) < 0);
}

/* The helper's message: the process's pid. */
static int helper_result(int fd, pid_t helper_pid, pid_t *ret) {
        char msg[4096], *end;
        long pid;
        int r, status;

        r = sync_recv(fd, msg, sizeof msg, true);
        (void) RETRY_EINTR(waitpid(helper_pid, &status, 0));
        if (r == SYNC_ERROR)
                return error_set(-EINVAL, "%s", msg);
        if (r != SYNC_EXEC_PID)
                return error_set(r < 0 ? r : -ECHILD, "exec: runsd's helper died joining the container");
        errno = 0;
        pid = strtol(msg, &end, 10);
        if (errno || *end || pid <= 0)
                return error_set(-EPROTO, "exec: runsd's helper sent \"%s\", not a pid", msg);
        *ret = (pid_t) pid;
        return 0;
}

int exec_spawn(const Spec *spec, const PidRef *init, int console_fd, unsigned n_preserve, PidRef *ret) {
        _cleanup_close_ int parent_fd = -1, child_fd = -1;
        PidRef proc = PIDREF_NULL;
        char msg[4096];
        pid_t pid;
        int fds[2], flags = 0, r;

        r = namespaces_to_join(init->pid, &flags);
        if (r < 0)
                return r;
        r = sync_socketpair(fds);
        if (r < 0)
                return error_set(r, "socketpair: %m");
        parent_fd = fds[0];
        child_fd = fds[1];

        pid = fork();
        if (pid < 0)
                return error_set(-errno, "fork: %m");
        if (pid == 0) {
                closep(&parent_fd);
                helper(&(Helper) { .spec = spec, .init_pid = init->pid, .init_pidfd = init->fd, .ns_flags = flags,
                                   .sync_fd = child_fd, .console_fd = console_fd, .n_preserve = n_preserve });
        }
        closep(&child_fd);
        child_fd = -1;
        r = helper_result(parent_fd, pid, &proc.pid);
        if (r < 0)
                return r;
        /* Our child: its pid is not reused before we reap it. */
        proc.fd = pidfd_open_raw(proc.pid);
        if (proc.fd < 0)
                return error_set(-errno, "pidfd_open %d: %m", proc.pid);
        /* EOF: it has exec'd (the socket is close-on-exec). */
        r = sync_recv(parent_fd, msg, sizeof msg, true);
        if (r != 0) {
                (void) pidref_reap(&proc);
                pidref_done(&proc);
                if (r == SYNC_ERROR)
                        return error_set(-EINVAL, "%s", msg);
                return error_set(r < 0 ? r : -EPROTO, "exec: unexpected message from the process");
        }
        *ret = proc;
        return 0;
}
