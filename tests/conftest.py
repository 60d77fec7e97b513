"""pytest fixtures for runsd's integration tests.

Run:  /usr/bin/python3 -m pytest tests          (as root; Debian's pytest)

  RUNSD=/path/to/runsd        binary under test (default: <repo>/build/runsd)
  RUNSD_TEST_HOST_MODE=MODE   cgroup layout of the test host: hybrid (default),
                              legacy or unified
  RUNSD_TEST_HOST=testhost    boot a test host even if the machine runs systemd

Every test talks to runsd inside one test host per session (see testhost.py):
a hermetic systemd whose /run, /tmp are its own, so runsd's default --root
/run/runsd is private to the tests.  Bundles live under tests/.scratch/ (the
pytest basetemp), which is the same path inside the host and outside.
"""

import itertools
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

import bundle as bundlelib  # noqa: E402
import testhost  # noqa: E402

REPO = TESTS.parent
SCRATCH = TESTS / ".scratch"
DEFAULT_ROOT = "/run/runsd"
# what runsd gets as its environment in the host: nothing from ours but the
# sanitizers' options (a run under ASan/UBSan sets them)
RUNSD_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
             **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}}


# ------------------------------------------------------------------ session

def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # bundles must be where the test host sees them too: not /tmp (private
    # inside it), so pytest's basetemp goes under tests/.scratch/ (gitignored).
    # One per run (a run clears its basetemp); those of finished runs go.
    if not config.option.basetemp:
        SCRATCH.mkdir(exist_ok=True)
        for old in SCRATCH.glob("pytest-*"):
            pid = old.name.split("-", 1)[1]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        config.option.basetemp = str(SCRATCH / f"pytest-{os.getpid()}")
    # a terminated run (CI timeout, kill) still runs its finalizers: they
    # bring the test host down
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        def interrupted(signum, frame):
            raise KeyboardInterrupt(f"signal {signum}")
        signal.signal(signal.SIGTERM, interrupted)
        signal.signal(signal.SIGHUP, interrupted)


# The machine's device nodes, which test hosts and containers share (bind
# mounts in user namespaces): a test that changed one would change the
# machine.  Checked once the session is over.
GUARDED_NODES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")


@pytest.fixture(scope="session", autouse=True)
def _machine_nodes_unchanged():
    def snap():
        out = {}
        for p in GUARDED_NODES:
            st = os.stat(p)
            out[p] = (st.st_uid, st.st_gid, oct(st.st_mode), st.st_rdev)
        return out
    before = snap()
    yield
    after = snap()
    changed = {p: (before[p], after[p]) for p in GUARDED_NODES if before[p] != after[p]}
    assert not changed, f"the machine's device nodes changed (owner, group, mode, rdev): {changed}"


LAYOUTS = testhost.MODES


def pytest_generate_tests(metafunc):
    # @pytest.mark.all_layouts (or a module's pytestmark): the test runs once
    # in a test host of each cgroup layout, whatever RUNSD_TEST_HOST_MODE says
    if metafunc.definition.get_closest_marker("all_layouts"):
        metafunc.parametrize("layout", LAYOUTS, scope="session")


@pytest.fixture(scope="session")
def _hosts():
    """The test hosts of this session, one per cgroup layout, booted when a
    test first needs that layout."""
    if os.geteuid() != 0:
        pytest.skip("runsd's tests need root (they boot systemd and create containers)")
    hosts = {}

    def get(mode):
        if mode not in hosts:
            suffix = "" if not hosts else f"-layout-{mode}"
            hosts[mode] = testhost.boot(f"runsd-t{os.getpid()}{suffix}", mode)
        return hosts[mode]

    try:
        yield get
    finally:
        for h in hosts.values():
            h.down()


@pytest.fixture(scope="session")
def layout(request):
    """The cgroup layout of the test's host: the test's parameter under
    all_layouts, else RUNSD_TEST_HOST_MODE (default hybrid)."""
    return getattr(request, "param", None) or os.environ.get("RUNSD_TEST_HOST_MODE", "hybrid")


@pytest.fixture(scope="session")
def host(_hosts, layout):
    """The systemd the tests use: a TestHost (or the machine, if it runs systemd)."""
    h = _hosts(layout)
    if h.mode != layout:
        pytest.skip(f"the machine's systemd runs the {h.mode} cgroup layout, not {layout}")
    return h


