/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "resources.h"
#include "spec-parse.h"
#include "spec.h"
#include "strv.h"

/* linux.resources, in config.json or alone for `update`: fields are named
 * with the prefix that applies ("linux.resources." or ""). */
typedef struct Ctx {
        const Parser *p;
        const char *prefix;
} Ctx;

#define FIELD(c, name) ({                                                       \
                        static __thread char _f[128];                           \
                        snprintf(_f, sizeof _f, "%s%s", (c)->prefix, (name));   \
                        (const char *) _f;                                      \
                })

static int opt_i64(const Ctx *c, json_t *o, const char *key, const char *name, int64_t min, OptI64 *ret) {
        long long v;
        int r = get_integer(c->p, o, key, FIELD(c, name), min, INT64_MAX, &v);

        if (r > 0)
                *ret = (OptI64) { .set = true, .value = v };
        return r;
}

static int opt_u64(const Ctx *c, json_t *o, const char *key, const char *name, uint64_t max, OptU64 *ret) {
        uint64_t v;
        int r = get_u64(c->p, o, key, FIELD(c, name), &v);

        if (r <= 0)
                return r;
        if (v > max)
                return field_error(c->p, FIELD(c, name), "%" PRIu64 " is out of range [0, %" PRIu64 "]", v, max);
        *ret = (OptU64) { .set = true, .value = v };
        return 1;
}

static int parse_memory(const Ctx *c, json_t *res, SpecResources *r) {
        json_t *m;
        int k;

        k = get_object(c->p, res, "memory", FIELD(c, "memory"), &m);
        if (k <= 0)
                return k;
        if ((k = opt_i64(c, m, "limit", "memory.limit", -1, &r->memory.limit)) < 0 ||
            (k = opt_i64(c, m, "reservation", "memory.reservation", -1, &r->memory.reservation)) < 0 ||
            (k = opt_i64(c, m, "swap", "memory.swap", -1, &r->memory.swap)) < 0 ||
            (k = opt_i64(c, m, "kernel", "memory.kernel", -1, &r->memory.kernel)) < 0 ||
            (k = opt_i64(c, m, "kernelTCP", "memory.kernelTCP", -1, &r->memory.kernel_tcp)) < 0 ||
            (k = opt_u64(c, m, "swappiness", "memory.swappiness", 100, &r->memory.swappiness)) < 0 ||
            (k = get_bool(c->p, m, "disableOOMKiller", FIELD(c, "memory.disableOOMKiller"), &r->memory.disable_oom_killer)) < 0 ||
            (k = get_bool(c->p, m, "useHierarchy", FIELD(c, "memory.useHierarchy"), &r->memory.use_hierarchy)) < 0 ||
            (k = get_bool(c->p, m, "checkBeforeUpdate", FIELD(c, "memory.checkBeforeUpdate"), &r->memory.check_before_update)) < 0)
                return k;
        /* The spec's swap is memory+swap (cgroup v1's memsw), so it cannot be
         * below the memory limit, and means nothing without one. */
        if (r->memory.swap.set && r->memory.swap.value > 0) {
                if (!r->memory.limit.set || r->memory.limit.value <= 0)
                        return field_error(c->p, FIELD(c, "memory.swap"),
                                           "needs memory.limit (it is the limit of memory+swap)");
                if (r->memory.swap.value < r->memory.limit.value)
                        return field_error(c->p, FIELD(c, "memory.swap"),
                                           "%" PRIi64 " is below memory.limit %" PRIi64 " (it is the limit of memory+swap)",
                                           r->memory.swap.value, r->memory.limit.value);
        }
        return 0;
}

static int cpu_list(const Ctx *c, json_t *o, const char *key, const char *name, char **ret) {
        int k = get_string(c->p, o, key, FIELD(c, name), ret);

        if (k <= 0)
                return k;
        if (cpu_list_to_mask(*ret, NULL, NULL) < 0)
                return field_error(c->p, FIELD(c, name), "\"%s\" is not a list like \"0-3,6\"", *ret);
        return 1;
}

