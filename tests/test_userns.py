"""User and time namespaces, linux.sysctl and domainname: what the process
sees inside its container, what the host sees of it, and bad input refused
with a line naming the field, leaving nothing behind."""

import os
import subprocess

import pytest

from conftest import SCRATCH

HOST_ID = 100000
MAP = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]
DAY = 86400


def reachable_by_mapped_ids(bundle):
    """Make the bundle reachable by the host ids the container's root maps
    to (pytest makes its directories 0700): as with runc, a user namespace's
    root sets up its rootfs, and must be able to get there."""
    d = bundle.path
    while d != SCRATCH and d != d.parent:
        os.chmod(d, os.stat(d).st_mode | 0o011)
        d = d.parent
    return bundle


@pytest.fixture
def bundle(bundle):
    return reachable_by_mapped_ids(bundle)


def run_in(runsd, bundle, cid, script, edit=None):
    """`runsd run` sh -c script in bundle; return its stdout (asserting exit 0)."""
    bundle.configure(args=["sh", "-c", script], edit=edit)
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"want one line on stderr, got:\n{err}"
    return lines[0]


def add_namespace(cfg, kind, path=None):
    cfg["linux"]["namespaces"].append({"type": kind, **({"path": path} if path else {})})


def drop_namespace(cfg, kind):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != kind]


def with_userns(cfg, uid=MAP, gid=MAP):
    add_namespace(cfg, "user")
    cfg["linux"]["uidMappings"] = uid
    cfg["linux"]["gidMappings"] = gid


def edits(*fns):
    def edit(cfg):
        for fn in fns:
            fn(cfg)
    return edit


def status_ids(host, pid):
    """{"Uid": [real, effective, saved, fs], "Gid": [...]} of a host PID."""
    out = host.run(["cat", f"/proc/{pid}/status"]).stdout
    return {line.split(":")[0]: line.split()[1:] for line in out.splitlines()
            if line.startswith(("Uid:", "Gid:"))}


def host_has_time_namespaces():
    return os.path.exists("/proc/self/ns/time")


# ------------------------------------------------------------ user namespace

def test_maps_and_root_inside(host, runsd, bundle, cid, nothing_left):
    out = run_in(runsd, bundle, cid,
                 "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user",
                 edit=with_userns).split("\n")
    assert out[0].split() == ["0", str(HOST_ID), "65536"], out
    assert out[1].split() == ["0", str(HOST_ID), "65536"], out
    assert out[2:4] == ["0", "0"], out
    assert out[4] != host.run(["readlink", "/proc/self/ns/user"]).stdout.strip(), out
    nothing_left(cid)


