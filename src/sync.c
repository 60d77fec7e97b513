/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/socket.h>

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

int sync_recv(int fd, char *buf, size_t size, bool wait) {
        char msg[4096];
        ssize_t n;

        n = RETRY_EINTR(recv(fd, msg, sizeof msg, wait ? 0 : MSG_DONTWAIT));
        if (n < 0)
                return errno == ECONNRESET ? 0 : -errno;
        if (n == 0)
                return 0;
        if (size > 0) {
                size_t l = (size_t) n - 1 < size - 1 ? (size_t) n - 1 : size - 1;

                memcpy(buf, msg + 1, l);
                buf[l] = '\0';
        }
        return (unsigned char) msg[0];
}
