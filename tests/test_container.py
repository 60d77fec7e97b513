"""What the process sees inside a container runsd runs (config from
bundle.py: like `runc spec`)."""

import subprocess

import pytest

# runc spec's capabilities: CAP_KILL (5), CAP_NET_BIND_SERVICE (10),
# CAP_AUDIT_WRITE (29)
DEFAULT_CAPS = f"{(1 << 5) | (1 << 10) | (1 << 29):016x}"
NAMESPACES = ("pid", "mnt", "uts", "ipc", "net")


def run_in(runsd, bundle, cid, script, **configure):
    """`runsd run` sh -c script in bundle; return its stdout (asserting exit 0)."""
    bundle.configure(args=["sh", "-c", script], **configure)
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def mounts(runsd, bundle, cid):
    """{mount point: [options]} of the container (the last mount wins)."""
    out = run_in(runsd, bundle, cid, "cat /proc/self/mounts")
    table = {}
    for line in out.splitlines():
        _src, target, fstype, opts = line.split()[:4]
        table[target] = [fstype, *opts.split(",")]
    return table


def test_process_is_pid_1(runsd, bundle, cid, nothing_left):
    assert run_in(runsd, bundle, cid, "echo $$") == "1\n"
    nothing_left(cid)


def test_namespaces_are_new(host, runsd, bundle, cid):
    script = "; ".join(f"readlink /proc/self/ns/{ns}" for ns in NAMESPACES)
    inside = run_in(runsd, bundle, cid, script).split()
    outside = host.run(["sh", "-c", script]).stdout.split()
    assert len(inside) == len(outside) == len(NAMESPACES)
    for ns, i, o in zip(NAMESPACES, inside, outside):
        assert i.startswith(f"{ns}:[") and i != o, f"{ns}: {i} inside, {o} in the host"


def test_shared_namespace_when_not_asked_for(host, runsd, bundle, cid):
    # no "network" entry: the container stays in the host's network namespace
    def drop_net(cfg):
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"]
                                      if n["type"] != "network"]
    inside = run_in(runsd, bundle, cid, "readlink /proc/self/ns/net", edit=drop_net)
    assert inside == host.run(["readlink", "/proc/self/ns/net"]).stdout


def test_join_network_namespace_by_path(host, runsd, bundle, cid):
    # a process of the host in a network namespace of its own; its PID as
    # seen in the host, where runsd resolves the path
    p = host.popen(["unshare", "--net", "sh", "-c", "echo $$; exec sleep 1000"],
                   stdout=subprocess.PIPE, text=True)
    pid = p.stdout.readline().strip()
    try:
        assert pid.isdigit(), pid
        theirs = host.run(["readlink", f"/proc/{pid}/ns/net"]).stdout.strip()
        assert theirs and theirs != host.run(["readlink", "/proc/self/ns/net"]).stdout.strip()

        def join(cfg):
            for ns in cfg["linux"]["namespaces"]:
                if ns["type"] == "network":
                    ns["path"] = f"/proc/{pid}/ns/net"
        inside = run_in(runsd, bundle, cid, "readlink /proc/self/ns/net", edit=join).strip()
        assert inside == theirs
    finally:
        # it is ours: end it by its PID, inside the host
        host.run(["kill", "-KILL", pid])
        p.wait(timeout=10)


def test_hostname(runsd, bundle, cid):
    assert run_in(runsd, bundle, cid, "hostname", hostname="box-7") == "box-7\n"


def test_readonly_root(runsd, bundle, cid):
    out = run_in(runsd, bundle, cid, "touch /x 2>&1; echo rc=$?")
    assert "rc=1" in out and "Read-only file system" in out
    assert not (bundle.rootfs / "x").exists()


def test_writable_root(runsd, bundle, cid):
    out = run_in(runsd, bundle, cid, "touch /x; echo rc=$?",
                 root={"path": "rootfs", "readonly": False})
    assert out == "rc=0\n"
    assert (bundle.rootfs / "x").exists()


def test_devices_and_file_systems(runsd, bundle, cid):
    script = """
for d in null zero full random urandom tty ptmx; do test -c /dev/$d || echo "no /dev/$d"; done
for d in /dev/pts /dev/shm /dev/mqueue /proc/self /sys/kernel; do test -d $d || echo "no $d"; done
test -f /proc/self/status || echo "no /proc"
echo x > /dev/null || echo "/dev/null not writable"
echo "zero $(head -c 5 /dev/zero | wc -c)"
echo "urandom $(head -c 5 /dev/urandom | wc -c)"
echo x 2>/dev/null > /dev/full && echo "/dev/full took a write"
echo end
"""
    assert run_in(runsd, bundle, cid, script) == "zero 5\nurandom 5\nend\n"


def test_standard_mounts(runsd, bundle, cid):
    m = mounts(runsd, bundle, cid)
    assert m["/"][1] == "ro"
    assert m["/proc"][0] == "proc"
    assert m["/dev"][0] == "tmpfs"
    assert m["/dev/pts"][0] == "devpts"
    assert m["/dev/shm"][0] == "tmpfs"
    assert m["/dev/mqueue"][0] == "mqueue"
    assert m["/sys"][0] == "sysfs" and m["/sys"][1] == "ro"


def test_process_cwd_env(runsd, bundle, cid):
    def edit(cfg):
        cfg["process"].update(cwd="/tmp", env=["PATH=/bin", "FOO=bar baz", "EMPTY="])
    out = run_in(runsd, bundle, cid, 'pwd; echo "$FOO"; env | sort', edit=edit)
    lines = out.splitlines()
    assert lines[:2] == ["/tmp", "bar baz"]
    assert {"PATH=/bin", "FOO=bar baz", "EMPTY="} <= set(lines[2:])


