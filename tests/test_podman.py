"""podman 4.3 (with conmon) drives runsd unchanged, as root, in systemd
cgroup mode (`libpod-<id>.scope` in machine.slice), without a network.

podman is given runsd the two ways a user would: by path on the command line
(`podman --runtime PATH --cgroup-manager systemd ...`) and by name from
containers.conf ([engine.runtimes]).  The runtime is a script that logs each
call and runs runsd (tests/clients.py), so test_calls_are_supported can hold
every call against what runsd takes.  Every file podman keeps is under the
module's scratch directory (containers.conf, storage.conf and
registries.conf there, named by CONTAINERS_CONF, CONTAINERS_STORAGE_CONF and
CONTAINERS_REGISTRIES_CONF); runsd's state is in the host's private /run,
since podman passes no --root.
"""

import os
import re
import shutil

import pytest

import bundle as bundlelib
import testhost
from clients import IMAGE, Podman, RunsdRefused, assert_calls_supported, check_refused, write_oci_archive
from clients import host, runsd, scratch, wrapper  # noqa: F401 (the module's fixtures)
from conftest import Runsd, assert_nothing_left

pytestmark = pytest.mark.skipif(not (shutil.which("podman") and shutil.which("conmon")),
                                reason="podman is missing: apt-get install podman conmon "
                                       "(scripts/deps)")

@pytest.fixture(scope="module")
def rootfs(scratch):
    return bundlelib.make_rootfs(scratch / "rootfs")


@pytest.fixture(scope="module")
def podman(host, scratch, wrapper, rootfs):
    """podman, configured, with the busybox image loaded."""
    pm = Podman(host, scratch / "podman", {"runsd": wrapper.path})
    pm.ok("load", "-i", write_oci_archive(rootfs, scratch / "busybox.tar"))
    yield pm
    # what a failed test left: its containers, without waiting for SIGTERM
    pm.podman("rm", "--all", "--force", "--time", "0")


@pytest.fixture
def names(podman, host, runsd):
    """Factory for container names; after the test each container is gone
    from podman, and the test fails if anything of it is left: runsd's state
    or its unit.  (Not conmon's libpod-conmon-ID.scope, podman's: systemd
    removes it once empty, which a legacy test host never tells it.)"""
    made = []

    def new():
        made.append(f"p{os.getpid()}-{len(made) + 1}")
        return made[-1]

    yield new
    for name in made:
        ids = podman.podman("inspect", "--format", "{{.Id}}", name).stdout.split()
        podman.podman("rm", "--force", "--time", "0", name)
        for cid in ids:
            assert_nothing_left(host, runsd, cid, units=(f"libpod-{cid}.scope",))


# podman's config has one device rule, a deny of all.  runc and crun add
# their own after the config's: mknod of any node (c *:* m, b *:* m) and rwm
# of the nodes they make: null, zero, full, random, urandom (c 1:3,5,7,8,9),
# tty, console, ptmx (c 5:0,1,2), pts (c 136:*), runc also tun (c 10:200).
# (So a podman container's devices.list reads, with both.)  runsd does not.


# what a container (or runsd, for a terminal) says when one of them is denied
DENIED = re.compile(r"[^\n]*/dev/(null|ptmx)'?( in the container)?: Operation not permitted[^\n]*")


def check_default_devices(what, text):
    """Raise RunsdRefused if text (output, logs) says a default device was
    denied: busybox sh opens /dev/null for every background job, and a
    terminal is opened through /dev/ptmx."""
    m = DENIED.search(text)
    if m:
        raise RunsdRefused(f"{what}: {m.group(0).strip()}")


def logs(podman, name):
    r = podman.podman("logs", name)
    return r.stdout + r.stderr


def podman_run(podman, *args):
    """podman run; a refusal by runsd raises RunsdRefused; returns the result."""
    r = podman.podman("run", *args)
    check_refused("podman run", r)
    return r


# ------------------------------------------------------------------ tests

def test_info_names_runsd(podman, wrapper):
    """podman asks the runtime for its version (`--version`): runc's format."""
    out = podman.ok("--runtime", wrapper.path, "info", "--format",
                    "{{.Host.OCIRuntime.Path}}|{{.Host.OCIRuntime.Version}}")
    path, version = out.strip().split("|", 1)
    assert path == str(wrapper.path)
    assert version.startswith("runsd version ") and "\nspec: 1." in version, version


