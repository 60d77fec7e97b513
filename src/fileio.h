/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Read a whole regular file, NUL-terminated; more than max bytes is -EFBIG,
 * anything but a regular file -EISDIR or -EBADFD. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* Write dirfd/name atomically: a temporary file beside it, fsync, rename. */
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode);
/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);
