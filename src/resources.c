/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "device-policy.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "resources.h"
#include "systemd.h"

#define CPU_LIST_MAX 8192     /* CPUs or memory nodes; more is not a config */
#define DEFAULT_CFS_PERIOD_USEC 100000ULL

int cpu_list_to_mask(const char *list, uint8_t **ret_mask, size_t *ret_size) {
        _cleanup_free_ uint8_t *mask = NULL;
        size_t size = 0;
        const char *p = list;

        if (!*p)
                return -EINVAL;
        if (ret_mask) {
                mask = calloc(CPU_LIST_MAX / 8, 1);
                if (!mask)
                        return -ENOMEM;
        }
        for (;;) {
                unsigned long from, to;
                char *end;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                from = to = strtoul(p, &end, 10);
                if (*end == '-') {
                        p = end + 1;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        to = strtoul(p, &end, 10);
                }
                if (from > to || to >= CPU_LIST_MAX)
                        return -EINVAL;
                for (unsigned long i = from; mask && i <= to; i++)
                        mask[i / 8] |= 1u << (i % 8);
                if (to / 8 + 1 > size)
                        size = to / 8 + 1;
                if (*end == '\0')
                        break;
                if (*end != ',')
                        return -EINVAL;
                p = end + 1;
        }
        if (ret_mask) {
                *ret_mask = TAKE_PTR(mask);
                *ret_size = size;
        }
        return 0;
}