def test_maps_in_service_mode(host, runsd, bundle, cid, nothing_left):
    # the init is cloned by the service's helper; runsd create writes its maps
    bundle.configure(args=["sh", "-c", "cat /proc/self/uid_map; id -u"], edit=with_userns)
    r = runsd.run("run", "--service", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split("\n")
    assert out[0].split() == ["0", str(HOST_ID), "65536"], out
    assert out[1] == "0", out
    nothing_left(cid)


def test_devices_are_the_hosts_nodes(runsd, bundle, cid, nothing_left):
    # mknod is not for a user namespace's root: linux.devices are bound from
    # the host, and one the host lacks is an error naming it
    def devices(*paths):
        return edits(with_userns, lambda c: c["linux"].update(
            devices=[{"path": p, "type": "c", "major": 10, "minor": 229} for p in paths]))
    out = run_in(runsd, bundle, cid, "grep -c ' /dev/fuse ' /proc/self/mountinfo; ls -l /dev/fuse",
                 edit=devices("/dev/fuse"))
    assert out.split()[0] == "1" and out.split()[5:7] == ["10,", "229"], out
    bundle.configure(args=["true"], edit=lambda c: c["linux"]["devices"][0].update(path="/dev/runsd-no-such-node"))
    err = runsd.fail("create", "--bundle", bundle.path, cid)
    assert "linux.devices[0]" in err and "/dev/runsd-no-such-node" in err, err
    nothing_left(cid)


def test_process_is_the_mapped_host_id(host, runsd, bundle, cid):
    bundle.configure(args=["sleep", "1000"], edit=with_userns)
    runsd.ok("create", "--bundle", bundle.path, cid)
    pid = runsd.state(cid)["pid"]
    # the init is root of the namespace before it starts the process...
    assert status_ids(host, pid) == {"Uid": [str(HOST_ID)] * 4, "Gid": [str(HOST_ID)] * 4}
    runsd.ok("start", cid)
    runsd.wait_status(cid, "running")
    # ... and so is the process, which the host sees as uid 100000
    assert status_ids(host, pid) == {"Uid": [str(HOST_ID)] * 4, "Gid": [str(HOST_ID)] * 4}
    assert host.run(["stat", "-c", "%u", f"/proc/{pid}"]).stdout.strip() == str(HOST_ID)


def test_user_inside_maps_to_its_host_id(host, runsd, bundle, cid):
    def user(cfg):
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.configure(args=["sleep", "1000"], edit=edits(with_userns, user))
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    ids = status_ids(host, runsd.state(cid)["pid"])
    assert ids == {"Uid": [str(HOST_ID + 1000)] * 4, "Gid": [str(HOST_ID + 1000)] * 4}


def test_files_and_mounts_inside(runsd, bundle, cid):
    def sys_admin(cfg):
        for k in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][k].append("CAP_SYS_ADMIN")
    script = ("touch /dev/shm/f && stat -c %u:%g /dev/shm/f; "
              "grep -E ' /(proc|sys|dev/pts|dev/mqueue) ' /proc/self/mounts | cut -d' ' -f2,3; "
              # a proc of its own pid namespace, mounted from inside: the
              # user namespace owns its mount and pid namespaces
              "mkdir /dev/shm/p && mount -t proc proc /dev/shm/p && ls /dev/shm/p/1/ns/user && "
              "echo hi > /dev/null && cat /dev/zero | head -c 3 | wc -c")
    out = run_in(runsd, bundle, cid, script, edit=edits(with_userns, sys_admin)).split("\n")
    assert out[0] == "0:0", out
    assert sorted(out[1:5]) == ["/dev/mqueue mqueue", "/dev/pts devpts", "/proc proc", "/sys sysfs"], out
    assert out[5:7] == ["/dev/shm/p/1/ns/user", "3"], out


def test_sysfs_bound_without_network_namespace(runsd, bundle, cid):
    # sysfs needs a network namespace the user namespace owns: without one
    # the host's /sys is bound in, read-only as the config asks
    out = run_in(runsd, bundle, cid, "ls /sys/kernel >/dev/null && grep ' /sys ' /proc/self/mounts; "
                 "touch /sys/x 2>&1; true",
                 edit=edits(with_userns, lambda c: drop_namespace(c, "network")))
    sys_line, touch = out.strip().split("\n")
    assert sys_line.split()[3].split(",")[0] == "ro", out
    assert "Read-only" in touch, out


def test_join_user_namespace_by_path(host, runsd, bundle, cid):
    # a process of the host in a user namespace of its own (root maps to
    # root); the new mount, pid, ... namespaces of the container then belong
    # to that user namespace
    p = host.popen(["unshare", "--user", "--map-root-user", "sh", "-c", "echo $$; exec sleep 1000"],
                   stdout=subprocess.PIPE, text=True)
    pid = p.stdout.readline().strip()
    try:
        assert pid.isdigit(), pid
        theirs = host.run(["readlink", f"/proc/{pid}/ns/user"]).stdout.strip()

        def join(cfg):
            add_namespace(cfg, "user", f"/proc/{pid}/ns/user")
            # gid 5 is not mapped in a namespace that maps root alone
            for m in cfg["mounts"]:
                if m["type"] == "devpts":
                    m["options"].remove("gid=5")
        out = run_in(runsd, bundle, cid, "readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u; "
                     "readlink /proc/self/ns/mnt", edit=join).split("\n")
        assert out[0] == theirs, out
        assert out[1].split() == ["0", "0", "1"], out
        assert out[2] == "0", out
        assert out[3] != host.run(["readlink", "/proc/self/ns/mnt"]).stdout.strip(), out
    finally:
        host.run(["kill", "-KILL", pid])
        p.wait(timeout=10)


