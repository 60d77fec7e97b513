/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "cgroup.h"
#include "error.h"
#include "log.h"
#include "mount.h"
#include "path.h"
#include "strv.h"

/* Every mount target is resolved inside the rootfs with RESOLVE_IN_ROOT, so
 * a symlink in the image (say /etc -> /host/etc, or ../../..) can never make
 * a mount land outside it; the kernel then mounts on the resolved inode
 * through /proc/self/fd/N. */

static int openat2_in_root(int rootfd, const char *path, int flags) {
        struct open_how how = {
                .flags = flags | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };

        while (*path == '/')
                path++;
        return (int) syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
}

/* Open (O_PATH) dest inside the rootfs, creating it and its parents as
 * directories, or as an empty file for the last component if !dir. */
static int open_target(int rootfd, const char *dest, bool dir) {
        _cleanup_free_ char *prefix = strdup(dest);
        size_t n_components = 0;

        if (!prefix)
                return -ENOMEM;
        for (const char *c = dest; *c; c++)
                if (*c == '/' && c[1] && c[1] != '/')
                        n_components++;

        for (size_t attempt = 0; attempt <= n_components + 1; attempt++) {
                _cleanup_close_ int parent = -1;
                char *slash, *name;
                int fd;

                fd = openat2_in_root(rootfd, dest, O_PATH);
                if (fd >= 0) {
                        struct stat st;

                        if (fstat(fd, &st) < 0) {
                                close(fd);
                                return -errno;
                        }
                        if (dir && !S_ISDIR(st.st_mode)) {
                                close(fd);
                                return error_set(-ENOTDIR, "mount target %s is not a directory", dest);
                        }
                        return fd;
                }
                if (errno != ENOENT)
                        return error_set(-errno, "open mount target %s in the rootfs: %m", dest);

                /* Find the deepest part of dest that exists and create the next one. */
                strcpy(prefix, dest);
                for (;;) {
                        slash = strrchr(prefix, '/');
                        name = slash + 1;
                        *slash = '\0';
                        parent = openat2_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
                        if (parent >= 0)
                                break;
                        if (errno != ENOENT || prefix[0] == '\0')
                                return error_set(-errno, "open %s in the rootfs: %m", prefix[0] ? prefix : "/");
                }
                /* parent is O_PATH: reopen it to create in it. */
                {
                        char p[64];
                        _cleanup_close_ int pdir = -1;

                        snprintf(p, sizeof p, "/proc/self/fd/%d", parent);
                        pdir = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (pdir < 0)
                                return error_set(-errno, "open %s in the rootfs: %m", prefix);
                        if (dir || strlen(prefix) + 1 + strlen(name) < strlen(dest)) {
                                if (mkdirat(pdir, name, 0755) < 0 && errno != EEXIST)
                                        return error_set(-errno, "create mount target %s in the rootfs: %m", dest);
                        } else {
                                fd = openat(pdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (fd < 0 && errno != EEXIST)
                                        return error_set(-errno, "create mount target %s in the rootfs: %m", dest);
                                if (fd >= 0)
                                        close(fd);
                        }
                }
        }
        /* Only a dangling symlink on the way keeps a component missing. */
        return error_set(-ELOOP, "mount target %s: a path component is a dangling symlink", dest);
}

static int mount_on_fd(const char *source, int fd, const char *type, unsigned long flags, const char *data,
                       const char *dest) {
        char target[64];

        snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
        if (mount(source, target, type, flags, data) < 0)
                return error_set(-errno, "mount %s on %s: %m", source ?: type ?: "(remount)", dest);
        return 0;
}

/* Change the per-mount flags of what is now mounted at dest. */
static int remount_bind(int rootfd, const char *dest, unsigned long flags) {
        /* The new mount is on top of the inode the first fd held: open it anew. */
        _cleanup_close_ int fd = open_target(rootfd, dest, false);

        if (fd < 0)
                return fd;
        return mount_on_fd(NULL, fd, NULL, MS_BIND | MS_REMOUNT | flags, NULL, dest);
}

/* Flags that a bind mount takes only through a second, remounting call. */
#define BIND_REMOUNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | \
                            MS_RELATIME | MS_STRICTATIME)

static int mount_bind(int rootfd, const SpecMount *m) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (stat(m->source, &st) < 0)
                return error_set(-errno, "bind mount source %s: %m", m->source);
        fd = open_target(rootfd, m->destination, S_ISDIR(st.st_mode));
        if (fd < 0)
                return fd;
        r = mount_on_fd(m->source, fd, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL, m->destination);
        if (r < 0)
                return r;
        if (m->flags & BIND_REMOUNT_FLAGS)
                return remount_bind(rootfd, m->destination, m->flags & BIND_REMOUNT_FLAGS);
        return 0;
}

