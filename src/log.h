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

/* Where runsd's own messages go: always stderr (errors and warnings, debug
 * with --debug), and with --log also FILE, as text lines or as one JSON
 * object per line ({"level","msg","time"}), which containerd's shim and
 * podman read back. */
int log_open(const char *path, bool json, bool debug);
void log_close(void);
bool log_debug_enabled(void);

void log_msg(LogLevel level, const char *fmt, ...) _printf_(2, 3);
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_debug_enabled()) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)
