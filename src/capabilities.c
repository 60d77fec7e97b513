/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/capability.h>
#include <sys/prctl.h>

#include "capabilities.h"
#include "error.h"
#include "log.h"

static void cap_freep(cap_t *c) {
        if (*c)
                cap_free(*c);
}

static bool has(uint64_t set, cap_value_t c) {
        return c < 64 && (set & (UINT64_C(1) << c));
}

int capabilities_drop_bounding(const SpecCapabilities *c) {
        cap_value_t last = cap_max_bits() - 1;

        for (cap_value_t i = 0; i <= last; i++)
                if (!has(c->bounding, i) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
                        return error_set(-errno, "drop %s from the bounding set: %m", cap_to_name(i));
        return 0;
}

int capabilities_apply(const SpecCapabilities *c) {
        _cleanup_(cap_freep) cap_t caps = cap_init();
        cap_value_t last = cap_max_bits() - 1;

        if (!caps)
                return -ENOMEM;
        for (cap_value_t i = 0; i <= last; i++) {
                if (has(c->effective, i) && cap_set_flag(caps, CAP_EFFECTIVE, 1, &i, CAP_SET) < 0)
                        return -errno;
                if (has(c->permitted, i) && cap_set_flag(caps, CAP_PERMITTED, 1, &i, CAP_SET) < 0)
                        return -errno;
                if (has(c->inheritable, i) && cap_set_flag(caps, CAP_INHERITABLE, 1, &i, CAP_SET) < 0)
                        return -errno;
        }
        if (cap_set_proc(caps) < 0)
                return error_set(-errno, "process.capabilities: set capabilities: %m");

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return error_set(-errno, "process.capabilities.ambient: clear: %m");
        for (cap_value_t i = 0; i <= last; i++) {
                if (!has(c->ambient, i))
                        continue;
                /* The kernel takes an ambient capability only if it is also
                 * permitted and inheritable; runc and crun skip the others,
                 * and runc's own default config asks for such ones. */
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0) {
                        if (errno != EPERM && errno != EINVAL)
                                return error_set(-errno, "process.capabilities.ambient: raise %s: %m", cap_to_name(i));
                        log_debug("process.capabilities.ambient: %s is not permitted and inheritable; skipped", cap_to_name(i));
                }
        }
        return 0;
}
