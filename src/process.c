/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "capabilities.h"
#include "error.h"
#include "path.h"
#include "process-attr.h"
#include "process.h"
#include "strv.h"
#include "userns.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int apply_rlimits(const SpecProcess *p) {
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {
                        .rlim_cur = p->rlimits[i].soft == UINT64_MAX ? RLIM_INFINITY : p->rlimits[i].soft,
                        .rlim_max = p->rlimits[i].hard == UINT64_MAX ? RLIM_INFINITY : p->rlimits[i].hard,
                };

                if (setrlimit(p->rlimits[i].resource, &rl) < 0) {
                        if (errno == EPERM)
                                return error_set(-errno, "process.rlimits[%zu]: raising a hard limit to %" PRIu64
                                                 " needs CAP_SYS_RESOURCE, which runsd does not have here: %m",
                                                 i, p->rlimits[i].hard);
                        return error_set(-errno, "process.rlimits[%zu]: %m", i);
                }
        }
        return 0;
}

int process_apply_oom_score_adj(const SpecProcess *p) {
        _cleanup_close_ int fd = -1;
        char buf[16], now[16] = "";
        int n;

        if (!p->has_oom_score_adj)
                return 0;
        n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
        /* Set already (the init does it early: see process.h)?  Reading
         * needs no more than the world's permission. */
        fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read(fd, now, sizeof now - 1) > 0 && strtol(now, NULL, 10) == p->oom_score_adj)
                return 0;
        closep(&fd);
        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, n) != n)
                return error_set(-errno, "process.oomScoreAdj: %m");
        return 0;
}

static int switch_user(const SpecProcess *p) {
        /* With none to set, a user namespace that denies setgroups(2) is fine. */
        if ((p->n_additional_gids > 0 || userns_setgroups_allowed()) &&
            setgroups(p->n_additional_gids, p->additional_gids) < 0)
                return error_set(-errno, "process.user.additionalGids: setgroups: %m");
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return error_set(-errno, "process.user.gid: setgid %u: %m", p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return error_set(-errno, "process.user.uid: setuid %u: %m", p->uid);
        return 0;
}

static bool is_executable(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int find_executable(const SpecProcess *p, char **ret) {
        const char *name = p->args[0], *search = DEFAULT_PATH;
        _cleanup_free_ char *dirs = NULL;
        char *dir, *save = NULL;

        if (strchr(name, '/')) {
                struct stat st;

                if (stat(name, &st) < 0)
                        return error_set(-errno, "process.args[0]: exec: \"%s\": stat %s: %m", name, name);
                if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
                        return error_set(-EACCES, "process.args[0]: exec: \"%s\": permission denied", name);
                *ret = strdup(name);
                return *ret ? 0 : -ENOMEM;
        }
        STRV_FOREACH(e, p->env)
                if (strncmp(*e, "PATH=", 5) == 0)
                        search = *e + 5;
        dirs = strdup(search);
        if (!dirs)
                return -ENOMEM;
        for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *candidate = path_join(*dir ? dir : ".", name);

                if (!candidate)
                        return -ENOMEM;
                if (is_executable(candidate)) {
                        *ret = TAKE_PTR(candidate);
                        return 0;
                }
        }
        return error_set(-ENOENT, "process.args[0]: exec: \"%s\": executable file not found in $PATH", name);
}

/* process.cwd is resolved in the container's root, but a magic link on
 * the way (/proc/self/fd/N of an fd still open during setup) leads
 * anywhere: the kernel's own answer to where we are is checked, and is no
 * path ("(unreachable)...", ENOENT from glibc) outside our root
 * (CVE-2024-21626). */
static int enter_cwd(const char *cwd) {
        char buf[PATH_MAX];

        if (chdir(cwd) < 0)
                return error_set(-errno, "process.cwd: %s: %m", cwd);
        if (!getcwd(buf, sizeof buf) || buf[0] != '/')
                return error_set(-EPERM, "process.cwd: %s: leads outside the container's root", cwd);
        return 0;
}

int process_setup(const Spec *s, char **ret_executable) {
        const SpecProcess *p = &s->process;
        int r;

        r = enter_cwd(p->cwd);
        if (r < 0)
                return r;
        if (p->has_umask)
                umask(p->umask);
        if ((r = apply_rlimits(p)) < 0 || (r = process_apply_oom_score_adj(p)) < 0 || (r = process_attr_apply(s)) < 0)
                return r;
        if (p->has_capabilities) {
                r = capabilities_drop_bounding(&p->capabilities);
                if (r < 0)
                        return r;
                /* Keep the permitted set across setuid; capabilities_apply()
                 * then trims it to what the config says. */
                if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                        return -errno;
        }
        r = switch_user(p);
        if (r < 0)
                return r;
        if (p->has_capabilities) {
                r = capabilities_apply(&p->capabilities);
                if (r < 0)
                        return r;
        }
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return error_set(-errno, "process.noNewPrivileges: %m");
        r = process_attr_final(p);
        if (r < 0)
                return r;
        return find_executable(p, ret_executable);
}
