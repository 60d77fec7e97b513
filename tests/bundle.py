"""OCI bundles for runsd's tests: a busybox rootfs and a config.json.

    cfg = make_bundle(path, args=["sh", "-c", "echo hi"])
    make_bundle(path, args=[...], hostname="other")          # top-level overrides
    make_bundle(path, args=[...], edit=lambda c: c["process"].update(cwd="/tmp"))
    cfg["linux"]["namespaces"].pop(); write_config(path, cfg)  # or edit later

The config is what `runc spec` writes (ociVersion 1.0.2, runc's default
capabilities, rlimits, masked and read-only paths, mounts), changed only where
the tests need it: process.terminal is false, PATH is /bin:/usr/bin, and there
is no linux.resources (runsd gets resources from systemd, and tests that need
them add them).
"""

import copy
import json
import os
import shutil
from pathlib import Path

BUSYBOX = Path("/bin/busybox")      # Debian's busybox-static: no libraries needed
APPLETS = ("sh echo sleep cat ls hostname id true false readlink stat mount ps kill "
           "test env pwd touch mkdir grep wc head tr").split()
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

DEFAULT_CONFIG = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["sh"],
        "env": ["PATH=/bin:/usr/bin"],
        "cwd": "/",
        "capabilities": {k: list(DEFAULT_CAPS) for k in
                         ("bounding", "effective", "permitted", "ambient")},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "runsd-test",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
    ],
    "linux": {
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                        "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                          "/proc/sysrq-trigger"],
    },
}


def default_config(args=None):
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    if args is not None:
        # (a string stays a string: tests write bad configs on purpose)
        cfg["process"]["args"] = list(args) if isinstance(args, (list, tuple)) else args
    return cfg


def make_rootfs(path, template=None):
    """Write a busybox rootfs at path.

    With template (a rootfs made earlier) the busybox binary is hard-linked
    from it instead of copied: much faster, and safe while tests do not write
    to /bin/busybox in place (root is read-only by default)."""
    if not BUSYBOX.is_file():
        raise RuntimeError(f"{BUSYBOX} is missing: install Debian's busybox-static")
    root = Path(path)
    for d in ("bin", "dev", "proc", "sys", "etc", "root", "run", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    os.chmod(root / "tmp", 0o1777)
    src = Path(template, "bin", "busybox") if template else None
    try:
        if src is None:
            raise OSError
        os.link(src, root / "bin" / "busybox")
    except OSError:
        shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    return root


def write_config(bundle, cfg):
    path = Path(bundle) / "config.json"
    path.write_text(json.dumps(cfg, indent=2) + "\n")
    return path


def read_config(bundle):
    return json.loads((Path(bundle) / "config.json").read_text())


def make_bundle(path, args=None, edit=None, template=None, **overrides):
    """Create an OCI bundle at path (rootfs/ + config.json); return its config.

    overrides replace top-level keys of the config (hostname=..., linux=...);
    edit(cfg) may change anything in place before it is written."""
    bundle = Path(path)
    bundle.mkdir(parents=True, exist_ok=True)
    make_rootfs(bundle / "rootfs", template=template)
    cfg = default_config(args)
    cfg.update(copy.deepcopy(overrides))
    if edit is not None:
        edit(cfg)
    write_config(bundle, cfg)
    return cfg
