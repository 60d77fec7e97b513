/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <string.h>

#include "error.h"

static char message[4096];

_printf_(4, 0) static void vformat(char *buf, size_t size, int r, const char *fmt, va_list ap) {
        int saved = errno;

        errno = r < 0 ? -r : r;
        vsnprintf(buf, size, fmt, ap);
        errno = saved;
}

int error_set(int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vformat(message, sizeof message, r, fmt, ap);
        va_end(ap);
        return r;
}

int error_prefix(int r, const char *fmt, ...) {
        char prefix[1024], old[sizeof message];
        va_list ap;

        va_start(ap, fmt);
        vformat(prefix, sizeof prefix, r, fmt, ap);
        va_end(ap);

        if (message[0] == '\0')
                snprintf(message, sizeof message, "%s: %s", prefix, strerror(r < 0 ? -r : EIO));
        else {
                memcpy(old, message, sizeof old);
                snprintf(message, sizeof message, "%s: %s", prefix, old);
        }
        return r;
}

const char *error_message(int r) {
        if (message[0] == '\0')
                return strerror(r < 0 ? -r : EIO);
        return message;
}

void error_clear(void) {
        message[0] = '\0';
}
