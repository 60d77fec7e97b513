"""config.json's mounts: each option's effect as the container sees it (its
/proc/self/mountinfo, a write, an exec), propagation both ways, idmapped
mounts, tmpcopyup, the container's own cgroup, destinations resolved inside
the rootfs, and bad input refused with one line naming the field."""

import os
import shutil

import pytest

from conftest import SCRATCH
from bundle import BUSYBOX

HOST_ID = 100000
MAP = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]


def run_in(runsd, bundle, cid, script, edit=None):
    """`runsd run` sh -c script in bundle; its stdout (asserting exit 0)."""
    bundle.configure(args=["sh", "-c", script], edit=edit)
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def add_mounts(*mounts):
    return lambda cfg: cfg["mounts"].extend(mounts)


def edits(*fns):
    def edit(cfg):
        for fn in fns:
            fn(cfg)
    return edit


def with_userns(cfg):
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = MAP
    cfg["linux"]["gidMappings"] = MAP


def reachable(path):
    """Let the ids a user namespace maps root to reach path (pytest makes its
    directories 0700): the container's root sets up its rootfs."""
    d = path
    while d != SCRATCH and d != d.parent:
        os.chmod(d, os.stat(d).st_mode | 0o011)
        d = d.parent


def mountinfo(text):
    """/proc/self/mountinfo as {mount point: (per-mount options, optional fields, fs type, super options)};
    the last mount of a point wins."""
    m = {}
    for line in text.splitlines():
        head, _, tail = line.partition(" - ")
        f, t = head.split(), tail.split()
        if len(f) >= 6 and t:
            m[f[4]] = (set(f[5].split(",")), f[6:], t[0], set(t[2].split(",")) if len(t) > 2 else set())
    return m


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"want one line on stderr, got:\n{err}"
    return lines[0]


# ------------------------------------------------------------------ types

def test_each_type_is_mounted(runsd, bundle, cid, tmp_path):
    # the default config's proc, tmpfs, devpts, mqueue, sysfs, plus bind,
    # rbind (with what is under its source) and cgroup
    (tmp_path / "src" / "below").mkdir(parents=True)
    m = mountinfo(run_in(runsd, bundle, cid, "cat /proc/self/mountinfo", edit=add_mounts(
        {"destination": "/b", "type": "bind", "source": str(tmp_path / "src"), "options": ["bind"]},
        {"destination": "/r", "type": "bind", "source": "/sys/fs", "options": ["rbind", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]})))
    want = {"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
            "/dev/mqueue": "mqueue", "/sys": "sysfs", "/r": "sysfs"}
    assert {p: m.get(p, (0, 0, None))[2] for p in want} == want
    assert "/b" in m
    assert any(p.startswith("/r/cgroup") for p in m), "rbind left out the mounts under its source"
    assert m["/sys/fs/cgroup"][2] in ("cgroup2", "tmpfs"), m["/sys/fs/cgroup"]


# ------------------------------------------------------------------ flags

# destination suffix, options, what mountinfo's per-mount options must and
# must not have
FLAG_CASES = [
    ("ro", ["ro"], {"ro"}, {"rw"}),
    ("rw", ["ro", "rw"], {"rw"}, {"ro"}),
    ("nosuid", ["nosuid"], {"nosuid"}, set()),
    ("suid", ["nosuid", "suid"], set(), {"nosuid"}),
    ("nodev", ["nodev"], {"nodev"}, set()),
    ("dev", ["nodev", "dev"], set(), {"nodev"}),
    ("noexec", ["noexec"], {"noexec"}, set()),
    ("exec", ["noexec", "exec"], set(), {"noexec"}),
    ("noatime", ["noatime"], {"noatime"}, {"relatime"}),
    ("atime", ["noatime", "atime"], {"relatime"}, {"noatime"}),
    ("strictatime", ["strictatime"], set(), {"relatime", "noatime"}),
    ("nostrictatime", ["strictatime", "nostrictatime"], {"relatime"}, set()),
    ("relatime", ["relatime"], {"relatime"}, {"noatime"}),
    ("norelatime", ["norelatime"], {"relatime"}, {"noatime"}),
    ("nodiratime", ["nodiratime"], {"nodiratime"}, set()),
    ("diratime", ["nodiratime", "diratime"], set(), {"nodiratime"}),
    ("nosymfollow", ["nosymfollow"], {"nosymfollow"}, set()),
    ("symfollow", ["nosymfollow", "symfollow"], set(), {"nosymfollow"}),
]