/* One hierarchy of the host under the container's cgroup mount: with a
 * cgroup namespace a fresh mount shows the namespace's root, which is the
 * container's own cgroup; without one, bind the container's own cgroup. */
static int mount_cgroup_hierarchy(int rootfd, const SpecMount *m, const char *name, const char *type,
                                  const char *controllers, const char *host_mnt, bool cgroupns) {
        _cleanup_free_ char *dest = NULL, *own = NULL, *src = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        dest = name ? path_join(m->destination, name) : strdup(m->destination);
        if (!dest)
                return -ENOMEM;
        fd = open_target(rootfd, dest, true);
        if (fd < 0)
                return fd;
        if (cgroupns)
                r = mount_on_fd(type, fd, type, m->flags & ~MS_RDONLY,
                                streq(type, "cgroup") ? controllers : NULL, dest);
        else {
                r = cgroup_path_of(0, streq(type, "cgroup2") ? "" : controllers, &own);
                if (r < 0)
                        return error_set(r, "find the cgroup of the container in %s: %m", host_mnt);
                src = path_join(host_mnt, own);
                if (!src)
                        return -ENOMEM;
                r = mount_on_fd(src, fd, NULL, MS_BIND, NULL, dest);
        }
        if (r < 0 || !m->readonly)
                return r;
        return remount_bind(rootfd, dest, (m->flags & BIND_REMOUNT_FLAGS) | MS_RDONLY);
}

typedef struct CgroupMount {
        int rootfd;
        const SpecMount *m;
        bool cgroupns;
} CgroupMount;

static int mount_hierarchy_of_host(const CgroupHierarchy *h, void *userdata) {
        const CgroupMount *c = userdata;

        return mount_cgroup_hierarchy(c->rootfd, c->m, h->name, h->v2 ? "cgroup2" : "cgroup",
                                      h->controllers, h->mountpoint, c->cgroupns);
}

static int mount_cgroup_v1(int rootfd, const SpecMount *m, bool cgroupns) {
        _cleanup_close_ int fd = -1;
        int r;

        /* A tmpfs to hold one directory per hierarchy, as on the host. */
        fd = open_target(rootfd, m->destination, true);
        if (fd < 0)
                return fd;
        r = mount_on_fd("tmpfs", fd, "tmpfs", (m->flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "mode=755", m->destination);
        if (r < 0)
                return r;
        r = cgroup_hierarchies_foreach(mount_hierarchy_of_host,
                                       &(CgroupMount) { .rootfd = rootfd, .m = m, .cgroupns = cgroupns });
        if (r < 0)
                return r;
        /* The hierarchies are read-only each; now the tmpfs that holds them. */
        if (m->readonly)
                return remount_bind(rootfd, m->destination, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
        return 0;
}

static int mount_cgroup(int rootfd, const SpecMount *m, bool cgroupns) {
        if (streq(m->type, "cgroup2") || cgroup_is_unified())
                return mount_cgroup_hierarchy(rootfd, m, NULL, "cgroup2", NULL, "/sys/fs/cgroup", cgroupns);
        return mount_cgroup_v1(rootfd, m, cgroupns);
}

static int mount_one(int rootfd, const SpecMount *m, bool cgroupns) {
        _cleanup_close_ int fd = -1;
        int r;

        if (m->bind)
                r = mount_bind(rootfd, m);
        else if (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))
                r = mount_cgroup(rootfd, m, cgroupns);
        else {
                fd = open_target(rootfd, m->destination, true);
                if (fd < 0)
                        return fd;
                r = mount_on_fd(m->source, fd, m->type, m->flags, m->data, m->destination);
        }
        if (r < 0 || !m->propagation)
                return r;
        fd = open_target(rootfd, m->destination, false);
        if (fd < 0)
                return fd;
        return mount_on_fd(NULL, fd, NULL, m->propagation, NULL, m->destination);
}

/* The nodes every container gets in a /dev of its own (as runc and crun). */
static const struct {
        const char *name;
        unsigned major, minor;
} default_devices[] = {
        { "null",    1, 3 },
        { "zero",    1, 5 },
        { "full",    1, 7 },
        { "random",  1, 8 },
        { "urandom", 1, 9 },
        { "tty",     5, 0 },
};

static const struct {
        const char *name, *target;
} default_dev_links[] = {
        { "fd",     "/proc/self/fd" },
        { "stdin",  "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" },
        { "ptmx",   "pts/ptmx" },
};

static int setup_dev(int rootfd) {
        _cleanup_close_ int dev = openat2_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY);

        if (dev < 0)
                return error_set(-errno, "open /dev in the rootfs: %m");
        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
                if (mknodat(dev, default_devices[i].name, S_IFCHR | 0666,
                            makedev(default_devices[i].major, default_devices[i].minor)) < 0 && errno != EEXIST)
                        return error_set(-errno, "create /dev/%s: %m", default_devices[i].name);
                /* mknod obeys the umask; the nodes are for everyone. */
                if (fchmodat(dev, default_devices[i].name, 0666, 0) < 0)
                        return error_set(-errno, "chmod /dev/%s: %m", default_devices[i].name);
        }
        for (size_t i = 0; i < ELEMENTSOF(default_dev_links); i++)
                if (symlinkat(default_dev_links[i].target, dev, default_dev_links[i].name) < 0 && errno != EEXIST)
                        return error_set(-errno, "create /dev/%s: %m", default_dev_links[i].name);
        return 0;
}

