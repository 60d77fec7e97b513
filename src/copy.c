/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "copy.h"
#include "error.h"
#include "path.h"

static int copy_contents(int from, int to) {
        for (;;) {
                ssize_t n = sendfile(to, from, NULL, 1 << 30);

                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
        }
}

/* The owner, mode and times of the new entry name in to, as st says. */
static int copy_attributes(int to, const char *name, const struct stat *st) {
        struct timespec times[2] = { st->st_atim, st->st_mtim };

        if (fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        /* chown clears the set-id bits: the mode comes after.  A symlink
         * has none of its own. */
        if (!S_ISLNK(st->st_mode) && fchmodat(to, name, st->st_mode & 07777, 0) < 0)
                return -errno;
        if (utimensat(to, name, times, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int copy_entry(int from, int to, const char *name, const char *rel);

static int copy_dir(int from, int to, const char *rel) {
        _cleanup_closedir_ DIR *d = NULL;
        int fd = dup(from);
        struct dirent *de;

        if (fd < 0)
                return error_set(-errno, "copy %s: %m", rel);
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return error_set(-errno, "copy %s: %m", rel);
        }
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                sub = path_join(rel, de->d_name);
                if (!sub)
                        return -ENOMEM;
                r = copy_entry(from, to, de->d_name, sub);
                if (r < 0)
                        return r;
        }
        return errno ? error_set(-errno, "read %s: %m", rel) : 0;
}

static int copy_entry(int from, int to, const char *name, const char *rel) {
        struct stat st;
        int r = 0;

        if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return error_set(-errno, "copy %s: %m", rel);
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int sub_from = -1, sub_to = -1;

                if (mkdirat(to, name, 0700) < 0)
                        return error_set(-errno, "copy %s: %m", rel);
                sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub_from < 0 || sub_to < 0)
                        return error_set(-errno, "copy %s: %m", rel);
                r = copy_dir(sub_from, sub_to, rel);
        } else if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int src = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), dst = -1;

                if (src < 0)
                        return error_set(-errno, "copy %s: %m", rel);
                dst = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (dst < 0 || (r = copy_contents(src, dst)) < 0)
                        return error_set(dst < 0 ? -errno : r, "copy %s: %m", rel);
        } else if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(from, name, target, sizeof target - 1);

                if (n < 0)
                        return error_set(-errno, "copy %s: %m", rel);
                target[n] = '\0';
                if (symlinkat(target, to, name) < 0)
                        return error_set(-errno, "copy %s: %m", rel);
        } else if (mknodat(to, name, st.st_mode, st.st_rdev) < 0)
                return error_set(-errno, "copy %s: %m", rel);
        if (r < 0)
                return r;
        r = copy_attributes(to, name, &st);
        return r < 0 ? error_set(r, "copy the owner, mode and times of %s: %m", rel) : 0;
}

int copy_tree(int from, int to, const char *path) {
        return copy_dir(from, to, path);
}
