/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `runsd features` must say what create does: every name it lists is
 * taken by spec_parse(), and every "enabled" is true exactly when the
 * parser and the host check (host_check()) take the field. */
#include <errno.h>

#include "config.h"
#include "error.h"
#include "host-check.h"
#include "runtime-features.h"
#include "spec.h"

#include "test-util.h"

/* spec_parse() and host_check() of the default config with path set to value_json. */
static int parse_patched(const char *path, const char *value_json) {
        _cleanup_free_ char *def = spec_default_text(), *text = NULL;
        _cleanup_(json_decrefp) json_t *root = NULL;
        Spec *s = NULL;
        int r;

        ASSERT(def);
        root = test_json(def);
        test_json_set(root, path, value_json);
        text = test_json_dump(root);
        error_clear();
        r = spec_parse(text, strlen(text), "config.json", "/b", &s);
        /* what create takes: the parser's word, and the host's */
        if (r >= 0)
                r = host_check(s);
        spec_free(s);
        return r;
}

static void assert_parses(const char *path, const char *value_json) {
        int r = parse_patched(path, value_json);

        ASSERT_MSG(r == 0, "%s=%s: %d: %s", path, value_json, r, error_message(r));
}

static json_t *at(json_t *o, const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        for (char *k = strtok_r(copy, ".", &save); o && k; k = strtok_r(NULL, ".", &save))
                o = json_object_get(o, k);
        ASSERT_MSG(o, "features has no %s", path);
        return o;
}

static void test_names_parse(json_t *f) {
        char value[512];
        size_t i;
        json_t *v;

        json_array_foreach(at(f, "hooks"), i, v) {
                snprintf(value, sizeof value, "{\"%s\": [{\"path\": \"/bin/true\"}]}", json_string_value(v));
                assert_parses("hooks", value);
        }
        ASSERT_INT_EQ(json_array_size(at(f, "hooks")), 6);

        json_array_foreach(at(f, "mountOptions"), i, v) {
                _cleanup_free_ char *def = spec_default_text(), *text = NULL;
                _cleanup_(json_decrefp) json_t *root = NULL;
                Spec *s = NULL;
                int r;
                const char *o = json_string_value(v);
                /* (each on the kind of mount it is for: idmaps on a bind
                 * mount, with mappings) */
                bool bind = strstr(o, "idmap") != NULL;

                snprintf(value, sizeof value, "[{\"destination\": \"/x\", \"type\": \"%s\", \"source\": \"/s\","
                         " \"options\": [%s\"%s\"]%s}]", bind ? "bind" : "tmpfs", bind ? "\"rbind\", " : "", o,
                         bind ? ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],"
                                " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]" : "");
                root = test_json(def);
                test_json_set(root, "mounts", value);
                text = test_json_dump(root);
                error_clear();
                r = spec_parse(text, strlen(text), "config.json", "/b", &s);
                ASSERT_MSG(r == 0, "%s: %s", value, error_message(r));
                /* an option the parser knows, not file system data */
                ASSERT_MSG(!s->mounts[0].data, "%s went to the file system as data", json_string_value(v));
                spec_free(s);
        }

        json_array_foreach(at(f, "linux.capabilities"), i, v) {
                snprintf(value, sizeof value, "[\"%s\"]", json_string_value(v));
                assert_parses("process.capabilities.bounding", value);
        }

        json_array_foreach(at(f, "linux.seccomp.actions"), i, v) {
                snprintf(value, sizeof value, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/a.sock\","
                         " \"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"%s\"}]}", json_string_value(v));
                assert_parses("linux.seccomp", value);
        }
        json_array_foreach(at(f, "linux.seccomp.operators"), i, v) {
                snprintf(value, sizeof value, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
                         " [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1,"
                         " \"op\": \"%s\"}]}]}", json_string_value(v));
                assert_parses("linux.seccomp", value);
        }
        json_array_foreach(at(f, "linux.seccomp.archs"), i, v) {
                snprintf(value, sizeof value, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"%s\"]}",
                         json_string_value(v));
                assert_parses("linux.seccomp", value);
        }
        /* every known flag is taken exactly when it is a supported one */
        json_array_foreach(at(f, "linux.seccomp.knownFlags"), i, v) {
                bool supported = false;
                size_t k;
                json_t *w;

                json_array_foreach(at(f, "linux.seccomp.supportedFlags"), k, w)
                        supported = supported || json_equal(v, w);
                snprintf(value, sizeof value, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"%s\"]}",
                         json_string_value(v));
                ASSERT_INT_EQ(parse_patched("linux.seccomp", value) == 0, supported);
        }
        /* a name the spec has that libseccomp cannot filter for is not listed */
        ASSERT(json_array_size(at(f, "linux.seccomp.archs")) > 0);
}

static void test_enabled_means_parsed(json_t *f) {
        static const struct {
                const char *feature, *path, *value;
        } cases[] = {
                { "linux.apparmor.enabled", "process.apparmorProfile", "\"runsd-test\"" },
                { "linux.selinux.enabled", "process.selinuxLabel", "\"system_u:system_r:container_t:s0\"" },
                { "linux.intelRdt.enabled", "linux.intelRdt", "{\"closID\": \"runsd\"}" },
                { "linux.mountExtensions.idmap.enabled", "mounts",
                  "[{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/s\", \"options\": [\"rbind\", \"idmap\"],"
                  " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],"
                  " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}]" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = parse_patched(cases[i].path, cases[i].value);

                ASSERT_MSG(json_is_true(at(f, cases[i].feature)) == (r == 0), "%s is %s, but %s: %s",
                           cases[i].feature, json_is_true(at(f, cases[i].feature)) ? "true" : "false",
                           cases[i].path, r == 0 ? "taken" : error_message(r));
                /* refused ones say so, rather than failing otherwise */
                if (r < 0)
                        ASSERT_INT_EQ(r, -EOPNOTSUPP);
        }
}

static void test_versions(json_t *f) {
        _cleanup_free_ char *v = features_version_text();

        ASSERT_STR_EQ(json_string_value(at(f, "ociVersionMin")), "1.0.0");
        ASSERT_STR_EQ(json_string_value(at(f, "ociVersionMax")), OCI_VERSION);
        ASSERT(v);
        ASSERT_STR_CONTAINS(v, "\nspec: " OCI_VERSION "\n");
        ASSERT(strncmp(v, "runsd version " PACKAGE_VERSION "\ncommit: ",
                       strlen("runsd version " PACKAGE_VERSION "\ncommit: ")) == 0);
}

int main(void) {
        _cleanup_(json_decrefp) json_t *f = features_json();

        ASSERT(f);
        test_names_parse(f);
        test_enabled_means_parsed(f);
        test_versions(f);
        return 0;
}