@pytest.mark.parametrize("uid,gid", [(0, 0), (65534, 65534), (1000, 1001)])
def test_process_user(runsd, bundle, cid, uid, gid):
    out = run_in(runsd, bundle, cid, "id -u; id -g; touch /tmp/x && stat -c '%u %g' /tmp/x",
                 edit=lambda c: c["process"].update(user={"uid": uid, "gid": gid}),
                 root={"path": "rootfs", "readonly": False})
    assert out.split() == [str(uid), str(gid), str(uid), str(gid)]
    st = (bundle.rootfs / "tmp" / "x").stat()
    assert (st.st_uid, st.st_gid) == (uid, gid)


def test_default_capabilities(runsd, bundle, cid):
    out = run_in(runsd, bundle, cid, "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status")
    caps = dict(line.split(":\t") for line in out.splitlines())
    # (no CapAmb: runc spec has no inheritable set, and the kernel raises an
    # ambient capability only if it is inheritable too)
    for kind in ("CapPrm", "CapEff", "CapBnd"):
        assert caps[kind] == DEFAULT_CAPS, f"{kind} {caps[kind]}, want {DEFAULT_CAPS}"


def test_capabilities_as_configured(runsd, bundle, cid):
    def edit(cfg):
        cfg["process"]["capabilities"] = {k: ["CAP_CHOWN"] for k in
                                          ("bounding", "effective", "permitted")}
    out = run_in(runsd, bundle, cid, "grep -E '^Cap(Eff|Bnd|Amb)' /proc/self/status", edit=edit)
    caps = dict(line.split(":\t") for line in out.splitlines())
    assert caps == {"CapEff": f"{1:016x}", "CapBnd": f"{1:016x}", "CapAmb": f"{0:016x}"}


@pytest.mark.parametrize("nnp,want", [(True, "1"), (False, "0")])
def test_no_new_privileges(runsd, bundle, cid, nnp, want):
    out = run_in(runsd, bundle, cid, "grep NoNewPrivs /proc/self/status",
                 edit=lambda c: c["process"].update(noNewPrivileges=nnp))
    assert out.split() == ["NoNewPrivs:", want]


def test_rlimits(runsd, bundle, cid):
    def edit(cfg):
        cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 256}]
    assert run_in(runsd, bundle, cid, "ulimit -Sn; ulimit -Hn", edit=edit).split() == \
        ["256", "512"]


def existing(host, paths, test="-e"):
    """Those of paths the kernel has (e.g. no /proc/kcore on some)."""
    return [p for p in paths if host.run(["test", test, p]).returncode == 0]


def test_masked_paths(host, runsd, bundle, cid):
    masked = bundle.config["linux"]["maskedPaths"]
    files, dirs = existing(host, masked, "-f"), existing(host, masked, "-d")
    # nonempty outside: /proc/keys, /proc/timer_list at least
    assert host.run(["sh", "-c", "cat /proc/keys /proc/timer_list | wc -c"]).stdout.strip() != "0"
    script = "".join(f'echo "{f} $(cat {f} | wc -c)"\n' for f in files)
    script += "".join(f'echo "{d} $(ls -A {d} | wc -l)"\n' for d in dirs)
    out = run_in(runsd, bundle, cid, script)
    assert out.splitlines() == [f"{p} 0" for p in files + dirs]


def test_readonly_paths(host, runsd, bundle, cid):
    ro = existing(host, bundle.config["linux"]["readonlyPaths"])
    assert "/proc/sys" in ro
    m = mounts(runsd, bundle, cid)
    for path in ro:
        assert path in m, f"{path} is not a mount of its own"
        assert "ro" in m[path][1:], f"{path}: {m[path]}"


def test_cgroup_namespace_shows_only_its_own_cgroup(host, runsd, bundle, cid):
    # In every hierarchy the container is at the root of its cgroup
    # namespace, and its cgroup mount shows its own cgroup, nothing above or
    # beside it (on v1 this needs the init in its unit's cgroup everywhere).
    # A cgroup of someone else's in every hierarchy, which must not show:
    sibling = f"runsd-test-sibling-{cid}"
    hierarchies = host.run(["sh", "-c", "if [ -f /sys/fs/cgroup/cgroup.procs ]; then echo /sys/fs/cgroup/; "
                            "else for d in /sys/fs/cgroup/*/; do [ -f $d/cgroup.procs ] && echo $d; done; fi; "
                            "true"]).stdout.split()
    assert hierarchies
    for h in hierarchies:
        assert host.run(["mkdir", f"{h}{sibling}"]).returncode == 0

    def edit(cfg):
        cfg["linux"]["namespaces"].append({"type": "cgroup"})
        cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                              "options": ["nosuid", "noexec", "nodev", "ro"]})
    try:
        out = run_in(runsd, bundle, cid, "cat /proc/self/cgroup; echo --; "
                     "find /sys/fs/cgroup -mindepth 1 -maxdepth 2", edit=edit)
    finally:
        for h in hierarchies:
            host.run(["rmdir", f"{h}{sibling}"])
    own, dirs = out.split("--\n")
    # (lines of hierarchies the host has not mounted show "/" too)
    assert own.split() and all(line.endswith(":/") for line in own.split()), own
    assert dirs.split(), "nothing under the container's /sys/fs/cgroup"
    seen = [d for d in dirs.split() if sibling in d]
    assert not seen, f"another cgroup is visible in the container: {seen}"