static int parse_cpu(const Ctx *c, json_t *res, SpecResources *r) {
        json_t *o;
        int k;

        k = get_object(c->p, res, "cpu", FIELD(c, "cpu"), &o);
        if (k <= 0)
                return k;
        if ((k = opt_u64(c, o, "shares", "cpu.shares", UINT64_MAX, &r->cpu.shares)) < 0 ||
            (k = opt_i64(c, o, "quota", "cpu.quota", -1, &r->cpu.quota)) < 0 ||
            /* the kernel's bounds for a CFS period: 1 ms to 1 s */
            (k = opt_u64(c, o, "period", "cpu.period", 1000000, &r->cpu.period)) < 0 ||
            (k = opt_u64(c, o, "burst", "cpu.burst", UINT64_MAX, &r->cpu.burst)) < 0 ||
            (k = opt_i64(c, o, "realtimeRuntime", "cpu.realtimeRuntime", -1, &r->cpu.realtime_runtime)) < 0 ||
            (k = opt_u64(c, o, "realtimePeriod", "cpu.realtimePeriod", UINT64_MAX, &r->cpu.realtime_period)) < 0 ||
            (k = opt_i64(c, o, "idle", "cpu.idle", 0, &r->cpu.idle)) < 0 ||
            (k = cpu_list(c, o, "cpus", "cpu.cpus", &r->cpu.cpus)) < 0 ||
            (k = cpu_list(c, o, "mems", "cpu.mems", &r->cpu.mems)) < 0)
                return k;
        if (r->cpu.period.set && r->cpu.period.value < 1000)
                return field_error(c->p, FIELD(c, "cpu.period"), "%" PRIu64 " is below the kernel's minimum of 1000 µs",
                                   r->cpu.period.value);
        if (r->cpu.quota.set && r->cpu.quota.value == 0)
                return field_error(c->p, FIELD(c, "cpu.quota"), "must be positive, or -1 for no limit");
        if (r->cpu.idle.set && r->cpu.idle.value > 1)
                return field_error(c->p, FIELD(c, "cpu.idle"), "must be 0 or 1");
        return 0;
}

static int device_number(const Ctx *c, json_t *o, const char *key, const char *field, uint32_t *ret) {
        long long v;
        int k = get_integer(c->p, o, key, field, 0, UINT32_MAX, &v);

        if (k == 0)
                return field_error(c->p, field, "is required");
        if (k > 0)
                *ret = (uint32_t) v;
        return k;
}

static int parse_throttle(const Ctx *c, json_t *blkio, const char *key, SpecDeviceRate **ret, size_t *ret_n) {
        char field[160], name[192], f[256];
        json_t *a, *v;
        size_t i;
        int k;

        snprintf(field, sizeof field, "%sblockIO.%s", c->prefix, key);
        k = get_array(c->p, blkio, key, field, &a);
        if (k <= 0)
                return k;
        *ret = calloc(json_array_size(a) + 1, sizeof **ret);
        if (!*ret)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                SpecDeviceRate *d = &(*ret)[i];

                if ((k = array_object(c->p, v, field, i, name, sizeof name)) < 0)
                        return k;
                snprintf(f, sizeof f, "%s.major", name);
                if ((k = device_number(c, v, "major", f, &d->major)) < 0)
                        return k;
                snprintf(f, sizeof f, "%s.minor", name);
                if ((k = device_number(c, v, "minor", f, &d->minor)) < 0)
                        return k;
                snprintf(f, sizeof f, "%s.rate", name);
                if ((k = get_required_u64(c->p, v, "rate", f, &d->rate)) < 0)
                        return k;
                *ret_n = i + 1;
        }
        return 0;
}

