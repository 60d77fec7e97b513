/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <limits.h>
#include <linux/mempolicy.h>
#include <linux/sched.h>
#include <sched.h>
#include <string.h>
#include <sys/personality.h>

#include "spec-parse.h"
#include "spec.h"
#include "strv.h"

/* What the container's processes run with beyond user and capabilities:
 * process.scheduler, ioPriority, execCPUAffinity, apparmorProfile and
 * selinuxLabel, linux.personality, memoryPolicy and mountLabel, checked
 * here and held as the syscalls take them (process-attr.c applies them). */

/* The highest CPU and NUMA node numbers a list may name: the kernel's
 * NR_CPUS and MAX_NUMNODES at most. */
#define CPU_MAX 8191
#define NODE_MAX 1023

typedef struct Name {
        const char *name;
        unsigned long value;
} Name;

static const Name *name_find(const Name *table, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(table[i].name, name))
                        return &table[i];
        return NULL;
}

/* A required string at key, one of table's names. */
static int get_name(const Parser *p, json_t *obj, const char *key, const char *field, const Name *table, size_t n,
                    const char *what, unsigned long *ret) {
        _cleanup_free_ char *s = NULL;
        const Name *found;
        int r;

        r = get_required_string(p, obj, key, field, &s);
        if (r < 0)
                return r;
        found = name_find(table, n, s);
        if (!found)
                return field_error(p, field, "unknown %s \"%s\"", what, s);
        *ret = found->value;
        return 0;
}

/* An array of table's names at key, or'ed. */
static int get_flags(const Parser *p, json_t *obj, const char *key, const char *field, const Name *table, size_t n,
                     unsigned long *ret) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        *ret = 0;
        r = get_strv(p, obj, key, field, &names);
        if (r <= 0)
                return r;
        STRV_FOREACH(s, names) {
                const Name *found = name_find(table, n, *s);

                if (!found)
                        return field_error(p, field, "unknown flag \"%s\"", *s);
                *ret |= found->value;
        }
        return 0;
}

static int bitmap_set(SpecBitmap *b, unsigned i) {
        size_t w = i / (8 * sizeof(unsigned long));

        if (w >= b->n_words) {
                unsigned long *n = realloc(b->words, (w + 1) * sizeof(unsigned long));

                if (!n)
                        return -ENOMEM;
                memset(n + b->n_words, 0, (w + 1 - b->n_words) * sizeof(unsigned long));
                b->words = n;
                b->n_words = w + 1;
        }
        b->words[w] |= 1UL << (i % (8 * sizeof(unsigned long)));
        return 0;
}

