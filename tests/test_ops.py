"""pause, resume, ps and events: what containerd's shim (`ctr task pause`,
`resume`, `ps`) and podman call as they call runc's, checked where the kernel
and systemd keep it, in a test host of each cgroup layout."""

import json
import queue
import subprocess
import threading
import time

import pytest

from conftest import SANITIZER_REPORTS

pytestmark = pytest.mark.all_layouts

COMMANDS = ("pause", "resume", "ps", "events")
# appends a byte to /ticks every 50 ms: its size is how far the container got
TICKER = "while true; do echo -n x >> /ticks; sleep 0.05; done"
# the init and two forked children
FORKER = "sleep 1000 & sleep 1001 & wait"


def unit_of(cid):
    return f"runsd-{cid}.scope"


def unit_prop(host, cid, prop):
    return host.systemctl("show", "-p", prop, "--value", unit_of(cid)).stdout.strip()


def start(runsd, bundle, cid):
    runsd.ok("create", "--bundle", bundle.path, cid)
    runsd.ok("start", cid)
    return runsd.wait_status(cid, "running")


def wait_for(cond, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def cgroup_file(host, cid, controller, name):
    """The container's cgroup file name: in the hierarchy of controller on
    v1 ("systemd": the one systemd tracks processes in), else in its one
    cgroup2 directory."""
    cgroup = unit_prop(host, cid, "ControlGroup")
    assert cgroup.endswith(unit_of(cid)), cgroup
    if host.mode == "unified":
        return f"/sys/fs/cgroup{cgroup}/{name}"
    return f"/sys/fs/cgroup/{controller}{cgroup}/{name}"


def read_cgroup(host, cid, controller, name):
    """The text of that file; None if the layout does not have it."""
    r = host.run(["cat", cgroup_file(host, cid, controller, name)])
    return r.stdout if r.returncode == 0 else None


def keyed(text, key):
    """N of the line "key N" of a flat keyed cgroup file."""
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            return int(v)
    raise AssertionError(f"no {key} in {text!r}")


def cgroup_procs(host, cid):
    return sorted(int(p) for p in read_cgroup(host, cid, "systemd", "cgroup.procs").split())


def frozen(host, cid):
    """What the kernel's freezer says of the container's cgroup."""
    if host.mode == "unified":
        return keyed(read_cgroup(host, cid, "", "cgroup.events"), "frozen") == 1
    state = read_cgroup(host, cid, "freezer", "freezer.state").strip()
    assert state in ("FROZEN", "THAWED"), state
    return state == "FROZEN"


def ticks(bundle):
    return (bundle.rootfs / "ticks").stat().st_size


class Events:
    """`runsd events` in the background, read line by line."""

    def __init__(self, runsd, tmp_path, *args):
        self.err_path = tmp_path / "events.err"
        with open(self.err_path, "w") as err:
            self.p = runsd.popen("events", *args, stdout=subprocess.PIPE, stderr=err, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, timeout=20):
        """The next event, parsed; None once events has exited."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event in {timeout} s; stderr: {self.err_path.read_text()}")
        return None if line is None else json.loads(line)

    def wait(self, timeout=20):
        """Wait for it to exit by itself; return its exit code."""
        try:
            code = self.p.wait(timeout=timeout)
        finally:
            self.stop()
        err = self.err_path.read_text()
        for marker in SANITIZER_REPORTS:
            assert marker not in err, err
        return code

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


@pytest.fixture
def events(runsd, tmp_path):
    started = []

    def start_events(*args):
        e = Events(runsd, tmp_path, *args)
        started.append(e)
        return e
    yield start_events
    for e in started:
        e.stop()


# ------------------------------------------------------------------- help

@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(runsd, cmd):
    out = runsd.ok(cmd, "--help")
    assert "usage" in out.lower() and cmd in out
    assert cmd in runsd.ok("--help")


# ---------------------------------------------------------- pause, resume

def test_pause_freezes_and_resume_thaws(host, runsd, bundle, cid):
    bundle.configure(args=["sh", "-c", TICKER], root={"path": "rootfs", "readonly": False})
    start(runsd, bundle, cid)
    wait_for(lambda: (bundle.rootfs / "ticks").exists() and ticks(bundle) > 2, what="the ticker")
    assert not frozen(host, cid)

    runsd.ok("pause", cid)
    assert frozen(host, cid)
    if host.mode == "unified":
        # systemd froze it, and knows
        assert unit_prop(host, cid, "FreezerState") == "frozen"
    assert runsd.state(cid)["status"] == "paused"
    listed = json.loads(runsd.ok("list", "--format", "json"))
    assert [c["status"] for c in listed if c["id"] == cid] == ["paused"]
    n = ticks(bundle)
    time.sleep(0.5)         # ten ticks, had it run
    assert ticks(bundle) == n, "the container ran while paused"

    runsd.ok("resume", cid)
    assert not frozen(host, cid)
    if host.mode == "unified":
        assert unit_prop(host, cid, "FreezerState") == "running"
    assert runsd.state(cid)["status"] == "running"
    wait_for(lambda: ticks(bundle) > n, what="the ticker to go on")


def test_pause_and_resume_twice(runsd, bundle, cid):
    start(runsd, bundle, cid)
    err = runsd.fail("resume", cid)
    assert f"container not paused: {cid}" in err
    runsd.ok("pause", cid)
    err = runsd.fail("pause", cid)
    assert f"container already paused: {cid}" in err
    assert runsd.state(cid)["status"] == "paused"
    runsd.ok("resume", cid)
    assert runsd.state(cid)["status"] == "running"


def test_paused_created_container_cannot_start_until_resumed(host, runsd, bundle, cid):
    # as runc: a created container may be paused, and is created again after
    bundle.configure(args=["sh", "-c", "touch /started; exec sleep 1000"],
                     root={"path": "rootfs", "readonly": False})
    runsd.ok("create", "--bundle", bundle.path, cid)
    runsd.ok("pause", cid)
    assert frozen(host, cid)
    assert runsd.state(cid)["status"] == "paused"
    err = runsd.fail("start", cid)
    assert f"cannot start a paused container: {cid}" in err
    assert not (bundle.rootfs / "started").exists()

    runsd.ok("resume", cid)
    assert runsd.state(cid)["status"] == "created"
    runsd.ok("start", cid)
    wait_for(lambda: (bundle.rootfs / "started").exists(), what="the process to run")
    assert runsd.state(cid)["status"] == "running"


def test_kill_ends_a_paused_container(host, runsd, bundle, cid, nothing_left):
    # a task the v1 freezer holds does not die of SIGKILL until thawed
    bundle.configure(args=["sh", "-c", FORKER])
    start(runsd, bundle, cid)
    runsd.ok("pause", cid)
    assert frozen(host, cid)
    runsd.ok("kill", cid, "KILL")
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)
    nothing_left(cid)


def test_kill_all_ends_a_paused_container(runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", FORKER])
    start(runsd, bundle, cid)
    runsd.ok("pause", cid)
    runsd.ok("kill", "--all", cid, "KILL")
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)
    nothing_left(cid)


def test_delete_force_of_a_paused_container_leaves_nothing(host, runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", FORKER])
    start(runsd, bundle, cid)
    wait_for(lambda: len(cgroup_procs(host, cid)) == 3, what="the children")
    runsd.ok("pause", cid)
    freezer = cgroup_file(host, cid, "freezer", "")
    err = runsd.fail("delete", cid)
    assert "paused" in err and "--force" in err
    runsd.ok("delete", "--force", cid)
    nothing_left(cid)
    assert host.run(["test", "-e", freezer]).returncode != 0, f"{freezer} is left"


# ---------------------------------------------------------------------- ps

def test_ps_json_is_the_pids_of_the_containers_cgroup(host, runsd, bundle, cid):
    bundle.configure(args=["sh", "-c", FORKER])
    st = start(runsd, bundle, cid)
    wait_for(lambda: len(cgroup_procs(host, cid)) == 3, what="the children")
    procs = cgroup_procs(host, cid)
    assert st["pid"] in procs
    assert json.loads(runsd.ok("ps", "--format", "json", cid)) == procs
    # and of a paused one, as `ctr task ps` asks
    runsd.ok("pause", cid)
    assert json.loads(runsd.ok("ps", "--format", "json", cid)) == procs


def test_ps_table_lists_the_containers_processes(host, runsd, bundle, cid):
    bundle.configure(args=["sh", "-c", FORKER])
    start(runsd, bundle, cid)
    wait_for(lambda: len(cgroup_procs(host, cid)) == 3, what="the children")
    procs = cgroup_procs(host, cid)

    lines = runsd.ok("ps", cid).splitlines()
    header = lines[0].split()
    assert header[:3] == ["UID", "PID", "PPID"], lines[0]       # ps -ef
    assert sorted(int(line.split()[1]) for line in lines[1:]) == procs, lines

    # ps's own arguments, after "--" or straight after the ID (as runc)
    for args in (("--", "-o", "pid,comm"), ("-o", "comm,pid")):
        lines = runsd.ok("ps", cid, *args).splitlines()
        pid = lines[0].split().index("PID")
        assert sorted(int(line.split()[pid]) for line in lines[1:]) == procs, lines
        assert sorted(line.split()[1 - pid] for line in lines[1:]) == ["sh", "sleep", "sleep"], lines

    err = runsd.fail("ps", cid, "--", "-o", "comm")
    assert "PID column" in err


# ------------------------------------------------------------------ events

def test_events_stats_agree_with_the_cgroup_files(host, runsd, bundle, cid):
    bundle.configure(args=["sh", "-c", FORKER])
    start(runsd, bundle, cid)
    wait_for(lambda: len(cgroup_procs(host, cid)) == 3, what="the children")

    def cpu_ns():
        if host.mode == "unified":
            return keyed(read_cgroup(host, cid, "", "cpu.stat"), "usage_usec") * 1000
        return int(read_cgroup(host, cid, "cpuacct", "cpuacct.usage"))

    before = cpu_ns()
    out = runsd.ok("events", "--stats", cid).splitlines()
    after = cpu_ns()
    assert len(out) == 1, out
    ev = json.loads(out[0])
    assert (ev["type"], ev["id"]) == ("stats", cid)
    data = ev["data"]
    assert before <= data["cpu"]["usage"]["total"] <= after

    # what the layout has is reported as the kernel counts it; what it has
    # not (the unified test host has no pids or memory controller: this
    # machine binds them to v1) is left out, not made up
    pids = read_cgroup(host, cid, "pids", "pids.current")
    if pids is None:
        assert "pids" not in data, data
    else:
        assert data["pids"]["current"] == int(pids) == 3

    usage = read_cgroup(host, cid, "memory", "memory.current" if host.mode == "unified"
                        else "memory.usage_in_bytes")
    if usage is None:
        assert "memory" not in data, data
    else:
        assert int(usage) > 0 and data["memory"]["usage"]["usage"] > 0
        limit = read_cgroup(host, cid, "memory", "memory.max" if host.mode == "unified"
                            else "memory.limit_in_bytes").strip()
        if limit == "max":
            assert "limit" not in data["memory"]["usage"]
        else:
            assert data["memory"]["usage"]["limit"] == int(limit)
        assert data["memory"]["raw"], data["memory"]


def test_events_streams_stats_until_the_container_stops(runsd, bundle, cid, events):
    start(runsd, bundle, cid)
    ev = events("--interval", "100ms", cid)
    for _ in range(2):
        e = ev.next()
        assert (e["type"], e["id"]) == ("stats", cid) and "cpu" in e["data"], e
    runsd.ok("kill", cid, "KILL")
    assert ev.wait() == 0
    runsd.wait_status(cid, "stopped")


def test_events_reports_an_oom_kill(host, runsd, bundle, cid, events):
    bundle.configure(args=["sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; "
                                       "dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1000"],
                     root={"path": "rootfs", "readonly": False})
    (bundle.rootfs / "bin" / "dd").symlink_to("busybox")
    start(runsd, bundle, cid)
    # the limit written to the cgroup file itself: this test is of events,
    # not of how runsd sets limits
    limits = ["memory.max"] if host.mode == "unified" else \
        ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
    if read_cgroup(host, cid, "memory", limits[0]) is None:
        pytest.skip(f"the {host.mode} test host has no memory controller (this machine binds it "
                    f"to cgroup v1), so nothing can limit the container's memory")
    for name in limits:
        if read_cgroup(host, cid, "memory", name) is not None:
            path = cgroup_file(host, cid, "memory", name)
            r = host.run(["sh", "-c", f"echo 16M > {path}"])
            assert r.returncode == 0, r.stderr

    ev = events("--interval", "200ms", cid)
    assert ev.next()["type"] == "stats"         # it is watching
    (bundle.rootfs / "go").touch()
    while (e := ev.next()) is not None and e["type"] != "oom":
        assert e["type"] == "stats", e
    assert e == {"type": "oom", "id": cid}
    # the kernel's word: the OOM killer killed in the container (dd, not the init)
    counts = read_cgroup(host, cid, "memory", "memory.events" if host.mode == "unified"
                         else "memory.oom_control")
    assert keyed(counts, "oom_kill") >= 1, counts
    assert runsd.state(cid)["status"] == "running"
    runsd.ok("kill", cid, "KILL")
    assert ev.wait() == 0


# ------------------------------------------------------------------ errors

def test_commands_on_an_unknown_container_fail(runsd):
    for args in (("pause",), ("resume",), ("ps",), ("ps", "--format", "json"),
                 ("events", "--stats"), ("events",)):
        r = runsd.run(*args, "no-such-container")
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stderr.strip().endswith("container does not exist: no-such-container"), (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)


def test_commands_on_a_stopped_container_fail(runsd, bundle, cid):
    bundle.configure(args=["true"])
    runsd.ok("create", "--bundle", bundle.path, cid)
    runsd.ok("start", cid)
    runsd.wait_status(cid, "stopped")
    for args in (("pause",), ("resume",), ("ps",), ("ps", "--format", "json"),
                 ("events", "--stats"), ("events",)):
        r = runsd.run(*args, cid)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert f"container not running: {cid}" in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    assert runsd.state(cid)["status"] == "stopped"


@pytest.mark.parametrize("args, message", [
    (("events", "--interval", "0"), "--interval must be greater than 0"),
    (("events", "--interval", "-1s"), "--interval must be greater than 0"),
    (("events", "--interval", "5"), "--interval \"5\" is not a duration"),
    (("ps", "--format", "yaml"), "--format must be table or json"),
    (("ps", "--format", "json", "ID", "-ef"), "go with --format table only"),
    (("pause",), "expected ID"),
    (("resume", "ID", "extra"), "expected ID"),
])
def test_bad_options(runsd, args, message):
    err = runsd.fail(*args)
    assert message in err, err
