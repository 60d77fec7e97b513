/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "config.h"
#include "host-check.h"
#include "machine.h"
#include "macro.h"
#include "runtime-features.h"
#include "service.h"
#include "spec.h"
#include "version.h"

static char *libseccomp_version(void) {
        const struct scmp_version *v = seccomp_version();
        char *s;

        /* the library runsd runs with, as runc says, not the headers' */
        if (asprintf(&s, "%u.%u.%u", v->major, v->minor, v->micro) < 0)
                return NULL;
        return s;
}

char *features_version_text(void) {
        _cleanup_free_ char *seccomp = libseccomp_version();
        char *s;

        if (!seccomp || asprintf(&s, "runsd version %s\ncommit: %s\nspec: %s\nlibseccomp: %s\n",
                                 PACKAGE_VERSION, RUNSD_COMMIT, OCI_VERSION, seccomp) < 0)
                return NULL;
        return s;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* A JSON array of names, sorted as runc sorts its lists. */
static json_t *sorted_array(const char **names, size_t n) {
        json_t *a = json_array();

        qsort(names, n, sizeof(char *), compare_strings);
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_string(names[i])) < 0)
                        return json_decref(a), NULL;
        return a;
}

static json_t *mount_options_array(void) {
        _cleanup_free_ const char **l = NULL;
        size_t n;

        return spec_mount_option_names(&l, &n) < 0 ? NULL : sorted_array(l, n);
}

static json_t *seccomp_array(SeccompNames kind) {
        _cleanup_free_ const char **l = NULL;
        size_t n;

        return spec_seccomp_names(kind, &l, &n) < 0 ? NULL : sorted_array(l, n);
}

static json_t *hooks_array(void) {
        json_t *a = json_array();

        /* in the order they run, as the spec lists them */
        for (HookType t = 0; a && t < _HOOK_MAX; t++)
                if (json_array_append_new(a, json_string(hook_type_to_string(t))) < 0)
                        return json_decref(a), NULL;
        return a;
}

static json_t *namespaces_array(void) {
        const char *l[_NS_MAX];

        for (NamespaceType t = 0; t < _NS_MAX; t++)
                l[t] = namespace_type_to_string(t);
        return sorted_array(l, _NS_MAX);
}

/* As runc: every capability of the running kernel that libcap can name
 * (the parser takes libcap's names). */
static json_t *capabilities_array(void) {
        json_t *a = json_array();

        for (cap_value_t c = 0; a && c < cap_max_bits(); c++) {
                char *name = cap_to_name(c), upper[64];
                size_t k;

                if (!name)
                        return json_decref(a), NULL;
                /* a capability libcap has no name for comes as a number */
                for (k = 0; name[k] && k < sizeof upper - 1; k++)
                        upper[k] = (char) toupper((unsigned char) name[k]);
                upper[k] = '\0';
                cap_free(name);
                if (strncmp(upper, "CAP_", 4) == 0 && json_array_append_new(a, json_string(upper)) < 0)
                        return json_decref(a), NULL;
        }
        return a;
}

static json_t *enabled(bool b) {
        return json_pack("{s:b}", "enabled", b);
}

json_t *features_json(void) {
        _cleanup_free_ char *seccomp = libseccomp_version();

        if (!seccomp)
                return NULL;
        /* json_pack's "o" steals each value; a NULL one (out of memory)
         * fails the whole pack, and what it had is freed. */
        return json_pack(
                "{s:s, s:s, s:o, s:o,"
                " s:{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b},"
                "    s:{s:b, s:o, s:o, s:o, s:o, s:o},"
                "    s:o, s:o, s:o, s:{s:o}},"
                " s:{s:s, s:s, s:s, s:s, s:s, s:s},"
                " s:[s]}",
                "ociVersionMin", "1.0.0",
                "ociVersionMax", OCI_VERSION,
                "hooks", hooks_array(),
                "mountOptions", mount_options_array(),
                "linux",
                "namespaces", namespaces_array(),
                "capabilities", capabilities_array(),
                "cgroup",
                /* every layout, through systemd's system manager only
                 * (not a user's), and no linux.resources.rdma */
                "v1", true, "v2", true, "systemd", true, "systemdUser", false, "rdma", false,
                "seccomp",
                "enabled", true,
                "actions", seccomp_array(SECCOMP_NAMES_ACTIONS),
                "operators", seccomp_array(SECCOMP_NAMES_OPERATORS),
                "archs", seccomp_array(SECCOMP_NAMES_ARCHS),
                "knownFlags", seccomp_array(SECCOMP_NAMES_KNOWN_FLAGS),
                "supportedFlags", seccomp_array(SECCOMP_NAMES_SUPPORTED_FLAGS),
                "apparmor", enabled(host_apparmor_enabled()),
                "selinux", enabled(host_selinux_enabled()),
                "intelRdt", enabled(host_intel_rdt_supported()),
                "mountExtensions", "idmap", enabled(host_idmapped_mounts()),
                "annotations",
                "io.github.seccomp.libseccomp.version", seccomp,
                "run.oci.runsd.version", PACKAGE_VERSION,
                "run.oci.runsd.commit", RUNSD_COMMIT,
                /* the config annotations runsd reads, and their values */
                UNIT_PROPERTY_PREFIX "*", "GVariant text (true, 'text', uint64 N, ...): a property of the container's unit",
                MACHINE_ANNOTATION, "true|false|1|0: register the container with systemd-machined",
                UNIT_TYPE_ANNOTATION, "scope|service: the container's unit",
                /* a unit property can undo what the config asks for
                 * (DevicePolicy=, Delegate=, ...) */
                "potentiallyUnsafeConfigAnnotations", UNIT_PROPERTY_PREFIX);
}
