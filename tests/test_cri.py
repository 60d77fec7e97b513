"""Kubernetes' route to runsd: containerd 1.6's CRI plugin, with a runtime
handler "runsd" in containerd's config. The handler's runc options are
BinaryName = runsd and SystemdCgroup = true, which is how a node would
offer runsd through a RuntimeClass. The tests play the kubelet: they call
the CRI over gRPC (tests/cri.py) to run a pod sandbox and containers in it,
with the pod in a slice as a kubelet with the systemd cgroup driver gives
it. The pods use the node's network, as kubelet's static pods can, since
there is no CNI plugin here.

containerd runs as a transient service of this module's own test host, and
every file it keeps is under the module's scratch directory (see
clients.Containerd).
"""

import itertools
import os
import shutil
import time

import pytest

import bundle as bundlelib
from clients import IMAGE, Containerd, assert_calls_supported, write_oci_archive
from clients import host, runsd, scratch, wrapper  # noqa: F401 (the module's fixtures)
from conftest import Runsd, assert_nothing_left

grpc = pytest.importorskip("grpc", reason="no python3-grpcio (scripts/deps)")
import cri  # noqa: E402 (needs grpc)

pytestmark = pytest.mark.skipif(
    not (shutil.which("containerd") and shutil.which("ctr") and shutil.which("protoc")),
    reason="containerd or protoc is missing: apt-get install containerd protobuf-compiler (scripts/deps)")

PAUSE = "localhost/pause:latest"
# the CRI plugin's namespace in containerd, and so the shim's --root for runsd
SHIM_ROOT = "/run/containerd/runc/k8s.io"
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def api(scratch):
    return cri.load_api(scratch / "cri-api")


@pytest.fixture(scope="module")
def containerd(host, scratch, wrapper):
    """containerd with the CRI plugin and the runsd handler, and the images
    a kubelet would have pulled in the plugin's namespace."""
    d = scratch / "containerd"
    c = Containerd(host, d, "containerd.service", cri.cri_config(d, PAUSE, wrapper.path))
    rootfs = bundlelib.make_rootfs(scratch / "rootfs")
    images = [write_oci_archive(rootfs, scratch / "busybox.tar"),
              # a pause image's one job: to hold the pod's namespaces until it is killed
              write_oci_archive(rootfs, scratch / "pause.tar", PAUSE, cmd=["sleep", "2147483647"])]
    c.start()
    try:
        for archive in images:
            c.ok("--namespace", "k8s.io", "images", "import", archive)
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def client(api, containerd):
    c = cri.Client(api, containerd.socket)
    try:
        c.wait_ready()
    except grpc.RpcError as e:
        pytest.fail(f"containerd's CRI plugin did not answer: {e.details()}\n{containerd.journal()}")
    yield c
    c.close()


class Pod:
    """A pod sandbox run through the CRI, in the slice a kubelet with the
    systemd driver makes for a BestEffort pod."""

    def __init__(self, api, client, logs):
        self.api, self.client = api, client
        uid = f"{os.getpid()}-{next(_ids)}"
        self.slice = f"kubepods-besteffort-pod{uid.replace('-', '_')}.slice"
        self.config = api.PodSandboxConfig(
            metadata=api.PodSandboxMetadata(name=f"pod-{uid}", uid=uid, namespace="default"),
            log_directory=str(logs),
            linux=api.LinuxPodSandboxConfig(
                cgroup_parent=self.slice,
                security_context=api.LinuxSandboxSecurityContext(
                    namespace_options=api.NamespaceOption(network=api.NODE, pid=api.POD,
                                                          ipc=api.POD))))
        logs.mkdir(parents=True, exist_ok=True)
        self.id = client.call("RunPodSandbox", api.RunPodSandboxRequest(
            config=self.config, runtime_handler="runsd")).pod_sandbox_id
        self.containers = []

    def container(self, name, *args, start=True):
        api = self.api
        config = api.ContainerConfig(metadata=api.ContainerMetadata(name=name),
                                     image=api.ImageSpec(image=IMAGE), args=list(args),
                                     log_path=f"{name}.log")
        cid = self.client.call("CreateContainer", api.CreateContainerRequest(
            pod_sandbox_id=self.id, config=config, sandbox_config=self.config)).container_id
        self.containers.append(cid)
        if start:
            self.client.call("StartContainer", api.StartContainerRequest(container_id=cid))
        return cid

    def status(self, cid):
        return self.client.call("ContainerStatus",
                                self.api.ContainerStatusRequest(container_id=cid)).status

    def wait_exited(self, cid, timeout=30):
        deadline = time.monotonic() + timeout
        while (s := self.status(cid)).state != self.api.CONTAINER_EXITED:
            assert time.monotonic() < deadline, s
            time.sleep(0.05)
        return s

    def remove(self):
        """What the kubelet does to a pod it is done with."""
        api, call = self.api, self.client.call
        for cid in self.containers:
            call("StopContainer", api.StopContainerRequest(container_id=cid, timeout=5))
            call("RemoveContainer", api.RemoveContainerRequest(container_id=cid))
        call("StopPodSandbox", api.StopPodSandboxRequest(pod_sandbox_id=self.id))
        call("RemovePodSandbox", api.RemovePodSandboxRequest(pod_sandbox_id=self.id))


