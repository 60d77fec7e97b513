#!/usr/bin/env python3
"""Test hosts for runsd: a real systemd to talk to over sd-bus.

runsd creates its containers' cgroups through systemd (transient scope units
in runsd.slice), so its tests need a systemd that is PID 1.  On a machine whose
PID 1 is systemd the tests simply use it (MachineHost).  Elsewhere (a CI VM or a
container whose PID 1 is something else) TestHost boots a hermetic systemd as
PID 1 of a set of private namespaces, in well under a second:

    python3 tests/testhost.py up NAME [hybrid|legacy|unified]   # prints its PID
    python3 tests/testhost.py run NAME CMD...
    python3 tests/testhost.py status NAME
    python3 tests/testhost.py down NAME

Why booting systemd like this is safe on a shared machine:

  * It only knows the units we write for it (SYSTEMD_UNIT_PATH names one
    directory): no sysinit.target, so no systemd-tmpfiles (which would clean the
    machine's /tmp), no sysctl, no sysusers, no network or mount units.
  * Private mount, pid, uts, ipc, net and cgroup namespaces.  /run, /tmp,
    /var/tmp and /var/log are fresh tmpfs inside it, /etc and /var/lib are
    read-only inside it.  The rest of the file system is shared, so a checkout
    (and the bundles the tests write under tests/.scratch/) have the same path
    inside and outside.
  * Its cgroups are a subtree of their own, testhost-NAME, below the cgroup of
    the process that booted it, in every hierarchy; the cgroup namespace makes
    that subtree the whole cgroup tree for it.
  * It is brought down by PID only: the PID recorded (with the process's start
    time, so a recycled PID is never mistaken for it) in
    /run/runsd-testhost/NAME.json.  Nothing is ever killed by name.  When its
    PID 1 exits the kernel ends every process of its PID namespace.
  * A host booted by a test run is tied to that run: pytest's finalizers and
    atexit bring it down, and if the run is killed outright, the parent-death
    signal ends the host's PID 1 and the next run removes what is left.

Modes (the cgroup layout systemd finds inside):
  hybrid   v1 controllers + name=systemd + a controller-less cgroup2 at
           /sys/fs/cgroup/unified (what this project's VMs have)
  legacy   v1 only
  unified  cgroup2 only, at /sys/fs/cgroup
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("hybrid", "legacy", "unified")
STATE_DIR = Path("/run/runsd-testhost")
REPO = Path(__file__).resolve().parent.parent
SYSTEM_UNITS = Path("/lib/systemd/system")
SYSTEMD = "/lib/systemd/systemd"
# Inside the host; /run there is the host's own tmpfs.
INNER_UNIT_DIR = "/run/runsd-testhost-units"
TARGET = "testhost.target"
BOOT_TIMEOUT = 15.0

# Moves the shell into each cgroup.procs file given before "--", then execs the
# rest.  Used so that a process is in the right cgroup *before* it runs (a
# shell is far cheaper than another Python).
_ENTER_CGROUPS_SH = ('while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; '
                     'shift; exec "$@"')
# The same, but if a cgroup is gone (.../init.scope/cgroup.procs) its parent
# will do (.../cgroup.procs).
_ENTER_CGROUPS_OR_PARENT_SH = (
    'while [ "$1" != -- ]; do echo $$ 2>/dev/null > "$1" || '
    'echo $$ > "${1%/*/cgroup.procs}/cgroup.procs" || exit 125; shift; done; '
    'shift; exec "$@"')


class TestHostError(RuntimeError):
    pass


# ---------------------------------------------------------------- processes

def _proc_starttime(pid):
    """Start time of PID in clock ticks since boot, or None if it is gone.

    Recorded with a PID so that a recycled PID is never taken for ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # the command name (field 2) may hold spaces and parentheses
    return int(stat[stat.rindex(")") + 2:].split()[19])


def _alive(pid, starttime):
    """PID is still the process recorded with starttime, and not a zombie."""
    if not pid or starttime is None or _proc_starttime(pid) != starttime:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _children(pid):
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return kids


# ------------------------------------------------------------------ cgroups

