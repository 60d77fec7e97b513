/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <seccomp.h>

#include "error.h"
#include "spec.h"

#include "test-util.h"

/* linux.seccomp as the parser leaves it for the filter (spec-seccomp.c). */

/* The default config with linux.seccomp set to profile (JSON text). */
static int parse_profile(const char *profile, Spec **ret) {
        _cleanup_free_ char *text = spec_default_text(), *patched = NULL;
        _cleanup_(json_decrefp) json_t *root = NULL;

        ASSERT(text);
        root = test_json(text);
        test_json_set(root, "linux.seccomp", profile);
        patched = test_json_dump(root);
        error_clear();
        return spec_parse(patched, strlen(patched), "config.json", "/b", ret);
}

static void test_parsed(void) {
        _cleanup_(spec_freep) Spec *s = NULL;
        const SpecSeccomp *sc;
        int r;

        r = parse_profile("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
                          " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"],"
                          " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_TSYNC\"],"
                          " \"listenerPath\": \"/run//agent.sock\", \"listenerMetadata\": \"m\","
                          " \"syscalls\": ["
                          "  {\"names\": [\"mkdir\", \"no_such_syscall\", \"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                          "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\","
                          "   \"args\": [{\"index\": 0, \"value\": 255, \"valueTwo\": 8, \"op\": \"SCMP_CMP_MASKED_EQ\"},"
                          "              {\"index\": 5, \"value\": 9223372036854775807, \"op\": \"SCMP_CMP_GE\"}]},"
                          "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 4095},"
                          "  {\"names\": [\"umount2\"], \"action\": \"SCMP_ACT_KILL\"},"
                          "  {\"names\": [\"chmod\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}", &s);
        ASSERT_MSG(r == 0, "%s", error_message(r));
        sc = s->seccomp;
        ASSERT(sc);
        ASSERT_U64_EQ(sc->default_action, SCMP_ACT_ERRNO(38));
        ASSERT_INT_EQ(sc->n_architectures, 2);
        ASSERT_U64_EQ(sc->architectures[0], SCMP_ARCH_X86_64);
        ASSERT_U64_EQ(sc->architectures[1], SCMP_ARCH_AARCH64);
        ASSERT(sc->log && !sc->spec_allow && !sc->wait_killable_recv);
        ASSERT_STR_EQ(sc->listener_path, "/run/agent.sock");
        ASSERT_STR_EQ(sc->listener_metadata, "m");
        ASSERT_INT_EQ(sc->n_rules, 5);

        /* a name libseccomp does not know is left out */
        ASSERT_INT_EQ(sc->rules[0].n_syscalls, 2);
        ASSERT_INT_EQ(sc->rules[0].syscalls[0], seccomp_syscall_resolve_name("mkdir"));
        ASSERT_INT_EQ(sc->rules[0].syscalls[1], seccomp_syscall_resolve_name("read"));
        ASSERT_U64_EQ(sc->rules[0].action, SCMP_ACT_ALLOW);

        /* ERRNO without errnoRet is EPERM; MASKED_EQ's mask is value */
        ASSERT_U64_EQ(sc->rules[1].action, SCMP_ACT_ERRNO(EPERM));
        ASSERT_INT_EQ(sc->rules[1].n_args, 2);
        ASSERT_INT_EQ(sc->rules[1].args[0].index, 0);
        ASSERT_INT_EQ(sc->rules[1].args[0].op, SCMP_CMP_MASKED_EQ);
        ASSERT_U64_EQ(sc->rules[1].args[0].value, 255);
        ASSERT_U64_EQ(sc->rules[1].args[0].value_two, 8);
        ASSERT_INT_EQ(sc->rules[1].args[1].index, 5);
        ASSERT_INT_EQ(sc->rules[1].args[1].op, SCMP_CMP_GE);
        ASSERT_U64_EQ(sc->rules[1].args[1].value, INT64_MAX);

        ASSERT_U64_EQ(sc->rules[2].action, SCMP_ACT_TRACE(4095));
        ASSERT_U64_EQ(sc->rules[3].action, SCMP_ACT_KILL_THREAD);
        ASSERT_U64_EQ(sc->rules[4].action, SCMP_ACT_NOTIFY);
}

static void test_absent(void) {
        _cleanup_(spec_freep) Spec *s = NULL;
        int r = parse_profile("null", &s);

        ASSERT_MSG(r == 0, "%s", error_message(r));
        ASSERT(!s->seccomp);
}

static void test_bad(void) {
        static const struct {
                const char *profile;
                int r;
                const char *message;
        } cases[] = {
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"x\"}]}",
                  -EINVAL, "config.json: linux.seccomp.syscalls[0].action: unknown action \"x\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                  "\"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}",
                  -EINVAL, "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                  "\"SCMP_ACT_ALLOW\", \"args\": [{\"index\": -1, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                  -EINVAL, "linux.seccomp.syscalls[0].args[0].index: -1 is out of range [0, 5]" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_\"]}",
                  -EINVAL, "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                  -EINVAL, "linux.seccomp.listenerPath: is required" },
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 65536}",
                  -EINVAL, "linux.seccomp.defaultErrnoRet: 65536 is out of range [0, 65535]" },
                { "{\"defaultAction\": \"SCMP_ACT_LOG\", \"defaultErrnoRet\": 1}",
                  -EINVAL, "linux.seccomp.defaultErrnoRet: is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_LOG" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", 3], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                  -EINVAL, "linux.seccomp.syscalls[0].names[1]: must be a string, not an integer" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}",
                  -EINVAL, "linux.seccomp.syscalls[0].names: must be a non-empty array" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FOO\"]}",
                  -EINVAL, "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"" },
#if !(SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6))
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
                  -EOPNOTSUPP, "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6" },
#endif
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                _cleanup_(spec_freep) Spec *s = NULL;
                int r = parse_profile(cases[i].profile, &s);

                ASSERT_MSG(r == cases[i].r, "case %zu: %d: %s", i, r, r < 0 ? error_message(r) : "parsed");
                ASSERT(!s);
                ASSERT_STR_CONTAINS(error_message(r), cases[i].message);
        }
}

int main(void) {
        test_parsed();
        test_absent();
        test_bad();
        return 0;
}
