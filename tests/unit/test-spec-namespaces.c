/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.uidMappings, gidMappings, timeOffsets, sysctl and domainname
 * (src/spec-namespaces.c). */
#include <errno.h>

#include "error.h"
#include "spec.h"
#include "strv.h"
#include "test-util.h"

#define PATH "config.json"
#define MAP "[{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]"

typedef struct Patch {
        const char *path, *value;
} Patch;

/* The default config (new pid, network, ipc, uts and mount namespaces)
 * with the patches applied; parsed. */
static int parse_patched(const Patch *patches, size_t n, Spec **ret) {
        _cleanup_free_ char *text = spec_default_text(), *patched = NULL;
        _cleanup_(json_decrefp) json_t *root = NULL;

        ASSERT(text);
        root = test_json(text);
        for (size_t i = 0; i < n; i++)
                test_json_set(root, patches[i].path, patches[i].value);
        patched = test_json_dump(root);
        error_clear();
        return spec_parse(patched, strlen(patched), PATH, "/b", ret);
}

#define PARSE(ret, ...) \
        parse_patched((const Patch[]) { __VA_ARGS__ }, ELEMENTSOF(((const Patch[]) { __VA_ARGS__ })), ret)

static void test_good(void) {
        _cleanup_(spec_freep) Spec *s = NULL;
        int r;

        r = PARSE(&s, { "linux.namespaces[6]", "{\"type\": \"user\"}" },
                  { "linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 100000, \"size\": 1000},"
                                         " {\"containerID\": 1000, \"hostID\": 0, \"size\": 1}]" },
                  { "linux.gidMappings", MAP },
                  { "linux.namespaces[7]", "{\"type\": \"time\"}" },
                  { "linux.timeOffsets", "{\"boottime\": {\"secs\": -5, \"nanosecs\": 7}}" },
                  { "linux.sysctl", "{\"net.ipv4.ip_forward\": \"1\", \"kernel.shm_rmid_forced\": \"1\", "
                                    "\"fs.mqueue.queues_max\": \"9\", \"kernel.domainname\": \"x\"}" },
                  { "domainname", "\"example.org\"" });
        ASSERT_MSG(r == 0, "%s", error_message(r));
        ASSERT_INT_EQ(s->ns.n_uid_mappings, 2);
        ASSERT_INT_EQ(s->ns.uid_mappings[1].container_id, 1000);
        ASSERT_INT_EQ(s->ns.uid_mappings[1].host_id, 0);
        ASSERT_INT_EQ(s->ns.uid_mappings[1].size, 1);
        ASSERT_INT_EQ(s->ns.n_gid_mappings, 1);
        ASSERT_INT_EQ(s->ns.gid_mappings[0].host_id, 100000);
        ASSERT(!s->ns.time_offsets[TIME_MONOTONIC].set);
        ASSERT(s->ns.time_offsets[TIME_BOOTTIME].set);
        ASSERT_INT_EQ(s->ns.time_offsets[TIME_BOOTTIME].secs, -5);
        ASSERT_INT_EQ(s->ns.time_offsets[TIME_BOOTTIME].nanosecs, 7);
        ASSERT_INT_EQ(strv_length(s->ns.sysctl), 8);
        ASSERT_STR_EQ(s->ns.sysctl[0], "net.ipv4.ip_forward");
        ASSERT_STR_EQ(s->ns.sysctl[1], "1");
        ASSERT_STR_EQ(s->ns.domainname, "example.org");
        s = spec_free(s);

        /* joined by path: no mappings, none needed */
        r = PARSE(&s, { "linux.namespaces[6]", "{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}" });
        ASSERT_MSG(r == 0, "%s", error_message(r));
        ASSERT_STR_EQ(s->namespaces[NS_USER].path, "/proc/1/ns/user");
}

