/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/capability.h>

#include "error.h"
#include "fileio.h"
#include "log.h"
#include "path.h"
#include "spec-parse.h"
#include "spec.h"
#include "strv.h"
#include "unit-name.h"


const char *namespace_type_to_string(NamespaceType t) {
        static const char *const names[_NS_MAX] = {
                [NS_PID] = "pid",
                [NS_NETWORK] = "network",
                [NS_MOUNT] = "mount",
                [NS_IPC] = "ipc",
                [NS_UTS] = "uts",
                [NS_CGROUP] = "cgroup",
                [NS_USER] = "user",
                [NS_TIME] = "time",
        };
        return t >= 0 && t < _NS_MAX ? names[t] : NULL;
}

const char *spec_annotation(const Spec *s, const char *key) {
        const char *value = NULL;

        for (char **a = s->annotations; a && a[0] && a[1]; a += 2)
                if (streq(a[0], key))
                        value = a[1];
        return value;
}

int namespace_type_from_string(const char *s) {
        for (NamespaceType t = 0; t < _NS_MAX; t++)
                if (streq(namespace_type_to_string(t), s))
                        return t;
        return -EINVAL;
}

unsigned long namespace_clone_flag(NamespaceType t) {
        static const unsigned long flags[_NS_MAX] = {
                [NS_PID] = CLONE_NEWPID,
                [NS_NETWORK] = CLONE_NEWNET,
                [NS_MOUNT] = CLONE_NEWNS,
                [NS_IPC] = CLONE_NEWIPC,
                [NS_UTS] = CLONE_NEWUTS,
                [NS_CGROUP] = CLONE_NEWCGROUP,
                [NS_USER] = CLONE_NEWUSER,
                [NS_TIME] = CLONE_NEWTIME,
        };
        return flags[t];
}

const char *namespace_proc_name(NamespaceType t) {
        return t == NS_MOUNT ? "mnt" : t == NS_NETWORK ? "net" : namespace_type_to_string(t);
}

static int parse_namespaces(const Parser *p, json_t *linux_obj, Spec *s) {
        json_t *a, *v;
        size_t i;
        int r;

        r = get_array(p, linux_obj, "namespaces", "linux.namespaces", &a);
        if (r <= 0)
                return r;
        json_array_foreach(a, i, v) {
                _cleanup_free_ char *type = NULL, *path = NULL;
                char f[64];
                int t;

                if ((r = array_object(p, v, "linux.namespaces", i, f, sizeof f)) < 0)
                        return r;
                snprintf(f, sizeof f, "linux.namespaces[%zu].type", i);
                if ((r = get_required_string(p, v, "type", f, &type)) < 0)
                        return r;
                t = namespace_type_from_string(type);
                if (t < 0)
                        return field_error(p, f, "unknown namespace type \"%s\"", type);
                if (s->namespaces[t].enabled)
                        return field_error(p, f, "namespace \"%s\" is listed twice", type);
                snprintf(f, sizeof f, "linux.namespaces[%zu].path", i);
                r = get_string(p, v, "path", f, &path);
                if (r < 0)
                        return r;
                if (path) {
                        r = check_absolute(p, f, &path);
                        if (r < 0)
                                return r;
                }
                s->namespaces[t].enabled = true;
                s->namespaces[t].path = TAKE_PTR(path);
        }
        return 0;
}

typedef struct MountOption {
        const char *name;
        bool clear;             /* this option clears the flag instead of setting it */
        unsigned long flag;
} MountOption;

static const MountOption mount_flag_options[] = {
        { "ro",          false, MS_RDONLY },
        { "rw",          true,  MS_RDONLY },
        { "nosuid",      false, MS_NOSUID },
        { "suid",        true,  MS_NOSUID },
        { "nodev",       false, MS_NODEV },
        { "dev",         true,  MS_NODEV },
        { "noexec",      false, MS_NOEXEC },
        { "exec",        true,  MS_NOEXEC },
        { "sync",        false, MS_SYNCHRONOUS },
        { "async",       true,  MS_SYNCHRONOUS },
        { "dirsync",     false, MS_DIRSYNC },
        { "mand",        false, MS_MANDLOCK },
        { "nomand",      true,  MS_MANDLOCK },
        { "noatime",     false, MS_NOATIME },
        { "atime",       true,  MS_NOATIME },
        { "nodiratime",  false, MS_NODIRATIME },
        { "diratime",    true,  MS_NODIRATIME },
        { "relatime",    false, MS_RELATIME },
        { "norelatime",  true,  MS_RELATIME },
        { "strictatime", false, MS_STRICTATIME },
        { "nostrictatime", true, MS_STRICTATIME },
        { "iversion",    false, MS_I_VERSION },
        { "noiversion",  true,  MS_I_VERSION },
        { "lazytime",    false, MS_LAZYTIME },
        { "nolazytime",  true,  MS_LAZYTIME },
        { "silent",      false, MS_SILENT },
        { "loud",        true,  MS_SILENT },
        { "nosymfollow", false, MS_NOSYMFOLLOW },
        { "symfollow",   true,  MS_NOSYMFOLLOW },
        { "remount",     false, MS_REMOUNT },
        { "defaults",    false, 0 },
};

