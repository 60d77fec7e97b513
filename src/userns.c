/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "error.h"
#include "userns.h"

/* The kernel takes a map in one write of less than a page; the parser has
 * checked it fits (id_map_text_len()). */
static int write_map(pid_t pid, const char *file, const char *field, const SpecIdMap *m, size_t n) {
        _cleanup_close_ int fd = -1;
        char path[64], text[ID_MAP_TEXT_MAX];
        size_t len = 0;

        for (size_t i = 0; i < n; i++)
                len += snprintf(text + len, sizeof text - len, ID_MAP_LINE, m[i].container_id, m[i].host_id,
                                m[i].size);
        snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, len) != (ssize_t) len)
                return error_set(-errno, "%s: write %s: %m", field, path);
        return 0;
}

int userns_open_mapped(const SpecIdMap *uid, size_t n_uid, const SpecIdMap *gid, size_t n_gid, const char *base) {
        struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
        _cleanup_close_ int fd = -1;
        int pipefd[2], r;
        char path[64], field[64];
        pid_t pid;

        /* A child holds the namespace until its maps are written and it
         * is opened; it waits for the pipe's other end to close. */
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) {
                char c;

                close(pipefd[1]);
                (void) !read(pipefd[0], &c, 1);
                _exit(0);
        }
        close(pipefd[0]);
        if (pid < 0) {
                close(pipefd[1]);
                return error_set(-errno, "%s: make a user namespace for the mappings: %m", base);
        }
        snprintf(field, sizeof field, "%s.uidMappings", base);
        r = write_map(pid, "uid_map", field, uid, n_uid);
        if (r >= 0) {
                snprintf(field, sizeof field, "%s.gidMappings", base);
                r = write_map(pid, "gid_map", field, gid, n_gid);
        }
        if (r >= 0) {
                snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = error_set(-errno, "%s: open %s: %m", base, path);
        }
        close(pipefd[1]);
        (void) RETRY_EINTR(waitpid(pid, NULL, 0));
        return r < 0 ? r : TAKE_FD(fd);
}

/* /proc/PID/setgroups stays "allow": runsd is root, and root may write a
 * gid map without denying setgroups(2), which the container's
 * process.user.additionalGids need.  (runc denies it only for rootless
 * containers.) */
int userns_write_maps(pid_t pid, const Spec *s) {
        int r;

        r = write_map(pid, "uid_map", "linux.uidMappings", s->ns.uid_mappings, s->ns.n_uid_mappings);
        if (r < 0)
                return error_prefix(r, "%s", s->path);
        r = write_map(pid, "gid_map", "linux.gidMappings", s->ns.gid_mappings, s->ns.n_gid_mappings);
        if (r < 0)
                return error_prefix(r, "%s", s->path);
        return 0;
}

bool userns_setgroups_allowed(void) {
        char buf[16] = "";
        _cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

        /* Without the file (before Linux 3.19) setgroups(2) is allowed. */
        return fd < 0 || read(fd, buf, sizeof buf - 1) < 0 || strncmp(buf, "deny", 4) != 0;
}

int userns_become_root(void) {
        /* Capabilities in the namespace stay: its root is who we become.
         * The host's groups go, unless the namespace (one joined by path,
         * made by an unprivileged user) denies setgroups(2). */
        if (setresgid(0, 0, 0) < 0 || (userns_setgroups_allowed() && setgroups(0, NULL) < 0) ||
            setresuid(0, 0, 0) < 0)
                return error_set(-errno, "become root of the user namespace: %m");
        return 0;
}
