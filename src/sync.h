/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The messages runsd and the container's init exchange while it is set up,
 * one SOCK_SEQPACKET datagram each: a type byte, then text. */
typedef enum SyncMessage {
        SYNC_CGROUP_READY = 1,  /* runsd -> init: you are in the unit's cgroup */
        SYNC_INIT_READY,        /* init -> runsd: set up, about to block on the exec FIFO */
        SYNC_ERROR,             /* init -> runsd: setup failed, text says why */
} SyncMessage;

int sync_socketpair(int fds[2]);
int sync_send(int fd, SyncMessage type, const char *text);
/* 0 on EOF (the peer has gone), else the type; the text lands in buf.
 * With !wait, -EAGAIN when nothing is there. */
int sync_recv(int fd, char *buf, size_t size, bool wait);
