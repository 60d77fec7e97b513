"""journalctl in the test host, for the tests of what runsd sends to journald.

    entries(host, "CONTAINER_ID=x", until=lambda es: len(es) >= 2)

The test host runs systemd-journald (socket-activated) with a volatile journal
in its own /run/log/journal.  journald reads a stream (a container's output)
when it gets to it: a reader that expects lines waits for them, up to a
deadline, rather than sleeping a fixed time.
"""

import json
import time

import pytest

SOCKET = "/run/systemd/journal/socket"
STREAM = "/run/systemd/journal/stdout"


def require_journald(host):
    """Skip the test unless journald listens in the host."""
    r = host.run(["test", "-S", SOCKET, "-a", "-S", STREAM])
    if r.returncode != 0:
        pytest.skip(f"no journald in the test host ({SOCKET}, {STREAM})")


def entries(host, *matches, until=bool, timeout=30):
    """The entries of `journalctl -o json MATCHES...`, as dicts, read again
    until until(entries) holds or timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        host.run(["journalctl", "--sync"])
        r = host.run(["journalctl", "--no-pager", "-o", "json", *matches])
        found = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def messages(found):
    return [e.get("MESSAGE") for e in found]