uint64_t cpu_shares_to_weight(uint64_t shares) {
        double l;

        /* The quadratic fit crun and runc use: 2 -> 1, 1024 -> 100,
         * 262144 -> 10000, closer than the linear one in the middle. */
        if (shares == 0)
                return 0;
        if (shares <= 2)
                return 1;
        if (shares >= 262144)
                return 10000;
        l = log2((double) shares);
        return (uint64_t) ceil(pow(10.0, (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0));
}

uint64_t cpu_quota_to_per_sec_usec(int64_t quota, uint64_t period) {
        uint64_t v;

        if (quota <= 0)
                return UINT64_MAX;
        /* systemd keeps CPUQuotaPerSecUSec in 10 ms steps; as runc, round
         * up, so the container gets at least what it asked for. */
        v = (uint64_t) quota * 1000000ULL / (period ?: DEFAULT_CFS_PERIOD_USEC);
        return (v + 9999) / 10000 * 10000;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
        /* blkio's [10, 1000] onto io's [1, 10000], as runc and crun */
        return 1 + (weight - 10) * 9999 / 990;
}

/* What runc and crun allow after a config's own device rules, whatever
 * those say: making any node, and the nodes every container has (null,
 * zero, full, random, urandom, tty, ptmx and the ptys).  Configs rely on
 * it: podman's denies all devices and then uses /dev/null and /dev/ptmx. */
static const SpecDeviceRule default_device_rules[] = {
        { true, 'c', -1, -1, "m" },
        { true, 'b', -1, -1, "m" },
        { true, 'c', 1, 3, "rwm" },
        { true, 'c', 1, 5, "rwm" },
        { true, 'c', 1, 7, "rwm" },
        { true, 'c', 1, 8, "rwm" },
        { true, 'c', 1, 9, "rwm" },
        { true, 'c', 5, 0, "rwm" },
        { true, 'c', 5, 2, "rwm" },
        { true, 'c', 136, -1, "rwm" },
};

/* linux.resources.devices, and the defaults after them, in systemd's terms
 * (see device-policy.h). */
static int device_policy(const SpecResources *r, const char *where, bool warn, DevicePolicy *ret) {
        _cleanup_free_ char *proc_devices = NULL;
        _cleanup_free_ SpecDeviceRule *rules = NULL;
        size_t n = r->n_devices + ELEMENTSOF(default_device_rules);
        int k = read_full_file("/proc/devices", 64 * 1024, &proc_devices, NULL);

        if (k < 0)
                return error_set(k, "/proc/devices: %m");
        rules = calloc(n, sizeof *rules);
        if (!rules)
                return -ENOMEM;
        memcpy(rules, r->devices, r->n_devices * sizeof *rules);
        memcpy(rules + r->n_devices, default_device_rules, sizeof default_device_rules);
        return device_policy_from_rules(rules, n, proc_devices, where, warn, ret);
}

/* ------------------------------------------------------------------ check */

int resources_check(const SpecResources *r, bool unified, const char *where) {
        const char *v1_only = NULL, *v2_only = NULL;

        if (r->n_devices > 0) {
                _cleanup_(device_policy_done) DevicePolicy p = {};
                int k = device_policy(r, where, true, &p);

                if (k < 0)
                        return k;
        }
        if (unified) {
                if (r->memory.disable_oom_killer)
                        v1_only = "memory.disableOOMKiller";
                else if (r->cpu.realtime_runtime.set || r->cpu.realtime_period.set)
                        v1_only = r->cpu.realtime_runtime.set ? "cpu.realtimeRuntime" : "cpu.realtimePeriod";
                else if (r->network.class_id.set || r->network.n_priorities > 0)
                        v1_only = r->network.class_id.set ? "network.classID" : "network.priorities";
                if (v1_only)
                        return error_set(-EOPNOTSUPP, "%s%s: cgroup v2 has no such setting (this host runs cgroup v2 alone)",
                                         where, v1_only);
                /* A preference, not a guarantee: said, not refused, as runc. */
                if (r->memory.swappiness.set)
                        log_warning("%smemory.swappiness: cgroup v2 has no such setting; not applied", where);
        } else {
                if (r->unified)
                        v2_only = "unified";
                else if (r->cpu.idle.set && r->cpu.idle.value)
                        v2_only = "cpu.idle";
                if (v2_only)
                        return error_set(-EOPNOTSUPP, "%s%s: needs cgroup v2 alone (the unified layout); this host runs cgroup v1",
                                         where, v2_only);
        }
        if (r->memory.use_hierarchy && !unified)
                log_debug("%smemory.useHierarchy: always on in the kernel", where);
        if (r->memory.kernel.set || r->memory.kernel_tcp.set)
                log_warning("%smemory.%s: kernel memory limits are deprecated by the kernel; not applied (as runc)",
                            where, r->memory.kernel.set ? "kernel" : "kernelTCP");
        return 0;
}

int resources_check_memory_usage(const SpecResources *r, const char *cgroup, const char *where) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        bool unified = cgroup_is_unified();
        unsigned long long usage;
        int k;

        if (!r->memory.limit.set || r->memory.limit.value <= 0)
                return 0;
        k = cgroup_attribute_path(cgroup, "memory", unified ? "memory.current" : "memory.usage_in_bytes", &path);
        if (k < 0)
                return error_set(k, "%smemory.checkBeforeUpdate: no memory controller for cgroup %s", where, cgroup);
        k = read_full_file(path, 64, &text, NULL);
        if (k < 0)
                return error_set(k, "%smemory.checkBeforeUpdate: %s: %m", where, path);
        usage = strtoull(text, NULL, 10);
        if ((unsigned long long) r->memory.limit.value < usage)
                return error_set(-EBUSY, "%smemory.limit: %" PRIi64 " is below the container's usage of %llu bytes "
                                 "(memory.checkBeforeUpdate)", where, r->memory.limit.value, usage);
        return 0;
}

/* ------------------------------------------------------------- properties */

/* -1 (or below): no limit, which systemd spells UINT64_MAX */
static uint64_t limit_value(int64_t v) {
        return v < 0 ? UINT64_MAX : (uint64_t) v;
}

static int append_u64(sd_bus_message *m, const char *name, uint64_t v) {
        return sd_bus_message_append(m, "(sv)", name, "t", v);
}

static int append_mask(sd_bus_message *m, const char *name, const char *list) {
        _cleanup_free_ uint8_t *mask = NULL;
        size_t size;
        int r;

        r = cpu_list_to_mask(list, &mask, &size);
        if (r < 0)
                return r;
        r = systemd_property_open(m, name, "ay");
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', mask, size);
        if (r < 0)
                return r;
        return systemd_property_close(m);
}