def test_new_user_namespace_with_network_namespace_joined(host, runsd, bundle, cid):
    # the host's network namespace of a process must be joined from the
    # host's user namespace, before the new user namespace is made
    p = host.popen(["unshare", "--net", "sh", "-c", "echo $$; exec sleep 1000"],
                   stdout=subprocess.PIPE, text=True)
    pid = p.stdout.readline().strip()
    try:
        assert pid.isdigit(), pid
        theirs = host.run(["readlink", f"/proc/{pid}/ns/net"]).stdout.strip()

        def join(cfg):
            with_userns(cfg)
            for ns in cfg["linux"]["namespaces"]:
                if ns["type"] == "network":
                    ns["path"] = f"/proc/{pid}/ns/net"
        out = run_in(runsd, bundle, cid, "readlink /proc/self/ns/net; cat /proc/self/uid_map; id -u",
                     edit=join).split("\n")
        assert out[0] == theirs, out
        assert out[1].split() == ["0", str(HOST_ID), "65536"], out
        assert out[2] == "0", out
    finally:
        host.run(["kill", "-KILL", pid])
        p.wait(timeout=10)


# ------------------------------------------------------------ time namespace

def with_timens(offsets):
    def edit(cfg):
        add_namespace(cfg, "time")
        cfg["linux"]["timeOffsets"] = offsets
    return edit


@pytest.mark.parametrize("userns", [False, True], ids=["plain", "userns"])
def test_time_offsets(runsd, bundle, cid, userns):
    if not host_has_time_namespaces():
        pytest.skip("this kernel has no time namespaces")
    offsets = {"boottime": {"secs": DAY, "nanosecs": 0}, "monotonic": {"secs": 2 * DAY}}
    edit = edits(with_timens(offsets), *([with_userns] if userns else []))
    out = run_in(runsd, bundle, cid, "cat /proc/uptime /proc/self/timens_offsets", edit=edit).split("\n")
    assert float(out[0].split()[0]) >= DAY, out
    assert sorted(line.split() for line in out[1:3]) == [["boottime", "86400", "0"], ["monotonic", "172800", "0"]], out
    # the host's clock has not moved
    assert float(open("/proc/uptime").read().split()[0]) < float(out[0].split()[0]) - DAY / 2


def test_time_offset_out_of_range(host, runsd, bundle, cid, tmp_path, nothing_left):
    if not host_has_time_namespaces():
        pytest.skip("this kernel has no time namespaces")
    # accepted by the parser, refused by the kernel: the clock would go negative
    bundle.configure(args=["true"], edit=with_timens({"boottime": {"secs": -4000000000}}))
    line = one_line(runsd.fail("create", "--bundle", bundle.path, cid))
    assert "linux.timeOffsets.boottime" in line, line
    nothing_left(cid)


# ------------------------------------------------------------ sysctl, domainname

@pytest.mark.parametrize("userns", [False, True], ids=["plain", "userns"])
def test_sysctl_in_the_container_only(host, runsd, bundle, cid, userns):
    def sysctl(cfg):
        cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789",
                                  "fs.mqueue.msg_max": "42", "kernel.domainname": "sysctl.example"}
    keys = ("net/ipv4/ip_forward", "kernel/shmmax", "fs/mqueue/msg_max", "kernel/domainname")
    script = "cat " + " ".join(f"/proc/sys/{k}" for k in keys)
    before = host.run(["sh", "-c", script]).stdout
    out = run_in(runsd, bundle, cid, script, edit=edits(sysctl, *([with_userns] if userns else [])))
    assert out.split() == ["1", "123456789", "42", "sysctl.example"], out
    assert host.run(["sh", "-c", script]).stdout == before


def test_domainname(runsd, bundle, cid):
    out = run_in(runsd, bundle, cid, "cat /proc/sys/kernel/domainname; hostname",
                 edit=lambda c: c.update(domainname="example.org"))
    assert out.split() == ["example.org", "runsd-test"], out


def test_host_wide_sysctl_refused(host, runsd, bundle, cid, nothing_left):
    before = host.run(["cat", "/proc/sys/vm/swappiness"]).stdout
    bundle.configure(args=["true"], edit=lambda c: c["linux"].update(sysctl={"vm.swappiness": "3"}))
    for cmd in ("create", "run"):
        line = one_line(runsd.fail(cmd, "--bundle", bundle.path, cid))
        assert "config.json" in line and "linux.sysctl.vm.swappiness" in line, line
        nothing_left(cid)
    assert host.run(["cat", "/proc/sys/vm/swappiness"]).stdout == before