@pytest.mark.parametrize("kind", ["tmpfs", "bind"])
def test_flags_show_in_mountinfo(runsd, bundle, cid, tmp_path, kind):
    # one mount per case, each with its options, as the container sees them
    src = tmp_path / "src"
    src.mkdir()
    mounts = []
    for name, options, _, _ in FLAG_CASES:
        if kind == "tmpfs":
            mounts.append({"destination": f"/m/{name}", "type": "tmpfs", "source": "tmpfs", "options": options})
        else:
            (src / name).mkdir()
            mounts.append({"destination": f"/m/{name}", "type": "bind", "source": str(src / name),
                           "options": ["bind", *options]})
    m = mountinfo(run_in(runsd, bundle, cid, "cat /proc/self/mountinfo", edit=add_mounts(*mounts)))
    for name, options, want, unwanted in FLAG_CASES:
        got = m[f"/m/{name}"][0]
        assert want <= got and not unwanted & got, f"{options}: mountinfo has {sorted(got)}"


def test_sync_dirsync_lazytime_show_in_super_options(runsd, bundle, cid):
    # file system flags: mountinfo's super options, not the mount's
    m = mountinfo(run_in(runsd, bundle, cid, "cat /proc/self/mountinfo", edit=add_mounts(
        {"destination": "/s", "type": "tmpfs", "source": "tmpfs", "options": ["sync", "dirsync", "lazytime"]},
        {"destination": "/a", "type": "tmpfs", "source": "tmpfs", "options": ["sync", "async", "lazytime",
                                                                             "nolazytime"]})))
    assert {"sync", "dirsync", "lazytime"} <= m["/s"][3], m["/s"]
    assert not {"sync", "lazytime"} & m["/a"][3], m["/a"]


