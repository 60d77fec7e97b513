"""Reliability: hostile input, concurrency and crashes, checked as a user
would: by exit codes, by what runsd says on stderr, and by what is left in
the test host afterwards.

"Nothing left" here means, compared before and after inside the test host:
no new entry under the state root (not even a hidden .creating-* one), no new
unit in `systemctl list-units --all` (loaded, failed or otherwise), no new
mount in the host's /proc/self/mountinfo, and no process whose root or cwd is
one of the test's bundles.

Crash points are made deterministic with strace's fault injection instead of
hooks in runsd: `strace -e inject=SYSCALL:signal=KILL:when=N runsd create`
(inside the test host) SIGKILLs runsd on entering the Nth call of SYSCALL,
before the call does anything.  `strace -f` on a successful create shows this
order of the syscalls chosen (runsd, then the container's init, pid 54):

    53 renameat(5, ".#state.json.53", 5, "state.json")      state file "creating"
    53 renameat2(4, ".creating-53-0", 4, "c1", RENAME_NOREPLACE)   the ID exists
    53 clone3({flags=CLONE_PIDFD|CLONE_NEWNS|...}) = 54     the init
    53 sendmsg(3, ... "runsd-c1.scope" ...)                 StartTransientUnit,
    53 recvmsg(3, ...) ...                                  ... its JobRemoved
    53 sendto(6, "\\1", 1, MSG_NOSIGNAL, NULL, 0)            SYNC_CGROUP_READY
    54 recvfrom(7, "\\1") ... mounts, pivot_root ...
    54 sendto(7, "\\2")                                       SYNC_INIT_READY
    54 openat(8, "exec.fifo", O_WRONLY ...                  (blocks until start)
    53 renameat(5, ".#state.json.53", 5, "state.json")      state file "created"
    53 renameat(6, ".#pid.53", 6, "pid")                    --pid-file
    53 exit_group(0)

so: renameat2 #1 = before the state directory has its name; clone3 #1 = the
ID exists, no unit yet; sendto #1 = the unit exists and holds the init (the
job is done), the state file still says "creating"; renameat #2 = the init is
set up and blocked on the FIFO, the state file still says "creating";
renameat #3 = the state file says "created", the pid file is not written.
sd-bus talks over sendmsg/recvmsg, never sendto, so sendto #1 is the sync
message.  strace runs without -f: the injection counts per traced process, so
with -f the init's own sendto would count too, and strace would not return
while the init (blocked on the FIFO) lives.  Each test also reads strace's
log (-o) to check that runsd died on the syscall meant.  ASan adds no calls
of these four syscalls before exit (checked with strace on build-asan).
"""

import concurrent.futures
import json
import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import RUNSD_ENV, processes_in, runsd_binary

STATUSES = {"creating", "created", "running", "paused", "stopped"}
# an ASan build (gcc links libasan dynamically: the binary calls __asan_init)
ASAN_BUILD = runsd_binary().is_file() and b"__asan_init" in runsd_binary().read_bytes()

# ------------------------------------------------------------ helpers

def one_line(err):
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"want one line on stderr, got {len(lines)}:\n{err}"
    assert lines[0].startswith("runsd: "), f"not a message of runsd's: {lines[0]!r}"
    return lines[0]


_TRACES_SH = ('ls -A "$1"; echo @@; systemctl --no-pager list-units --all --plain --no-legend '
              '--full; echo @@; cat /proc/self/mountinfo')


def traces(host, runsd):
    """What could outlive a runsd command, in the test host: entries under the
    state root, units, mounts."""
    r = host.run(["sh", "-c", _TRACES_SH, "sh", runsd.root])
    root, units, mounts = r.stdout.split("@@\n")
    mnt = set()
    for line in mounts.splitlines():
        head, _, tail = line.partition(" - ")
        f, t = head.split(), tail.split()
        mnt.add(f"{f[4]} (root {f[3]}, {' '.join(t[:2])})")
    # slices and targets are shared, loaded on demand (runsd.slice with the
    # first container); what a container leaves would be its scope
    return {"state root entry": set(root.split()),
            "unit": {u.split()[0] for u in units.splitlines()
                     if u.strip() and not u.split()[0].endswith((".slice", ".target"))},
            "mount": mnt}


def new_traces(before, after):
    return [f"new {kind}: {item}" for kind in before for item in sorted(after[kind] - before[kind])]


def assert_no_new_traces(host, runsd, before, dirs=(), timeout=3):
    """Nothing new since before (allowing systemd a moment to drop a stopped
    unit), and no process rooted in dirs."""
    deadline = time.monotonic() + timeout
    while True:
        found = new_traces(before, traces(host, runsd))
        found += [f"process {pid} has its root or cwd in {list(map(str, dirs))}"
                  for pid in processes_in(list(dirs))] if dirs else []
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not found, "left behind:\n  " + "\n  ".join(found)


def bundle_dirs(tmp_path):
    return [tmp_path, *tmp_path.rglob("rootfs")]


def assert_fails_cleanly(host, runsd, argv, tmp_path, want=(), cwd=None, timeout=30,
                         dirs=None):
    """runsd argv fails: exit 1..127, nothing on stdout, one line on stderr
    holding each of want, and nothing left (no process rooted in dirs:
    by default the bundles under tmp_path)."""
    before = traces(host, runsd)
    r = runsd.run(*argv, cwd=cwd, timeout=timeout)
    shown = " ".join(map(str, argv))[:200]
    assert 0 < r.returncode < 128, (f"runsd {shown}: exit {r.returncode} (want a failure, "
                                    f"not a crash)\nstdout: {r.stdout[:500]}\nstderr: {r.stderr}")
    assert r.stdout == "", f"runsd {shown} wrote to stdout: {r.stdout[:500]!r}"
    line = one_line(r.stderr)
    for w in want:
        assert w in line, f"{w!r} not in {line!r}"
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path) if dirs is None else dirs)
    return line


