/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "device-policy.h"
#include "error.h"
#include "resources.h"
#include "spec.h"

#include "test-util.h"

/* The vectors crun and runc test their conversions with. */
static void test_conversions(void) {
        ASSERT_INT_EQ(cpu_shares_to_weight(0), 0);
        ASSERT_INT_EQ(cpu_shares_to_weight(2), 1);
        ASSERT_INT_EQ(cpu_shares_to_weight(3), 2);
        ASSERT_INT_EQ(cpu_shares_to_weight(512), 59);
        ASSERT_INT_EQ(cpu_shares_to_weight(1024), 100);
        ASSERT_INT_EQ(cpu_shares_to_weight(260000), 9929);
        ASSERT_INT_EQ(cpu_shares_to_weight(262144), 10000);
        ASSERT_INT_EQ(cpu_shares_to_weight(1000000), 10000);

        ASSERT_INT_EQ(cpu_quota_to_per_sec_usec(50000, 100000), 500000);
        ASSERT_INT_EQ(cpu_quota_to_per_sec_usec(12345, 100000), 130000);  /* rounded up to 10 ms */
        ASSERT_INT_EQ(cpu_quota_to_per_sec_usec(25000, 0), 250000);       /* the kernel's default period */
        ASSERT(cpu_quota_to_per_sec_usec(-1, 100000) == UINT64_MAX);

        ASSERT_INT_EQ(blkio_weight_to_io_weight(10), 1);
        ASSERT_INT_EQ(blkio_weight_to_io_weight(500), 4950);
        ASSERT_INT_EQ(blkio_weight_to_io_weight(1000), 10000);
}

static void test_cpu_lists(void) {
        static const char *const bad[] = { "", "-", "0-", "-1", "3-1", "0,,1", "0 ", "a", "8192", "0-99999" };
        uint8_t *mask;
        size_t size;

        ASSERT(cpu_list_to_mask("0-3,6,9-10", &mask, &size) == 0);
        ASSERT_INT_EQ(size, 2);
        ASSERT_INT_EQ(mask[0], 0x4f);
        ASSERT_INT_EQ(mask[1], 0x06);
        free(mask);
        ASSERT(cpu_list_to_mask("0", &mask, &size) == 0);
        ASSERT_INT_EQ(size, 1);
        ASSERT_INT_EQ(mask[0], 1);
        free(mask);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                ASSERT_MSG(cpu_list_to_mask(bad[i], NULL, NULL) < 0, "\"%s\" accepted", bad[i]);
}

static void test_resources_file(void) {
        SpecResources *r = NULL;
        const char *text = "{\"memory\":{\"limit\":1048576,\"swap\":-1},\"pids\":{\"limit\":-1},"
                           "\"blockIO\":{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":10}]},"
                           "\"unified\":{\"memory.high\":\"max\"}}";

        ASSERT(spec_resources_parse(text, strlen(text), "r.json", &r) == 0);
        ASSERT(r->memory.limit.set && r->memory.limit.value == 1048576);
        ASSERT(r->memory.swap.set && r->memory.swap.value == -1);
        ASSERT(!r->memory.reservation.set);
        ASSERT(r->pids_limit.set && r->pids_limit.value == -1);
        ASSERT_INT_EQ(r->block_io.n_throttle[THROTTLE_WRITE_IOPS], 1);
        ASSERT_INT_EQ(r->block_io.throttle[THROTTLE_WRITE_IOPS][0].rate, 10);
        ASSERT(streq(r->unified[0], "memory.high") && streq(r->unified[1], "max") && !r->unified[2]);
        spec_resources_free(r);

        error_clear();
        ASSERT(spec_resources_parse("[]", 2, "r.json", &r) == -EINVAL);
        ASSERT(strstr(error_message(-EINVAL), "r.json: must hold a JSON object"));
}

static const char proc_devices[] =
        "Character devices:\n"
        "  1 mem\n"
        "  4 /dev/vc/0\n"
        "  4 tty\n"
        "  4 ttyS\n"
        "  5 /dev/tty\n"
        "136 pts\n"
        "200 twice\n"
        "201 twice\n"
        "202 pat*\n"
        "\n"
        "Block devices:\n"
        "  7 loop\n"
        "259 blkext\n";

#define DENY_ALL { .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" }
#define RULE(a, t, ma, mi, acc) { .allow = a, .type = t, .major = ma, .minor = mi, .access = acc }

/* rules -> the DeviceAllow= entries, "path access" joined by ", " */
static char *policy_text(const SpecDeviceRule *rules, size_t n, int *ret_r) {
        DevicePolicy p = {};
        char *text = calloc(1, 1);

        *ret_r = device_policy_from_rules(rules, n, proc_devices, "c.json: linux.resources.", false, &p);
        for (size_t i = 0; i < p.n_allow; i++) {
                char *t;

                ASSERT(asprintf(&t, "%s%s%s %s", text, i ? ", " : "", p.allow[i].path, p.allow[i].access) > 0);
                free(text);
                text = t;
        }
        device_policy_done(&p);
        return text;
}

