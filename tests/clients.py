"""Real clients driving runsd: containerd (`ctr`, the runc v2 shim) and podman
(with conmon), hermetic inside the test host.

    archive = write_oci_archive(make_rootfs(d / "rootfs"), d / "busybox.tar")
    wrapper = Wrapper(d / "bin" / "runsd", runsd_binary, d / "calls.log")
    c = Containerd(host, d / "containerd", "containerd.service").start()
    c.ok("images", "import", archive)
    c.ok("run", "--rm", *ctr_runtime_args(wrapper.path, "t1"), IMAGE, "t1", "echo", "hello")
    c.stop()
    pm = Podman(host, d / "podman", {"runsd": wrapper.path})
    pm.ok("run", "--rm", "--rootfs", rootfs, "echo", "hello")
    wrapper.calls()      # [Call(argv=[...], rc=0, ...)]: what each client ran

The test modules share the fixtures at the end of this file (a test host
per module, its scratch directory, the runtime wrapper) and its check of the
logged calls, assert_calls_supported().

Everything the clients keep lives under the given directory (under the
tests' scratch directory, which the host sees at the same path), or in the
host's private /run and /tmp: never the machine's /var/lib/containerd,
/var/lib/containers, /etc/containerd or /etc/containers (which the host mounts
read-only anyway, so a client that tried would fail there instead).
"""

import hashlib
import io
import json
import os
import re
import shlex
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Runsd, own_host

IMAGE = "localhost/busybox:latest"
# what the clients get as environment in the host: a plain root shell's
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
SANITIZER_OPTIONS = ("ASAN_OPTIONS", "UBSAN_OPTIONS")
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


# ------------------------------------------------------------- the image

def _sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _rootfs_layer(rootfs):
    """An uncompressed tar of rootfs: relative names, owned by 0:0."""
    buf = io.BytesIO()

    def reset(info):
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(Path(rootfs).rglob("*")):
            tar.add(path, arcname=str(path.relative_to(rootfs)), recursive=False, filter=reset)
    return buf.getvalue()


def write_oci_archive(rootfs, archive, name=IMAGE, cmd=("sh",)):
    """Write rootfs as a one-layer OCI image archive (what `ctr images
    import` and `podman load` take), named name, its command cmd; return
    archive's path."""
    layer = _rootfs_layer(rootfs)
    config = json.dumps({
        "architecture": ARCH, "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": list(cmd)},
        "rootfs": {"type": "layers", "diff_ids": [_sha256(layer)]},
    }).encode()

    def descriptor(media_type, data, **extra):
        return {"mediaType": media_type, "digest": _sha256(data), "size": len(data), **extra}

    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", layer)],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [descriptor(
            "application/vnd.oci.image.manifest.v1+json", manifest,
            platform={"architecture": ARCH, "os": "linux"},
            annotations={"io.containerd.image.name": name,
                         "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]})],
    }).encode()
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
             "index.json": index}
    for blob in (layer, config, manifest):
        files["blobs/sha256/" + hashlib.sha256(blob).hexdigest()] = blob
    with tarfile.open(archive, "w") as tar:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for fname, data in files.items():
            info = tarfile.TarInfo(fname)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return Path(archive)


# ------------------------------------------------------- the call logger

@dataclass
class Call:
    """One run of the runtime by a client."""
    pid: int
    name: str           # the name it was run as (basename of argv[0])
    cwd: str
    argv: list          # without argv[0]
    rc: int = None      # None: still running, or killed before it could say


SEP = "\x1f"            # between fields of a log line; no argument holds it

WRAPPER = """#!/bin/bash
# runsd as a client calls it, every call logged to LOG (tests/clients.py):
#   PID<US>call<US>NAME<US>CWD<US>ARG<US>ARG...   before runsd runs
#   PID<US>rc<US>N                                 once it has exited
# runsd runs as a child, not exec'd, so its exit code can be logged; signals
# reach it, and stdin is its caller's (bash would give a background child
# /dev/null).  It still forks the container's init, which the client (a
# subreaper: the shim, conmon) inherits once runsd and this script are gone.
{env}log={log}
printf -v args '\\x1f%s' "$@"
printf '%s\\x1fcall\\x1f%s\\x1f%s%s\\n' "$$" "${{0##*/}}" "$PWD" "$args" >>"$log"
{runsd} "$@" <&0 &
child=$!
for sig in TERM INT HUP QUIT USR1 USR2 WINCH; do
        trap "kill -$sig $child 2>/dev/null" "$sig"
done
# a trapped signal interrupts wait; bash keeps the status of a reaped child
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
rc=$?
printf '%s\\x1frc\\x1f%s\\n' "$$" "$rc" >>"$log"
exit "$rc"
"""