def test_ro_mount_refuses_writes(runsd, bundle, cid, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    out = run_in(runsd, bundle, cid, "touch /t/x 2>&1; touch /b/x 2>&1; touch /w/x && echo written", edit=add_mounts(
        {"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]},
        {"destination": "/b", "type": "bind", "source": str(src), "options": ["rbind", "ro"]},
        {"destination": "/w", "type": "tmpfs", "source": "tmpfs", "options": ["rw"]}))
    assert out.count("Read-only file system") == 2, out
    assert "written" in out
    assert not (src / "x").exists()


def test_noexec_refuses_to_run_a_program(runsd, bundle, cid, tmp_path):
    # the same busybox runs from a plain bind mount and not from a noexec one
    for name in ("plain", "noexec"):
        (tmp_path / name).mkdir()
        shutil.copy2(BUSYBOX, tmp_path / name / "busybox")
    out = run_in(runsd, bundle, cid, "/plain/busybox echo ran; /noexec/busybox echo ran 2>&1; true",
                 edit=add_mounts({"destination": "/plain", "type": "bind", "source": str(tmp_path / "plain"),
                                  "options": ["bind"]},
                                 {"destination": "/noexec", "type": "bind", "source": str(tmp_path / "noexec"),
                                  "options": ["bind", "noexec"]}))
    assert out.splitlines()[0] == "ran", out
    assert "Permission denied" in out.splitlines()[1], out


def test_tmpfs_size_and_mode(runsd, bundle, cid):
    out = run_in(runsd, bundle, cid, "/bin/busybox df -k /t | tail -n 1; stat -c %a /t", edit=add_mounts(
        {"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1750"]}))
    df, mode = out.splitlines()
    assert df.split()[1] == "1024", df
    assert mode == "1750"


def test_remount_changes_the_mount_already_there(runsd, bundle, cid):
    m = mountinfo(run_in(runsd, bundle, cid, "cat /proc/self/mountinfo", edit=add_mounts(
        {"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["remount", "ro", "size=2m"]})))
    assert "ro" in m["/t"][0] and "size=2048k" in m["/t"][3], m["/t"]


# ------------------------------------------------------------------ recursive options

@pytest.fixture
def tree(host, tmp_path):
    """A host directory with a tmpfs mounted under it (in the test host),
    for rbind and the recursive options."""
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    assert host.run(["mount", "-t", "tmpfs", "tmpfs", str(src / "sub")]).returncode == 0
    yield src
    host.run(["umount", "-l", str(src / "sub")])


def test_recursive_options_reach_submounts(runsd, bundle, cid, tree):
    # ro and nosuid on an rbind are the top mount's; rro and rnosuid every mount's
    m = mountinfo(run_in(runsd, bundle, cid, "cat /proc/self/mountinfo; touch /r/sub/x 2>&1; true", edit=add_mounts(
        {"destination": "/p", "type": "bind", "source": str(tree), "options": ["rbind", "ro", "nosuid"]},
        {"destination": "/r", "type": "bind", "source": str(tree),
         "options": ["rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnoatime"]})))
    assert {"ro", "nosuid"} <= m["/p"][0]
    assert not {"ro", "nosuid"} & m["/p/sub"][0], m["/p/sub"]
    for path in ("/r", "/r/sub"):
        assert {"ro", "nosuid", "nodev", "noexec", "noatime"} <= m[path][0], (path, m[path])


def test_recursive_atime_options(runsd, bundle, cid, tree):
    m = mountinfo(run_in(runsd, bundle, cid, "cat /proc/self/mountinfo", edit=add_mounts(
        {"destination": "/s", "type": "bind", "source": str(tree), "options": ["rbind", "rstrictatime"]},
        {"destination": "/n", "type": "bind", "source": str(tree), "options": ["rbind", "rnoatime", "ratime",
                                                                               "rnodiratime"]})))
    for path in ("/s", "/s/sub"):
        assert not {"relatime", "noatime"} & m[path][0], (path, m[path])
    for path in ("/n", "/n/sub"):
        assert "relatime" in m[path][0] and "nodiratime" in m[path][0], (path, m[path])


# ------------------------------------------------------------------ propagation

def make_shared(host, path):
    """Make path a shared mount of its own in the test host (whose / is
    private), so mounts have a peer group to propagate to and from; undone
    when the context ends."""
    class Shared:
        def __enter__(self):
            assert host.run(["mount", "--bind", str(path), str(path)]).returncode == 0
            assert host.run(["mount", "--make-shared", str(path)]).returncode == 0
            return path

        def __exit__(self, *exc):
            host.run(["umount", "-R", "-l", str(path)])
    return Shared()


@pytest.fixture
def shared_src(host, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with make_shared(host, src):
        yield src


@pytest.mark.parametrize("option,tag", [("rshared", "shared:"), ("rslave", "master:"), ("rprivate", None),
                                        ("shared", "shared:"), ("slave", "master:"), ("private", None)])
def test_propagation_tags_in_mountinfo(runsd, bundle, cid, shared_src, option, tag):
    src = shared_src
    m = mountinfo(run_in(runsd, bundle, cid, "cat /proc/self/mountinfo", edit=add_mounts(
        {"destination": "/m", "type": "bind", "source": str(src), "options": ["rbind", option]})))
    fields = " ".join(m["/m"][1])
    if tag:
        assert tag in fields, f"{option}: optional fields {fields!r}"
    else:
        assert "shared:" not in fields and "master:" not in fields, f"{option}: {fields!r}"


@pytest.mark.parametrize("option,seen", [("rshared", True), ("rslave", True), ("rprivate", False)])
def test_host_mount_under_the_source_reaches_the_container(host, runsd, bundle, cid, shared_src, option, seen):
    # a tmpfs the host mounts under the source after the container is made
    src = shared_src
    (src / "late").mkdir()
    bundle.configure(args=["sleep", "1000"], edit=add_mounts(
        {"destination": "/m", "type": "bind", "source": str(src), "options": ["rbind", option]}))
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    assert host.run(["mount", "-t", "tmpfs", "tmpfs", str(src / "late")]).returncode == 0
    try:
        assert host.run(["sh", "-c", f"echo from-host > {src}/late/flag"]).returncode == 0
        r = runsd.run("exec", cid, "sh", "-c", "cat /m/late/flag 2>/dev/null; grep -c ' /m/late ' /proc/self/mountinfo")
    finally:
        host.run(["umount", "-l", str(src / "late")])
    lines = r.stdout.split()
    if seen:
        assert lines == ["from-host", "1"], r.stdout + r.stderr
    else:
        assert lines == ["0"], r.stdout + r.stderr


@pytest.mark.parametrize("propagation,tag", [("rshared", "shared:"), ("rslave", "master:"), ("rprivate", None),
                                             ("shared", "shared:"), ("slave", "master:"), ("private", None)])
def test_rootfs_propagation_of_root(host, runsd, bundle, cid, propagation, tag):
    # the rootfs a shared mount on the host, as an image's often is
    def edit(cfg):
        cfg["linux"]["rootfsPropagation"] = propagation
    with make_shared(host, bundle.rootfs):
        out = run_in(runsd, bundle, cid, "cat /proc/self/mountinfo", edit=edit)
    fields = " ".join(mountinfo(out)["/"][1])
    if tag:
        assert tag in fields, f"{propagation}: optional fields of / {fields!r}"
    else:
        assert "shared:" not in fields and "master:" not in fields, f"{propagation}: {fields!r}"


# ------------------------------------------------------------------ idmap

def skip_unless_idmap(r):
    if r.returncode != 0 and "cannot idmap a mount" in r.stderr:
        pytest.skip(f"this kernel or file system has no idmapped mounts: {r.stderr.strip()}")


def idmap_run(runsd, bundle, cid, script, edit):
    bundle.configure(args=["sh", "-c", script], edit=edit)
    r = runsd.run("run", "--bundle", bundle.path, cid)
    skip_unless_idmap(r)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.stdout


def test_idmap_with_mappings_of_its_own(runsd, bundle, cid, tmp_path):
    # host uid 1000 shows as the container's root (host 100000 in its user
    # namespace); what its root makes lands as 1000 on the host
    reachable(bundle.path)
    src = tmp_path / "shared"
    src.mkdir()
    (src / "owned").write_text("x\n")
    os.chown(src / "owned", 1000, 1000)
    os.chown(src, 1000, 1000)
    idmap = [{"containerID": 1000, "hostID": HOST_ID, "size": 1}]
    # (the image has the mount points: its root, host 100000, cannot make them)
    for d in ("i", "p"):
        (bundle.rootfs / d).mkdir()
    out = idmap_run(runsd, bundle, cid, "stat -c '%u %g' /i/owned /p/owned; touch /i/made", edits(
        with_userns, add_mounts(
            {"destination": "/i", "type": "bind", "source": str(src), "options": ["bind", "idmap"],
             "uidMappings": idmap, "gidMappings": idmap},
            {"destination": "/p", "type": "bind", "source": str(src), "options": ["bind"]})))
    assert out.splitlines() == ["0 0", "65534 65534"], out
    st = os.stat(src / "made")
    assert (st.st_uid, st.st_gid) == (1000, 1000)


def test_idmap_takes_the_user_namespace_mappings(runsd, bundle, cid, tmp_path):
    # without mappings of its own: the container's (0 -> 100000), so the
    # host's root-owned files are its root's
    reachable(bundle.path)
    src = tmp_path / "shared"
    (src / "dir").mkdir(parents=True)
    (src / "dir" / "owned").write_text("x\n")
    for d in ("i", "p"):
        (bundle.rootfs / d).mkdir()
    out = idmap_run(runsd, bundle, cid, "stat -c %u /i/dir/owned /p/dir/owned; mkdir /i/dir/made", edits(
        with_userns, add_mounts(
            {"destination": "/i", "type": "bind", "source": str(src), "options": ["rbind", "ridmap"]},
            {"destination": "/p", "type": "bind", "source": str(src), "options": ["bind"]})))
    assert out.split() == ["0", "65534"], out
    assert os.stat(src / "dir" / "made").st_uid == 0


@pytest.mark.parametrize("fs", ["scratch", "tmpfs"])
def test_idmap_without_a_user_namespace(host, runsd, bundle, cid, tmp_path, fs):
    # mappings alone make an idmapped mount: host 1000 shows as 0, host 0 as
    # nobody (unmapped); on the tests' file system and on a tmpfs (Linux 6.3+)
    src = tmp_path / "shared"
    src.mkdir()
    if fs == "tmpfs":
        assert host.run(["mount", "-t", "tmpfs", "tmpfs", str(src)]).returncode == 0
    try:
        # (in the test host, where the tmpfs is)
        assert host.run(["sh", "-c", 'echo x > "$1/u1000" && chown 1000:1000 "$1/u1000" && echo x > "$1/u0"',
                         "sh", str(src)]).returncode == 0
        idmap = [{"containerID": 1000, "hostID": 0, "size": 1}]
        out = idmap_run(runsd, bundle, cid, "stat -c %u /i/u1000 /i/u0", add_mounts(
            {"destination": "/i", "type": "bind", "source": str(src), "options": ["bind"],
             "uidMappings": idmap, "gidMappings": idmap}))
    finally:
        if fs == "tmpfs":
            host.run(["umount", "-l", str(src)])
    assert out.split() == ["0", "65534"], out


def test_idmap_on_a_file_system_without_support_is_refused(runsd, bundle, cid, nothing_left):
    # procfs cannot be idmapped: the kernel says EINVAL, runsd names the mount
    idmap = [{"containerID": 0, "hostID": 1000, "size": 1}]
    bundle.configure(args=["true"], edit=add_mounts(
        {"destination": "/i", "type": "bind", "source": "/proc", "options": ["rbind"],
         "uidMappings": idmap, "gidMappings": idmap}))
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    line = one_line(r.stderr)
    assert "mounts[6]" in line and "cannot idmap a mount" in line and "/proc" in line, line
    nothing_left(cid)


# ------------------------------------------------------------------ tmpcopyup

def test_tmpcopyup_copies_the_image_into_the_tmpfs(runsd, bundle, cid):
    for name in ("data", "ro"):
        d = bundle.rootfs / name
        (d / "sub").mkdir(parents=True)
        (d / "file").write_text("from the image\n")
        (d / "owned").write_text("")
        os.chown(d / "owned", 1234, 4321)
        os.chmod(d / "owned", 0o640)
        (d / "sub" / "link").symlink_to("../file")
    data = bundle.rootfs / "data"
    out = run_in(runsd, bundle, cid, "grep ' /data ' /proc/self/mountinfo | grep -c tmpfs; cat /data/sub/link; "
                 "stat -c '%u %g %a' /data/owned; echo new > /data/file; cat /data/file; touch /ro/x 2>&1; "
                 "cat /ro/sub/link", edit=add_mounts(
                     {"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]},
                     {"destination": "/ro", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "ro"]}))
    assert out.splitlines()[:4] == ["1", "from the image", "1234 4321 640", "new"], out
    assert "Read-only file system" in out.splitlines()[4], out
    assert out.splitlines()[5] == "from the image", out
    # the image is untouched
    assert (data / "file").read_text() == "from the image\n"
    assert not (data / "x").exists()


# ------------------------------------------------------------------ cgroups

@pytest.mark.all_layouts
@pytest.mark.parametrize("cgroupns", [True, False])
def test_cgroup_mount_shows_the_containers_own_cgroup(runsd, bundle, cid, cgroupns):
    # the top of every hierarchy mounted in the container is its own cgroup:
    # cgroup.procs there lists its process
    def edit(cfg):
        if cgroupns:
            cfg["linux"]["namespaces"].append({"type": "cgroup"})
        cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                              "options": ["nosuid", "noexec", "nodev", "ro"]})
    out = run_in(runsd, bundle, cid, "cat /proc/self/cgroup; echo --; "
                 "for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do "
                 "[ -f $f ] && echo $f $(grep -cx $$ $f); done; true", edit=edit)
    own, procs = out.split("--\n")
    if cgroupns:
        assert all(line.endswith(":/") for line in own.split()), own
    tops = dict(line.split() for line in procs.splitlines())
    assert tops, "no hierarchy under the container's /sys/fs/cgroup"
    assert all(n == "1" for n in tops.values()), f"the container's pid is missing from {tops}"


# ------------------------------------------------------------------ destinations

def test_destination_through_a_symlink_to_etc_stays_in_the_rootfs(host, runsd, bundle, cid, nothing_left):
    (bundle.rootfs / "evil").symlink_to("/etc")
    etc_before = host.run(["ls", "-A", "/etc"]).stdout
    out = run_in(runsd, bundle, cid, "grep -c ' /etc/x ' /proc/self/mountinfo", edit=add_mounts(
        {"destination": "/evil/x", "type": "tmpfs", "source": "tmpfs"}))
    assert out.split() == ["1"], out
    assert (bundle.rootfs / "etc" / "x").is_dir()
    assert host.run(["ls", "-A", "/etc"]).stdout == etc_before
    assert host.run(["test", "-e", "/etc/x"]).returncode != 0
    nothing_left(cid)


# ------------------------------------------------------------------ bad input

# (index 6: the default config has 6 mounts)
BAD = [
    ("idmap-tmpfs", {"destination": "/i", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]},
     "mounts[6].options: idmap: only a bind mount can be idmapped"),
    ("ridmap-no-mappings", {"destination": "/i", "type": "bind", "source": "/tmp", "options": ["rbind", "ridmap"]},
     "mounts[6].options: ridmap: needs mounts[6].uidMappings and gidMappings"),
    ("uid-only", {"destination": "/i", "type": "bind", "source": "/tmp", "options": ["bind"],
                  "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
     "gidMappings: mounts[6]: an idmapped mount needs both uidMappings and gidMappings"),
    ("tmpcopyup-bind", {"destination": "/i", "type": "bind", "source": "/tmp", "options": ["bind", "tmpcopyup"]},
     "mounts[6].options: tmpcopyup: only for a tmpfs"),
    ("remount-bind", {"destination": "/i", "type": "bind", "source": "/tmp", "options": ["bind", "remount"]},
     "mounts[6].options: remount: not with bind"),
    ("x-mount", {"destination": "/i", "type": "tmpfs", "source": "tmpfs", "options": ["X-mount.mkdir"]},
     'mounts[6].options option "X-mount.mkdir"'),
    ("bad-size", {"destination": "/i", "type": "tmpfs", "source": "tmpfs", "options": ["size=lots"]},
     'mounts[6]: options "size=lots": mount tmpfs on /i: Invalid argument'),
    ("unknown-option", {"destination": "/i", "type": "tmpfs", "source": "tmpfs", "options": ["frobnicate"]},
     'mounts[6]: options "frobnicate": mount tmpfs on /i: Invalid argument'),
]


@pytest.mark.parametrize("mount,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_mount_is_refused(runsd, bundle, cid, nothing_left, mount, message):
    bundle.configure(args=["true"], edit=add_mounts(mount))
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    line = one_line(r.stderr)
    assert message in line and "config.json" in line, line
    nothing_left(cid)
