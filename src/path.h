/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

static inline bool path_is_absolute(const char *p) {
        return p && p[0] == '/';
}
/* No ".." components ("." and empty ones are fine: path_normalize() drops them). */
bool path_is_normalized(const char *p);
/* a/b, with exactly one slash between them; NULL on ENOMEM. */
char *path_join(const char *a, const char *b);
/* "//a/./b/" -> "/a/b"; ".." is kept. */
char *path_normalize(const char *p);