def start(runsd, bundle, cid):
    runsd.ok("create", "--bundle", bundle.path, cid)
    runsd.ok("start", cid)
    return runsd.wait_status(cid, "running")


def alive(host, pid):
    r = host.run(["cat", f"/proc/{pid}/stat"])
    return r.returncode == 0 and r.stdout[r.stdout.rindex(")") + 2] != "Z"


def unit_prop(host, unit, prop):
    return host.systemctl("show", "-p", prop, "--value", unit).stdout.strip()


def listed(runsd, cid):
    """cid's entry in `runsd list --format json` (None if absent)."""
    states = json.loads(runsd.ok("list", "--format", "json")) or []
    return {s["id"]: s for s in states}.get(cid)


# ------------------------------------------------------ the bad-input table
#
# Each case is (kind, what, want[, prep]):
#   "edit":  what(cfg) changes the config dict, written as JSON
#   "text":  what(text) -> str or bytes: the config.json written, from the
#            default one's text
#   "argv":  what(bundle, cid, tmp_path) -> runsd's arguments
# want: strings the single line on stderr must hold.  prep(bundle, tmp_path)
# runs first (a symlink in the rootfs, a file where a directory should be).

CFG = "config.json"       # in want: the config's path
AFILE = "<afile>"         # in want: tmp_path/afile, a regular file (made by make_file)


def setp(path, value):
    """edit: set cfg[a][b]... (path "a.b.0.c") to value."""
    def edit(cfg):
        *parents, last = path.split(".")
        d = cfg
        for p in parents:
            d = d[int(p)] if isinstance(d, list) else d[p]
        if isinstance(d, list):
            d[int(last)] = value
        else:
            d[last] = value
    return edit


def add_mount(**m):
    return lambda cfg: cfg["mounts"].append(m)


def ns(*entries):
    return setp("linux.namespaces", list(entries))


def cut_after(marker, extra=0):
    return lambda t: t[:t.index(marker) + len(marker) + extra]


def replace(old, new):
    def tr(t):
        assert old in t, old
        return t.replace(old, new, 1)
    return tr


def replace_bytes(old, new):
    def tr(t):
        b = t.encode()
        assert old in b, old
        return b.replace(old, new, 1)
    return tr


def case(name, kind, what, *want, prep=None, marks=()):
    return pytest.param(kind, what, want, prep, id=name, marks=marks)


def symlink_in_rootfs(name, target):
    def prep(bundle, tmp_path):
        (bundle.rootfs / name).symlink_to(target)
    return prep


def make_file(name, text="not a directory\n"):
    def prep(bundle, tmp_path):
        (tmp_path / name).write_text(text)
    return prep


def config_is(kind):
    def prep(bundle, tmp_path):
        cfg = bundle.path / CFG
        cfg.unlink()
        if kind == "dir":
            cfg.mkdir()
        elif kind == "devzero":
            cfg.symlink_to("/dev/zero")
    return prep


def create(*extra):
    """argv: create --bundle B [extra] ID"""
    return lambda b, c, t: ["create", "--bundle", b.path, *extra, c]


def create_id(cid):
    return lambda b, c, t: ["create", "--bundle", b.path, cid]


TWO_POW_64 = 2 ** 64

