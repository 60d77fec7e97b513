"""containerd 1.6 drives runsd unchanged: `ctr` and the runc v2 shim
(containerd-shim-runc-v2), with runsd as the shim's runtime binary.

Two routes reach runsd, both used here:
  * per task: `ctr run --runc-binary RUNTIME --runc-systemd-cgroup --cgroup
    SLICE:PREFIX:ID`, the same runc options (BinaryName, SystemdCgroup) a
    node's config gives the shim through the CRI plugin;
  * containerd's own config: a `runc` in `<opt path>/bin`, which containerd
    puts first on the shim's PATH (plain `ctr run`, cgroupfs mode).
RUNTIME is a script that logs each call and runs runsd (tests/clients.py),
so test_calls_are_supported can hold every call against what runsd takes.

containerd runs as a transient service of this module's own test host, every
file it keeps under the module's scratch directory, the rest in the host's
private /run (see clients.Containerd).
"""

import itertools
import os
import shutil
import time

import pytest

import bundle as bundlelib
from clients import (IMAGE, Containerd, assert_calls_supported, check_refused, ctr_runtime_args,
                     write_oci_archive)
from clients import host, runsd, scratch, wrapper  # noqa: F401 (the module's fixtures)
from conftest import Runsd, assert_nothing_left

pytestmark = pytest.mark.skipif(not (shutil.which("containerd") and shutil.which("ctr")),
                                reason="containerd is missing: apt-get install containerd "
                                       "(scripts/deps)")

# the shim's --root for the namespace "default": where runsd keeps their state
SHIM_ROOT = "/run/containerd/runc/default"
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def containerd(host, scratch, wrapper):
    """containerd, running, with the busybox image imported."""
    c = Containerd(host, scratch / "containerd", "containerd.service")
    # the config route: containerd puts <opt path>/bin first on its PATH,
    # and the shim runs `runc` from there when no BinaryName is given
    (c.dir / "opt" / "bin").mkdir(parents=True)
    (c.dir / "opt" / "bin" / "runc").symlink_to(wrapper.path)
    archive = write_oci_archive(bundlelib.make_rootfs(scratch / "rootfs"), scratch / "busybox.tar")
    c.start()
    try:
        c.ok("images", "import", archive)
        yield c
    finally:
        c.stop()


@pytest.fixture
def new_task(containerd, host, runsd_bin):
    """Factory for task IDs; each task and container is removed after the
    test, which then fails if anything of it is left: runsd's state, its
    unit, a task or container containerd still knows."""
    shim_runsd = Runsd(host, runsd_bin, SHIM_ROOT)
    made = []

    def new():
        made.append(f"c{os.getpid()}-{next(_ids)}")
        return made[-1]

    yield new
    for cid in made:
        containerd.ctr("task", "delete", "--force", cid)
        containerd.ctr("container", "rm", cid)
    for cid in made:
        assert_nothing_left(host, shim_runsd, cid, units=(f"ctr-{cid}.scope",))
        assert cid not in containerd.ok("container", "ls", "-q").split()


def run(containerd, runtime, cid, *args, ctr_args=()):
    """`ctr run` of IMAGE as task cid with runtime, in systemd cgroup mode."""
    return containerd.ok("run", *ctr_args, *ctr_runtime_args(runtime, cid), IMAGE, cid, *args)


def wait_status(containerd, cid, status, timeout=10):
    deadline = time.monotonic() + timeout
    while containerd.tasks()[cid][1] != status and time.monotonic() < deadline:
        time.sleep(0.05)
    assert containerd.tasks()[cid][1] == status


# ------------------------------------------------------------------ tests

def test_run_rm_prints_hello(containerd, wrapper, new_task):
    cid = new_task()
    assert run(containerd, wrapper.path, cid, "echo", "hello", ctr_args=["--rm"]) == "hello\n"
    assert cid not in containerd.tasks()