static int parse_block_io(const Ctx *c, json_t *res, SpecResources *r) {
        static const char *const throttles[_THROTTLE_MAX] = {
                [THROTTLE_READ_BPS] = "throttleReadBpsDevice",
                [THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
                [THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
                [THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        char name[192], f[256];
        json_t *o, *a, *v;
        size_t i;
        int k;

        k = get_object(c->p, res, "blockIO", FIELD(c, "blockIO"), &o);
        if (k <= 0)
                return k;
        /* CFQ's leaf weight went with CFQ (Linux 5.0); neither systemd nor
         * BFQ has it. */
        if (member(o, "leafWeight"))
                return field_error(c->p, FIELD(c, "blockIO.leafWeight"), "not supported: the kernel has no leaf weight since CFQ went");
        if ((k = opt_u64(c, o, "weight", "blockIO.weight", 1000, &r->block_io.weight)) < 0)
                return k;
        if (r->block_io.weight.set && r->block_io.weight.value < 10)
                return field_error(c->p, FIELD(c, "blockIO.weight"), "%" PRIu64 " is out of range [10, 1000]",
                                   r->block_io.weight.value);

        k = get_array(c->p, o, "weightDevice", FIELD(c, "blockIO.weightDevice"), &a);
        if (k < 0)
                return k;
        if (k > 0) {
                r->block_io.weight_device = calloc(json_array_size(a) + 1, sizeof *r->block_io.weight_device);
                if (!r->block_io.weight_device)
                        return -ENOMEM;
                json_array_foreach(a, i, v) {
                        SpecDeviceWeight *d = &r->block_io.weight_device[i];
                        long long w;

                        if ((k = array_object(c->p, v, FIELD(c, "blockIO.weightDevice"), i, name, sizeof name)) < 0)
                                return k;
                        snprintf(f, sizeof f, "%s.major", name);
                        if ((k = device_number(c, v, "major", f, &d->major)) < 0)
                                return k;
                        snprintf(f, sizeof f, "%s.minor", name);
                        if ((k = device_number(c, v, "minor", f, &d->minor)) < 0)
                                return k;
                        snprintf(f, sizeof f, "%s.leafWeight", name);
                        if (member(v, "leafWeight"))
                                return field_error(c->p, f, "not supported: the kernel has no leaf weight since CFQ went");
                        snprintf(f, sizeof f, "%s.weight", name);
                        k = get_integer(c->p, v, "weight", f, 10, 1000, &w);
                        if (k == 0)
                                return field_error(c->p, f, "is required");
                        if (k < 0)
                                return k;
                        d->weight = (uint16_t) w;
                        r->block_io.n_weight_device = i + 1;
                }
        }
        for (Throttle t = 0; t < _THROTTLE_MAX; t++)
                if ((k = parse_throttle(c, o, throttles[t], &r->block_io.throttle[t], &r->block_io.n_throttle[t])) < 0)
                        return k;
        return 0;
}

static bool page_size_valid(const char *s) {
        size_t n = strspn(s, "0123456789");

        return n > 0 && s[0] != '0' && strchr("KMG", s[n]) && s[n] && streq(s + n + 1, "B");
}

static int parse_hugepage_limits(const Ctx *c, json_t *res, SpecResources *r) {
        char name[192], f[256];
        json_t *a, *v;
        size_t i;
        int k;

        k = get_array(c->p, res, "hugepageLimits", FIELD(c, "hugepageLimits"), &a);
        if (k <= 0)
                return k;
        r->hugepage_limits = calloc(json_array_size(a) + 1, sizeof *r->hugepage_limits);
        if (!r->hugepage_limits)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                SpecHugepageLimit *h = &r->hugepage_limits[i];

                r->n_hugepage_limits = i + 1;
                if ((k = array_object(c->p, v, FIELD(c, "hugepageLimits"), i, name, sizeof name)) < 0)
                        return k;
                snprintf(f, sizeof f, "%s.pageSize", name);
                if ((k = get_required_string(c->p, v, "pageSize", f, &h->page_size)) < 0)
                        return k;
                if (!page_size_valid(h->page_size))
                        return field_error(c->p, f, "\"%s\" is not a page size like \"2MB\"", h->page_size);
                snprintf(f, sizeof f, "%s.limit", name);
                if ((k = get_required_u64(c->p, v, "limit", f, &h->limit)) < 0)
                        return k;
        }
        return 0;
}

static int parse_network(const Ctx *c, json_t *res, SpecResources *r) {
        char name[192], f[256];
        json_t *o, *a, *v;
        size_t i;
        int k;

        k = get_object(c->p, res, "network", FIELD(c, "network"), &o);
        if (k <= 0)
                return k;
        if ((k = opt_u64(c, o, "classID", "network.classID", UINT32_MAX, &r->network.class_id)) < 0)
                return k;
        k = get_array(c->p, o, "priorities", FIELD(c, "network.priorities"), &a);
        if (k <= 0)
                return k;
        r->network.priorities = calloc(json_array_size(a) + 1, sizeof *r->network.priorities);
        if (!r->network.priorities)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                SpecNetPriority *n = &r->network.priorities[i];
                long long prio;

                r->network.n_priorities = i + 1;
                if ((k = array_object(c->p, v, FIELD(c, "network.priorities"), i, name, sizeof name)) < 0)
                        return k;
                snprintf(f, sizeof f, "%s.name", name);
                if ((k = get_required_string(c->p, v, "name", f, &n->name)) < 0)
                        return k;
                /* an interface name: net_prio.ifpriomap takes "NAME PRIO" lines */
                if (!n->name[0] || strlen(n->name) >= 16 || strpbrk(n->name, " \t\n/:"))
                        return field_error(c->p, f, "\"%s\" is not a network interface name", n->name);
                snprintf(f, sizeof f, "%s.priority", name);
                k = get_integer(c->p, v, "priority", f, 0, UINT32_MAX, &prio);
                if (k == 0)
                        return field_error(c->p, f, "is required");
                if (k < 0)
                        return k;
                n->priority = (uint32_t) prio;
        }
        return 0;
}

static int parse_unified(const Ctx *c, json_t *res, SpecResources *r) {
        const char *key;
        json_t *o, *v;
        size_t n = 0;
        int k;

        k = get_object(c->p, res, "unified", FIELD(c, "unified"), &o);
        if (k <= 0)
                return k;
        r->unified = calloc(2 * json_object_size(o) + 1, sizeof(char *));
        if (!r->unified)
                return -ENOMEM;
        json_object_foreach(o, key, v) {
                char f[256];
                const char *dot = strchr(key, '.');

                snprintf(f, sizeof f, "%sunified.%s", c->prefix, key);
                /* a file of the container's own cgroup, "controller.name",
                 * and nothing that could reach out of it */
                if (!dot || dot == key || !dot[1] || strpbrk(key, "/\n") || strncmp(key, "cgroup.", 7) == 0)
                        return field_error(c->p, f, "\"%s\" is not a controller's file like \"memory.high\"", key);
                r->unified[n] = strdup(key);
                if (!r->unified[n++])
                        return -ENOMEM;
                if ((k = string_value(c->p, v, f, &r->unified[n++])) < 0)
                        return k;
        }
        return 0;
}

static int parse_devices(const Ctx *c, json_t *res, SpecResources *r) {
        char name[192], f[256];
        json_t *a, *v;
        size_t i;
        int k;

        k = get_array(c->p, res, "devices", FIELD(c, "devices"), &a);
        if (k <= 0)
                return k;
        r->devices = calloc(json_array_size(a) + 1, sizeof *r->devices);
        if (!r->devices)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                SpecDeviceRule *d = &r->devices[i];
                _cleanup_free_ char *type = NULL, *access = NULL;
                long long n;

                r->n_devices = i + 1;
                if ((k = array_object(c->p, v, FIELD(c, "devices"), i, name, sizeof name)) < 0)
                        return k;
                snprintf(f, sizeof f, "%s.allow", name);
                if ((k = get_bool(c->p, v, "allow", f, &d->allow)) < 0)
                        return k;
                if (k == 0)
                        return field_error(c->p, f, "is required");
                snprintf(f, sizeof f, "%s.type", name);
                if ((k = get_string(c->p, v, "type", f, &type)) < 0)
                        return k;
                if (type && !streq(type, "a") && !streq(type, "b") && !streq(type, "c"))
                        return field_error(c->p, f, "\"%s\" is not \"a\", \"b\" or \"c\"", type);
                d->type = type ? type[0] : 'a';
                d->major = d->minor = -1;
                snprintf(f, sizeof f, "%s.major", name);
                if ((k = get_integer(c->p, v, "major", f, -1, UINT32_MAX, &n)) < 0)
                        return k;
                if (k > 0)
                        d->major = n;
                snprintf(f, sizeof f, "%s.minor", name);
                if ((k = get_integer(c->p, v, "minor", f, -1, UINT32_MAX, &n)) < 0)
                        return k;
                if (k > 0)
                        d->minor = n;
                snprintf(f, sizeof f, "%s.access", name);
                if ((k = get_string(c->p, v, "access", f, &access)) < 0)
                        return k;
                if (!access || !access[0]) {
                        strcpy(d->access, "rwm");
                        continue;
                }
                if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
                        return field_error(c->p, f, "\"%s\" is not made of \"r\", \"w\" and \"m\"", access);
                /* in rwm order, each once */
                for (const char *x = "rwm"; *x; x++)
                        if (strchr(access, *x))
                                d->access[strlen(d->access)] = *x;
        }
        return 0;
}

int spec_resources_parse_object(const Parser *p, json_t *res, const char *prefix, SpecResources **ret) {
        _cleanup_(spec_resources_freep) SpecResources *r = calloc(1, sizeof *r);
        Ctx c = { .p = p, .prefix = prefix };
        int k;

        if (!r)
                return -ENOMEM;
        if (member(res, "rdma"))
                return not_supported(p, FIELD(&c, "rdma"));
        if (member(res, "pids")) {
                json_t *o;

                if ((k = get_object(p, res, "pids", FIELD(&c, "pids"), &o)) < 0 ||
                    (k = opt_i64(&c, o, "limit", "pids.limit", INT64_MIN, &r->pids_limit)) < 0)
                        return k;
        }
        if ((k = parse_memory(&c, res, r)) < 0 ||
            (k = parse_cpu(&c, res, r)) < 0 ||
            (k = parse_block_io(&c, res, r)) < 0 ||
            (k = parse_hugepage_limits(&c, res, r)) < 0 ||
            (k = parse_network(&c, res, r)) < 0 ||
            (k = parse_unified(&c, res, r)) < 0 ||
            (k = parse_devices(&c, res, r)) < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

static int resources_from_json(json_t *root, const char *name, SpecResources **ret) {
        Parser p = { .path = name };

        if (!json_is_object(root))
                return error_set(-EINVAL, "%s: must hold a JSON object (linux.resources), not %s",
                                 name, json_type_name(root));
        return spec_resources_parse_object(&p, root, "", ret);
}

int spec_resources_parse(const char *text, size_t len, const char *path, SpecResources **ret) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        json_error_t jerr;

        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return error_set(-EINVAL, "%s: invalid JSON at line %d, column %d: %s",
                                 path, jerr.line, jerr.column, jerr.text);
        return resources_from_json(root, path, ret);
}

int spec_resources_load(const char *path, json_t *overrides, SpecResources **ret) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        _cleanup_free_ char *text = NULL;
        const char *name = !path ? "update options" : streq(path, "-") ? "standard input" : path;
        json_error_t jerr;
        size_t len;
        int r;

        if (path) {
                r = streq(path, "-") ? read_full_fd(STDIN_FILENO, 1024 * 1024, &text, &len)
                                     : read_full_file(path, 1024 * 1024, &text, &len);
                if (r < 0)
                        return error_set(r, "%s: %m", name);
                root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
                if (!root)
                        return error_set(-EINVAL, "%s: invalid JSON at line %d, column %d: %s",
                                         name, jerr.line, jerr.column, jerr.text);
        } else
                root = json_object();
        if (!root)
                return -ENOMEM;
        if (overrides && json_is_object(root) && json_object_update_recursive(root, overrides) < 0)
                return -ENOMEM;
        return resources_from_json(root, name, ret);
}

SpecResources *spec_resources_free(SpecResources *r) {
        if (!r)
                return NULL;
        free(r->cpu.cpus);
        free(r->cpu.mems);
        free(r->block_io.weight_device);
        for (Throttle t = 0; t < _THROTTLE_MAX; t++)
                free(r->block_io.throttle[t]);
        for (size_t i = 0; i < r->n_hugepage_limits; i++)
                free(r->hugepage_limits[i].page_size);
        free(r->hugepage_limits);
        for (size_t i = 0; i < r->network.n_priorities; i++)
                free(r->network.priorities[i].name);
        free(r->network.priorities);
        strv_free(r->unified);
        free(r->devices);
        free(r);
        return NULL;
}
