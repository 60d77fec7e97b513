/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
#include <string.h>

#include "spec-parse.h"
#include "strv.h"

/* What config.json sets inside the container's own namespaces: the id maps
 * of a new user namespace, the clock offsets of a new time namespace, sysctl
 * keys of the network, ipc and uts namespaces, and the domain name. */

/* The kernel takes at most this many lines in uid_map and gid_map. */
#define ID_MAP_LINES_MAX 340
/* Offsets beyond half of KTIME_SEC_MAX are refused with ERANGE by the kernel. */
#define TIME_OFFSET_SECS_MAX 4611686018LL

static int parse_id_map(const Parser *p, json_t *v, const char *name, size_t i _unused_, void *element,
                        void *userdata _unused_) {
        static const struct {
                const char *key;
                size_t offset;
        } fields[] = {
                { "containerID", offsetof(SpecIdMap, container_id) },
                { "hostID", offsetof(SpecIdMap, host_id) },
                { "size", offsetof(SpecIdMap, size) },
        };
        SpecIdMap *m = element;

        for (size_t k = 0; k < ELEMENTSOF(fields); k++) {
                char f[256];
                long long n;
                int r;

                snprintf(f, sizeof f, "%s.%s", name, fields[k].key);
                r = get_required_integer(p, v, fields[k].key, f, streq(fields[k].key, "size"), UINT32_MAX - 1, &n);
                if (r < 0)
                        return r;
                *(uint32_t *) ((char *) m + fields[k].offset) = (uint32_t) n;
        }
        /* The last id of a range must be an id: (uint32_t) -1 is none. */
        if ((uint64_t) m->container_id + m->size > UINT32_MAX || (uint64_t) m->host_id + m->size > UINT32_MAX)
                return field_error(p, name, "the range of %u ids runs past the largest id, %u", m->size, UINT32_MAX - 1);
        return 0;
}

static bool ranges_overlap(uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size) {
        return (uint64_t) a < (uint64_t) b + b_size && (uint64_t) b < (uint64_t) a + a_size;
}

static bool id_mapped(const SpecIdMap *m, size_t n, uint32_t id) {
        for (size_t i = 0; i < n; i++)
                if (ranges_overlap(m[i].container_id, m[i].size, id, 1))
                        return true;
        return false;
}

/* The kernel refuses a map whose ranges overlap, inside or outside, and
 * one of more than 340 lines. */
int parse_id_maps(const Parser *p, json_t *l, const char *key, const char *field, SpecIdMap **ret, size_t *ret_n) {
        int r;

        r = get_object_array(p, l, key, field, sizeof(SpecIdMap), (void **) ret, ret_n, parse_id_map, NULL);
        if (r <= 0)
                return r;
        if (*ret_n > ID_MAP_LINES_MAX)
                return field_error(p, field, "%zu mappings, but the kernel takes at most %d", *ret_n, ID_MAP_LINES_MAX);
        for (size_t i = 0, len = 0; i < *ret_n; i++) {
                len += snprintf(NULL, 0, ID_MAP_LINE, (*ret)[i].container_id, (*ret)[i].host_id, (*ret)[i].size);
                if (len >= ID_MAP_TEXT_MAX)
                        return field_error(p, field, "as text, longer than the %d bytes the kernel takes",
                                           ID_MAP_TEXT_MAX - 1);
        }
        for (size_t j = 0; j < *ret_n; j++)
                for (size_t i = 0; i < j; i++) {
                        const SpecIdMap *a = &(*ret)[i], *b = &(*ret)[j];

                        if (ranges_overlap(a->container_id, a->size, b->container_id, b->size))
                                return field_error(p, field, "[%zu] and [%zu] map overlapping containerID ranges", i, j);
                        if (ranges_overlap(a->host_id, a->size, b->host_id, b->size))
                                return field_error(p, field, "[%zu] and [%zu] map overlapping hostID ranges", i, j);
                }
        return 1;
}

/* Mappings only for a user namespace runsd makes, and then both, mapping
 * root (the init sets the container up as root of the namespace) and the
 * process's ids. */
