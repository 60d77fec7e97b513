/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

bool path_is_normalized(const char *p) {
        const char *c = p;

        while (*c) {
                size_t n;

                c += strspn(c, "/");
                n = strcspn(c, "/");
                if (n == 2 && c[0] == '.' && c[1] == '.')
                        return false;
                c += n;
        }
        return true;
}

char *path_join(const char *a, const char *b) {
        size_t la = strlen(a);
        char *r;

        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&r, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return r;
}

char *path_normalize(const char *p) {
        char *r = malloc(strlen(p) + 2), *o = r;

        if (!r)
                return NULL;
        while (*p) {
                size_t n;

                p += strspn(p, "/");
                n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        p += n;
                        continue;
                }
                *o++ = '/';
                memcpy(o, p, n);
                o += n;
                p += n;
        }
        if (o == r)
                *o++ = '/';
        *o = '\0';
        return r;
}