def test_exit_code_reaches_ctr(containerd, wrapper, new_task):
    cid = new_task()
    r = containerd.ctr("run", "--rm", *ctr_runtime_args(wrapper.path, cid), IMAGE, cid,
                       "sh", "-c", "exit 7")
    check_refused("ctr run", r)
    assert r.returncode == 7, r.stderr


def test_detached_task_runs_in_its_unit(containerd, wrapper, new_task, host):
    cid = new_task()
    run(containerd, wrapper.path, cid, "sleep", "1000", ctr_args=["-d"])
    pid, status = containerd.tasks()[cid]
    assert status == "RUNNING"
    unit = f"ctr-{cid}.scope"
    listed = host.systemctl("list-units", "--plain", "--no-legend", "--full", unit).stdout.split()
    assert listed[:4] == [unit, "loaded", "active", "running"], listed
    # the PID ctr shows is the container's, and it is in the unit's cgroup
    assert host.run(["cat", f"/proc/{pid}/cmdline"]).stdout.split("\0")[:2] == ["sleep", "1000"]
    cgroups = host.run(["cat", f"/proc/{pid}/cgroup"]).stdout.splitlines()
    assert any(line.endswith(f"/system.slice/{unit}") for line in cgroups), cgroups
    assert [int(line.split()[0]) for line in
            containerd.ok("task", "ps", cid).splitlines()[1:]] == [pid]


def test_pause_and_resume(containerd, wrapper, new_task):
    cid = new_task()
    run(containerd, wrapper.path, cid, "sleep", "1000", ctr_args=["-d"])
    containerd.ok("task", "pause", cid)
    assert containerd.tasks()[cid][1] == "PAUSED"
    containerd.ok("task", "resume", cid)
    assert containerd.tasks()[cid][1] == "RUNNING"


def test_kill_then_delete(containerd, wrapper, new_task, host):
    cid = new_task()
    # busybox sh as PID 1 ignores SIGTERM unless it traps it
    run(containerd, wrapper.path, cid, "sh", "-c", "trap 'exit 3' TERM; sleep 1000 & wait",
        ctr_args=["-d"])
    containerd.ok("task", "kill", cid)
    wait_status(containerd, cid, "STOPPED")
    r = containerd.ctr("task", "delete", cid)
    assert r.returncode == 0 and "exit code 3" in r.stderr, r.stderr
    assert cid not in containerd.tasks()
    assert host.systemctl("is-active", f"ctr-{cid}.scope").stdout.strip() != "active"


def test_kill_sigkill(containerd, wrapper, new_task):
    cid = new_task()
    run(containerd, wrapper.path, cid, "sleep", "1000", ctr_args=["-d"])
    containerd.ok("task", "kill", "--signal", "SIGKILL", cid)
    wait_status(containerd, cid, "STOPPED")
    assert "exit code 137" in containerd.ctr("task", "delete", cid).stderr


def test_kill_all(containerd, wrapper, new_task):
    """`kill --all`: the signal reaches every process of the container, the
    shell (which traps it) and its child (which it ends)."""
    cid = new_task()
    run(containerd, wrapper.path, cid, "sh", "-c", "trap 'wait; exit 4' USR1; sleep 1000 & wait",
        ctr_args=["-d"])
    containerd.ok("task", "kill", "--all", "--signal", "SIGUSR1", cid)
    wait_status(containerd, cid, "STOPPED")
    assert "exit code 4" in containerd.ctr("task", "delete", cid).stderr


def test_metrics_are_the_containers(containerd, wrapper, new_task, host):
    if host.mode == "unified":
        pytest.skip("the unified test host has no memory or pids controller on this machine")
    cid = new_task()
    run(containerd, wrapper.path, cid, "sleep", "1000",
        ctr_args=["-d", "--memory-limit", str(64 << 20)])
    metrics = dict(line.split(None, 1) for line in
                   containerd.ok("task", "metrics", cid).splitlines() if line.strip())
    # the shim found the container's own cgroups: its limit, its one process
    assert int(metrics["memory.limit_in_bytes"]) == 64 << 20, metrics
    assert int(metrics["pids.current"]) == 1, metrics