def _hierarchies():
    """[(mount point, our cgroup path, options)] for each mounted hierarchy.

    options is "cgroup2" or the v1 option string ("cpu,cpuacct", "name=systemd").
    """
    mounts = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        pre, post = line.split(" - ", 1)
        fstype, _source, superopts = post.split(" ", 2)
        fields = pre.split()
        root, target = fields[3], fields[4]
        if fstype == "cgroup2":
            mounts.setdefault("cgroup2", (target, root))
        elif fstype == "cgroup":
            opts = [o for o in superopts.split(",") if o not in ("rw", "ro")]
            mounts.setdefault(frozenset(opts), (target, root))
    result = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hid, ctrls, path = line.split(":", 2)
        if hid == "0":
            key, opts = "cgroup2", "cgroup2"
        else:
            if not ctrls:
                continue
            key = None
            for k in mounts:
                if k != "cgroup2" and set(ctrls.split(",")) <= k:
                    key = k
            opts = ctrls
        if key not in mounts:
            continue                     # hierarchy exists but is not mounted
        target, root = mounts[key]
        rel = path[len(root):] if root != "/" and path.startswith(root) else path
        result.append((target, "/" + rel.strip("/"), opts))
    return result


def _default_cwd():
    """The caller's directory, unless the host has its own version of it."""
    cwd = os.getcwd()
    private = ("/run", "/tmp", "/var/tmp", "/var/log")
    return "/" if any(cwd == p or cwd.startswith(p + "/") for p in private) else cwd


def _cgroup_dir(mnt, path, *names):
    return os.path.join(mnt, path.lstrip("/"), *names)


def _rmdir_tree(top):
    """rmdir a cgroup directory and everything below it, deepest first."""
    if not os.path.isdir(top):
        return True
    for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda t: -t[0].count("/")):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass
    return not os.path.isdir(top)


def _cgroup_pids(top):
    pids = set()
    for dirpath, _dirs, _files in os.walk(top):
        try:
            pids.update(int(p) for p in Path(dirpath, "cgroup.procs").read_text().split())
        except OSError:
            pass
    return pids


def _continue_stopped(cgroups):
    """SIGCONT the stopped processes in a host's cgroups.

    On power-off systemd SIGSTOPs every process, kills them, then SIGCONTs.
    An nsenter whose command is stopped stops itself too ("mirrors" it), but
    it is outside the host's PID namespace, so nothing there continues it: it
    never reaps its (killed) command, and the host's PID 1 waits for that
    zombie.  Continuing a process ends nothing; they all are ours."""
    for top in cgroups:
        for pid in _cgroup_pids(top):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                if stat[stat.rindex(")") + 2] in "Tt":
                    os.kill(pid, signal.SIGCONT)
            except (OSError, ValueError):
                pass


def _cgroup_has_procs(top):
    for dirpath, _dirs, _files in os.walk(top):
        try:
            if Path(dirpath, "cgroup.procs").read_text().strip():
                return True
        except OSError:
            pass
    return False


# ------------------------------------------------------------------- units

def _strip_deps(text):
    # the stock units order themselves against sysinit/basic/... which the
    # host does not have; their own DefaultDependencies=no stays
    return "".join(l for l in text.splitlines(True)
                   if not l.startswith(("Wants=", "After=", "Before=")))