static void test_device_policy(void) {
        static const struct {
                SpecDeviceRule rules[6];
                size_t n;
                const char *allow;      /* NULL: refused */
        } cases[] = {
                /* runc spec's list: nothing at all */
                { { DENY_ALL }, 1, "" },
                { { DENY_ALL, RULE(true, 'c', 1, 3, "rwm") }, 2, "/dev/char/1:3 rwm" },
                { { DENY_ALL, RULE(true, 'b', 7, 2, "r") }, 2, "/dev/block/7:2 r" },
                /* a wildcard minor: the major's name in /proc/devices */
                { { DENY_ALL, RULE(true, 'c', 136, -1, "rw"), RULE(true, 'c', 5, -1, "rw") }, 3,
                  "char-pts rw, char-/dev/tty rw" },
                { { DENY_ALL, RULE(true, 'c', 4, -1, "r") }, 2, "char-/dev/vc/0 r" },  /* its first name */
                { { DENY_ALL, RULE(true, 'b', 259, -1, "rwm") }, 2, "block-blkext rwm" },
                /* every device of a type */
                { { DENY_ALL, RULE(true, 'a', -1, -1, "m") }, 2, "char-* m, block-* m" },
                { { DENY_ALL, RULE(true, 'c', -1, -1, "rwm") }, 2, "char-* rwm" },
                /* left out, granting less: no name, a shared name, a pattern, any major */
                { { DENY_ALL, RULE(true, 'c', 99, -1, "rwm"), RULE(true, 'c', 200, -1, "rwm"),
                    RULE(true, 'c', 202, -1, "rwm"), RULE(true, 'c', -1, 3, "rwm"), RULE(true, 'c', 1, 5, "r") },
                  6, "/dev/char/1:5 r" },
                /* a later deny takes access away from what it covers */
                { { DENY_ALL, RULE(true, 'c', 1, 3, "rwm"), RULE(true, 'c', 1, 5, "rwm"), RULE(false, 'c', 1, 5, "w"),
                    RULE(false, 'c', 1, -1, "m") }, 5, "/dev/char/1:3 rw, /dev/char/1:5 r" },
                { { DENY_ALL, RULE(true, 'c', 1, 3, "rwm"), RULE(false, 'a', -1, -1, "rwm") }, 3, "" },
                { { DENY_ALL, RULE(true, 'c', 1, 3, "rwm"), RULE(false, 'c', 1, 3, "rwm"), RULE(true, 'c', 1, 3, "r") },
                  4, "/dev/char/1:3 r" },
                /* no deny of all first: the rules still start from nothing, as runc's */
                { { RULE(true, 'c', 1, 3, "rw") }, 1, "/dev/char/1:3 rw" },
                /* allow all: every device of both types */
                { { RULE(true, 'a', -1, -1, "rwm") }, 1, "char-* rwm, block-* rwm" },
                { { DENY_ALL, RULE(true, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "r") }, 3, "char-* rwm, block-* rwm" },
                /* refused, as it would grant more: a hole in a wider allow, a deny list */
                { { DENY_ALL, RULE(true, 'c', 1, -1, "rwm"), RULE(false, 'c', 1, 5, "w") }, 3, NULL },
                { { DENY_ALL, RULE(true, 'c', -1, -1, "rwm"), RULE(false, 'c', 1, 5, "w") }, 3, NULL },
                { { RULE(true, 'a', -1, -1, "rwm"), RULE(false, 'c', 1, 5, "rwm") }, 2, NULL },
                /* a deny that misses the wider allow's access is fine */
                { { DENY_ALL, RULE(true, 'c', 1, -1, "r"), RULE(false, 'c', 1, 5, "w") }, 3, "char-mem r" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = NULL;
                int r;

                error_clear();
                text = policy_text(cases[i].rules, cases[i].n, &r);
                if (!cases[i].allow) {
                        ASSERT_MSG(r == -EOPNOTSUPP, "case %zu: returned %d, \"%s\"", i, r, text);
                        ASSERT_STR_CONTAINS(error_message(r), "c.json: linux.resources.devices[");
                        continue;
                }
                ASSERT_MSG(r == 0, "case %zu: %s", i, error_message(r));
                ASSERT_MSG(streq(text, cases[i].allow), "case %zu: \"%s\", expected \"%s\"", i, text, cases[i].allow);
        }
        /* which rule, and why */
        {
                SpecDeviceRule rules[] = { DENY_ALL, RULE(true, 'c', 1, -1, "rwm"), RULE(false, 'c', 1, 5, "w") };
                DevicePolicy p = {};
                int r = device_policy_from_rules(rules, 3, proc_devices, "c.json: linux.resources.", false, &p);

                ASSERT_INT_EQ(r, -EOPNOTSUPP);
                ASSERT_STR_CONTAINS(error_message(r), "c.json: linux.resources.devices[2]: \"c 1:5\" takes part of "
                                    "devices[1] \"c 1:*\" away");
        }
}

int main(void) {
        test_device_policy();
        test_conversions();
        test_cpu_lists();
        test_resources_file();
        return 0;
}
