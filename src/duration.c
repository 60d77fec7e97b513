/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "duration.h"
#include "macro.h"

static const struct {
        const char *name;
        uint64_t nsec;
} units[] = {
        /* longer names first: "ms" before "m" */
        { "ns", 1 },
        { "us", 1000 },
        { "\xc2\xb5s", 1000 },          /* U+00B5 micro sign */
        { "\xce\xbcs", 1000 },          /* U+03BC Greek mu */
        { "ms", 1000000 },
        { "s", 1000000000 },
        { "m", 60ULL * 1000000000 },
        { "h", 3600ULL * 1000000000 },
};

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

int duration_parse(const char *s, int64_t *ret_nsec) {
        bool negative = false;
        uint64_t total = 0;

        if (*s == '-' || *s == '+')
                negative = *s++ == '-';
        if (streq(s, "0")) {
                *ret_nsec = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                uint64_t whole = 0, frac = 0, scale = 1, unit = 0, part;
                bool digits = false;
                size_t len = 0;

                for (; is_digit(*s); s++, digits = true) {
                        if (whole > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        whole = whole * 10 + (uint64_t) (*s - '0');
                }
                if (*s == '.')
                        /* digits beyond ns precision do not count */
                        for (s++; is_digit(*s); s++, digits = true)
                                if (scale < 1000000000000000000ULL) {
                                        frac = frac * 10 + (uint64_t) (*s - '0');
                                        scale *= 10;
                                }
                if (!digits)
                        return -EINVAL;
                for (size_t i = 0; i < ELEMENTSOF(units) && !unit; i++) {
                        len = strlen(units[i].name);
                        if (strncmp(s, units[i].name, len) == 0)
                                unit = units[i].nsec;
                }
                if (!unit)
                        return -EINVAL;
                s += len;
                if (whole > INT64_MAX / unit)
                        return -ERANGE;
                part = whole * unit + (uint64_t) ((long double) frac * unit / scale);
                if (part > (uint64_t) INT64_MAX - total)
                        return -ERANGE;
                total += part;
        }
        *ret_nsec = negative ? -(int64_t) total : (int64_t) total;
        return 0;
}