def test_run_rm_prints_hello(podman, wrapper):
    """As the issue has it: the runtime and cgroup manager on the command
    line, the image loaded from the archive."""
    r = podman.podman("--runtime", wrapper.path, "--cgroup-manager", "systemd",
                      "run", "--rm", IMAGE, "echo", "hello")
    check_refused("podman run", r)
    assert (r.returncode, r.stdout) == (0, "hello\n"), r.stderr
    assert podman.ok("ps", "--all", "--quiet") == ""


def test_run_rm_rootfs(podman, rootfs):
    """`--rootfs DIR`: no image, the directory is the container's root."""
    r = podman_run(podman, "--rm", "--rootfs", rootfs, "echo", "hello")
    assert (r.returncode, r.stdout) == (0, "hello\n"), r.stderr


def test_default_seccomp_profile(podman):
    """podman's default: its seccomp profile, a filter on the process."""
    r = podman_run(podman, "--rm", IMAGE, "grep", "^Seccomp:", "/proc/self/status")
    assert (r.returncode, r.stdout.split()) == (0, ["Seccomp:", "2"]), r.stderr


def test_exit_code(podman):
    r = podman_run(podman, "--rm", IMAGE, "sh", "-c", "exit 7")
    assert r.returncode == 7, r.stderr


def test_default_devices(podman, names):
    name = names()
    r = podman_run(podman, "--name", name, IMAGE, "sh", "-c",
                   "echo x > /dev/null && head -c 1 /dev/zero | wc -c")
    check_default_devices(name, r.stdout + r.stderr)
    assert (r.returncode, r.stdout.strip()) == (0, "1"), r.stderr


@pytest.mark.parametrize("command, code, message", [
    ("/nonexistent", 127, "OCI runtime attempted to invoke a command that was not found"),
    ("/etc/passwd", 126, "OCI permission denied"),
])
def test_create_error_exit_code(podman, command, code, message):
    """runsd's message on a command it cannot run is one podman knows."""
    r = podman_run(podman, "--rm", IMAGE, command)
    assert r.returncode == code and message in r.stderr, r.stderr


def test_create_error_reaches_podman(podman, names):
    """A config runsd refuses: podman shows runsd's message (from its json
    log) and nothing is left (see names).  podman passes annotations on
    unchecked."""
    name = names()
    r = podman.podman("run", "--name", name,
                      "--annotation", "run.oci.systemd.machine=maybe", IMAGE, "true")
    assert r.returncode != 0
    assert ('Error: OCI runtime error: runsd: ' in r.stderr and
            'annotations.run.oci.systemd.machine: must be true, false, 1 or 0, not "maybe"'
            in r.stderr), r.stderr


