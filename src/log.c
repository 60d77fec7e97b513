/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
/* CODE_FILE= and CODE_LINE= would name log.c, which says nothing. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"
#include "output.h"
#include "timestamp.h"

static int log_fd = -1;
static bool log_json;
static bool log_debug_on;
/* Without --log, messages go to journald (if it listens) besides stderr. */
static bool log_journal;
/* stderr is a journal stream already (a service's, see $JOURNAL_STREAM in
 * systemd.exec(5)): the native message says it all, a copy on stderr would
 * log it twice. */
static bool stderr_is_journal;
/* The container the command is about, as journal fields (an ID has at most
 * 200 characters, a unit name fewer than 256); "" when there is none. */
static char id_field[sizeof "CONTAINER_ID=" + 256], unit_field[sizeof "CONTAINER_UNIT=" + 256];

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

static const int level_priorities[] = {
        [LOG_LEVEL_ERROR] = LOG_ERR,
        [LOG_LEVEL_WARNING] = LOG_WARNING,
        [LOG_LEVEL_INFO] = LOG_INFO,
        [LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

int log_open(const char *path, bool json, bool debug) {
        log_json = json;
        log_debug_on = debug;
        if (!path) {
                /* No journald (a container, a machine without systemd): not
                 * even a socket is made. */
                log_journal = access(JOURNAL_SOCKET, W_OK) == 0;
                stderr_is_journal = log_journal && output_is_journal_stream(STDERR_FILENO);
                return 0;
        }
        /* O_APPEND: the shim keeps one log.json per bundle across calls. */
        log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0)
                return -errno;
        return 0;
}

void log_close(void) {
        closep(&log_fd);
}

void log_forget_inherited(void) {
        log_fd = -1;
        log_journal = stderr_is_journal = false;
}

static void set_field(char *field, size_t size, const char *name, const char *value) {
        if (value)
                snprintf(field, size, "%s=%s", name, value);
        else
                field[0] = '\0';
}

void log_set_container(const char *id, const char *unit) {
        set_field(id_field, sizeof id_field, "CONTAINER_ID", id);
        set_field(unit_field, sizeof unit_field, "CONTAINER_UNIT", unit);
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

static void send_journal(LogLevel level, const char *msg) {
        char message[4096 + sizeof "MESSAGE="], priority[sizeof "PRIORITY=7"];
        const char *fields[5];
        struct iovec iov[5];
        size_t n = 0;

        snprintf(message, sizeof message, "MESSAGE=%s", msg);
        snprintf(priority, sizeof priority, "PRIORITY=%d", level_priorities[level]);
        fields[n++] = message;
        fields[n++] = priority;
        fields[n++] = "SYSLOG_IDENTIFIER=runsd";
        if (id_field[0])
                fields[n++] = id_field;
        if (unit_field[0])
                fields[n++] = unit_field;
        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec) { (void *) fields[i], strlen(fields[i]) };
        /* A journald that is gone or busy costs a message, never the command. */
        (void) sd_journal_sendv(iov, (int) n);
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
        if (log_journal)
                send_journal(level, msg);
        if ((level <= LOG_LEVEL_WARNING || log_debug_on) && !stderr_is_journal)
                fprintf(stderr, "runsd: %s%s%s\n",
                        level == LOG_LEVEL_ERROR ? "" : level_names[level],
                        level == LOG_LEVEL_ERROR ? "" : ": ", msg);
        errno = saved;
}