def write_units(unit_dir):
    """Write every unit the test host has into unit_dir (and nothing else)."""
    d = Path(unit_dir)
    d.mkdir(parents=True, exist_ok=True)
    (d / TARGET).write_text(
        "[Unit]\nDescription=runsd test host\nDefaultDependencies=no\n"
        "Wants=dbus.socket systemd-journald.socket\n"
        "After=dbus.socket systemd-journald.socket\n")
    (d / "dbus.socket").write_text(
        "[Unit]\nDescription=D-Bus System Message Bus Socket\nDefaultDependencies=no\n"
        "[Socket]\nListenStream=/run/dbus/system_bus_socket\n")
    (d / "dbus.service").write_text(
        "[Unit]\nDescription=D-Bus System Message Bus\nDefaultDependencies=no\n"
        "Requires=dbus.socket\n"
        "[Service]\n"
        "ExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork"
        " --nopidfile --systemd-activation --syslog-only\n"
        "ExecReload=/usr/bin/dbus-send --print-reply --system --type=method_call"
        " --dest=org.freedesktop.DBus / org.freedesktop.DBus.ReloadConfig\n"
        "OOMScoreAdjust=-900\n")
    for name in ("systemd-journald.socket", "systemd-journald-dev-log.socket",
                 "systemd-journald-audit.socket", "systemd-journald.service"):
        src = SYSTEM_UNITS / name
        if src.is_file():
            (d / name).write_text(_strip_deps(src.read_text()))
    # systemd-machined (package systemd-container), for `machinectl`: not
    # started at boot, so it costs a boot nothing; as on a real system the bus
    # starts it (through the alias) on the first call to org.freedesktop.machine1
    src = SYSTEM_UNITS / "systemd-machined.service"
    if src.is_file():
        # its default dependencies would pull in sysinit.target
        (d / src.name).write_text(_strip_deps(src.read_text()).replace(
            "[Unit]\n", "[Unit]\nDefaultDependencies=no\n", 1))
        (d / "dbus-org.freedesktop.machine1.service").symlink_to(src.name)
    # `systemctl exit` stops every unit and then PID 1 exits, which ends the
    # PID namespace and so every process in the host
    for name in ("exit.target", "systemd-exit.service", "shutdown.target",
                 "umount.target", "final.target"):
        shutil.copy(SYSTEM_UNITS / name, d / name)
    # the project's own units (runsd.slice: where runsd puts containers)
    for unit in sorted((REPO / "units").glob("*.slice")):
        shutil.copy(unit, d / unit.name)
    (d / "default.target").symlink_to(TARGET)


# -------------------------------------------------------- inside: PID 1 setup

def _mount(*args):
    subprocess.run(["mount", *args], check=True)


def _pid1_setup(name, mode, syslog):
    """Runs as PID 1 of the fresh namespaces, then becomes systemd."""
    _mount("-t", "proc", "proc", "/proc")
    # the machine's /sys, read-only (as systemd-nspawn gives it to containers)
    _mount("--bind", "/sys", "/sys")
    _mount("-o", "remount,bind,ro", "/sys")
    # cgroups as systemd should see them; cgroupns makes testhost-NAME the root
    _mount("-t", "tmpfs", "-o", "mode=755", "cgroup", "/sys/fs/cgroup")
    if mode == "unified":
        _mount("-t", "cgroup2", "cgroup2", "/sys/fs/cgroup")
    else:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            hid, ctrls, _ = line.split(":", 2)
            if hid == "0" or not ctrls or ctrls.startswith("name="):
                continue
            # one mount per hierarchy with all its controllers ("cpu,cpuacct"),
            # plus a link per controller as distributions lay it out
            os.mkdir(f"/sys/fs/cgroup/{ctrls}")
            _mount("-t", "cgroup", "-o", ctrls, "cgroup", f"/sys/fs/cgroup/{ctrls}")
            for c in ctrls.split(","):
                if c != ctrls:
                    os.symlink(ctrls, f"/sys/fs/cgroup/{c}")
        os.mkdir("/sys/fs/cgroup/systemd")
        _mount("-t", "cgroup", "-o", "none,name=systemd", "cgroup", "/sys/fs/cgroup/systemd")
        if mode == "hybrid":
            os.mkdir("/sys/fs/cgroup/unified")
            _mount("-t", "cgroup2", "cgroup2", "/sys/fs/cgroup/unified")
    # /dev is the machine's: nothing in the host may write to its console or
    # kernel log.  systemd logs to "kmsg", which is a file of ours here.
    for dev, file in (("/dev/console", "/proc/self/fd/1"), ("/dev/kmsg", syslog)):
        if os.path.exists(dev):
            _mount("--bind", file, dev)
    # private scratch space: nothing systemd or a test does there reaches the
    # machine (/var/log too: journald would write to /var/log/journal)
    scratch = (("/run", "755"), ("/tmp", "1777"), ("/var/tmp", "1777"), ("/var/log", "755"))
    # ... but a checkout that lives there (CI may clone into /tmp) must stay
    # visible at its own path: held by an fd across the tmpfs mount, then
    # bound back in place.
    repo = str(REPO)
    under = any(repo == d or repo.startswith(d + "/") for d, _ in scratch)
    repo_fd = os.open(repo, os.O_PATH | os.O_DIRECTORY) if under else None
    for d, m in scratch:
        if os.path.isdir(d):
            _mount("-t", "tmpfs", "-o", f"mode={m}", "tmpfs", d)
    if repo_fd is not None:
        os.makedirs(repo)
        # --no-canonicalize: mount(8) would otherwise resolve the fd's link to
        # its path, which now names the empty directory in the new tmpfs
        _mount("--no-canonicalize", "--bind", f"/proc/{os.getpid()}/fd/{repo_fd}", repo)
        os.close(repo_fd)
    # guard: whatever runs in the host cannot change the machine's config/state
    for d in ("/etc", "/var/lib"):
        _mount("--bind", d, d)
        _mount("-o", "remount,bind,ro", d)
    write_units(INNER_UNIT_DIR)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "container": "runsd-testhost",
           "SYSTEMD_UNIT_PATH": INNER_UNIT_DIR}
    level = "debug" if os.environ.get("RUNSD_TESTHOST_DEBUG") else "info"
    argv = [SYSTEMD, "--system", f"--unit={TARGET}", "--log-target=kmsg",
            f"--log-level={level}", "--show-status=no"]
    # In a container systemd reads "kernel command line" options from its own
    # argv.  Without this one it would add a cgroup2 at /sys/fs/cgroup/unified
    # (hybrid) to the legacy layout.
    if mode == "legacy":
        argv.append("systemd.legacy_systemd_cgroup_controller=1")
    # a unit that ignores SIGTERM is killed after 10 s, not 90 (so is what is
    # left when the host powers off)
    argv.append("systemd.default_timeout_stop_sec=10")
    os.execve(SYSTEMD, argv, env)


