/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <net/if.h>
#include <string.h>

#include "spec-parse.h"
#include "spec.h"
#include "strv.h"

/* What the host hands the container: linux.netDevices (netdev.c moves
 * them) and linux.intelRdt (host-check.c says what of it runsd does). */

/* As dev_valid_name() in the kernel has it. */
static bool ifname_valid(const char *n) {
        return n[0] && strlen(n) < IFNAMSIZ && !streq(n, ".") && !streq(n, "..") && !strpbrk(n, "/: \t\n");
}

static int parse_net_devices(const Parser *p, json_t *linux_obj, Spec *s) {
        const char *key;
        json_t *o, *v;
        int r;

        r = get_object(p, linux_obj, "netDevices", "linux.netDevices", &o);
        if (r <= 0)
                return r;
        /* Moved into the container's own network namespace, nobody else's. */
        if (json_object_size(o) > 0 && (!s->namespaces[NS_NETWORK].enabled || s->namespaces[NS_NETWORK].path))
                return field_error(p, "linux.netDevices", "needs a new network namespace (linux.namespaces)");
        s->net_devices = calloc(json_object_size(o) + 1, sizeof *s->net_devices);
        if (!s->net_devices)
                return -ENOMEM;
        json_object_foreach(o, key, v) {
                SpecNetDevice *d = &s->net_devices[s->n_net_devices++];
                char f[64];

                snprintf(f, sizeof f, "linux.netDevices.%.16s", key);
                if (!ifname_valid(key))
                        return field_error(p, "linux.netDevices", "\"%s\" is not an interface name", key);
                if (!json_is_object(v))
                        return field_error(p, f, "must be an object, not %s", json_type_name(v));
                d->host_name = strdup(key);
                if (!d->host_name)
                        return -ENOMEM;
                snprintf(f, sizeof f, "linux.netDevices.%s.name", key);
                r = get_string(p, v, "name", f, &d->name);
                if (r < 0)
                        return r;
                if (r > 0 && !ifname_valid(d->name))
                        return field_error(p, f, "\"%s\" is not an interface name", d->name);
                if (r == 0 || !d->name[0]) {
                        free(d->name);
                        if (!(d->name = strdup(key)))
                                return -ENOMEM;
                }
                for (size_t i = 0; i + 1 < s->n_net_devices; i++)
                        if (streq(s->net_devices[i].name, d->name))
                                return field_error(p, f, "\"%s\" is the name of another device in the container",
                                                   d->name);
        }
        return 0;
}

/* Only checked: without resctrl mounted, which runsd cannot do here, the
 * runtime spec wants an error (host_check() gives it). */
static int parse_intel_rdt(const Parser *p, json_t *linux_obj, Spec *s) {
        static const char *const strings[] = { "closID", "l3CacheSchema", "memBwSchema" };
        json_t *o, *schemata;
        int r;

        r = get_object(p, linux_obj, "intelRdt", "linux.intelRdt", &o);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                _cleanup_free_ char *v = NULL;
                char f[64];

                snprintf(f, sizeof f, "linux.intelRdt.%s", strings[i]);
                if ((r = get_string(p, o, strings[i], f, &v)) < 0)
                        return r;
                if (i == 0 && v && (!v[0] || strchr(v, '/') || streq(v, ".") || streq(v, "..")))
                        return field_error(p, f, "\"%s\" is not a resctrl group name", v);
        }
        /* a string in runtime-spec 1.1, a list of lines since 1.2 */
        schemata = member(o, "schemata");
        if (schemata && !json_is_string(schemata)) {
                _cleanup_strv_free_ char **lines = NULL;

                if ((r = get_strv(p, o, "schemata", "linux.intelRdt.schemata", &lines)) < 0)
                        return r;
        }
        s->has_intel_rdt = true;
        return 0;
}

int spec_host_parse(const Parser *p, json_t *linux_obj, Spec *s) {
        int r = parse_net_devices(p, linux_obj, s);

        return r < 0 ? r : parse_intel_rdt(p, linux_obj, s);
}

void spec_host_done(Spec *s) {
        for (size_t i = 0; i < s->n_net_devices; i++) {
                free(s->net_devices[i].host_name);
                free(s->net_devices[i].name);
        }
        free(s->net_devices);
}
