/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/socket.h>

#include "fdpass.h"
#include "macro.h"
#include "sync.h"

int sync_socketpair(int fds[2]) {
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
                return -errno;
        return 0;
}

int sync_send(int fd, SyncMessage type, const char *text) {
        char buf[4096];
        size_t n = text ? strnlen(text, sizeof buf - 1) : 0;

        buf[0] = (char) type;
        if (n)
                memcpy(buf + 1, text, n);
        if (RETRY_EINTR(send(fd, buf, n + 1, MSG_NOSIGNAL)) < 0)
                return -errno;
        return 0;
}

int sync_send_fd(int fd, SyncMessage type, int payload_fd) {
        char t = (char) type;

        return fdpass_send(fd, &t, 1, &payload_fd, 1);
}

/* ret_fd NULL: an fd that comes along anyway is closed. */
static int recv_message(int fd, char *buf, size_t size, bool wait, int *ret_fd) {
        char msg[4096];
        int received = -1, resets = 0;
        size_t n_fds;
        ssize_t n;

        /* A peer that closed with our messages unread (an init that failed
         * before reading SYNC_CGROUP_READY) makes the kernel report
         * ECONNRESET, once, before the messages it sent us: its
         * SYNC_ERROR, which says why, comes next. */
        do
                n = fdpass_recv(fd, msg, sizeof msg, wait ? 0 : MSG_DONTWAIT, &received, ret_fd ? 1 : 0, &n_fds);
        while (n == -ECONNRESET && resets++ == 0);
        if (ret_fd)
                *ret_fd = n_fds > 0 ? received : -1;
        if (n == -ECONNRESET || n == 0)
                return 0;
        if (n < 0)
                return (int) n;
        if (size > 0) {
                size_t l = (size_t) n - 1 < size - 1 ? (size_t) n - 1 : size - 1;

                memcpy(buf, msg + 1, l);
                buf[l] = '\0';
        }
        return (unsigned char) msg[0];
}

int sync_recv(int fd, char *buf, size_t size, bool wait) {
        return recv_message(fd, buf, size, wait, NULL);
}

int sync_recv_fd(int fd, char *buf, size_t size, int *ret_fd) {
        return recv_message(fd, buf, size, true, ret_fd);
}
