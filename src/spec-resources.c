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

/* "NAME.key", for the fields of an array entry NAME */
static const char *entry_field(char *buf, size_t size, const char *name, const char *key) {
        snprintf(buf, size, "%s.%s", name, key);
        return buf;
}

static int device_number(const Parser *p, json_t *o, const char *name, const char *key, uint32_t *ret) {
        char f[256];
        long long v;
        int k = get_required_integer(p, o, key, entry_field(f, sizeof f, name, key), 0, UINT32_MAX, &v);

        if (k > 0)
                *ret = (uint32_t) v;
        return k;
}

static int leaf_weight_refused(const Parser *p, const char *field) {
        /* CFQ's leaf weight went with CFQ (Linux 5.0); neither systemd nor
         * BFQ has it. */
        return field_error(p, field, "not supported: the kernel has no leaf weight since CFQ went");
}

static int parse_device_rate(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        SpecDeviceRate *d = element;
        char f[256];
        int k;

        if ((k = device_number(p, v, name, "major", &d->major)) < 0 ||
            (k = device_number(p, v, name, "minor", &d->minor)) < 0)
                return k;
        return get_required_u64(p, v, "rate", entry_field(f, sizeof f, name, "rate"), &d->rate);
}

static int parse_device_weight(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        SpecDeviceWeight *d = element;
        char f[256];
        long long w;
        int k;

        if ((k = device_number(p, v, name, "major", &d->major)) < 0 ||
            (k = device_number(p, v, name, "minor", &d->minor)) < 0)
                return k;
        if (member(v, "leafWeight"))
                return leaf_weight_refused(p, entry_field(f, sizeof f, name, "leafWeight"));
        k = get_required_integer(p, v, "weight", entry_field(f, sizeof f, name, "weight"), 10, 1000, &w);
        if (k > 0)
                d->weight = (uint16_t) w;
        return k;
}

