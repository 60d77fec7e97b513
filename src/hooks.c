/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "error.h"
#include "fileio.h"
#include "hooks.h"
#include "log.h"
#include "pidref.h"

#define HOOKS_FILE "hooks.json"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The status runtime-spec config.md gives the state each hook is passed. */
static ContainerStatus hook_status(HookType t) {
        switch (t) {
        case HOOK_START_CONTAINER:
                return STATUS_CREATED;
        case HOOK_POSTSTART:
                return STATUS_RUNNING;
        case HOOK_POSTSTOP:
                return STATUS_STOPPED;
        default:
                return STATUS_CREATING;
        }
}

static bool hook_failure_is_warning(HookType t) {
        return t == HOOK_POSTSTART || t == HOOK_POSTSTOP;
}

/* The state on a memfd rather than a pipe: a hook that never reads its
 * stdin cannot block us, whatever the size of the annotations. */
static int state_memfd(const ContainerState *s, ContainerStatus status) {
        _cleanup_(json_decrefp) json_t *o = state_to_json(s, status, false);
        _cleanup_free_ char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        int fd;

        if (!text)
                return -ENOMEM;
        /* Never one of stdin, stdout and stderr, which the hook gets:
         * main() made any closed one /dev/null first thing. */
        fd = memfd_with("runsd-hook-state", text, strlen(text), false);
        if (fd < 0)
                return error_set(fd, "memfd for a hook's stdin: %m");
        return fd;
}

_noreturn_ static void hook_exec(const SpecHook *h, int stdin_fd, int report_fd) {
        char *path_only[] = { h->path, NULL };
        sigset_t none;
        int e;

        /* Its own process group, so its timeout ends what it started too. */
        (void) setpgid(0, 0);
        sigemptyset(&none);
        if (dup2(stdin_fd, STDIN_FILENO) < 0 ||
            sigprocmask(SIG_SETMASK, &none, NULL) < 0 ||
            syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                goto fail;
        execve(h->path, h->args && h->args[0] ? h->args : path_only, h->env ?: (char *[]) { NULL });
fail:
        e = errno;
        (void) !write(report_fd, &e, sizeof e);
        _exit(127);
}

/* What a hook's wait status says went wrong; NULL if nothing did. */
static const char *describe_status(int status, char *buf, size_t size) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return NULL;
        if (WIFEXITED(status))
                snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
        else
                snprintf(buf, size, "killed by signal SIG%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
        return buf;
}

static int hook_run_one(const SpecHook *h, const char *name, int stdin_fd) {
        _cleanup_close_ int report_r = -1, report_w = -1, pidfd = -1;
        struct timespec timeout = { .tv_sec = h->timeout };
        struct pollfd p;
        char why[64];
        int fds[2], e, status, n;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return error_set(-errno, "%s: pipe: %m", name);
        report_r = fds[0];
        report_w = fds[1];

        pid = fork();
        if (pid < 0)
                return error_set(-errno, "%s: fork: %m", name);
        if (pid == 0)
                hook_exec(h, stdin_fd, report_w);
        closep(&report_w);
        pidfd = pidfd_open_raw(pid);
        if (pidfd < 0) {
                e = errno;
                (void) kill(pid, SIGKILL);
                (void) RETRY_EINTR(waitpid(pid, NULL, 0));
                return error_set(-e, "%s: pidfd_open: %m", name);
        }

        /* EOF once execve() has closed the write end: the hook runs. */
        n = (int) RETRY_EINTR(read(report_r, &e, sizeof e));
        if (n == (int) sizeof e) {
                (void) RETRY_EINTR(waitpid(pid, NULL, 0));
                return error_set(-e, "%s: exec %s: %m", name, h->path);
        }

        p = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        if (RETRY_EINTR(ppoll(&p, 1, h->timeout ? &timeout : NULL, NULL)) == 0) {
                (void) kill(-pid, SIGKILL);
                (void) pidfd_send_signal_raw(pidfd, SIGKILL);
                (void) RETRY_EINTR(waitpid(pid, NULL, 0));
                return error_set(-ETIMEDOUT, "%s: %s: killed after its timeout of %u s", name, h->path, h->timeout);
        }
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return error_set(-errno, "%s: wait for %s: %m", name, h->path);
        if (describe_status(status, why, sizeof why))
                return error_set(-EPROTO, "%s: %s: %s", name, h->path, why);
        return 0;
}

static int run_all(const SpecHooks *h, HookType t, const ContainerState *s) {
        _cleanup_close_ int stdin_fd = -1;
        int r;

        stdin_fd = state_memfd(s, hook_status(t));
        if (stdin_fd < 0)
                return stdin_fd;
        for (size_t i = 0; i < h->n[t]; i++) {
                char name[64];

                snprintf(name, sizeof name, "hooks.%s[%zu]", hook_type_to_string(t), i);
                log_debug("container %s: running %s: %s", s->id, name, h->list[t][i].path);
                /* Each reads the state from its start. */
                if (lseek(stdin_fd, 0, SEEK_SET) < 0)
                        return error_set(-errno, "%s: rewind its stdin: %m", name);
                r = hook_run_one(&h->list[t][i], name, stdin_fd);
                if (r < 0 && !hook_failure_is_warning(t))
                        return r;
                if (r < 0) {
                        log_warning("container %s: %s", s->id, error_message(r));
                        error_clear();
                }
        }
        return 0;
}

int hooks_run(const SpecHooks *h, HookType t, const ContainerState *s) {
        int r;

        if (h->n[t] == 0)
                return 0;
        r = run_all(h, t, s);
        if (r < 0 && hook_failure_is_warning(t)) {
                log_warning("container %s: %s hooks: %s", s->id, hook_type_to_string(t), error_message(r));
                error_clear();
                return 0;
        }
        return r;
}

int hooks_save(const StateDir *d, const SpecHooks *h) {
        _cleanup_(json_decrefp) json_t *o = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        if (h->n[HOOK_POSTSTART] == 0 && h->n[HOOK_POSTSTOP] == 0)
                return 0;
        o = spec_hooks_to_json(h, 1U << HOOK_POSTSTART | 1U << HOOK_POSTSTOP);
        text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (!text)
                return -ENOMEM;
        r = write_file_atomic(d->fd, HOOKS_FILE, text, strlen(text), 0600);
        if (r < 0)
                return error_set(r, "write %s/%s: %m", d->path, HOOKS_FILE);
        return 0;
}

static int load(const StateDir *d, SpecHooks *ret) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        _cleanup_close_ int fd = -1;
        size_t len;
        int r, e;

        fd = openat(d->fd, HOOKS_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        e = fd < 0 ? errno : 0;
        if (e == ENOENT)
                return 0;
        if (asprintf(&path, "%s/%s", d->path, HOOKS_FILE) < 0)
                return -ENOMEM;
        if (fd < 0)
                return error_set(-e, "open %s: %m", path);
        r = read_full_fd(fd, 16 * 1024 * 1024, &text, &len);
        if (r < 0)
                return error_set(r, "read %s: %m", path);
        return spec_hooks_parse_text(text, len, path, ret);
}

void hooks_load(const StateDir *d, SpecHooks *ret) {
        int r = load(d, ret);

        if (r < 0) {
                log_warning("container %s: its poststart and poststop hooks are lost: %s", d->id, error_message(r));
                error_clear();
        }
}