static int mask_path(int rootfd, const char *path) {
        _cleanup_close_ int fd = openat2_in_root(rootfd, path, O_PATH);
        struct stat st;

        if (fd < 0)
                return errno == ENOENT ? 0 : error_set(-errno, "mask %s: %m", path);
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return mount_on_fd("tmpfs", fd, "tmpfs", MS_RDONLY, "size=0", path);
        return mount_on_fd("/dev/null", fd, NULL, MS_BIND, NULL, path);
}

static int readonly_path(int rootfd, const char *path) {
        _cleanup_close_ int fd = openat2_in_root(rootfd, path, O_PATH);
        char self[64];
        int r;

        if (fd < 0)
                return errno == ENOENT ? 0 : error_set(-errno, "make %s read-only: %m", path);
        /* Bound onto itself, so it can take flags of its own. */
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        r = mount_on_fd(self, fd, NULL, MS_BIND | MS_REC, NULL, path);
        if (r < 0)
                return r;
        return remount_bind(rootfd, path, MS_RDONLY);
}

static bool dev_is_own(const Spec *s) {
        for (size_t i = 0; i < s->n_mounts; i++)
                if (streq(s->mounts[i].destination, "/dev"))
                        return !s->mounts[i].bind;
        return false;
}

static int pivot_root_to(const char *root) {
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || fchdir(fd) < 0)
                return error_set(-errno, "enter rootfs %s: %m", root);
        /* pivot_root(".", ".") stacks the old root on top of the new one;
         * detaching it leaves only the new.  Made a slave first, so the
         * unmount does not travel back to the host. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return error_set(-errno, "pivot_root to %s: %m", root);
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return error_set(-errno, "make the old root a slave: %m");
        if (umount2(".", MNT_DETACH) < 0)
                return error_set(-errno, "detach the old root: %m");
        if (chdir("/") < 0)
                return -errno;
        return 0;
}

int rootfs_setup(const Spec *s, EnterCgroupFn enter_cgroup, void *userdata) {
        _cleanup_close_ int rootfd = -1;
        unsigned long propagation = s->rootfs_propagation ?: MS_SLAVE | MS_REC;
        int r;

        /* Nothing mounted from here on may reach the host. */
        if (mount(NULL, "/", NULL, propagation & MS_SHARED ? MS_SLAVE | MS_REC : propagation, NULL) < 0)
                return error_set(-errno, "set the propagation of /: %m");
        /* pivot_root needs the rootfs to be a mount point. */
        if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return error_set(-errno, "bind mount rootfs %s: %m", s->root_path);
        rootfd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return error_set(-errno, "open rootfs %s: %m", s->root_path);

        for (size_t i = 0; i < s->n_mounts; i++) {
                const SpecMount *m = &s->mounts[i];

                if (m->type && (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))) {
                        r = enter_cgroup(userdata);
                        if (r < 0)
                                return r;
                }
                r = mount_one(rootfd, m, s->namespaces[NS_CGROUP].enabled);
                if (r < 0)
                        return error_prefix(r, "%s: mounts[%zu]", s->path, i);
        }
        if (dev_is_own(s)) {
                r = setup_dev(rootfd);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(p, s->masked_paths)
                if ((r = mask_path(rootfd, *p)) < 0)
                        return r;
        STRV_FOREACH(p, s->readonly_paths)
                if ((r = readonly_path(rootfd, *p)) < 0)
                        return r;

        r = pivot_root_to(s->root_path);
        if (r < 0)
                return r;
        if (propagation & MS_SHARED && mount(NULL, "/", NULL, propagation, NULL) < 0)
                return error_set(-errno, "make / shared: %m");
        if (s->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                return error_set(-errno, "make the rootfs read-only: %m");
        return 0;
}
