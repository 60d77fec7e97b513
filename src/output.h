/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Where a container's stdout and stderr go: where runsd's own go (the
 * caller's pipes, terminal or files, inherited as they are), or, when the
 * caller gave it none, to journald under the container's unit. */

/* journald's native socket: runsd's own log and the relay send there. */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* First thing in main: make closed fds 0, 1 and 2 /dev/null, so no file
 * runsd opens later lands there and is handed to a container as its stdio. */
int output_fill_stdio(void);

/* Whether the container's output should go to journald: runsd's stdin,
 * stdout and stderr are all /dev/null (or were closed) and journald's
 * socket is there.  Asked by runsd before it clones the init. */
bool output_wants_journal(void);

/* Then a process of runsd's, in the container's unit (a scope's PIDs),
 * reads the container's stdout and stderr through pipes and sends each line
 * to journald natively, with SYSLOG_IDENTIFIER= and CONTAINER_ID= the
 * container's ID: a stream cannot carry fields, and systemd 252 takes no
 * LogExtraFields= for a scope.  `journalctl -u UNIT` shows them too: they
 * carry OBJECT_SYSTEMD_UNIT=UNIT, and their sender, the relay, is in it.  It ignores SIGTERM (a stop must not cut the last lines off) and
 * exits once the container's last writer has gone.  ret_write: the
 * container's stdout and stderr. */
int output_journal_relay(const char *id, const char *unit, int ret_write[2], pid_t *ret_pid);

/* Whether fd is the journal stream systemd gave us ($JOURNAL_STREAM). */
bool output_is_journal_stream(int fd);

/* In the foreground under a service (runsd@NAME), runsd's stdout or stderr
 * is a journal stream.  journald files each line under the unit of the
 * process that wrote it, so if the container inherited them its output
 * would be its scope's, not the service's: `runsd run` then relays it,
 * through a pipe for each, so `journalctl -u runsd@NAME` shows it. */
bool output_wants_relay(void);

typedef struct OutputRelay {
        int fd[2];      /* the read ends for the container's stdout and stderr; -1 at their end */
} OutputRelay;

#define OUTPUT_RELAY_NULL ((OutputRelay) { .fd = { -1, -1 } })

/* The pipes; ret_write: their write ends, the container's stdout and stderr. */
int output_relay_begin(OutputRelay *r, int ret_write[2]);
/* The fds to poll (at most 2); returns how many were filled in. */
size_t output_relay_pollfds(const OutputRelay *r, struct pollfd *p);
/* After poll(): copy what is ready to our stdout and stderr. */
void output_relay_io(OutputRelay *r, const struct pollfd *p, size_t n);
/* Copy what is left now, and close. */
void output_relay_end(OutputRelay *r);
