/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "macro.h"

int fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (n_fds > FDPASS_MAX)
                return -E2BIG;
        if (n_fds > 0) {
                mh.msg_control = control.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                control.h.cmsg_level = SOL_SOCKET;
                control.h.cmsg_type = SCM_RIGHTS;
                control.h.cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(&control.h), fds, sizeof(int) * n_fds);
        }
        if (RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0)
                return -errno;
        return 0;
}

ssize_t fdpass_recv(int sock, void *data, size_t size, int flags, int *fds, size_t max_fds, size_t *ret_n_fds) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
        } control;
        struct iovec iov = { .iov_base = data, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control.buf, .msg_controllen = sizeof control.buf };
        size_t n_fds = 0;
        ssize_t n;

        *ret_n_fds = 0;
        n = RETRY_EINTR(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags));
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                size_t k;

                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (n_fds < max_fds)
                                fds[n_fds++] = fd;
                        else
                                close(fd);
                }
        }
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
                return -EBADMSG;
        }
        *ret_n_fds = n_fds;
        return n;
}
