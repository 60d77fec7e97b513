/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "error.h"
#include "fdpass.h"
#include "fileio.h"
#include "macro.h"
#include "terminal.h"

/* What runc sends as the message's data: the name of the master. */
#define MASTER_NAME "/dev/ptmx"

int console_open(bool terminal, const char *console_socket, bool foreground, int *ret_send, int *ret_local) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        int pair[2];

        *ret_send = *ret_local = -1;
        if (!terminal) {
                if (console_socket)
                        return error_set(-EINVAL, "--console-socket %s: process.terminal is false, so there is "
                                         "no terminal to send", console_socket);
                return 0;
        }
        if (!console_socket) {
                if (!foreground)
                        return error_set(-EINVAL, "process.terminal needs --console-socket: runsd does not stay "
                                         "to hold the terminal of a process it does not wait for");
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                        return error_set(-errno, "socketpair: %m");
                *ret_local = pair[0];
                *ret_send = pair[1];
                return 0;
        }
        if (strlen(console_socket) >= sizeof sa.sun_path)
                return error_set(-ENAMETOOLONG, "--console-socket %s: path too long for a unix socket", console_socket);
        strcpy(sa.sun_path, console_socket);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return error_set(-errno, "--console-socket: socket: %m");
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return error_set(-errno, "--console-socket %s: connect: %m", console_socket);
        *ret_send = TAKE_FD(fd);
        return 0;
}

static int send_master(int fd, int master) {
        int r = fdpass_send(fd, MASTER_NAME, strlen(MASTER_NAME), &master, 1);

        return r < 0 ? error_set(r, "process.terminal: send the terminal to --console-socket: %m") : 0;
}

int console_recv_master(int fd, int *ret_master) {
        char name[256];
        size_t n_fds;
        ssize_t n;

        n = fdpass_recv(fd, name, sizeof name, 0, ret_master, 1, &n_fds);
        if (n < 0)
                return error_set((int) n, "receive the container's terminal: %m");
        if (n_fds != 1)
                return error_set(-EPIPE, "the container's process sent no terminal");
        return 0;
}

int terminal_setup(int console_fd, const SpecProcess *p) {
        _cleanup_close_ int master = -1, slave = -1;
        struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };

        /* The container's own devpts (/dev/ptmx -> pts/ptmx), as runc:
         * its /dev/pts shows the slave, and the host's ptys stay out. */
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return error_set(-errno, "process.terminal: open /dev/ptmx in the container: %m");
        if (unlockpt(master) < 0)
                return error_set(-errno, "process.terminal: unlockpt: %m");
        /* The slave of this very master, not a path that could be swapped. */
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return error_set(-errno, "process.terminal: open the pty's slave: %m");
        if ((ws.ws_row || ws.ws_col) && ioctl(master, TIOCSWINSZ, &ws) < 0)
                return error_set(-errno, "process.consoleSize: %m");
        /* The process's user must be able to use its terminal, as with runc. */
        if (fchown(slave, p->uid, p->gid) < 0)
                return error_set(-errno, "process.terminal: chown the pty to %u:%u: %m", p->uid, p->gid);
        if (setsid() < 0)
                return error_set(-errno, "process.terminal: setsid: %m");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return error_set(-errno, "process.terminal: make the pty the controlling terminal: %m");
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return error_set(-errno, "process.terminal: dup2: %m");
        return send_master(console_fd, master);
}

int terminal_relay_begin(TerminalRelay *t, int master) {
        *t = (TerminalRelay) { .master = master, .in_open = true, .master_open = true };
        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
                struct termios raw = t->saved;

                /* Every key goes to the container's terminal, which
                 * echoes and interprets it. */
                cfmakeraw(&raw);
                if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
                        return error_set(-errno, "put the terminal in raw mode: %m");
                t->raw = true;
        }
        terminal_relay_resize(t);
        return 0;
}

size_t terminal_relay_pollfds(const TerminalRelay *t, struct pollfd *p) {
        size_t n = 0;

        if (t->in_open)
                p[n++] = (struct pollfd) { .fd = STDIN_FILENO, .events = POLLIN };
        if (t->master_open)
                p[n++] = (struct pollfd) { .fd = t->master, .events = POLLIN };
        return n;
}

/* One read from `from` written to `to`: 1 if it copied, -EAGAIN if there
 * was nothing yet, 0 once `from` has nothing more (its end, or EIO: the
 * master once no process holds the slave). */
static int copy_once(int from, int to) {
        char buf[4096];
        ssize_t n = RETRY_EINTR(read(from, buf, sizeof buf));

        if (n < 0 && errno == EAGAIN)
                return -EAGAIN;
        if (n <= 0)
                return 0;
        /* A reader that went away loses the output, not the wait. */
        (void) write_all(to, buf, (size_t) n);
        return 1;
}

void terminal_relay_io(TerminalRelay *t, const struct pollfd *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (!p[i].revents)
                        continue;
                if (p[i].fd == STDIN_FILENO)
                        t->in_open = copy_once(STDIN_FILENO, t->master) != 0;
                else
                        t->master_open = copy_once(t->master, STDOUT_FILENO) != 0;
        }
}

void terminal_relay_resize(const TerminalRelay *t) {
        struct winsize ws;

        if (t->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                (void) ioctl(t->master, TIOCSWINSZ, &ws);
}

void terminal_relay_end(TerminalRelay *t) {
        if (t->master >= 0) {
                int flags = fcntl(t->master, F_GETFL);

                if (flags >= 0 && fcntl(t->master, F_SETFL, flags | O_NONBLOCK) >= 0)
                        while (t->master_open && copy_once(t->master, STDOUT_FILENO) > 0)
                                ;
        }
        if (t->raw)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
        closep(&t->master);
        *t = TERMINAL_RELAY_NULL;
}
