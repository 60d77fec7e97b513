/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read a whole regular file, NUL-terminated; more than max bytes is -EFBIG,
 * anything but a regular file -EISDIR or -EBADFD. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* All of data to fd, however many writes that takes. */
int write_all(int fd, const void *data, size_t len);
/* A memfd named name holding data, to be read from its start; with seal,
 * sealed against any change (a reader gets exactly what was checked). */
int memfd_with(const char *name, const void *data, size_t len, bool seal);
/* Write dirfd/name atomically: a temporary file beside it, fsync, rename. */
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode);
/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);