static void test_bad(void) {
        static const struct {
                Patch patch[4];
                const char *what;
        } cases[] = {
                { { { "linux.uidMappings", MAP } }, "linux.uidMappings: needs a new user namespace" },
                { { { "linux.gidMappings", MAP } }, "linux.gidMappings: needs a new user namespace" },
                { { { "linux.namespaces[6]", "{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}" },
                    { "linux.uidMappings", MAP } }, "linux.uidMappings: the user namespace joined by path" },
                { { { "linux.namespaces[6]", "{\"type\": \"user\"}" }, { "linux.uidMappings", MAP } },
                  "linux.gidMappings: a new user namespace needs mappings" },
                { { { "linux.namespaces[6]", "{\"type\": \"user\"}" }, { "linux.gidMappings", MAP },
                    { "linux.uidMappings", "[{\"containerID\": 1, \"hostID\": 1, \"size\": 5}]" } },
                  "linux.uidMappings: must map containerID 0" },
                { { { "linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 1, \"size\": 0}]" } },
                  "linux.uidMappings[0].size: 0 is out of range" },
                { { { "linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 1}]" } },
                  "linux.uidMappings[0].size: is required" },
                { { { "linux.uidMappings", "[{\"containerID\": -1, \"hostID\": 1, \"size\": 1}]" } },
                  "linux.uidMappings[0].containerID: -1 is out of range" },
                { { { "linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 4294967290, \"size\": 10}]" } },
                  "linux.uidMappings[0]: the range of 10 ids runs past the largest id" },
                { { { "linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 0, \"size\": 10},"
                                           " {\"containerID\": 9, \"hostID\": 20, \"size\": 1}]" } },
                  "linux.uidMappings: [0] and [1] map overlapping containerID ranges" },
                { { { "linux.gidMappings", "[{\"containerID\": 0, \"hostID\": 5, \"size\": 10},"
                                           " {\"containerID\": 10, \"hostID\": 0, \"size\": 6}]" } },
                  "linux.gidMappings: [0] and [1] map overlapping hostID ranges" },
                { { { "linux.gidMappings", "{}" } }, "linux.gidMappings: must be an array" },
                { { { "linux.namespaces[6]", "{\"type\": \"user\"}" }, { "linux.uidMappings", MAP },
                    { "linux.gidMappings", MAP }, { "process.user.uid", "70000" } },
                  "process.user.uid: 70000 is not mapped by linux.uidMappings" },
                { { { "linux.namespaces[6]", "{\"type\": \"user\"}" }, { "linux.uidMappings", MAP },
                    { "linux.gidMappings", MAP }, { "process.user.additionalGids", "[5, 65536]" } },
                  "process.user.additionalGids: 65536 is not mapped by linux.gidMappings" },
                { { { "linux.timeOffsets", "{\"boottime\": {\"secs\": 1}}" } },
                  "linux.timeOffsets: needs a new time namespace" },
                { { { "linux.namespaces[6]", "{\"type\": \"time\", \"path\": \"/proc/1/ns/time\"}" },
                    { "linux.timeOffsets", "{\"boottime\": {\"secs\": 1}}" } },
                  "linux.timeOffsets: the time namespace joined by path" },
                { { { "linux.namespaces[6]", "{\"type\": \"time\"}" },
                    { "linux.timeOffsets", "{\"realtime\": {\"secs\": 1}}" } },
                  "linux.timeOffsets.realtime: unknown clock" },
                { { { "linux.namespaces[6]", "{\"type\": \"time\"}" },
                    { "linux.timeOffsets", "{\"monotonic\": {\"nanosecs\": 1000000000}}" } },
                  "linux.timeOffsets.monotonic.nanosecs: 1000000000 is out of range" },
                { { { "linux.namespaces[6]", "{\"type\": \"time\"}" },
                    { "linux.timeOffsets", "{\"monotonic\": {\"secs\": 9000000000}}" } },
                  "linux.timeOffsets.monotonic.secs: 9000000000 is out of range" },
                { { { "linux.namespaces[6]", "{\"type\": \"time\"}" },
                    { "linux.timeOffsets", "{\"monotonic\": 5}" } },
                  "linux.timeOffsets.monotonic: must be an object" },
                { { { "linux.sysctl", "{\"vm.swappiness\": \"1\"}" } },
                  "linux.sysctl.vm.swappiness: is not in a namespace of the container's own" },
                { { { "linux.sysctl", "{\"kernel.shmmaxx\": \"1\"}" } },
                  "linux.sysctl.kernel.shmmaxx: is not in a namespace" },
                { { { "linux.sysctl", "{\"net.ipv4.ip_forward\": 1}" } },
                  "linux.sysctl.net.ipv4.ip_forward: must be a string" },
                { { { "linux.sysctl", "{\"net..x\": \"1\"}" } }, "linux.sysctl: \"net..x\" is not a sysctl key" },
                { { { "linux.sysctl", "{\"net.\": \"1\"}" } }, "linux.sysctl: \"net.\" is not a sysctl key" },
                { { { "linux.sysctl", "{\".net\": \"1\"}" } }, "linux.sysctl: \".net\" is not a sysctl key" },
                { { { "linux.sysctl", "{\"net/ipv4/ip_forward\": \"1\"}" } }, "is not a sysctl key" },
                { { { "linux.sysctl", "{\"net.ipv4.conf.eth0 .x\": \"1\"}" } }, "is not a sysctl key" },
                { { { "linux.sysctl", "{\"\": \"1\"}" } }, "linux.sysctl: \"\" is not a sysctl key" },
                { { { "linux.namespaces", "[{\"type\": \"mount\"}]" }, { "hostname", "null" },
                    { "linux.sysctl", "{\"net.core.somaxconn\": \"1\"}" } },
                  "linux.sysctl.net.core.somaxconn: needs the container's own network namespace" },
                { { { "linux.namespaces", "[{\"type\": \"mount\"}]" }, { "hostname", "null" },
                    { "linux.sysctl", "{\"fs.mqueue.msg_max\": \"1\"}" } },
                  "linux.sysctl.fs.mqueue.msg_max: needs the container's own ipc namespace" },
                { { { "linux.namespaces", "[{\"type\": \"mount\"}]" }, { "hostname", "null" },
                    { "linux.sysctl", "{\"kernel.hostname\": \"x\"}" } },
                  "linux.sysctl.kernel.hostname: needs the container's own uts namespace" },
                { { { "linux.namespaces", "[{\"type\": \"mount\"}]" }, { "hostname", "null" },
                    { "domainname", "\"example.org\"" } }, "domainname: needs a new uts namespace" },
                { { { "domainname", "\"a b\"" } }, "domainname: \"a b\" is not a valid domain name" },
                { { { "domainname", "5" } }, "domainname: must be a string" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(spec_freep) Spec *s = NULL;
                size_t n = 0;
                int r;

                while (n < ELEMENTSOF(cases[i].patch) && cases[i].patch[n].path)
                        n++;
                r = parse_patched(cases[i].patch, n, &s);
                ASSERT_MSG(r == -EINVAL, "case %zu (%s): returned %d (%s)", i, cases[i].what, r, error_message(r));
                ASSERT(!s);
                ASSERT_MSG(strstr(error_message(r), PATH ": ") == error_message(r) &&
                           strstr(error_message(r), cases[i].what),
                           "case %zu: message \"%s\" does not contain \"%s\"", i, error_message(r), cases[i].what);
        }
}

/* 340 lines is the kernel's limit, and the text must fit one page. */
static void test_map_limits(void) {
        _cleanup_free_ char *many = NULL, *long_ids = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;
        size_t len = 0;
        int r;

        many = malloc(341 * 64);
        long_ids = malloc(341 * 64);
        ASSERT(many && long_ids);
        for (size_t i = 0; i < 341; i++)
                len += sprintf(many + len, "%s{\"containerID\": %zu, \"hostID\": %zu, \"size\": 1}", i ? "," : "[",
                               i, 1000 + i);
        strcpy(many + len, "]");
        r = PARSE(&s, { "linux.uidMappings", many });
        ASSERT_INT_EQ(r, -EINVAL);
        ASSERT(strstr(error_message(r), "linux.uidMappings: 341 mappings, but the kernel takes at most 340"));

        /* 200 lines of large numbers: more than 4095 bytes */
        len = 0;
        for (size_t i = 0; i < 200; i++)
                len += sprintf(long_ids + len, "%s{\"containerID\": %zu, \"hostID\": %zu, \"size\": 1}",
                               i ? "," : "[", 1000000000 + i, 2000000000 + i);
        strcpy(long_ids + len, "]");
        r = PARSE(&s, { "linux.uidMappings", long_ids });
        ASSERT_INT_EQ(r, -EINVAL);
        ASSERT(strstr(error_message(r), "linux.uidMappings: as text, longer than the 4095 bytes"));
}

int main(void) {
        test_good();
        test_bad();
        test_map_limits();
        return 0;
}
