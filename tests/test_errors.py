"""Bad input: runsd says what is wrong in one line (naming the file and the
field) and leaves nothing behind: no state directory, no unit, no process."""


import pytest

from conftest import processes_in


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"want one line on stderr, got:\n{err}"
    return lines[0]


def snapshot(host, runsd):
    """What exists that a failed command could have left: state dirs, scopes."""
    root = host.run(["ls", "-A", runsd.root]).stdout.split()
    units = host.systemctl("list-units", "--all", "--plain", "--no-legend", "--full",
                           "runsd-*").stdout.split("\n")
    return sorted(root), sorted(u.split()[0] for u in units if u.strip())


def assert_fails_cleanly(host, runsd, argv, tmp_path, cwd=None):
    before = snapshot(host, runsd)
    r = runsd.run(*argv, cwd=cwd)
    assert r.returncode != 0, f"runsd {' '.join(map(str, argv))} succeeded: {r.stdout}"
    line = one_line(r.stderr)
    assert snapshot(host, runsd) == before
    assert processes_in([tmp_path, *tmp_path.rglob("rootfs")]) == []
    return line


@pytest.fixture(params=["create", "run"])
def cmd(request):
    return request.param


# ------------------------------------------------------- bundle & config

def test_missing_bundle_directory(host, runsd, cid, tmp_path, cmd, nothing_left):
    line = assert_fails_cleanly(host, runsd, [cmd, "--bundle", tmp_path / "nope", cid], tmp_path)
    assert str(tmp_path / "nope") in line
    nothing_left(cid)


def test_missing_config(host, runsd, bundle, cid, tmp_path, cmd, nothing_left):
    (bundle.path / "config.json").unlink()
    line = assert_fails_cleanly(host, runsd, [cmd, "--bundle", bundle.path, cid], tmp_path)
    assert "config.json" in line
    nothing_left(cid)


@pytest.mark.parametrize("text", ["{not json", "", "[]", '{"ociVersion": "1.0.2"', "null"])
def test_garbled_config(host, runsd, bundle, cid, tmp_path, text, nothing_left):
    (bundle.path / "config.json").write_text(text)
    line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
    assert "config.json" in line
    nothing_left(cid)


def _set(path, value):
    def edit(cfg):
        *parents, last = path.split(".")
        d = cfg
        for p in parents:
            d = d[p]
        if value is _DELETE:
            del d[last]
        else:
            d[last] = value
    return edit


_DELETE = object()

BAD_FIELDS = [
    # (field as runsd should name it, change)
    ("process.args", _set("process.args", "sh -c true")),
    ("process.args", _set("process.args", _DELETE)),
    ("process.args", _set("process.args", [])),
    ("process.args", _set("process.args", ["sh", 7])),
    ("hostname", _set("hostname", 42)),
    ("process.cwd", _set("process.cwd", 1)),
    ("process.env", _set("process.env", "PATH=/bin")),
    ("process.user.uid", _set("process.user.uid", "root")),
    ("root.path", _set("root.path", ["rootfs"])),
    ("linux.namespaces", _set("linux.namespaces", [{"type": "bogus"}])),
    ("linux.namespaces", _set("linux.namespaces", {"type": "pid"})),
    ("mounts", _set("mounts", [{"destination": 5, "type": "tmpfs", "source": "tmpfs"}])),
]


@pytest.mark.parametrize("field,edit", BAD_FIELDS,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_FIELDS)])
def test_bad_field(host, runsd, bundle, cid, tmp_path, cmd, field, edit, nothing_left):
    # (should runsd take the config, `run` ends at once)
    bundle.configure(args=["true"], edit=edit)
    line = assert_fails_cleanly(host, runsd, [cmd, "--bundle", bundle.path, cid], tmp_path)
    assert "config.json" in line and field in line, line
    nothing_left(cid)


@pytest.mark.parametrize("field,value", [
    ("process.commandLine", "sh -c true"),
    ("process.user.username", "root"),
])
def test_not_supported_yet(host, runsd, bundle, cid, tmp_path, field, value, nothing_left):
    bundle.configure(args=["true"], edit=_set(field, value))
    line = assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path)
    assert "not supported" in line and field.split(".")[-1] in line, line
    nothing_left(cid)


@pytest.mark.parametrize("exe", ["/bin/nonexistent", "nonexistent"])
def test_executable_not_found(host, runsd, bundle, cid, tmp_path, cmd, exe, nothing_left):
    bundle.configure(args=[exe, "arg"])
    line = assert_fails_cleanly(host, runsd, [cmd, "--bundle", bundle.path, cid], tmp_path)
    assert "nonexistent" in line, line
    nothing_left(cid)


def test_namespace_path_that_does_not_exist(host, runsd, bundle, cid, tmp_path, cmd,
                                            nothing_left):
    def edit(cfg):
        for ns in cfg["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = "/proc/4194304/ns/net"       # above pid_max
    bundle.configure(args=["true"], edit=edit)
    line = assert_fails_cleanly(host, runsd, [cmd, "--bundle", bundle.path, cid], tmp_path)
    assert "/proc/4194304/ns/net" in line, line
    nothing_left(cid)


def test_executable_is_looked_up_in_the_rootfs(host, runsd, bundle, cid, nothing_left):
    # the host has pwdx on its PATH, the busybox rootfs does not
    assert host.run(["test", "-x", "/usr/bin/pwdx"]).returncode == 0
    bundle.configure(args=["pwdx", "1"])
    r = runsd.run("create", "--bundle", bundle.path, cid)
    assert r.returncode != 0 and "pwdx" in r.stderr
    nothing_left(cid)


# ------------------------------------------------------------------- ids

@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden", ".", "..", "x" * 1024],
                         ids=["dotdot", "slash", "empty", "hidden", "dot", "dotdot-only", "long"])
@pytest.mark.parametrize("command", ["create", "run"])
def test_invalid_id(host, runsd, bundle, tmp_path, bad, command):
    assert_fails_cleanly(host, runsd, [command, "--bundle", bundle.path, bad], tmp_path)
    # "../x" must not have become a state directory beside the root
    assert host.run(["test", "-e", f"{runsd.root}/../x"]).returncode != 0


@pytest.mark.parametrize("command", [["state"], ["start"], ["kill"], ["delete"]])
def test_invalid_id_other_commands(host, runsd, tmp_path, command):
    r = runsd.run(*command, "../x")
    assert r.returncode != 0
    one_line(r.stderr)
