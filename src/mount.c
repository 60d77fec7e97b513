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
#include "copy.h"
#include "error.h"
#include "log.h"
#include "mount.h"
#include "path.h"
#include "strv.h"
#include "userns.h"

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
                            MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW)

/* The user namespace whose mappings an idmapped mount takes: its own
 * mappings', else the container's (one joined by path, or the mappings
 * runsd gives the one it makes). */
static int idmap_userns(const Spec *s, const SpecMount *m, const char *field) {
        int fd;

        if (m->n_uid_mappings)
                return userns_open_mapped(m->uid_mappings, m->n_uid_mappings, m->gid_mappings, m->n_gid_mappings,
                                          field);
        if (!s->namespaces[NS_USER].path)
                return userns_open_mapped(s->ns.uid_mappings, s->ns.n_uid_mappings, s->ns.gid_mappings,
                                          s->ns.n_gid_mappings, "linux");
        fd = open(s->namespaces[NS_USER].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return error_set(-errno, "open the user namespace %s: %m", s->namespaces[NS_USER].path);
        return fd;
}

static int open_idmapped(const Spec *s, const SpecMount *m, const char *field) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
        _cleanup_close_ int tree = -1, userns = -1;

        userns = idmap_userns(s, m, field);
        if (userns < 0)
                return userns;
        tree = (int) syscall(SYS_open_tree, AT_FDCWD, m->source,
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0));
        if (tree < 0)
                return error_set(-errno, "bind mount source %s: %m", m->source);
        attr.userns_fd = (uint64_t) userns;
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0),
                    &attr, sizeof attr) < 0)
                return error_set(-errno, errno == EINVAL || errno == ENOSYS ?
                                 "%s: the kernel or the file system of %s cannot idmap a mount: %m" :
                                 "%s: idmap the mount of %s: %m", m->idmap_recursive ? "ridmap" : "idmap", m->source);
        return TAKE_FD(tree);
}

void mount_fds_free(int *fds, size_t n) {
        if (!fds)
                return;
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        free(fds);
}

int mount_open_idmapped(const Spec *s, int **ret) {
        int *fds = NULL;

        for (size_t i = 0; i < s->n_mounts; i++) {
                char field[32];

                if (!s->mounts[i].idmap)
                        continue;
                if (!fds) {
                        fds = malloc(s->n_mounts * sizeof *fds);
                        if (!fds)
                                return -ENOMEM;
                        for (size_t j = 0; j < s->n_mounts; j++)
                                fds[j] = -1;
                }
                snprintf(field, sizeof field, "mounts[%zu]", i);
                fds[i] = open_idmapped(s, &s->mounts[i], field);
                if (fds[i] < 0) {
                        int r = fds[i];

                        mount_fds_free(fds, s->n_mounts);
                        return error_prefix(r, "%s: %s", s->path, field);
                }
        }
        *ret = fds;
        return 0;
}

/* A bind mount, or with tree >= 0 the idmapped one runsd made, moved into
 * place. */
static int mount_bind(int rootfd, const SpecMount *m, int tree) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if ((tree >= 0 ? fstat(tree, &st) : stat(m->source, &st)) < 0)
                return error_set(-errno, "bind mount source %s: %m", m->source);
        fd = open_target(rootfd, m->destination, S_ISDIR(st.st_mode));
        if (fd < 0)
                return fd;
        if (tree < 0)
                r = mount_on_fd(m->source, fd, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL, m->destination);
        else if (syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                r = error_set(-errno, "move the idmapped mount of %s to %s: %m", m->source, m->destination);
        else
                r = 0;
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

/* A user namespace may mount sysfs only with a network namespace it owns;
 * else the host's /sys is bound in (read-only if asked), as runc does. */
static int mount_sysfs_bind(int rootfd, const SpecMount *m) {
        SpecMount b = *m;

        b.source = (char *) "/sys";
        b.recursive = true;
        return mount_bind(rootfd, &b, -1);
}

/* A new file system (tmpfs, proc, ...), or with remount new flags for the
 * one at the destination.  With tmpcopyup, what the image has there is
 * copied into the new tmpfs, made read-only only afterwards. */
static int mount_new(int fd, const SpecMount *m, unsigned long flags) {
        int r = mount_on_fd(m->source, fd, m->type, flags, m->data, m->destination);

        /* The options the file system did not take are the likely cause. */
        return r == -EINVAL && m->data ? error_prefix(r, "options \"%s\"", m->data) : r;
}

/* The kernel's EINVAL for a remount of what is not a mount's root says
 * nothing of why. */
static int check_mount_point(int fd, const char *dest) {
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0)
                return error_set(-errno, "%s: %m", dest);
        if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT && !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return error_set(-EINVAL, "nothing is mounted at %s", dest);
        return 0;
}

