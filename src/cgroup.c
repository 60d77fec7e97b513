/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "cgroup.h"
#include "error.h"
#include "fileio.h"
#include "macro.h"
#include "path.h"

#define CGROUP_ROOT "/sys/fs/cgroup/"

bool cgroup_is_unified(void) {
        static int unified = -1;
        struct statfs fs;

        /* The layout is the host's, fixed before we run; asked once a
         * create per step (check, properties, cgroup writes), found once. */
        if (unified < 0)
                unified = statfs(CGROUP_ROOT, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
        return unified;
}

/* super options "rw,cpu,cpuacct" or "rw,name=systemd,xattr" -> the controllers */
static void controllers_of(char *opts, char *out, size_t size) {
        char *o, *save = NULL;
        size_t len = 0;

        out[0] = '\0';
        for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (streq(o, "rw") || streq(o, "ro") || strncmp(o, "release_agent=", 14) == 0 ||
                    streq(o, "clone_children") || streq(o, "noprefix") || streq(o, "xattr"))
                        continue;
                len += snprintf(out + len, size - len, "%s%s", len ? "," : "", o);
                if (len >= size)
                        return;
        }
}

/* The mount ID of the topmost mount on /sys/fs/cgroup (-1: none): the
 * hierarchies one can reach are mounted on it.  Those of a mount it covers
 * (a tmpfs mounted over another, as in a container) are still listed, and
 * must not be taken. */
static int cgroup_root_mount(FILE *f) {
        char line[4096], mnt[1024];
        int id, top = -1;

        while (fgets(line, sizeof line, f))
                if (sscanf(line, "%d %*d %*s %*s %1023s", &id, mnt) == 2 && streq(mnt, "/sys/fs/cgroup"))
                        top = id;
        rewind(f);
        return top;
}

int cgroup_hierarchies_foreach(CgroupHierarchyFn fn, void *userdata) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], seen[64][64];
        size_t n_seen = 0;
        int top;

        if (!f)
                return -errno;
        top = cgroup_root_mount(f);
        while (fgets(line, sizeof line, f)) {
                char mnt[1024], fstype[64], source[256], opts[1024], controllers[256], *sep;
                bool dup = false;
                int parent, r;

                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPEROPTS" */
                sep = strstr(line, " - ");
                if (!sep || sscanf(sep + 3, "%63s %255s %1023s", fstype, source, opts) != 3 ||
                    sscanf(line, "%*d %d %*s %*s %1023s", &parent, mnt) != 2)
                        continue;
                if (strncmp(mnt, CGROUP_ROOT, strlen(CGROUP_ROOT)) != 0 || strchr(mnt + strlen(CGROUP_ROOT), '/') ||
                    (!streq(fstype, "cgroup") && !streq(fstype, "cgroup2")) || (top >= 0 && parent != top))
                        continue;
                for (size_t i = 0; i < n_seen; i++)
                        dup = dup || streq(seen[i], mnt + strlen(CGROUP_ROOT));
                if (dup || n_seen == ELEMENTSOF(seen))
                        continue;
                snprintf(seen[n_seen++], sizeof seen[0], "%s", mnt + strlen(CGROUP_ROOT));

                if (streq(fstype, "cgroup"))
                        controllers_of(opts, controllers, sizeof controllers);
                else
                        controllers[0] = '\0';
                r = fn(&(CgroupHierarchy) {
                        .mountpoint = mnt,
                        .name = mnt + strlen(CGROUP_ROOT),
                        .v2 = streq(fstype, "cgroup2"),
                        .controllers = controllers,
                }, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* The path of pid in the hierarchy with these controllers, from the text
 * of /proc/PID/cgroup; NULL if it has none. */
static const char *path_in(const char *proc_cgroup, const char *controllers, char *buf, size_t size) {
        size_t n = strlen(controllers);

        for (const char *l = proc_cgroup; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *c = strchr(l, ':'), *end = strchr(l, '\n');

                if (!c || strncmp(c + 1, controllers, n) != 0 || c[1 + n] != ':')
                        continue;
                snprintf(buf, size, "%.*s", (int) ((end ? end : l + strlen(l)) - (c + 2 + n)), c + 2 + n);
                return buf;
        }
        return NULL;
}

int cgroup_path_of(pid_t pid, const char *controllers, char **ret) {
        _cleanup_free_ char *text = NULL;
        char proc[64], buf[4096];
        int r;

        if (pid == 0)
                snprintf(proc, sizeof proc, "/proc/self/cgroup");
        else
                snprintf(proc, sizeof proc, "/proc/%d/cgroup", pid);
        r = read_full_file(proc, 1 << 20, &text, NULL);
        if (r < 0)
                return r;
        if (!path_in(text, controllers, buf, sizeof buf))
                return -ENOENT;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name) {
        _cleanup_free_ char *from = path_join(from_dir, name), *to = path_join(to_dir, name), *text = NULL;
        _cleanup_close_ int fd = -1;
        size_t len;
        int r;

        if (!from || !to)
                return -ENOMEM;
        r = read_full_file(from, 4096, &text, &len);
        if (r < 0)
                return r;
        fd = open(to, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, len) != (ssize_t) len)
                return -errno;
        return 0;
}

typedef struct Follow {
        pid_t pid;
        const char *unit_path;
        const char *proc_cgroup;
} Follow;

static int follow_one(const CgroupHierarchy *h, void *userdata) {
        const Follow *f = userdata;
        _cleanup_free_ char *dir = strdup(h->mountpoint), *procs = NULL;
        _cleanup_close_ int fd = -1;
        char buf[4096], pid[32];
        const char *now;
        int n;

        if (h->v2 || streq(h->controllers, "name=systemd"))
                return 0;
        now = path_in(f->proc_cgroup, h->controllers, buf, sizeof buf);
        if (!now || streq(now, f->unit_path))
                return 0;
        if (!dir)
                return -ENOMEM;
        /* Each missing level; a new cpuset takes its parent's CPUs and memory
         * nodes, or no process may join it. */
        for (const char *c = f->unit_path; *c;) {
                size_t l;
                char *child;

                c += strspn(c, "/");
                l = strcspn(c, "/");
                if (l == 0)
                        break;
                if (asprintf(&child, "%s/%.*s", dir, (int) l, c) < 0)
                        return -ENOMEM;
                if (mkdir(child, 0755) == 0 && strstr(h->controllers, "cpuset") &&
                    (copy_file(dir, child, "cpuset.cpus") < 0 || copy_file(dir, child, "cpuset.mems") < 0)) {
                        n = error_set(-errno, "cgroup %s: set up cpuset: %m", child);
                        free(child);
                        return n;
                }
                free(dir);
                dir = child;
                c += l;
        }
        procs = path_join(dir, "cgroup.procs");
        if (!procs)
                return -ENOMEM;
        n = snprintf(pid, sizeof pid, "%d", f->pid);
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pid, n) != n)
                return error_set(-errno, "move the container's init into %s: %m", dir);
        return 0;
}

