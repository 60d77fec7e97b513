"""linux.resources and org.systemd.property.* annotations: each limit becomes
a property of the container's unit and lands in its cgroup file, in each
cgroup layout (hybrid, legacy v1, unified v2).  `runsd update` changes them.

Where this machine cannot show a file (a unified test host here has no
memory/cpu/pids controllers: the machine's v1 hierarchies hold them), the
test checks the unit property and then skips, saying so."""

import json
import os
import time

import pytest

pytestmark = pytest.mark.all_layouts

MiB = 1024 * 1024


def set_resources(bundle, resources, args=("sleep", "1000"), annotations=None):
    def edit(cfg):
        cfg["linux"]["resources"] = resources
        if annotations:
            cfg["annotations"] = annotations
    bundle.configure(args=list(args), edit=edit)


def unit(cid):
    return f"runsd-{cid}.scope"


def prop(host, cid, name):
    return host.systemctl("show", "-p", name, "--value", unit(cid)).stdout.strip()


class Cgroup:
    """The container's cgroup files, as the kernel shows them."""

    def __init__(self, host, cid, layout):
        self.host, self.layout = host, layout
        self.path = prop(host, cid, "ControlGroup")
        assert self.path.startswith("/runsd.slice/"), self.path

    def file(self, controller, name):
        base = "/sys/fs/cgroup" if self.layout == "unified" else f"/sys/fs/cgroup/{controller}"
        return f"{base}{self.path}/{name}"

    def has(self, controller):
        if self.layout != "unified":
            return True
        parent = os.path.dirname(self.path)
        ctrls = self.host.run(["cat", f"/sys/fs/cgroup{parent}/cgroup.controllers"]).stdout.split()
        return controller in ctrls

    def read(self, controller, name):
        if not self.has(controller):
            pytest.skip(f"unit property checked; the {controller} controller is not available "
                        f"to cgroup v2 on this machine (its v1 hierarchies hold it), so there "
                        f"is no {name} to read")
        r = self.host.run(["cat", self.file(controller, name)])
        assert r.returncode == 0, f"{self.file(controller, name)}: {r.stderr}"
        return r.stdout.strip()


def created(runsd, host, bundle, cid, layout, resources, **kw):
    set_resources(bundle, resources, **kw)
    runsd.ok("create", "--bundle", bundle.path, cid)
    return Cgroup(host, cid, layout)


# ------------------------------------------------------------------ memory

def test_memory_limit(host, runsd, bundle, cid, layout):
    cg = created(runsd, host, bundle, cid, layout, {"memory": {"limit": 64 * MiB}})
    assert prop(host, cid, "MemoryMax") == str(64 * MiB)
    f = "memory.max" if layout == "unified" else "memory.limit_in_bytes"
    assert cg.read("memory", f) == str(64 * MiB)


def test_memory_reservation_and_swap(host, runsd, bundle, cid, layout):
    cg = created(runsd, host, bundle, cid, layout,
                 {"memory": {"limit": 64 * MiB, "reservation": 32 * MiB, "swap": 96 * MiB}})
    if layout == "unified":
        assert prop(host, cid, "MemoryLow") == str(32 * MiB)
        # the spec's swap is memory+swap; v2's is swap alone
        assert prop(host, cid, "MemorySwapMax") == str(32 * MiB)
        assert cg.read("memory", "memory.low") == str(32 * MiB)
        assert cg.read("memory", "memory.swap.max") == str(32 * MiB)
    else:
        assert cg.read("memory", "memory.soft_limit_in_bytes") == str(32 * MiB)
        if not host.run(["test", "-e", cg.file("memory", "memory.memsw.limit_in_bytes")]).returncode == 0:
            pytest.skip("the kernel has no swap accounting (memory.memsw.*)")
        assert cg.read("memory", "memory.memsw.limit_in_bytes") == str(96 * MiB)


def test_memory_limit_is_enforced(host, runsd, bundle, cid, layout):
    # sort holds its input in memory: one 64 MiB line is over the limit
    set_resources(bundle, {"memory": {"limit": 16 * MiB, "swap": 16 * MiB}},
                  args=["sh", "-c", "head -c 67108864 /dev/zero | tr '\\0' a | sort >/dev/null && echo survived"])
    if layout == "unified":
        runsd.ok("create", "--bundle", bundle.path, cid)
        Cgroup(host, cid, layout).read("memory", "memory.max")
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert "survived" not in r.stdout, "a process went over memory.limit and lived"
    assert r.returncode == 137, (r.returncode, r.stderr)