def test_detached_logs_stop_rm(podman, names, host):
    name = names()
    cid = podman_run(podman, "-d", "--name", name, IMAGE, "sh", "-c",
                     "echo started; trap 'echo stopping; exit 0' TERM; sleep 1000 & wait"
                     ).stdout.strip()
    check_default_devices(name, logs(podman, name))
    assert podman.ok("inspect", "--format", "{{.State.Status}}", name).strip() == "running"
    unit = f"libpod-{cid}.scope"
    listed = host.systemctl("list-units", "--plain", "--no-legend", "--full", unit).stdout.split()
    assert listed[:4] == [unit, "loaded", "active", "running"], listed
    assert host.systemctl("show", "-p", "Slice", "--value", unit).stdout.strip() == "machine.slice"
    podman.ok("stop", name)
    assert podman.ok("logs", name) == "started\nstopping\n"
    assert podman.ok("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                     name).split() == ["exited", "0"]
    assert host.systemctl("is-active", unit).stdout.strip() != "active"
    podman.ok("rm", name)
    assert name not in podman.ok("ps", "--all", "--format", "{{.Names}}").split()


def test_stop_kills_what_ignores_sigterm(podman, names):
    """`stop -t 1`: SIGTERM, which `sleep` as PID 1 ignores, then SIGKILL."""
    name = names()
    podman_run(podman, "-d", "--name", name, IMAGE, "sleep", "1000")
    podman.ok("stop", "--time", "1", name)
    assert podman.ok("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                     name).split() == ["exited", "137"]


def test_restart(podman, names):
    """restart: the container is deleted and created again under its ID
    (`sleep` ignores the SIGTERM, so after a second SIGKILL)."""
    name = names()
    podman_run(podman, "-d", "--name", name, IMAGE, "sh", "-c", "echo run; exec sleep 1000")
    podman.ok("restart", "--time", "1", name)
    assert podman.ok("inspect", "--format", "{{.State.Status}}", name).strip() == "running"
    assert podman.ok("logs", name) == "run\nrun\n"


def test_pause_unpause(podman, names):
    name = names()
    podman_run(podman, "-d", "--name", name, IMAGE, "sleep", "1000")
    podman.ok("pause", name)
    assert podman.ok("inspect", "--format", "{{.State.Status}}", name).strip() == "paused"
    podman.ok("unpause", name)
    assert podman.ok("inspect", "--format", "{{.State.Status}}", name).strip() == "running"


def test_update_memory(podman, names, host):
    """`podman update --memory` reaches the container's unit: runsd update."""
    if host.mode == "unified":
        pytest.skip("the unified test host has no memory controller on this machine")
    name = names()
    cid = podman_run(podman, "-d", "--name", name, IMAGE, "sleep", "1000"
                     ).stdout.strip()
    podman.ok("update", "--memory", "100m", name)
    cgroup = host.systemctl("show", "-p", "ControlGroup", "--value",
                            f"libpod-{cid}.scope").stdout.strip()
    limit = host.run(["cat", f"/sys/fs/cgroup/memory{cgroup}/memory.limit_in_bytes"]).stdout
    assert int(limit) == 100 << 20


def test_exec(podman, names):
    name = names()
    podman_run(podman, "-d", "--name", name, IMAGE, "sleep", "1000")
    r = podman.podman("exec", name, "sh", "-c", "echo hi; exit 5")
    check_refused("podman exec", r)
    assert (r.returncode, r.stdout) == (5, "hi\n"), r.stderr


def test_run_with_a_terminal(podman):
    r = podman_run(podman, "--rm", "-t", IMAGE, "readlink", "/proc/self/fd/0")
    check_default_devices("podman run -t", r.stderr)
    assert r.returncode == 0 and r.stdout.strip().startswith("/dev/pts/"), r.stdout + r.stderr


def test_runsd_cgroup_mount_in_legacy_host(runsd_bin, make_bundle):
    """podman's config mounts cgroup at /sys/fs/cgroup without a cgroup
    namespace: runsd binds the container's cgroup of each hierarchy the host
    has.  In a legacy test host booted from this hybrid machine, mountinfo
    still lists the machine's hierarchies under the /sys/fs/cgroup the host
    mounted over them, "unified" among them: it is not the host's."""
    h = testhost.TestHost(f"podman-legacy-t{os.getpid()}", "legacy").up()
    try:
        bundle = make_bundle()
        bundle.config["mounts"].append(
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["rprivate", "nosuid", "noexec", "nodev", "relatime", "ro"]})
        bundle.configure(args=["ls", "/sys/fs/cgroup"])
        r = Runsd(h, runsd_bin).run("run", "--bundle", bundle, f"cg{os.getpid()}")
        assert r.returncode == 0, r.stderr
        # the host's hierarchies: what is mounted on its /sys/fs/cgroup
        hierarchies = h.run(["sh", "-c", "for d in /sys/fs/cgroup/*; do [ -L $d ] || "
                             "[ $(stat -fc %T $d) = tmpfs ] || echo ${d##*/}; done"]).stdout.split()
        assert "unified" not in hierarchies and "memory" in hierarchies
        assert sorted(r.stdout.split()) == sorted(hierarchies)
    finally:
        h.down()


def test_calls_are_supported(podman, wrapper):
    """Every runtime call podman and conmon made in this file's tests is one
    runsd takes: its global options, command, options and arguments (the set
    in clients.COMMAND_OPTIONS).  Runs last: it reads their log."""
    assert_calls_supported(wrapper)
