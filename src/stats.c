/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include "cgroup.h"
#include "error.h"
#include "fileio.h"
#include "path.h"
#include "stats.h"

/* A cgroup file's text; *ret NULL (and 0) if the file is not there, which
 * is how a layout says it does not count something. */
static int read_cg(const char *dir, const char *name, char **ret) {
        _cleanup_free_ char *path = path_join(dir, name);
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, 1 << 20, ret, NULL);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return error_set(r, "read %s: %m", path);
        return 0;
}

/* A number as cgroup files write it.  "max" (no limit) and what does not
 * fit a JSON integer leave v unset. */
static void parse_value(const char *s, uint64_t scale, StatsValue *v) {
        unsigned long long n;
        char *end;

        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno != 0 || end == s || (*end && !strchr(" \n", *end)) || n > INT64_MAX / scale)
                return;
        *v = (StatsValue) { .value = n * scale, .set = true };
}

static int read_value(const char *dir, const char *name, StatsValue *v) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_cg(dir, name, &text);
        if (r >= 0 && text)
                parse_value(text, 1, v);
        return r;
}

/* The value of "key N" in the lines of a flat keyed file (cpu.stat,
 * memory.events, memory.oom_control, cpuacct.stat), times scale. */
static void keyed_value(const char *text, const char *key, uint64_t scale, StatsValue *v) {
        size_t n = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, key, n) == 0 && l[n] == ' ') {
                        parse_value(l + n + 1, scale, v);
                        return;
                }
}

static int array_append(StatsArray *a, uint64_t value) {
        uint64_t *p = reallocarray(a->values, a->n + 1, sizeof *p);

        if (!p)
                return -ENOMEM;
        a->values = p;
        a->values[a->n++] = value;
        return 0;
}

/* cpuacct.usage_percpu: "N N N ..." */
static int read_array(const char *dir, const char *name, StatsArray *a) {
        _cleanup_free_ char *text = NULL;
        char *c, *end;
        int r;

        r = read_cg(dir, name, &text);
        if (r < 0 || !text)
                return r;
        a->set = true;
        for (c = text;; c = end) {
                unsigned long long n = strtoull(c, &end, 10);

                if (end == c)
                        return 0;
                r = array_append(a, n);
                if (r < 0)
                        return r;
        }
}

/* cpuacct.usage_all: a header, then "CPU USER SYSTEM" per CPU, in ns. */
static int read_percpu_modes(const char *dir, StatsArray *user, StatsArray *kernel) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_cg(dir, "cpuacct.usage_all", &text);
        if (r < 0 || !text)
                return r;
        user->set = kernel->set = true;
        for (const char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
                unsigned long long u, k;

                if (sscanf(l + 1, "%*u %llu %llu", &u, &k) != 2)
                        continue;
                if ((r = array_append(user, u)) < 0 || (r = array_append(kernel, k)) < 0)
                        return r;
        }
        return 0;
}

static int read_cpuacct_v1(const char *dir, CgroupStats *s) {
        _cleanup_free_ char *text = NULL;
        long hz = sysconf(_SC_CLK_TCK);
        int r;

        if ((r = read_value(dir, "cpuacct.usage", &s->cpu.total)) < 0 ||
            (r = read_array(dir, "cpuacct.usage_percpu", &s->cpu.percpu)) < 0 ||
            (r = read_percpu_modes(dir, &s->cpu.percpu_user, &s->cpu.percpu_kernel)) < 0 ||
            (r = read_cg(dir, "cpuacct.stat", &text)) < 0)
                return r;
        /* in clock ticks; as runc, in ns (a tick is a whole number of ns) */
        if (text && hz > 0) {
                keyed_value(text, "user", 1000000000 / hz, &s->cpu.user);
                keyed_value(text, "system", 1000000000 / hz, &s->cpu.kernel);
        }
        return 0;
}

/* cpu.stat: throttling (v1 with the cpu controller, v2 with it enabled);
 * on v2 also the usage, which every cgroup2 directory counts. */
