/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <time.h>

/* RFC 3339 in UTC with nanoseconds, as runc writes "created";
 * ts NULL means now. */
void timestamp_rfc3339(char *buf, size_t size, const struct timespec *ts);