class Wrapper:
    """A runtime for the clients: a script that logs each call's argv and
    exit code to log and runs runsd with it.

    Under a sanitizer build, runsd's reports go to files next to the log
    (its stderr belongs to the client): sanitizer_reports() lists them."""

    def __init__(self, path, runsd, log):
        self.path, self.runsd, self.log = Path(path), Path(runsd), Path(log)
        env = ""
        for var in SANITIZER_OPTIONS:
            opts = os.environ.get(var)
            if opts is not None:
                opts += f":log_path={self.log.parent / 'sanitizer'}"
                env += f"export {var}={shlex.quote(opts)}\n"
        self.path.write_text(WRAPPER.format(env=env, log=shlex.quote(str(self.log)),
                                            runsd=shlex.quote(str(self.runsd))))
        self.path.chmod(0o755)
        self.log.touch()

    def calls(self):
        """Every call logged so far, in order."""
        calls, by_pid = [], {}
        for line in self.log.read_text().splitlines():
            pid, kind, *rest = line.split(SEP)
            if kind == "call":
                c = Call(int(pid), rest[0], rest[1], rest[2:])
                calls.append(c)
                by_pid[c.pid] = c
            elif kind == "rc" and int(pid) in by_pid:
                by_pid.pop(int(pid)).rc = int(rest[0])
        return calls

    def sanitizer_reports(self):
        return {p.name: p.read_text(errors="replace")
                for p in self.log.parent.glob("sanitizer.*")}


# ---------------------------------------------------- what runsd supports

# runsd's command line as the clients may use it: option -> takes a value.
# A call with anything else is one runsd would refuse (or ignore wrongly).
GLOBAL_OPTIONS = {"--root": True, "--log": True, "--log-format": True, "--debug": False,
                  "--systemd-cgroup": False, "--version": False, "-v": False}
COMMAND_OPTIONS = {
    "create": {"--bundle": True, "-b": True, "--pid-file": True, "--console-socket": True,
               "--preserve-fds": True, "--no-new-keyring": False, "--no-pivot": False},
    "run": {"--bundle": True, "-b": True, "--pid-file": True, "--console-socket": True,
            "--preserve-fds": True, "--detach": False, "-d": False,
            "--no-new-keyring": False, "--no-pivot": False},
    "exec": {"--process": True, "-p": True, "--detach": False, "-d": False, "--pid-file": True,
             "--tty": False, "-t": False, "--console-socket": True, "--cwd": True,
             "--env": True, "-e": True, "--user": True, "-u": True, "--cap": True, "-c": True,
             "--no-new-privs": False, "--preserve-fds": True},
    "start": {}, "state": {}, "pause": {}, "resume": {},
    "kill": {"--all": False, "-a": False},
    "delete": {"--force": False, "-f": False},
    "ps": {"--format": True, "-f": True},
    "list": {"--format": True, "-f": True, "--quiet": False, "-q": False},
    "events": {"--stats": False, "--interval": True},
    "update": {"--resources": True, "-r": True, "--memory": True, "--memory-swap": True,
               "--memory-reservation": True, "--cpu-shares": True, "--cpu-quota": True,
               "--cpu-period": True, "--cpuset-cpus": True, "--cpuset-mems": True,
               "--pids-limit": True, "--blkio-weight": True},
}
# positional arguments after the options (ps: then ps(1)'s own; exec: the
# command, without --process)
COMMAND_ARGS = {"create": (1, 1), "run": (1, 1), "exec": (1, None), "start": (1, 1), "state": (1, 1),
                "pause": (1, 1), "resume": (1, 1), "kill": (1, 2), "delete": (1, 1),
                "ps": (1, None), "list": (0, 0), "events": (1, 1), "update": (1, 1)}


def _options(args, table):
    """Walk args' leading options against table: (problems, rest)."""
    problems, i = [], 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        name, eq, _ = args[i].partition("=")
        if name not in table:
            problems.append(f"option {name}")
        elif table[name] and not eq:
            i += 1                  # its value
        i += 1
    return problems, args[i:]


def unsupported(argv):
    """What in argv (a runtime call, without argv[0]) runsd does not take:
    a list of strings, empty if runsd supports the whole call."""
    problems, rest = _options(argv, GLOBAL_OPTIONS)
    if not rest:
        return problems if any(a in ("--version", "-v") for a in argv) else \
            problems + ["no command"]
    command, args = rest[0], rest[1:]
    if command not in COMMAND_OPTIONS:
        return problems + [f"command {command}"]
    opt_problems, positional = _options(args, COMMAND_OPTIONS[command])
    problems += [f"{command} {p}" for p in opt_problems]
    lo, hi = COMMAND_ARGS[command]
    if len(positional) < lo or (hi is not None and len(positional) > hi):
        problems.append(f"{command}: {len(positional)} arguments")
    return problems


