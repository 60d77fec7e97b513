"""linux.devices (nodes runsd makes in the container's /dev) and
linux.resources.devices (the device cgroup, which systemd enforces from the
unit's DevicePolicy= and DeviceAllow=), seen from inside the container, in
`systemctl show` and in the v1 devices.list."""

import json

import pytest

from test_container import run_in


def with_devices(devices=None, rules=None):
    def edit(cfg):
        if devices is not None:
            cfg["linux"]["devices"] = devices
        if rules is not None:
            cfg["linux"].setdefault("resources", {})["devices"] = rules
    return edit


MYNULL = {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
          "fileMode": 0o620, "uid": 1000, "gid": 5}


# ------------------------------------------------------------ linux.devices

def test_configured_device(runsd, bundle, cid, nothing_left):
    # written by its owner (root without CAP_DAC_OVERRIDE could not: 0620)
    def edit(cfg):
        with_devices([MYNULL])(cfg)
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    out = run_in(runsd, bundle, cid, "ls -ln /dev/mynull; echo x > /dev/mynull && echo written", edit=edit)
    mode, _links, uid, gid, major, minor = out.splitlines()[0].split()[:6]
    assert (mode, uid, gid, major, minor) == ("crw--w----", "1000", "5", "1,", "3"), out
    assert out.splitlines()[1] == "written"
    nothing_left(cid)


def test_device_in_a_new_directory(runsd, bundle, cid):
    dev = {"path": "/dev/net/tun0", "type": "u", "major": 1, "minor": 5}
    out = run_in(runsd, bundle, cid, "ls -ln /dev/net/tun0; head -c 3 /dev/net/tun0 | wc -c",
                 edit=with_devices([dev]))
    lines = out.splitlines()
    assert lines[0].split()[0] == "crw-rw-rw-" and lines[0].split()[4:6] == ["1,", "5"], out
    assert lines[1].strip() == "3"


def test_fifo(runsd, bundle, cid):
    fifo = {"path": "/dev/myfifo", "type": "p", "fileMode": 0o600}
    out = run_in(runsd, bundle, cid, "ls -ln /dev/myfifo; (echo through > /dev/myfifo &); cat /dev/myfifo",
                 edit=with_devices([fifo]))
    lines = out.splitlines()
    assert lines[0].startswith("prw-------"), out
    assert lines[1] == "through"


def test_configured_device_replaces_a_default(runsd, bundle, cid):
    # as in runc: linux.devices' /dev/null is the one the container gets
    null = {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600, "uid": 7}
    out = run_in(runsd, bundle, cid, "ls -ln /dev/null", edit=with_devices([null]))
    assert out.split()[0] == "crw-------" and out.split()[2] == "7", out


def test_device_path_symlink_stays_in_rootfs(runsd, bundle, cid, tmp_path):
    # /dev in the image a symlink out of it: the node still lands inside the
    # rootfs (with no /dev mount, runsd creates in the image's /dev, as runc)
    outside = tmp_path / "outside"
    outside.mkdir()

    def edit(cfg):
        cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/dev"
                         and not m["destination"].startswith("/dev/")]
        cfg["linux"]["devices"] = [{"path": "/dev/evil/mynull", "type": "c", "major": 1, "minor": 3}]
    (bundle.rootfs / "dev").mkdir(exist_ok=True)
    (bundle.rootfs / "dev" / "evil").symlink_to(outside)
    (bundle.rootfs / str(outside).lstrip("/")).mkdir(parents=True)
    out = run_in(runsd, bundle, cid, "ls -ln /dev/evil/mynull", edit=edit)
    assert out.startswith("crw-rw-rw-"), out
    assert list(outside.iterdir()) == []
    # resolved inside the rootfs: <rootfs><outside>/mynull
    assert (bundle.rootfs / str(outside).lstrip("/") / "mynull").is_char_device()


