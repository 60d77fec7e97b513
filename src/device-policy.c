/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "device-policy.h"
#include "error.h"
#include "log.h"

enum {
        ACCESS_R = 1 << 0,
        ACCESS_W = 1 << 1,
        ACCESS_M = 1 << 2,
        ACCESS_ALL = ACCESS_R | ACCESS_W | ACCESS_M,
};

/* One entry of the list the rules build, as the v1 devices cgroup keeps
 * its exceptions: what the default (allow or deny) does not apply to. */
typedef struct Exception {
        char type;              /* 'c' or 'b' */
        int64_t major, minor;   /* -1: any */
        unsigned access;
        size_t rule;            /* the index of the rule that made it, for messages */
} Exception;

static unsigned access_bits(const char *s) {
        unsigned a = 0;

        for (; *s; s++)
                a |= *s == 'r' ? ACCESS_R : *s == 'w' ? ACCESS_W : *s == 'm' ? ACCESS_M : 0;
        return a;
}

static bool number_covers(int64_t a, int64_t b) {
        return a < 0 || a == b;
}

static bool number_overlaps(int64_t a, int64_t b) {
        return a < 0 || b < 0 || a == b;
}

/* "c 1:3", "b 8:*", "c *:*" */
static const char *rule_text(char *buf, size_t size, char type, int64_t major, int64_t minor) {
        char ma[24] = "*", mi[24] = "*";

        if (major >= 0)
                snprintf(ma, sizeof ma, "%" PRIi64, major);
        if (minor >= 0)
                snprintf(mi, sizeof mi, "%" PRIi64, minor);
        snprintf(buf, size, "%c %s:%s", type, ma, mi);
        return buf;
}

typedef struct Emulator {
        bool default_allow;
        Exception *list;
        size_t n;
} Emulator;

/* A rule against the default takes its access away from the exceptions it
 * covers.  From one it only partly covers (a deny of c 1:3 after an allow
 * of c 1:*) it would punch a hole that an allow list cannot hold; runc's
 * emulator refuses that too. */
static int take_away(Emulator *e, const Exception *x, const char *where) {
        for (size_t i = 0; i < e->n; i++) {
                Exception *ex = &e->list[i];
                char a[64], b[64];

                if (ex->type != x->type || !(ex->access & x->access) ||
                    !number_overlaps(ex->major, x->major) || !number_overlaps(ex->minor, x->minor))
                        continue;
                if (number_covers(x->major, ex->major) && number_covers(x->minor, ex->minor)) {
                        ex->access &= ~x->access;
                        continue;
                }
                return error_set(-EOPNOTSUPP, "%sdevices[%zu]: \"%s\" takes part of devices[%zu] \"%s\" away, "
                                 "which systemd's allow list (DeviceAllow=) cannot express", where, x->rule,
                                 rule_text(a, sizeof a, x->type, x->major, x->minor), ex->rule,
                                 rule_text(b, sizeof b, ex->type, ex->major, ex->minor));
        }
        return 0;
}

static int apply(Emulator *e, const SpecDeviceRule *r, size_t index, const char *where) {
        unsigned access = access_bits(r->access);
        const char *types = r->type == 'a' ? "cb" : r->type == 'c' ? "c" : "b";
        int k;

        /* "a" with every number and access resets the list, as in the kernel. */
        if (r->type == 'a' && r->major < 0 && r->minor < 0 && access == ACCESS_ALL) {
                e->default_allow = r->allow;
                e->n = 0;
                return 0;
        }
        for (const char *t = types; *t; t++) {
                Exception x = { *t, r->major, r->minor, access, index };

                if (r->allow != e->default_allow) {
                        Exception *l = reallocarray(e->list, e->n + 1, sizeof *l);

                        if (!l)
                                return -ENOMEM;
                        e->list = l;
                        e->list[e->n++] = x;
                } else if ((k = take_away(e, &x, where)) < 0)
                        return k;
        }
        return 0;
}

/* The first line of /proc/devices's section of type, or NULL. */
static const char *proc_devices_section(const char *proc_devices, char type) {
        const char *p = strstr(proc_devices, type == 'c' ? "Character devices:\n" : "Block devices:\n");

        return p ? strchr(p, '\n') + 1 : NULL;
}

/* Read the "MAJOR NAME" line at *p and move *p to the next; false at the
 * section's end (its blank line and the next header do not scan). */
static bool proc_devices_entry(const char **p, long long *major, char name[static 80]) {
        const char *nl;

        if (!*p || sscanf(*p, "%lld %79s", major, name) != 2)
                return false;
        nl = strchr(*p, '\n');
        *p = nl ? nl + 1 : NULL;
        return true;
}