def describe(calls):
    """Calls as shell-like lines, for a report or an assertion message."""
    return "\n".join(f"  {c.name} {shlex.join(c.argv)}  -> rc={c.rc}" for c in calls)


def assert_calls_supported(wrapper):
    """Every call logged by wrapper is one runsd takes, and no sanitizer
    reported on runsd.  (Under `pytest -s` it prints the calls.)"""
    calls = wrapper.calls()
    if not calls:
        pytest.skip("no calls logged: run it with the other tests of its file")
    bad = [f"{c.name} {shlex.join(c.argv)}: {', '.join(unsupported(c.argv))}"
           for c in calls if unsupported(c.argv)]
    assert not bad, "runsd does not take:\n" + "\n".join(bad)
    print("calls:\n" + describe(calls))
    reports = wrapper.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports.values())


# ----------------------------------------- what runsd does not have yet

class RunsdRefused(AssertionError):
    """A client's command failed because runsd refused something it does not
    support yet (a config field, a command, an option)."""


# runsd's words for that (src/spec-parse.c, src/main.c), as the clients
# pass them on (ctr: from log.json; podman: from conmon's json log)
REFUSAL = re.compile(r"[^\n]*(not supported yet by runsd|unknown command \"[^\"]*\""
                     r"|unknown option '[^']*')[^\n]*")


def check_refused(command, r):
    """Raise RunsdRefused if r, a failed client command, failed on a refusal."""
    m = REFUSAL.search(r.stderr + r.stdout) if r.returncode != 0 else None
    if m:
        raise RunsdRefused(f"{command}: {m.group(0).strip()}")


def needs(*missing):
    """Mark a test that cannot pass until runsd has what is named: it is
    expected to fail with RunsdRefused (any other failure is a failure), and
    strict, so the day it passes it turns red and the mark must go."""
    return pytest.mark.xfail(strict=True, raises=RunsdRefused,
                             reason="needs runsd " + ", ".join(missing))




# ------------------------------------------------------------ containerd

CONTAINERD_CONFIG = """\
version = 2
root = "{d}/root"
state = "{d}/state"
{top}
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  # the default, /opt/containerd, would be made on the machine
  path = "{d}/opt"
"""
# the CRI plugin would start a CNI syncer and a stream server; ctr needs none
NO_CRI = 'disabled_plugins = ["io.containerd.grpc.v1.cri"]'

