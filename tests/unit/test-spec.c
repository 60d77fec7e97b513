/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "config.h"
#include "error.h"
#include "spec.h"

#include "strv.h"
#include "test-util.h"

#define PATH "config.json"
#define BUNDLE "/b"

/* The default config with one member set (or, with value NULL, deleted). */
static char *default_patched(const char *path, const char *value_json) {
        _cleanup_free_ char *text = spec_default_text();
        _cleanup_(json_decrefp) json_t *root = NULL;

        ASSERT(text);
        root = test_json(text);
        if (path)
                test_json_set(root, path, value_json);
        return test_json_dump(root);
}

static int parse_text(const char *text, size_t len, Spec **ret) {
        error_clear();
        return spec_parse(text, len, PATH, BUNDLE, ret);
}

static Spec *parse_ok(const char *text) {
        Spec *s = NULL;
        int r = parse_text(text, strlen(text), &s);

        ASSERT_MSG(r == 0, "spec_parse: %d: %s", r, error_message(r));
        ASSERT(s);
        return s;
}

static Spec *parse_patched_ok(const char *path, const char *value_json) {
        _cleanup_free_ char *text = default_patched(path, value_json);

        return parse_ok(text);
}

static const SpecMount *find_mount(const Spec *s, const char *destination) {
        for (size_t i = 0; i < s->n_mounts; i++)
                if (streq(s->mounts[i].destination, destination))
                        return &s->mounts[i];
        return NULL;
}