/* runc's recursive options: attributes of every mount of the tree. */
static const MountOption mount_attr_options[] = {
        { "rro",            false, MOUNT_ATTR_RDONLY },
        { "rrw",            true,  MOUNT_ATTR_RDONLY },
        { "rnosuid",        false, MOUNT_ATTR_NOSUID },
        { "rsuid",          true,  MOUNT_ATTR_NOSUID },
        { "rnodev",         false, MOUNT_ATTR_NODEV },
        { "rdev",           true,  MOUNT_ATTR_NODEV },
        { "rnoexec",        false, MOUNT_ATTR_NOEXEC },
        { "rexec",          true,  MOUNT_ATTR_NOEXEC },
        { "rnodiratime",    false, MOUNT_ATTR_NODIRATIME },
        { "rdiratime",      true,  MOUNT_ATTR_NODIRATIME },
        { "rrelatime",      false, MOUNT_ATTR_RELATIME },
        { "rnorelatime",    true,  MOUNT_ATTR_RELATIME },
        { "rnoatime",       false, MOUNT_ATTR_NOATIME },
        { "ratime",         true,  MOUNT_ATTR_NOATIME },
        { "rstrictatime",   false, MOUNT_ATTR_STRICTATIME },
        { "rnostrictatime", true,  MOUNT_ATTR_STRICTATIME },
        { "rnosymfollow",   false, MOUNT_ATTR_NOSYMFOLLOW },
        { "rsymfollow",     true,  MOUNT_ATTR_NOSYMFOLLOW },
};

static const MountOption mount_propagation_options[] = {
        { "private",     false, MS_PRIVATE },
        { "rprivate",    false, MS_PRIVATE | MS_REC },
        { "shared",      false, MS_SHARED },
        { "rshared",     false, MS_SHARED | MS_REC },
        { "slave",       false, MS_SLAVE },
        { "rslave",      false, MS_SLAVE | MS_REC },
        { "unbindable",  false, MS_UNBINDABLE },
        { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

static const MountOption mount_bind_options[] = {
        { "bind",        false, 0 },
        { "rbind",       false, MS_REC },
};

/* Options that set a field of the mount's own (above, the tables). */
static const char *const mount_field_options[] = { "idmap", "ridmap", "tmpcopyup" };

int spec_mount_option_names(const char ***ret, size_t *ret_n) {
        static const struct {
                const MountOption *table;
                size_t n;
        } tables[] = {
                { mount_flag_options, ELEMENTSOF(mount_flag_options) },
                { mount_attr_options, ELEMENTSOF(mount_attr_options) },
                { mount_propagation_options, ELEMENTSOF(mount_propagation_options) },
                { mount_bind_options, ELEMENTSOF(mount_bind_options) },
        };
        size_t n = ELEMENTSOF(mount_field_options);
        const char **l;

        for (size_t t = 0; t < ELEMENTSOF(tables); t++)
                n += tables[t].n;
        l = calloc(n, sizeof(char *));
        if (!l)
                return -ENOMEM;
        n = 0;
        for (size_t t = 0; t < ELEMENTSOF(tables); t++)
                for (size_t i = 0; i < tables[t].n; i++)
                        l[n++] = tables[t].table[i].name;
        for (size_t i = 0; i < ELEMENTSOF(mount_field_options); i++)
                l[n++] = mount_field_options[i];
        *ret = l;
        *ret_n = n;
        return 0;
}

static const MountOption *mount_option_find(const MountOption *table, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(table[i].name, name))
                        return &table[i];
        return NULL;
}

static int parse_mount_options(const Parser *p, const char *field, char **options, SpecMount *m) {
        _cleanup_free_ char *data = NULL;
        size_t data_len = 0;
        bool atime = false;

        STRV_FOREACH(o, options) {
                const MountOption *opt;

                if ((opt = mount_option_find(mount_flag_options, ELEMENTSOF(mount_flag_options), *o))) {
                        if (opt->clear)
                                m->flags &= ~opt->flag;
                        else
                                m->flags |= opt->flag;
                } else if ((opt = mount_option_find(mount_attr_options, ELEMENTSOF(mount_attr_options), *o)) &&
                           (opt->flag & MOUNT_ATTR__ATIME || opt->flag == MOUNT_ATTR_RELATIME)) {
                        /* One way of keeping atime: the last named, where
                         * ratime, rnorelatime and rnostrictatime mean the
                         * kernel's default, relatime. */
                        m->attr_set = (m->attr_set & ~MOUNT_ATTR__ATIME) | (opt->clear ? MOUNT_ATTR_RELATIME : opt->flag);
                        atime = true;
                } else if (opt) {
                        /* The later of a pair wins, as with the flags. */
                        m->attr_set &= ~opt->flag;
                        m->attr_clr &= ~opt->flag;
                        if (opt->clear)
                                m->attr_clr |= opt->flag;
                        else
                                m->attr_set |= opt->flag;
                } else if ((opt = mount_option_find(mount_propagation_options, ELEMENTSOF(mount_propagation_options), *o)))
                        m->propagation = opt->flag;
                else if ((opt = mount_option_find(mount_bind_options, ELEMENTSOF(mount_bind_options), *o))) {
                        m->bind = true;
                        m->recursive = m->recursive || opt->flag & MS_REC;
                } else if (streq(*o, "idmap"))
                        m->idmap = true;
                else if (streq(*o, "ridmap"))
                        m->idmap = m->idmap_recursive = true;
                else if (streq(*o, "tmpcopyup"))
                        m->copyup = true;
                else if (strncmp(*o, "X-mount.", 8) == 0) {
                        char f[300];

                        snprintf(f, sizeof f, "%s option \"%s\"", field, *o);
                        return not_supported(p, f);
                } else {
                        /* Everything else is file system data (mode=755, size=64k, ...). */
                        size_t l = strlen(*o);
                        char *n = realloc(data, data_len + l + 2);

                        if (!n)
                                return -ENOMEM;
                        data = n;
                        if (data_len > 0)
                                data[data_len++] = ',';
                        memcpy(data + data_len, *o, l + 1);
                        data_len += l;
                }
        }
        /* The kernel changes how atime is kept only with all of its bits
         * cleared (mount_setattr(2)). */
        if (atime)
                m->attr_clr |= MOUNT_ATTR__ATIME;
        m->readonly = m->flags & MS_RDONLY;
        m->data = TAKE_PTR(data);
        return 0;
}

/* What the options ask of the kind of mount, once its type is known. */
static int check_mount_kind(const Parser *p, const char *base, SpecMount *m) {
        char f[64];

        snprintf(f, sizeof f, "%s.options", base);
        if (m->idmap && !m->bind)
                return field_error(p, f, "%s: only a bind mount can be idmapped",
                                   m->idmap_recursive ? "ridmap" : "idmap");
        if (m->copyup && !streq_ptr(m->type, "tmpfs"))
                return field_error(p, f, "tmpcopyup: only for a tmpfs, not %s", m->type ?: "a bind mount");
        if (m->flags & MS_REMOUNT && m->bind)
                return field_error(p, f, "remount: not with bind (a bind mount's flags are set as it is made)");
        if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0))
                return field_error(p, m->n_uid_mappings ? "gidMappings" : "uidMappings",
                                   "%s: an idmapped mount needs both uidMappings and gidMappings", base);
        return 0;
}

