"""Process attributes beyond user and capabilities (process.scheduler,
ioPriority, execCPUAffinity, linux.personality, memoryPolicy, netDevices),
checked from inside the container where the kernel keeps them (/proc, uname,
ionice, ip link); and what runsd refuses on a host that lacks the LSM or
resctrl a config asks for."""

import json
import os
import platform
from pathlib import Path

import pytest

from test_errors import assert_fails_cleanly, one_line


def run_in(runsd, bundle, cid, script, edit):
    bundle.configure(args=["sh", "-c", script], edit=edit)
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def process(**fields):
    def edit(cfg):
        cfg["process"].update(fields)
    return edit


def linux(**fields):
    def edit(cfg):
        cfg["linux"].update(fields)
    return edit


def stat_fields(text):
    """/proc/PID/stat's fields by their number in proc(5) (1-based)."""
    head, _, tail = text.rpartition(")")
    return {i + 3: v for i, v in enumerate(tail.split())}


# proc(5): 19 nice, 40 rt_priority, 41 policy
NICE, RT_PRIORITY, POLICY = 19, 40, 41
SCHED = {"SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3, "SCHED_IDLE": 5}


@pytest.mark.parametrize("scheduler,policy,nice,rt", [
    ({"policy": "SCHED_BATCH", "nice": 5}, "SCHED_BATCH", 5, 0),
    ({"policy": "SCHED_IDLE"}, "SCHED_IDLE", 0, 0),
    ({"policy": "SCHED_OTHER", "nice": -5}, "SCHED_OTHER", -5, 0),
    # root in the test host has CAP_SYS_NICE, which the process drops later
    ({"policy": "SCHED_FIFO", "priority": 10}, "SCHED_FIFO", 0, 10),
    ({"policy": "SCHED_RR", "priority": 3, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}, "SCHED_RR", 0, 3),
])
def test_scheduler(host, runsd, bundle, cid, tmp_path, scheduler, policy, nice, rt, nothing_left):
    if rt and not rt_runtime(host):
        # cgroup v1's RT group scheduling gives the test host's cgroups no
        # real-time time (the machine's, which it may not change, has none
        # to hand down): the kernel refuses, and runsd says why
        bundle.configure(args=["true"], edit=process(scheduler=scheduler))
        line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
        assert "process.scheduler: sched_setattr: Operation not permitted" in line, line
        assert "cpu.rt_runtime_us" in line, line
        nothing_left(cid)
        return
    out = run_in(runsd, bundle, cid, "cat /proc/1/stat", process(scheduler=scheduler))
    f = stat_fields(out)
    assert (int(f[POLICY]), int(f[NICE]), int(f[RT_PRIORITY])) == (SCHED[policy], nice, rt), out


def test_scheduler_deadline(runsd, bundle, cid):
    # a SCHED_DEADLINE task cannot fork: the process reads its own stat
    bundle.configure(args=["cat", "/proc/self/stat"], edit=process(scheduler={
        "policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000, "period": 10000000}))
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert int(stat_fields(r.stdout)[POLICY]) == 6      # SCHED_DEADLINE


def rt_runtime(host):
    """Real-time time the test host's cgroups have, if RT group scheduling is on."""
    r = host.run(["cat", "/sys/fs/cgroup/cpu/cpu.rt_runtime_us"])
    return int(r.stdout) if r.returncode == 0 else None


@pytest.mark.parametrize("io,want", [
    ({"class": "IOPRIO_CLASS_IDLE"}, "idle"),       # (busybox prints no level for idle)
    ({"class": "IOPRIO_CLASS_BE", "priority": 6}, "best-effort: prio 6"),
    ({"class": "IOPRIO_CLASS_RT", "priority": 2}, "realtime: prio 2"),
])
def test_io_priority(runsd, bundle, cid, io, want):
    out = run_in(runsd, bundle, cid, "busybox ionice -p 1", process(ioPriority=io))
    assert out.strip() == want


def cpus_allowed(text):
    return next(line.split()[1] for line in text.splitlines() if line.startswith("Cpus_allowed_list:"))


@pytest.mark.parametrize("affinity", [{"final": "1"}, {"initial": "0", "final": "1"}])
def test_exec_cpu_affinity(runsd, bundle, cid, affinity):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two CPUs")
    out = run_in(runsd, bundle, cid, "cat /proc/1/status", process(execCPUAffinity=affinity))
    assert cpus_allowed(out) == "1"


def test_personality_linux32(runsd, bundle, cid):
    if platform.machine() != "x86_64":
        pytest.skip("LINUX32 shows i686 on x86_64 only")
    out = run_in(runsd, bundle, cid, "busybox uname -m", linux(personality={"domain": "LINUX32"}))
    assert out.strip() == "i686"


def test_personality_linux(runsd, bundle, cid):
    out = run_in(runsd, bundle, cid, "busybox uname -m", linux(personality={"domain": "LINUX"}))
    assert out.strip() == platform.machine()


def has_numa():
    return Path("/sys/devices/system/node/node0").is_dir()


@pytest.mark.parametrize("policy,shown", [
    ({"mode": "MPOL_BIND", "nodes": "0"}, "bind:0"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}, "interleave=static:0"),
    ({"mode": "MPOL_PREFERRED", "nodes": "0"}, "prefer:0"),
    ({"mode": "MPOL_LOCAL"}, "local"),
])
def test_memory_policy(runsd, bundle, cid, policy, shown):
    if not has_numa():
        pytest.skip("the kernel has no NUMA support")
    # numa_maps shows the task's policy for mappings that have none of their own
    out = run_in(runsd, bundle, cid, "head -1 /proc/self/numa_maps", linux(memoryPolicy=policy))
    assert out.split()[1] == shown, out


def test_memory_policy_node_the_kernel_refuses(host, runsd, bundle, cid, tmp_path, nothing_left):
    if not has_numa():
        pytest.skip("the kernel has no NUMA support")
    bundle.configure(args=["true"], edit=linux(memoryPolicy={"mode": "MPOL_BIND", "nodes": "1000"}))
    line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
    assert "linux.memoryPolicy: set_mempolicy" in line, line
    nothing_left(cid)


# ------------------------------------------------------------ netDevices

@pytest.fixture
def veth(host):
    """One end of a veth pair in the test host's own network namespace (this
    VM's kernel has no dummy interfaces)."""
    name, peer = f"pa{os.getpid() % 100000}", f"pb{os.getpid() % 100000}"
    r = host.run(["ip", "link", "add", name, "type", "veth", "peer", "name", peer])
    if r.returncode != 0:
        pytest.skip(f"cannot make a veth pair: {r.stderr.strip()}")
    yield name
    host.run(["ip", "link", "del", peer])


def test_net_devices(host, runsd, bundle, cid, veth):
    # (a documentation address: nothing is sent anywhere)
    host.run(["ip", "addr", "add", "192.0.2.7/24", "dev", veth], check=True)
    out = run_in(runsd, bundle, cid, "busybox ip -o link show; busybox ip -o addr show inside0",
                 linux(netDevices={veth: {"name": "inside0"}}))
    link = next(line for line in out.splitlines() if ": inside0@" in line)
    # up, as the runtime spec wants, with the address it had on the host
    assert ",UP" in link.split(">")[0], link
    assert "inet 192.0.2.7/24" in out, out
    assert f": {veth}" not in out
    # moved, not copied: the host has it no more (a veth dies with the
    # namespace it is in, and its peer with it)
    assert host.run(["ip", "link", "show", veth]).returncode != 0


def test_net_devices_keep_their_name(runsd, bundle, cid, veth):
    out = run_in(runsd, bundle, cid, "busybox ip -o link show", linux(netDevices={veth: {}}))
    assert f": {veth}@" in out, out


def test_net_devices_missing_interface(host, runsd, bundle, cid, tmp_path, nothing_left):
    bundle.configure(args=["true"], edit=linux(netDevices={"nosuchif0": {}}))
    line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
    assert "linux.netDevices" in line and "nosuchif0" in line, line
    nothing_left(cid)


# ------------------------------------------------- what the host lacks

def lsm_enabled(name):
    if name == "apparmor":
        try:
            return Path("/sys/module/apparmor/parameters/enabled").read_text().startswith("Y")
        except OSError:
            return False
    return Path("/sys/fs/selinux/enforce").exists()


@pytest.mark.parametrize("lsm,edit,message", [
    ("apparmor", process(apparmorProfile="runsd-test"),
     "process.apparmorProfile: AppArmor is not enabled on this host"),
    ("selinux", process(selinuxLabel="system_u:system_r:container_t:s0"),
     "process.selinuxLabel: SELinux is not enabled on this host"),
    ("selinux", linux(mountLabel="system_u:object_r:container_file_t:s0:c1,c2"),
     "linux.mountLabel: SELinux is not enabled on this host"),
])
def test_lsm_not_enabled(host, runsd, bundle, cid, tmp_path, lsm, edit, message, nothing_left):
    if lsm_enabled(lsm):
        pytest.skip(f"{lsm} is enabled on this machine")
    bundle.configure(args=["true"], edit=edit)
    line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
    assert line.endswith(message) and "config.json" in line, line
    nothing_left(cid)


@pytest.mark.parametrize("edit", [process(apparmorProfile=""), process(selinuxLabel=""), linux(mountLabel="")])
def test_empty_label_is_unset(runsd, bundle, cid, edit):
    assert run_in(runsd, bundle, cid, "echo ok", edit) == "ok\n"


def test_intel_rdt_without_resctrl(host, runsd, bundle, cid, tmp_path, nothing_left):
    if Path("/sys/fs/resctrl/schemata").exists():
        pytest.skip("resctrl is mounted on this machine")
    bundle.configure(args=["true"], edit=linux(intelRdt={"closID": "guaranteed_group"}))
    line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
    assert line.endswith("linux.intelRdt: resctrl is not mounted on this host"), line
    nothing_left(cid)


# ------------------------------------------------------------ bad input

def no_network_namespace(cfg):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]
    cfg["linux"]["netDevices"] = {"lo": {}}


BAD = [
    ("process.scheduler.policy", process(scheduler={"policy": "SCHED_FAST"})),
    ("process.scheduler.policy", process(scheduler={"nice": 1})),
    ("process.scheduler.nice", process(scheduler={"policy": "SCHED_OTHER", "nice": 20})),
    ("process.scheduler.priority", process(scheduler={"policy": "SCHED_FIFO", "priority": 100})),
    ("process.scheduler.priority", process(scheduler={"policy": "SCHED_BATCH", "priority": 5})),
    ("process.scheduler.flags", process(scheduler={"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_FAST"]})),
    ("process.scheduler.runtime", process(scheduler={"policy": "SCHED_OTHER", "runtime": 1000})),
    ("process.scheduler", process(scheduler={"policy": "SCHED_DEADLINE", "runtime": 2000000,
                                             "deadline": 1000000})),
    ("process.ioPriority.class", process(ioPriority={"class": "IOPRIO_CLASS_FAST"})),
    ("process.ioPriority.priority", process(ioPriority={"class": "IOPRIO_CLASS_BE", "priority": 8})),
    ("process.execCPUAffinity.final", process(execCPUAffinity={"final": "0-"})),
    ("process.execCPUAffinity.final", process(execCPUAffinity={"final": "3-1"})),
    ("process.execCPUAffinity.initial", process(execCPUAffinity={"initial": "a"})),
    ("process.execCPUAffinity.initial", process(execCPUAffinity={"initial": "99999"})),
    ("linux.personality.domain", linux(personality={"domain": "SVR4"})),
    ("linux.personality.flags", linux(personality={"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]})),
    ("linux.memoryPolicy.mode", linux(memoryPolicy={"mode": "MPOL_FAST"})),
    ("linux.memoryPolicy.nodes", linux(memoryPolicy={"mode": "MPOL_BIND"})),
    ("linux.memoryPolicy.nodes", linux(memoryPolicy={"mode": "MPOL_LOCAL", "nodes": "0"})),
    ("linux.memoryPolicy.flags", linux(memoryPolicy={"mode": "MPOL_BIND", "nodes": "0",
                                                     "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]})),
    ("linux.netDevices", no_network_namespace),
    ("linux.netDevices", linux(netDevices={"a/b": {}})),
    ("linux.netDevices.lo.name", linux(netDevices={"lo": {"name": "x" * 16}})),
    ("linux.intelRdt.closID", linux(intelRdt={"closID": "../x"})),
]


@pytest.mark.parametrize("field,edit", BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_field(host, runsd, bundle, cid, tmp_path, field, edit, nothing_left):
    bundle.configure(args=["true"], edit=edit)
    line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
    assert "config.json" in line and f"{field}:" in line, line
    nothing_left(cid)


# ------------------------------------------------------------------ exec

def test_exec_process_gets_its_attributes(runsd, bundle, cid, tmp_path):
    bundle.configure(edit=linux(personality={"domain": "LINUX32"})
                     if platform.machine() == "x86_64" else None)
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    runsd.wait_status(cid, "running")
    proc = tmp_path / "process.json"
    proc.write_text(json.dumps({
        "args": ["sh", "-c", "busybox ionice -p $$; cat /proc/self/stat; busybox uname -m; "
                 "grep Cpus_allowed_list /proc/self/status"],
        "env": ["PATH=/bin"],
        "cwd": "/",
        "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 7},
        "scheduler": {"policy": "SCHED_BATCH", "nice": 3},
        "execCPUAffinity": {"initial": "0", "final": "0"},
    }))
    ionice, stat, machine, cpus = runsd.ok("exec", "--process", proc, cid).splitlines()
    assert ionice == "best-effort: prio 7"
    f = stat_fields(stat)
    assert (int(f[POLICY]), int(f[NICE])) == (SCHED["SCHED_BATCH"], 3)
    assert cpus_allowed(cpus) == "0"
    # linux.personality is the container's: exec'd processes get it too
    if platform.machine() == "x86_64":
        assert machine == "i686"
    # the config's process, running meanwhile, keeps its own
    assert runsd.ok("exec", cid, "busybox", "ionice", "-p", "1").strip() == "none: prio 0"


def test_exec_bad_process_attribute(runsd, bundle, cid, tmp_path):
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    runsd.wait_status(cid, "running")
    proc = tmp_path / "process.json"
    proc.write_text(json.dumps({"args": ["true"], "cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_XX"}}))
    r = runsd.run("exec", "--process", proc, cid)
    assert r.returncode != 0
    line = one_line(r.stderr)
    assert "process.json" in line and "process.ioPriority.class" in line, line
