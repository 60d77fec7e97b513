/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timestamp.h"

static int log_fd = -1;
static bool log_json;
static bool log_debug_on;

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

int log_open(const char *path, bool json, bool debug) {
        log_json = json;
        log_debug_on = debug;
        if (!path)
                return 0;
        /* O_APPEND: the shim keeps one log.json per bundle across calls. */
        log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0)
                return -errno;
        return 0;
}

void log_close(void) {
        closep(&log_fd);
        log_fd = -1;
}

bool log_debug_enabled(void) {
        return log_debug_on;
}

static void write_file_line(LogLevel level, const char *msg) {
        _cleanup_free_ char *line = NULL;
        char now[64];

        timestamp_rfc3339(now, sizeof now, NULL);
        if (log_json) {
                _cleanup_(json_decrefp) json_t *o = json_pack("{s:s, s:s, s:s}",
                                                              "level", level_names[level],
                                                              "msg", msg,
                                                              "time", now);
                if (!o)
                        return;
                line = json_dumps(o, JSON_COMPACT);
                if (!line)
                        return;
                dprintf(log_fd, "%s\n", line);
        } else {
                _cleanup_(json_decrefp) json_t *s = json_string(msg);
                _cleanup_free_ char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
                dprintf(log_fd, "time=\"%s\" level=%s msg=%s\n", now, level_names[level], quoted ?: "\"\"");
        }
}

/* Messages carry values from configs and command lines: a newline in one
 * must not start a line of its own (which a reader would take for another
 * message), so control characters are written as escapes. */
static void escape_controls(const char *in, char *out, size_t size) {
        size_t n = 0;

        for (const unsigned char *c = (const unsigned char *) in; *c && n + 5 < size; c++)
                if (*c == '\n')
                        n += snprintf(out + n, size - n, "\\n");
                else if (*c < 0x20 || *c == 0x7f)
                        n += snprintf(out + n, size - n, "\\x%02x", *c);
                else
                        out[n++] = (char) *c;
        out[n] = '\0';
}

void log_msg(LogLevel level, const char *fmt, ...) {
        int saved = errno;
        char raw[4096], msg[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        escape_controls(raw, msg, sizeof msg);

        if (log_fd >= 0)
                write_file_line(level, msg);
        if (level <= LOG_LEVEL_WARNING || log_debug_on)
                fprintf(stderr, "runsd: %s%s%s\n",
                        level == LOG_LEVEL_ERROR ? "" : level_names[level],
                        level == LOG_LEVEL_ERROR ? "" : ": ", msg);
        errno = saved;
}
