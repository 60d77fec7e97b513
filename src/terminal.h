/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <termios.h>

#include "spec.h"

/* A container process with process.terminal: a new pty from the
 * container's /dev/ptmx, whose slave is its stdio and controlling terminal,
 * and whose master goes, as with runc, over the unix socket of
 * --console-socket (SCM_RIGHTS; containerd's shim and conmon read it), or,
 * for a process runsd waits for in the foreground without one, to runsd,
 * which relays it to its own stdio. */

/* Where the master goes, by runc's rules: *ret_send is the fd the process
 * sends it on (-1: no terminal); *ret_local, when runsd itself is to get
 * it, the end it receives on (else -1).  Errors name the option. */
int console_open(bool terminal, const char *console_socket, bool foreground, int *ret_send, int *ret_local);
/* Receive the master on the local end; -EPIPE (with a message) if the
 * process died before it sent one. */
int console_recv_master(int fd, int *ret_master);

/* In the container (its mount namespace and root): open the pty, make the
 * slave stdio and the controlling terminal of a new session, apply
 * consoleSize, and send the master on console_fd. */
int terminal_setup(int console_fd, const SpecProcess *p);

/* Copies between runsd's stdin/stdout and a master, with runsd's terminal
 * (if stdin is one) in raw mode meanwhile and its size passed on. */
typedef struct TerminalRelay {
        int master;
        bool in_open, master_open, raw;
        struct termios saved;
} TerminalRelay;

#define TERMINAL_RELAY_NULL ((TerminalRelay) { .master = -1 })

/* Takes master over. */
int terminal_relay_begin(TerminalRelay *t, int master);
/* The fds to poll (at most 2); returns how many were filled in. */
size_t terminal_relay_pollfds(const TerminalRelay *t, struct pollfd *p);
/* After poll(): copy what is ready. */
void terminal_relay_io(TerminalRelay *t, const struct pollfd *p, size_t n);
/* Give the master the size of runsd's terminal (on SIGWINCH). */
void terminal_relay_resize(const TerminalRelay *t);
/* Copy what the process wrote last, restore runsd's terminal, close. */
void terminal_relay_end(TerminalRelay *t);
