"""runsd's commands, as a user (or containerd's shim) drives them:
create / start / state / kill / delete / run / list / spec."""

import datetime
import json
import re
import subprocess
import time

import pytest

COMMANDS = ("spec", "create", "start", "state", "kill", "delete", "run", "list")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# PID 1 of a PID namespace only gets the signals it has a handler for: this
# one records which signal came, then exits
TRAPPER = ("trap 'touch /got-term; exit 3' TERM; trap 'touch /got-hup; exit 4' HUP; "
           "sleep 1000 & wait")


def unit_of(cid):
    return f"runsd-{cid}.scope"


def create(runsd, bundle, cid, *extra):
    return runsd.ok("create", "--bundle", bundle.path, *extra, cid)


def start(runsd, bundle, cid):
    create(runsd, bundle, cid)
    runsd.ok("start", cid)
    return runsd.wait_status(cid, "running")


def wait_for(cond, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def unit_prop(host, unit, prop):
    return host.systemctl("show", "-p", prop, "--value", unit).stdout.strip()


def cgroup_procs(host, cgroup):
    """PIDs in cgroup (a ControlGroup of systemd) in the hierarchy systemd tracks with."""
    if host.mode == "unified":
        path = f"/sys/fs/cgroup{cgroup}/cgroup.procs"
    else:
        path = f"/sys/fs/cgroup/systemd{cgroup}/cgroup.procs"
    r = host.run(["cat", path])
    assert r.returncode == 0, r.stderr
    return [int(p) for p in r.stdout.split()]


def alive(host, pid):
    # inside the host: the PIDs runsd reports are of the host's PID namespace
    r = host.run(["cat", f"/proc/{pid}/stat"])
    return r.returncode == 0 and r.stdout[r.stdout.rindex(")") + 2] != "Z"


# ------------------------------------------------------------- help, spec

def test_version(runsd):
    out = runsd.ok("--version").splitlines()
    assert re.match(r"^runsd version \S+$", out[0]), out
    # runc's order: version, commit, spec (tests/test_features.py: all of it)
    assert re.match(r"^spec: 1\.\d+", out[2]), out


def test_help(runsd):
    r = runsd.run("--help")
    assert r.returncode == 0
    assert "usage" in r.stdout.lower()
    for cmd in COMMANDS:
        assert cmd in r.stdout, f"--help does not mention {cmd}"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(runsd, cmd):
    r = runsd.run(cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower() and cmd in r.stdout, r.stdout


def test_unknown_command(runsd):
    err = runsd.fail("frobnicate")
    assert "frobnicate" in err


def test_spec_writes_config_and_never_overwrites(runsd, tmp_path):
    runsd.ok("spec", "--bundle", tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["ociVersion"].startswith("1.")
    assert isinstance(cfg["process"]["args"], list) and cfg["process"]["args"]
    assert cfg["root"]["path"] == "rootfs"
    before = (tmp_path / "config.json").read_bytes()
    r = runsd.run("spec", "--bundle", tmp_path)
    assert r.returncode == 1
    assert "config.json" in r.stderr
    assert (tmp_path / "config.json").read_bytes() == before


def test_spec_defaults_to_cwd(runsd, tmp_path):
    runsd.ok("spec", cwd=tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["ociVersion"].startswith("1.")


# ------------------------------------------------------------- lifecycle

def test_create_start_kill_delete(host, runsd, bundle, cid, tmp_path, nothing_left):
    bundle.configure(args=["sh", "-c", "touch /started; exec sleep 1000"],
                     root={"path": "rootfs", "readonly": False})
    pidfile = tmp_path / "init.pid"
    create(runsd, bundle, cid, "--pid-file", pidfile)

    st = runsd.state(cid)
    assert st["status"] == "created"
    pid = st["pid"]
    assert isinstance(pid, int) and pid > 0
    assert int(pidfile.read_text()) == pid
    assert alive(host, pid)
    # the user's process has not run yet: the init waits for `start`, in an
    # open() of the exec FIFO
    assert host.run(["test", "-p", f"{runsd.root}/{cid}/exec.fifo"]).returncode == 0
    wchan = host.run(["cat", f"/proc/{pid}/wchan"]).stdout.strip()
    assert wchan in ("", "0", "wait_for_partner"), f"init waits in {wchan}"
    time.sleep(0.2)
    assert not (bundle.rootfs / "started").exists()

    # the init is in the container's scope, in runsd.slice
    unit = unit_of(cid)
    assert st["systemd-unit"] == unit
    assert unit_prop(host, unit, "ActiveState") == "active"
    assert unit_prop(host, unit, "Slice") == "runsd.slice"
    listed = host.systemctl("list-units", "--plain", "--no-legend", unit).stdout.split()
    assert listed[:4] == [unit, "loaded", "active", "running"], listed
    cgroup = unit_prop(host, unit, "ControlGroup")
    assert cgroup.endswith(f"/runsd.slice/{unit}"), cgroup
    assert pid in cgroup_procs(host, cgroup)
    assert f":{cgroup}\n" in host.run(["cat", f"/proc/{pid}/cgroup"]).stdout

    runsd.ok("start", cid)
    wait_for(lambda: (bundle.rootfs / "started").exists(), what="the process to run")
    st = runsd.state(cid)
    assert st["status"] == "running" and st["pid"] == pid
    assert unit_prop(host, unit, "ActiveState") == "active"

    runsd.ok("kill", cid, "KILL")
    st = runsd.wait_status(cid, "stopped")
    assert st["pid"] == 0
    assert not alive(host, pid)

    runsd.ok("delete", cid)
    nothing_left(cid)
    assert runsd.run("state", cid).returncode == 1


def test_init_is_in_its_units_cgroup_in_every_hierarchy(host, runsd, bundle, cid, nothing_left):
    # systemd moves a scope's processes only in the hierarchies it manages;
    # on v1 runsd follows the unit into the others (cpuset, cpuacct, blkio,
    # freezer), so the container's cgroup is its own in every hierarchy.
    bundle.configure(args=["sleep", "1000"])
    create(runsd, bundle, cid)
    pid = runsd.state(cid)["pid"]
    cgroup = unit_prop(host, unit_of(cid), "ControlGroup")
    hierarchies = host.run(["sh", "-c", "if [ -f /sys/fs/cgroup/cgroup.procs ]; then echo /sys/fs/cgroup/; "
                            "else for d in /sys/fs/cgroup/*/; do [ -f $d/cgroup.procs ] && echo $d; done; fi; "
                            "true"]).stdout.split()
    assert hierarchies
    dirs = [h.rstrip("/") + cgroup for h in hierarchies]
    for d in dirs:
        procs = host.run(["cat", f"{d}/cgroup.procs"]).stdout.split()
        assert str(pid) in procs, f"init {pid} is not in {d}"

    runsd.ok("delete", cid)
    nothing_left(cid)
    left = [d for d in dirs if host.run(["test", "-e", d]).returncode == 0]
    assert not left, f"cgroups left after delete: {left}"


def test_state_fields(runsd, bundle, cid):
    annotations = {"org.example.test": "yes", "org.example.empty": ""}
    bundle.configure(annotations=annotations)
    before = datetime.datetime.now(datetime.timezone.utc)
    create(runsd, bundle, cid)
    st = runsd.state(cid)
    assert isinstance(st["ociVersion"], str) and st["ociVersion"].startswith("1.")
    assert st["id"] == cid
    assert st["status"] == "created"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert st["bundle"] == str(bundle.path)
    assert st["rootfs"] == str(bundle.rootfs)
    assert RFC3339.match(st["created"]), st["created"]
    created = datetime.datetime.fromisoformat(st["created"].replace("Z", "+00:00"))
    assert abs((created - before).total_seconds()) < 60, st["created"]
    assert isinstance(st["owner"], str)
    assert st["annotations"] == annotations
    assert st["systemd-unit"] == unit_of(cid)


def test_create_defaults_to_cwd_as_bundle(runsd, bundle, cid):
    runsd.ok("create", cid, cwd=bundle.path)
    st = runsd.state(cid)
    assert st["status"] == "created"
    assert st["bundle"] == str(bundle.path)


def test_relative_bundle_is_made_absolute(runsd, bundle, cid, tmp_path):
    runsd.ok("create", "--bundle", bundle.path.name, cid, cwd=tmp_path)
    st = runsd.state(cid)
    assert st["bundle"] == str(bundle.path)
    assert st["rootfs"] == str(bundle.rootfs)


@pytest.mark.parametrize("kind", ["containerd", "runc-chars"])
def test_typical_ids(host, runsd, bundle, new_cid, kind, nothing_left):
    # containerd names containers with 64 hex digits; runc allows [\w+-.]
    base = new_cid()
    cid = {"containerd": (base.encode().hex() * 8)[:64],
           "runc-chars": f"my_ctr.{base}+a-b"}[kind]
    bundle.configure(args=["sh", "-c", "echo ok"])
    try:
        create(runsd, bundle, cid)
        st = runsd.state(cid)
        assert st["id"] == cid
        unit = st["systemd-unit"]
        assert unit_prop(host, unit, "ActiveState") == "active"
        runsd.ok("delete", cid)
        nothing_left(cid, units=[unit])
    finally:
        runsd.run("delete", "--force", cid)


def test_root_option(host, runsd, bundle, cid, tmp_path):
    root = f"/run/runsd-alt-{cid}"

    def alt(*args):
        return runsd.raw("--root", root, *args)
    try:
        r = alt("create", "--bundle", bundle.path, cid)
        assert r.returncode == 0, r.stderr
        assert host.run(["test", "-d", f"{root}/{cid}"]).returncode == 0
        assert host.run(["test", "-e", f"/run/runsd/{cid}"]).returncode != 0
        assert json.loads(alt("state", cid).stdout)["status"] == "created"
        # the default root does not know it
        r = runsd.raw("state", cid)
        assert r.returncode == 1 and "container does not exist" in r.stderr
        assert alt("delete", cid).returncode == 0
        assert host.run(["test", "-e", f"{root}/{cid}"]).returncode != 0
    finally:
        alt("delete", "--force", cid)
        host.run(["rm", "-rf", root])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_file(runsd, cid, tmp_path, fmt):
    # one log for many invocations (as containerd's shim does): each adds
    log = tmp_path / "runsd.log"
    for c in (cid, cid + "-b"):
        r = runsd.raw("--log", log, "--log-format", fmt, "state", c)
        assert r.returncode == 1
    text = log.read_text()
    assert "container does not exist" in text
    assert cid in text and cid + "-b" in text
    if fmt == "json":
        for line in text.splitlines():
            assert isinstance(json.loads(line), dict), line


def test_global_flags_accepted(runsd):
    for flags in (["--debug"], ["--systemd-cgroup"], ["--log-format", "text"]):
        r = runsd.run(*flags, "list")
        assert r.returncode == 0, f"{flags}: {r.stderr}"


def test_cgroups_path_names_slice_and_unit(host, runsd, bundle, cid, nothing_left):
    bundle.configure(edit=lambda c: c["linux"].update(cgroupsPath=f"runsdtest.slice:pfx:{cid}"))
    create(runsd, bundle, cid)
    unit = f"pfx-{cid}.scope"
    st = runsd.state(cid)
    assert st["systemd-unit"] == unit
    assert unit_prop(host, unit, "ActiveState") == "active"
    assert unit_prop(host, unit, "Slice") == "runsdtest.slice"
    assert st["pid"] in cgroup_procs(host, unit_prop(host, unit, "ControlGroup"))
    assert unit_of(cid) not in host.systemctl("list-units", "--all", "--plain").stdout
    runsd.ok("delete", cid)
    nothing_left(cid, units=[unit])


# ------------------------------------------------------------------ kill

@pytest.mark.parametrize("sig,marker", [
    (None, "got-term"), ("TERM", "got-term"), ("SIGTERM", "got-term"), ("15", "got-term"),
    ("HUP", "got-hup"), ("1", "got-hup"),
])
def test_kill_delivers_the_signal(runsd, bundle, cid, sig, marker):
    bundle.configure(args=["sh", "-c", TRAPPER], root={"path": "rootfs", "readonly": False})
    start(runsd, bundle, cid)
    runsd.ok("kill", cid, *([sig] if sig else []))
    runsd.wait_status(cid, "stopped")
    got = sorted(p.name for p in bundle.rootfs.glob("got-*"))
    assert got == [marker]


@pytest.mark.parametrize("sig", ["KILL", "SIGKILL", "9"])
def test_kill_kills(host, runsd, bundle, cid, sig):
    bundle.configure(args=["sleep", "1000"])
    pid = start(runsd, bundle, cid)["pid"]
    runsd.ok("kill", cid, sig)
    assert runsd.wait_status(cid, "stopped")["pid"] == 0
    assert not alive(host, pid)


def test_kill_all_reaches_every_process(host, runsd, bundle, cid):
    # sh (PID 1) ignores TERM; its children do not, and when they are gone
    # the `wait` returns and sh ends
    bundle.configure(args=["sh", "-c", "sleep 1000 & sleep 1000 & wait"])
    start(runsd, bundle, cid)
    runsd.ok("kill", "--all", cid, "TERM")
    runsd.wait_status(cid, "stopped")


@pytest.mark.parametrize("mode", [(), ("--service",)], ids=["scope", "service"])
def test_kill_all_reaches_what_a_stopped_init_left(host, runsd, bundle, cid, mode):
    """As runc: --all on a stopped container signals what is left in its
    unit. An init that did not own its PID namespace (a pod's containers
    share the sandbox's) leaves its children running when it exits, and the
    runc shim then sends them SIGKILL this way. When nothing is left it is
    no error."""
    def no_pid_namespace(cfg):
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]

    bundle.configure(args=["sh", "-c", "sleep 1000 & echo $! > /child"], edit=no_pid_namespace,
                     root={"path": "rootfs", "readonly": False})
    create(runsd, bundle, cid, *mode)
    runsd.ok("start", cid)
    runsd.wait_status(cid, "stopped")
    child = int((bundle.rootfs / "child").read_text())
    assert alive(host, child)
    runsd.ok("kill", "--all", cid, "KILL")
    wait_for(lambda: not alive(host, child), what=f"the init's child {child} to die")
    runsd.ok("kill", "--all", cid, "KILL")
    assert "container not running" in runsd.fail("kill", cid, "KILL")


@pytest.mark.parametrize("sig", ["NOSUCHSIG", "SIGNOPE", "12345", "0x"])
def test_kill_invalid_signal(host, runsd, bundle, cid, sig):
    pid = start(runsd, bundle, cid)["pid"]
    err = runsd.fail("kill", cid, sig)
    assert err.strip()
    time.sleep(0.1)
    assert runsd.state(cid)["status"] == "running"
    assert alive(host, pid)


def test_kill_stopped_container(runsd, bundle, cid):
    bundle.configure(args=["true"])
    create(runsd, bundle, cid)
    runsd.ok("start", cid)
    runsd.wait_status(cid, "stopped")
    err = runsd.fail("kill", cid, "KILL")
    assert "container not running" in err


# ---------------------------------------------------------------- delete

def test_delete_running_needs_force(host, runsd, bundle, cid, nothing_left):
    pid = start(runsd, bundle, cid)["pid"]
    r = runsd.run("delete", cid)
    assert r.returncode == 1
    assert r.stderr.strip()
    assert runsd.state(cid)["status"] == "running"
    assert alive(host, pid)
    assert unit_prop(host, unit_of(cid), "ActiveState") == "active"

    runsd.ok("delete", "--force", cid)
    nothing_left(cid)
    assert not alive(host, pid)


def test_delete_created_kills_it(host, runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", "touch /started; exec sleep 1000"],
                     root={"path": "rootfs", "readonly": False})
    create(runsd, bundle, cid)
    pid = runsd.state(cid)["pid"]
    runsd.ok("delete", cid)
    nothing_left(cid)
    assert not alive(host, pid)
    assert not (bundle.rootfs / "started").exists(), "delete started the process"


def test_delete_stopped(runsd, bundle, cid, nothing_left):
    bundle.configure(args=["true"])
    create(runsd, bundle, cid)
    runsd.ok("start", cid)
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)
    nothing_left(cid)


def test_delete_unknown(runsd, cid):
    err = runsd.fail("delete", cid)
    assert "container does not exist" in err
    assert runsd.run("delete", cid).returncode == 1


def test_delete_force_unknown_succeeds(runsd, cid):
    r = runsd.run("delete", "--force", cid)
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------- run

@pytest.mark.parametrize("script,code,out,err", [
    ("echo hello; echo oops >&2", 0, "hello\n", "oops\n"),
    ("echo before; exit 7", 7, "before\n", ""),
])
def test_run_foreground(runsd, bundle, cid, nothing_left, script, code, out, err):
    bundle.configure(args=["sh", "-c", script])
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == code, r.stderr
    assert r.stdout == out
    assert err in r.stderr
    nothing_left(cid)


def test_run_exit_code_of_killed_process(runsd, bundle, cid, tmp_path, nothing_left):
    bundle.configure(args=["sleep", "1000"])
    with open(tmp_path / "out", "w") as out:
        p = runsd.popen("run", "--bundle", bundle.path, cid, stdout=out,
                        stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: runsd.run("state", cid).returncode == 0
                 and runsd.state(cid)["status"] == "running", what="the container to run")
        runsd.ok("kill", cid, "KILL")
        p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 128 + 9, (tmp_path / "out").read_text()
    nothing_left(cid)


def test_run_feeds_stdin(runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", "read line; echo got $line"])
    r = runsd.run("run", "--bundle", bundle.path, cid, input="ping\n")
    assert (r.returncode, r.stdout) == (0, "got ping\n"), r.stderr
    nothing_left(cid)


def test_run_detach(host, runsd, bundle, cid, tmp_path, nothing_left):
    pidfile = tmp_path / "pid"
    t = time.monotonic()
    r = runsd.run("run", "--detach", "--bundle", bundle.path, "--pid-file", pidfile, cid,
                  timeout=20)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t < 10
    st = runsd.state(cid)
    assert st["status"] == "running"
    assert int(pidfile.read_text()) == st["pid"]
    assert alive(host, st["pid"])
    assert unit_prop(host, unit_of(cid), "ActiveState") == "active"
    runsd.ok("kill", cid, "KILL")
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)
    nothing_left(cid)


# ------------------------------------------------------------------ list

def test_list(runsd, make_bundle, new_cid):
    created, running = new_cid(), new_cid()
    b1, b2 = make_bundle("b1"), make_bundle("b2")
    create(runsd, b1, created)
    start(runsd, b2, running)

    states = json.loads(runsd.ok("list", "--format", "json"))
    assert isinstance(states, list)
    ours = {s["id"]: s for s in states if s["id"] in (created, running)}
    assert ours[created]["status"] == "created" and ours[created]["bundle"] == str(b1.path)
    assert ours[running]["status"] == "running" and ours[running]["bundle"] == str(b2.path)
    assert ours[running] == runsd.state(running)

    lines = runsd.ok("list").splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows[created][1:4] == [str(ours[created]["pid"]), "created", str(b1.path)]
    assert rows[running][1:4] == [str(ours[running]["pid"]), "running", str(b2.path)]
    assert runsd.ok("list", "--format", "table") == "\n".join(lines) + "\n"


def test_list_empty_root(runsd, tmp_path):
    (tmp_path / "root").mkdir()
    r = runsd.raw("--root", tmp_path / "root", "list", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) in ([], None)
    r = runsd.raw("--root", tmp_path / "root", "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("cmd", [["start"], ["state"], ["kill"], ["kill", "KILL"]])
def test_unknown_id(runsd, cid, cmd):
    r = runsd.run(cmd[0], cid, *cmd[1:])
    assert r.returncode == 1
    assert "container does not exist" in r.stderr


def test_create_existing_id(runsd, make_bundle, cid):
    create(runsd, make_bundle("b1"), cid)
    first = runsd.state(cid)
    err = runsd.fail("create", "--bundle", make_bundle("b2").path, cid)
    assert "container with given ID already exists" in err
    assert runsd.state(cid) == first


@pytest.mark.parametrize("round", range(3))
def test_concurrent_creates_of_one_id(runsd, make_bundle, cid, tmp_path, round):
    # output to files: the container created keeps runsd's stdout and stderr
    procs = []
    bundles = [make_bundle(f"b{i}") for i in range(2)]
    for i, bundle in enumerate(bundles):
        with open(tmp_path / f"out{i}", "w") as out:
            procs.append(runsd.popen("create", "--bundle", bundle.path, cid,
                                     stdout=out, stderr=subprocess.STDOUT))
    results = []
    for i, p in enumerate(procs):
        try:
            code = p.wait(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        results.append((code, (tmp_path / f"out{i}").read_text()))
    codes = sorted(r[0] for r in results)
    assert codes[0] == 0 and codes[1] != 0, results
    st = runsd.state(cid)
    assert st["status"] == "created"
    winner = [i for i, r in enumerate(results) if r[0] == 0][0]
    assert st["bundle"] == str(bundles[winner].path)
    assert "already exists" in results[1 - winner][1], results


def test_start_twice(runsd, bundle, cid):
    start(runsd, bundle, cid)
    err = runsd.fail("start", cid)
    assert "cannot start an already running container" in err
    assert runsd.state(cid)["status"] == "running"


def test_start_stopped(runsd, bundle, cid):
    bundle.configure(args=["true"])
    create(runsd, bundle, cid)
    runsd.ok("start", cid)
    runsd.wait_status(cid, "stopped")
    err = runsd.fail("start", cid)
    assert "cannot start a container that has stopped" in err


@pytest.mark.parametrize("how", [["stop", "--no-block"], ["kill", "--signal=KILL"]])
def test_start_after_systemd_stopped_the_unit(host, runsd, bundle, cid, how):
    bundle.configure(args=["sh", "-c", "touch /started; exec sleep 1000"],
                     root={"path": "rootfs", "readonly": False})
    create(runsd, bundle, cid)
    unit = unit_of(cid)
    r = host.systemctl(*how, unit)
    assert r.returncode == 0, r.stderr
    # the init, blocked before exec, may ignore SIGTERM (it is PID 1 of its PID
    # namespace): the unit then stays "deactivating" for a while, which is
    # already not active
    wait_for(lambda: unit_prop(host, unit, "ActiveState") != "active", what=f"{unit} to stop")
    r = runsd.run("start", cid)
    assert r.returncode == 1
    assert unit in r.stderr or "systemd" in r.stderr.lower(), r.stderr
    time.sleep(0.2)
    assert not (bundle.rootfs / "started").exists()
