/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "sysctl.h"

static int write_proc_sys(const char *key, const char *value) {
        _cleanup_close_ int fd = -1;
        char path[512];
        size_t len = strlen(value);

        /* spec.c let through only dot-separated names */
        snprintf(path, sizeof path, "/proc/sys/%s", key);
        for (char *c = path + strlen("/proc/sys/"); *c; c++)
                if (*c == '.')
                        *c = '/';
        fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || write(fd, value, len) != (ssize_t) len)
                return -errno;
        return 0;
}

int sysctl_apply(const Spec *s) {
        for (char **kv = s->ns.sysctl; kv && kv[0]; kv += 2) {
                int r;

                /* The uts keys through their system calls: their files
                 * belong to the host's root even in the uts namespace of a
                 * new user namespace, whose root may call these. */
                if (streq(kv[0], "kernel.hostname"))
                        r = sethostname(kv[1], strlen(kv[1])) < 0 ? -errno : 0;
                else if (streq(kv[0], "kernel.domainname"))
                        r = setdomainname(kv[1], strlen(kv[1])) < 0 ? -errno : 0;
                else
                        r = write_proc_sys(kv[0], kv[1]);
                if (r < 0)
                        return error_set(r, "%s: linux.sysctl.%s: %m", s->path, kv[0]);
        }
        return 0;
}
