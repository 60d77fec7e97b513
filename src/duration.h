/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* A duration as runc's options take it (Go's time.ParseDuration): a signed
 * sequence of decimal numbers, each with an optional fraction and a unit
 * ns, us (or µs, μs), ms, s, m, h: "5s", "1.5h", "2h45m", "300ms"; a bare
 * "0" too.  -EINVAL if it is not one, -ERANGE if it does not fit. */
int duration_parse(const char *s, int64_t *ret_nsec);