# ---------------------------------------------------------------- the hosts

_owned = []          # hosts this process booted and must bring down


def _down_owned():
    for h in list(_owned):
        try:
            h.down()
        except Exception as e:          # atexit: report, go on with the others
            print(f"testhost: bringing {h.name} down: {e}", file=sys.stderr)


atexit.register(_down_owned)


class _Host:
    """What TestHost and MachineHost share."""

    name = mode = None
    pid = None

    def _wrap(self, argv, cwd):
        raise NotImplementedError

    def run(self, argv, input=None, timeout=60, check=False, cwd=None, env=None):
        """Run argv in the host; text mode, stdout and stderr captured.

        Captured in files, not pipes: a command may leave a process behind
        that keeps its stdout (`runsd create` hands its stdio to the
        container), and reading a pipe to its end would wait for that one."""
        wrapped = self._wrap(argv, cwd, env)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(wrapped, input=input.encode() if input is not None else None,
                               stdin=None if input is not None else subprocess.DEVNULL,
                               stdout=out, stderr=err, timeout=timeout)
            out.seek(0)
            err.seek(0)
            r = subprocess.CompletedProcess(wrapped, p.returncode,
                                            out.read().decode(errors="replace"),
                                            err.read().decode(errors="replace"))
        if check:
            r.check_returncode()
        return r

    def popen(self, argv, cwd=None, env=None, **kw):
        """Start argv in the host and return the Popen (long-running commands).

        The process is in the host's PID namespace, so it ends with the host
        at the latest."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(self._wrap(argv, cwd, env), **kw)
        self._popens = [q for q in getattr(self, "_popens", []) if q.poll() is None] + [p]
        return p

    def systemctl(self, *args, check=False, timeout=60):
        return self.run(["systemctl", "--no-pager", *args], check=check, timeout=timeout)

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()


class TestHost(_Host):
    """A hermetic systemd booted as PID 1 of private namespaces."""

    __test__ = False    # not a pytest test class

    def __init__(self, name, mode="hybrid"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"bad test host name {name!r}")
        self.name, self.mode = name, mode
        self.pid = None
        self._rec = None
        self._popen = None

    # -- records
    @property
    def _record_path(self):
        return STATE_DIR / f"{self.name}.json"

    @property
    def log_path(self):
        """Output of the boot, before systemd runs."""
        return STATE_DIR / f"{self.name}.log"

    @property
    def syslog_path(self):
        """systemd's own log (its /dev/kmsg)."""
        return STATE_DIR / f"{self.name}.syslog"

    def _load(self):
        try:
            return json.loads(self._record_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _save(self, rec):
        STATE_DIR.mkdir(mode=0o700, exist_ok=True)
        tmp = self._record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rec, indent=1))
        tmp.rename(self._record_path)

    @classmethod
    def attach(cls, name):
        """The host NAME as recorded (e.g. booted by `testhost.py up`)."""
        h = cls(name)
        rec = h._load()
        if not rec or not _alive(rec["pid"], rec["starttime"]):
            raise TestHostError(f"{name} is not up")
        h.mode, h.pid, h._rec = rec["mode"], rec["pid"], rec
        return h

    def is_up(self):
        rec = self._rec or self._load()
        return bool(rec) and _alive(rec["pid"], rec["starttime"])

    # -- boot
    def up(self, owned=True):
        """Boot the host.  owned: tie its life to this process (tests)."""
        if os.geteuid() != 0:
            raise TestHostError("a test host needs root")
        for tool in (SYSTEMD, "/usr/bin/dbus-daemon"):
            if not os.access(tool, os.X_OK):
                raise TestHostError(f"{tool} is missing: install the packages systemd and dbus")
        for tool in ("unshare", "nsenter", "setpriv", "mount"):
            if not shutil.which(tool):
                raise TestHostError(f"{tool} is missing: install util-linux")
        reap_orphans()
        if self._load():                       # a crashed run's host of this name
            TestHost(self.name).down()

        # a cgroup subtree of our own in every hierarchy; the process that
        # unshares the cgroup namespace must be in it, so it is the ns root
        cgroups, tracking, procs = [], [], []
        for mnt, path, opts in _hierarchies():
            sub = _cgroup_dir(mnt, path, f"testhost-{self.name}")
            if os.path.isdir(sub) and _cgroup_has_procs(sub):
                raise TestHostError(f"{sub} exists and has processes, but no host "
                                    f"{self.name} is recorded: not touching it")
            os.makedirs(sub, exist_ok=True)
            parent = os.path.dirname(sub)
            if os.path.exists(os.path.join(sub, "cpuset.cpus")):   # v1 cpuset
                for f in ("cpuset.cpus", "cpuset.mems"):
                    Path(sub, f).write_text(Path(parent, f).read_text())
            cgroups.append(sub)
            tracking.append(opts in ("cgroup2", "name=systemd"))
            procs.append((os.path.join(sub, "cgroup.procs"), os.path.join(parent, "cgroup.procs")))

        rec = {"name": self.name, "mode": self.mode, "pid": None, "starttime": None,
               "cgroups": cgroups, "tracking": tracking, "owner": None}
        if owned:
            rec["owner"] = [os.getpid(), _proc_starttime(os.getpid())]
        self._rec = rec
        self._save(rec)            # from here on, down() can clean up

        argv = ["/bin/sh", "-c", _ENTER_CGROUPS_SH, "sh", *(p for p, _ in procs), "--"]
        if owned:
            # if this process dies without running finalizers (SIGKILL), the
            # unshare process gets SIGKILL, and --kill-child passes it on to
            # the host's PID 1
            argv += ["setpriv", "--pdeathsig", "KILL", "--"]
        argv += ["unshare", "--cgroup", "--pid", "--mount", "--uts", "--ipc", "--net",
                 "--propagation", "private", "--fork", "--kill-child", "--",
                 sys.executable, "-I", os.path.abspath(__file__), "_pid1", self.name, self.mode,
                 str(self.syslog_path)]
        STATE_DIR.mkdir(mode=0o700, exist_ok=True)
        self.syslog_path.write_bytes(b"")
        with open(self.log_path, "wb") as log:
            self._popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True,
                                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                "RUNSD_TESTHOST_DEBUG":
                                                os.environ.get("RUNSD_TESTHOST_DEBUG", "")})
        if owned:
            _owned.append(self)
        try:
            self._wait_boot(procs)
        except BaseException:
            self.down()
            raise
        return self

    def _wait_boot(self, procs):
        deadline = time.monotonic() + BOOT_TIMEOUT
        # the host's PID 1 is the only child of the unshare process
        while True:
            kids = _children(self._popen.pid)
            if kids:
                self.pid = kids[0]
                self._rec.update(pid=self.pid, starttime=_proc_starttime(self.pid))
                self._save(self._rec)
                break
            self._check_boot(deadline, "PID 1 did not start")
            time.sleep(0.005)
        # the namespace root is fixed now; move unshare itself back out, so the
        # host's root cgroup holds no process (cgroup2: no internal processes)
        for inner, outer in procs:
            try:
                Path(outer).write_text(str(self._popen.pid))
            except OSError:
                pass
        while True:
            r = self.run(["systemctl", "is-system-running"], timeout=5)
            if r.stdout.strip() in ("running", "degraded"):
                return
            self._check_boot(deadline, f"systemd says {r.stdout.strip() or r.stderr.strip()!r}")
            time.sleep(0.02)

    def _check_boot(self, deadline, what):
        if self._popen.poll() is not None or time.monotonic() > deadline:
            log = "".join(p.read_text(errors="replace")[-3000:] for p in
                          (self.log_path, self.syslog_path) if p.exists())
            raise TestHostError(f"test host {self.name} did not come up: {what}\n{log}")

    # -- use
    def _enter_prefix(self):
        """argv prefix that runs a command in the host, in its init.scope.

        nsenter joins the namespaces but not the cgroups: left alone, the
        command (and what it starts: a container's init) would stay in the
        caller's cgroups, outside the host's cgroup namespace ("/.." in
        /proc/self/cgroup) and outside its subtree.  So it is put into the
        host's init.scope first, where systemd keeps what it did not start."""
        if not self.pid:
            raise TestHostError(f"test host {self.name} is not up")
        procs = []
        for sub, tracking in zip(self._rec["cgroups"], self._rec["tracking"]):
            # init.scope where systemd tracks processes (name=systemd, cgroup2);
            # in a v1 controller hierarchy systemd creates and removes it as
            # it pleases, so the host's root cgroup there
            leaf = os.path.join(sub, "init.scope") if tracking else sub
            procs.append(os.path.join(leaf, "cgroup.procs"))
        return ["/bin/sh", "-c", _ENTER_CGROUPS_OR_PARENT_SH, "sh", *procs, "--",
                "nsenter", "-t", str(self.pid), "-a"]

    def _wrap(self, argv, cwd=None, env=None):
        if isinstance(argv, str):
            raise TypeError("argv must be a list")
        pre = self._enter_prefix() + [f"--wd={cwd or _default_cwd()}"]
        if env is not None:
            pre += ["env", "-i", *(f"{k}={v}" for k, v in env.items())]
        return pre + [str(a) for a in argv]

    # -- power off
    def down(self):
        """Power the host off and remove its cgroups.  Safe to call twice."""
        rec = self._rec or self._load()
        if self in _owned:
            _owned.remove(self)
        if not rec:
            return
        pid, start = rec.get("pid"), rec.get("starttime")
        cgroups = rec.get("cgroups", [])
        # what popen() started and is still running: nsenter processes, whose
        # commands would otherwise hold up systemd's shutdown (see below)
        for p in getattr(self, "_popens", []):
            if p.poll() is None:
                p.kill()
                p.wait()
        self._popens = []
        if _alive(pid, start):
            self.pid, self._rec = pid, rec
            # orderly: systemd stops every unit, then exits
            try:
                self.run(["systemctl", "--no-block", "exit"], timeout=10)
            except (subprocess.TimeoutExpired, OSError):
                pass
            deadline = time.monotonic() + 15
            while _alive(pid, start) and time.monotonic() < deadline:
                _continue_stopped(cgroups)
                time.sleep(0.02)
            if _alive(pid, start):              # still the very process we started
                os.kill(pid, signal.SIGKILL)
                while _alive(pid, start) and time.monotonic() < deadline + 5:
                    time.sleep(0.02)
        if self._popen is not None:
            try:
                self._popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # the kernel empties the namespace a moment after its PID 1 is gone
        deadline = time.monotonic() + 10
        busy = list(cgroups)
        while busy:
            _continue_stopped(busy)
            busy = [c for c in busy if not _rmdir_tree(c)]
            if busy and time.monotonic() > deadline:
                raise TestHostError(f"cgroups of test host {self.name} still busy: {busy}")
            if busy:
                time.sleep(0.05)
        self._record_path.unlink(missing_ok=True)
        self.log_path.unlink(missing_ok=True)
        self.syslog_path.unlink(missing_ok=True)
        self.pid, self._rec = None, None

    def __repr__(self):
        return f"<TestHost {self.name} {self.mode} pid={self.pid}>"


