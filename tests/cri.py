"""A small CRI client, which talks to containerd's CRI plugin the way a
kubelet does. test_cri.py uses it to drive runsd through the route a
Kubernetes node uses: a runtime handler in containerd's config whose runc
options name runsd (BinaryName) and ask for systemd cgroups (SystemdCgroup).

    api = load_api(scratch)                     # protoc, on tests/cri/api.proto
    cri = Client(api, containerd.socket)
    sandbox = cri.call("RunPodSandbox", api.RunPodSandboxRequest(...)).pod_sandbox_id

Debian 12 packages no CRI client (crictl) and no copy of the CRI's protocol
buffers. So the messages the tests use are in tests/cri/api.proto, and
protoc (protobuf-compiler) compiles them for python3-protobuf when the tests
run. python3-grpcio carries the calls.
"""

import importlib.util
import subprocess
import time
from pathlib import Path

import grpc

PROTO = Path(__file__).parent / "cri" / "api.proto"
SERVICE = "/runtime.v1.RuntimeService/"


def cri_config(d, pause_image, binary):
    """The CRI plugin's tables for containerd's config: a runtime handler
    "runsd" as a node would configure it, everything the plugin keeps
    under d."""
    return f"""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause_image}"
  # The kubelet runs a pod's sandbox with oom_score_adj -998. Lowering the
  # score needs CAP_SYS_RESOURCE, which root lacks on the machines these
  # tests run on. With this setting the CRI plugin keeps the score at
  # containerd's, as it does under rootless containerd.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni/bin"
    conf_dir = "{d}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    # the plugin refuses a config whose default handler (runc) is not among its handlers
    default_runtime_name = "runsd"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsd]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsd.options]
      BinaryName = "{binary}"
      SystemdCgroup = true
"""


def load_api(d):
    """Compile api.proto into d and import it as a module."""
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    subprocess.run(["protoc", f"--proto_path={PROTO.parent}", f"--python_out={d}", PROTO.name],
                   check=True)
    spec = importlib.util.spec_from_file_location("cri_api_pb2", d / "api_pb2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Client:
    """Unary calls to the CRI RuntimeService on containerd's socket."""

    def __init__(self, api, socket):
        self.api = api
        self.channel = grpc.insecure_channel(f"unix:{socket}")

    def call(self, method, request, timeout=60):
        """The response to request; grpc.RpcError on an error status."""
        response = getattr(self.api, f"{method}Response")
        stub = self.channel.unary_unary(SERVICE + method,
                                        request_serializer=type(request).SerializeToString,
                                        response_deserializer=response.FromString)
        return stub(request, timeout=timeout)

    def wait_ready(self, timeout=30):
        """The CRI plugin starts serving after containerd is ready and
        answers "not initialized" until then: wait for a version."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.call("Version", self.api.VersionRequest(version="v1"), timeout=5)
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def close(self):
        self.channel.close()