BAD_INPUT = [
    # -- JSON that is not: truncated at several points
    case("truncated-after-first-brace", "text", lambda t: t[:1], CFG, "invalid JSON"),
    case("truncated-in-a-key", "text", cut_after('"proc'), CFG, "invalid JSON"),
    case("truncated-in-a-string", "text", cut_after('"path": "roo'), CFG, "invalid JSON"),
    case("truncated-in-a-number", "text", cut_after('"hard": 10'), CFG, "invalid JSON"),
    case("truncated-in-an-escape", "text",
         lambda t: t[:t.index('"hostname"')] + '"hostname": "\\u00', CFG, "invalid JSON"),
    case("truncated-before-last-brace", "text", lambda t: t.rstrip()[:-1], CFG, "invalid JSON"),
    case("trailing-garbage", "text", lambda t: t + "}x", CFG, "invalid JSON"),
    case("byte-order-mark", "text", lambda t: "\ufeff" + t, CFG),
    case("NaN", "text", replace('"soft": 1024', '"soft": NaN'), CFG, "invalid JSON"),
    case("deeply-nested-arrays", "text", lambda t: "[" * 100000, CFG, "invalid JSON"),
    case("deeply-nested-objects", "text", lambda t: '{"a":' * 100000, CFG, "invalid JSON"),
    case("duplicate-top-level-key", "text",
         replace('"ociVersion"', '"hostname": "other",\n  "ociVersion"'), CFG, "duplicate"),
    case("duplicate-nested-key", "text", replace('"cwd": "/"', '"cwd": "/", "cwd": "/tmp"'),
         CFG, "duplicate"),
    case("20MB-config", "text", lambda t: t + " " * (20 << 20), CFG),
    case("config-is-a-directory", "argv", create(), CFG, prep=config_is("dir")),
    case("config-is-dev-zero", "argv", create(), CFG, prep=config_is("devzero")),
    # -- NUL, not UTF-8
    case("NUL-in-an-arg", "edit", setp("process.args", ["true", "a\0b"]), CFG),
    case("NUL-in-root.path", "edit", setp("root.path", "rootfs\0/../../etc"), CFG),
    case("NUL-in-a-mount-destination", "edit",
         add_mount(destination="/tmp\0/../etc", type="tmpfs", source="tmpfs"), CFG),
    case("NUL-in-an-annotation-key", "text",
         replace('"ociVersion"', '"annotations": {"a\\u0000b": "x"},\n  "ociVersion"'), CFG),
    case("not-UTF-8", "text", replace_bytes(b"runsd-test", b"runsd-\xff\xfe"), CFG),
    case("overlong-UTF-8-slash", "text", replace_bytes(b'"rootfs"', b'"rootfs\xc0\xaf.."'), CFG),
    case("lone-surrogate", "text", replace('"runsd-test"', '"\\ud800"'), CFG),
    # -- wrong types, at several depths
    case("process-a-string", "edit", setp("process", "sh"), CFG, "process"),
    case("root-a-string", "edit", setp("root", "rootfs"), CFG, "root"),
    case("root.readonly-a-string", "edit", setp("root.readonly", "yes"), CFG, "root.readonly"),
    case("process.user-an-array", "edit", setp("process.user", [0, 0]), CFG, "process.user"),
    case("gid-a-fraction", "edit", setp("process.user.gid", 1.5), CFG, "process.user.gid"),
    case("capability-set-a-string", "edit", setp("process.capabilities.bounding", "CAP_KILL"),
         CFG, "process.capabilities.bounding"),
    case("capability-a-number", "edit", setp("process.capabilities.effective", [5]),
         CFG, "process.capabilities.effective[0]"),
    case("rlimit-soft-a-string", "edit", setp("process.rlimits.0.soft", "1024"),
         CFG, "process.rlimits[0].soft"),
    case("rlimits-an-object", "edit", setp("process.rlimits", {"type": "RLIMIT_NOFILE"}),
         CFG, "process.rlimits"),
    case("mount-options-a-string", "edit", setp("mounts.1.options", "nosuid"),
         CFG, "mounts[1].options"),
    case("mount-a-string", "edit", setp("mounts.0", "proc"), CFG, "mounts[0]"),
    case("namespace-type-a-number", "edit", ns({"type": 1}), CFG, "linux.namespaces[0].type"),
    case("maskedPaths-null-entry", "edit", setp("linux.maskedPaths", [None]),
         CFG, "linux.maskedPaths[0]"),
    case("annotation-a-number", "edit", setp("annotations", {"a": 1}), CFG, "annotations.a"),
    case("ociVersion-a-number", "edit", setp("ociVersion", 1.0), CFG, "ociVersion"),
    case("ociVersion-2", "edit", setp("ociVersion", "2.0.0"), CFG, "ociVersion"),
    case("noNewPrivileges-a-string", "edit", setp("process.noNewPrivileges", "true"),
         CFG, "process.noNewPrivileges"),
    case("linux-an-array", "edit", setp("linux", []), CFG, "linux"),
    # -- numbers: huge, negative, out of range
    case("uid-1e400", "text", replace('"uid": 0', '"uid": 1e400'), CFG),
    case("uid-2^64", "edit", setp("process.user.uid", TWO_POW_64), CFG, "process.user.uid"),
    case("uid-99999999999999999999", "edit", setp("process.user.uid", 99999999999999999999),
         CFG, "process.user.uid"),
    case("uid-4294967295", "edit", setp("process.user.uid", 2 ** 32 - 1), CFG, "process.user.uid"),
    case("gid-2^32", "edit", setp("process.user.gid", 2 ** 32), CFG, "process.user.gid"),
    case("uid-negative", "edit", setp("process.user.uid", -1), CFG, "process.user.uid"),
    case("gid-negative", "edit", setp("process.user.gid", -5), CFG, "process.user.gid"),
    case("additionalGid-negative", "edit", setp("process.user.additionalGids", [0, -1]),
         CFG, "process.user.additionalGids[1]"),
    case("umask-negative", "edit", setp("process.user.umask", -1), CFG, "process.user.umask"),
    case("umask-01000", "edit", setp("process.user.umask", 0o1000), CFG, "process.user.umask"),
    case("rlimit-hard-1e400", "text", replace('"hard": 1024', '"hard": 1e400'), CFG),
    case("rlimit-soft-2^64-above-hard", "edit", setp("process.rlimits.0.soft", TWO_POW_64),
         CFG, "process.rlimits[0]"),
    case("oomScoreAdj-2000", "edit", setp("process.oomScoreAdj", 2000),
         CFG, "process.oomScoreAdj"),
    case("oomScoreAdj-99999999999999999999", "edit",
         setp("process.oomScoreAdj", 99999999999999999999), CFG, "process.oomScoreAdj"),
    case("70000-additionalGids", "edit", setp("process.user.additionalGids", [0] * 70000),
         "additionalGids"),
    # -- namespaces
    case("namespace-type-uppercase", "edit", ns({"type": "PID"}, {"type": "mount"}),
         CFG, "linux.namespaces[0].type", "PID"),
    case("namespace-type-empty", "edit", ns({"type": ""}, {"type": "mount"}),
         CFG, "linux.namespaces[0].type"),
    case("namespace-listed-twice", "edit", ns({"type": "mount"}, {"type": "pid"}, {"type": "pid"}),
         CFG, "linux.namespaces[2].type", "twice"),
    case("namespace-twice-with-a-path", "edit",
         ns({"type": "mount"}, {"type": "network"},
            {"type": "network", "path": "/proc/self/ns/net"}),
         CFG, "linux.namespaces[2].type", "twice"),
    case("namespace-path-not-a-namespace", "edit",
         ns({"type": "mount"}, {"type": "uts"}, {"type": "network", "path": "/etc/passwd"}),
         "linux.namespaces", "/etc/passwd"),
    case("pid-namespace-path-of-a-net-namespace", "edit",
         ns({"type": "mount"}, {"type": "uts"}, {"type": "pid", "path": "/proc/1/ns/net"}),
         "linux.namespaces", "pid", "/proc/1/ns/net"),
    case("namespace-path-relative", "edit",
         ns({"type": "mount"}, {"type": "network", "path": "../net"}),
         CFG, "linux.namespaces[1].path"),
    case("mounts-without-mount-namespace", "edit", ns({"type": "pid"}, {"type": "uts"}),
         CFG, "mounts", "mount namespace"),
    # -- the rootfs
    case("root.path-../../etc", "edit", setp("root.path", "../../etc"), CFG, "root.path"),
    case("root.path-rootfs/../../etc", "edit", setp("root.path", "rootfs/../../etc"),
         CFG, "root.path"),
    case("root.path-..", "edit", setp("root.path", ".."), CFG, "root.path"),
    case("root.path-empty", "edit", setp("root.path", ""), CFG, "root.path"),
    case("root.path-a-file", "edit", setp("root.path", CFG), "rootfs", CFG),
    case("root.path-missing", "edit", setp("root.path", "/nonexistent-rootfs"),
         "/nonexistent-rootfs"),
    # -- mount destinations
    case("mount-destination-..", "edit",
         add_mount(destination="/proc/../etc", type="tmpfs", source="tmpfs"),
         CFG, "mounts[6].destination", ".."),
    case("mount-destination-leading-..", "edit",
         add_mount(destination="/../../etc", type="tmpfs", source="tmpfs"),
         CFG, "mounts[6].destination"),
    case("mount-destination-relative", "edit",
         add_mount(destination="../etc", type="tmpfs", source="tmpfs"),
         CFG, "mounts[6].destination"),
    case("maskedPath-..", "edit", setp("linux.maskedPaths", ["/proc/../../etc"]),
         CFG, "linux.maskedPaths"),
    case("readonlyPath-relative", "edit", setp("linux.readonlyPaths", ["etc"]),
         CFG, "linux.readonlyPaths"),
    case("mount-destination-dangling-symlink", "edit",
         add_mount(destination="/dangling/x", type="tmpfs", source="tmpfs"),
         "mounts[6]", "/dangling/x", prep=symlink_in_rootfs("dangling", "/nowhere/at/all")),
    case("mount-destination-a-file", "edit",
         add_mount(destination="/etc/passwd", type="tmpfs", source="tmpfs"),
         "mounts[6]", "/etc/passwd"),
    case("mount-unknown-fs-type", "edit",
         add_mount(destination="/mnt", type="nosuchfs", source="x"), "mounts[6]", "/mnt"),
    case("mount-bad-tmpfs-option", "edit",
         add_mount(destination="/mnt", type="tmpfs", source="tmpfs", options=["size=lots"]),
         "mounts[6]", "/mnt"),
    case("bind-mount-source-missing", "edit",
         add_mount(destination="/mnt", type="bind", source="/nonexistent-src",
                   options=["rbind"]), "mounts[6]", "/nonexistent-src"),
    case("mount-option-remount", "edit",
         add_mount(destination="/mnt", type="tmpfs", source="tmpfs", options=["remount"]),
         CFG, "mounts[6]", "remount: nothing is mounted at /mnt"),
    case("mount-without-type", "edit", add_mount(destination="/mnt", source="tmpfs"),
         CFG, "mounts[6].type"),
    # -- process
    case("env-without-=", "edit", setp("process.env", ["PATH=/bin", "FOO"]),
         CFG, "process.env", "FOO"),
    case("env-empty-name", "edit", setp("process.env", ["=x"]), CFG, "process.env"),
    case("env-empty-string", "edit", setp("process.env", [""]), CFG, "process.env"),
    case("env-newline-no-=", "edit", setp("process.env", ["FOO\nrunsd: forged line"]),
         CFG, "process.env"),
    case("args0-empty", "edit", setp("process.args", ["", "x"]), CFG, "process.args[0]"),
    case("args0-a-directory", "edit", setp("process.args", ["/bin"]), "process.args[0]", "/bin"),
    case("cwd-missing", "edit", setp("process.cwd", "/nonexistent-cwd"),
         "process.cwd", "/nonexistent-cwd"),
    case("cwd-..", "edit", setp("process.cwd", "/tmp/../.."), CFG, "process.cwd"),
    case("rlimit-unknown", "edit", setp("process.rlimits", [
        {"type": "RLIMIT_FOO", "hard": 1, "soft": 1}]), CFG, "process.rlimits[0].type"),
    case("rlimit-twice", "edit", setp("process.rlimits", [
        {"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
        {"type": "RLIMIT_NOFILE", "hard": 512, "soft": 512}]), CFG, "process.rlimits[1].type"),
    case("rlimit-soft-above-hard", "edit", setp("process.rlimits.0.soft", 2048),
         CFG, "process.rlimits[0]"),
    case("username", "edit", setp("process.user.username", "root"),
         CFG, "process.user.username", "not supported"),
    # -- the rest
    case("hostname-65-characters", "edit", setp("hostname", "h" * 65), CFG, "hostname"),
    case("hostname-with-slash", "edit", setp("hostname", "a/b"), CFG, "hostname"),
    case("hostname-without-uts-namespace", "edit", ns({"type": "mount"}), CFG, "hostname"),
    case("cgroupsPath-slice-..", "edit", setp("linux.cgroupsPath", "../x.slice:p:n"),
         CFG, "linux.cgroupsPath"),
    case("cgroupsPath-name-with-slash", "edit", setp("linux.cgroupsPath", "runsd.slice:p:a/b"),
         CFG, "linux.cgroupsPath"),
    case("cgroupsPath-empty-name", "edit", setp("linux.cgroupsPath", "runsd.slice:p:"),
         CFG, "linux.cgroupsPath"),
    # -- command lines
    case("create-without-ID", "argv", lambda b, c, t: ["create", "--bundle", b.path], "create"),
    case("create-two-IDs", "argv", create("--", "x"), "create"),
    case("create-ID--rf", "argv", create_id("-rf")),
    case("create-ID--rf-after---", "argv", lambda b, c, t: ["create", "--bundle", b.path, "--",
                                                            "-rf"], "-rf"),
    case("create-ID-newline", "argv", create_id("a\nb"), "invalid container ID"),
    case("create-ID-space", "argv", create_id("a b"), "invalid container ID"),
    case("create-ID-non-ASCII", "argv", create_id("caf\u00e9"), "invalid container ID"),
    case("create-ID-glob", "argv", create_id("*"), "invalid container ID"),
    case("create-ID-201-characters", "argv", create_id("x" * 201), "invalid container ID"),
    case("create-ID-100000-characters", "argv", create_id("x" * 100000), "invalid container ID"),
    case("bundle-option-without-value", "argv", lambda b, c, t: ["create", "--bundle"]),
    case("unknown-global-option", "argv", lambda b, c, t: ["--rot", "/tmp", "list"]),
    case("bundle-is-a-file", "argv",
         lambda b, c, t: ["create", "--bundle", t / "afile", c], AFILE, prep=make_file("afile")),
    case("log-format-yaml", "argv", lambda b, c, t: ["--log-format", "yaml", *create()(b, c, t)],
         "yaml"),
    case("log-into-a-directory", "argv", lambda b, c, t: ["--log", t, *create()(b, c, t)], "--log"),
    case("root-empty", "argv", lambda b, c, t: ["--root", "", *create()(b, c, t)]),
    case("root-a-file", "argv", lambda b, c, t: ["--root", t / "afile", *create()(b, c, t)],
         prep=make_file("afile")),
    case("pid-file-in-missing-directory", "argv",
         lambda b, c, t: ["create", "--bundle", b.path, "--pid-file", t / "nodir" / "pid", c],
         "pid file", "nodir"),
    case("run-detach-pid-file-in-missing-directory", "argv",
         lambda b, c, t: ["run", "--detach", "--bundle", b.path, "--pid-file", t / "no" / "p", c],
         "pid file"),
    case("pid-file-empty", "argv", lambda b, c, t: ["create", "--bundle", b.path, "--pid-file",
                                                    "", c], "pid file"),
]


@pytest.mark.parametrize("kind,what,want,prep", BAD_INPUT)
def test_bad_input(host, runsd, bundle, cid, tmp_path, kind, what, want, prep):
    # should runsd take the config after all, the process ends at once
    bundle.configure(args=["true"])
    if prep:
        prep(bundle, tmp_path)
    if kind == "edit":
        bundle.configure(edit=what)
    elif kind == "text":
        out = what((bundle.path / CFG).read_text())
        (bundle.path / CFG).write_bytes(out if isinstance(out, bytes) else out.encode())
    argv = what(bundle, cid, tmp_path) if kind == "argv" else ["create", "--bundle", bundle.path,
                                                                cid]
    want = [str(bundle.path / CFG) if w == CFG else str(tmp_path / "afile") if w == AFILE else w
            for w in want]
    assert_fails_cleanly(host, runsd, argv, tmp_path, want)


# Failures in the init, after the unit exists: `run` must clean up as `create`.
@pytest.mark.parametrize("what,want", [
    (add_mount(destination="/mnt", type="nosuchfs", source="x"), "mounts[6]"),
    (setp("process.cwd", "/nonexistent-cwd"), "process.cwd"),
    (setp("root.path", "/nonexistent-rootfs"), "/nonexistent-rootfs"),
], ids=["unknown-fs-type", "missing-cwd", "missing-rootfs"])
def test_bad_input_run(host, runsd, bundle, cid, tmp_path, what, want):
    bundle.configure(args=["true"], edit=what)
    assert_fails_cleanly(host, runsd, ["run", "--bundle", bundle.path, cid], tmp_path, [want])


def host_caps(host):
    status = host.run(["cat", "/proc/self/status"]).stdout
    return int(next(l.split()[1] for l in status.splitlines() if l.startswith("CapEff:")), 16)


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_rlimit_above_the_hard_limit(host, runsd, bundle, cid, tmp_path, cmd):
    hard = host.run(["sh", "-c", "ulimit -Hn"]).stdout.strip()
    assert hard.isdigit(), f"the test host's RLIMIT_NOFILE hard limit is {hard!r}"
    CAP_SYS_RESOURCE = 24
    if host_caps(host) & (1 << CAP_SYS_RESOURCE):
        # with the capability, only a limit above fs.nr_open is refused
        hard = host.run(["cat", "/proc/sys/fs/nr_open"]).stdout.strip()
    limit = int(hard) + 1
    bundle.configure(args=["true"], edit=setp("process.rlimits", [
        {"type": "RLIMIT_NOFILE", "hard": limit, "soft": 1024}]))
    line = assert_fails_cleanly(host, runsd, [cmd, "--bundle", bundle.path, cid], tmp_path,
                                ["process.rlimits[0]", str(limit)])
    if not host_caps(host) & (1 << CAP_SYS_RESOURCE):
        assert "CAP_SYS_RESOURCE" in line, line


@pytest.mark.parametrize("sig", [
    "", "SIGFOO", "0", "65", pytest.param("-9"), "9x", "SIGRTMAX+1", "KILL ",
])
def test_kill_invalid_signal_name(host, runsd, bundle, cid, tmp_path, sig):
    pid = start(runsd, bundle, cid)["pid"]
    # (the container's own processes are rooted in the bundle, rightly)
    assert_fails_cleanly(host, runsd, ["kill", cid, sig], tmp_path, dirs=[])
    time.sleep(0.1)
    assert runsd.state(cid)["status"] == "running"
    assert alive(host, pid)


INVALID_IDS = {"dotdot-x": "../x", "slash": "a/b", "empty": "", "dot": ".", "dotdot": "..",
               "1024": "x" * 1024, "dash-rf": "-rf", "newline": "a\nb"}


def _invalid_id_cases():
    for command in (["delete", "--force"], ["state"], ["start"], ["kill"]):
        for name, bad in INVALID_IDS.items():
            if name == "dotdot-x" and command[0] != "delete":
                continue        # in test_errors.py
            yield pytest.param(command, bad, id=f"{'-'.join(command)}-{name}")


@pytest.mark.parametrize("command,bad", list(_invalid_id_cases()))
def test_invalid_id_other_commands(host, runsd, tmp_path, command, bad):
    # `delete --force` of an unknown ID succeeds; of an invalid one it must not
    line = assert_fails_cleanly(host, runsd, [*command, "--", bad], tmp_path)
    assert "invalid container ID" in line, line
    assert host.run(["test", "-d", runsd.root]).returncode == 0


def test_config_is_a_fifo(host, runsd, bundle, cid, tmp_path):
    """A FIFO for config.json (or anything that never gives EOF): create must
    not wait forever for a writer."""
    fifo = bundle.path / CFG
    fifo.unlink()
    os.mkfifo(fifo)
    before = traces(host, runsd)
    with open(tmp_path / "out", "w") as out:
        p = runsd.popen("create", "--bundle", bundle.path, cid, stdout=out,
                        stderr=subprocess.STDOUT)
    try:
        try:
            p.wait(timeout=3)
            hung = False
        except subprocess.TimeoutExpired:
            hung = True
    finally:
        # release it, whatever it waits in (an open for reading or a read)
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.write(fd, b"{")
            os.close(fd)
        except OSError:
            pass
        try:
            p.wait(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert not hung, "runsd create blocked on a config.json that is a FIFO"
    assert p.returncode != 0
    one_line((tmp_path / "out").read_text())
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))