def own_host(name, layout):
    """For a module-scoped fixture of a module that needs a test host of its
    own (it starts daemons the shared one should not have): yields it, and
    brings it down."""
    h = testhost.TestHost(f"{name}-t{os.getpid()}", layout).up()
    try:
        yield h
    finally:
        h.down()


def runsd_binary():
    return Path(os.environ.get("RUNSD") or REPO / "build" / "runsd").absolute()


SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error: ")


def _no_sanitizer_report(args, r):
    """Fail the test on an ASan/UBSan report, whatever the test expected of
    the exit code (a test of an error would take 99 for a failure)."""
    for marker in SANITIZER_REPORTS:
        if marker in r.stderr or marker in r.stdout:
            pytest.fail(f"runsd {' '.join(map(str, args))}: sanitizer report:\n"
                        f"{r.stderr}{r.stdout}", pytrace=False)
    return r


class Runsd:
    """runsd, run inside the test host."""

    def __init__(self, host, binary, root=None):
        self.host = host
        self.binary = str(binary)
        # root None: runsd's default, and no --root on the command line (so the
        # default is what is tested)
        self.root = root or DEFAULT_ROOT
        self._pass_root = root is not None

    def argv(self, *args):
        return [self.binary, *(["--root", self.root] if self._pass_root else []),
                *map(str, args)]

    def run(self, *args, input=None, timeout=30, cwd=None, env=None):
        r = self.host.run(self.argv(*args), input=input, timeout=timeout, cwd=cwd,
                          env={**RUNSD_ENV, **(env or {})})
        return _no_sanitizer_report(args, r)

    def raw(self, *args, **kw):
        """Like run(), but args are all of runsd's (no --root added)."""
        return _no_sanitizer_report(args, self.host.run([self.binary, *map(str, args)],
                                                        env=RUNSD_ENV, **kw))

    def popen(self, *args, cwd=None, env=None, **kw):
        return self.host.popen(self.argv(*args), cwd=cwd, env={**RUNSD_ENV, **(env or {})},
                               **kw)

    def ok(self, *args, **kw):
        """Run; assert it succeeded; return stdout."""
        r = self.run(*args, **kw)
        assert r.returncode == 0, (f"runsd {' '.join(map(str, args))} exited {r.returncode}\n"
                                   f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r.stdout

    def fail(self, *args, **kw):
        """Run; assert it failed; return stderr."""
        r = self.run(*args, **kw)
        assert r.returncode != 0, (f"runsd {' '.join(map(str, args))} succeeded but should "
                                   f"not have\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r.stderr

    def state(self, cid):
        out = self.ok("state", cid)
        try:
            return json.loads(out)
        except ValueError:
            raise AssertionError(f"runsd state {cid}: not JSON: {out!r}")

    def wait_status(self, cid, status, timeout=10):
        """Poll `state` until it says status; return the state."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.state(cid)
            if st.get("status") == status or time.monotonic() > deadline:
                assert st.get("status") == status, f"{cid} is {st.get('status')}, not {status}"
                return st
            time.sleep(0.05)


@pytest.fixture(scope="session")
def runsd_bin():
    binary = runsd_binary()
    if not os.access(binary, os.X_OK):
        pytest.skip(f"runsd binary {binary} not found: build it (meson setup build && "
                    f"ninja -C build) or point RUNSD at one")
    return binary


@pytest.fixture(scope="session")
def runsd(runsd_bin, host):
    root = None
    if isinstance(host, testhost.MachineHost):
        # the machine's /run/runsd may hold real containers: keep out of it
        root = f"/run/runsd-test-{os.getpid()}"
    r = Runsd(host, runsd_bin, root)
    yield r
    if root:
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------ bundles

class Bundle:
    """A busybox OCI bundle: .path, .rootfs, .config (dict) and .write()."""

    def __init__(self, path, template=None):
        self.path = Path(path)
        self.rootfs = self.path / "rootfs"
        self.config = bundlelib.make_bundle(self.path, args=["sleep", "1000"],
                                            template=template)

    def configure(self, args=None, edit=None, **overrides):
        """Change the config (args, top-level keys, edit(cfg)) and write it."""
        if args is not None:
            self.config["process"]["args"] = args
        self.config.update(overrides)
        if edit is not None:
            edit(self.config)
        return self.write()

    def write(self):
        bundlelib.write_config(self.path, self.config)
        return self

    def __str__(self):
        return str(self.path)


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    return bundlelib.make_rootfs(tmp_path_factory.mktemp("template") / "rootfs")


@pytest.fixture
def make_bundle(tmp_path, rootfs_template):
    """Factory: make_bundle(name="bundle") -> a fresh Bundle under this test's tmp_path."""
    def make(name="bundle"):
        return Bundle(tmp_path / name, template=rootfs_template)
    return make


@pytest.fixture
def bundle(make_bundle):
    """A fresh busybox bundle running `sleep 1000` (change it with .configure())."""
    return make_bundle()


# ------------------------------------------------------------ container ids

_ids = itertools.count(1)


def _unit_names(host):
    r = host.systemctl("list-units", "--all", "--plain", "--no-legend", "--full")
    return {line.split()[0] for line in r.stdout.splitlines() if line.split()}


def _same_file_set(paths):
    keys = set()
    for p in paths:
        try:
            st = os.stat(p)
            keys.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    return keys


def processes_in(dirs):
    """PIDs (machine's view) whose root or cwd is one of dirs.

    Compared by device and inode through /proc/PID/root and /proc/PID/cwd, so
    it holds whatever mount namespace the process is in and however the rootfs
    was bind-mounted before pivot_root."""
    keys = _same_file_set(dirs)
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        for link in ("root", "cwd"):
            try:
                st = os.stat(p / link)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in keys:
                found.append(int(p.name))
                break
    return found


def leftovers(host, runsd, cid, under=None, units=()):
    """What a container cid left behind: a list of findings (empty: nothing)."""
    found = []
    r = host.run(["ls", "-A", f"{runsd.root}/{cid}"])
    if r.returncode == 0:
        found.append(f"state directory {runsd.root}/{cid} exists: {r.stdout.split()}")
    left = {f"runsd-{cid}.scope", f"runsd-{cid}.service", *units} & _unit_names(host)
    for unit in sorted(left):
        st = host.systemctl("show", "-p", "ActiveState,SubState,ControlGroup", unit).stdout
        found.append(f"unit {unit} still loaded: {' '.join(st.split())}")
    if under is not None:
        dirs = [d for d in Path(under).rglob("*") if d.is_dir() and d.name == "rootfs"]
        dirs += [d.parent for d in dirs]
        for pid in processes_in(dirs):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                cmd = "?"
            found.append(f"process {pid} ({cmd.strip()}) has its root or cwd in {under}")
    return found


def assert_nothing_left(host, runsd, cid, under=None, units=(), timeout=3):
    """No state dir, no unit, no process of container cid (allowing a moment
    for systemd to notice a scope emptied)."""
    deadline = time.monotonic() + timeout
    while True:
        found = leftovers(host, runsd, cid, under, units)
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not found, f"container {cid} left behind:\n  " + "\n  ".join(found)


@pytest.fixture
def new_cid(request, host, runsd, tmp_path):
    """Factory for container ids; each is force-deleted after the test, which
    then fails if anything of it is left (state dir, unit, process)."""
    made = []

    def new():
        cid = f"t{os.getpid()}-{next(_ids)}"
        made.append(cid)
        return cid

    yield new
    for cid in made:
        runsd.run("delete", "--force", cid)
    problems = []
    for cid in made:
        try:
            assert_nothing_left(host, runsd, cid, under=tmp_path)
        except AssertionError as e:
            problems.append(str(e))
            # keep the tests after this one clean: what is left is ours
            units = (f"runsd-{cid}.scope", f"runsd-{cid}.service")
            host.systemctl("stop", *units)
            host.systemctl("reset-failed", *units)
            host.run(["rm", "-rf", f"{runsd.root}/{cid}"])
            for pid in processes_in([tmp_path, *tmp_path.rglob("rootfs")]):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    if problems:
        pytest.fail("after `runsd delete --force`:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def cid(new_cid):
    """A container id unique to this test (see new_cid)."""
    return new_cid()


@pytest.fixture
def nothing_left(host, runsd, tmp_path):
    """nothing_left(cid): assert container cid left nothing behind."""
    def check(cid, units=()):
        assert_nothing_left(host, runsd, cid, under=tmp_path, units=units)
    return check
