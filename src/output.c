/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <syslog.h>

#include "error.h"
#include "fds.h"
#include "fileio.h"
#include "macro.h"
#include "output.h"

int output_fill_stdio(void) {
        /* open() takes the lowest free number, which is fd: those below
         * it are open by now. */
        for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
                if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) < 0)
                        return -errno;
        return 0;
}

static bool is_dev_null(int fd) {
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

bool output_wants_journal(void) {
        return is_dev_null(STDIN_FILENO) && is_dev_null(STDOUT_FILENO) && is_dev_null(STDERR_FILENO) &&
               access(JOURNAL_SOCKET, W_OK) == 0;
}

/* A line of the container's, in journald's native protocol: one datagram
 * of FIELD=value lines, the line's own (it has no newline in it) and then
 * the fields the relay sends with every line of that stream.  Not
 * sd_journal_send(): libsystemd keeps the socket it made for runsd's own log
 * in a static, which the relay closed with runsd's other fds. */
static void send_line(int sock, const char *fields, const char *line, size_t len) {
        static const struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
        struct iovec iov[3] = {
                { .iov_base = (char *) "MESSAGE=", .iov_len = 8 },
                { .iov_base = (char *) line, .iov_len = len },
                { .iov_base = (char *) fields, .iov_len = strlen(fields) },
        };
        struct msghdr mh = { .msg_name = (void *) &sa, .msg_namelen = sizeof sa, .msg_iov = iov, .msg_iovlen = 3 };

        (void) RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL));
}

#define RELAY_LINE_MAX 65536

_noreturn_ static void journal_relay(const char *id, const char *unit, int in[2]) {
        static char buf[2][RELAY_LINE_MAX];
        size_t len[2] = {};
        int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        char *fields[2];

        /* stdout's lines at PRIORITY 6, stderr's at 3, as Docker's journald
         * driver does.  journald files a line under its sender's unit only
         * if the sender is still there when it reads the line: the relay of
         * a container that printed and exited at once has gone by then.  A
         * root sender's OBJECT_SYSTEMD_UNIT= is what `journalctl -u` also
         * matches, whenever journald gets to the line. */
        for (int i = 0; i < 2; i++)
                if (asprintf(&fields[i], "\nPRIORITY=%d\nSYSLOG_IDENTIFIER=%s\nCONTAINER_ID=%s\nOBJECT_SYSTEMD_UNIT=%s\n",
                             i == 0 ? LOG_INFO : LOG_ERR, id, id, unit) < 0)
                        _exit(1);

        /* Until the container's last writer has gone: a stop's SIGTERM to
         * the unit must not cut its last lines off; delete's SIGKILL ends
         * us with it. */
        for (const int *sig = (const int[]) { SIGTERM, SIGINT, SIGHUP, SIGQUIT, 0 }; *sig; sig++)
                signal(*sig, SIG_IGN);
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        (void) setsid();
        while (in[0] >= 0 || in[1] >= 0) {
                struct pollfd p[2] = { { .fd = in[0], .events = POLLIN }, { .fd = in[1], .events = POLLIN } };

                if (RETRY_EINTR(poll(p, 2, -1)) < 0)
                        break;
                for (int i = 0; i < 2; i++) {
                        ssize_t n;
                        char *nl;

                        if (in[i] < 0 || !p[i].revents)
                                continue;
                        n = RETRY_EINTR(read(in[i], buf[i] + len[i], RELAY_LINE_MAX - len[i]));
                        if (n <= 0) {
                                if (len[i] > 0)
                                        send_line(sock, fields[i], buf[i], len[i]);
                                closep(&in[i]);
                                continue;
                        }
                        len[i] += (size_t) n;
                        while ((nl = memchr(buf[i], '\n', len[i]))) {
                                size_t l = (size_t) (nl - buf[i]);

                                send_line(sock, fields[i], buf[i], l);
                                memmove(buf[i], nl + 1, len[i] - l - 1);
                                len[i] -= l + 1;
                        }
                        /* a line longer than that goes in pieces, as journald's own streams do */
                        if (len[i] == RELAY_LINE_MAX) {
                                send_line(sock, fields[i], buf[i], len[i]);
                                len[i] = 0;
                        }
                }
        }
        _exit(0);
}