/* A property of type a(st): a device path and a number per entry. */
static int append_device_list(sd_bus_message *m, const char *name, const SpecDeviceRate *l, size_t n) {
        int r;

        if (n == 0)
                return 0;
        r = systemd_property_open(m, name, "a(st)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(st)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char path[64];

                /* systemd reads major:minor from such a name without
                 * looking for the node, which the host may not have. */
                snprintf(path, sizeof path, "/dev/block/%" PRIu32 ":%" PRIu32, l[i].major, l[i].minor);
                r = sd_bus_message_append(m, "(st)", path, l[i].rate);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return systemd_property_close(m);
}

static int append_io_device_weight(sd_bus_message *m, const SpecResources *r) {
        _cleanup_free_ SpecDeviceRate *l = calloc(r->block_io.n_weight_device + 1, sizeof *l);

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
                const SpecDeviceWeight *d = &r->block_io.weight_device[i];

                l[i] = (SpecDeviceRate) { d->major, d->minor, blkio_weight_to_io_weight(d->weight) };
        }
        return append_device_list(m, "IODeviceWeight", l, r->block_io.n_weight_device);
}

/* As runc: the policy, an empty DeviceAllow= that clears the list (so that
 * `update` replaces it), then the entries. */
static int append_devices(sd_bus_message *m, const SpecResources *r) {
        _cleanup_(device_policy_done) DevicePolicy p = {};
        int k;

        if (r->n_devices == 0)
                return 0;
        /* resources_check() said what is wrong or left out */
        k = device_policy(r, "", false, &p);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "(sv)", "DevicePolicy", "s", "strict");
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "(sv)", "DeviceAllow", "a(ss)", 0);
        if (k < 0 || p.n_allow == 0)
                return k;
        k = systemd_property_open(m, "DeviceAllow", "a(ss)");
        if (k < 0)
                return k;
        k = sd_bus_message_open_container(m, 'a', "(ss)");
        if (k < 0)
                return k;
        for (size_t i = 0; i < p.n_allow; i++)
                if ((k = sd_bus_message_append(m, "(ss)", p.allow[i].path, p.allow[i].access)) < 0)
                        return k;
        k = sd_bus_message_close_container(m);
        if (k < 0)
                return k;
        return systemd_property_close(m);
}

