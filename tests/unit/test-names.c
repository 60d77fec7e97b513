/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>

#include "config.h"
#include "error.h"
#include "machine.h"
#include "macro.h"
#include "path.h"
#include "signal-name.h"
#include "state.h"
#include "unit-name.h"

#include "test-util.h"

static void check_unit(const char *id, const char *cgroups_path, const char *unit, const char *slice) {
        _cleanup_free_ char *u = NULL, *s = NULL;
        int r = container_unit_name(id, cgroups_path, false, &u, &s);

        ASSERT_MSG(r == 0, "container_unit_name(\"%s\", \"%s\"): %d", id, cgroups_path ?: "(null)", r);
        ASSERT_MSG(streq(u, unit), "container_unit_name(\"%s\", \"%s\"): unit \"%s\", expected \"%s\"",
                   id, cgroups_path ?: "(null)", u, unit);
        ASSERT_MSG(streq(s, slice), "container_unit_name(\"%s\", \"%s\"): slice \"%s\", expected \"%s\"",
                   id, cgroups_path ?: "(null)", s, slice);
}

static void test_unit_names(void) {
        ASSERT_STR_EQ(RUNSD_SLICE, "runsd.slice");

        /* No cgroupsPath, or one that is not SLICE:PREFIX:NAME. */
        check_unit("abc", NULL, "runsd-abc.scope", "runsd.slice");
        check_unit("abc", "", "runsd-abc.scope", "runsd.slice");
        check_unit("a.b-c_d", NULL, "runsd-a.b-c_d.scope", "runsd.slice");
        check_unit("a+b", NULL, "runsd-a\\x2bb.scope", "runsd.slice");
        check_unit("+a++", NULL, "runsd-\\x2ba\\x2b\\x2b.scope", "runsd.slice");
        check_unit("x", "/default/x", "runsd-x.scope", "runsd.slice");
        check_unit("abc", "a:b", "runsd-abc.scope", "runsd.slice");
        check_unit("abc", "a:b:c:d", "runsd-abc.scope", "runsd.slice");
        check_unit("abc", "/kubepods/burstable/pod1/abc", "runsd-abc.scope", "runsd.slice");

        /* SLICE:PREFIX:NAME, as containerd and podman send it. */
        check_unit("abc", "machine.slice:libpod:abc", "libpod-abc.scope", "machine.slice");
        check_unit("abc", ":p:n", "p-n.scope", "system.slice");
        check_unit("abc", "system.slice:cri-containerd:0123abcd", "cri-containerd-0123abcd.scope", "system.slice");
        check_unit("abc", "kubepods-besteffort-pod1.slice:crio:xyz", "crio-xyz.scope", "kubepods-besteffort-pod1.slice");

        /* Service mode: the same names, as services. */
        {
                _cleanup_free_ char *u1 = NULL, *s1 = NULL, *u2 = NULL, *s2 = NULL;

                ASSERT_INT_EQ(container_unit_name("a+b", NULL, true, &u1, &s1), 0);
                ASSERT_STR_EQ(u1, "runsd-a\\x2bb.service");
                ASSERT_STR_EQ(s1, "runsd.slice");
                ASSERT_INT_EQ(container_unit_name("abc", "machine.slice:libpod:abc", true, &u2, &s2), 0);
                ASSERT_STR_EQ(u2, "libpod-abc.service");
                ASSERT_STR_EQ(s2, "machine.slice");
        }

        /* The longest id makes a unit name systemd still takes (256). */
        {
                char id[CONTAINER_ID_MAX + 1];
                _cleanup_free_ char *u = NULL, *s = NULL;

                memset(id, 'a', sizeof id - 1);
                id[sizeof id - 1] = '\0';
                ASSERT_INT_EQ(container_unit_name(id, NULL, false, &u, &s), 0);
                ASSERT_INT_EQ(strlen(u), strlen("runsd-.scope") + CONTAINER_ID_MAX);
                ASSERT(strlen(u) <= 256);
        }
}