@pytest.mark.parametrize("device,message", [
    ({"path": "/etc/mynull", "type": "c", "major": 1, "minor": 3},
     "linux.devices[0].path: \"/etc/mynull\" is not under /dev"),
    ({"path": "dev/mynull", "type": "c", "major": 1, "minor": 3},
     "linux.devices[0].path: \"dev/mynull\" must be an absolute path"),
    ({"path": "/dev/../etc/passwd", "type": "c", "major": 1, "minor": 3},
     "linux.devices[0].path: \"/dev/../etc/passwd\" must not contain \"..\" components"),
    ({"path": "/dev/mynull", "type": "x", "major": 1, "minor": 3},
     "linux.devices[0].type: \"x\" is not \"c\", \"b\", \"u\" or \"p\""),
    ({"path": "/dev/mynull", "type": "c", "minor": 3},
     "linux.devices[0].major: is required"),
])
def test_bad_device(runsd, bundle, cid, nothing_left, device, message):
    bundle.configure(edit=with_devices([device]))
    err = runsd.fail("create", "--bundle", bundle.path, cid)
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert str(bundle.path / "config.json") in err
    nothing_left(cid)


# --------------------------------------------------- linux.resources.devices

DENY_ALL = {"allow": False, "access": "rwm"}
NULL_ONLY = [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
# a major no driver has (240: local/experimental use): opening the node is
# "No such device or address" where the device cgroup allows it, "Operation
# not permitted" where it does not
NODRV = {"path": "/dev/nodrv", "type": "c", "major": 240, "minor": 0}
NODRV_RW = {"allow": True, "type": "c", "major": 240, "minor": 0, "access": "rw"}
# what runsd allows after a config's own rules, as runc and crun do
DEFAULT_ALLOW = ["DeviceAllow=/dev/char/1:3 rwm", "DeviceAllow=/dev/char/1:5 rwm", "DeviceAllow=/dev/char/1:7 rwm",
                 "DeviceAllow=/dev/char/1:8 rwm", "DeviceAllow=/dev/char/1:9 rwm", "DeviceAllow=/dev/char/5:0 rwm",
                 "DeviceAllow=/dev/char/5:2 rwm", "DeviceAllow=block-* m", "DeviceAllow=char-* m",
                 "DeviceAllow=char-pts rwm"]
DEFAULT_LIST = ["b *:* m", "c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                "c 136:* rwm", "c 5:0 rwm", "c 5:2 rwm"]
OPEN_NODRV = "head -c 1 /dev/nodrv 2>&1; echo"


def unit(cid):
    return f"runsd-{cid}.scope"


def devices_list(host, cid, layout):
    """The v1 devices.list of the container's cgroup (None on v2, where
    systemd attaches a BPF program instead)."""
    if layout == "unified":
        return None
    cg = host.systemctl("show", "-p", "ControlGroup", "--value", unit(cid)).stdout.strip()
    r = host.run(["cat", f"/sys/fs/cgroup/devices{cg}/devices.list"])
    assert r.returncode == 0, r.stderr
    return sorted(r.stdout.splitlines())


def device_props(host, cid):
    out = host.systemctl("show", "-p", "DevicePolicy", "-p", "DeviceAllow", unit(cid)).stdout
    return sorted(out.split("\n")[:-1])


@pytest.mark.all_layouts
def test_device_cgroup(host, runsd, bundle, cid, layout):
    # podman's rules: deny everything; the defaults still let the container
    # use /dev/null, but not the node of its own
    out = run_in(runsd, bundle, cid, "echo x > /dev/null && echo null-ok; " + OPEN_NODRV,
                 edit=with_devices([NODRV], [DENY_ALL]))
    assert out.startswith("null-ok\n"), out
    assert "/dev/nodrv: Operation not permitted" in out, out
    out = run_in(runsd, bundle, cid, OPEN_NODRV, edit=with_devices([NODRV], [DENY_ALL, NODRV_RW]))
    assert "/dev/nodrv: No such device or address" in out, out


@pytest.mark.all_layouts
def test_device_cgroup_properties_and_update(host, runsd, bundle, cid, layout):
    bundle.configure(args=["sleep", "1000"], edit=with_devices([NODRV], [DENY_ALL, NODRV_RW]))
    runsd.ok("create", "--bundle", bundle.path, cid)
    runsd.ok("start", cid)
    assert device_props(host, cid) == sorted(DEFAULT_ALLOW + ["DeviceAllow=/dev/char/240:0 rw", "DevicePolicy=strict"])
    assert devices_list(host, cid, layout) in (None, sorted(DEFAULT_LIST + ["c 240:0 rw"]))
    assert "No such device or address" in runsd.run("exec", cid, "sh", "-c", OPEN_NODRV).stdout

    # update: the list is replaced, not added to
    rules = [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "r"}]
    runsd.ok("update", "--resources", "-", cid, input=json.dumps({"devices": rules}))
    assert device_props(host, cid) == sorted(DEFAULT_ALLOW + ["DeviceAllow=/dev/char/1:11 r", "DevicePolicy=strict"])
    assert devices_list(host, cid, layout) in (None, sorted(DEFAULT_LIST + ["c 1:11 r"]))
    assert "Operation not permitted" in runsd.run("exec", cid, "sh", "-c", OPEN_NODRV).stdout

    # allowing everything again: all of both types (systemd 252 does not
    # lift a list for DevicePolicy=auto)
    runsd.ok("update", "--resources", "-", cid, input=json.dumps({"devices": [{"allow": True, "access": "rwm"}]}))
    assert device_props(host, cid) == ["DeviceAllow=block-* rwm", "DeviceAllow=char-* rwm", "DevicePolicy=strict"]
    assert devices_list(host, cid, layout) in (None, ["b *:* rwm", "c *:* rwm"])
    assert "No such device or address" in runsd.run("exec", cid, "sh", "-c", OPEN_NODRV).stdout
    runsd.ok("delete", "--force", cid)


@pytest.mark.all_layouts
@pytest.mark.parametrize("rules,message", [
    ([DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwx"}],
     "linux.resources.devices[1].access: \"rwx\" is not made of \"r\", \"w\" and \"m\""),
    ([DENY_ALL, {"allow": True, "type": "u", "major": 1, "minor": 3, "access": "rwm"}],
     "linux.resources.devices[1].type: \"u\" is not \"a\", \"b\" or \"c\""),
    ([DENY_ALL, {"allow": True, "type": "c", "major": 1, "access": "rwm"},
      {"allow": False, "type": "c", "major": 1, "minor": 5, "access": "r"}],
     "linux.resources.devices[2]: \"c 1:5\" takes part of devices[1] \"c 1:*\" away"),
    ([{"allow": True, "access": "rwm"}, {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "r"}],
     "linux.resources.devices[1]: a deny after an allow of all devices"),
])
def test_bad_device_rules(host, runsd, bundle, cid, layout, nothing_left, rules, message):
    bundle.configure(edit=with_devices(rules=rules))
    err = runsd.fail("create", "--bundle", bundle.path, cid)
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert str(bundle.path / "config.json") in err
    nothing_left(cid)


def test_device_rule_systemd_cannot_express_is_left_out(host, runsd, bundle, cid):
    # any major, one minor: systemd has no such entry; runsd warns and allows
    # less (nothing of it), never more
    rules = NULL_ONLY + [{"allow": True, "type": "c", "minor": 5, "access": "r"}]
    bundle.configure(edit=with_devices(rules=rules))
    r = runsd.run("create", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert "linux.resources.devices[2]: \"c *:5\": systemd can allow one minor only with its major; not allowed" \
        in r.stderr
    assert device_props(host, cid) == sorted(DEFAULT_ALLOW + ["DevicePolicy=strict"])