/* systemd's name for a whole major: "char-NAME" where NAME is the major's
 * in /proc/devices.  systemd allows every major whose name matches NAME as
 * a glob, so only a name that no other major of the type has, and that is
 * no pattern, says exactly this major. */
static bool major_name(const char *proc_devices, char type, int64_t major, char *ret, size_t size) {
        char name[80], found[80] = "";
        long long m;

        for (const char *p = proc_devices_section(proc_devices, type); proc_devices_entry(&p, &m, name);)
                if (m == major && !found[0] && !strpbrk(name, "*?[\\"))
                        snprintf(found, sizeof found, "%s", name);
        if (!found[0])
                return false;
        for (const char *p = proc_devices_section(proc_devices, type); proc_devices_entry(&p, &m, name);)
                if (m != major && streq(name, found))
                        return false;
        snprintf(ret, size, "%s-%s", type == 'c' ? "char" : "block", found);
        return true;
}

/* The DeviceAllow= path of x, or false (with a warning) if systemd has none. */
static bool allow_path(const Exception *x, const char *proc_devices, const char *where, bool warn,
                       char *ret, size_t size) {
        const char *kind = x->type == 'c' ? "char" : "block";
        char text[64];

        if (x->major < 0 && x->minor < 0)
                snprintf(ret, size, "%s-*", kind);
        else if (x->major >= 0 && x->minor >= 0)
                /* systemd reads major:minor from the name without looking
                 * for the node, which the host may not have. */
                snprintf(ret, size, "/dev/%s/%" PRIi64 ":%" PRIi64, kind, x->major, x->minor);
        else if (x->major >= 0 && major_name(proc_devices, x->type, x->major, ret, size))
                ;
        else {
                /* Left out: the container gets less than asked, never more
                 * (runc's systemd driver warns likewise). */
                if (warn)
                        log_warning("%sdevices[%zu]: \"%s\": systemd can allow %s; not allowed", where, x->rule,
                                    rule_text(text, sizeof text, x->type, x->major, x->minor),
                                    x->major < 0 ? "one minor only with its major"
                                                 : "all minors of a major only by its unique name in /proc/devices, "
                                                   "which this one lacks");
                return false;
        }
        return true;
}

static void emulator_done(Emulator *e) {
        free(e->list);
}

int device_policy_from_rules(const SpecDeviceRule *rules, size_t n, const char *proc_devices,
                             const char *where, bool warn, DevicePolicy *ret) {
        _cleanup_(emulator_done) Emulator e = { .default_allow = false };
        _cleanup_free_ DeviceAllow *allow = NULL;
        size_t n_allow = 0;
        int k;

        for (size_t i = 0; i < n; i++)
                if ((k = apply(&e, &rules[i], i, where)) < 0)
                        return k;

        if (e.default_allow) {
                for (size_t i = 0; i < e.n; i++)
                        if (e.list[i].access)
                                return error_set(-EOPNOTSUPP, "%sdevices[%zu]: a deny after an allow of all devices: "
                                                 "systemd has only an allow list (DeviceAllow=); begin the list "
                                                 "with a deny of all, {\"allow\": false, \"access\": \"rwm\"}",
                                                 where, e.list[i].rule);
                /* Every device, as an allow list: systemd 252 does not
                 * lift an earlier list for DevicePolicy=auto without one
                 * (the unit then no longer needs the controller), and
                 * `update` relies on it doing so. */
                e = (Emulator) { .default_allow = false, .list = e.list };
                for (const char *t = "cb"; *t; t++)
                        if ((k = apply(&e, &(SpecDeviceRule) { true, *t, -1, -1, "rwm" }, 0, where)) < 0)
                                return k;
        }

        allow = calloc(e.n + 1, sizeof *allow);
        if (!allow)
                return -ENOMEM;
        for (size_t i = 0; i < e.n; i++) {
                DeviceAllow *a = &allow[n_allow];
                size_t l = 0;

                if (!e.list[i].access ||
                    !allow_path(&e.list[i], proc_devices, where, warn, a->path, sizeof a->path))
                        continue;
                for (unsigned bit = 0; bit < 3; bit++)
                        if (e.list[i].access & (1u << bit))
                                a->access[l++] = "rwm"[bit];
                n_allow++;
        }
        *ret = (DevicePolicy) { .allow = TAKE_PTR(allow), .n_allow = n_allow };
        return 0;
}

void device_policy_done(DevicePolicy *p) {
        free(p->allow);
        *p = (DevicePolicy) {};
}