int cgroup_follow_unit(pid_t pid, char **ret_path) {
        _cleanup_free_ char *text = NULL;
        char proc[64], buf[4096];
        const char *unit_path;
        bool unified;
        int r;

        snprintf(proc, sizeof proc, "/proc/%d/cgroup", pid);
        r = read_full_file(proc, 1 << 20, &text, NULL);
        if (r < 0)
                return error_set(r, "read %s: %m", proc);
        /* One hierarchy, systemd's: nothing to follow. */
        unified = cgroup_is_unified();
        unit_path = path_in(text, unified ? "" : "name=systemd", buf, sizeof buf);
        if (!unit_path)
                return error_set(-ENOENT, "the container's init %d is in no cgroup of systemd's", pid);
        if (!unified) {
                r = cgroup_hierarchies_foreach(follow_one, &(Follow) { .pid = pid, .unit_path = unit_path, .proc_cgroup = text });
                if (r < 0)
                        return r;
        }
        *ret_path = strdup(unit_path);
        return *ret_path ? 0 : -ENOMEM;
}

static int remove_one(const CgroupHierarchy *h, void *userdata) {
        _cleanup_free_ char *dir = NULL;

        if (h->v2 || streq(h->controllers, "name=systemd"))
                return 0;
        dir = path_join(h->mountpoint, userdata);
        if (dir)
                (void) rmdir(dir);
        return 0;
}

void cgroup_remove(const char *path) {
        if (path && !streq(path, "/") && path_is_normalized(path))
                (void) cgroup_hierarchies_foreach(remove_one, (void *) path);
}

/* Whether the comma-separated list has the item: "cpu" is in "cpu,cpuacct",
 * not in "cpuacct". */
static bool list_has(const char *list, const char *item) {
        size_t n = strlen(item);

        for (const char *c = list; c && *c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL)
                if (strncmp(c, item, n) == 0 && (c[n] == ',' || c[n] == '\0'))
                        return true;
        return false;
}

typedef struct FindHierarchy {
        const char *controller;
        char *mountpoint;
} FindHierarchy;

static int find_hierarchy(const CgroupHierarchy *h, void *userdata) {
        FindHierarchy *f = userdata;

        if (h->v2 || !list_has(h->controllers, f->controller))
                return 0;
        f->mountpoint = strdup(h->mountpoint);
        /* found: positive ends the walk of mountinfo */
        return f->mountpoint ? 1 : -ENOMEM;
}

int cgroup_dir(const char *controller, const char *path, char **ret) {
        _cleanup_free_ char *mountpoint = NULL;
        FindHierarchy f = { .controller = controller };
        int r;

        if (!path_is_normalized(path))
                return -EINVAL;
        if (cgroup_is_unified()) {
                *ret = path_join(CGROUP_ROOT, path);
                return *ret ? 0 : -ENOMEM;
        }
        r = cgroup_hierarchies_foreach(find_hierarchy, &f);
        mountpoint = f.mountpoint;
        if (r < 0)
                return r;
        if (!mountpoint)
                return -ENOENT;
        *ret = path_join(mountpoint, path);
        return *ret ? 0 : -ENOMEM;
}