static int list_number(const char **s, unsigned max, unsigned *ret) {
        unsigned long v;
        char *end;

        if (**s < '0' || **s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(*s, &end, 10);
        if (errno || v > max)
                return -ERANGE;
        *s = end;
        *ret = (unsigned) v;
        return 0;
}

/* A list as cpuset.cpus has it, "0-3,7"; "" (or none) leaves ret unset. */
static int get_list(const Parser *p, json_t *obj, const char *key, const char *field, unsigned max,
                    const char *what, SpecBitmap *ret) {
        _cleanup_free_ char *text = NULL;
        const char *s;
        int r;

        r = get_string(p, obj, key, field, &text);
        if (r <= 0 || !text[0])
                return r;
        for (s = text;;) {
                unsigned a, b;

                r = list_number(&s, max, &a);
                b = a;
                if (r >= 0 && *s == '-') {
                        s++;
                        r = list_number(&s, max, &b);
                }
                if (r == -ERANGE)
                        return field_error(p, field, "\"%s\": a %s above %u", text, what, max);
                if (r < 0 || (*s && *s != ','))
                        return field_error(p, field, "\"%s\" is not a list of %ss such as \"0-3,7\"", text, what);
                if (b < a)
                        return field_error(p, field, "\"%s\": the range %u-%u is backwards", text, a, b);
                for (unsigned i = a; i <= b; i++)
                        if ((r = bitmap_set(ret, i)) < 0)
                                return r;
                if (!*s++)
                        return 1;
        }
}

static const Name scheduler_policies[] = {
        { "SCHED_OTHER", SCHED_OTHER },
        { "SCHED_FIFO", SCHED_FIFO },
        { "SCHED_RR", SCHED_RR },
        { "SCHED_BATCH", SCHED_BATCH },
        { "SCHED_ISO", 4 },     /* reserved by the kernel, which refuses it */
        { "SCHED_IDLE", SCHED_IDLE },
        { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const Name scheduler_flags[] = {
        { "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK },
        { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
        { "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },
        { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
        { "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },
        { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
        { "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};

static int parse_scheduler(const Parser *p, json_t *process, SpecScheduler *sc) {
        const char *names[] = { "runtime", "deadline", "period" };
        uint64_t *times[] = { &sc->runtime, &sc->deadline, &sc->period };
        unsigned long policy, flags;
        long long nice, priority = 0;
        bool realtime, deadline;
        json_t *o;
        int r;

        r = get_object(p, process, "scheduler", "process.scheduler", &o);
        if (r <= 0)
                return r;
        r = get_name(p, o, "policy", "process.scheduler.policy", scheduler_policies, ELEMENTSOF(scheduler_policies),
                     "policy", &policy);
        if (r < 0)
                return r;
        realtime = policy == SCHED_FIFO || policy == SCHED_RR;
        deadline = policy == SCHED_DEADLINE;
        r = get_integer(p, o, "nice", "process.scheduler.nice", -20, 19, &nice);
        if (r < 0)
                return r;
        sc->nice = r > 0 ? (int32_t) nice : 0;
        r = get_integer(p, o, "priority", "process.scheduler.priority", INT32_MIN, INT32_MAX, &priority);
        if (r < 0)
                return r;
        /* As sched_setattr(2) has it, said before the kernel says EINVAL. */
        if (realtime && (priority < 1 || priority > 99))
                return field_error(p, "process.scheduler.priority", "%lld is not 1-99, as %s needs", priority,
                                   policy == SCHED_FIFO ? "SCHED_FIFO" : "SCHED_RR");
        if (!realtime && priority != 0)
                return field_error(p, "process.scheduler.priority", "must be 0 but for SCHED_FIFO and SCHED_RR");
        sc->priority = (uint32_t) priority;
        r = get_flags(p, o, "flags", "process.scheduler.flags", scheduler_flags, ELEMENTSOF(scheduler_flags), &flags);
        if (r < 0)
                return r;
        sc->flags = flags;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char f[64];

                snprintf(f, sizeof f, "process.scheduler.%s", names[i]);
                r = get_u64(p, o, names[i], f, times[i]);
                if (r < 0)
                        return r;
                if (r > 0 && !deadline && *times[i] != 0)
                        return field_error(p, f, "is only for SCHED_DEADLINE");
        }
        if (deadline && (sc->runtime == 0 || sc->runtime > sc->deadline ||
                         (sc->period != 0 && sc->deadline > sc->period)))
                return field_error(p, "process.scheduler", "SCHED_DEADLINE needs 0 < runtime <= deadline <= period "
                                   "(period 0: the deadline)");
        sc->policy = (uint32_t) policy;
        sc->set = true;
        return 0;
}

/* linux/ioprio.h's, which older headers lack */
#define IOPRIO_CLASS_SHIFT 13

static int parse_io_priority(const Parser *p, json_t *process, SpecProcess *proc) {
        static const Name classes[] = {
                { "IOPRIO_CLASS_RT", 1 },
                { "IOPRIO_CLASS_BE", 2 },
                { "IOPRIO_CLASS_IDLE", 3 },
        };
        unsigned long class;
        long long priority = 0;
        json_t *o;
        int r;

        r = get_object(p, process, "ioPriority", "process.ioPriority", &o);
        if (r <= 0)
                return r;
        r = get_name(p, o, "class", "process.ioPriority.class", classes, ELEMENTSOF(classes), "class", &class);
        if (r < 0)
                return r;
        r = get_integer(p, o, "priority", "process.ioPriority.priority", 0, 7, &priority);
        if (r < 0)
                return r;
        proc->io_priority = (int) (class << IOPRIO_CLASS_SHIFT | (unsigned long) priority);
        return 0;
}

static int parse_cpu_affinity(const Parser *p, json_t *process, SpecProcess *proc) {
        json_t *o;
        int r;

        r = get_object(p, process, "execCPUAffinity", "process.execCPUAffinity", &o);
        if (r <= 0)
                return r;
        if ((r = get_list(p, o, "initial", "process.execCPUAffinity.initial", CPU_MAX, "CPU",
                          &proc->cpus_initial)) < 0 ||
            (r = get_list(p, o, "final", "process.execCPUAffinity.final", CPU_MAX, "CPU", &proc->cpus_final)) < 0)
                return r;
        return 0;
}

/* "" is unset, as in runc; anything else is the LSM's to judge. */
static int get_label(const Parser *p, json_t *obj, const char *key, const char *field, char **ret) {
        int r = get_string(p, obj, key, field, ret);

        if (r > 0 && !(*ret)[0]) {
                free(*ret);
                *ret = NULL;
                return 0;
        }
        if (r > 0 && strpbrk(*ret, "\n\""))
                return field_error(p, field, "\"%s\" holds a newline or a quote", *ret);
        return r;
}

int spec_process_attr_parse(const Parser *p, json_t *process, SpecProcess *proc) {
        int r;

        if ((r = parse_scheduler(p, process, &proc->scheduler)) < 0 ||
            (r = parse_io_priority(p, process, proc)) < 0 ||
            (r = parse_cpu_affinity(p, process, proc)) < 0 ||
            (r = get_label(p, process, "apparmorProfile", "process.apparmorProfile", &proc->apparmor_profile)) < 0 ||
            (r = get_label(p, process, "selinuxLabel", "process.selinuxLabel", &proc->selinux_label)) < 0)
                return r;
        return 0;
}

void spec_process_attr_done(SpecProcess *proc) {
        free(proc->cpus_initial.words);
        free(proc->cpus_final.words);
        free(proc->apparmor_profile);
        free(proc->selinux_label);
}

static int parse_personality(const Parser *p, json_t *linux_obj, Spec *s) {
        static const Name domains[] = {
                { "LINUX", PER_LINUX },
                { "LINUX32", PER_LINUX32 },
        };
        unsigned long flags;
        json_t *o;
        int r;

        r = get_object(p, linux_obj, "personality", "linux.personality", &o);
        if (r <= 0)
                return r;
        r = get_name(p, o, "domain", "linux.personality.domain", domains, ELEMENTSOF(domains), "domain",
                     &s->personality);
        if (r < 0)
                return r;
        /* The runtime spec defines no flags yet: any is unknown. */
        r = get_flags(p, o, "flags", "linux.personality.flags", NULL, 0, &flags);
        if (r < 0)
                return r;
        s->has_personality = true;
        return 0;
}

static int parse_memory_policy(const Parser *p, json_t *linux_obj, SpecMemoryPolicy *mp) {
        static const Name modes[] = {
                { "MPOL_DEFAULT", MPOL_DEFAULT },
                { "MPOL_PREFERRED", MPOL_PREFERRED },
                { "MPOL_BIND", MPOL_BIND },
                { "MPOL_INTERLEAVE", MPOL_INTERLEAVE },
                { "MPOL_LOCAL", MPOL_LOCAL },
                { "MPOL_PREFERRED_MANY", 5 },
                { "MPOL_WEIGHTED_INTERLEAVE", 6 },
        };
        static const Name flags[] = {
                { "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES },
                { "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES },
                { "MPOL_F_NUMA_BALANCING", 1 << 13 },
        };
        unsigned long mode, f;
        json_t *o;
        int r;

        r = get_object(p, linux_obj, "memoryPolicy", "linux.memoryPolicy", &o);
        if (r <= 0)
                return r;
        if ((r = get_name(p, o, "mode", "linux.memoryPolicy.mode", modes, ELEMENTSOF(modes), "mode", &mode)) < 0 ||
            (r = get_list(p, o, "nodes", "linux.memoryPolicy.nodes", NODE_MAX, "node", &mp->nodes)) < 0 ||
            (r = get_flags(p, o, "flags", "linux.memoryPolicy.flags", flags, ELEMENTSOF(flags), &f)) < 0)
                return r;
        /* set_mempolicy(2): these take no nodes, the others but
         * MPOL_PREFERRED need some. */
        if ((mode == MPOL_DEFAULT || mode == MPOL_LOCAL) && mp->nodes.words)
                return field_error(p, "linux.memoryPolicy.nodes", "must be empty for %s", modes[mode].name);
        if (mode != MPOL_DEFAULT && mode != MPOL_LOCAL && mode != MPOL_PREFERRED && !mp->nodes.words)
                return field_error(p, "linux.memoryPolicy.nodes", "is required for %s", modes[mode].name);
        if ((f & MPOL_F_STATIC_NODES) && (f & MPOL_F_RELATIVE_NODES))
                return field_error(p, "linux.memoryPolicy.flags",
                                   "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
        mp->mode = (int) (mode | f);
        mp->set = true;
        return 0;
}

/* A non-bind mount's SELinux context, as runc gives it: not proc, sysfs
 * and cgroup file systems, whose kernel code takes no context=. */
static int apply_mount_label(Spec *s) {
        static const char *const unlabeled[] = { "proc", "sysfs", "cgroup", "cgroup2", "mqueue" };

        for (size_t i = 0; i < s->n_mounts; i++) {
                SpecMount *m = &s->mounts[i];
                bool skip = m->bind;
                char *data;

                for (size_t k = 0; k < ELEMENTSOF(unlabeled) && !skip; k++)
                        skip = streq(m->type, unlabeled[k]);
                if (skip)
                        continue;
                /* quoted: a label holds commas (s0:c1,c2) */
                if (asprintf(&data, "%s%scontext=\"%s\"", m->data ?: "", m->data ? "," : "", s->mount_label) < 0)
                        return -ENOMEM;
                free(m->data);
                m->data = data;
        }
        return 0;
}

int spec_linux_attr_parse(const Parser *p, json_t *linux_obj, Spec *s) {
        int r;

        if ((r = parse_personality(p, linux_obj, s)) < 0 ||
            (r = parse_memory_policy(p, linux_obj, &s->memory_policy)) < 0 ||
            (r = get_label(p, linux_obj, "mountLabel", "linux.mountLabel", &s->mount_label)) < 0)
                return r;
        return s->mount_label ? apply_mount_label(s) : 0;
}

void spec_linux_attr_done(Spec *s) {
        free(s->memory_policy.nodes.words);
        free(s->mount_label);
}