def test_cgroups_path_of_another_containers_unit(host, runsd, make_bundle, new_cid, tmp_path):
    victim, intruder = new_cid(), new_cid()
    pid = start(runsd, make_bundle("victim"), victim)["pid"]
    unit = f"runsd-{victim}.scope"
    b = make_bundle("intruder")
    b.configure(edit=setp("linux.cgroupsPath", f"runsd.slice:runsd:{victim}"))
    r = runsd.run("create", "--bundle", b.path, intruder)
    assert r.returncode == 1
    assert unit in one_line(r.stderr)
    time.sleep(0.2)
    assert alive(host, pid), f"the failed create of {intruder} killed {victim}'s init"
    assert unit_prop(host, unit, "ActiveState") == "active"
    assert runsd.state(victim)["status"] == "running"


# ------------------------------------------------- hostile, yet documented to work

@pytest.mark.parametrize("link,target", [
    ("hostdir-abs", "{hostdir}"),                       # absolute path of a host directory
    ("up", "../../../../../../../../../../../../.."),    # relative, out through the top
    ("chain", "chain2"),                                 # a chain, ending at a host path
])
def test_mount_through_a_symlink_stays_in_the_rootfs(host, runsd, bundle, cid, tmp_path,
                                                     nothing_left, link, target):
    """A symlink in the image leading to a host directory: the mount (and the
    directories made for it) land in the rootfs's directory of that name."""
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    (hostdir / "keep").write_text("host\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "marker").write_text("from src\n")
    (bundle.rootfs / link).symlink_to(target.format(hostdir=hostdir))
    if link == "chain":
        (bundle.rootfs / "chain2").symlink_to("/" + os.path.relpath(hostdir, "/"))
    # the image has a directory of the host directory's name: where the link
    # leads when resolved in the rootfs, and the rest is made there
    in_root = bundle.rootfs / str(hostdir).lstrip("/")
    in_root.mkdir(parents=True)
    # through "up", /up/<hostdir> would be <hostdir> if followed outside the rootfs
    dest = (f"/up{hostdir}" if link == "up" else f"/{link}") + "/newdir/sub"
    bundle.configure(args=["sh", "-c", f"cat {dest}/marker; cat /proc/self/mountinfo"],
                     edit=add_mount(destination=dest, type="bind", source=str(src),
                                    options=["rbind", "ro"]))
    before = traces(host, runsd)

    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = r.stdout.splitlines()
    assert out[0] == "from src", out[:3]
    # the mount is where the symlink leads inside the container's root
    mountpoints = [l.split()[4] for l in out[1:]]
    assert f"{hostdir}/newdir/sub" in mountpoints, mountpoints
    # ... which is in the rootfs on the host; the host directory is untouched
    assert (in_root / "newdir" / "sub").is_dir()
    assert sorted(p.name for p in hostdir.iterdir()) == ["keep"]
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))
    nothing_left(cid)