int cgroup_attribute_path(const char *cgroup, const char *controller, const char *file, char **ret) {
        _cleanup_free_ char *dir = NULL;
        int r;

        r = cgroup_dir(controller, cgroup, &dir);
        if (r < 0)
                return r;
        *ret = path_join(dir, file);
        return *ret ? 0 : -ENOMEM;
}

int cgroup_write_attribute(const char *cgroup, const char *controller, const char *file, const char *value) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        int r;

        r = cgroup_attribute_path(cgroup, controller, file, &path);
        if (r == -ENOENT)
                return error_set(r, "cgroup %s: no %s hierarchy is mounted", cgroup, controller);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return error_set(-errno, "%s: %m%s", path,
                                 errno == ENOENT ? " (the kernel offers no such file to this cgroup)" : "");
        if (write(fd, value, len) != (ssize_t) len)
                return error_set(-errno, "write \"%s\" to %s: %m", value, path);
        return 0;
}

/* How long the v1 freezer may take: a task in an uninterruptible sleep
 * (say, on NFS) keeps the cgroup FREEZING until it wakes. */
#define FREEZE_TIMEOUT_MS 5000

int cgroup_v1_freeze(const char *path, bool freeze) {
        const char *want = freeze ? "FROZEN" : "THAWED";
        _cleanup_free_ char *file = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = cgroup_attribute_path(path, "freezer", "freezer.state", &file);
        if (r == -ENOENT)
                return error_set(-EOPNOTSUPP, "cgroup %s: no v1 freezer hierarchy is mounted", path);
        if (r < 0)
                return error_set(r, "cgroup %s: %m", path);
        fd = open(file, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return error_set(-errno, "open %s: %m", file);
        /* The kernel freezes lazily, reading "FREEZING" meanwhile; writing
         * again retries the tasks that were not frozen yet. */
        for (int ms = 0;; ms++) {
                char state[32];
                ssize_t n;

                if (pwrite(fd, want, strlen(want), 0) < 0)
                        return error_set(-errno, "write %s to %s: %m", want, file);
                n = pread(fd, state, sizeof state - 1, 0);
                if (n < 0)
                        return error_set(-errno, "read %s: %m", file);
                state[n] = '\0';
                state[strcspn(state, "\n")] = '\0';
                if (streq(state, want))
                        return 0;
                if (ms >= FREEZE_TIMEOUT_MS) {
                        if (freeze)
                                (void) pwrite(fd, "THAWED", 6, 0);
                        return error_set(-ETIMEDOUT, "%s: still %s after %d s, not %s", file, state,
                                         FREEZE_TIMEOUT_MS / 1000, want);
                }
                usleep(1000);
        }
}

typedef struct Join {
        const char *proc_cgroup;        /* /proc/TARGET/cgroup */
        bool found;
} Join;

static int join_one(const char *mountpoint, const char *controllers, Join *j) {
        _cleanup_free_ char *dir = NULL, *procs = NULL;
        _cleanup_close_ int fd = -1;
        char buf[4096], pid[32];
        const char *path = path_in(j->proc_cgroup, controllers, buf, sizeof buf);
        int n;

        if (!path)
                return 0;
        dir = path_join(mountpoint, path);
        procs = dir ? path_join(dir, "cgroup.procs") : NULL;
        if (!procs)
                return -ENOMEM;
        n = snprintf(pid, sizeof pid, "%d", getpid());
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pid, n) != n)
                return error_set(-errno, "join cgroup %s: %m", procs);
        j->found = true;
        return 0;
}

static int join_hierarchy(const CgroupHierarchy *h, void *userdata) {
        /* A hierarchy whose mount a later /sys/fs/cgroup hides (as a
         * legacy layout stacked over a hybrid one hides "unified") is
         * still in mountinfo, but not ours to join. */
        if (access(h->mountpoint, F_OK) < 0)
                return 0;
        return join_one(h->mountpoint, h->v2 ? "" : h->controllers, userdata);
}

int cgroup_join_cgroups_of(pid_t target) {
        _cleanup_free_ char *text = NULL;
        char proc[64];
        Join j = {};
        int r;

        snprintf(proc, sizeof proc, "/proc/%d/cgroup", target);
        r = read_full_file(proc, 1 << 20, &text, NULL);
        if (r < 0)
                return error_set(r, "read %s: %m", proc);
        j.proc_cgroup = text;
        r = cgroup_is_unified() ? join_one("/sys/fs/cgroup", "", &j) : cgroup_hierarchies_foreach(join_hierarchy, &j);
        if (r < 0)
                return r;
        if (!j.found)
                return error_set(-ENOENT, "process %d is in no cgroup runsd can join", target);
        return 0;
}