/* A pipe each for the container's stdout and stderr: their read ends in
 * in[], write ends in out[]; none left open on failure. */
static int output_pipes(int in[2], int out[2]) {
        in[0] = in[1] = out[0] = out[1] = -1;
        for (int i = 0; i < 2; i++) {
                int p[2];

                if (pipe2(p, O_CLOEXEC) < 0) {
                        close_pair(in);
                        close_pair(out);
                        return error_set(-errno, "pipe for the container's output: %m");
                }
                in[i] = p[0];
                out[i] = p[1];
        }
        return 0;
}

int output_journal_relay(const char *id, const char *unit, int ret_write[2], pid_t *ret_pid) {
        int in[2], out[2], r;
        pid_t pid;

        r = output_pipes(in, out);
        if (r < 0)
                return r;
        pid = fork();
        if (pid < 0) {
                close_pair(in);
                close_pair(out);
                return error_set(-errno, "fork the container's journal relay: %m");
        }
        if (pid == 0) {
                /* Nothing of runsd's: not its state directory's lock, nor
                 * its bus connection or log file; stdio is /dev/null (we
                 * are here for that). */
                if (fds_close_others(0, in, 2) < 0)
                        _exit(1);
                journal_relay(id, unit, in);
        }
        close_pair(in);
        ret_write[0] = out[0];
        ret_write[1] = out[1];
        *ret_pid = pid;
        return 0;
}

bool output_is_journal_stream(int fd) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        return e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(fd, &st) == 0 &&
               st.st_dev == dev && st.st_ino == ino;
}

bool output_wants_relay(void) {
        return output_is_journal_stream(STDOUT_FILENO) || output_is_journal_stream(STDERR_FILENO);
}

int output_relay_begin(OutputRelay *r, int ret_write[2]) {
        int k = output_pipes(r->fd, ret_write);

        if (k < 0)
                return k;
        /* the end drains what is there, and must not wait for more */
        for (int i = 0; i < 2; i++)
                if (fcntl(r->fd[i], F_SETFL, O_NONBLOCK) < 0)
                        return error_set(-errno, "pipe for the container's output: %m");
        return 0;
}

size_t output_relay_pollfds(const OutputRelay *r, struct pollfd *p) {
        size_t n = 0;

        for (int i = 0; i < 2; i++)
                if (r->fd[i] >= 0)
                        p[n++] = (struct pollfd) { .fd = r->fd[i], .events = POLLIN };
        return n;
}

/* Copy what there is of stream i to our fd 1 + i, closing it at its end:
 * whether there was anything. */
static bool copy(OutputRelay *r, int i) {
        char buf[65536];
        ssize_t n = read(r->fd[i], buf, sizeof buf);

        if (n < 0 && errno == EAGAIN)
                return false;
        if (n <= 0) {
                closep(&r->fd[i]);
                return false;
        }
        /* nobody reads ours any more: the container's is dropped */
        (void) write_all(STDOUT_FILENO + i, buf, (size_t) n);
        return true;
}

void output_relay_io(OutputRelay *r, const struct pollfd *p, size_t n) {
        for (size_t k = 0; k < n; k++)
                for (int i = 0; i < 2; i++)
                        if (p[k].revents && p[k].fd == r->fd[i])
                                (void) copy(r, i);
}

void output_relay_end(OutputRelay *r) {
        for (int i = 0; i < 2; i++) {
                /* what is there now, not what processes the container's
                 * init left behind may write later */
                while (r->fd[i] >= 0 && copy(r, i))
                        ;
                closep(&r->fd[i]);
        }
}
