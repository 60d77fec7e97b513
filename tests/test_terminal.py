"""process.terminal: the pty a container's process gets, its master sent to
--console-socket (as containerd's shim and conmon take it) or, for `run` in
the foreground without one, relayed by runsd to its own terminal; and
--preserve-fds."""

import fcntl
import os
import signal
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from conftest import RUNSD_ENV
from console import ConsoleSocket, read_until


def with_terminal(bundle, args, size=None):
    def edit(cfg):
        cfg["process"]["terminal"] = True
        if size:
            cfg["process"]["consoleSize"] = {"height": size[0], "width": size[1]}
    bundle.configure(args=args, edit=edit)
    # busybox applets the default rootfs lacks
    for applet in ("tty", "stty"):
        (bundle.rootfs / "bin" / applet).symlink_to("busybox")


# service mode: the service's helper gets the console socket's connection
# and the caller's fds from create, and the init as systemd's child has them
MODES = pytest.mark.parametrize("mode", [[], ["--service"]], ids=["scope", "service"])


@MODES
def test_console_socket_gets_the_master(runsd, bundle, cid, nothing_left, mode):
    with_terminal(bundle, ["sh"], size=(33, 101))
    with ConsoleSocket() as console:
        runsd.ok("create", *mode, "--bundle", bundle.path, "--console-socket", console.path, cid)
        master = console.receive()
    try:
        assert console.name == "/dev/ptmx"      # runc's message
        runsd.ok("start", cid)
        os.write(master, b"tty; stty size; echo h''i\n")
        out = read_until(master, "hi\r\n")
        # the pty is the container's own devpts's, the shell's terminal
        assert "/dev/pts/0\r\n" in out, out
        assert "33 101\r\n" in out, out
        os.write(master, b"exit 3\n")
        runsd.wait_status(cid, "stopped")
    finally:
        os.close(master)
    runsd.ok("delete", cid)
    nothing_left(cid)


def runsd_pid(runsd, cid):
    """The pid of the runsd process the test started for cid (not the
    nsenter wrapper around it)."""
    for p in Path("/proc").iterdir():
        try:
            argv = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0] == runsd.binary.encode() and cid.encode() in argv:
            return int(p.name)
    raise AssertionError(f"no runsd process for {cid}")


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


@MODES
def test_run_relays_the_terminal(host, runsd, bundle, cid, nothing_left, mode):
    # runsd's stdio is a pty the test holds; without --console-socket, `run`
    # in the foreground relays the container's terminal to it
    with_terminal(bundle, ["sh"])
    master, slave = os.openpty()
    set_size(master, 21, 77)
    before = termios.tcgetattr(slave)
    err_r, err_w = os.pipe()
    try:
        p = runsd.popen("run", *mode, "--bundle", bundle.path, cid, stdin=slave, stdout=slave, stderr=err_w)
        os.close(err_w)
        err_w = None
        os.write(master, b"echo in-$((40+2)) $(tty) $(stty size)\n")
        out = read_until(master, "in-42 /dev/pts/0 21 77")
        # runsd's terminal's size, passed on when runsd gets SIGWINCH
        set_size(master, 33, 99)
        os.kill(runsd_pid(runsd, cid), signal.SIGWINCH)
        os.write(master, b"echo size-$(stty size | tr ' ' x)\n")
        out += read_until(master, "size-33x99")
        os.write(master, b"exit 5\n")
        rc = p.wait(timeout=30)
        stderr = os.read(err_r, 65536).decode(errors="replace")
        assert rc == 5, f"runsd run exited {rc}; stderr: {stderr}; terminal: {out}"
        # raw while it ran, as it was once it is done
        assert termios.tcgetattr(slave) == before
    finally:
        for fd in (master, slave, err_r, err_w):
            if fd is not None:
                os.close(fd)
    nothing_left(cid)


def test_create_without_console_socket(host, runsd, bundle, cid, nothing_left):
    with_terminal(bundle, ["true"])
    r = runsd.run("create", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    assert "process.terminal needs --console-socket" in r.stderr, r.stderr
    r = runsd.run("run", "--detach", "--bundle", bundle.path, cid)
    assert "process.terminal needs --console-socket" in r.stderr, r.stderr
    nothing_left(cid)


def test_console_socket_without_terminal(runsd, bundle, cid, nothing_left):
    bundle.configure(args=["true"])
    with ConsoleSocket() as console:
        err = runsd.fail("create", "--bundle", bundle.path, "--console-socket", console.path, cid)
    assert "--console-socket" in err and "process.terminal is false" in err, err
    nothing_left(cid)


def test_console_socket_that_does_not_exist(runsd, bundle, cid, tmp_path, nothing_left):
    with_terminal(bundle, ["true"])
    missing = tmp_path / "no.sock"
    err = runsd.fail("create", "--bundle", bundle.path, "--console-socket", missing, cid)
    assert str(missing) in err and "No such file" in err, err
    nothing_left(cid)


def run_with_fds(runsd, host, argv, fds):
    """Run runsd with the test's fds as runsd's fds 3, 4, ...: through a
    shell in the host that renumbers them (bash: dash takes no fd above 9)."""
    moves = " ".join(f"{3 + i}>&{fd}" for i, fd in enumerate(fds))
    return runsd.host.popen(["bash", "-c", f'exec {moves}; exec "$@"', "bash", *runsd.argv(*argv)],
                            env=RUNSD_ENV, pass_fds=fds, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@MODES
def test_preserve_fds(host, runsd, bundle, cid, nothing_left, mode):
    # fd 3: a pipe the container writes to; fd 4: open in runsd, not passed
    bundle.configure(args=["sh", "-c", "echo x >&3; readlink /proc/self/fd/3; "
                           "readlink /proc/self/fd/4 || echo no-fd-4"])
    r, w = os.pipe()
    null = os.open("/dev/null", os.O_RDONLY)
    try:
        p = run_with_fds(runsd, host, ["run", *mode, "--preserve-fds", "1", "--bundle", bundle.path, cid], [w, null])
        os.close(w)
        w = None
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert os.read(r, 100) == b"x\n"
        lines = out.splitlines()
        assert lines[0].startswith("pipe:["), out
        assert lines[1] == "no-fd-4", out
    finally:
        for fd in (r, w, null):
            if fd is not None:
                os.close(fd)
    nothing_left(cid)


def test_without_preserve_fds_nothing_passes(host, runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", "readlink /proc/self/fd/3 || echo no-fd-3"])
    r, w = os.pipe()
    try:
        p = run_with_fds(runsd, host, ["run", "--bundle", bundle.path, cid], [w])
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert out.strip() == "no-fd-3"
    finally:
        os.close(r)
        os.close(w)
    nothing_left(cid)


def test_listen_fds(host, runsd, bundle, cid, nothing_left):
    # socket activation as runc does it: runsd's $LISTEN_FDS (for runsd's
    # own pid) reach the container, with LISTEN_FDS and LISTEN_PID for it
    bundle.configure(args=["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; readlink /proc/self/fd/3"])
    r, w = os.pipe()
    try:
        p = runsd.host.popen(["bash", "-c", 'exec 3>&"$1"; shift; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"',
                              "bash", str(w), *runsd.argv("run", "--bundle", bundle.path, cid)],
                             env=RUNSD_ENV, pass_fds=[w], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        lines = out.splitlines()
        assert lines[0] == "1 1", out
        assert lines[1].startswith("pipe:["), out
    finally:
        os.close(r)
        os.close(w)
    nothing_left(cid)
