/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* File descriptors passed over a unix socket (SCM_RIGHTS), one message
 * each: runsd and its init, service mode's helper, the console socket, the
 * seccomp agent. */

/* the kernel's SCM_MAX_FD */
#define FDPASS_MAX 253

/* One message of len bytes with n_fds (at most FDPASS_MAX) fds. */
int fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t n_fds);
/* One message into data (at most size bytes; its length returned, 0 at
 * EOF), and the fds that came with it, close-on-exec, in fds[] (at most
 * max_fds; more are closed), *ret_n_fds of them.  flags: recvmsg()'s
 * (MSG_DONTWAIT).  A message or fds cut short are -EBADMSG, with none of
 * the fds left open. */
ssize_t fdpass_recv(int sock, void *data, size_t size, int flags, int *fds, size_t max_fds, size_t *ret_n_fds);
