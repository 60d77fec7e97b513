/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The messages runsd and the container's init exchange while it is set up,
 * one SOCK_SEQPACKET datagram each: a type byte, then text. */
typedef enum SyncMessage {
        SYNC_CGROUP_READY = 1,  /* runsd -> init: you are in the unit's cgroup; text: your pid to runsd */
        SYNC_INIT_READY,        /* init -> runsd: set up, about to block on the exec FIFO */
        SYNC_ERROR,             /* init -> runsd: setup failed, text says why */
        SYNC_CREATE_RUNTIME,    /* init -> runsd: mounted, before pivot_root: run prestart, createRuntime hooks */
        SYNC_HOOKS_DONE,        /* runsd -> init: they have run */
        SYNC_USERNS_READY,      /* runsd -> init: your new user namespace has its id maps */
        SYNC_SECCOMP_FD,        /* init -> runsd: the seccomp notify fd comes with it */
        SYNC_EXEC_PID,          /* exec's helper -> runsd: the process's pid, as text */
} SyncMessage;

int sync_socketpair(int fds[2]);
int sync_send(int fd, SyncMessage type, const char *text);
/* 0 on EOF (the peer has gone), else the type; the text lands in buf.
 * With !wait, -EAGAIN when nothing is there. */
int sync_recv(int fd, char *buf, size_t size, bool wait);
/* A message with an fd (SCM_RIGHTS), and its receiving end: *ret_fd gets
 * the fd that came with the message, or -1. */
int sync_send_fd(int fd, SyncMessage type, int payload_fd);
int sync_recv_fd(int fd, char *buf, size_t size, int *ret_fd);