BAD = [
    # (what runsd must name, change to the default config)
    ("linux.uidMappings: [0] and [1] map overlapping containerID ranges",
     lambda c: with_userns(c, uid=MAP + [{"containerID": 1000, "hostID": 300000, "size": 1}])),
    ("linux.gidMappings: [0] and [1] map overlapping hostID ranges",
     lambda c: with_userns(c, gid=MAP + [{"containerID": 70000, "hostID": 100001, "size": 1}])),
    ("linux.uidMappings[0].size",
     lambda c: with_userns(c, uid=[{"containerID": 0, "hostID": HOST_ID, "size": 0}])),
    ("linux.uidMappings: needs a new user namespace",
     lambda c: c["linux"].update(uidMappings=MAP)),
    ("linux.gidMappings: a new user namespace needs mappings",
     lambda c: with_userns(c, gid=None)),
    ("linux.uidMappings: 341 mappings",
     lambda c: with_userns(c, uid=[{"containerID": i, "hostID": HOST_ID + i, "size": 1} for i in range(341)])),
    ("process.user.uid: 70000 is not mapped",
     lambda c: (with_userns(c), c["process"]["user"].update(uid=70000))),
    ("linux.timeOffsets: needs a new time namespace",
     lambda c: c["linux"].update(timeOffsets={"boottime": {"secs": DAY}})),
    ("linux.timeOffsets.realtime: unknown clock",
     lambda c: with_timens({"realtime": {"secs": 1}})(c)),
    ("linux.sysctl.net.ipv4.ip_forward: needs the container's own network namespace",
     lambda c: (drop_namespace(c, "network"), c["linux"].update(sysctl={"net.ipv4.ip_forward": "1"}))),
    ("linux.sysctl.kernel.shmmax: needs the container's own ipc namespace",
     lambda c: (drop_namespace(c, "ipc"), c["linux"].update(sysctl={"kernel.shmmax": "1"}))),
    ("linux.sysctl.kernel.pid_max: is not in a namespace of the container's own",
     lambda c: c["linux"].update(sysctl={"kernel.pid_max": "4096"})),
    ('linux.sysctl: "net.ipv4..ip_forward" is not a sysctl key',
     lambda c: c["linux"].update(sysctl={"net.ipv4..ip_forward": "1"})),
    ('linux.sysctl: "net/../../vm/swappiness" is not a sysctl key',
     lambda c: c["linux"].update(sysctl={"net/../../vm/swappiness": "1"})),
    ("domainname: needs a new uts namespace",
     lambda c: (drop_namespace(c, "uts"), c.pop("hostname"), c.update(domainname="example.org"))),
]


@pytest.mark.parametrize("what,edit", BAD, ids=[w.split(":")[0] + f"-{i}" for i, (w, _) in enumerate(BAD)])
def test_bad_input(host, runsd, bundle, cid, what, edit, nothing_left):
    bundle.configure(args=["true"], edit=edit)
    line = one_line(runsd.fail("create", "--bundle", bundle.path, cid))
    assert "config.json: " + what in line, line
    nothing_left(cid)


@pytest.mark.all_layouts
@pytest.mark.parametrize("cgroupns", [False, True], ids=["host-cgroupns", "cgroupns"])
def test_cgroup_mount(runsd, bundle, cid, cgroupns):
    # the container's own cgroup, as without a user namespace: mounted in a
    # cgroup namespace the user namespace owns, else bound from the host's
    def edit(cfg):
        with_userns(cfg)
        cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                              "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})
        if cgroupns:
            add_namespace(cfg, "cgroup")
    out = run_in(runsd, bundle, cid, "grep -c cgroup /proc/self/mounts; "
                 "cat /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/cgroup.procs 2>/dev/null; true",
                 edit=edit).split()
    assert int(out[0]) >= 1 and "1" in out[1:], out


@pytest.mark.parametrize("userns", [False, True], ids=["plain", "userns"])
def test_sysctl_the_kernel_lacks(runsd, bundle, cid, userns, nothing_left):
    # a well-formed key of the container's namespace the kernel has not:
    # the init fails, and runsd removes what it made
    def edit(cfg):
        cfg["linux"]["sysctl"] = {"net.ipv4.no_such_key": "1"}
        if userns:
            with_userns(cfg)
    bundle.configure(args=["true"], edit=edit)
    line = one_line(runsd.fail("create", "--bundle", bundle.path, cid))
    assert "linux.sysctl.net.ipv4.no_such_key: No such file or directory" in line, line
    nothing_left(cid)