def reap_orphans():
    """Bring down hosts whose owning process died without doing it (SIGKILL).

    Only hosts recorded with an owner: a host booted from the command line has
    none and stays until `down`."""
    for f in STATE_DIR.glob("*.json") if STATE_DIR.is_dir() else []:
        try:
            rec = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        owner = rec.get("owner")
        if owner and not _alive(*owner):
            try:
                TestHost(rec["name"]).down()
            except TestHostError as e:
                print(f"testhost: {e}", file=sys.stderr)


class MachineHost(_Host):
    """The machine itself, when its PID 1 is systemd: nothing to boot."""

    def __init__(self, name="machine", mode=None):
        self.name = name
        self.pid = 1
        fs = subprocess.run(["stat", "-fc", "%T", "/sys/fs/cgroup"], capture_output=True,
                            text=True).stdout.strip()
        self.mode = ("unified" if fs == "cgroup2fs" else
                     "hybrid" if os.path.isdir("/sys/fs/cgroup/unified") else "legacy")

    @staticmethod
    def usable():
        try:
            return (os.path.isdir("/run/systemd/system")
                    and Path("/proc/1/comm").read_text().strip() == "systemd")
        except OSError:
            return False

    def up(self):
        return self

    def down(self):
        pass

    def is_up(self):
        return True

    def _wrap(self, argv, cwd=None, env=None):
        # cwd is handled by env(1) -C so that both hosts take the same argv
        pre = ["env", "-C", cwd or os.getcwd()]
        if env is not None:
            pre += ["-i", *(f"{k}={v}" for k, v in env.items())]
        return pre + [str(a) for a in argv]

    def __repr__(self):
        return f"<MachineHost {self.mode}>"