static int parse_mount(const Parser *p, json_t *v, const char *base, size_t i, void *element, void *userdata) {
        _cleanup_strv_free_ char **options = NULL;
        const Spec *s = userdata;
        SpecMount *m = element;
        char f[64];
        int r;

        snprintf(f, sizeof f, "%s.destination", base);
        if ((r = get_required_string(p, v, "destination", f, &m->destination)) < 0)
                return r;
        r = check_absolute(p, f, &m->destination);
        if (r < 0)
                return r;

        snprintf(f, sizeof f, "%s.type", base);
        r = get_string(p, v, "type", f, &m->type);
        if (r < 0)
                return r;
        snprintf(f, sizeof f, "%s.source", base);
        r = get_string(p, v, "source", f, &m->source);
        if (r < 0)
                return r;
        snprintf(f, sizeof f, "%s.options", base);
        r = get_strv(p, v, "options", f, &options);
        if (r < 0)
                return r;
        r = parse_mount_options(p, f, options, m);
        if (r < 0)
                return r;
        snprintf(f, sizeof f, "%s.uidMappings", base);
        if ((r = parse_id_maps(p, v, "uidMappings", f, &m->uid_mappings, &m->n_uid_mappings)) < 0)
                return r;
        snprintf(f, sizeof f, "%s.gidMappings", base);
        if ((r = parse_id_maps(p, v, "gidMappings", f, &m->gid_mappings, &m->n_gid_mappings)) < 0)
                return r;
        /* Mappings alone make an idmapped mount, as in runc. */
        if (m->n_uid_mappings || m->n_gid_mappings)
                m->idmap = true;

        if (m->type && streq(m->type, "bind"))
                m->bind = true;
        if (m->bind) {
                /* A bind mount's type ("bind", "none", or a file system
                 * name) says nothing to the kernel. */
                free(m->type);
                m->type = NULL;
                snprintf(f, sizeof f, "%s.source", base);
                if (!m->source)
                        return field_error(p, f, "is required for a bind mount");
                if (!path_is_absolute(m->source)) {
                        char *abs = path_join(s->bundle, m->source);

                        if (!abs)
                                return -ENOMEM;
                        free(m->source);
                        m->source = abs;
                }
        } else {
                snprintf(f, sizeof f, "%s.type", base);
                if (!m->type || !m->type[0])
                        return field_error(p, f, "is required unless the mount is a bind mount");
                if (!m->source) {
                        m->source = strdup(m->type);
                        if (!m->source)
                                return -ENOMEM;
                }
        }
        if (m->type && (streq(m->type, "cgroup") || streq(m->type, "cgroup2")) && !m->readonly)
                log_debug("%s: %s: a writable cgroup mount", p->path, base);
        return check_mount_kind(p, base, m);
}