def unit(cid):
    """runsd's unit for the CRI's cgroupsPath SLICE:cri-containerd:ID."""
    return f"cri-containerd-{cid}.scope"


@pytest.fixture
def pod(api, client, containerd, host, runsd_bin, tmp_path):
    """A pod, removed after the test as the kubelet would remove it; the
    test then fails if anything of its containers is left: runsd's state,
    their units, their processes."""
    p = Pod(api, client, tmp_path / "logs")
    yield p
    p.remove()
    shim_runsd = Runsd(host, runsd_bin, SHIM_ROOT)
    for cid in [p.id, *p.containers]:
        assert_nothing_left(host, shim_runsd, cid, units=(unit(cid),))


def log_lines(pod, name):
    """The container's lines in the CRI log format: TIME STREAM TAG LINE."""
    path = pod.config.log_directory + f"/{name}.log"
    return [line.split(" ", 3)[1:] for line in open(path).read().splitlines()]


# ------------------------------------------------------------------ tests

def test_runtime_handler_reaches_runsd(pod, host, wrapper):
    """The pod's sandbox runs in runsd's unit in the pod's slice, and the
    handler's runtime binary and cgroup driver came from containerd's
    config, not from the caller."""
    listed = host.systemctl("list-units", "--plain", "--no-legend", "--full", unit(pod.id)).stdout.split()
    assert listed[:4] == [unit(pod.id), "loaded", "active", "running"], listed
    assert host.systemctl("show", "-P", "Slice", unit(pod.id)).stdout.strip() == pod.slice
    creates = [c for c in wrapper.calls() if "create" in c.argv and pod.id in c.argv]
    assert len(creates) == 1 and creates[0].rc == 0, creates
    assert "--systemd-cgroup" in creates[0].argv, creates[0].argv


def test_container_output_and_exit_code(pod):
    """The container's cgroup is its own unit in the pod's slice; its
    output reaches the CRI log, and its exit code the ContainerStatus."""
    cid = pod.container("c1", "sh", "-c", "cat /proc/self/cgroup; echo oops >&2; exit 7")
    status = pod.wait_exited(cid)
    assert status.exit_code == 7, status
    lines = log_lines(pod, "c1")
    assert ["stderr", "F", "oops"] in lines, lines
    cgroups = [line[2] for line in lines if line[0] == "stdout"]
    assert any(c.endswith(f"/{pod.slice}/{unit(cid)}") for c in cgroups), cgroups


def test_exec_sync_in_the_pods_namespaces(pod, host):
    """ExecSync joins the container. The container itself joined the
    sandbox's PID namespace (pid: POD), whose PID 1 is the pause process."""
    cid = pod.container("c1", "sleep", "1000")
    r = pod.client.call("ExecSync", pod.api.ExecSyncRequest(
        container_id=cid, cmd=["sh", "-c", "cat /proc/1/cmdline; echo; exit 3"], timeout=30))
    assert (r.exit_code, r.stdout.decode()) == (3, "sleep\x002147483647\x00\n"), r
    # and the exec'd process ran in the container's unit
    r = pod.client.call("ExecSync", pod.api.ExecSyncRequest(
        container_id=cid, cmd=["cat", "/proc/self/cgroup"], timeout=30))
    assert any(line.endswith(f"/{pod.slice}/{unit(cid)}") for line in r.stdout.decode().splitlines()), r


def test_exited_containers_children_go_with_it(pod, host):
    """In the pod's PID namespace the container's init is not PID 1, so its
    children outlive it. Once the init has exited, the shim has the runtime
    kill what is left (kill --all) and the CRI deletes the task. Either way,
    nothing of the container may keep running, and its unit goes."""
    cid = pod.container("c1", "sh", "-c", "sleep 1000 & exit 0")
    assert pod.wait_exited(cid).exit_code == 0
    deadline = time.monotonic() + 10
    while host.systemctl("is-active", unit(cid)).stdout.strip() == "active":
        assert time.monotonic() < deadline, host.systemctl("status", unit(cid)).stdout
        time.sleep(0.05)


def test_stop_container_ends_its_unit(pod, host):
    cid = pod.container("c1", "sleep", "1000")
    assert host.systemctl("is-active", unit(cid)).stdout.strip() == "active"
    pod.client.call("StopContainer", pod.api.StopContainerRequest(container_id=cid, timeout=5))
    status = pod.status(cid)
    assert status.state == pod.api.CONTAINER_EXITED
    # sleep dies of the SIGTERM the CRI sends first: 128 + 15
    assert status.exit_code == 143, status
    assert host.systemctl("is-active", unit(cid)).stdout.strip() in ("inactive", "unknown")


def test_calls_are_supported(containerd, wrapper):
    """Every runtime call the shim made for the CRI in this file's tests is
    one runsd takes. Runs last: it reads their log."""
    assert_calls_supported(wrapper)