static void test_default(void) {
        _cleanup_free_ char *text = spec_default_text();
        _cleanup_(spec_freep) Spec *s = NULL;
        const SpecMount *m;
        uint64_t caps;

        ASSERT(text);
        s = parse_ok(text);

        ASSERT_STR_EQ(s->path, PATH);
        ASSERT_STR_EQ(s->bundle, BUNDLE);
        ASSERT_STR_EQ(s->oci_version, OCI_VERSION);

        /* process */
        ASSERT_INT_EQ(strv_length(s->process.args), 1);
        ASSERT_STR_EQ(s->process.args[0], "sh");
        ASSERT_INT_EQ(strv_length(s->process.env), 2);
        ASSERT_STR_EQ(s->process.env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        ASSERT_STR_EQ(s->process.env[1], "TERM=xterm");
        ASSERT_STR_EQ(s->process.cwd, "/");
        ASSERT_INT_EQ(s->process.uid, 0);
        ASSERT_INT_EQ(s->process.gid, 0);
        ASSERT_INT_EQ(s->process.n_additional_gids, 0);
        ASSERT(!s->process.has_umask);
        ASSERT(!s->process.has_oom_score_adj);
        ASSERT(s->process.no_new_privileges);

        ASSERT(s->process.has_capabilities);
        caps = (UINT64_C(1) << CAP_AUDIT_WRITE) | (UINT64_C(1) << CAP_KILL) | (UINT64_C(1) << CAP_NET_BIND_SERVICE);
        ASSERT_U64_EQ(s->process.capabilities.bounding, caps);
        ASSERT_U64_EQ(s->process.capabilities.effective, caps);
        ASSERT_U64_EQ(s->process.capabilities.permitted, caps);
        ASSERT_U64_EQ(s->process.capabilities.ambient, caps);
        ASSERT_U64_EQ(s->process.capabilities.inheritable, 0);
        ASSERT(s->process.capabilities.bounding & (UINT64_C(1) << CAP_KILL));
        ASSERT(!(s->process.capabilities.bounding & (UINT64_C(1) << CAP_SYS_ADMIN)));

        ASSERT_INT_EQ(s->process.n_rlimits, 1);
        ASSERT_INT_EQ(s->process.rlimits[0].resource, RLIMIT_NOFILE);
        ASSERT_U64_EQ(s->process.rlimits[0].soft, 1024);
        ASSERT_U64_EQ(s->process.rlimits[0].hard, 1024);

        /* root, hostname */
        ASSERT_STR_EQ(s->root_path, "/b/rootfs");
        ASSERT(s->root_readonly);
        ASSERT_STR_EQ(s->hostname, "runsd");

        /* namespaces */
        ASSERT(s->namespaces[NS_PID].enabled);
        ASSERT(s->namespaces[NS_NETWORK].enabled);
        ASSERT(s->namespaces[NS_IPC].enabled);
        ASSERT(s->namespaces[NS_UTS].enabled);
        ASSERT(s->namespaces[NS_MOUNT].enabled);
        ASSERT(s->namespaces[NS_CGROUP].enabled);
        ASSERT(!s->namespaces[NS_USER].enabled);
        ASSERT(!s->namespaces[NS_TIME].enabled);
        for (int t = 0; t < _NS_MAX; t++)
                ASSERT(!s->namespaces[t].path);

        /* mounts */
        ASSERT_INT_EQ(s->n_mounts, 7);
        ASSERT_STR_EQ(s->mounts[0].destination, "/proc");
        ASSERT_STR_EQ(s->mounts[6].destination, "/sys/fs/cgroup");

        m = find_mount(s, "/proc");
        ASSERT(m);
        ASSERT_STR_EQ(m->type, "proc");
        ASSERT_STR_EQ(m->source, "proc");
        ASSERT_U64_EQ(m->flags, 0);
        ASSERT_STR_EQ(m->data, NULL);
        ASSERT(!m->bind && !m->readonly);

        m = find_mount(s, "/dev");
        ASSERT(m);
        ASSERT_STR_EQ(m->type, "tmpfs");
        ASSERT_U64_EQ(m->flags, MS_NOSUID | MS_STRICTATIME);
        ASSERT_STR_EQ(m->data, "mode=755,size=65536k");

        m = find_mount(s, "/dev/pts");
        ASSERT(m);
        ASSERT_STR_EQ(m->type, "devpts");
        ASSERT_STR_EQ(m->source, "devpts");
        ASSERT_U64_EQ(m->flags, MS_NOSUID | MS_NOEXEC);
        ASSERT_STR_EQ(m->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        ASSERT(!m->bind && !m->recursive && !m->readonly);
        ASSERT_U64_EQ(m->propagation, 0);

        m = find_mount(s, "/dev/shm");
        ASSERT(m);
        ASSERT_STR_EQ(m->source, "shm");
        ASSERT_U64_EQ(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
        ASSERT_STR_EQ(m->data, "mode=1777,size=65536k");

        m = find_mount(s, "/sys");
        ASSERT(m);
        ASSERT_STR_EQ(m->type, "sysfs");
        ASSERT(m->readonly);
        ASSERT_U64_EQ(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
        ASSERT_STR_EQ(m->data, NULL);

        m = find_mount(s, "/sys/fs/cgroup");
        ASSERT(m);
        ASSERT(m->readonly);
        ASSERT_U64_EQ(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);

        /* masked and read-only paths */
        ASSERT_INT_EQ(strv_length(s->masked_paths), 10);
        ASSERT_STR_EQ(s->masked_paths[0], "/proc/acpi");
        ASSERT_STR_EQ(s->masked_paths[2], "/proc/kcore");
        ASSERT_STR_EQ(s->masked_paths[9], "/proc/scsi");
        ASSERT_INT_EQ(strv_length(s->readonly_paths), 5);
        ASSERT_STR_EQ(s->readonly_paths[0], "/proc/bus");
        ASSERT_STR_EQ(s->readonly_paths[3], "/proc/sys");
        ASSERT_STR_EQ(s->readonly_paths[4], "/proc/sysrq-trigger");

        ASSERT_STR_EQ(s->cgroups_path, NULL);
        ASSERT_U64_EQ(s->rootfs_propagation, 0);
        ASSERT(!s->annotations);
}

static void test_mounts_resolved(void) {
        _cleanup_(spec_freep) Spec *s = NULL;
        const SpecMount *m;

        s = parse_patched_ok("mounts[7]",
                             "{\"destination\": \"/data//x/./y/\", \"type\": \"bind\", \"source\": \"data\","
                             " \"options\": [\"rbind\", \"ro\", \"rprivate\", \"nosuid\"]}");
        ASSERT_INT_EQ(s->n_mounts, 8);
        m = &s->mounts[7];
        ASSERT_STR_EQ(m->destination, "/data/x/y");
        ASSERT_STR_EQ(m->source, "/b/data");
        ASSERT_STR_EQ(m->type, NULL);
        ASSERT(m->bind && m->recursive && m->readonly);
        ASSERT_U64_EQ(m->flags, MS_RDONLY | MS_NOSUID);
        ASSERT_U64_EQ(m->propagation, MS_PRIVATE | MS_REC);
        ASSERT_STR_EQ(m->data, NULL);
        s = spec_free(s);

        /* A bind given only by the "bind" option, with an absolute source and
         * a file system type that means nothing for a bind mount. */
        s = parse_patched_ok("mounts[7]",
                             "{\"destination\": \"//etc//hosts\", \"type\": \"none\", \"source\": \"/host/hosts\","
                             " \"options\": [\"bind\", \"ro\", \"rw\", \"mode=1\"]}");
        m = &s->mounts[7];
        ASSERT_STR_EQ(m->destination, "/etc/hosts");
        ASSERT_STR_EQ(m->source, "/host/hosts");
        ASSERT_STR_EQ(m->type, NULL);
        ASSERT(m->bind && !m->recursive && !m->readonly);
        ASSERT_U64_EQ(m->flags, 0);
        ASSERT_STR_EQ(m->data, "mode=1");
        s = spec_free(s);

        /* A non-bind mount without a source takes its type as source. */
        s = parse_patched_ok("mounts[7]", "{\"destination\": \"/./run/\", \"type\": \"tmpfs\"}");
        m = &s->mounts[7];
        ASSERT_STR_EQ(m->destination, "/run");
        ASSERT_STR_EQ(m->type, "tmpfs");
        ASSERT_STR_EQ(m->source, "tmpfs");
        ASSERT(!m->bind);
        s = spec_free(s);

        /* Absolute root.path is normalized, not joined to the bundle. */
        s = parse_patched_ok("root.path", "\"/srv//c/./rootfs/\"");
        ASSERT_STR_EQ(s->root_path, "/srv/c/rootfs");
        s = spec_free(s);

        s = parse_patched_ok("root.readonly", "false");
        ASSERT(!s->root_readonly);
        ASSERT_STR_EQ(s->root_path, "/b/rootfs");
        s = spec_free(s);

        s = parse_patched_ok("linux.namespaces[1].path", "\"/proc/1//ns/net\"");
        ASSERT(s->namespaces[NS_NETWORK].enabled);
        ASSERT_STR_EQ(s->namespaces[NS_NETWORK].path, "/proc/1/ns/net");
        s = spec_free(s);

        s = parse_patched_ok("linux.maskedPaths[0]", "\"//proc/./acpi/\"");
        ASSERT_STR_EQ(s->masked_paths[0], "/proc/acpi");
}

/* Values that must be accepted; null counts as absent. */
static void test_good(void) {
        static const struct {
                const char *path, *value;
        } cases[] = {
                { "hostname", "null" },
                { "process.env", "null" },
                { "process.env", "[]" },
                { "process.user", "null" },
                { "process.capabilities", "null" },
                { "process.rlimits", "null" },
                { "process.rlimits", "[]" },
                { "process.terminal", "null" },
                { "process.noNewPrivileges", "null" },
                { "process.oomScoreAdj", "null" },
                { "process.apparmorProfile", "null" },
                { "linux.seccomp", "null" },
                { "linux.resources", "null" },
                { "linux.cgroupsPath", "null" },
                { "linux.maskedPaths", "null" },
                { "linux.namespaces[0].path", "null" },
                { "mounts", "null" },
                { "mounts[2].options", "null" },
                { "hooks", "null" },
                { "domainname", "null" },
                { "annotations", "null" },
                { "annotations", "{}" },
                { "linux.cgroupsPath", "\"\"" },
                { "linux.cgroupsPath", "\"a:b\"" },
                { "linux.cgroupsPath", "\"/default/abc\"" },
                { "linux.cgroupsPath", "\"machine.slice:libpod:abc\"" },
                { "linux.cgroupsPath", "\":p:n\"" },
                { "process.user.uid", "4294967294" },
                { "process.user.gid", "65534" },
                { "process.oomScoreAdj", "-1000" },
                { "process.oomScoreAdj", "1000" },
                { "process.user.umask", "0" },
                { "process.user.umask", "511" },
                { "process.rlimits[0].soft", "0" },
                { "linux.rootfsPropagation", "\"\"" },
                { "ociVersion", "\"1.0.2-dev\"" },
                { "hostname", "\"a-b.c_d\"" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(spec_freep) Spec *s = NULL;
                _cleanup_free_ char *text = default_patched(cases[i].path, cases[i].value);
                int r = parse_text(text, strlen(text), &s);

                ASSERT_MSG(r == 0, "%s = %s: %d: %s", cases[i].path, cases[i].value, r, error_message(r));
        }
}

/* The parsed values of accepted optional fields. */
static void test_values(void) {
        _cleanup_(spec_freep) Spec *s = NULL;
        char hostname[65];

        s = parse_patched_ok("hostname", "null");
        ASSERT_STR_EQ(s->hostname, NULL);
        s = spec_free(s);

        s = parse_patched_ok("process.env", "null");
        ASSERT(!s->process.env);
        s = spec_free(s);

        s = parse_patched_ok("linux.cgroupsPath", "\"a:b\"");
        ASSERT_STR_EQ(s->cgroups_path, "a:b");
        s = spec_free(s);

        s = parse_patched_ok("process.user", "{\"uid\": 1000, \"gid\": 100, \"umask\": 18,"
                             " \"additionalGids\": [5, 4294967294]}");
        ASSERT_INT_EQ(s->process.uid, 1000);
        ASSERT_INT_EQ(s->process.gid, 100);
        ASSERT(s->process.has_umask);
        ASSERT_INT_EQ(s->process.umask, 022);
        ASSERT_INT_EQ(s->process.n_additional_gids, 2);
        ASSERT_INT_EQ(s->process.additional_gids[0], 5);
        ASSERT_U64_EQ(s->process.additional_gids[1], 4294967294u);
        s = spec_free(s);

        s = parse_patched_ok("process.oomScoreAdj", "-500");
        ASSERT(s->process.has_oom_score_adj);
        ASSERT_INT_EQ(s->process.oom_score_adj, -500);
        s = spec_free(s);

        s = parse_patched_ok("linux.devices", "[{\"path\": \"/dev//net/./tun\", \"type\": \"c\", \"major\": 10,"
                             " \"minor\": 200, \"fileMode\": 8630, \"uid\": 1000, \"gid\": 5},"
                             " {\"path\": \"/dev/fifo\", \"type\": \"p\"}]");
        ASSERT_INT_EQ(s->n_devices, 2);
        ASSERT_STR_EQ(s->devices[0].path, "/dev/net/tun");
        ASSERT(s->devices[0].type == 'c' && spec_device_ifmt(&s->devices[0]) == S_IFCHR);
        ASSERT_INT_EQ(s->devices[0].major, 10);
        ASSERT_INT_EQ(s->devices[0].minor, 200);
        ASSERT_INT_EQ(s->devices[0].mode, 0666);        /* 8630 is 020666: S_IFCHR | 0666 */
        ASSERT_INT_EQ(s->devices[0].uid, 1000);
        ASSERT_INT_EQ(s->devices[0].gid, 5);
        ASSERT(spec_device_ifmt(&s->devices[1]) == S_IFIFO);
        ASSERT_INT_EQ(s->devices[1].mode, 0666);        /* runc's default */
        ASSERT_INT_EQ(s->devices[1].uid, 0);
        s = spec_free(s);

        s = parse_patched_ok("process.noNewPrivileges", "false");
        ASSERT(!s->process.no_new_privileges);
        s = spec_free(s);

        /* Unknown capabilities are dropped (with a warning), as runc does. */
        s = parse_patched_ok("process.capabilities.bounding", "[\"CAP_KILL\", \"CAP_NOT_A_CAPABILITY\"]");
        ASSERT_U64_EQ(s->process.capabilities.bounding, UINT64_C(1) << CAP_KILL);
        s = spec_free(s);

        s = parse_patched_ok("process.capabilities", "{}");
        ASSERT(s->process.has_capabilities);
        ASSERT_U64_EQ(s->process.capabilities.bounding, 0);
        ASSERT_U64_EQ(s->process.capabilities.ambient, 0);
        s = spec_free(s);

        s = parse_patched_ok("process.capabilities", "null");
        ASSERT(!s->process.has_capabilities);
        s = spec_free(s);

        s = parse_patched_ok("process.rlimits[1]", "{\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 4096}");
        ASSERT_INT_EQ(s->process.n_rlimits, 2);
        ASSERT_INT_EQ(s->process.rlimits[1].resource, RLIMIT_CORE);
        ASSERT_U64_EQ(s->process.rlimits[1].soft, 0);
        ASSERT_U64_EQ(s->process.rlimits[1].hard, 4096);
        s = spec_free(s);

        /* RLIM_INFINITY written as a JSON real. */
        s = parse_patched_ok("process.rlimits[1]",
                             "{\"type\": \"RLIMIT_MEMLOCK\", \"soft\": 65536, \"hard\": 1.8446744073709552e19}");
        ASSERT_U64_EQ(s->process.rlimits[1].soft, 65536);
        ASSERT_U64_EQ(s->process.rlimits[1].hard, UINT64_MAX);
        s = spec_free(s);

        s = parse_patched_ok("annotations", "{\"org.example.a\": \"1\", \"b\": \"\"}");
        ASSERT_INT_EQ(strv_length(s->annotations), 4);
        ASSERT_STR_EQ(s->annotations[0], "org.example.a");
        ASSERT_STR_EQ(s->annotations[1], "1");
        ASSERT_STR_EQ(s->annotations[2], "b");
        ASSERT_STR_EQ(s->annotations[3], "");
        s = spec_free(s);

        s = parse_patched_ok("linux.rootfsPropagation", "\"rshared\"");
        ASSERT_U64_EQ(s->rootfs_propagation, MS_SHARED | MS_REC);
        s = spec_free(s);

        s = parse_patched_ok("linux.rootfsPropagation", "\"private\"");
        ASSERT_U64_EQ(s->rootfs_propagation, MS_PRIVATE);
        s = spec_free(s);

        /* 64 characters is the longest host name. */
        memset(hostname, 'h', 64);
        hostname[64] = '\0';
        {
                _cleanup_free_ char *v = NULL;

                ASSERT(asprintf(&v, "\"%s\"", hostname) > 0);
                s = parse_patched_ok("hostname", v);
                ASSERT_STR_EQ(s->hostname, hostname);
                s = spec_free(s);
        }

        /* Without mounts only the mount namespace is needed. */
        {
                static const char minimal[] =
                        "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                        " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\"},"
                        " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}";

                s = parse_ok(minimal);
                ASSERT_STR_EQ(s->root_path, "/b/r");
                ASSERT_INT_EQ(s->n_mounts, 0);
                ASSERT_STR_EQ(s->process.args[0], "/bin/true");
                ASSERT(!s->process.env);
                ASSERT(!s->process.rlimits);
                ASSERT_INT_EQ(s->process.uid, 0);
                ASSERT(!s->namespaces[NS_PID].enabled);
                ASSERT(s->namespaces[NS_MOUNT].enabled);
        }
}

/* text with the one occurrence of from replaced by to; free() it. */
static char *replace_once(const char *text, const char *from, const char *to) {
        const char *at = strstr(text, from);
        char *r;

        ASSERT_MSG(at && !strstr(at + 1, from), "\"%s\" is not in the text exactly once", from);
        ASSERT(asprintf(&r, "%.*s%s%s", (int) (at - text), text, to, at + strlen(from)) > 0);
        return r;
}

/* rlimits are uint64: RLIM_INFINITY as Docker writes it, 18446744073709551615,
 * is past what jansson reads as an integer.  The rest of such a file must
 * read as usual. */
static void test_rlimit_infinity(void) {
        static const struct {
                const char *path, *value;
                const char *field;
        } bad[] = {
                { "process.user.uid", "-1", "process.user.uid" },
                { "process.user.uid", "4294967295", "process.user.uid" },
                { "process.user.uid", "0.5", "process.user.uid" },
                { "process.user.uid", "\"0\"", "process.user.uid" },
                { "process.user.umask", "512", "process.user.umask" },
                { "process.user.additionalGids", "[-1]", "process.user.additionalGids[0]" },
                { "process.oomScoreAdj", "2000", "process.oomScoreAdj" },
                { "process.rlimits[0].soft", "-1", "process.rlimits[0].soft" },
                { "process.rlimits[0].soft", "1.5", "process.rlimits[0].soft" },
                { "process.rlimits[1]", "{\"type\": \"RLIMIT_CORE\", \"soft\": 2, \"hard\": 1}", "process.rlimits[1]" },
        };
        _cleanup_(spec_freep) Spec *s = NULL;

        {
                _cleanup_free_ char *patched = default_patched("process.user",
                                                               "{\"uid\": 1000, \"gid\": 100, \"umask\": 18,"
                                                               " \"additionalGids\": [5, 4294967294]}");
                _cleanup_free_ char *a = NULL, *text = NULL;
                _cleanup_free_ char *b = default_patched("process.oomScoreAdj", "-500");

                a = replace_once(patched, "\"hard\":1024", "\"hard\":18446744073709551615");
                text = replace_once(a, "\"soft\":1024", "\"soft\":9223372036854775808");
                s = parse_ok(text);
                ASSERT_INT_EQ(s->process.n_rlimits, 1);
                ASSERT_INT_EQ(s->process.rlimits[0].resource, RLIMIT_NOFILE);
                ASSERT_U64_EQ(s->process.rlimits[0].hard, UINT64_MAX);
                ASSERT_U64_EQ(s->process.rlimits[0].hard, RLIM_INFINITY);
                ASSERT_U64_EQ(s->process.rlimits[0].soft, UINT64_C(9223372036854775808));
                ASSERT_INT_EQ(s->process.uid, 1000);
                ASSERT_INT_EQ(s->process.gid, 100);
                ASSERT(s->process.has_umask);
                ASSERT_INT_EQ(s->process.umask, 022);
                ASSERT_INT_EQ(s->process.n_additional_gids, 2);
                ASSERT_INT_EQ(s->process.additional_gids[0], 5);
                ASSERT_U64_EQ(s->process.additional_gids[1], 4294967294u);
                ASSERT_STR_EQ(s->hostname, "runsd");
                ASSERT_INT_EQ(s->n_mounts, 7);
                s = spec_free(s);

                free(a);
                a = replace_once(b, "\"hard\":1024", "\"hard\":18446744073709551615");
                s = parse_ok(a);
                ASSERT(s->process.has_oom_score_adj);
                ASSERT_INT_EQ(s->process.oom_score_adj, -500);
                s = spec_free(s);
        }

        /* soft unlimited, hard not */
        {
                _cleanup_free_ char *def = default_patched(NULL, NULL), *text = NULL;
                int r;

                text = replace_once(def, "\"soft\":1024", "\"soft\":18446744073709551615");
                r = parse_text(text, strlen(text), &s);
                ASSERT_INT_EQ(r, -EINVAL);
                ASSERT(!s);
                ASSERT_STR_CONTAINS(error_message(r), PATH ": process.rlimits[0]");
        }

        /* Too big for the field, not for the rlimit. */
        {
                _cleanup_free_ char *patched = default_patched("process.user.uid", "123456789"), *text = NULL;
                int r;

                text = replace_once(patched, "123456789", "18446744073709551615");
                r = parse_text(text, strlen(text), &s);
                ASSERT_INT_EQ(r, -EINVAL);
                ASSERT(!s);
                ASSERT_STR_CONTAINS(error_message(r), PATH ": process.user.uid");
        }

        /* The checks still hold in a file with such a number. */
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *patched = default_patched(bad[i].path, bad[i].value), *text = NULL, *prefix = NULL;
                int r;

                text = replace_once(patched, "\"hard\":1024", "\"hard\":18446744073709551615");
                r = parse_text(text, strlen(text), &s);
                ASSERT_MSG(r == -EINVAL, "%s = %s with RLIM_INFINITY: returned %d", bad[i].path, bad[i].value, r);
                ASSERT(!s);
                ASSERT(asprintf(&prefix, PATH ": %s", bad[i].field) > 0);
                ASSERT_STR_CONTAINS(error_message(r), prefix);
        }
}

#define H10 "hhhhhhhhhh"

/* Each case: the default config with one member set (value) or deleted
 * (value NULL); spec_parse() must fail with r, naming config.json and the
 * field, and, if given, saying what. */
static void test_bad(void) {
        static const struct {
                const char *path, *value;
                int r;
                const char *field, *what;
        } cases[] = {
                { "ociVersion", NULL, -EINVAL, "ociVersion", "required" },
                { "ociVersion", "\"2.0\"", -EINVAL, "ociVersion", "2.0" },
                { "ociVersion", "\"\"", -EINVAL, "ociVersion", NULL },
                { "ociVersion", "1", -EINVAL, "ociVersion", "string" },

                { "process", NULL, -EINVAL, "process", "required" },
                { "process", "\"sh\"", -EINVAL, "process", "object" },
                { "process.args", NULL, -EINVAL, "process.args", NULL },
                { "process.args", "null", -EINVAL, "process.args", NULL },
                { "process.args", "\"sh\"", -EINVAL, "process.args", "array" },
                { "process.args", "{}", -EINVAL, "process.args", "array" },
                { "process.args", "[]", -EINVAL, "process.args", NULL },
                { "process.args", "[\"sh\", 1]", -EINVAL, "process.args[1]", "string" },
                { "process.args", "[\"\"]", -EINVAL, "process.args[0]", NULL },
                { "process.env", "[\"PATH\"]", -EINVAL, "process.env", "PATH" },
                { "process.env", "[\"A=1\", \"=x\"]", -EINVAL, "process.env", NULL },
                { "process.env", "\"A=1\"", -EINVAL, "process.env", NULL },
                { "process.env", "[\"A=1\", null]", -EINVAL, "process.env[1]", NULL },
                { "process.cwd", NULL, -EINVAL, "process.cwd", "required" },
                { "process.cwd", "\"tmp\"", -EINVAL, "process.cwd", "absolute" },
                { "process.cwd", "\"\"", -EINVAL, "process.cwd", NULL },
                { "process.cwd", "\"/a/../b\"", -EINVAL, "process.cwd", ".." },
                { "process.cwd", "\"/..\"", -EINVAL, "process.cwd", ".." },
                { "process.user", "[]", -EINVAL, "process.user", "object" },
                { "process.user.uid", "-1", -EINVAL, "process.user.uid", NULL },
                { "process.user.uid", "4294967295", -EINVAL, "process.user.uid", NULL },
                { "process.user.uid", "4294967296", -EINVAL, "process.user.uid", NULL },
                { "process.user.uid", "\"0\"", -EINVAL, "process.user.uid", "integer" },
                { "process.user.uid", "0.5", -EINVAL, "process.user.uid", "integer" },
                { "process.user.gid", "-1", -EINVAL, "process.user.gid", NULL },
                { "process.user.gid", "4294967295", -EINVAL, "process.user.gid", NULL },
                { "process.user.additionalGids", "[5, -1]", -EINVAL, "process.user.additionalGids[1]", NULL },
                { "process.user.additionalGids", "[\"5\"]", -EINVAL, "process.user.additionalGids[0]", NULL },
                { "process.user.additionalGids", "5", -EINVAL, "process.user.additionalGids", "array" },
                { "process.user.umask", "512", -EINVAL, "process.user.umask", NULL },   /* 01000 */
                { "process.user.umask", "-1", -EINVAL, "process.user.umask", NULL },
                { "process.user.username", "\"root\"", -EOPNOTSUPP, "process.user.username", "not supported" },
                { "process.consoleSize", "{\"height\": 5}", -EINVAL, "process.consoleSize.width", NULL },
                { "process.consoleSize", "{\"height\": 70000, \"width\": 1}", -EINVAL, "process.consoleSize.height", NULL },
                { "process.terminal", "\"no\"", -EINVAL, "process.terminal", "boolean" },
                { "process.noNewPrivileges", "1", -EINVAL, "process.noNewPrivileges", "boolean" },
                { "process.oomScoreAdj", "2000", -EINVAL, "process.oomScoreAdj", NULL },
                { "process.oomScoreAdj", "-1001", -EINVAL, "process.oomScoreAdj", NULL },
                { "process.oomScoreAdj", "\"5\"", -EINVAL, "process.oomScoreAdj", NULL },
                { "process.apparmorProfile", "5", -EINVAL, "process.apparmorProfile", "string" },
                { "process.selinuxLabel", "\"a\\nb\"", -EINVAL, "process.selinuxLabel", "newline" },
                { "process.scheduler", "{\"policy\": \"SCHED_X\"}", -EINVAL, "process.scheduler.policy", "SCHED_X" },
                { "process.scheduler", "{\"policy\": \"SCHED_RR\"}", -EINVAL, "process.scheduler.priority", "1-99" },
                { "process.ioPriority", "{\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 8}", -EINVAL,
                  "process.ioPriority.priority", NULL },
                { "process.execCPUAffinity", "{\"final\": \"1,,2\"}", -EINVAL, "process.execCPUAffinity.final", NULL },
                { "linux.personality", "{\"domain\": \"LINUX64\"}", -EINVAL, "linux.personality.domain", "LINUX64" },
                { "linux.memoryPolicy", "{\"mode\": \"MPOL_INTERLEAVE\"}", -EINVAL, "linux.memoryPolicy.nodes",
                  "required" },
                { "process.commandLine", "\"sh\"", -EOPNOTSUPP, "process.commandLine", "not supported" },
                { "process.capabilities", "[]", -EINVAL, "process.capabilities", "object" },
                { "process.capabilities.bounding", "\"CAP_KILL\"", -EINVAL, "process.capabilities.bounding", "array" },
                { "process.capabilities.ambient", "[1]", -EINVAL, "process.capabilities.ambient[0]", NULL },
                { "process.rlimits", "{}", -EINVAL, "process.rlimits", "array" },
                { "process.rlimits[0]", "\"RLIMIT_NOFILE\"", -EINVAL, "process.rlimits[0]", "object" },
                { "process.rlimits[0].type", "\"RLIMIT_FOO\"", -EINVAL, "process.rlimits[0].type", "RLIMIT_FOO" },
                { "process.rlimits[0].type", NULL, -EINVAL, "process.rlimits[0].type", "required" },
                { "process.rlimits[0].soft", "2048", -EINVAL, "process.rlimits[0]", "soft" },
                { "process.rlimits[0].soft", NULL, -EINVAL, "process.rlimits[0].soft", "required" },
                { "process.rlimits[0].hard", NULL, -EINVAL, "process.rlimits[0].hard", "required" },
                { "process.rlimits[0].soft", "-1", -EINVAL, "process.rlimits[0].soft", NULL },
                { "process.rlimits[0].soft", "\"1\"", -EINVAL, "process.rlimits[0].soft", NULL },
                { "process.rlimits[1]", "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1}",
                  -EINVAL, "process.rlimits[1].type", "twice" },

                { "root", NULL, -EINVAL, "root", "required" },
                { "root", "\"rootfs\"", -EINVAL, "root", "object" },
                { "root.path", NULL, -EINVAL, "root.path", "required" },
                { "root.path", "\"\"", -EINVAL, "root.path", NULL },
                { "root.path", "5", -EINVAL, "root.path", "string" },
                { "root.path", "\"../../etc\"", -EINVAL, "root.path", "leave the bundle" },
                { "root.path", "\"rootfs/../..\"", -EINVAL, "root.path", "leave the bundle" },
                { "root.readonly", "\"yes\"", -EINVAL, "root.readonly", "boolean" },

                { "hostname", "\"a/b\"", -EINVAL, "hostname", NULL },
                { "hostname", "\"" H10 H10 H10 H10 H10 H10 H10 H10 H10 H10 "\"", -EINVAL, "hostname", NULL },
                { "hostname", "\"" H10 H10 H10 H10 H10 H10 "hhhhh\"", -EINVAL, "hostname", NULL }, /* 65 */
                { "hostname", "\"\"", -EINVAL, "hostname", NULL },
                { "hostname", "\"a b\"", -EINVAL, "hostname", NULL },
                { "hostname", "5", -EINVAL, "hostname", "string" },
                { "linux.namespaces", "[{\"type\": \"mount\"}]", -EINVAL, "hostname", "uts" },
                { "hooks", "[]", -EINVAL, "hooks", "object" },
                { "hooks", "{\"prestart\": {}}", -EINVAL, "hooks.prestart", "array" },
                { "hooks", "{\"preStart\": []}", -EINVAL, "hooks.preStart", "unknown hook type" },
                { "hooks", "{\"poststop\": [\"/bin/true\"]}", -EINVAL, "hooks.poststop[0]", "object" },
                { "hooks", "{\"createRuntime\": [{}]}", -EINVAL, "hooks.createRuntime[0].path", "required" },
                { "hooks", "{\"createRuntime\": [{\"path\": \"true\"}]}", -EINVAL,
                  "hooks.createRuntime[0].path", "absolute" },
                { "hooks", "{\"poststart\": [{\"path\": 5}]}", -EINVAL, "hooks.poststart[0].path", "string" },
                { "hooks", "{\"startContainer\": [{\"path\": \"/t\", \"args\": \"t\"}]}", -EINVAL,
                  "hooks.startContainer[0].args", "array" },
                { "hooks", "{\"startContainer\": [{\"path\": \"/t\", \"args\": [1]}]}", -EINVAL,
                  "hooks.startContainer[0].args[0]", "string" },
                { "hooks", "{\"createContainer\": [{\"path\": \"/t\", \"env\": [\"X\"]}]}", -EINVAL,
                  "hooks.createContainer[0].env", "NAME=VALUE" },
                { "hooks", "{\"prestart\": [{\"path\": \"/t\", \"timeout\": 0}]}", -EINVAL,
                  "hooks.prestart[0].timeout", "greater than zero" },
                { "hooks", "{\"prestart\": [{\"path\": \"/t\", \"timeout\": -3}]}", -EINVAL,
                  "hooks.prestart[0].timeout", "greater than zero" },
                { "hooks", "{\"prestart\": [{\"path\": \"/t\", \"timeout\": \"5\"}]}", -EINVAL,
                  "hooks.prestart[0].timeout", "integer" },
                { "hooks", "{\"prestart\": [{\"path\": \"/t\", \"timeout\": 1.5}]}", -EINVAL,
                  "hooks.prestart[0].timeout", "integer" },

                { "mounts", "{}", -EINVAL, "mounts", "array" },
                { "mounts[0]", "\"/proc\"", -EINVAL, "mounts[0]", "object" },
                { "mounts[0].destination", NULL, -EINVAL, "mounts[0].destination", "required" },
                { "mounts[0].destination", "\"proc\"", -EINVAL, "mounts[0].destination", "absolute" },
                { "mounts[0].destination", "\"\"", -EINVAL, "mounts[0].destination", NULL },
                { "mounts[0].destination", "\"/proc/../etc\"", -EINVAL, "mounts[0].destination", ".." },
                { "mounts[0].destination", "\"/..\"", -EINVAL, "mounts[0].destination", ".." },
                { "mounts[0].destination", "5", -EINVAL, "mounts[0].destination", "string" },
                { "mounts[0].type", NULL, -EINVAL, "mounts[0].type", "required" },
                { "mounts[0].type", "\"\"", -EINVAL, "mounts[0].type", "required" },
                { "mounts[0].source", "5", -EINVAL, "mounts[0].source", "string" },
                { "mounts[7]", "{\"destination\": \"/data\", \"type\": \"bind\"}", -EINVAL, "mounts[7].source", "bind" },
                { "mounts[7]", "{\"destination\": \"/data\", \"options\": [\"rbind\"]}", -EINVAL, "mounts[7].source", "bind" },
                { "mounts[1].options", "\"nosuid\"", -EINVAL, "mounts[1].options", "array" },
                { "mounts[1].options", "[\"nosuid\", 5]", -EINVAL, "mounts[1].options[1]", "string" },
                { "mounts[1].options", "[\"idmap\"]", -EINVAL, "mounts[1].options", "only a bind mount can be idmapped" },
                { "mounts[1].options", "[\"X-mount.mkdir\"]", -EOPNOTSUPP, "mounts[1].options option \"X-mount.mkdir\"",
                  "not supported" },
                { "mounts[7]", "{\"destination\": \"/d\", \"source\": \"/s\", \"options\": [\"rbind\", \"ridmap\"]}", -EINVAL,
                  "mounts[7].options", "ridmap: needs mounts[7].uidMappings and gidMappings, or a user namespace" },
                { "mounts[7]", "{\"destination\": \"/d\", \"source\": \"/s\", \"options\": [\"bind\"], "
                  "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}", -EINVAL,
                  "gidMappings", "both uidMappings and gidMappings" },
                { "mounts[7]", "{\"destination\": \"/d\", \"source\": \"/s\", \"options\": [\"bind\"], "
                  "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}]}", -EINVAL,
                  "mounts[7].uidMappings[0].size", NULL },
                { "mounts[7]", "{\"destination\": \"/d\", \"source\": \"/s\", \"options\": [\"bind\", \"tmpcopyup\"]}",
                  -EINVAL, "mounts[7].options", "tmpcopyup: only for a tmpfs, not a bind mount" },
                { "mounts[7]", "{\"destination\": \"/d\", \"source\": \"/s\", \"options\": [\"bind\", \"remount\"]}",
                  -EINVAL, "mounts[7].options", "remount: not with bind" },

                { "linux", "[]", -EINVAL, "linux", "object" },
                { "linux", NULL, -EINVAL, "hostname", "uts" },
                { "linux.namespaces", NULL, -EINVAL, "hostname", "uts" },
                { "linux.namespaces", "{}", -EINVAL, "linux.namespaces", "array" },
                { "linux.namespaces[0]", "\"pid\"", -EINVAL, "linux.namespaces[0]", "object" },
                { "linux.namespaces[0].type", NULL, -EINVAL, "linux.namespaces[0].type", "required" },
                { "linux.namespaces[6]", "{\"type\": \"foo\"}", -EINVAL, "linux.namespaces[6].type", "foo" },
                { "linux.namespaces[6]", "{\"type\": \"pid\"}", -EINVAL, "linux.namespaces[6].type", "twice" },
                { "linux.namespaces[6]", "{\"type\": \"user\"}", -EINVAL, "linux.uidMappings", "needs mappings" },
                { "linux.namespaces[0].path", "\"proc/1/ns/pid\"", -EINVAL, "linux.namespaces[0].path", "absolute" },
                { "linux.namespaces[0].path", "\"/proc/1/../1/ns/pid\"", -EINVAL, "linux.namespaces[0].path", ".." },
                { "linux.seccomp", "{}", -EINVAL, "linux.seccomp.defaultAction", "required" },
                { "linux.resources", "[]", -EINVAL, "linux.resources", "object" },
                { "linux.resources", "{\"rdma\": {}}", -EOPNOTSUPP, "linux.resources.rdma", "not supported" },
                { "linux.resources", "{\"memory\": {\"limit\": -2}}", -EINVAL, "linux.resources.memory.limit", "range" },
                { "linux.resources", "{\"pids\": {\"limit\": 1.5}}", -EINVAL, "linux.resources.pids.limit", "integer" },
                { "linux.resources", "{\"cpu\": {\"mems\": \"x\"}}", -EINVAL, "linux.resources.cpu.mems", "list" },
                { "linux.resources", "{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}", -EINVAL,
                  "linux.resources.devices[0].type", "\"x\"" },
                { "linux.resources", "{\"devices\": [{\"access\": \"rwm\"}]}", -EINVAL,
                  "linux.resources.devices[0].allow", "required" },
                { "linux.resources", "{\"network\": {\"priorities\": [{\"name\": \"a b\", \"priority\": 1}]}}",
                  -EINVAL, "linux.resources.network.priorities[0].name", "interface" },
                { "annotations", "{\"org.systemd.property.X\": \"uint32 -1\"}", -EINVAL,
                  "annotations.org.systemd.property.X", "type" },
                { "annotations", "{\"org.systemd.property.X\": \"'a'b'\"}", -EINVAL,
                  "annotations.org.systemd.property.X", "type" },
                { "annotations", "{\"org.systemd.property.PIDs\": \"true\"}", -EINVAL,
                  "annotations.org.systemd.property.PIDs", "runsd itself" },
                { "linux.devices", "{}", -EINVAL, "linux.devices", "array" },
                { "linux.devices", "[\"/dev/x\"]", -EINVAL, "linux.devices[0]", "object" },
                { "linux.devices", "[{\"path\": \"/etc/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].path", "not under /dev" },
                { "linux.devices", "[{\"path\": \"/dev\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].path", "not under /dev" },
                { "linux.devices", "[{\"path\": \"/devx/y\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].path", "not under /dev" },
                { "linux.devices", "[{\"path\": \"dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].path", "absolute" },
                { "linux.devices", "[{\"path\": \"/dev/../etc/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].path", ".." },
                { "linux.devices", "[{\"type\": \"c\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].path", "required" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"x\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].type", "\"x\"" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"cc\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].type", NULL },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"major\": 1, \"minor\": 3}]", -EINVAL, "linux.devices[0].type", "required" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"c\", \"minor\": 3}]", -EINVAL, "linux.devices[0].major", "required" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"b\", \"major\": 1}]", -EINVAL, "linux.devices[0].minor", "required" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": -1, \"minor\": 3}]", -EINVAL, "linux.devices[0].major", "range" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3, \"fileMode\": 25014}]", -EINVAL, "linux.devices[0].fileMode", "type" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3, \"uid\": -1}]", -EINVAL, "linux.devices[0].uid", "range" },
                { "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3, \"gid\": \"0\"}]", -EINVAL, "linux.devices[0].gid", "integer" },
                { "linux.cgroupsPath", "5", -EINVAL, "linux.cgroupsPath", "string" },
                { "linux.cgroupsPath", "\"notaslice:p:n\"", -EINVAL, "linux.cgroupsPath", "slice" },
                { "linux.cgroupsPath", "\".slice:p:n\"", -EINVAL, "linux.cgroupsPath", NULL },
                { "linux.cgroupsPath", "\"system.slice::n\"", -EINVAL, "linux.cgroupsPath", NULL },
                { "linux.cgroupsPath", "\"system.slice:p:\"", -EINVAL, "linux.cgroupsPath", NULL },
                { "linux.cgroupsPath", "\"system.slice:p/q:n\"", -EINVAL, "linux.cgroupsPath", NULL },
                { "linux.cgroupsPath", "\"system.slice:p:n.slice\"", -EOPNOTSUPP, "linux.cgroupsPath", "not supported" },
                { "linux.maskedPaths", "[\"proc/kcore\"]", -EINVAL, "linux.maskedPaths", "absolute" },
                { "linux.maskedPaths", "\"/proc/kcore\"", -EINVAL, "linux.maskedPaths", "array" },
                { "linux.readonlyPaths", "[\"/proc/../sys\"]", -EINVAL, "linux.readonlyPaths", ".." },
                { "linux.rootfsPropagation", "\"weird\"", -EINVAL, "linux.rootfsPropagation", "weird" },

                { "annotations", "[]", -EINVAL, "annotations", "object" },
                { "annotations", "{\"a\": 1}", -EINVAL, "annotations.a", "string" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(spec_freep) Spec *s = NULL;
                _cleanup_free_ char *text = default_patched(cases[i].path, cases[i].value), *prefix = NULL;
                const char *msg;
                int r;

                r = parse_text(text, strlen(text), &s);
                ASSERT_MSG(r == cases[i].r, "%s = %s: returned %d (%s), expected %d",
                           cases[i].path, cases[i].value ?: "(deleted)", r, r < 0 ? error_message(r) : "", cases[i].r);
                ASSERT(!s);
                msg = error_message(r);
                ASSERT(asprintf(&prefix, PATH ": %s", cases[i].field) > 0);
                ASSERT_MSG(strstr(msg, prefix), "%s = %s: message \"%s\" does not contain \"%s\"",
                           cases[i].path, cases[i].value ?: "(deleted)", msg, prefix);
                if (cases[i].what)
                        ASSERT_MSG(strstr(msg, cases[i].what), "%s = %s: message \"%s\" does not contain \"%s\"",
                                   cases[i].path, cases[i].value ?: "(deleted)", msg, cases[i].what);
        }
}

/* Input that is not a JSON object at all. */
static void test_bad_json(void) {
        static const struct {
                const char *text, *what;
        } cases[] = {
                { "", "invalid JSON" },
                { "{", "invalid JSON" },
                { "{\"ociVersion\": \"1.2.0\",}", "invalid JSON" },
                { "[]", "must hold a JSON object" },
                { "[{\"ociVersion\": \"1.2.0\"}]", "must hold a JSON object" },
                { "\"x\"", "JSON" },
                { "null", "JSON" },
                { "{\"ociVersion\": \"1.2.0\", \"ociVersion\": \"1.2.0\"}", "duplicate" },
                { "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"a\", \"path\": \"b\"}}", "duplicate" },
                { "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": [\"a\\u0000b\"]}}", PATH },
        };
        _cleanup_free_ char *def = spec_default_text();

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(spec_freep) Spec *s = NULL;
                int r = parse_text(cases[i].text, strlen(cases[i].text), &s);

                ASSERT_MSG(r == -EINVAL, "\"%s\": returned %d", cases[i].text, r);
                ASSERT(!s);
                ASSERT_STR_CONTAINS(error_message(r), PATH ": ");
                ASSERT_STR_CONTAINS(error_message(r), cases[i].what);
        }

        /* Truncated: the default config cut at several places. */
        ASSERT(def);
        for (size_t len = 0; len < strlen(def) - 2; len += 97) {
                _cleanup_(spec_freep) Spec *s = NULL;
                int r = parse_text(def, len, &s);

                ASSERT_MSG(r == -EINVAL, "default config cut at %zu: returned %d", len, r);
                ASSERT(!s);
                ASSERT_STR_CONTAINS(error_message(r), PATH ": invalid JSON");
        }

        /* Only len bytes are read: text after them does not count. */
        {
                _cleanup_free_ char *padded = NULL;
                _cleanup_(spec_freep) Spec *s = NULL;

                ASSERT(asprintf(&padded, "%sGARBAGE", def) > 0);
                ASSERT_INT_EQ(parse_text(padded, strlen(def), &s), 0);
                ASSERT_STR_EQ(s->hostname, "runsd");
        }
}

/* Whole configs that are JSON objects but wrong as a whole. */
static void test_bad_raw(void) {
        static const struct {
                const char *text;
                const char *field, *what;
        } cases[] = {
                { "{}", "ociVersion", "required" },
                { "{\"ociVersion\": \"1.2.0\"}", "root", "required" },
                { "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}}", "process", "required" },
                /* no mount namespace */
                { "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"},"
                  " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}",
                  "linux.namespaces", "mount namespace" },
                { "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"},"
                  " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
                  " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}",
                  "linux.namespaces", "mount namespace" },
                { "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"},"
                  " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
                  " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}],"
                  " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}",
                  "mounts", "mount namespace" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(spec_freep) Spec *s = NULL;
                _cleanup_free_ char *prefix = NULL;
                int r = parse_text(cases[i].text, strlen(cases[i].text), &s);

                ASSERT_MSG(r == -EINVAL, "%s: returned %d", cases[i].text, r);
                ASSERT(!s);
                ASSERT(asprintf(&prefix, PATH ": %s:", cases[i].field) > 0);
                ASSERT_STR_CONTAINS(error_message(r), prefix);
                ASSERT_STR_CONTAINS(error_message(r), cases[i].what);
        }
}

/* spec_load() reads BUNDLE/config.json, with the bundle made absolute. */
static void test_load(void) {
        _cleanup_free_ char *dir = test_mkdtemp(), *config = NULL, *text = spec_default_text(),
                *rootfs = NULL, *missing = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        ASSERT(asprintf(&config, "%s/config.json", dir) > 0);
        ASSERT(asprintf(&rootfs, "%s/rootfs", dir) > 0);
        ASSERT(asprintf(&missing, "%s/missing", dir) > 0);

        error_clear();
        r = spec_load(dir, &s);
        ASSERT_INT_EQ(r, -ENOENT);
        ASSERT_STR_CONTAINS(error_message(r), config);

        error_clear();
        r = spec_load(missing, &s);
        ASSERT_INT_EQ(r, -ENOENT);
        ASSERT_STR_CONTAINS(error_message(r), missing);

        fd = open(config, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ASSERT(fd >= 0);
        ASSERT(write(fd, text, strlen(text)) == (ssize_t) strlen(text));

        error_clear();
        r = spec_load(dir, &s);
        ASSERT_MSG(r == 0, "spec_load: %s", error_message(r));
        ASSERT_STR_EQ(s->bundle, dir);
        ASSERT_STR_EQ(s->path, config);
        ASSERT_STR_EQ(s->root_path, rootfs);
        s = spec_free(s);

        /* Errors name the whole path of the file. */
        ASSERT(ftruncate(fd, 0) == 0);
        ASSERT(pwrite(fd, "{}", 2, 0) == 2);
        error_clear();
        r = spec_load(dir, &s);
        ASSERT_INT_EQ(r, -EINVAL);
        ASSERT_STR_CONTAINS(error_message(r), config);
        ASSERT_STR_CONTAINS(error_message(r), "ociVersion");

        ASSERT_INT_EQ(test_rm_rf(dir), 0);
}

static void test_hooks(void) {
        _cleanup_(spec_freep) Spec *s = parse_patched_ok("hooks",
                "{\"createRuntime\": [{\"path\": \"/bin/a\", \"args\": [\"x\", \"1\"], \"env\": [\"K=v\"], "
                "\"timeout\": 7}, {\"path\": \"/b\"}], \"poststop\": [{\"path\": \"/c\", \"args\": []}]}");
        _cleanup_(json_decrefp) json_t *o = NULL;
        _cleanup_free_ char *text = NULL;
        const char *bad = "{\"hooks\": {\"poststop\": [{}]}}";
        SpecHooks back = {};

        ASSERT(s->hooks.n[HOOK_CREATE_RUNTIME] == 2 && s->hooks.n[HOOK_POSTSTOP] == 1);
        ASSERT(s->hooks.n[HOOK_PRESTART] == 0 && !s->hooks.list[HOOK_PRESTART]);
        ASSERT(streq(s->hooks.list[HOOK_CREATE_RUNTIME][0].path, "/bin/a"));
        ASSERT(streq(s->hooks.list[HOOK_CREATE_RUNTIME][0].args[0], "x"));
        ASSERT(streq(s->hooks.list[HOOK_CREATE_RUNTIME][0].args[1], "1"));
        ASSERT(!s->hooks.list[HOOK_CREATE_RUNTIME][0].args[2]);
        ASSERT(streq(s->hooks.list[HOOK_CREATE_RUNTIME][0].env[0], "K=v"));
        ASSERT(s->hooks.list[HOOK_CREATE_RUNTIME][0].timeout == 7);
        ASSERT(!s->hooks.list[HOOK_CREATE_RUNTIME][1].args && s->hooks.list[HOOK_CREATE_RUNTIME][1].timeout == 0);
        ASSERT(s->hooks.list[HOOK_POSTSTOP][0].args && !s->hooks.list[HOOK_POSTSTOP][0].args[0]);
        ASSERT(streq(hook_type_to_string(HOOK_START_CONTAINER), "startContainer"));

        /* What the state directory keeps of them reads back the same. */
        o = spec_hooks_to_json(&s->hooks, 1U << HOOK_CREATE_RUNTIME);
        ASSERT(o);
        text = json_dumps(o, JSON_COMPACT);
        ASSERT(text);
        ASSERT(spec_hooks_parse_text(text, strlen(text), "hooks.json", &back) == 0);
        ASSERT(back.n[HOOK_CREATE_RUNTIME] == 2 && back.n[HOOK_POSTSTOP] == 0);
        ASSERT(streq(back.list[HOOK_CREATE_RUNTIME][0].args[1], "1"));
        ASSERT(streq(back.list[HOOK_CREATE_RUNTIME][0].env[0], "K=v"));
        ASSERT(back.list[HOOK_CREATE_RUNTIME][0].timeout == 7);
        ASSERT(streq(back.list[HOOK_CREATE_RUNTIME][1].path, "/b"));
        spec_hooks_done(&back);

        error_clear();
        ASSERT(spec_hooks_parse_text(bad, strlen(bad), "h.json", &back) == -EINVAL);
        ASSERT(strstr(error_message(-EINVAL), "h.json: hooks.poststop[0].path"));
        ASSERT(back.n[HOOK_POSTSTOP] == 0 && !back.list[HOOK_POSTSTOP]);
}

static void test_namespace_names(void) {
        ASSERT_INT_EQ(namespace_type_from_string("pid"), NS_PID);
        ASSERT_INT_EQ(namespace_type_from_string("network"), NS_NETWORK);
        ASSERT_INT_EQ(namespace_type_from_string("mount"), NS_MOUNT);
        ASSERT_INT_EQ(namespace_type_from_string("cgroup"), NS_CGROUP);
        ASSERT_INT_EQ(namespace_type_from_string("net"), -EINVAL);
        ASSERT_INT_EQ(namespace_type_from_string(""), -EINVAL);
        for (int t = 0; t < _NS_MAX; t++)
                ASSERT_INT_EQ(namespace_type_from_string(namespace_type_to_string(t)), t);
        ASSERT_U64_EQ(namespace_clone_flag(NS_PID), CLONE_NEWPID);
        ASSERT_U64_EQ(namespace_clone_flag(NS_MOUNT), CLONE_NEWNS);
        ASSERT_U64_EQ(namespace_clone_flag(NS_NETWORK), CLONE_NEWNET);
}

/* exec's --process file: the same parser as config.json's "process". */
static void test_process_object(void) {
        static const char good[] = "{\"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80},"
                                   " \"args\": [\"sh\"], \"cwd\": \"/tmp\", \"user\": {\"uid\": 1000, \"gid\": 7},"
                                   " \"capabilities\": {}, \"noNewPrivileges\": true}";
        static const char no_cwd[] = "{\"args\": [\"sh\"]}";
        SpecProcess *p = NULL;

        ASSERT_INT_EQ(spec_process_parse(good, strlen(good), "p.json", &p), 0);
        ASSERT(p->terminal);
        ASSERT_INT_EQ(p->console_height, 24);
        ASSERT_INT_EQ(p->console_width, 80);
        ASSERT_STR_EQ(p->args[0], "sh");
        ASSERT_STR_EQ(p->cwd, "/tmp");
        ASSERT_INT_EQ(p->uid, 1000);
        ASSERT_INT_EQ(p->gid, 7);
        ASSERT(p->has_capabilities && p->capabilities.effective == 0);
        ASSERT(p->no_new_privileges);
        spec_process_free(p);

        error_clear();
        ASSERT_INT_EQ(spec_process_parse(no_cwd, strlen(no_cwd), "p.json", &p), -EINVAL);
        ASSERT_STR_CONTAINS(error_message(-EINVAL), "p.json: process.cwd");
        ASSERT_INT_EQ(spec_process_parse("[]", 2, "p.json", &p), -EINVAL);
        ASSERT_STR_CONTAINS(error_message(-EINVAL), "p.json: must hold a JSON object");
        ASSERT_INT_EQ(spec_process_parse("{", 1, "p.json", &p), -EINVAL);
        ASSERT_STR_CONTAINS(error_message(-EINVAL), "invalid JSON");
}

/* What process-attr.c and network.c get: as the syscalls take it. */
static void test_process_attrs(void) {
        _cleanup_(spec_freep) Spec *s = NULL;

        s = parse_patched_ok("process.scheduler", "{\"policy\": \"SCHED_DEADLINE\", \"runtime\": 1000,"
                             " \"deadline\": 2000, \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\", \"SCHED_FLAG_RECLAIM\"]}");
        ASSERT(s->process.scheduler.set);
        ASSERT_INT_EQ(s->process.scheduler.policy, 6);         /* SCHED_DEADLINE */
        ASSERT_U64_EQ(s->process.scheduler.flags, 3);
        ASSERT_U64_EQ(s->process.scheduler.deadline, 2000);
        s = spec_free(s);

        s = parse_patched_ok("process.ioPriority", "{\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 6}");
        ASSERT_INT_EQ(s->process.io_priority, 2 << 13 | 6);
        s = spec_free(s);

        s = parse_patched_ok("process.execCPUAffinity", "{\"initial\": \"\", \"final\": \"0-2,64\"}");
        ASSERT(!s->process.cpus_initial.words);
        ASSERT_INT_EQ(s->process.cpus_final.n_words, 2);
        ASSERT_U64_EQ(s->process.cpus_final.words[0], 7);
        ASSERT_U64_EQ(s->process.cpus_final.words[1], 1);
        s = spec_free(s);

        s = parse_patched_ok("linux.personality", "{\"domain\": \"LINUX32\", \"flags\": []}");
        ASSERT(s->has_personality);
        ASSERT_INT_EQ(s->personality, 8);                       /* PER_LINUX32 */
        s = spec_free(s);

        s = parse_patched_ok("linux.memoryPolicy", "{\"mode\": \"MPOL_BIND\", \"nodes\": \"1\","
                             " \"flags\": [\"MPOL_F_STATIC_NODES\"]}");
        ASSERT_INT_EQ(s->memory_policy.mode, 2 | 1 << 15);
        ASSERT_U64_EQ(s->memory_policy.nodes.words[0], 2);
        s = spec_free(s);

        s = parse_patched_ok("linux.mountLabel", "\"system_u:object_r:f:s0:c1,c2\"");
        ASSERT_STR_EQ(find_mount(s, "/dev")->data, "mode=755,size=65536k,context=\"system_u:object_r:f:s0:c1,c2\"");
        ASSERT_STR_EQ(find_mount(s, "/proc")->data, NULL);
        s = spec_free(s);

        s = parse_patched_ok("linux.netDevices", "{\"eth1\": {\"name\": \"net0\"}, \"eth2\": {}}");
        ASSERT_INT_EQ(s->n_net_devices, 2);
        ASSERT_STR_EQ(s->net_devices[0].name, "net0");
        ASSERT_STR_EQ(s->net_devices[1].name, "eth2");
}

int main(void) {
        test_default();
        test_mounts_resolved();
        test_good();
        test_values();
        test_process_attrs();
        test_rlimit_infinity();
        test_bad();
        test_bad_json();
        test_bad_raw();
        test_load();
        test_hooks();
        test_namespace_names();
        test_process_object();
        return 0;
}