/* systemd takes unit names shorter than 256 (UNIT_NAME_MAX) characters. */
static void test_unit_name_length(void) {
        char name[300], id[CONTAINER_ID_MAX + 1];
        const char *reason = NULL;

        /* PREFIX-NAME.scope: "p-" + NAME + ".scope" */
        for (size_t total = 250; total <= 260; total++) {
                _cleanup_free_ char *path = NULL;
                int r;

                memset(name, 'n', total - 8);
                name[total - 8] = '\0';
                ASSERT(asprintf(&path, "machine.slice:p:%s", name) > 0);
                r = cgroups_path_validate(path, &reason);
                ASSERT_MSG(r == (total < 256 ? 0 : -EINVAL), "unit name of %zu characters: %d", total, r);
                if (total < 256) {
                        _cleanup_free_ char *u = NULL, *s = NULL;

                        ASSERT_INT_EQ(container_unit_name("x", path, false, &u, &s), 0);
                        ASSERT_INT_EQ(strlen(u), total);
                }
        }

        /* "+" is 4 characters in a unit name: "runsd-" + 60 * 4 + ".scope"
         * is 252, with 61 it is 256. */
        memset(id, '+', 61);
        id[61] = '\0';
        ASSERT_INT_EQ(container_id_validate(id), 0);
        {
                _cleanup_free_ char *u = NULL, *s = NULL;

                error_clear();
                ASSERT_INT_EQ(container_unit_name(id, NULL, false, &u, &s), -ENAMETOOLONG);
                ASSERT(!u && !s);
                ASSERT_STR_CONTAINS(error_message(-ENAMETOOLONG), id);
        }
        id[60] = '\0';
        {
                _cleanup_free_ char *u = NULL, *s = NULL;

                ASSERT_INT_EQ(container_unit_name(id, NULL, false, &u, &s), 0);
                ASSERT_INT_EQ(strlen(u), 252);
        }
        /* 200 characters, 15 of them "+": 257. */
        memset(id, 'a', CONTAINER_ID_MAX);
        id[CONTAINER_ID_MAX] = '\0';
        for (int k = 0; k < 15; k++)
                id[10 + 10 * k] = '+';
        ASSERT_INT_EQ(container_id_validate(id), 0);
        {
                _cleanup_free_ char *u = NULL, *s = NULL;

                ASSERT_INT_EQ(container_unit_name(id, NULL, false, &u, &s), -ENAMETOOLONG);
        }
}

static void check_cgroups_path(const char *p, int expected) {
        const char *reason = NULL;
        int r = cgroups_path_validate(p, &reason);

        ASSERT_MSG(r == expected, "cgroups_path_validate(\"%s\") = %d, expected %d", p ?: "(null)", r, expected);
        if (r < 0)
                ASSERT_MSG(reason && reason[0], "cgroups_path_validate(\"%s\"): no reason", p);
}

static void test_cgroups_path_validate(void) {
        check_cgroups_path(NULL, 0);
        check_cgroups_path("", 0);
        check_cgroups_path("a:b", 0);
        check_cgroups_path("/default/x", 0);
        check_cgroups_path("machine.slice:libpod:abc", 0);
        check_cgroups_path(":p:n", 0);
        check_cgroups_path("system.slice:p:n.slice", -EOPNOTSUPP);
        check_cgroups_path("notaslice:p:n", -EINVAL);
        check_cgroups_path(".slice:p:n", -EINVAL);
        check_cgroups_path("machine.slice::n", -EINVAL);
        check_cgroups_path("machine.slice:p:", -EINVAL);
        check_cgroups_path("machine.slice:p q:n", -EINVAL);
        check_cgroups_path("machine.slice:p:n/x", -EINVAL);
        check_cgroups_path("my slice.slice:p:n", -EINVAL);

        /* a slice name systemd would refuse: 256 characters */
        {
                char path[300];

                memset(path, 's', 250);
                memcpy(path + 250, ".slice:p:n", sizeof ".slice:p:n");
                check_cgroups_path(path, -EINVAL);
                memcpy(path + 249, ".slice:p:n", sizeof ".slice:p:n");
                check_cgroups_path(path, 0);
        }
}

