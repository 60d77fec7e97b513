/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>

#include "error.h"
#include "process-attr.h"

static int set_affinity(const SpecBitmap *cpus, const char *field) {
        if (!cpus->words)
                return 0;
        if (sched_setaffinity(0, cpus->n_words * sizeof(unsigned long), (cpu_set_t *) cpus->words) < 0)
                return error_set(-errno, "process.execCPUAffinity.%s: sched_setaffinity: %m", field);
        return 0;
}

int process_attr_initial(const SpecProcess *p) {
        return set_affinity(&p->cpus_initial, "initial");
}

/* sched_setattr(2)'s first version (linux/sched/types.h's clashes with
 * glibc's sched.h).  The runtime spec has no utilization clamps: with this
 * size the kernel refuses SCHED_FLAG_UTIL_CLAMP_*. */
struct sched_attr_v0 {
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
};

static int apply_scheduler(const SpecScheduler *sc) {
        struct sched_attr_v0 attr = {
                .size = sizeof attr,
                .sched_policy = sc->policy,
                .sched_flags = sc->flags,
                .sched_nice = sc->nice,
                .sched_priority = sc->priority,
                .sched_runtime = sc->runtime,
                .sched_deadline = sc->deadline,
                .sched_period = sc->period,
        };

        if (!sc->set)
                return 0;
        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) {
                if (errno == EPERM && (sc->policy == SCHED_FIFO || sc->policy == SCHED_RR))
                        return error_set(-errno, "process.scheduler: sched_setattr: %m (a real-time policy needs "
                                         "CAP_SYS_NICE and, with cgroup v1's RT group scheduling, "
                                         "cpu.rt_runtime_us above 0 in the container's cgroup)");
                return error_set(-errno, "process.scheduler: sched_setattr: %m");
        }
        return 0;
}

/* The LSM's exec attribute: the label the next execve(2) gets.  The
 * process is still root here; the label takes effect only at the exec. */
static int write_exec_label(const char *path, const char *fallback, const char *prefix, const char *label,
                            const char *field) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        int n;

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && fallback)
                fd = open(fallback, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return error_set(-errno, "%s: open %s: %m (is /proc mounted in the container?)", field, path);
        n = asprintf(&text, "%s%s", prefix, label);
        if (n < 0)
                return -ENOMEM;
        if (write(fd, text, n) != n)
                return error_set(-errno, "%s: \"%s\": %m", field, label);
        return 0;
}

int process_attr_apply(const Spec *s) {
        const SpecProcess *p = &s->process;
        int r;

        if (s->has_personality && personality(s->personality) < 0)
                return error_set(-errno, "linux.personality: %m");
        if (s->memory_policy.set) {
                const SpecBitmap *nodes = &s->memory_policy.nodes;

                /* maxnode counts one more than the bits, as the kernel has had it since 2.6 */
                if (syscall(SYS_set_mempolicy, s->memory_policy.mode, nodes->words,
                            nodes->words ? nodes->n_words * 8 * sizeof(unsigned long) + 1 : 0) < 0)
                        return error_set(-errno, "linux.memoryPolicy: set_mempolicy: %m");
        }
        r = apply_scheduler(&p->scheduler);
        if (r < 0)
                return r;
        if (p->io_priority != 0 && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, p->io_priority) < 0)
                return error_set(-errno, "process.ioPriority: ioprio_set: %m");
        if (p->apparmor_profile &&
            (r = write_exec_label("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", "exec ",
                                  p->apparmor_profile, "process.apparmorProfile")) < 0)
                return r;
        if (p->selinux_label &&
            (r = write_exec_label("/proc/self/attr/exec", NULL, "", p->selinux_label, "process.selinuxLabel")) < 0)
                return r;
        return 0;
}

int process_attr_final(const SpecProcess *p) {
        return set_affinity(&p->cpus_final, "final");
}
