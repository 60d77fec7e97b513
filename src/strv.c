/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "strv.h"

void strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
}

size_t strv_length(char **l) {
        size_t n = 0;

        STRV_FOREACH(s, l)
                n++;
        return n;
}