int resources_append_properties(sd_bus_message *m, const SpecResources *r, bool unified) {
        static const char *const throttles[_THROTTLE_MAX] = {
                [THROTTLE_READ_BPS] = "IOReadBandwidthMax",
                [THROTTLE_WRITE_BPS] = "IOWriteBandwidthMax",
                [THROTTLE_READ_IOPS] = "IOReadIOPSMax",
                [THROTTLE_WRITE_IOPS] = "IOWriteIOPSMax",
        };
        int k;

        /* 0 is "not set" in the Go runtimes for every one of these. */
        if (r->memory.limit.set && r->memory.limit.value != 0 &&
            (k = append_u64(m, "MemoryMax", limit_value(r->memory.limit.value))) < 0)
                return k;
        if (unified && r->memory.reservation.set && r->memory.reservation.value != 0 &&
            (k = append_u64(m, "MemoryLow", limit_value(r->memory.reservation.value))) < 0)
                return k;
        /* The spec's swap is memory+swap, v2's swap alone. */
        if (unified && r->memory.swap.set && r->memory.swap.value != 0 &&
            (k = append_u64(m, "MemorySwapMax", r->memory.swap.value < 0 ? UINT64_MAX :
                            (uint64_t) (r->memory.swap.value - r->memory.limit.value))) < 0)
                return k;

        /* On v1 systemd 252 turns CPUWeight back into shares its own way
         * (512 came out as 604): the file should hold what the config says. */
        if (r->cpu.shares.set && r->cpu.shares.value != 0 &&
            (k = unified ? append_u64(m, "CPUWeight", cpu_shares_to_weight(r->cpu.shares.value))
                         : append_u64(m, "CPUShares", r->cpu.shares.value)) < 0)
                return k;
        if (r->cpu.quota.set &&
            (k = append_u64(m, "CPUQuotaPerSecUSec",
                            cpu_quota_to_per_sec_usec(r->cpu.quota.value, r->cpu.period.set ? r->cpu.period.value : 0))) < 0)
                return k;
        if (r->cpu.period.set && (k = append_u64(m, "CPUQuotaPeriodUSec", r->cpu.period.value)) < 0)
                return k;
        /* systemd has cpusets on v2 only */
        if (unified && r->cpu.cpus && (k = append_mask(m, "AllowedCPUs", r->cpu.cpus)) < 0)
                return k;
        if (unified && r->cpu.mems && (k = append_mask(m, "AllowedMemoryNodes", r->cpu.mems)) < 0)
                return k;

        /* 0 is "not set"; below it, no limit */
        if (r->pids_limit.set && r->pids_limit.value != 0 &&
            (k = append_u64(m, "TasksMax", limit_value(r->pids_limit.value))) < 0)
                return k;

        /* On v1 systemd 252 maps weights onto BFQ's scale its own way;
         * resources_write_cgroup() writes them as the config has them. */
        if (unified && r->block_io.weight.set &&
            (k = append_u64(m, "IOWeight", blkio_weight_to_io_weight(r->block_io.weight.value))) < 0)
                return k;
        if (unified &&
            (k = append_io_device_weight(m, r)) < 0)
                return k;
        /* systemd 252 writes the bandwidths to blkio's files on v1 too, not
         * the IOPS: resources_write_cgroup() does those. */
        for (Throttle t = 0; t < _THROTTLE_MAX; t++)
                if ((unified || t == THROTTLE_READ_BPS || t == THROTTLE_WRITE_BPS) &&
                    (k = append_device_list(m, throttles[t], r->block_io.throttle[t], r->block_io.n_throttle[t])) < 0)
                        return k;
        return append_devices(m, r);
}

/* ------------------------------------------------------------- cgroupfs */

typedef struct Writer {
        const char *cgroup;
        const char *where;
        int error;
} Writer;

static void write_attr(Writer *w, const char *controller, const char *file, const char *fmt, ...) _printf_(4, 5);
static void write_attr(Writer *w, const char *controller, const char *file, const char *fmt, ...) {
        char value[4096];
        va_list ap;
        int r;

        if (w->error < 0)
                return;
        va_start(ap, fmt);
        vsnprintf(value, sizeof value, fmt, ap);
        va_end(ap);
        r = cgroup_write_attribute(w->cgroup, controller, file, value);
        if (r < 0)
                w->error = error_prefix(r, "%s", w->where);
}

static int64_t v1_limit(int64_t v) {
        return v < 0 ? -1 : v;
}

