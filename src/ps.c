/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "error.h"
#include "fileio.h"
#include "ps.h"

extern char **environ;

/* Run ps with args; its standard output in *ret, its errors on ours. */
static int run_ps(char *const *args, char **ret) {
        _cleanup_free_ char **argv = NULL;
        posix_spawn_file_actions_t actions;
        _cleanup_close_ int out = -1;
        size_t n = 0;
        int fds[2], status, r;
        pid_t pid;

        while (args && args[n])
                n++;
        argv = calloc(n + 3, sizeof *argv);
        if (!argv)
                return -ENOMEM;
        argv[0] = (char *) "ps";
        if (n == 0)
                argv[1] = (char *) "-ef";
        else
                memcpy(argv + 1, args, n * sizeof *argv);

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        out = fds[0];
        r = posix_spawn_file_actions_init(&actions);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        if (r == 0)
                r = posix_spawnp(&pid, "ps", &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        closep(&fds[1]);
        if (r != 0)
                return error_set(-r, "run ps: %m");

        r = read_full_fd(out, 64 << 20, ret, NULL);
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return error_set(-errno, "wait for ps: %m");
        if (r < 0)
                return error_set(r, "read the output of ps: %m");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                free(TAKE_PTR(*ret));
                return error_set(-EIO, "ps failed (%s %d)", WIFEXITED(status) ? "exit status" : "signal",
                                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
        return 0;
}

/* Field i (0-based, separated by blanks) of line as a number; -1 if none. */
static long field_number(const char *line, size_t len, int i) {
        const char *c = line, *end = line + len;
        char *num_end;
        long v;

        for (;;) {
                while (c < end && (*c == ' ' || *c == '\t'))
                        c++;
                if (c >= end)
                        return -1;
                if (i-- == 0)
                        break;
                while (c < end && *c != ' ' && *c != '\t')
                        c++;
        }
        v = strtol(c, &num_end, 10);
        if (num_end == c || (num_end < end && *num_end != ' ' && *num_end != '\t'))
                return -1;
        return v;
}

/* Which field of the header is "PID"; -1 if none is. */
static int pid_column(const char *header, size_t len) {
        const char *c = header, *end = header + len;

        for (int i = 0;; i++) {
                size_t n;

                while (c < end && (*c == ' ' || *c == '\t'))
                        c++;
                if (c >= end)
                        return -1;
                n = strcspn(c, " \t\n");
                if (n == 3 && strncmp(c, "PID", 3) == 0)
                        return i;
                c += n;
        }
}

static bool has_pid(const pid_t *pids, size_t n, long pid) {
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

int ps_table(char *const *args, const pid_t *pids, size_t n_pids, char **ret) {
        _cleanup_free_ char *text = NULL;
        char *o, *line, *next;
        int column, r;

        r = run_ps(args, &text);
        if (r < 0)
                return r;
        line = text;
        next = strchr(line, '\n');
        column = pid_column(line, next ? (size_t) (next - line) : strlen(line));
        if (column < 0)
                return error_set(-EINVAL, "ps: its output has no PID column (its arguments must keep it)");

        /* Filtered in place: the result is never longer than the input. */
        o = text + (next ? (size_t) (next - text) + 1 : strlen(text));
        for (line = o; next && *line; line = next) {
                size_t len;
                long pid;

                next = strchr(line, '\n');
                len = next ? (size_t) (next - line) : strlen(line);
                next = next ? next + 1 : line + len;
                if (len == 0)
                        continue;
                pid = field_number(line, len, column);
                if (pid < 0)
                        return error_set(-EINVAL, "ps: no PID in column %d of \"%.*s\"", column + 1, (int) len, line);
                if (!has_pid(pids, n_pids, pid))
                        continue;
                memmove(o, line, len);
                o += len;
                *o++ = '\n';
        }
        *o = '\0';
        *ret = TAKE_PTR(text);
        return 0;
}