static int mount_fs(int rootfd, const SpecMount *m) {
        _cleanup_close_ int fd = -1, under = -1, top = -1;
        int r;

        fd = open_target(rootfd, m->destination, true);
        if (fd < 0)
                return fd;
        if (m->flags & MS_REMOUNT && (r = check_mount_point(fd, m->destination)) < 0)
                return error_prefix(r, "remount");
        if (!m->copyup)
                return mount_new(fd, m, m->flags);
        under = openat2_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY);
        if (under < 0)
                return error_set(-errno, "open %s in the rootfs: %m", m->destination);
        r = mount_new(fd, m, m->flags & ~MS_RDONLY);
        if (r < 0)
                return r;
        top = openat2_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY);
        if (top < 0)
                return error_set(-errno, "open the new %s: %m", m->destination);
        r = copy_tree(under, top, m->destination);
        if (r < 0)
                return error_prefix(r, "tmpcopyup");
        if (!m->readonly)
                return 0;
        closep(&fd);
        fd = open_target(rootfd, m->destination, true);
        if (fd < 0)
                return fd;
        return mount_new(fd, m, MS_REMOUNT | m->flags);
}

/* What is set on the mount once it is there: runc's recursive attributes
 * (rro, rnosuid, ...) on every mount of its tree, then its propagation. */
static int mount_finish(int rootfd, const SpecMount *m) {
        _cleanup_close_ int fd = -1;

        if (!m->attr_set && !m->attr_clr && !m->propagation)
                return 0;
        fd = open_target(rootfd, m->destination, false);
        if (fd < 0)
                return fd;
        if (m->attr_set || m->attr_clr) {
                struct mount_attr attr = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };

                if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
                        return error_set(-errno, "set the recursive options of %s: %m", m->destination);
        }
        if (!m->propagation)
                return 0;
        return mount_on_fd(NULL, fd, NULL, m->propagation, NULL, m->destination);
}

static int mount_one(int rootfd, const SpecMount *m, int tree, bool cgroupns, bool sysfs_bind) {
        int r;

        if (m->bind)
                r = mount_bind(rootfd, m, tree);
        else if (sysfs_bind && streq(m->type, "sysfs"))
                r = mount_sysfs_bind(rootfd, m);
        else if (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))
                r = mount_cgroup(rootfd, m, cgroupns);
        else
                r = mount_fs(rootfd, m);
        if (r < 0)
                return r;
        return mount_finish(rootfd, m);
}

/* The nodes every container gets in a /dev of its own (as runc and crun);
 * an entry of linux.devices with the same path replaces one. */
static const SpecDevice default_devices[] = {
        { .path = (char *) "/dev/null",    .type = 'c', .major = 1, .minor = 3, .mode = 0666 },
        { .path = (char *) "/dev/zero",    .type = 'c', .major = 1, .minor = 5, .mode = 0666 },
        { .path = (char *) "/dev/full",    .type = 'c', .major = 1, .minor = 7, .mode = 0666 },
        { .path = (char *) "/dev/random",  .type = 'c', .major = 1, .minor = 8, .mode = 0666 },
        { .path = (char *) "/dev/urandom", .type = 'c', .major = 1, .minor = 9, .mode = 0666 },
        { .path = (char *) "/dev/tty",     .type = 'c', .major = 5, .minor = 0, .mode = 0666 },
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

/* Create node d in the rootfs, its directory resolved (and made) inside the
 * rootfs as a mount target is.  With bind (in a user namespace), or where
 * the kernel refuses mknod, the host's node of the same path is bound onto
 * an empty file instead, as runc and crun do; a fifo needs no privilege. */
static int create_device(int rootfd, const SpecDevice *d, bool bind) {
        _cleanup_free_ char *dir_path = strdup(d->path);
        _cleanup_close_ int dir = -1, fd = -1;
        struct stat st;
        char *name;

        if (!dir_path)
                return -ENOMEM;
        name = strrchr(dir_path, '/');
        *name++ = '\0';
        dir = open_target(rootfd, dir_path, true);
        if (dir < 0)
                return dir;
        if (!bind || d->type == 'p') {
                if (mknodat(dir, name, spec_device_ifmt(d) | d->mode, makedev(d->major, d->minor)) == 0) {
                        /* mknod obeys the umask */
                        if (fchmodat(dir, name, d->mode, 0) < 0 ||
                            fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
                                return error_set(-errno, "set the mode and owner of %s: %m", d->path);
                        return 0;
                }
                /* A node that is there already stays, as in runc: one of
                 * linux.devices made before a default of the same path. */
                if (errno == EEXIST)
                        return 0;
                if (errno != EPERM)
                        return error_set(-errno, "create %s: %m", d->path);
        }
        /* (The devices cgroup refuses mknod too, if the rules deny "m".
         * stat, as access() of a node they deny is refused as well.) */
        if (stat(d->path, &st) < 0 && errno == ENOENT)
                return error_set(-EPERM, "create %s: mknod is not permitted here, and the host has no %s to "
                                 "bind-mount instead", d->path, d->path);
        fd = open_target(rootfd, d->path, false);
        if (fd < 0)
                return fd;
        return mount_on_fd(d->path, fd, NULL, MS_BIND, NULL, d->path);
}

static const SpecMount *dev_mount(const Spec *s) {
        for (size_t i = 0; i < s->n_mounts; i++)
                if (streq(s->mounts[i].destination, "/dev"))
                        return &s->mounts[i];
        return NULL;
}

static int setup_devices(int rootfd, const Spec *s) {
        const SpecMount *m = dev_mount(s);
        /* mknod is refused in a user namespace */
        bool bind = s->namespaces[NS_USER].enabled;
        _cleanup_close_ int dev = -1;
        int r;

        /* The host's /dev bound in has the host's nodes; runsd makes none
         * there (as runc). */
        if (m && m->bind) {
                if (s->n_devices > 0)
                        log_warning("%s: linux.devices: not created: /dev is a bind mount of %s", s->path, m->source);
                return 0;
        }
        for (size_t i = 0; i < s->n_devices; i++)
                if ((r = create_device(rootfd, &s->devices[i], bind)) < 0)
                        return error_prefix(r, "%s: linux.devices[%zu]", s->path, i);
        /* The rootfs's own /dev, without a file system of the container's
         * on it, is the image's business. */
        if (!m)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++)
                if ((r = create_device(rootfd, &default_devices[i], bind)) < 0)
                        return r;
        dev = openat2_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY);
        if (dev < 0)
                return error_set(-errno, "open /dev in the rootfs: %m");
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

static int pivot_root_to(const char *root) {
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || fchdir(fd) < 0)
                return error_set(-errno, "enter rootfs %s: %m", root);
        /* pivot_root(".", ".") stacks the old root on top of the new one;
         * detaching it leaves only the new.  Every mount of the old root is
         * a slave or private since rootfs_setup() began, so the unmount
         * does not travel back to the host.  (A mount(MS_SLAVE|MS_REC) of
         * "." here would reach the new root's tree too, and undo the
         * mounts' own rshared.) */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return error_set(-errno, "pivot_root to %s: %m", root);
        if (umount2(".", MNT_DETACH) < 0)
                return error_set(-errno, "detach the old root: %m");
        if (chdir("/") < 0)
                return -errno;
        return 0;
}