def test_mount_through_a_symlink_dangling_in_the_rootfs(host, runsd, bundle, cid, tmp_path):
    """The same link, but the rootfs has no such directory: on the host the
    path exists (and following the link there would make newdir in it);
    resolved in the rootfs it dangles, and create fails saying so."""
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    (hostdir / "keep").write_text("host\n")
    (bundle.rootfs / "hostdir-abs").symlink_to(hostdir)
    bundle.configure(args=["true"], edit=add_mount(destination="/hostdir-abs/newdir/sub",
                                                   type="tmpfs", source="tmpfs"))
    assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path,
                         ["mounts[6]", "/hostdir-abs/newdir/sub", "dangling symlink"])
    assert sorted(p.name for p in hostdir.iterdir()) == ["keep"]
    assert not (bundle.rootfs / str(hostdir).lstrip("/")).exists()


def test_mount_through_a_symlink_to_etc(host, runsd, bundle, cid, tmp_path, nothing_left):
    # /etc of the host is read-only in the test host and must stay unmounted
    # on; in the rootfs, etc/ is the image's own
    (bundle.rootfs / "hostetc").symlink_to("/etc")
    bundle.configure(args=["sh", "-c", "cat /hostetc/runsd-escape/passwd; "
                           "grep -c ' /etc/runsd-escape ' /proc/self/mountinfo"],
                     edit=add_mount(destination="/hostetc/runsd-escape", type="bind",
                                    source=str(bundle.rootfs / "etc"), options=["rbind", "ro"]))
    before = traces(host, runsd)
    etc_before = host.run(["ls", "-A", "/etc"]).stdout
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "1"
    assert "root:x:0:0" in r.stdout
    assert (bundle.rootfs / "etc" / "runsd-escape").is_dir()
    assert host.run(["ls", "-A", "/etc"]).stdout == etc_before
    assert not Path("/etc/runsd-escape").exists()
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))
    nothing_left(cid)


