/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "timestamp.h"

void timestamp_rfc3339(char *buf, size_t size, const struct timespec *ts) {
        struct timespec now;
        struct tm tm;
        char date[32];

        if (!ts) {
                clock_gettime(CLOCK_REALTIME, &now);
                ts = &now;
        }
        gmtime_r(&ts->tv_sec, &tm);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%09ldZ", date, ts->tv_nsec);
}
