"""systemd-machined: `runsd create` registers each container, so `machinectl
list` and `machinectl status ID` show it, and every way a container goes
unregisters it.

These tests have a test host of their own (machined-PID): they start
machined, and in the session's shared host that would change what every later
test sees (each create registering its container over the system bus,
machined's bookkeeping in /run).  Booting one costs about 0.2 s.
"""

import os
import shutil
import time

import pytest

import testhost
from conftest import RUNSD_ENV, Runsd, own_host

ANNOTATION = "run.oci.systemd.machine"


@pytest.fixture(scope="module")
def host(layout):
    """Overrides conftest's: a test host for this module alone."""
    if os.geteuid() != 0:
        pytest.skip("runsd's tests need root (they boot systemd and create containers)")
    if not (testhost.SYSTEM_UNITS / "systemd-machined.service").is_file() \
            or not shutil.which("machinectl"):
        pytest.skip("systemd-machined is missing: apt-get install systemd-container")
    yield from own_host("machined", layout)


@pytest.fixture(scope="module")
def runsd(runsd_bin, host):
    """Overrides conftest's: runsd in this module's host."""
    return Runsd(host, runsd_bin)


@pytest.fixture
def machined(host):
    """machined runs (as after any `machinectl` on a real system)."""
    r = host.systemctl("start", "systemd-machined.service")
    assert r.returncode == 0, r.stderr
    assert host.run(["test", "-d", "/run/systemd/machines"]).returncode == 0


@pytest.fixture
def no_machined(host):
    """machined has not run since boot: stopped, and its /run state gone."""
    r = host.systemctl("stop", "systemd-machined.service")
    assert r.returncode == 0, r.stderr
    host.run(["rm", "-rf", "/run/systemd/machines"])


class ManagerCalls:
    """The method calls to machined's Manager, as `busctl monitor` sees them."""

    def __init__(self, host, tmp_path):
        self.host = host
        self.out, err = tmp_path / "monitor.out", tmp_path / "monitor.err"
        self.pidfile = tmp_path / "monitor.pid"
        # stdbuf: busctl flushes a file only when its buffer is full.  Its pid
        # (in the host) is recorded, to end it there: killing the nsenter
        # around it would leave it running.
        with open(self.out, "w") as out, open(err, "w") as errf:
            self.p = host.popen(["sh", "-c", 'echo $$ > "$0"; exec stdbuf -oL busctl monitor --match "$1"',
                                 self.pidfile,
                                 "type='method_call',interface='org.freedesktop.machine1.Manager'"],
                                stdout=out, stderr=errf)
        self._wait(lambda: "Monitoring bus message stream." in err.read_text(), "busctl monitor")

    def _wait(self, cond, what, timeout=10):
        deadline = time.monotonic() + timeout
        while not cond():
            assert self.p.poll() is None, f"busctl monitor exited {self.p.returncode}"
            assert time.monotonic() < deadline, f"no {what} within {timeout} s"
            time.sleep(0.02)

    def calls(self):
        """[(member, first string argument)] seen so far."""
        seen = []
        for msg in self.out.read_text().split("\u2023")[1:]:
            member = msg.split("Member=", 1)[1].split()[0] if "Member=" in msg else None
            arg = msg.split('STRING "', 1)[1].split('"', 1)[0] if 'STRING "' in msg else None
            seen.append((member, arg))
        return seen

    def wait_for(self, member, name):
        """Until the call has been seen (it was made before the command returned:
        only busctl's output may lag)."""
        self._wait(lambda: (member, name) in self.calls(), f"{member}({name}) on the bus")

    def stop(self):
        self.host.run(["kill", self.pidfile.read_text().strip()])
        self.p.wait(timeout=10)


@pytest.fixture
def manager_calls(host, machined, tmp_path):
    m = ManagerCalls(host, tmp_path)
    yield m
    m.stop()


def machines(host):
    """{name: (class, service)} of `machinectl list`."""
    r = host.run(["machinectl", "list", "--no-legend", "--no-pager"])
    assert r.returncode == 0, r.stderr
    return {f[0]: (f[1], f[2]) for f in (line.split() for line in r.stdout.splitlines()) if f}


def machine_show(host, name):
    r = host.run(["machinectl", "show", name, "--no-pager"])
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def create(runsd, bundle, cid, *extra):
    return runsd.run("create", "--bundle", bundle.path, *extra, cid)