static void test_signals(void) {
        static const struct {
                const char *s;
                int sig;
        } good[] = {
                { "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "term", SIGTERM }, { "sigterm", SIGTERM },
                { "Term", SIGTERM }, { "15", SIGTERM }, { "KILL", SIGKILL }, { "SIGKILL", SIGKILL },
                { "9", SIGKILL }, { "HUP", SIGHUP }, { "1", SIGHUP }, { "INT", SIGINT },
                { "USR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 }, { "CHLD", SIGCHLD }, { "STOP", SIGSTOP },
                { "CONT", SIGCONT }, { "WINCH", SIGWINCH }, { "SYS", SIGSYS }, { "IOT", SIGABRT },
                { "POLL", SIGIO },
        };
        static const char *const bad[] = {
                "", "0", "65", "-1", "-9", "FOO", "15x", "x15", "SIG", "sig", "SIGSIGTERM", "TERM ", " TERM",
                "1.5", "99999999999999999999", "RTMIN+", "RTMIN-", "RTMIN+x", "RTMIN1", "RTMAX+1", "RTMIN-1",
                "RTMIN+1x", "SIGRT", "RT", "TERMX",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                int r = signal_from_string(good[i].s);

                ASSERT_MSG(r == good[i].sig, "signal_from_string(\"%s\") = %d, expected %d", good[i].s, r, good[i].sig);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = signal_from_string(bad[i]);

                ASSERT_MSG(r == -EINVAL, "signal_from_string(\"%s\") = %d, expected -EINVAL", bad[i], r);
        }
        ASSERT_INT_EQ(signal_from_string(NULL), -EINVAL);

        /* Real-time signals, relative to the C library's SIGRTMIN/SIGRTMAX. */
        ASSERT_INT_EQ(signal_from_string("RTMIN"), SIGRTMIN);
        ASSERT_INT_EQ(signal_from_string("SIGRTMIN"), SIGRTMIN);
        ASSERT_INT_EQ(signal_from_string("RTMIN+1"), SIGRTMIN + 1);
        ASSERT_INT_EQ(signal_from_string("SIGRTMIN+1"), SIGRTMIN + 1);
        ASSERT_INT_EQ(signal_from_string("rtmin+2"), SIGRTMIN + 2);
        ASSERT_INT_EQ(signal_from_string("RTMAX"), SIGRTMAX);
        ASSERT_INT_EQ(signal_from_string("RTMAX-1"), SIGRTMAX - 1);
        ASSERT_INT_EQ(signal_from_string("SIGRTMAX-1"), SIGRTMAX - 1);
        ASSERT_INT_EQ(signal_from_string("RTMIN+0"), SIGRTMIN);
        ASSERT_INT_EQ(signal_from_string("RTMAX-0"), SIGRTMAX);
        {
                char buf[32];

                snprintf(buf, sizeof buf, "RTMIN+%d", SIGRTMAX - SIGRTMIN);
                ASSERT_INT_EQ(signal_from_string(buf), SIGRTMAX);
                snprintf(buf, sizeof buf, "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
                ASSERT_INT_EQ(signal_from_string(buf), -EINVAL);
                snprintf(buf, sizeof buf, "RTMAX-%d", SIGRTMAX - SIGRTMIN);
                ASSERT_INT_EQ(signal_from_string(buf), SIGRTMIN);
                snprintf(buf, sizeof buf, "%d", SIGRTMAX);
                ASSERT_INT_EQ(signal_from_string(buf), SIGRTMAX);
                snprintf(buf, sizeof buf, "%d", SIGRTMAX + 1);
                ASSERT_INT_EQ(signal_from_string(buf), -EINVAL);
        }
        ASSERT_INT_EQ(SIGRTMAX, 64);
        ASSERT_INT_EQ(signal_from_string("64"), 64);
}

static void check_normalize(const char *in, const char *out) {
        _cleanup_free_ char *n = path_normalize(in);

        ASSERT(n);
        ASSERT_MSG(streq(n, out), "path_normalize(\"%s\") = \"%s\", expected \"%s\"", in, n, out);
        ASSERT_MSG(path_is_normalized(n), "path_is_normalized(\"%s\")", n);
}

static void check_join(const char *a, const char *b, const char *out) {
        _cleanup_free_ char *j = path_join(a, b);

        ASSERT(j);
        ASSERT_MSG(streq(j, out), "path_join(\"%s\", \"%s\") = \"%s\", expected \"%s\"", a, b, j, out);
}

static void test_paths(void) {
        check_normalize("/", "/");
        check_normalize("//", "/");
        check_normalize("/.", "/");
        check_normalize("/./", "/");
        check_normalize("/a", "/a");
        check_normalize("/a/", "/a");
        check_normalize("//a/./b/", "/a/b");
        check_normalize("/a//b///c", "/a/b/c");
        check_normalize("/a/./././b/.", "/a/b");
        check_normalize("/.a/..b/...", "/.a/..b/...");
        check_normalize("/a.b/c.", "/a.b/c.");
        {
                /* ".." is kept, not resolved. */
                _cleanup_free_ char *n = path_normalize("/a/./../b/");

                ASSERT_STR_EQ(n, "/a/../b");
                ASSERT(!path_is_normalized(n));
        }

        check_join("/a", "b", "/a/b");
        check_join("/a/", "b", "/a/b");
        check_join("/a", "/b", "/a/b");
        check_join("/a//", "//b/c", "/a/b/c");
        check_join("/", "b", "/b");
        check_join("/", "/", "/");
        check_join("/b", "rootfs", "/b/rootfs");
        check_join("a", "b", "a/b");

        ASSERT(path_is_absolute("/"));
        ASSERT(path_is_absolute("/a"));
        ASSERT(!path_is_absolute("a/b"));
        ASSERT(!path_is_absolute(""));
        ASSERT(!path_is_absolute(NULL));

        ASSERT(path_is_normalized("/"));
        ASSERT(path_is_normalized("/a/b"));
        ASSERT(path_is_normalized("/a/..b"));
        ASSERT(path_is_normalized("/a/b.."));
        ASSERT(path_is_normalized("/..."));
        ASSERT(!path_is_normalized(".."));
        ASSERT(!path_is_normalized("/.."));
        ASSERT(!path_is_normalized("/a/.."));
        ASSERT(!path_is_normalized("/a/../b"));
        ASSERT(!path_is_normalized("../a"));
        ASSERT(!path_is_normalized("/a/../"));
        /* spec.c relies on path_is_normalized() refusing only ".." and
         * normalizes "." and empty components itself (mount destinations
         * such as "/data//x/./y" are accepted), so those pass here even
         * though path.h describes the function as also refusing them. */
        ASSERT(path_is_normalized("/a/./b"));
        ASSERT(path_is_normalized("//a"));
}

/* The names systemd-machined 252 takes and refuses (checked against it with
 * RegisterMachine): hostname_is_valid(), without "_". */
static void test_machine_names(void) {
        static const char *const good[] = {
                "a", "1", "Ab", "a-b", "a--b", "a.b", "a.b.c", "0x", "mybox", "web-1.prod",
                /* containerd's and podman's IDs: 64 hex digits */
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        };
        static const char *const bad[] = {
                "", "a_b", "_a", "a_", "a+b", "a..b", "a.", ".a", "a-", "-a", "a-.b", "a.-b", ".host",
                "a b", "a/b", "ä",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                ASSERT_MSG(machine_name_is_valid(good[i]), "\"%s\" should be a valid machine name", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_MSG(!machine_name_is_valid(bad[i]), "\"%s\" should not be a valid machine name", bad[i]);
        ASSERT(!machine_name_is_valid(NULL));
}

int main(void) {
        test_unit_names();
        test_unit_name_length();
        test_cgroups_path_validate();
        test_signals();
        test_paths();
        test_machine_names();
        return 0;
}