def boot(name, mode="hybrid"):
    """The host tests run in: the machine if it runs systemd, else a TestHost.

    The MachineHost cannot switch cgroup modes; its mode is what it has."""
    if MachineHost.usable() and os.environ.get("RUNSD_TEST_HOST") != "testhost":
        return MachineHost(name)
    return TestHost(name, mode).up()


# --------------------------------------------------------------------- CLI

def main(argv):
    usage = __doc__.split("\n\n")[1]
    if len(argv) == 4 and argv[0] == "_pid1":          # internal: see up()
        _pid1_setup(*argv[1:])
        return 1
    if len(argv) < 2 or argv[0] not in ("up", "run", "down", "status"):
        print(usage, file=sys.stderr)
        return 2
    verb, name = argv[0], argv[1]
    if os.geteuid() != 0:
        print("testhost: needs root", file=sys.stderr)
        return 1
    try:
        if verb == "up":
            mode = argv[2] if len(argv) > 2 else "hybrid"
            h = TestHost(name, mode)
            if h.is_up():
                raise TestHostError(f"{name} is already up (pid {h._load()['pid']})")
            h.up(owned=False)
            print(h.pid)
        elif verb == "run":
            if len(argv) < 3:
                print(usage, file=sys.stderr)
                return 2
            h = TestHost.attach(name)
            cmd = h._wrap(argv[2:])
            os.execvp(cmd[0], cmd)
        elif verb == "down":
            TestHost(name).down()
        elif verb == "status":
            h = TestHost.attach(name)
            r = h.run(["systemctl", "is-system-running"])
            print(f"{name}: pid {h.pid}, mode {h.mode}, {r.stdout.strip()}")
    except (TestHostError, ValueError) as e:
        print(f"testhost: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