def assert_registered(host, runsd, bundle, cid):
    st = runsd.state(cid)
    assert machines(host).get(cid) == ("container", "runsd"), machines(host)
    m = machine_show(host, cid)
    # the leader is the container's init, the unit the one runsd made
    assert int(m["Leader"]) == st["pid"], m
    assert m["Unit"] == st["systemd-unit"] == f"runsd-{cid}.scope", m
    assert m["RootDirectory"] == str(bundle.rootfs), m
    r = host.run(["machinectl", "status", cid, "--no-pager"])
    assert r.returncode == 0, r.stderr
    assert f"Unit: runsd-{cid}.scope" in r.stdout, r.stdout
    assert f"Leader: {st['pid']}" in r.stdout, r.stdout


@pytest.mark.parametrize("how", ["create", "run-detach"])
def test_container_is_a_machine_until_deleted(host, runsd, manager_calls, bundle, cid, how,
                                              nothing_left):
    if how == "create":
        r = create(runsd, bundle, cid)
    else:
        r = runsd.run("run", "--detach", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert_registered(host, runsd, bundle, cid)
    if how == "create":
        runsd.ok("start", cid)
        runsd.wait_status(cid, "running")
        assert machine_show(host, cid)["State"] == "running"
    runsd.ok("delete", "--force", cid)
    # unregistered by delete itself, not later by machined noticing that the
    # unit went (which it does too, a moment after), so gone when it returns
    manager_calls.wait_for("UnregisterMachine", cid)
    assert cid not in machines(host)
    nothing_left(cid)


def test_same_id_again_right_after_delete(host, runsd, machined, bundle, cid, nothing_left):
    for _ in range(2):
        r = create(runsd, bundle, cid)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert_registered(host, runsd, bundle, cid)
        runsd.ok("delete", cid)
        assert cid not in machines(host)
    nothing_left(cid)


def test_foreground_run_unregisters_when_the_container_exits(host, runsd, machined, bundle, cid,
                                                             nothing_left):
    bundle.configure(args=["sh", "-c", "exit 7"])
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 7, r.stderr
    assert cid not in machines(host)
    nothing_left(cid)


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_no_machine_option(host, runsd, machined, bundle, cid, cmd, nothing_left):
    extra = ["--detach"] if cmd == "run" else []
    r = runsd.run("--debug", cmd, "--no-machine", *extra, "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert runsd.state(cid)["status"] == ("created" if cmd == "create" else "running")
    assert cid not in machines(host)
    assert "--no-machine" in r.stderr
    runsd.ok("delete", "--force", cid)
    nothing_left(cid)


@pytest.mark.parametrize("value,registered", [("false", False), ("0", False),
                                              ("true", True), ("1", True)])
def test_annotation(host, runsd, machined, bundle, cid, value, registered, nothing_left):
    bundle.configure(annotations={ANNOTATION: value})
    r = create(runsd, bundle, cid)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    if registered:
        assert_registered(host, runsd, bundle, cid)
    else:
        assert cid not in machines(host)
    runsd.ok("delete", cid)
    assert cid not in machines(host)
    nothing_left(cid)


def test_bad_annotation_value_is_refused(host, runsd, machined, bundle, cid, nothing_left):
    bundle.configure(annotations={ANNOTATION: "no-thanks"})
    err = runsd.fail("create", "--bundle", bundle.path, cid)
    assert f"config.json: annotations.{ANNOTATION}: must be true, false, 1 or 0" in err, err
    assert '"no-thanks"' in err
    assert len(err.strip().splitlines()) == 1, err
    assert cid not in machines(host)
    nothing_left(cid)


def test_create_failing_after_registration_leaves_no_machine(host, runsd, manager_calls, bundle,
                                                             cid, tmp_path, nothing_left):
    # the pid file is written after the container is registered; its
    # directory does not exist
    pidfile = tmp_path / "no-such-dir" / "pid"
    r = runsd.run("--debug", "create", "--bundle", bundle.path, "--pid-file", pidfile, cid)
    assert r.returncode == 1, r.stderr
    assert f"container {cid} registered with systemd-machined" in r.stderr, r.stderr
    assert f"pid file {pidfile}" in r.stderr
    manager_calls.wait_for("UnregisterMachine", cid)
    assert cid not in machines(host)
    nothing_left(cid)


def test_crashed_create_is_unregistered_by_delete_force(host, runsd, manager_calls, bundle, cid,
                                                        tmp_path, nothing_left):
    if not shutil.which("strace"):
        pytest.skip("strace is missing: apt-get install strace")
    # SIGKILLed on the second renameat: the state file would say "created"
    # now; the container is registered and its state still says "creating"
    # (see test_reliability.py for the order of these calls)
    log = tmp_path / "strace.log"
    r = host.run(["strace", "-o", log, "-e", "trace=renameat", "-e",
                  "inject=renameat:signal=KILL:when=2",
                  *runsd.argv("create", "--bundle", bundle.path, cid)], env=RUNSD_ENV)
    assert r.returncode in (-9, 137), (r.returncode, r.stderr, log.read_text())
    assert runsd.state(cid)["status"] == "stopped"
    assert machines(host).get(cid) == ("container", "runsd")
    runsd.ok("delete", "--force", cid)
    manager_calls.wait_for("UnregisterMachine", cid)
    assert cid not in machines(host)
    nothing_left(cid)


def test_id_that_is_no_machine_name_is_not_registered(host, runsd, machined, bundle, new_cid,
                                                      nothing_left):
    # runc's IDs may hold "_" and "+", machine names may not: no machine,
    # said only with --debug, and the container works
    cid = f"{new_cid()}_x"
    try:
        r = runsd.run("--debug", "create", "--bundle", bundle.path, cid)
        assert r.returncode == 0, r.stderr
        assert f"not registering container {cid} with systemd-machined: " \
               "its ID is not a valid machine name" in r.stderr, r.stderr
        assert "warning" not in r.stderr, r.stderr
        assert cid not in machines(host)
        runsd.ok("delete", cid)
        nothing_left(cid)
    finally:
        runsd.run("delete", "--force", cid)


def test_name_taken_by_another_machine(host, runsd, machined, bundle, cid, nothing_left):
    # a machine of that name that is not the container's (say, a
    # systemd-nspawn one): create warns and goes on, delete leaves it be
    foreign = f"foreign-{cid}.service"
    r = host.run(["systemd-run", "--unit", foreign, "-p", "DefaultDependencies=no", "sleep", "1000"])
    assert r.returncode == 0, r.stderr
    try:
        pid = host.systemctl("show", "-p", "MainPID", "--value", foreign).stdout.strip()
        r = host.run(["busctl", "call", "org.freedesktop.machine1", "/org/freedesktop/machine1",
                      "org.freedesktop.machine1.Manager", "RegisterMachine", "sayssus",
                      cid, "0", "nspawn", "container", pid, "/"])
        assert r.returncode == 0, r.stderr

        r = create(runsd, bundle, cid)
        assert r.returncode == 0, r.stderr
        assert f"container {cid} is not registered with systemd-machined: " in r.stderr, r.stderr
        assert "already exists" in r.stderr, r.stderr
        assert runsd.state(cid)["status"] == "created"
        runsd.ok("delete", cid)
        assert machine_show(host, cid)["Unit"] == foreign
        nothing_left(cid)
    finally:
        host.systemctl("stop", foreign)
        host.systemctl("reset-failed", foreign)


def test_without_machined_create_makes_no_bus_connection(host, runsd, no_machined, bundle, cid,
                                                         tmp_path, nothing_left):
    if not shutil.which("strace"):
        pytest.skip("strace is missing: apt-get install strace")
    log = tmp_path / "strace.log"
    # LeakSanitizer cannot work under ptrace (an ASan build would fail)
    env = {**RUNSD_ENV, "ASAN_OPTIONS": RUNSD_ENV.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
    # runsd's own process only (no -f: the init stays, blocked on its FIFO)
    r = host.run(["strace", "-o", log, "-e", "trace=connect",
                  *runsd.argv("create", "--bundle", bundle.path, cid)], env=env)
    assert r.returncode == 0, r.stderr
    # nothing alarming: nothing at all
    assert r.stderr == ""
    connects = log.read_text()
    assert "/run/systemd/private" in connects, connects
    assert "system_bus_socket" not in connects, connects
    assert runsd.state(cid)["status"] == "created"
    # and machined was not started on the way
    assert host.systemctl("is-active", "systemd-machined.service").stdout.strip() == "inactive"
    runsd.ok("delete", cid)
    nothing_left(cid)


def test_without_machined_debug_says_why(host, runsd, no_machined, bundle, cid, nothing_left):
    r = runsd.run("--debug", "create", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert f"not registering container {cid} with systemd-machined: it is not running" \
        in r.stderr, r.stderr
    assert "warning" not in r.stderr and "error" not in r.stderr, r.stderr
    runsd.ok("delete", cid)
    nothing_left(cid)
