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

int cgroup_hierarchies_foreach(CgroupHierarchyFn fn, void *userdata) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], seen[64][64];
        size_t n_seen = 0;

        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                char mnt[1024], fstype[64], source[256], opts[1024], controllers[256], *sep;
                bool dup = false;
                int r;

                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPEROPTS" */
                sep = strstr(line, " - ");
                if (!sep || sscanf(sep + 3, "%63s %255s %1023s", fstype, source, opts) != 3 ||
                    sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
                        continue;
                if (strncmp(mnt, CGROUP_ROOT, strlen(CGROUP_ROOT)) != 0 || strchr(mnt + strlen(CGROUP_ROOT), '/') ||
                    (!streq(fstype, "cgroup") && !streq(fstype, "cgroup2")))
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

typedef struct Find {
        const char *controller;
        char *mountpoint;
} Find;

static int find_one(const CgroupHierarchy *h, void *userdata) {
        Find *f = userdata;
        size_t n = strlen(f->controller);

        for (const char *c = h->controllers; c && *c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL)
                if (strncmp(c, f->controller, n) == 0 && (c[n] == ',' || c[n] == '\0')) {
                        f->mountpoint = strdup(h->mountpoint);
                        return f->mountpoint ? 1 : -ENOMEM;
                }
        return 0;
}

int cgroup_attribute_path(const char *cgroup, const char *controller, const char *file, char **ret) {
        _cleanup_free_ char *dir = NULL;
        Find f = { .controller = controller };
        int r;

        if (cgroup_is_unified())
                f.mountpoint = strdup(CGROUP_ROOT);
        else {
                r = cgroup_hierarchies_foreach(find_one, &f);
                if (r < 0)
                        return r;
                if (!f.mountpoint)
                        return -ENOENT;
        }
        if (!f.mountpoint)
                return -ENOMEM;
        dir = path_join(f.mountpoint, cgroup);
        free(f.mountpoint);
        if (!dir)
                return -ENOMEM;
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