def test_swappiness_and_oom_killer(host, runsd, bundle, cid, layout):
    res = {"memory": {"limit": 64 * MiB, "swappiness": 10, "disableOOMKiller": True}}
    if layout == "unified":
        set_resources(bundle, res)
        err = runsd.fail("create", "--bundle", bundle.path, cid)
        assert "linux.resources.memory.disableOOMKiller: cgroup v2 has no such setting" in err
        return
    cg = created(runsd, host, bundle, cid, layout, res)
    assert cg.read("memory", "memory.swappiness") == "10"
    assert "oom_kill_disable 1" in cg.read("memory", "memory.oom_control")


# --------------------------------------------------------------------- cpu

def test_cpu_shares(host, runsd, bundle, cid, layout):
    cg = created(runsd, host, bundle, cid, layout, {"cpu": {"shares": 512}})
    if layout == "unified":
        # crun's and runc's conversion of 512 shares
        assert prop(host, cid, "CPUWeight") == "59"
        assert cg.read("cpu", "cpu.weight") == "59"
    else:
        assert prop(host, cid, "CPUShares") == "512"
        assert cg.read("cpu", "cpu.shares") == "512"


def test_cpu_quota_and_period(host, runsd, bundle, cid, layout):
    cg = created(runsd, host, bundle, cid, layout, {"cpu": {"quota": 25000, "period": 50000}})
    assert prop(host, cid, "CPUQuotaPerSecUSec") == "500ms"
    assert prop(host, cid, "CPUQuotaPeriodUSec") == "50ms"
    if layout == "unified":
        assert cg.read("cpu", "cpu.max") == "25000 50000"
    else:
        assert cg.read("cpu", "cpu.cfs_quota_us") == "25000"
        assert cg.read("cpu", "cpu.cfs_period_us") == "50000"


def test_cpuset_is_what_the_container_may_use(host, runsd, bundle, cid, layout):
    set_resources(bundle, {"cpu": {"cpus": "0", "mems": "0"}},
                  args=["sh", "-c", "grep -E '^(Cpus|Mems)_allowed_list' /proc/self/status"])
    if layout == "unified":
        runsd.ok("create", "--bundle", bundle.path, cid)
        assert prop(host, cid, "AllowedCPUs") == "0"
        Cgroup(host, cid, layout).read("cpuset", "cpuset.cpus")
    out = runsd.ok("run", "--bundle", bundle.path, cid)
    assert "Cpus_allowed_list:\t0\n" in out, out
    assert "Mems_allowed_list:\t0\n" in out, out


def test_cpu_realtime_and_idle_belong_to_one_layout(host, runsd, bundle, cid, layout):
    if layout == "unified":
        set_resources(bundle, {"cpu": {"realtimeRuntime": 1000}})
        err = runsd.fail("create", "--bundle", bundle.path, cid)
        assert "linux.resources.cpu.realtimeRuntime: cgroup v2 has no such setting" in err
    else:
        set_resources(bundle, {"cpu": {"idle": 1}})
        err = runsd.fail("create", "--bundle", bundle.path, cid)
        assert "linux.resources.cpu.idle: needs cgroup v2 alone" in err


# -------------------------------------------------------------------- pids

def test_pids_limit_stops_a_fork_bomb(host, runsd, bundle, cid, layout):
    # the forks in a subshell: busybox sh gives up when a fork fails
    script = "(for i in $(seq 40); do sleep 1000 & done) 2>/dev/null; exec sleep 1000"
    cg = created(runsd, host, bundle, cid, layout, {"pids": {"limit": 10}},
                 args=["sh", "-c", script])
    assert prop(host, cid, "TasksMax") == "10"
    assert cg.read("pids", "pids.max") == "10"
    runsd.ok("start", cid)
    deadline = time.monotonic() + 10
    while int(cg.read("pids", "pids.events").split()[1]) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(cg.read("pids", "pids.events").split()[1]) > 0, "no fork was refused"
    assert 8 <= int(cg.read("pids", "pids.current")) <= 10


# ----------------------------------------------------------------- blockIO

def block_device(host):
    devs = sorted(host.run(["ls", "/sys/dev/block"]).stdout.split())
    if not devs:
        pytest.skip("no block device on this machine")
    return [int(x) for x in devs[0].split(":")]