def test_no_pivot(containerd, wrapper, new_task):
    """`ctr run --no-pivot` (runc option NoPivotRoot) reaches runsd as
    `create --no-pivot`, which it takes.  ctr 1.6 then passes the shim that
    option alone (no BinaryName, no SystemdCgroup): the runtime is the `runc`
    on containerd's PATH."""
    cid = new_task()
    assert containerd.ok("run", "--rm", "--no-pivot", IMAGE, cid, "echo", "hello") == "hello\n"
    assert any("create" in c.argv and "--no-pivot" in c.argv and c.argv[-1] == cid
               for c in wrapper.calls())


def test_config_route_runc_on_containerds_path(containerd, wrapper, new_task):
    """Plain `ctr run`: the shim runs the `runc` containerd's config put on
    its PATH, in cgroupfs mode (cgroupsPath /default/ID), and the container
    is in a unit of runsd's all the same."""
    cid = new_task()
    out = containerd.ok("run", "--rm", IMAGE, cid, "cat", "/proc/self/cgroup")
    assert any(line.endswith(f"/runsd.slice/runsd-{cid}.scope") for line in out.splitlines()), out
    calls = [c for c in wrapper.calls() if cid in c.argv]
    assert calls and all(c.name == "runc" and "--systemd-cgroup" not in c.argv for c in calls)


def test_exec(containerd, wrapper, new_task):
    cid = new_task()
    run(containerd, wrapper.path, cid, "sleep", "1000", ctr_args=["-d"])
    r = containerd.ctr("task", "exec", "--exec-id", "e1", cid, "sh", "-c", "echo hi; exit 5")
    check_refused("ctr task exec", r)
    assert (r.returncode, r.stdout) == (5, "hi\n"), r.stderr


def test_run_with_a_terminal(containerd, wrapper, new_task, host):
    cid = new_task()
    # -t needs a terminal on ctr's stdin: script(1) gives it one
    ctr = ["ctr", "--address", containerd.socket, "run", "--rm", "-t",
           *ctr_runtime_args(wrapper.path, cid), IMAGE, cid, "readlink", "/proc/self/fd/0"]
    r = host.run(["script", "-qec", " ".join(map(str, ctr)), "/dev/null"])
    check_refused("ctr run -t", r)
    # (script's terminal echoes what it reads on its stdin, /dev/null, first)
    assert r.stdout.strip().endswith("/dev/pts/0"), r.stdout + r.stderr


def test_create_error_reaches_ctr(containerd, wrapper, new_task):
    """A config runsd refuses: ctr shows runsd's message, nothing is left."""
    cid = new_task()
    r = containerd.ctr("run", "--rm", *ctr_runtime_args(wrapper.path, cid, f"notaslice:ctr:{cid}"),
                       IMAGE, cid, "true")
    assert r.returncode != 0
    assert "OCI runtime create failed" in r.stderr, r.stderr
    assert (f'linux.cgroupsPath: "notaslice:ctr:{cid}": the slice must be a slice unit name'
            in r.stderr), r.stderr
    assert cid not in containerd.tasks()


def test_runsd_create_takes_no_pivot(runsd, bundle, cid, nothing_left):
    """runc's `create --no-pivot` (the shim's NoPivotRoot, conmon's
    no_pivot_root) is taken; runsd pivots all the same."""
    bundle.configure(args=["sleep", "1000"])
    runsd.ok("create", "--no-pivot", "--bundle", bundle, cid)
    assert runsd.state(cid)["status"] == "created"
    runsd.ok("delete", cid)
    nothing_left(cid)


def test_calls_are_supported(containerd, wrapper):
    """Every runtime call the shim made in this file's tests is one runsd
    takes: its global options, command, options and arguments (the set in
    clients.COMMAND_OPTIONS).  Runs last: it reads their log."""
    assert_calls_supported(wrapper)