int rootfs_setup(const Spec *s, int *mount_fds, EnterCgroupFn enter_cgroup, BeforePivotFn before_pivot,
                 void *userdata) {
        _cleanup_close_ int rootfd = -1;
        /* 0: none asked, the mounts keep their own (rslave, as in runc) */
        unsigned long propagation = s->rootfs_propagation;
        bool sysfs_bind = s->namespaces[NS_USER].enabled &&
                          !(s->namespaces[NS_NETWORK].enabled && !s->namespaces[NS_NETWORK].path);
        int r;

        /* Nothing mounted from here on may reach the host: every mount a
         * slave (private with rprivate), which also makes the rootfs's
         * parent mount unshared, as pivot_root(2) requires.  The
         * propagation linux.rootfsPropagation asks for is the new root's,
         * after pivot_root. */
        if (mount(NULL, "/", NULL, propagation == (MS_PRIVATE | MS_REC) ? propagation : MS_SLAVE | MS_REC, NULL) < 0)
                return error_set(-errno, "set the propagation of /: %m");
        /* pivot_root needs the rootfs to be a mount point. */
        if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return error_set(-errno, "bind mount rootfs %s: %m%s", s->root_path,
                                 errno == EACCES && s->namespaces[NS_USER].enabled ?
                                 " (the container's root, in its user namespace, must be able to reach it)" : "");
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
                r = mount_one(rootfd, m, mount_fds ? mount_fds[i] : -1, s->namespaces[NS_CGROUP].enabled, sysfs_bind);
                if (mount_fds)
                        closep(&mount_fds[i]);
                if (r < 0)
                        return error_prefix(r, "%s: mounts[%zu]", s->path, i);
        }
        r = setup_devices(rootfd, s);
        if (r < 0)
                return r;
        STRV_FOREACH(p, s->masked_paths)
                if ((r = mask_path(rootfd, *p)) < 0)
                        return r;
        STRV_FOREACH(p, s->readonly_paths)
                if ((r = readonly_path(rootfd, *p)) < 0)
                        return r;

        r = enter_cgroup(userdata);
        if (r < 0)
                return r;
        r = before_pivot(userdata);
        if (r < 0)
                return r;
        r = pivot_root_to(s->root_path);
        if (r < 0)
                return r;
        if (propagation && mount(NULL, "/", NULL, propagation, NULL) < 0)
                return error_set(-errno, "linux.rootfsPropagation: set the propagation of /: %m");
        if (s->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                return error_set(-errno, "make the rootfs read-only: %m");
        return 0;
}
