"""`runsd exec`: a new process in a running container, as containerd's shim
(`exec --process FILE --detach --pid-file F [--console-socket S] ID`) and
podman/conmon call it; checked where the kernel keeps it (/proc)."""

import json
import os

import pytest

from console import ConsoleSocket, read_until

NAMESPACES = ("pid", "mnt", "uts", "ipc", "net")


@pytest.fixture
def running(runsd, bundle, cid):
    """A running container (sleep 1000); its id and init pid."""
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    st = runsd.wait_status(cid, "running")
    return cid, st["pid"]


def ns_links(host, pid):
    return [host.run(["readlink", f"/proc/{pid}/ns/{ns}"]).stdout.strip() for ns in NAMESPACES]


def processes(runsd, cid):
    return json.loads(runsd.ok("ps", "--format", "json", cid))


# the cgroup join is per layout: cgroup.procs of each v1 hierarchy, of v2, or both
@pytest.mark.all_layouts
def test_exec_joins_the_container(host, runsd, running):
    cid, init = running
    script = "; ".join(f"readlink /proc/self/ns/{ns}" for ns in NAMESPACES)
    inside = runsd.ok("exec", cid, "sh", "-c", script).split()
    assert inside == ns_links(host, init)
    assert all(inside), inside
    assert inside != ns_links(host, "self")

    status = runsd.ok("exec", cid, "cat", "/proc/self/status")
    nspid = next(line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:"))
    # the container's /proc is its pid namespace's: the process is in it,
    # with a pid of that namespace (the init is 1 there)
    assert len(nspid) == 1 and int(nspid[0]) > 1, nspid

    assert runsd.ok("exec", cid, "hostname") == "runsd-test\n"
    # the same cgroups as the init, in every hierarchy
    assert runsd.ok("exec", cid, "cat", "/proc/self/cgroup") == host.run(["cat", f"/proc/{init}/cgroup"]).stdout


def test_exit_code(runsd, running):
    cid, _ = running
    assert runsd.run("exec", cid, "sh", "-c", "exit 7").returncode == 7
    assert runsd.run("exec", cid, "sh", "-c", "kill -KILL $$").returncode == 128 + 9


def test_detach_pid_file(host, runsd, running, tmp_path):
    cid, init = running
    pid_file = tmp_path / "exec.pid"
    runsd.ok("exec", "--detach", "--pid-file", pid_file, cid, "sleep", "1001")
    pid = int(pid_file.read_text())
    assert host.run(["cat", f"/proc/{pid}/cmdline"]).stdout == "sleep\x001001\x00"
    assert ns_links(host, pid) == ns_links(host, init)
    assert pid in processes(runsd, cid)
    host.run(["kill", "-KILL", str(pid)])


def test_process_file(runsd, running, tmp_path):
    cid, _ = running
    proc = tmp_path / "process.json"
    proc.write_text(json.dumps({
        "args": ["sh", "-c", "grep -E '^(Uid|Gid|CapEff)' /proc/self/status; pwd; echo $FOO"],
        "env": ["PATH=/bin", "FOO=bar"],
        "cwd": "/tmp",
        "user": {"uid": 1000, "gid": 1000},
        "capabilities": {},
        "noNewPrivileges": True,
    }))
    out = runsd.ok("exec", "--process", proc, cid).splitlines()
    assert out[0].split()[1:] == ["1000"] * 4
    assert out[1].split()[1:] == ["1000"] * 4
    assert out[2] == "CapEff:\t0000000000000000"
    assert out[3:] == ["/tmp", "bar"]


def test_options(runsd, running):
    cid, _ = running
    out = runsd.ok("exec", "--user", "1000:1001", "--cwd", "/tmp", "--env", "FOO=baz", "--no-new-privs",
                   cid, "sh", "-c", "id -u; id -g; pwd; echo $FOO; grep NoNewPrivs /proc/self/status")
    assert out.splitlines() == ["1000", "1001", "/tmp", "baz", "NoNewPrivs:\t1"]


def test_tty_with_console_socket(runsd, running):
    cid, _ = running
    with ConsoleSocket() as console:
        runsd.ok("exec", "--tty", "--console-socket", console.path, "--detach", cid, "sh")
        master = console.receive()
    try:
        os.write(master, b"readlink /proc/self/fd/0; echo h''i\n")
        out = read_until(master, "hi\r\n")
        assert "/dev/pts/0\r\n" in out, out
        os.write(master, b"exit\n")
    finally:
        os.close(master)


def test_tty_in_the_foreground(runsd, running):
    # no console socket: runsd relays the process's terminal to its own
    cid, _ = running
    master, slave = os.openpty()
    try:
        p = runsd.popen("exec", "--tty", cid, "sh", stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        slave = None
        os.write(master, b"echo in-$((40+2)) $(readlink /proc/self/fd/0)\n")
        read_until(master, "in-42 /dev/pts/0")
        os.write(master, b"exit 4\n")
        assert p.wait(timeout=30) == 4
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)


def test_exec_into_stopped_container(runsd, bundle, cid):
    bundle.configure(args=["true"])
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    runsd.wait_status(cid, "stopped")
    err = runsd.fail("exec", cid, "true")
    assert "cannot exec in a stopped container" in err, err


def test_exec_into_created_container(runsd, bundle, cid):
    runsd.ok("create", "--bundle", bundle.path, cid)
    err = runsd.fail("exec", cid, "true")
    assert "container not running" in err and "created" in err, err


def test_exec_into_unknown_container(runsd):
    err = runsd.fail("exec", "no-such-container", "true")
    assert "container does not exist" in err, err


@pytest.mark.parametrize("case", ["bad-json", "bad-field", "user-name", "user-bad-gid", "no-console-socket",
                                  "console-without-tty", "missing-executable", "missing-cwd"])
def test_bad_input_leaves_no_process(runsd, running, tmp_path, case):
    cid, _ = running
    proc = tmp_path / "process.json"
    if case == "bad-json":
        proc.write_text('{"args": ["true"],')
        argv, want = ["--process", proc], [str(proc), "invalid JSON"]
    elif case == "bad-field":
        proc.write_text(json.dumps({"args": ["true"], "cwd": "relative"}))
        argv, want = ["--process", proc], [str(proc), "process.cwd"]
    elif case == "user-name":
        argv, want = ["--user", "nobody", "true"], ["--user", "nobody"]
    elif case == "user-bad-gid":
        argv, want = ["--user", "0:1x", "true"], ['--user "0:1x"']
    elif case == "no-console-socket":
        argv, want = ["--console-socket", tmp_path / "no.sock", "--tty", "--detach", "true"], ["no.sock", "No such file"]
    elif case == "console-without-tty":
        with ConsoleSocket() as console:
            r = runsd.run("exec", "--console-socket", console.path, cid, "true")
        argv, want = None, ["process.terminal is false"]
    elif case == "missing-executable":
        argv, want = ["/bin/nonexistent"], ["/bin/nonexistent"]
    else:
        argv, want = ["--cwd", "/nonexistent", "true"], ["process.cwd", "/nonexistent"]
    if argv is not None:
        r = runsd.run("exec", *argv[:-1], cid, argv[-1]) if argv[0] != "--process" else \
            runsd.run("exec", *argv, cid)
    assert r.returncode != 0
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    for w in want:
        assert w in err, err
    # only the container's init is left in it
    assert len(processes(runsd, cid)) == 1


def test_preserve_fds(runsd, running):
    cid, _ = running
    from test_terminal import run_with_fds
    r, w = os.pipe()
    try:
        p = run_with_fds(runsd, None, ["exec", "--preserve-fds", "1", cid, "sh", "-c",
                                       "echo x >&3; readlink /proc/self/fd/4 || echo no-fd-4"], [w])
        os.close(w)
        w = None
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert os.read(r, 100) == b"x\n"
        assert out.strip() == "no-fd-4"
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def test_no_runsd_fds_reach_the_process(runsd, running):
    cid, _ = running
    # stdio, and ls's own directory: nothing of runsd's (state directory,
    # pidfds, sockets)
    out = runsd.ok("exec", cid, "ls", "/proc/self/fd")
    assert out.split() == ["0", "1", "2", "3"], out