static int read_cpu_stat(const char *dir, bool v2, CgroupStats *s) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_cg(dir, "cpu.stat", &text);
        if (r < 0 || !text)
                return r;
        if (v2) {
                keyed_value(text, "usage_usec", 1000, &s->cpu.total);
                keyed_value(text, "user_usec", 1000, &s->cpu.user);
                keyed_value(text, "system_usec", 1000, &s->cpu.kernel);
        }
        keyed_value(text, "nr_periods", 1, &s->cpu.periods);
        keyed_value(text, "nr_throttled", 1, &s->cpu.throttled_periods);
        if (v2)
                keyed_value(text, "throttled_usec", 1000, &s->cpu.throttled_time);
        else
                keyed_value(text, "throttled_time", 1, &s->cpu.throttled_time);
        return 0;
}

/* memory.stat, every "key N" line; its "cache" (v1) or "file" (v2) is
 * what runc reports as the cache. */
static int read_memory_stat(const char *dir, const char *cache_key, CgroupStats *s) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_cg(dir, "memory.stat", &text);
        if (r < 0 || !text)
                return r;
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                RawStat *raw, e = {};
                StatsValue v = {};
                size_t k = strcspn(l, " \n");

                if (k == 0 || k >= sizeof e.key || l[k] != ' ')
                        continue;
                parse_value(l + k + 1, 1, &v);
                if (!v.set)
                        continue;
                memcpy(e.key, l, k);
                e.value = v.value;
                raw = reallocarray(s->memory.raw, s->memory.n_raw + 1, sizeof *raw);
                if (!raw)
                        return -ENOMEM;
                s->memory.raw = raw;
                s->memory.raw[s->memory.n_raw++] = e;
                if (streq(e.key, cache_key))
                        s->memory.cache = v;
        }
        return 0;
}

/* v1: PREFIX.usage_in_bytes, .limit_in_bytes, .max_usage_in_bytes, .failcnt
 * for PREFIX memory (memory alone) and memory.memsw (memory and swap). */