def test_block_io_throttle(host, runsd, bundle, cid, layout):
    major, minor = block_device(host)
    dev = {"major": major, "minor": minor}
    cg = created(runsd, host, bundle, cid, layout, {"blockIO": {
        "throttleReadBpsDevice": [{**dev, "rate": MiB}],
        "throttleWriteIOPSDevice": [{**dev, "rate": 100}]}})
    assert prop(host, cid, "IOReadBandwidthMax") == f"/dev/block/{major}:{minor} {MiB}"
    if layout == "unified":
        io_max = cg.read("io", "io.max")
        assert f"{major}:{minor} rbps={MiB} wbps=max riops=max wiops=100" in io_max
    else:
        assert cg.read("blkio", "blkio.throttle.read_bps_device") == f"{major}:{minor} {MiB}"
        assert cg.read("blkio", "blkio.throttle.write_iops_device") == f"{major}:{minor} 100"


def test_block_io_weight(host, runsd, bundle, cid, layout):
    cg = created(runsd, host, bundle, cid, layout, {"blockIO": {"weight": 300}})
    if layout == "unified":
        assert prop(host, cid, "IOWeight") == str(1 + (300 - 10) * 9999 // 990)
        assert cg.read("io", "io.weight") == f"default {1 + (300 - 10) * 9999 // 990}"
    else:
        assert cg.read("blkio", "blkio.bfq.weight") == "300"


# ------------------------------------------------------- direct cgroup files

def test_hugepages_and_network_need_their_hierarchy(host, runsd, bundle, cid, layout, nothing_left):
    # this machine mounts no hugetlb (v1) hierarchy and lets v2 have none:
    # the create fails naming the field and the missing file, and leaves nothing
    set_resources(bundle, {"hugepageLimits": [{"pageSize": "2MB", "limit": 4 * MiB}]})
    r = runsd.run("create", "--bundle", bundle.path, cid)
    if r.returncode == 0:
        cg = Cgroup(host, cid, layout)
        f = "hugetlb.2MB.max" if layout == "unified" else "hugetlb.2MB.limit_in_bytes"
        assert cg.read("hugetlb", f) == str(4 * MiB)
        return
    assert "linux.resources." in r.stderr and "hugetlb" in r.stderr, r.stderr
    nothing_left(cid)


def test_unified_map(host, runsd, bundle, cid, layout, nothing_left):
    set_resources(bundle, {"unified": {"pids.max": "7"}})
    if layout != "unified":
        err = runsd.fail("create", "--bundle", bundle.path, cid)
        assert "linux.resources.unified: needs cgroup v2 alone" in err
        nothing_left(cid)
        return
    r = runsd.run("create", "--bundle", bundle.path, cid)
    if r.returncode != 0:
        assert "linux.resources.pids.max" not in r.stderr
        assert "pids.max" in r.stderr and "no such file" in r.stderr, r.stderr
        nothing_left(cid)
        pytest.skip("no pids controller for cgroup v2 on this machine; the error named the file")
    assert Cgroup(host, cid, layout).read("pids", "pids.max") == "7"


# ------------------------------------------------------------- annotations

def test_systemd_property_annotations(host, runsd, bundle, cid, layout):
    created(runsd, host, bundle, cid, layout, {}, annotations={
        "org.systemd.property.CollectMode": "'inactive-or-failed'",
        "org.systemd.property.TimeoutStopUSec": "uint64 7000000",
        "org.systemd.property.SendSIGHUP": "true"})
    assert prop(host, cid, "CollectMode") == "inactive-or-failed"
    assert prop(host, cid, "TimeoutStopUSec") == "7s"
    assert prop(host, cid, "SendSIGHUP") == "yes"


@pytest.mark.parametrize("annotations,message", [
    ({"org.systemd.property.TimeoutStopUSec": "7000000"},
     "annotations.org.systemd.property.TimeoutStopUSec: \"7000000\" is not a value runsd can type"),
    ({"org.systemd.property.Slice": "'x.slice'"}, "Slice is set by runsd itself (use linux.cgroupsPath)"),
    ({"org.systemd.property.Bad-Name": "true"}, "\"Bad-Name\" is not a unit property name"),
    ({"org.systemd.property.NoSuchProperty": "true"}, "NoSuchProperty"),
])
def test_bad_property_annotations(host, runsd, bundle, cid, layout, nothing_left, annotations, message):
    set_resources(bundle, {}, annotations=annotations)
    err = runsd.fail("create", "--bundle", bundle.path, cid)
    assert message in err and len(err.strip().splitlines()) == 1, err
    nothing_left(cid)


# -------------------------------------------------------------- bad input

@pytest.mark.parametrize("resources,message", [
    ({"memory": {"limit": "64M"}}, "linux.resources.memory.limit: must be an integer, not a string"),
    ({"memory": {"limit": 64 * MiB, "swap": 32 * MiB}}, "linux.resources.memory.swap: 33554432 is below memory.limit"),
    ({"memory": {"swap": 32 * MiB}}, "linux.resources.memory.swap: needs memory.limit"),
    ({"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness: 101 is out of range [0, 100]"),
    ({"cpu": {"cpus": "0-"}}, "linux.resources.cpu.cpus: \"0-\" is not a list like \"0-3,6\""),
    ({"cpu": {"period": 10}}, "linux.resources.cpu.period: 10 is below the kernel's minimum"),
    ({"cpu": {"quota": 0}}, "linux.resources.cpu.quota: must be positive, or -1 for no limit"),
    ({"blockIO": {"weight": 5}}, "linux.resources.blockIO.weight: 5 is out of range [10, 1000]"),
    ({"blockIO": {"leafWeight": 500}}, "linux.resources.blockIO.leafWeight: not supported"),
    ({"blockIO": {"throttleReadBpsDevice": [{"major": 8}]}},
     "linux.resources.blockIO.throttleReadBpsDevice[0].minor: is required"),
    ({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]},
     "linux.resources.hugepageLimits[0].pageSize: \"2M\" is not a page size"),
    ({"unified": {"../../memory.max": "1"}}, "linux.resources.unified.../../memory.max: "),
    ({"rdma": {}}, "linux.resources.rdma: not supported yet"),
])
def test_bad_resources(host, runsd, bundle, cid, layout, nothing_left, resources, message):
    set_resources(bundle, resources)
    err = runsd.fail("create", "--bundle", bundle.path, cid)
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert str(bundle.path / "config.json") in err
    nothing_left(cid)


# ------------------------------------------------------------------ update

def test_update_from_a_resources_file(host, runsd, bundle, cid, layout):
    cg = created(runsd, host, bundle, cid, layout, {"pids": {"limit": 50}})
    runsd.ok("start", cid)
    update = json.dumps({"pids": {"limit": 30}, "memory": {"limit": 128 * MiB}})
    runsd.ok("update", "--resources", "-", cid, input=update)
    assert prop(host, cid, "TasksMax") == "30"
    assert prop(host, cid, "MemoryMax") == str(128 * MiB)
    assert cg.read("pids", "pids.max") == "30"
    f = "memory.max" if layout == "unified" else "memory.limit_in_bytes"
    assert cg.read("memory", f) == str(128 * MiB)


def test_update_with_options(host, runsd, bundle, cid, layout):
    cg = created(runsd, host, bundle, cid, layout, {})
    runsd.ok("update", "--pids-limit", "25", "--cpu-shares", "2048", "--cpu-quota", "20000",
             "--cpu-period", "100000", "--memory", "96m", cid)
    assert prop(host, cid, "TasksMax") == "25"
    assert prop(host, cid, "MemoryMax") == str(96 * MiB)
    assert prop(host, cid, "CPUQuotaPerSecUSec") == "200ms"
    assert cg.read("pids", "pids.max") == "25"
    if layout == "unified":
        assert cg.read("cpu", "cpu.max") == "20000 100000"
    else:
        assert cg.read("cpu", "cpu.shares") == "2048"
        assert cg.read("cpu", "cpu.cfs_quota_us") == "20000"


def test_update_errors(host, runsd, bundle, cid, layout):
    err = runsd.fail("update", "--pids-limit", "5", "no-such-container")
    assert "container does not exist: no-such-container" in err
    created(runsd, host, bundle, cid, layout, {})
    err = runsd.fail("update", "--resources", "-", cid, input='{"memory": {"limit": "x"}}')
    assert "memory.limit: must be an integer" in err and len(err.strip().splitlines()) == 1, err
    err = runsd.fail("update", "--memory", "lots", cid)
    assert "--memory" in err and "lots" in err, err
    err = runsd.fail("update", cid)
    assert "nothing to update" in err, err
    runsd.ok("kill", cid, "KILL")
    runsd.wait_status(cid, "stopped")
    err = runsd.fail("update", "--pids-limit", "5", cid)
    assert "container not running" in err, err