static int check_id_maps(const Parser *p, const Spec *s) {
        const SpecNamespaceSettings *ns = &s->ns;
        const SpecNamespace *user = &s->namespaces[NS_USER];
        const char *key = ns->n_uid_mappings ? "linux.uidMappings" : "linux.gidMappings";

        if ((ns->n_uid_mappings || ns->n_gid_mappings) && !user->enabled)
                return field_error(p, key, "needs a new user namespace (linux.namespaces)");
        if ((ns->n_uid_mappings || ns->n_gid_mappings) && user->path)
                return field_error(p, key, "the user namespace joined by path (%s) has its mappings already",
                                   user->path);
        if (!user->enabled || user->path)
                return 0;
        if (!ns->n_uid_mappings)
                return field_error(p, "linux.uidMappings", "a new user namespace needs mappings");
        if (!ns->n_gid_mappings)
                return field_error(p, "linux.gidMappings", "a new user namespace needs mappings");
        if (!id_mapped(ns->uid_mappings, ns->n_uid_mappings, 0))
                return field_error(p, "linux.uidMappings", "must map containerID 0, the container's root");
        if (!id_mapped(ns->gid_mappings, ns->n_gid_mappings, 0))
                return field_error(p, "linux.gidMappings", "must map containerID 0, the container's root");
        if (!id_mapped(ns->uid_mappings, ns->n_uid_mappings, s->process.uid))
                return field_error(p, "process.user.uid", "%u is not mapped by linux.uidMappings", s->process.uid);
        if (!id_mapped(ns->gid_mappings, ns->n_gid_mappings, s->process.gid))
                return field_error(p, "process.user.gid", "%u is not mapped by linux.gidMappings", s->process.gid);
        for (size_t i = 0; i < s->process.n_additional_gids; i++)
                if (!id_mapped(ns->gid_mappings, ns->n_gid_mappings, s->process.additional_gids[i]))
                        return field_error(p, "process.user.additionalGids", "%u is not mapped by linux.gidMappings",
                                           s->process.additional_gids[i]);
        return 0;
}

const char *time_clock_to_string(TimeClock c) {
        static const char *const names[_TIME_CLOCK_MAX] = {
                [TIME_MONOTONIC] = "monotonic",
                [TIME_BOOTTIME] = "boottime",
        };
        return c >= 0 && c < _TIME_CLOCK_MAX ? names[c] : NULL;
}

static int parse_time_offsets(const Parser *p, json_t *l, Spec *s) {
        const SpecNamespace *time = &s->namespaces[NS_TIME];
        const char *key;
        json_t *o, *v;
        int r;

        r = get_object(p, l, "timeOffsets", "linux.timeOffsets", &o);
        if (r <= 0)
                return r;
        if (!time->enabled)
                return field_error(p, "linux.timeOffsets", "needs a new time namespace (linux.namespaces)");
        if (time->path)
                return field_error(p, "linux.timeOffsets", "the time namespace joined by path (%s) has its offsets "
                                   "already", time->path);
        json_object_foreach(o, key, v) {
                char f[300];
                SpecTimeOffset *t = NULL;
                long long n;

                snprintf(f, sizeof f, "linux.timeOffsets.%s", key);
                for (TimeClock c = 0; c < _TIME_CLOCK_MAX; c++)
                        if (streq(key, time_clock_to_string(c)))
                                t = &s->ns.time_offsets[c];
                if (!t)
                        return field_error(p, f, "unknown clock (a time namespace has monotonic and boottime)");
                if (!json_is_object(v))
                        return field_error(p, f, "must be an object, not %s", json_type_name(v));
                snprintf(f, sizeof f, "linux.timeOffsets.%s.secs", key);
                r = get_integer(p, v, "secs", f, -TIME_OFFSET_SECS_MAX, TIME_OFFSET_SECS_MAX, &n);
                if (r < 0)
                        return r;
                t->secs = r > 0 ? n : 0;
                snprintf(f, sizeof f, "linux.timeOffsets.%s.nanosecs", key);
                r = get_integer(p, v, "nanosecs", f, 0, 999999999, &n);
                if (r < 0)
                        return r;
                t->nanosecs = r > 0 ? (uint32_t) n : 0;
                t->set = true;
        }
        return 0;
}

/* The namespace a namespaced sysctl key belongs to (as runc decides it);
 * _NS_MAX for one that is the host's. */
