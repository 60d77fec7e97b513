/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* "TERM", "SIGTERM", "term" or "15" -> SIGTERM; -EINVAL if none. */
int signal_from_string(const char *s);