def test_unknown_capabilities_are_ignored_with_a_warning(host, runsd, bundle, cid, tmp_path,
                                                         nothing_left):
    # as runc: warned about and dropped; the known ones are still applied
    def edit(cfg):
        cfg["process"]["capabilities"]["bounding"] += ["CAP_FOO"]
    bundle.configure(args=["sh", "-c", "grep CapBnd /proc/self/status"], edit=edit)
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    line = one_line(r.stderr)
    assert "warning" in line and "process.capabilities.bounding" in line and "CAP_FOO" in line, line
    # CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
    assert r.stdout.split() == ["CapBnd:", f"{(1 << 5) | (1 << 10) | (1 << 29):016x}"]
    nothing_left(cid)


def test_one_megabyte_single_argument(host, runsd, bundle, cid, tmp_path, nothing_left):
    """Above the kernel's MAX_ARG_STRLEN (128 KiB): create takes it, the exec
    fails, and `run` says so in one line and exits 127."""
    bundle.configure(args=["sh", "-c", 'echo ${#1}', "sh", "x" * (1 << 20)])
    before = traces(host, runsd)
    r = runsd.run("run", "--bundle", bundle.path, cid, timeout=60)
    assert r.returncode == 127, (r.returncode, r.stderr)
    assert r.stdout == ""
    assert "Argument list too long" in one_line(r.stderr)
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))
    nothing_left(cid)


