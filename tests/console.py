"""The other end of runsd's terminal: a --console-socket receiver, as
containerd's shim and conmon are, and reading a pty until some text shows."""

import itertools
import os
import select
import socket
import time

from conftest import SCRATCH

_n = itertools.count()


class ConsoleSocket:
    """A listening unix socket for --console-socket (a short path under
    tests/.scratch, which the test host sees too); .receive() returns the
    pty master runsd sends, by SCM_RIGHTS."""

    def __init__(self):
        SCRATCH.mkdir(exist_ok=True)
        self.path = SCRATCH / f"console-{os.getpid()}-{next(_n)}.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(1)
        self.name = None

    def receive(self, timeout=30):
        self.sock.settimeout(timeout)
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(timeout)
            msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 1)
        assert len(fds) == 1, f"console socket: got {fds} with message {msg!r}"
        self.name = msg.decode(errors="replace")
        return fds[0]

    def close(self):
        self.sock.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_until(fd, text, timeout=30):
    """Read from the pty master fd until text has appeared; return all read.
    (The timeout only guards against a hang; nothing is timed.)"""
    out = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in out:
        left = deadline - time.monotonic()
        assert left > 0, f"{text!r} never came; read {out!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:         # EIO: no process holds the slave any more
            chunk = b""
        assert chunk, f"the terminal closed before {text!r}; read {out!r}"
        out += chunk
    return out.decode(errors="replace")