/* What systemd 252 has no property for, in the layout at hand. */
int resources_write_cgroup(const SpecResources *r, bool unified, const char *cgroup, const char *where) {
        Writer w = { .cgroup = cgroup, .where = where };

        if (!unified) {
                if (r->memory.reservation.set && r->memory.reservation.value != 0)
                        write_attr(&w, "memory", "memory.soft_limit_in_bytes", "%" PRIi64, v1_limit(r->memory.reservation.value));
                if (r->memory.swap.set && r->memory.swap.value != 0)
                        write_attr(&w, "memory", "memory.memsw.limit_in_bytes", "%" PRIi64, v1_limit(r->memory.swap.value));
                if (r->memory.swappiness.set)
                        write_attr(&w, "memory", "memory.swappiness", "%" PRIu64, r->memory.swappiness.value);
                if (r->memory.disable_oom_killer)
                        write_attr(&w, "memory", "memory.oom_control", "1");
                if (r->cpu.realtime_period.set)
                        write_attr(&w, "cpu", "cpu.rt_period_us", "%" PRIu64, r->cpu.realtime_period.value);
                if (r->cpu.realtime_runtime.set)
                        write_attr(&w, "cpu", "cpu.rt_runtime_us", "%" PRIi64, r->cpu.realtime_runtime.value);
                if (r->cpu.burst.set)
                        write_attr(&w, "cpu", "cpu.cfs_burst_us", "%" PRIu64, r->cpu.burst.value);
                if (r->cpu.cpus)
                        write_attr(&w, "cpuset", "cpuset.cpus", "%s", r->cpu.cpus);
                if (r->cpu.mems)
                        write_attr(&w, "cpuset", "cpuset.mems", "%s", r->cpu.mems);
                if (r->block_io.weight.set)
                        write_attr(&w, "blkio", "blkio.bfq.weight", "%" PRIu64, r->block_io.weight.value);
                for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
                        const SpecDeviceWeight *d = &r->block_io.weight_device[i];

                        write_attr(&w, "blkio", "blkio.bfq.weight_device", "%" PRIu32 ":%" PRIu32 " %" PRIu16,
                                   d->major, d->minor, d->weight);
                }
                for (Throttle t = THROTTLE_READ_IOPS; t <= THROTTLE_WRITE_IOPS; t++)
                        for (size_t i = 0; i < r->block_io.n_throttle[t]; i++) {
                                const SpecDeviceRate *d = &r->block_io.throttle[t][i];

                                write_attr(&w, "blkio", t == THROTTLE_READ_IOPS ? "blkio.throttle.read_iops_device"
                                                                                : "blkio.throttle.write_iops_device",
                                           "%" PRIu32 ":%" PRIu32 " %" PRIu64, d->major, d->minor, d->rate);
                        }
                for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                        char file[64];

                        snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
                        write_attr(&w, "hugetlb", file, "%" PRIu64, r->hugepage_limits[i].limit);
                }
                if (r->network.class_id.set)
                        write_attr(&w, "net_cls", "net_cls.classid", "%" PRIu64, r->network.class_id.value);
                for (size_t i = 0; i < r->network.n_priorities; i++)
                        write_attr(&w, "net_prio", "net_prio.ifpriomap", "%s %" PRIu32,
                                   r->network.priorities[i].name, r->network.priorities[i].priority);
                return w.error;
        }

        if (r->cpu.burst.set)
                write_attr(&w, "cpu", "cpu.max.burst", "%" PRIu64, r->cpu.burst.value);
        if (r->cpu.idle.set)
                write_attr(&w, "cpu", "cpu.idle", "%" PRIi64, r->cpu.idle.value);
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                char file[64];

                snprintf(file, sizeof file, "hugetlb.%s.max", r->hugepage_limits[i].page_size);
                write_attr(&w, "hugetlb", file, "%" PRIu64, r->hugepage_limits[i].limit);
        }
        /* Last, so they override what the typed fields set, as in runc. */
        for (char **u = r->unified; u && *u; u += 2)
                write_attr(&w, "", u[0], "%s", u[1]);
        return w.error;
}

int unit_properties_append(sd_bus_message *m, const SpecUnitProperty *props, size_t n) {
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                const SpecUnitProperty *u = &props[i];

                switch (u->type) {
                case 'b':
                        r = sd_bus_message_append(m, "(sv)", u->name, "b", (int) u->b);
                        break;
                case 's':
                        r = sd_bus_message_append(m, "(sv)", u->name, "s", u->s);
                        break;
                case 't':
                        r = sd_bus_message_append(m, "(sv)", u->name, "t", u->t);
                        break;
                case 'x':
                        r = sd_bus_message_append(m, "(sv)", u->name, "x", u->x);
                        break;
                case 'u':
                        r = sd_bus_message_append(m, "(sv)", u->name, "u", (uint32_t) u->x);
                        break;
                case 'i':
                        r = sd_bus_message_append(m, "(sv)", u->name, "i", (int32_t) u->x);
                        break;
                default:
                        r = -EINVAL;
                }
        }
        return r;
}
