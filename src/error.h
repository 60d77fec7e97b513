/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "macro.h"

/* An error travels up as a negative errno return value, with one message
 * beside it.  The deepest function that knows what went wrong sets the
 * message, callers may prefix context, and only main() prints it, so each
 * failure is reported exactly once.  In the message "%m" is strerror(-r). */

int error_set(int r, const char *fmt, ...) _printf_(2, 3);
int error_prefix(int r, const char *fmt, ...) _printf_(2, 3);
/* The message for r: the one set, or strerror(-r) when none was. */
const char *error_message(int r);
void error_clear(void);