static int parse_block_io(const Ctx *c, json_t *res, SpecResources *r) {
        static const char *const throttles[_THROTTLE_MAX] = {
                [THROTTLE_READ_BPS] = "throttleReadBpsDevice",
                [THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
                [THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
                [THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        char field[160];
        json_t *o;
        int k;

        k = get_object(c->p, res, "blockIO", FIELD(c, "blockIO"), &o);
        if (k <= 0)
                return k;
        if (member(o, "leafWeight"))
                return leaf_weight_refused(c->p, FIELD(c, "blockIO.leafWeight"));
        if ((k = opt_u64(c, o, "weight", "blockIO.weight", 1000, &r->block_io.weight)) < 0)
                return k;
        if (r->block_io.weight.set && r->block_io.weight.value < 10)
                return field_error(c->p, FIELD(c, "blockIO.weight"), "%" PRIu64 " is out of range [10, 1000]",
                                   r->block_io.weight.value);
        k = get_object_array(c->p, o, "weightDevice", FIELD(c, "blockIO.weightDevice"), sizeof(SpecDeviceWeight),
                             (void **) &r->block_io.weight_device, &r->block_io.n_weight_device, parse_device_weight, NULL);
        if (k < 0)
                return k;
        for (Throttle t = 0; t < _THROTTLE_MAX; t++) {
                snprintf(field, sizeof field, "%sblockIO.%s", c->prefix, throttles[t]);
                k = get_object_array(c->p, o, throttles[t], field, sizeof(SpecDeviceRate),
                                     (void **) &r->block_io.throttle[t], &r->block_io.n_throttle[t], parse_device_rate, NULL);
                if (k < 0)
                        return k;
        }
        return 0;
}

static bool page_size_valid(const char *s) {
        size_t n = strspn(s, "0123456789");

        return n > 0 && s[0] != '0' && strchr("KMG", s[n]) && s[n] && streq(s + n + 1, "B");
}

static int parse_hugepage_limit(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        SpecHugepageLimit *h = element;
        char f[256];
        int k;

        if ((k = get_required_string(p, v, "pageSize", entry_field(f, sizeof f, name, "pageSize"), &h->page_size)) < 0)
                return k;
        if (!page_size_valid(h->page_size))
                return field_error(p, f, "\"%s\" is not a page size like \"2MB\"", h->page_size);
        return get_required_u64(p, v, "limit", entry_field(f, sizeof f, name, "limit"), &h->limit);
}

static int parse_net_priority(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        SpecNetPriority *n = element;
        long long prio;
        char f[256];
        int k;

        if ((k = get_required_string(p, v, "name", entry_field(f, sizeof f, name, "name"), &n->name)) < 0)
                return k;
        /* an interface name: net_prio.ifpriomap takes "NAME PRIO" lines */
        if (!n->name[0] || strlen(n->name) >= 16 || strpbrk(n->name, " \t\n/:"))
                return field_error(p, f, "\"%s\" is not a network interface name", n->name);
        k = get_required_integer(p, v, "priority", entry_field(f, sizeof f, name, "priority"), 0, UINT32_MAX, &prio);
        if (k > 0)
                n->priority = (uint32_t) prio;
        return k;
}

static int parse_network(const Ctx *c, json_t *res, SpecResources *r) {
        json_t *o;
        int k;

        k = get_object(c->p, res, "network", FIELD(c, "network"), &o);
        if (k <= 0)
                return k;
        if ((k = opt_u64(c, o, "classID", "network.classID", UINT32_MAX, &r->network.class_id)) < 0)
                return k;
        k = get_object_array(c->p, o, "priorities", FIELD(c, "network.priorities"), sizeof(SpecNetPriority),
                             (void **) &r->network.priorities, &r->network.n_priorities, parse_net_priority, NULL);
        return k < 0 ? k : 0;
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

static int device_wildcard(const Parser *p, json_t *v, const char *name, const char *key, int64_t *ret) {
        char f[256];
        long long n;
        int k = get_integer(p, v, key, entry_field(f, sizeof f, name, key), -1, UINT32_MAX, &n);

        *ret = k > 0 ? n : -1;
        return k;
}

static int parse_device_rule(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        SpecDeviceRule *d = element;
        _cleanup_free_ char *type = NULL, *access = NULL;
        char f[256];
        int k;

        k = get_bool(p, v, "allow", entry_field(f, sizeof f, name, "allow"), &d->allow);
        if (k == 0)
                return field_error(p, f, "is required");
        if (k < 0)
                return k;
        if ((k = get_string(p, v, "type", entry_field(f, sizeof f, name, "type"), &type)) < 0)
                return k;
        if (type && !streq(type, "a") && !streq(type, "b") && !streq(type, "c"))
                return field_error(p, f, "\"%s\" is not \"a\", \"b\" or \"c\"", type);
        d->type = type ? type[0] : 'a';
        if ((k = device_wildcard(p, v, name, "major", &d->major)) < 0 ||
            (k = device_wildcard(p, v, name, "minor", &d->minor)) < 0)
                return k;
        if ((k = get_string(p, v, "access", entry_field(f, sizeof f, name, "access"), &access)) < 0)
                return k;
        if (!access || !access[0]) {
                strcpy(d->access, "rwm");
                return 0;
        }
        if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
                return field_error(p, f, "\"%s\" is not made of \"r\", \"w\" and \"m\"", access);
        /* in rwm order, each once */
        for (const char *x = "rwm"; *x; x++)
                if (strchr(access, *x))
                        d->access[strlen(d->access)] = *x;
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
            (k = get_object_array(p, res, "hugepageLimits", FIELD(&c, "hugepageLimits"), sizeof(SpecHugepageLimit),
                                  (void **) &r->hugepage_limits, &r->n_hugepage_limits, parse_hugepage_limit, NULL)) < 0 ||
            (k = parse_network(&c, res, r)) < 0 ||
            (k = parse_unified(&c, res, r)) < 0 ||
            (k = get_object_array(p, res, "devices", FIELD(&c, "devices"), sizeof(SpecDeviceRule),
                                  (void **) &r->devices, &r->n_devices, parse_device_rule, NULL)) < 0)
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

static int load_json(const char *text, size_t len, const char *name, json_t **ret) {
        json_error_t jerr;

        *ret = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!*ret)
                return error_set(-EINVAL, "%s: invalid JSON at line %d, column %d: %s",
                                 name, jerr.line, jerr.column, jerr.text);
        return 0;
}

int spec_resources_parse(const char *text, size_t len, const char *path, SpecResources **ret) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        int r;

        r = load_json(text, len, path, &root);
        if (r < 0)
                return r;
        return resources_from_json(root, path, ret);
}

int spec_resources_load(const char *path, json_t *overrides, SpecResources **ret) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        _cleanup_free_ char *text = NULL;
        const char *name = !path ? "update options" : streq(path, "-") ? "standard input" : path;
        size_t len;
        int r;

        if (path) {
                r = streq(path, "-") ? read_full_fd(STDIN_FILENO, 1024 * 1024, &text, &len)
                                     : read_full_file(path, 1024 * 1024, &text, &len);
                if (r < 0)
                        return error_set(r, "%s: %m", name);
                r = load_json(text, len, name, &root);
                if (r < 0)
                        return r;
        } else if (!(root = json_object()))
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