static int read_memory_entry_v1(const char *dir, const char *prefix, MemoryEntry *e) {
        static const char *const suffixes[] = { "usage_in_bytes", "limit_in_bytes", "max_usage_in_bytes", "failcnt" };
        StatsValue *values[] = { &e->usage, &e->limit, &e->max, &e->failcnt };

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                char name[64];
                int r;

                snprintf(name, sizeof name, "%s.%s", prefix, suffixes[i]);
                r = read_value(dir, name, values[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_memory_v1(const char *dir, CgroupStats *s) {
        int r;

        if ((r = read_memory_entry_v1(dir, "memory", &s->memory.usage)) < 0 ||
            (r = read_memory_entry_v1(dir, "memory.memsw", &s->memory.swap)) < 0)
                return r;
        return read_memory_stat(dir, "cache", s);
}

static int read_memory_v2(const char *dir, CgroupStats *s) {
        MemoryEntry *m = &s->memory.usage, *sw = &s->memory.swap;
        StatsValue swap_current = {}, swap_max = {};
        int r;

        if ((r = read_value(dir, "memory.current", &m->usage)) < 0 ||
            (r = read_value(dir, "memory.max", &m->limit)) < 0 ||
            (r = read_value(dir, "memory.peak", &m->max)) < 0 ||
            (r = read_value(dir, "memory.swap.current", &swap_current)) < 0 ||
            (r = read_value(dir, "memory.swap.max", &swap_max)) < 0)
                return r;
        /* v2 counts swap alone; as runc, report memory+swap as v1 does */
        if (swap_current.set && m->usage.set)
                sw->usage = (StatsValue) { .value = swap_current.value + m->usage.value, .set = true };
        if (swap_max.set && m->limit.set && swap_max.value <= INT64_MAX - m->limit.value)
                sw->limit = (StatsValue) { .value = swap_max.value + m->limit.value, .set = true };
        return read_memory_stat(dir, "file", s);
}

static int read_pids(const char *dir, CgroupStats *s) {
        int r;

        r = read_value(dir, "pids.current", &s->pids.current);
        if (r < 0)
                return r;
        return read_value(dir, "pids.max", &s->pids.limit);
}

static int blkio_append(BlkioList *l, unsigned major, unsigned minor, const char *op, uint64_t value) {
        BlkioEntry *e = reallocarray(l->entries, l->n + 1, sizeof *e);

        if (!e)
                return -ENOMEM;
        l->entries = e;
        e = &l->entries[l->n++];
        *e = (BlkioEntry) { .major = major, .minor = minor, .value = value };
        snprintf(e->op, sizeof e->op, "%s", op);
        return 0;
}

/* v1 blkio.throttle.*_recursive: "MAJ:MIN Op N" lines and a "Total N".  The
 * throttle layer counts the I/O to every device, whatever its scheduler. */
static int read_blkio_v1(const char *dir, const char *name, BlkioList *l) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_cg(dir, name, &text);
        if (r < 0 || !text)
                return r;
        l->set = true;
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                unsigned major, minor;
                unsigned long long v;
                char op[16];

                if (sscanf(line, "%u:%u %15s %llu", &major, &minor, op, &v) != 4)
                        continue;
                r = blkio_append(l, major, minor, op, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..."; as runc, the
 * bytes and the I/Os as v1's tables with ops Read and Write. */
static int read_io_v2(const char *dir, CgroupStats *s) {
        static const struct {
                const char *key, *op;
                size_t list;    /* 0: service_bytes, 1: serviced */
        } map[] = {
                { "rbytes=", "Read", 0 }, { "wbytes=", "Write", 0 },
                { "rios=", "Read", 1 }, { "wios=", "Write", 1 },
        };
        BlkioList *lists[] = { &s->blkio.service_bytes, &s->blkio.serviced };
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_cg(dir, "io.stat", &text);
        if (r < 0 || !text)
                return r;
        lists[0]->set = lists[1]->set = true;
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *end = strchr(line, '\n') ?: line + strlen(line);
                unsigned major, minor;

                if (sscanf(line, "%u:%u", &major, &minor) != 2)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                        const char *k = strstr(line, map[i].key);

                        if (!k || k > end)
                                continue;
                        r = blkio_append(lists[map[i].list], major, minor, map[i].op,
                                         strtoull(k + strlen(map[i].key), NULL, 10));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int read_v2(const char *dir, CgroupStats *s) {
        int r;

        if ((r = read_cpu_stat(dir, true, s)) < 0 ||
            (r = read_memory_v2(dir, s)) < 0 ||
            (r = read_pids(dir, s)) < 0)
                return r;
        return read_io_v2(dir, s);
}

static int read_blkio_v1_both(const char *dir, CgroupStats *s) {
        int r;

        r = read_blkio_v1(dir, "blkio.throttle.io_service_bytes_recursive", &s->blkio.service_bytes);
        if (r < 0)
                return r;
        return read_blkio_v1(dir, "blkio.throttle.io_serviced_recursive", &s->blkio.serviced);
}

static int read_cpu_v1(const char *dir, CgroupStats *s) {
        return read_cpu_stat(dir, false, s);
}

/* Each v1 controller from its own hierarchy; one that is not mounted, or
 * where the cgroup does not exist, has nothing to say.  *found: some did. */
static int read_v1(const char *path, CgroupStats *s, bool *found) {
        static const struct {
                const char *controller;
                int (*read)(const char *dir, CgroupStats *s);
        } controllers[] = {
                { "cpuacct", read_cpuacct_v1 },
                { "cpu", read_cpu_v1 },
                { "memory", read_memory_v1 },
                { "pids", read_pids },
                { "blkio", read_blkio_v1_both },
        };

        *found = false;
        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                _cleanup_free_ char *dir = NULL;
                int r;

                r = cgroup_dir(controllers[i].controller, path, &dir);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return error_set(r, "cgroup %s: %m", path);
                if (access(dir, F_OK) < 0)
                        continue;
                *found = true;
                r = controllers[i].read(dir, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

void cgroup_stats_done(CgroupStats *s) {
        free(s->cpu.percpu.values);
        free(s->cpu.percpu_kernel.values);
        free(s->cpu.percpu_user.values);
        free(s->memory.raw);
        free(s->blkio.service_bytes.entries);
        free(s->blkio.serviced.entries);
        *s = (CgroupStats) {};
}

int cgroup_stats_read(const char *path, CgroupStats *ret) {
        CgroupStats s = {};
        bool found = true;
        int r;

        if (cgroup_is_unified()) {
                _cleanup_free_ char *dir = NULL;

                r = cgroup_dir("", path, &dir);
                if (r < 0)
                        return error_set(r, "cgroup %s: %m", path);
                found = access(dir, F_OK) == 0;
                if (found)
                        r = read_v2(dir, &s);
        } else
                r = read_v1(path, &s, &found);
        if (r >= 0 && !found)
                r = error_set(-ENOENT, "cgroup %s does not exist", path);
        if (r < 0) {
                cgroup_stats_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

/* JSON: each helper adds to o only what is set, and returns -ENOMEM or 0. */

static int add_value(json_t *o, const char *key, StatsValue v) {
        if (!v.set)
                return 0;
        return json_object_set_new(o, key, json_integer((json_int_t) v.value)) < 0 ? -ENOMEM : 0;
}

/* Adds child under key, unless it is an empty object; takes child. */
static int add_object(json_t *o, const char *key, json_t *child) {
        if (!child)
                return -ENOMEM;
        if (json_is_object(child) && json_object_size(child) == 0) {
                json_decref(child);
                return 0;
        }
        return json_object_set_new(o, key, child) < 0 ? -ENOMEM : 0;
}

static int add_array(json_t *o, const char *key, const StatsArray *a) {
        _cleanup_(json_decrefp) json_t *j = NULL;

        if (!a->set)
                return 0;
        j = json_array();
        for (size_t i = 0; j && i < a->n; i++)
                if (json_array_append_new(j, json_integer((json_int_t) a->values[i])) < 0)
                        return -ENOMEM;
        return add_object(o, key, TAKE_PTR(j));
}

static int add_blkio(json_t *o, const char *key, const BlkioList *l) {
        _cleanup_(json_decrefp) json_t *a = NULL;

        if (!l->set)
                return 0;
        a = json_array();
        for (size_t i = 0; a && i < l->n; i++) {
                const BlkioEntry *e = &l->entries[i];

                if (json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t) e->major,
                                                       "minor", (json_int_t) e->minor, "op", e->op,
                                                       "value", (json_int_t) e->value)) < 0)
                        return -ENOMEM;
        }
        return add_object(o, key, TAKE_PTR(a));
}

static int add_memory_entry(json_t *o, const char *key, const MemoryEntry *e) {
        _cleanup_(json_decrefp) json_t *j = json_object();

        if (!j || add_value(j, "limit", e->limit) < 0 || add_value(j, "usage", e->usage) < 0 ||
            add_value(j, "max", e->max) < 0 || add_value(j, "failcnt", e->failcnt) < 0)
                return -ENOMEM;
        return add_object(o, key, TAKE_PTR(j));
}

static int add_cpu(json_t *o, const CgroupStats *s) {
        _cleanup_(json_decrefp) json_t *cpu = json_object(), *usage = json_object(), *throttling = json_object();

        if (!cpu || !usage || !throttling ||
            add_value(usage, "total", s->cpu.total) < 0 ||
            add_array(usage, "percpu", &s->cpu.percpu) < 0 ||
            add_array(usage, "percpu_kernel", &s->cpu.percpu_kernel) < 0 ||
            add_array(usage, "percpu_user", &s->cpu.percpu_user) < 0 ||
            add_value(usage, "kernel", s->cpu.kernel) < 0 ||
            add_value(usage, "user", s->cpu.user) < 0 ||
            add_value(throttling, "periods", s->cpu.periods) < 0 ||
            add_value(throttling, "throttledPeriods", s->cpu.throttled_periods) < 0 ||
            add_value(throttling, "throttledTime", s->cpu.throttled_time) < 0 ||
            add_object(cpu, "usage", TAKE_PTR(usage)) < 0 ||
            add_object(cpu, "throttling", TAKE_PTR(throttling)) < 0)
                return -ENOMEM;
        return add_object(o, "cpu", TAKE_PTR(cpu));
}

static int add_memory(json_t *o, const CgroupStats *s) {
        _cleanup_(json_decrefp) json_t *memory = json_object(), *raw = json_object();

        if (!memory || !raw)
                return -ENOMEM;
        for (size_t i = 0; i < s->memory.n_raw; i++)
                if (json_object_set_new(raw, s->memory.raw[i].key, json_integer((json_int_t) s->memory.raw[i].value)) < 0)
                        return -ENOMEM;
        if (add_value(memory, "cache", s->memory.cache) < 0 ||
            add_memory_entry(memory, "usage", &s->memory.usage) < 0 ||
            add_memory_entry(memory, "swap", &s->memory.swap) < 0 ||
            add_object(memory, "raw", TAKE_PTR(raw)) < 0)
                return -ENOMEM;
        return add_object(o, "memory", TAKE_PTR(memory));
}

static int add_pids(json_t *o, const CgroupStats *s) {
        _cleanup_(json_decrefp) json_t *pids = json_object();

        if (!pids || add_value(pids, "current", s->pids.current) < 0 || add_value(pids, "limit", s->pids.limit) < 0)
                return -ENOMEM;
        return add_object(o, "pids", TAKE_PTR(pids));
}

static int add_blkio_lists(json_t *o, const CgroupStats *s) {
        _cleanup_(json_decrefp) json_t *blkio = json_object();

        if (!blkio || add_blkio(blkio, "ioServiceBytesRecursive", &s->blkio.service_bytes) < 0 ||
            add_blkio(blkio, "ioServicedRecursive", &s->blkio.serviced) < 0)
                return -ENOMEM;
        return add_object(o, "blkio", TAKE_PTR(blkio));
}

json_t *cgroup_stats_to_json(const CgroupStats *s) {
        _cleanup_(json_decrefp) json_t *o = json_object();

        if (!o || add_cpu(o, s) < 0 || add_memory(o, s) < 0 || add_pids(o, s) < 0 || add_blkio_lists(o, s) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int read_oom_kills(const char *dir, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        StatsValue v = {};
        int r;

        r = read_cg(dir, "memory.events", &text);
        if (r < 0)
                return r;
        if (text)
                keyed_value(text, "oom_kill", 1, &v);
        if (!v.set)
                return -ENOENT;
        *ret = v.value;
        return 0;
}

static int watch_v2(OomWatch *w, const char *file) {
        int r;

        r = read_oom_kills(w->dir, &w->kills);
        if (r < 0)
                return r;
        w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->fd < 0 || inotify_add_watch(w->fd, file, IN_MODIFY) < 0)
                return -errno;
        return 0;
}

static int watch_v1(OomWatch *w, const char *file) {
        _cleanup_free_ char *control = path_join(w->dir, "cgroup.event_control");
        _cleanup_close_ int event_control = -1;
        char buf[64];
        int n;

        if (!control)
                return -ENOMEM;
        w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        w->control_fd = open(file, O_RDONLY | O_CLOEXEC);
        event_control = open(control, O_WRONLY | O_CLOEXEC);
        if (w->fd < 0 || w->control_fd < 0 || event_control < 0)
                return -errno;
        n = snprintf(buf, sizeof buf, "%d %d", w->fd, w->control_fd);
        if (write(event_control, buf, n) != n)
                return -errno;
        return 0;
}

int oom_watch_open(const char *path, OomWatch *ret) {
        _cleanup_(oom_watch_close) OomWatch w = OOM_WATCH_NULL;
        _cleanup_free_ char *file = NULL;
        bool v2 = cgroup_is_unified();
        int r;

        *ret = OOM_WATCH_NULL;
        r = cgroup_dir(v2 ? "" : "memory", path, &w.dir);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_set(r, "cgroup %s: %m", path);
        file = path_join(w.dir, v2 ? "memory.events" : "memory.oom_control");
        if (!file)
                return -ENOMEM;
        if (access(file, F_OK) < 0)
                return errno == ENOENT ? 0 : error_set(-errno, "%s: %m", file);
        r = v2 ? watch_v2(&w, file) : watch_v1(&w, file);
        if (r < 0)
                return error_set(r, "watch %s: %m", file);
        *ret = w;
        w = OOM_WATCH_NULL;
        return 0;
}

bool oom_watch_read(OomWatch *w) {
        char buf[4096];
        uint64_t kills;
        bool fired = false;

        if (w->fd < 0)
                return false;
        /* empties the inotify queue, or reads and resets the eventfd */
        while (read(w->fd, buf, sizeof buf) > 0)
                fired = true;
        if (w->control_fd >= 0) {
                _cleanup_free_ char *control = path_join(w->dir, "cgroup.event_control");

                /* v1 also signals the eventfd when the cgroup is removed */
                return fired && control && access(control, F_OK) == 0;
        }
        if (read_oom_kills(w->dir, &kills) < 0) {
                error_clear();  /* gone with the container: nothing more to see */
                return false;
        }
        fired = kills > w->kills;
        w->kills = kills;
        return fired;
}

void oom_watch_close(OomWatch *w) {
        closep(&w->fd);
        closep(&w->control_fd);
        free(w->dir);
        *w = OOM_WATCH_NULL;
}
