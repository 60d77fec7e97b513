/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;

        for (;;) {
                ssize_t n;

                if (len + 1 >= size) {
                        size_t want = size ? size * 2 : 4096;
                        char *b;

                        if (size > max + 1)
                                return -EFBIG;
                        b = realloc(buf, want);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        size = want;
                }
                n = RETRY_EINTR(read(fd, buf + len, size - len - 1));
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        /* O_NONBLOCK: a FIFO put where a file should be must not hang us. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
        return read_full_fd(fd, max, ret, ret_len);
}

int write_all(int fd, const void *data, size_t len) {
        for (size_t done = 0; done < len;) {
                ssize_t n = RETRY_EINTR(write(fd, (const char *) data + done, len - done));

                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        return 0;
}

int memfd_with(const char *name, const void *data, size_t len, bool seal) {
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | (seal ? MFD_ALLOW_SEALING : 0));
        int r;

        if (fd < 0)
                return -errno;
        r = write_all(fd, data, len);
        if (r < 0)
                return r;
        if ((seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) ||
            lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode) {
        char tmp[256];
        _cleanup_close_ int fd = -1;
        int r;

        r = snprintf(tmp, sizeof tmp, ".#%s.%d", name, getpid());
        if (r < 0 || (size_t) r >= sizeof tmp)
                return -ENAMETOOLONG;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        if (write_all(fd, data, len) < 0 || fsync(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0)
                goto fail;
        return 0;
fail:
        r = -errno;
        unlinkat(dirfd, tmp, 0);
        return r;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = NULL;

        if (!path[0])
                return -ENOENT;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *c = p + 1; *c; c++) {
                if (*c != '/')
                        continue;
                *c = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *c = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
