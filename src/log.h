/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "macro.h"

typedef enum LogLevel {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
} LogLevel;

/* Where runsd's own messages go:
 *  - stderr: errors and warnings (everything with --debug), as a caller
 *    (a terminal, containerd's shim, conmon) reads them; not when stderr is
 *    a journal stream already ($JOURNAL_STREAM: runsd in a service), where
 *    the journal's copy would be a second one;
 *  - with --log FILE: every message to FILE, as text lines or as one JSON
 *    object per line ({"level","msg","time"}), which containerd's shim and
 *    podman read back;
 *  - without --log: every message to journald, if its socket is there,
 *    with SYSLOG_IDENTIFIER=runsd, PRIORITY from the level and, once
 *    log_set_container() said, CONTAINER_ID and CONTAINER_UNIT.
 * (Debug messages exist only with --debug.) */
int log_open(const char *path, bool json, bool debug);
void log_close(void);
bool log_debug_enabled(void);
/* The container the command is about (NULL: none, or unit not known yet). */
void log_set_container(const char *id, const char *unit);
/* In the container's init, whose setup closes every fd runsd had: its
 * messages go to stderr only, never to an fd number reused since. */
void log_forget_inherited(void);

void log_msg(LogLevel level, const char *fmt, ...) _printf_(2, 3);
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_debug_enabled()) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)
