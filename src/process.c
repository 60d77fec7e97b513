/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "capabilities.h"
#include "error.h"
#include "path.h"
#include "process.h"
#include "strv.h"

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

static int apply_oom_score_adj(const SpecProcess *p) {
        _cleanup_close_ int fd = -1;
        char buf[16];
        int n;

        if (!p->has_oom_score_adj)
                return 0;
        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
        if (fd < 0 || write(fd, buf, n) != n)
                return error_set(-errno, "process.oomScoreAdj: %m");
        return 0;
}

static int switch_user(const SpecProcess *p) {
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
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

int process_setup(const SpecProcess *p, char **ret_executable) {
        int r;

        if (chdir(p->cwd) < 0)
                return error_set(-errno, "process.cwd: %s: %m", p->cwd);
        if (p->has_umask)
                umask(p->umask);
        if ((r = apply_rlimits(p)) < 0 || (r = apply_oom_score_adj(p)) < 0)
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
        return find_executable(p, ret_executable);
}
