/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include "error.h"
#include "timens.h"

static int write_offsets(const Spec *s) {
        static const clockid_t ids[_TIME_CLOCK_MAX] = {
                [TIME_MONOTONIC] = CLOCK_MONOTONIC,
                [TIME_BOOTTIME] = CLOCK_BOOTTIME,
        };
        _cleanup_close_ int fd = -1;

        fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return error_set(-errno, "%s: linux.timeOffsets: open /proc/self/timens_offsets: %m", s->path);
        /* One line per write: an error then names its clock. */
        for (TimeClock c = 0; c < _TIME_CLOCK_MAX; c++) {
                const SpecTimeOffset *o = &s->ns.time_offsets[c];
                char line[64];
                int n;

                if (!o->set)
                        continue;
                n = snprintf(line, sizeof line, "%d %" PRId64 " %" PRIu32 "\n", ids[c], o->secs, o->nanosecs);
                if (write(fd, line, n) != n)
                        return error_set(-errno, "%s: linux.timeOffsets.%s: %m%s", s->path, time_clock_to_string(c),
                                         errno == ERANGE ? " (the clock would go below zero)" : "");
        }
        return 0;
}

int timens_prepare(const Spec *s, int *ret_own) {
        _cleanup_close_ int own = -1;
        int r;

        *ret_own = -1;
        if (!s->namespaces[NS_TIME].enabled || s->namespaces[NS_TIME].path)
                return 0;
        own = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
        if (own < 0 && errno == ENOENT)
                return error_set(-EOPNOTSUPP, "%s: linux.namespaces: time: this kernel has no time namespaces "
                                 "(they came with Linux 5.6, CONFIG_TIME_NS)", s->path);
        if (own < 0)
                return error_set(-errno, "open /proc/self/ns/time: %m");
        if (unshare(CLONE_NEWTIME) < 0)
                return error_set(-errno, "%s: linux.namespaces: time: unshare: %m", s->path);
        r = write_offsets(s);
        if (r < 0) {
                (void) timens_restore(own);
                return r;
        }
        *ret_own = TAKE_FD(own);
        return 0;
}

int timens_restore(int own) {
        if (own >= 0 && setns(own, CLONE_NEWTIME) < 0)
                return error_set(-errno, "return to runsd's own time namespace: %m");
        return 0;
}