class Containerd:
    """containerd as a transient service of the host (start(), stop()), all
    its state in d.

    Not configurable in containerd 1.6, but private to the host: the
    runtime's --root (/run/containerd/runc/<namespace>), the shims' sockets
    (/run/containerd/s/) and ctr's FIFOs (/run/containerd/fifo/)."""

    def __init__(self, host, d, unit, cri_config=None):
        """cri_config: the CRI plugin's tables (tests/cri.py); without
        them containerd runs with the plugin disabled."""
        self.host, self.dir, self.unit = host, Path(d), unit
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "config.toml"
        self.config.write_text(CONTAINERD_CONFIG.format(d=self.dir, top="" if cri_config else NO_CRI)
                               + (cri_config or ""))
        self.socket = self.dir / "containerd.sock"

    def start(self):
        # Type=notify: systemd-run returns once containerd says it is ready.
        # No DefaultDependencies: the host has no sysinit.target to order after.
        r = self.host.run(["systemd-run", f"--unit={self.unit}", "-p", "Type=notify",
                           "-p", "DefaultDependencies=no", "-p", "Delegate=yes",
                           "/usr/bin/containerd", "--config", self.config], env=ENV)
        if r.returncode != 0:
            raise RuntimeError(f"starting containerd: {r.stderr}\n{self.journal()}")
        return self

    def stop(self):
        """Stop containerd and its shims (their unit's cgroup)."""
        self.host.systemctl("stop", self.unit)
        self.host.systemctl("reset-failed", self.unit)

    def journal(self):
        return self.host.run(["journalctl", "--no-pager", "-u", self.unit, "-n", "50"]).stdout

    def ctr(self, *args, timeout=60):
        return self.host.run(["ctr", "--address", self.socket, *map(str, args)],
                             env=ENV, timeout=timeout)

    def ok(self, *args, **kw):
        r = self.ctr(*args, **kw)
        check_refused(f"ctr {args[0]} {args[1]}", r)
        assert r.returncode == 0, (f"ctr {shlex.join(map(str, args))} exited {r.returncode}\n"
                                   f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r.stdout

    def tasks(self):
        """{id: (pid, status)} from `ctr task ls`."""
        lines = self.ok("task", "ls").splitlines()[1:]
        return {f[0]: (int(f[1]), f[2]) for f in (line.split() for line in lines) if f}


def ctr_runtime_args(runtime, cid, cgroup=None):
    """`ctr run` options to run a task with runtime as the runc v2 shim's
    runtime binary, in systemd cgroup mode: what a node configured with
    BinaryName and SystemdCgroup does.  The cgroup (linux.cgroupsPath, which
    ctr requires in that mode) makes the unit ctr-<cid>.scope in
    system.slice."""
    return ["--runtime", "io.containerd.runc.v2", "--runc-binary", str(runtime),
            "--runc-systemd-cgroup", "--cgroup", cgroup or f"system.slice:ctr:{cid}"]


# --------------------------------------------------------------- podman

CONTAINERS_CONF = """\
[containers]
netns = "none"
[engine]
cgroup_manager = "systemd"
events_logger = "file"
events_logfile_path = "{d}/events.log"
tmp_dir = "{d}/tmp"
image_copy_tmp_dir = "{d}/tmp"
runtime = "{default}"
# podman gives --log-format=json --log FILE only to the runtimes named here
runtime_supports_json = [{names}]
[engine.runtimes]
{runtimes}
[network]
network_config_dir = "{d}/net"
"""

STORAGE_CONF = """\
[storage]
driver = "vfs"
graphroot = "{d}/root"
# podman's default, in the host's private /run: podman refuses a runroot
# longer than 50 characters on its command line, and conmon's exit command
# (`podman container cleanup`, which records the exit code) carries it there
runroot = "/run/containers/storage"
"""


class Podman:
    """podman with every file it keeps under d (but its runroot: see
    STORAGE_CONF), configured (containers.conf,
    storage.conf, registries.conf in d) to run its containers
    with runtimes ({name: path}; the first is the default), in systemd cgroup
    mode, without a network."""

    def __init__(self, host, d, runtimes):
        self.host, self.dir = host, Path(d)
        for sub in ("tmp", "net", "home"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "containers.conf"
        self.conf.write_text(CONTAINERS_CONF.format(
            d=self.dir, default=next(iter(runtimes)),
            names=", ".join(f'"{n}"' for n in runtimes),
            runtimes="".join(f'{n} = ["{p}"]\n' for n, p in runtimes.items())))
        self.storage_conf = self.dir / "storage.conf"
        self.storage_conf.write_text(STORAGE_CONF.format(d=self.dir))
        self.registries_conf = self.dir / "registries.conf"
        self.registries_conf.write_text("unqualified-search-registries = []\n")
        self.env = {**ENV, "HOME": str(self.dir / "home"),
                    "CONTAINERS_CONF": str(self.conf),
                    "CONTAINERS_STORAGE_CONF": str(self.storage_conf),
                    "CONTAINERS_REGISTRIES_CONF": str(self.registries_conf)}

    def podman(self, *args, timeout=60):
        return self.host.run(["podman", *map(str, args)], env=self.env, timeout=timeout)

    def ok(self, *args, **kw):
        r = self.podman(*args, **kw)
        check_refused(f"podman {args[0]}", r)
        assert r.returncode == 0, (f"podman {shlex.join(map(str, args))} exited {r.returncode}\n"
                                   f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r.stdout


# ------------------------------------------------ fixtures of the modules

@pytest.fixture(scope="module")
def host(layout, request):
    """Overrides conftest's: a test host for the module alone, so the
    clients' daemons, shims and conmons go down with it."""
    if os.geteuid() != 0:
        pytest.skip("runsd's tests need root (they boot systemd and create containers)")
    yield from own_host(request.module.__name__.removeprefix("test_"), layout)


@pytest.fixture(scope="module")
def runsd(runsd_bin, host):
    """Overrides conftest's: runsd in the module's host."""
    return Runsd(host, runsd_bin)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, request):
    return tmp_path_factory.mktemp(request.module.__name__.removeprefix("test_"))


@pytest.fixture(scope="module")
def wrapper(scratch, runsd_bin):
    """The runtime the clients get, named runsd."""
    (scratch / "bin").mkdir()
    return Wrapper(scratch / "bin" / "runsd", runsd_bin, scratch / "calls.log")