static NamespaceType sysctl_namespace(const char *key) {
        static const char *const ipc_keys[] = {
                "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.msg_next_id", "kernel.sem",
                "kernel.sem_next_id", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_next_id",
                "kernel.shm_rmid_forced",
        };

        if (strncmp(key, "net.", 4) == 0)
                return NS_NETWORK;
        if (strncmp(key, "fs.mqueue.", 10) == 0)
                return NS_IPC;
        for (size_t i = 0; i < ELEMENTSOF(ipc_keys); i++)
                if (streq(key, ipc_keys[i]))
                        return NS_IPC;
        if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname"))
                return NS_UTS;
        return _NS_MAX;
}

/* Dot-separated names of letters, digits, '_' and '-': the key becomes a
 * path under /proc/sys, so nothing that could walk elsewhere ("..", "/"). */
static bool sysctl_key_valid(const char *key) {
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
        const char *c = key;

        if (strlen(key) > 255)
                return false;
        for (;;) {
                size_t n = strspn(c, allowed);

                if (n == 0)
                        return false;
                c += n;
                if (*c == '\0')
                        return true;
                if (*c++ != '.')
                        return false;
        }
}

static int parse_sysctl(const Parser *p, json_t *l, Spec *s) {
        const char *key;
        json_t *o, *v;
        size_t n = 0;
        int r;

        r = get_object(p, l, "sysctl", "linux.sysctl", &o);
        if (r <= 0)
                return r;
        s->ns.sysctl = calloc(2 * json_object_size(o) + 1, sizeof(char *));
        if (!s->ns.sysctl)
                return -ENOMEM;
        json_object_foreach(o, key, v) {
                char f[300];
                NamespaceType t;

                snprintf(f, sizeof f, "linux.sysctl.%s", key);
                if (!sysctl_key_valid(key))
                        return field_error(p, "linux.sysctl", "\"%s\" is not a sysctl key (names of letters, digits, "
                                           "'_' and '-', separated by dots; at most 255 characters)", key);
                t = sysctl_namespace(key);
                if (t == _NS_MAX)
                        return field_error(p, f, "is not in a namespace of the container's own: it would change the "
                                           "host");
                if (!s->namespaces[t].enabled)
                        return field_error(p, f, "needs the container's own %s namespace (linux.namespaces)",
                                           namespace_type_to_string(t));
                s->ns.sysctl[n] = strdup(key);
                if (!s->ns.sysctl[n++])
                        return -ENOMEM;
                r = string_value(p, v, f, &s->ns.sysctl[n++]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_domainname(const Parser *p, json_t *root, Spec *s) {
        int r;

        r = get_string(p, root, "domainname", "domainname", &s->ns.domainname);
        if (r <= 0)
                return r;
        if (!hostname_valid(s->ns.domainname))
                return field_error(p, "domainname", "\"%s\" is not a valid domain name", s->ns.domainname);
        if (!s->namespaces[NS_UTS].enabled)
                return field_error(p, "domainname", "needs a new uts namespace (linux.namespaces)");
        return 0;
}

int spec_namespaces_parse(const Parser *p, json_t *root, Spec *s) {
        json_t *l;
        int r;

        r = get_object(p, root, "linux", "linux", &l);
        if (r < 0)
                return r;
        if (l) {
                if ((r = parse_id_maps(p, l, "uidMappings", "linux.uidMappings", &s->ns.uid_mappings,
                                       &s->ns.n_uid_mappings)) < 0 ||
                    (r = parse_id_maps(p, l, "gidMappings", "linux.gidMappings", &s->ns.gid_mappings,
                                       &s->ns.n_gid_mappings)) < 0 ||
                    (r = parse_time_offsets(p, l, s)) < 0 ||
                    (r = parse_sysctl(p, l, s)) < 0)
                        return r;
        }
        r = check_id_maps(p, s);
        if (r < 0)
                return r;
        return parse_domainname(p, root, s);
}

void spec_namespaces_done(SpecNamespaceSettings *ns) {
        free(ns->uid_mappings);
        free(ns->gid_mappings);
        strv_free(ns->sysctl);
        free(ns->domainname);
}