/* An idmapped mount without mappings of its own takes the container's user
 * namespace's, as in runc: there must be one. */
static int check_mounts_idmap(const Parser *p, const Spec *s) {
        for (size_t i = 0; i < s->n_mounts; i++) {
                const SpecMount *m = &s->mounts[i];
                char f[64];

                if (!m->idmap || m->n_uid_mappings || s->namespaces[NS_USER].enabled)
                        continue;
                snprintf(f, sizeof f, "mounts[%zu].options", i);
                return field_error(p, f, "%s: needs mounts[%zu].uidMappings and gidMappings, or a user namespace "
                                   "(linux.namespaces) whose mappings it takes", m->idmap_recursive ? "ridmap" : "idmap", i);
        }
        return 0;
}

static int parse_mounts(const Parser *p, json_t *root, Spec *s) {
        int r = get_object_array(p, root, "mounts", "mounts", sizeof(SpecMount), (void **) &s->mounts, &s->n_mounts,
                                 parse_mount, s);
        return r < 0 ? r : 0;
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        { "RLIMIT_AS", RLIMIT_AS },
        { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_CPU", RLIMIT_CPU },
        { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },
        { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
        { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE },
        { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_NPROC", RLIMIT_NPROC },
        { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
        { "RLIMIT_RTTIME", RLIMIT_RTTIME },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
        { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_rlimit(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        const SpecProcess *proc = userdata;
        _cleanup_free_ char *type = NULL;
        SpecRlimit *rl = element;
        char f[64];
        size_t k;
        int r;

        snprintf(f, sizeof f, "%s.type", name);
        if ((r = get_required_string(p, v, "type", f, &type)) < 0)
                return r;
        for (k = 0; k < ELEMENTSOF(rlimit_names); k++)
                if (streq(rlimit_names[k].name, type))
                        break;
        if (k == ELEMENTSOF(rlimit_names))
                return field_error(p, f, "unknown rlimit \"%s\"", type);
        for (size_t j = 0; j < i; j++)
                if (proc->rlimits[j].resource == rlimit_names[k].resource)
                        return field_error(p, f, "rlimit \"%s\" is listed twice", type);
        rl->resource = rlimit_names[k].resource;

        snprintf(f, sizeof f, "%s.soft", name);
        r = get_required_u64(p, v, "soft", f, &rl->soft);
        if (r < 0)
                return r;
        snprintf(f, sizeof f, "%s.hard", name);
        r = get_required_u64(p, v, "hard", f, &rl->hard);
        if (r < 0)
                return r;
        if (rl->soft > rl->hard)
                return field_error(p, f, "soft limit %" PRIu64 " is above the hard limit %" PRIu64, rl->soft, rl->hard);
        return 0;
}

static int parse_rlimits(const Parser *p, json_t *process, SpecProcess *proc) {
        int r = get_object_array(p, process, "rlimits", "process.rlimits", sizeof(SpecRlimit),
                                 (void **) &proc->rlimits, &proc->n_rlimits, parse_rlimit, proc);
        return r < 0 ? r : 0;
}

static int parse_capability_set(const Parser *p, json_t *caps, const char *key, uint64_t *ret) {
        _cleanup_strv_free_ char **names = NULL;
        char f[64];
        int r;

        snprintf(f, sizeof f, "process.capabilities.%s", key);
        r = get_strv(p, caps, key, f, &names);
        if (r <= 0)
                return r;
        *ret = 0;
        STRV_FOREACH(n, names) {
                cap_value_t c;

                if (cap_from_name(*n, &c) < 0 || c >= 64) {
                        /* As runc: a capability this kernel or libcap does not
                         * know cannot be granted, and is dropped with a warning. */
                        log_warning("%s: %s: unknown capability \"%s\", ignored", p->path, f, *n);
                        continue;
                }
                *ret |= UINT64_C(1) << c;
        }
        return 0;
}

static int parse_capabilities(const Parser *p, json_t *process, SpecProcess *proc) {
        static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable", "ambient" };
        uint64_t *fields[] = {
                &proc->capabilities.bounding, &proc->capabilities.effective, &proc->capabilities.permitted,
                &proc->capabilities.inheritable, &proc->capabilities.ambient,
        };
        json_t *caps;
        int r;

        r = get_object(p, process, "capabilities", "process.capabilities", &caps);
        if (r <= 0)
                return r;
        proc->has_capabilities = true;
        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
                r = parse_capability_set(p, caps, sets[i], fields[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_user(const Parser *p, json_t *process, SpecProcess *proc) {
        json_t *user, *gids, *v;
        long long umask;
        size_t i;
        int r;

        r = get_object(p, process, "user", "process.user", &user);
        if (r <= 0)
                return r;
        if ((r = get_id(p, user, "uid", "process.user.uid", &proc->uid)) < 0 ||
            (r = get_id(p, user, "gid", "process.user.gid", &proc->gid)) < 0)
                return r;
        r = get_integer(p, user, "umask", "process.user.umask", 0, 0777, &umask);
        if (r < 0)
                return r;
        if (r > 0) {
                proc->has_umask = true;
                proc->umask = (mode_t) umask;
        }
        if (member(user, "username"))
                return not_supported(p, "process.user.username");

        r = get_array(p, user, "additionalGids", "process.user.additionalGids", &gids);
        if (r <= 0)
                return r;
        proc->additional_gids = calloc(json_array_size(gids), sizeof(gid_t));
        if (!proc->additional_gids && json_array_size(gids) > 0)
                return -ENOMEM;
        json_array_foreach(gids, i, v) {
                char f[64];
                long long g;

                snprintf(f, sizeof f, "process.user.additionalGids[%zu]", i);
                r = integer_value(p, v, f, 0, UINT32_MAX - 1, &g);
                if (r < 0)
                        return r;
                proc->additional_gids[i] = (gid_t) g;
                proc->n_additional_gids = i + 1;
        }
        return 0;
}

static int parse_console_size(const Parser *p, json_t *process, SpecProcess *proc) {
        long long height, width;
        json_t *size;
        int r;

        r = get_object(p, process, "consoleSize", "process.consoleSize", &size);
        if (r <= 0)
                return r;
        if ((r = get_required_integer(p, size, "height", "process.consoleSize.height", 0, UINT16_MAX, &height)) < 0 ||
            (r = get_required_integer(p, size, "width", "process.consoleSize.width", 0, UINT16_MAX, &width)) < 0)
                return r;
        proc->console_height = (unsigned short) height;
        proc->console_width = (unsigned short) width;
        return 0;
}

/* The "process" object: config.json's, or exec's --process file. */
static int parse_process_object(const Parser *p, json_t *process, SpecProcess *proc) {
        long long oom;
        int r;

        r = get_bool(p, process, "terminal", "process.terminal", &proc->terminal);
        if (r < 0)
                return r;
        r = parse_console_size(p, process, proc);
        if (r < 0)
                return r;
        r = spec_process_attr_parse(p, process, proc);
        if (r < 0)
                return r;

        r = get_strv(p, process, "args", "process.args", &proc->args);
        if (r < 0)
                return r;
        if (!proc->args || !proc->args[0])
                return field_error(p, "process.args", "must be a non-empty array of strings");
        if (!proc->args[0][0])
                return field_error(p, "process.args[0]", "must not be empty");
        if (member(process, "commandLine"))
                return not_supported(p, "process.commandLine");

        r = get_strv(p, process, "env", "process.env", &proc->env);
        if (r < 0)
                return r;
        STRV_FOREACH(e, proc->env)
                if (!strchr(*e, '=') || **e == '=')
                        return field_error(p, "process.env", "\"%s\" is not of the form NAME=VALUE", *e);

        r = get_required_string(p, process, "cwd", "process.cwd", &proc->cwd);
        if (r < 0)
                return r;
        r = check_absolute(p, "process.cwd", &proc->cwd);
        if (r < 0)
                return r;

        if ((r = parse_user(p, process, proc)) < 0 ||
            (r = parse_capabilities(p, process, proc)) < 0 ||
            (r = parse_rlimits(p, process, proc)) < 0)
                return r;
        r = get_bool(p, process, "noNewPrivileges", "process.noNewPrivileges", &proc->no_new_privileges);
        if (r < 0)
                return r;
        r = get_integer(p, process, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &oom);
        if (r < 0)
                return r;
        if (r > 0) {
                proc->has_oom_score_adj = true;
                proc->oom_score_adj = (int) oom;
        }
        return 0;
}

static int parse_process(const Parser *p, json_t *root, SpecProcess *proc) {
        json_t *process;
        int r;

        r = get_object(p, root, "process", "process", &process);
        if (r < 0)
                return r;
        if (r == 0)
                return field_error(p, "process", "is required");
        return parse_process_object(p, process, proc);
}

static int parse_root(const Parser *p, json_t *root, Spec *s) {
        _cleanup_free_ char *path = NULL;
        json_t *o;
        int r;

        r = get_object(p, root, "root", "root", &o);
        if (r < 0)
                return r;
        if (r == 0)
                return field_error(p, "root", "is required");
        r = get_required_string(p, o, "path", "root.path", &path);
        if (r < 0)
                return r;
        if (!path[0])
                return field_error(p, "root.path", "is required");
        /* A relative rootfs is the bundle's; ".." would take it elsewhere. */
        if (!path_is_absolute(path) && !path_is_normalized(path))
                return field_error(p, "root.path", "\"%s\" must not leave the bundle with \"..\"", path);
        r = get_bool(p, o, "readonly", "root.readonly", &s->root_readonly);
        if (r < 0)
                return r;
        s->root_path = path_is_absolute(path) ? path_normalize(path) : path_join(s->bundle, path);
        return s->root_path ? 0 : -ENOMEM;
}

static int parse_cgroups_path(const Parser *p, json_t *linux_obj, Spec *s) {
        const char *reason = NULL;
        int r;

        r = get_string(p, linux_obj, "cgroupsPath", "linux.cgroupsPath", &s->cgroups_path);
        if (r <= 0)
                return r;
        r = cgroups_path_validate(s->cgroups_path, &reason);
        if (r < 0)
                return error_set(r, "%s: linux.cgroupsPath: \"%s\": %s", p->path, s->cgroups_path, reason);
        return 0;
}

static int parse_linux(const Parser *p, json_t *root, Spec *s) {
        _cleanup_free_ char *propagation = NULL;
        json_t *l, *res;
        int r;

        r = get_object(p, root, "linux", "linux", &l);
        if (r <= 0)
                return r;
        r = get_object(p, l, "resources", "linux.resources", &res);
        if (r < 0)
                return r;
        if (r > 0 && (r = spec_resources_parse_object(p, res, "linux.resources.", &s->resources)) < 0)
                return r;
        if ((r = parse_namespaces(p, l, s)) < 0 ||
            (r = spec_linux_attr_parse(p, l, s)) < 0 ||
            (r = spec_host_parse(p, l, s)) < 0 ||
            (r = spec_devices_parse(p, l, s)) < 0 ||
            (r = parse_cgroups_path(p, l, s)) < 0 ||
            (r = spec_seccomp_parse(p, l, &s->seccomp)) < 0 ||
            (r = get_strv(p, l, "maskedPaths", "linux.maskedPaths", &s->masked_paths)) < 0 ||
            (r = get_strv(p, l, "readonlyPaths", "linux.readonlyPaths", &s->readonly_paths)) < 0)
                return r;
        STRV_FOREACH(m, s->masked_paths)
                if ((r = check_absolute(p, "linux.maskedPaths", m)) < 0)
                        return r;
        STRV_FOREACH(m, s->readonly_paths)
                if ((r = check_absolute(p, "linux.readonlyPaths", m)) < 0)
                        return r;

        r = get_string(p, l, "rootfsPropagation", "linux.rootfsPropagation", &propagation);
        if (r < 0)
                return r;
        if (r > 0 && propagation[0]) {
                const MountOption *o = mount_option_find(mount_propagation_options,
                                                         ELEMENTSOF(mount_propagation_options), propagation);
                if (!o)
                        return field_error(p, "linux.rootfsPropagation", "unknown propagation \"%s\"", propagation);
                s->rootfs_propagation = o->flag;
        }
        return 0;
}

/* The value of an org.systemd.property.NAME annotation, in the GVariant
 * text crun takes: true, false, 'text', "text", or a number after its type
 * ("uint64 15000000"); a bare number is refused, as its D-Bus type (which
 * systemd checks) would be a guess. */
static int parse_unit_property(const Parser *p, const char *field, const char *name, const char *value,
                               SpecUnitProperty *ret) {
        static const struct {
                const char *word;
                char type;
                long long min, max;     /* for the signed ones */
        } numbers[] = {
                { "uint64 ", 't', 0, 0 },
                { "int64 ", 'x', INT64_MIN, INT64_MAX },
                { "uint32 ", 'u', 0, UINT32_MAX },
                { "int32 ", 'i', INT32_MIN, INT32_MAX },
        };
        size_t len = strlen(value);

        if (!name[0] || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(name))
                return field_error(p, field, "\"%s\" is not a unit property name", name);
        /* What runsd sets itself, and relies on. */
        if (streq(name, "PIDs") || streq(name, "Slice") || streq(name, "Description") || streq(name, "Delegate"))
                return field_error(p, field, "%s is set by runsd itself%s", name,
                                   streq(name, "Slice") ? " (use linux.cgroupsPath)" : "");
        *ret = (SpecUnitProperty) { .type = 0 };
        if (streq(value, "true") || streq(value, "false")) {
                ret->type = 'b';
                ret->b = streq(value, "true");
        } else if (len >= 2 && (value[0] == '\'' || value[0] == '"') && value[len - 1] == value[0] &&
                   !memchr(value + 1, value[0], len - 2) && !memchr(value + 1, '\\', len - 2)) {
                ret->type = 's';
                ret->s = strndup(value + 1, len - 2);
                if (!ret->s)
                        return -ENOMEM;
        } else
                for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
                        const char *n = value + strlen(numbers[i].word);

                        if (strncmp(value, numbers[i].word, strlen(numbers[i].word)) != 0)
                                continue;
                        if (!n[0] || strspn(n + (n[0] == '-'), "0123456789") != strlen(n + (n[0] == '-')))
                                break;
                        errno = 0;
                        if (numbers[i].type == 't') {
                                ret->t = n[0] == '-' ? 0 : strtoull(n, NULL, 10);
                                if (n[0] == '-' || errno)
                                        break;
                        } else {
                                ret->x = strtoll(n, NULL, 10);
                                if (errno || ret->x < numbers[i].min || ret->x > numbers[i].max)
                                        break;
                        }
                        ret->type = numbers[i].type;
                        break;
                }
        if (!ret->type)
                return field_error(p, field, "\"%s\" is not a value runsd can type: write true, false, 'text', "
                                   "or the type before a number (uint64 N, int64 N, uint32 N, int32 N)", value);
        ret->name = strdup(name);
        return ret->name ? 0 : -ENOMEM;
}

static int parse_annotations(const Parser *p, json_t *root, Spec *s) {
        const char *key;
        json_t *o, *v;
        size_t n = 0;
        int r;

        r = get_object(p, root, "annotations", "annotations", &o);
        if (r <= 0)
                return r;
        s->annotations = calloc(2 * json_object_size(o) + 1, sizeof(char *));
        s->unit_properties = calloc(json_object_size(o) + 1, sizeof *s->unit_properties);
        if (!s->annotations || !s->unit_properties)
                return -ENOMEM;
        json_object_foreach(o, key, v) {
                char f[300];

                snprintf(f, sizeof f, "annotations.%s", key);
                s->annotations[n] = strdup(key);
                if (!s->annotations[n++])
                        return -ENOMEM;
                r = string_value(p, v, f, &s->annotations[n++]);
                if (r < 0)
                        return r;
                if (strncmp(key, UNIT_PROPERTY_PREFIX, strlen(UNIT_PROPERTY_PREFIX)) == 0) {
                        r = parse_unit_property(p, f, key + strlen(UNIT_PROPERTY_PREFIX), s->annotations[n - 1],
                                                &s->unit_properties[s->n_unit_properties]);
                        if (r < 0)
                                return r;
                        s->n_unit_properties++;
                }
        }
        return 0;
}

bool hostname_valid(const char *h) {
        size_t n = strlen(h);

        if (n == 0 || n > 64)
                return false;
        for (const char *c = h; *c; c++)
                if (*c <= ' ' || *c == '/' || *c >= 127)
                        return false;
        return true;
}

/* The JSON object of a file's text, for spec_parse() and spec_process_parse(). */
static int load_object(const char *text, size_t len, Parser *p, json_t **ret) {
        json_error_t jerr;
        json_t *root;

        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        /* jansson holds integers as int64; rlimits are uint64 and Docker
         * writes RLIM_INFINITY as 18446744073709551615.  Such a file is read
         * again with every number as a double, which holds the integers
         * configs use (ids, modes, sizes below 2^53) exactly. */
        if (!root && strstr(jerr.text, "too big integer")) {
                root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
                p->ints_as_reals = true;
        }
        if (!root)
                return error_set(-EINVAL, "%s: invalid JSON at line %d, column %d: %s",
                                 p->path, jerr.line, jerr.column, jerr.text);
        if (!json_is_object(root)) {
                int r = error_set(-EINVAL, "%s: must hold a JSON object, not %s", p->path, json_type_name(root));

                json_decref(root);
                return r;
        }
        *ret = root;
        return 0;
}

int spec_parse(const char *text, size_t len, const char *path, const char *bundle, Spec **ret) {
        _cleanup_(spec_freep) Spec *s = NULL;
        _cleanup_(json_decrefp) json_t *root = NULL;
        Parser p = { .path = path };
        int r;

        r = load_object(text, len, &p, &root);
        if (r < 0)
                return r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->path = strdup(path);
        s->bundle = strdup(bundle);
        if (!s->path || !s->bundle)
                return -ENOMEM;

        r = get_required_string(&p, root, "ociVersion", "ociVersion", &s->oci_version);
        if (r < 0)
                return r;
        if (strncmp(s->oci_version, "1.", 2) != 0)
                return field_error(&p, "ociVersion", "version \"%s\" is not 1.x", s->oci_version);

        if ((r = parse_root(&p, root, s)) < 0 ||
            (r = parse_process(&p, root, &s->process)) < 0 ||
            (r = parse_mounts(&p, root, s)) < 0 ||
            (r = parse_linux(&p, root, s)) < 0 ||
            (r = parse_annotations(&p, root, s)) < 0 ||
            (r = spec_hooks_parse(&p, root, &s->hooks)) < 0)
                return r;

        r = get_string(&p, root, "hostname", "hostname", &s->hostname);
        if (r < 0)
                return r;
        if (s->hostname && !hostname_valid(s->hostname))
                return field_error(&p, "hostname", "\"%s\" is not a valid host name", s->hostname);
        if (s->hostname && !s->namespaces[NS_UTS].enabled)
                return field_error(&p, "hostname", "needs a new uts namespace (linux.namespaces)");
        r = spec_namespaces_parse(&p, root, s);
        if (r < 0)
                return r;
        if (s->n_mounts > 0 && !s->namespaces[NS_MOUNT].enabled)
                return field_error(&p, "mounts", "need a new mount namespace (linux.namespaces)");
        if (!s->namespaces[NS_MOUNT].enabled)
                return field_error(&p, "linux.namespaces", "runsd needs a mount namespace for the rootfs");
        r = check_mounts_idmap(&p, s);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

static int read_config(const char *path, char **ret, size_t *ret_len) {
        int r;

        /* A config larger than this is not a config. */
        r = read_full_file(path, 16 * 1024 * 1024, ret, ret_len);
        if (r == -EBADFD)
                return error_set(r, "%s: not a regular file", path);
        if (r == -EFBIG)
                return error_set(r, "%s: larger than 16 MiB", path);
        if (r < 0)
                return error_set(r, "%s: %m", path);
        return 0;
}

int spec_load(const char *bundle, Spec **ret) {
        _cleanup_free_ char *abs = NULL, *path = NULL, *text = NULL;
        size_t len;
        int r;

        abs = realpath(bundle, NULL);
        if (!abs)
                return error_set(-errno, "bundle %s: %m", bundle);
        path = path_join(abs, "config.json");
        if (!path)
                return -ENOMEM;
        r = read_config(path, &text, &len);
        if (r < 0)
                return r;
        r = spec_parse(text, len, path, abs, ret);
        if (r < 0)
                return r;
        (*ret)->text = TAKE_PTR(text);
        (*ret)->text_len = len;
        return 0;
}

int spec_process_parse(const char *text, size_t len, const char *path, SpecProcess **ret) {
        _cleanup_(spec_process_freep) SpecProcess *proc = NULL;
        _cleanup_(json_decrefp) json_t *root = NULL;
        Parser p = { .path = path };
        int r;

        r = load_object(text, len, &p, &root);
        if (r < 0)
                return r;
        proc = calloc(1, sizeof *proc);
        if (!proc)
                return -ENOMEM;
        r = parse_process_object(&p, root, proc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(proc);
        return 0;
}

int spec_process_load(const char *path, SpecProcess **ret) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_config(path, &text, &len);
        if (r < 0)
                return r;
        return spec_process_parse(text, len, path, ret);
}

void spec_process_done(SpecProcess *p) {
        strv_free(p->args);
        strv_free(p->env);
        free(p->cwd);
        free(p->additional_gids);
        free(p->rlimits);
        spec_process_attr_done(p);
}

SpecProcess *spec_process_free(SpecProcess *p) {
        if (p) {
                spec_process_done(p);
                free(p);
        }
        return NULL;
}

Spec *spec_free(Spec *s) {
        if (!s)
                return NULL;
        free(s->path);
        free(s->text);
        free(s->bundle);
        free(s->oci_version);
        free(s->root_path);
        free(s->hostname);
        spec_process_done(&s->process);
        for (size_t i = 0; i < s->n_mounts; i++) {
                free(s->mounts[i].destination);
                free(s->mounts[i].type);
                free(s->mounts[i].source);
                free(s->mounts[i].data);
                free(s->mounts[i].uid_mappings);
                free(s->mounts[i].gid_mappings);
        }
        free(s->mounts);
        for (size_t i = 0; i < _NS_MAX; i++)
                free(s->namespaces[i].path);
        spec_devices_free(s->devices, s->n_devices);
        spec_namespaces_done(&s->ns);
        free(s->cgroups_path);
        spec_resources_free(s->resources);
        spec_seccomp_free(s->seccomp);
        strv_free(s->masked_paths);
        strv_free(s->readonly_paths);
        strv_free(s->annotations);
        for (size_t i = 0; i < s->n_unit_properties; i++) {
                free(s->unit_properties[i].name);
                if (s->unit_properties[i].type == 's')
                        free(s->unit_properties[i].s);
        }
        free(s->unit_properties);
        spec_hooks_done(&s->hooks);
        spec_linux_attr_done(s);
        spec_host_done(s);
        free(s);
        return NULL;
}
