"""`runsd features` and `runsd --version`, as containerd's shim, podman and a
person read them (the unit test test-features.c checks each listed name
against the config parser)."""
import json
import re
import shutil
import subprocess

import pytest


def features(runsd):
    out = runsd.ok("features")
    try:
        return json.loads(out)
    except ValueError:
        raise AssertionError(f"runsd features: not JSON: {out!r}")


def version_lines(runsd):
    return runsd.ok("--version").splitlines()


def test_version_as_runc_prints_it(runsd):
    out = version_lines(runsd)
    assert re.fullmatch(r"runsd version \d+\.\d+\.\d+", out[0]), out
    assert re.fullmatch(r"commit: \S+", out[1]), out
    assert re.fullmatch(r"spec: 1\.\d+\.\d+", out[2]), out
    # the library runsd runs with, as `runc --version` says it
    assert re.fullmatch(r"libseccomp: \d+\.\d+\.\d+", out[3]), out
    assert len(out) == 4, out


def test_version_agrees_with_features(runsd):
    out = dict(line.split(": ", 1) for line in version_lines(runsd)[1:])
    f = features(runsd)
    assert f["ociVersionMax"] == out["spec"]
    assert f["annotations"]["run.oci.runsd.commit"] == out["commit"]
    assert f["annotations"]["io.github.seccomp.libseccomp.version"] == out["libseccomp"]
    assert f["annotations"]["run.oci.runsd.version"] == version_lines(runsd)[0].split()[-1]


def test_features_document(runsd):
    f = features(runsd)
    assert f["ociVersionMin"] == "1.0.0"
    assert f["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer",
                          "poststart", "poststop"]
    for o in ("ro", "rw", "nosuid", "rbind", "bind", "rprivate", "rslave", "relatime", "rro", "remount",
              "tmpcopyup", "idmap", "ridmap"):
        assert o in f["mountOptions"], o
    # what the kernel takes as file system data is not an option of runsd's
    assert "size=64k" not in f["mountOptions"] and "mode=755" not in f["mountOptions"]
    linux = f["linux"]
    assert linux["namespaces"] == sorted(["cgroup", "ipc", "mount", "network", "pid", "time",
                                          "user", "uts"])
    assert linux["cgroup"] == {"v1": True, "v2": True, "systemd": True, "systemdUser": False,
                               "rdma": False}
    sc = linux["seccomp"]
    assert sc["enabled"] is True
    assert "SCMP_ACT_NOTIFY" in sc["actions"] and "SCMP_CMP_MASKED_EQ" in sc["operators"]
    assert "SCMP_ARCH_X86_64" in sc["archs"]
    assert set(sc["supportedFlags"]) <= set(sc["knownFlags"])
    # true exactly when the parser takes process.apparmorProfile,
    # selinuxLabel, linux.intelRdt and the "idmap" mount option: the unit
    # test test-features.c checks that against spec_parse()
    for k in ("apparmor", "selinux", "intelRdt"):
        assert set(linux[k]) == {"enabled"} and isinstance(linux[k]["enabled"], bool), k
    assert isinstance(linux["mountExtensions"]["idmap"]["enabled"], bool)
    for a in ("org.systemd.property.*", "run.oci.systemd.machine", "run.oci.systemd.unit-type"):
        assert a in f["annotations"], a
    assert f["potentiallyUnsafeConfigAnnotations"] == ["org.systemd.property."]


def test_capabilities_are_the_kernels(runsd):
    with open("/proc/sys/kernel/cap_last_cap") as fp:
        last = int(fp.read())
    caps = features(runsd)["linux"]["capabilities"]
    assert caps[0] == "CAP_CHOWN"
    # libcap names every capability of this kernel
    assert len(caps) == last + 1, caps


def test_features_as_runc_says_them(runsd, tmp_path):
    """Where runsd does what runc does, it says so in runc's words."""
    if not shutil.which("runc"):
        pytest.skip("runc is not installed (scripts/deps bench installs it)")
    r = subprocess.run(["runc", "--root", str(tmp_path), "features"], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"this runc has no features command: {r.stderr.strip()}")
    theirs, ours = json.loads(r.stdout), features(runsd)
    assert ours["hooks"] == theirs["hooks"]
    assert set(theirs["linux"]["namespaces"]) <= set(ours["linux"]["namespaces"])
    assert ours["linux"]["capabilities"] == theirs["linux"]["capabilities"]
    for k in ("actions", "operators"):
        assert ours["linux"]["seccomp"][k] == theirs["linux"]["seccomp"][k], k
    assert set(theirs["linux"]["seccomp"]["archs"]) <= set(ours["linux"]["seccomp"]["archs"])
    # every option runsd lists, runc knows too (but runtime-spec 1.2's
    # idmapped mounts, newer than Debian's runc 1.1)
    assert set(ours["mountOptions"]) - {"idmap", "ridmap"} <= set(theirs["mountOptions"])


def test_features_takes_no_arguments(runsd):
    err = runsd.fail("features", "extra")
    assert "features: expected" in err, err