def test_hundred_thousand_arguments(host, runsd, bundle, cid, tmp_path, nothing_left):
    """100k arguments (about 1 MB with their pointers) fit in ARG_MAX: it works."""
    bundle.configure(args=["sh", "-c", 'echo $# "$1" "$100000"', "sh",
                           *(f"a{i}" for i in range(1, 100001))])
    r = runsd.run("run", "--bundle", bundle.path, cid, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (0, "100000 a1 a100000\n", "")
    nothing_left(cid)


# ---------------------------------------------------------------- concurrency
#
# Runsd.run is host.run plus a look at the output: each call makes its own
# temporary files and subprocess and shares nothing writable, so threads may
# call it at once.  (host.popen is not: it appends to a list.)

def run_all(fn, items, workers):
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


def test_parallel_creates_of_one_id(host, runsd, make_bundle, cid, tmp_path):
    n = 20
    bundles = [make_bundle(f"b{i}") for i in range(n)]
    before = traces(host, runsd)
    barrier = threading.Barrier(n)

    def go(b):
        barrier.wait()
        return runsd.run("create", "--bundle", b.path, cid)
    results = run_all(go, bundles, n)

    won = [i for i, r in enumerate(results) if r.returncode == 0]
    assert len(won) == 1, [(r.returncode, r.stderr) for r in results]
    for i, r in enumerate(results):
        if i != won[0]:
            assert r.returncode == 1, (r.returncode, r.stderr)
            assert "container with given ID already exists" in one_line(r.stderr)
    unit = f"runsd-{cid}.scope"
    units = host.systemctl("list-units", "--all", "--plain", "--no-legend", "--full").stdout
    assert [l.split()[0] for l in units.splitlines() if cid in l] == [unit]
    raw = host.run(["cat", f"{runsd.root}/{cid}/state.json"])
    assert raw.returncode == 0, raw.stderr
    st = json.loads(raw.stdout)
    assert st["status"] == "created" and st["id"] == cid
    assert st["bundle"] == str(bundles[won[0]].path)
    assert runsd.state(cid)["status"] == "created"
    assert unit_prop(host, unit, "ActiveState") == "active"
    # the losers made nothing: one new state dir, one new unit, no stray .creating-*
    found = new_traces(before, traces(host, runsd))
    assert sorted(found) == sorted([f"new state root entry: {cid}", f"new unit: {unit}"]), found
    losers = [d for i, b in enumerate(bundles) if i != won[0] for d in (b.path, b.rootfs)]
    assert processes_in(losers) == []
    runsd.ok("delete", cid)
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))


def test_storm_on_one_container(host, runsd, bundle, cid, tmp_path, nothing_left):
    """start/kill/delete/state/create at once on one ID: every answer is a
    clean one, every state read is whole, and delete --force ends it."""
    before = traces(host, runsd)
    runsd.ok("create", "--bundle", bundle.path, cid)
    ops = {("create", "--bundle", bundle.path, cid): 3, ("start", cid): 4, ("kill", cid, "KILL"): 1,
           ("kill", cid, "TERM"): 1, ("kill", "--all", cid, "KILL"): 1, ("delete", cid): 2,
           ("state", cid): 4, ("list", "--format", "json"): 1}
    rng = random.Random(20261123)
    plans = [rng.choices(list(ops), weights=list(ops.values()), k=30) for _ in range(6)]
    stop = threading.Event()
    raw = []

    def reader():
        # the state file itself, read as another program would
        while not stop.is_set():
            r = host.run(["cat", f"{runsd.root}/{cid}/state.json"])
            if r.returncode == 0:
                raw.append(r.stdout)

    def worker(plan):
        return [(op, runsd.run(*op)) for op in plan]
    t = threading.Thread(target=reader)
    t.start()
    try:
        results = [x for rs in run_all(worker, plans, len(plans)) for x in rs]
    finally:
        stop.set()
        t.join()

    counts = {}
    for op, r in results:
        what = f"runsd {' '.join(map(str, op))}: exit {r.returncode}\n{r.stderr}"
        assert r.returncode in (0, 1), what
        counts[op[0], r.returncode] = counts.get((op[0], r.returncode), 0) + 1
        if r.returncode == 1:
            one_line(r.stderr)
            assert r.stdout == "", what
        elif op[0] == "state":
            st = json.loads(r.stdout)
            assert st["id"] == cid and st["status"] in STATUSES, st
        elif op[0] == "list":
            for st in json.loads(r.stdout) or []:
                assert st["status"] in STATUSES, st
    for text in raw:
        st = json.loads(text)
        assert st["id"] == cid and st["status"] in STATUSES, text
    # the storm did something: containers were made, started, deleted
    assert all(counts.get((op, 0)) for op in ("create", "delete", "state")) and raw, counts

    runsd.ok("delete", "--force", cid)
    nothing_left(cid)
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))


