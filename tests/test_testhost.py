"""The test harness itself: does a test host look, from inside, like a machine
run by systemd, and does it leave nothing behind?"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import testhost

TESTHOST_PY = Path(testhost.__file__)


@pytest.fixture
def testhost_only(host):
    if not isinstance(host, testhost.TestHost):
        pytest.skip("the machine runs systemd itself: no test host is booted")


def _name(suffix):
    return f"runsd-t{os.getpid()}-{suffix}"


def _gone(rec):
    """The recorded host is down: PID 1 dead, cgroups and record removed."""
    assert not testhost._alive(rec["pid"], rec["starttime"]), f"PID {rec['pid']} still runs"
    assert [c for c in rec["cgroups"] if os.path.exists(c)] == []
    assert not (testhost.STATE_DIR / f"{rec['name']}.json").exists()


def test_pid1_is_systemd_and_running(host):
    assert host.run(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"
    state = host.systemctl("is-system-running").stdout.strip()
    assert state in ("running", "degraded")


def test_system_bus_answers(host):
    r = host.run(["busctl", "--system", "call", "org.freedesktop.systemd1",
                  "/org/freedesktop/systemd1", "org.freedesktop.DBus.Peer", "Ping"])
    assert r.returncode == 0, r.stderr


def test_runsd_slice_is_the_repos(host, testhost_only):
    r = host.systemctl("cat", "runsd.slice")
    assert r.returncode == 0, r.stderr
    assert (testhost.REPO / "units" / "runsd.slice").read_text().strip() in r.stdout


def test_tmp_run_are_private(host, testhost_only):
    marker = f"runsd-marker-{uuid.uuid4().hex}"
    for d in ("/tmp", "/run", "/var/tmp"):
        r = host.run(["touch", f"{d}/{marker}"])
        assert r.returncode == 0, r.stderr
        assert host.run(["test", "-e", f"{d}/{marker}"]).returncode == 0
        assert not os.path.exists(f"{d}/{marker}"), f"{d} inside the host is the machine's"
        host.run(["rm", f"{d}/{marker}"])


def test_etc_var_lib_sys_are_read_only(host, testhost_only):
    for d in ("/etc", "/var/lib", "/sys/kernel"):
        r = host.run(["touch", f"{d}/runsd-should-not-exist"])
        assert r.returncode != 0
        assert "Read-only file system" in r.stderr
        assert not os.path.exists(f"{d}/runsd-should-not-exist")


def test_private_namespaces(host, testhost_only):
    for ns in ("pid", "mnt", "uts", "ipc", "net", "cgroup"):
        inside = host.run(["readlink", f"/proc/self/ns/{ns}"]).stdout.strip()
        assert inside and inside != os.readlink(f"/proc/self/ns/{ns}"), ns


def test_commands_run_in_the_hosts_cgroups(host, testhost_only):
    # no "/..": the command is inside the host's cgroup namespace in every hierarchy
    cg = host.run(["cat", "/proc/self/cgroup"]).stdout
    assert "/.." not in cg, cg
    assert "init.scope" in cg


def test_run_passes_input_cwd_env(host, testhost_only, tmp_path):
    r = host.run(["sh", "-c", 'cat; pwd; echo "$FOO"'], input="in\n", cwd=tmp_path,
                 env={"FOO": "bar", "PATH": "/usr/bin:/bin"})
    assert r.stdout.split("\n")[:3] == ["in", str(tmp_path), "bar"]


@pytest.mark.parametrize("mode", testhost.MODES)
def test_modes_boot_and_go_down(host, testhost_only, mode):
    h = testhost.TestHost(_name(mode), mode).up()
    try:
        rec = json.loads((testhost.STATE_DIR / f"{h.name}.json").read_text())
        assert rec["pid"] == h.pid
        assert h.run(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"
        assert h.systemctl("is-system-running").stdout.strip() in ("running", "degraded")
        fstype = h.run(["stat", "-fc", "%T", "/sys/fs/cgroup"]).stdout.strip()
        assert fstype == ("cgroup2fs" if mode == "unified" else "tmpfs")
        unified = h.run(["stat", "-fc", "%T", "/sys/fs/cgroup/unified"]).stdout.strip()
        assert (unified == "cgroup2fs") == (mode == "hybrid"), unified
        if mode != "unified":
            assert h.run(["stat", "-fc", "%T", "/sys/fs/cgroup/systemd"]).stdout.strip() \
                == "cgroupfs"
        # systemd can place a process in a scope, as runsd will ask it to
        r = h.run(["systemd-run", "--scope", "--unit", "probe", "cat", "/proc/self/cgroup"])
        assert r.returncode == 0, r.stderr
        assert "/system.slice/probe.scope" in r.stdout
    finally:
        h.down()
    _gone(rec)


def test_stale_host_of_same_name_is_brought_down(host, testhost_only):
    name = _name("stale")
    old = testhost.TestHost(name, "hybrid").up(owned=False)   # as if its run crashed
    old_rec = json.loads((testhost.STATE_DIR / f"{name}.json").read_text())
    new = testhost.TestHost(name, "hybrid").up()
    try:
        assert not testhost._alive(old_rec["pid"], old_rec["starttime"])
        assert new.pid != old.pid
        assert new.systemctl("is-system-running").stdout.strip() in ("running", "degraded")
        new_rec = json.loads((testhost.STATE_DIR / f"{name}.json").read_text())
    finally:
        new.down()
    _gone(new_rec)


def test_host_dies_with_a_killed_owner(host, testhost_only):
    """A test run killed outright (SIGKILL: no finalizer) takes its host with it,
    and the next boot removes what is left of it."""
    name = _name("orphan")
    code = (f"import os, signal, sys; sys.path.insert(0, {str(TESTHOST_PY.parent)!r});"
            f"import testhost; h = testhost.TestHost({name!r}).up(); print(h.pid, flush=True);"
            f"os.kill(os.getpid(), signal.SIGKILL)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.returncode == -signal.SIGKILL, r.stderr
    rec = json.loads((testhost.STATE_DIR / f"{name}.json").read_text())
    assert rec["pid"] == int(r.stdout)
    deadline = time.monotonic() + 5
    while testhost._alive(rec["pid"], rec["starttime"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not testhost._alive(rec["pid"], rec["starttime"]), "host outlived its owner"
    testhost.reap_orphans()
    _gone(rec)


def test_command_line(host, testhost_only):
    name = _name("cli")
    cli = [sys.executable, str(TESTHOST_PY)]

    def sh(*args):
        return subprocess.run(cli + list(args), capture_output=True, text=True, timeout=60)

    up = sh("up", name, "unified")
    assert up.returncode == 0, up.stderr
    try:
        pid = int(up.stdout)
        rec = json.loads((testhost.STATE_DIR / f"{name}.json").read_text())
        assert rec["pid"] == pid
        again = sh("up", name)
        assert again.returncode == 1 and "already up" in again.stderr
        st = sh("status", name)
        assert st.returncode == 0 and "running" in st.stdout and "unified" in st.stdout
        r = sh("run", name, "sh", "-c", "cat /proc/1/comm; exit 3")
        assert (r.returncode, r.stdout) == (3, "systemd\n")
    finally:
        down = sh("down", name)
    assert down.returncode == 0, down.stderr
    _gone(rec)
    st = sh("status", name)
    assert st.returncode == 1 and "not up" in st.stderr


@pytest.mark.all_layouts
def test_all_layouts_marker_gives_a_host_of_each_layout(host, runsd, layout):
    # what runsd's tests of systemd-native features rely on
    assert host.mode == layout
    fstype = host.run(["stat", "-fc", "%T", "/sys/fs/cgroup"]).stdout.strip()
    assert fstype == ("cgroup2fs" if layout == "unified" else "tmpfs")
    assert runsd.host is host