def test_many_containers_in_parallel(host, runsd, make_bundle, tmp_path):
    workers, rounds = 5, 10
    bundles = [make_bundle(f"w{w}") for w in range(workers)]
    ids = [[f"t{os.getpid()}-many-{w}-{i}" for i in range(rounds)] for w in range(workers)]
    before = traces(host, runsd)

    def worker(w):
        problems = []
        for cid in ids[w]:
            for args in (("create", "--bundle", bundles[w].path, cid), ("start", cid),
                         ("state", cid), ("delete", "--force", cid)):
                r = runsd.run(*args)
                if r.returncode != 0:
                    problems.append(f"runsd {' '.join(map(str, args))}: {r.stderr.strip()}")
                elif args[0] == "state" and json.loads(r.stdout)["status"] != "running":
                    problems.append(f"{cid}: {r.stdout}")
        return problems
    try:
        problems = [p for ps in run_all(worker, range(workers), workers) for p in ps]
        assert not problems, "\n".join(problems)
        assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))
        listed_ids = {s["id"] for s in json.loads(runsd.ok("list", "--format", "json")) or []}
        assert not listed_ids & {c for w in ids for c in w}
    finally:
        run_all(lambda c: runsd.run("delete", "--force", c), [c for w in ids for c in w], workers)


# ---------------------------------------------------------------- crash safety

KILL_POINTS = [
    # (name, syscall, when, the syscalls strace logged before it, status in `list`,
    #  the init alive and the unit active after the crash)
    pytest.param("before-the-state-dir-has-its-name", "renameat2", 1, ["renameat"], None, False,
                 id="before-state-dir"),
    pytest.param("before-the-unit", "clone3", 1, ["renameat", "renameat2"], "stopped", False,
                 id="before-unit"),
    pytest.param("after-the-unit", "sendto", 1, ["renameat", "renameat2", "clone3"],
                 "stopped", False, id="after-unit"),
    pytest.param("before-the-created-state", "renameat", 2,
                 ["renameat", "renameat2", "clone3", "sendto"], "stopped", True,
                 id="before-created-state"),
    pytest.param("before-the-pid-file", "renameat", 3,
                 ["renameat", "renameat2", "clone3", "sendto", "renameat"], "created", True,
                 id="before-pid-file"),
]


@pytest.fixture(scope="session")
def strace(host):
    if host.run(["sh", "-c", "command -v strace"]).returncode != 0:
        pytest.skip("strace is missing: apt-get install strace (Debian's package strace)")
    return "strace"


@pytest.mark.parametrize("point,syscall,when,seen,status,survives", KILL_POINTS)
def test_sigkill_create(host, runsd, strace, bundle, cid, tmp_path, point, syscall, when, seen,
                        status, survives):
    log, pidfile = tmp_path / "strace.log", tmp_path / "pid"
    before = traces(host, runsd)
    r = host.run([strace, "-o", log, "-e", "trace=clone3,sendto,renameat,renameat2",
                  "-e", f"inject={syscall}:signal=KILL:when={when}",
                  *runsd.argv("create", "--bundle", bundle.path, "--pid-file", pidfile, cid)],
                 env=RUNSD_ENV, timeout=30)
    calls = log.read_text().splitlines()
    # it died where meant: on entering the syscall, after the ones before it
    assert r.returncode in (-9, 137), (r.returncode, r.stderr, calls)
    assert calls[-1] == "+++ killed by SIGKILL +++", calls
    assert calls[-2].startswith(f"{syscall}(") and calls[-2].endswith("= ?"), calls
    assert [c.split("(")[0] for c in calls[:-2]] == seen, calls
    assert not pidfile.exists()

    if status is not None:
        # an operator finds it
        entry = listed(runsd, cid)
        assert entry is not None, f"{cid} is not in `runsd list`"
        assert entry["status"] == status, entry
        assert cid in runsd.ok("list")
        assert runsd.state(cid)["status"] == status
    unit = f"runsd-{cid}.scope"
    if survives:
        assert unit_prop(host, unit, "ActiveState") == "active"
        assert processes_in([bundle.rootfs]), "the init did not survive: nothing to clean up"

    runsd.ok("delete", "--force", cid)
    try:
        # (runsd's temporary pid file, ".#pid.PID" in the caller's directory, is
        # not in the list: nothing could know to remove it)
        assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))
        assert runsd.run("state", cid).returncode == 1
        assert listed(runsd, cid) is None
    finally:
        # a stray .creating-* of this test's must not stay for the next ones
        for name in traces(host, runsd)["state root entry"] - before["state root entry"]:
            if name.startswith(".creating-"):
                host.run(["rm", "-rf", f"{runsd.root}/{name}"])


def test_sigkill_run_while_the_container_runs(host, runsd, bundle, cid, tmp_path, nothing_left):
    before = traces(host, runsd)
    with open(tmp_path / "out", "w") as out:
        p = runsd.popen("run", "--bundle", bundle.path, cid, stdout=out,
                        stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not (runsd.run("state", cid).returncode == 0
                   and runsd.state(cid)["status"] == "running"):
            assert time.monotonic() < deadline and p.poll() is None, "the container never ran"
            time.sleep(0.05)
        init = runsd.state(cid)["pid"]
        status = host.run(["cat", f"/proc/{init}/status"]).stdout
        parent = int(next(l.split()[1] for l in status.splitlines() if l.startswith("PPid:")))
        assert host.run(["cat", f"/proc/{parent}/comm"]).stdout.strip() == "runsd"
        assert host.run(["kill", "-KILL", str(parent)]).returncode == 0
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode in (-9, 137), (p.returncode, (tmp_path / "out").read_text())

    # the container goes on without runsd; an operator finds it, and delete --force ends it
    entry = listed(runsd, cid)
    assert entry is not None and entry["status"] == "running", entry
    assert alive(host, init)
    runsd.ok("delete", "--force", cid)
    nothing_left(cid)
    assert_no_new_traces(host, runsd, before, bundle_dirs(tmp_path))
    assert not alive(host, init)
