"""OCI hooks (config.json "hooks"): when and where each runs, what it gets,
and what its failure does.

Each hook here is a small shell script appending its name to LOG/order and
writing what it saw to LOG/<name>.*: its stdin (the state), its mount
namespace, its host name, its command line and environment as the kernel
has them.  Hooks of runsd's namespaces run the host's /bin/sh; the
startContainer hook is a script that exists only in the container's rootfs,
and LOG is bind-mounted at /log there.
"""

import json
import os

import pytest

from test_errors import one_line

# $N: the hook's name, $D: the log directory
BODY = r'''
echo "$N" >> "$D/order"
cat > "$D/$N.state"
readlink /proc/self/ns/mnt > "$D/$N.mnt"
cat /proc/sys/kernel/hostname > "$D/$N.hostname"
'''
HOST_SCRIPT = 'N=$0 D=$1' + BODY
CONTAINER_HOOK = "/in-container-hook"     # exists only in the rootfs


def host_hook(name, log, **extra):
    """A hook that runs the host's /bin/sh: sh -c SCRIPT NAME LOG."""
    return {"path": "/bin/sh", "args": ["sh", "-c", HOST_SCRIPT, name, str(log)], **extra}


def script_hook(script, **extra):
    return {"path": "/bin/sh", "args": ["sh", "-c", script], **extra}


@pytest.fixture
def log(bundle):
    """The log directory, LOG in the host, /log in the container."""
    d = bundle.path / "log"
    d.mkdir()
    (bundle.rootfs / "log").mkdir()
    hook = bundle.rootfs / CONTAINER_HOOK.lstrip("/")
    hook.write_text('#!/bin/sh\nN=$1 D=$2' + BODY)
    hook.chmod(0o755)
    bundle.config["mounts"].append({"destination": "/log", "type": "bind", "source": str(d),
                                    "options": ["rbind", "rw"]})
    return d


def with_hooks(bundle, hooks, args=None):
    bundle.configure(args=args, hooks=hooks)


def order(log):
    p = log / "order"
    return p.read_text().split() if p.exists() else []


def state_seen(log, name):
    return json.loads((log / f"{name}.state").read_text())


def all_hooks(log):
    hooks = {t: [host_hook(t, log)] for t in
             ("prestart", "createRuntime", "createContainer", "poststart", "poststop")}
    hooks["startContainer"] = [{"path": CONTAINER_HOOK, "args": ["hook", "startContainer", "/log"]}]
    return hooks


def test_hooks_run_in_order_where_the_spec_says(host, runsd, bundle, log, cid, nothing_left):
    with_hooks(bundle, all_hooks(log))
    runsd.ok("create", "--bundle", bundle.path, cid)
    assert order(log) == ["prestart", "createRuntime", "createContainer"]
    pid = runsd.state(cid)["pid"]
    for name in order(log):
        st = state_seen(log, name)
        assert (st["id"], st["pid"], st["status"], st["bundle"]) == (cid, pid, "creating", str(bundle.path))
    container_mnt = host.run(["readlink", f"/proc/{pid}/ns/mnt"]).stdout.strip()
    host_mnt = host.run(["readlink", "/proc/self/ns/mnt"]).stdout.strip()
    # createRuntime in runsd's mount namespace, createContainer in the container's
    assert (log / "createRuntime.mnt").read_text().strip() == host_mnt
    assert (log / "createContainer.mnt").read_text().strip() == container_mnt != host_mnt

    runsd.ok("start", cid)
    assert order(log)[3:] == ["startContainer", "poststart"]
    st = state_seen(log, "startContainer")
    assert (st["id"], st["pid"], st["status"]) == (cid, pid, "created")
    # inside the container: its path resolved in the rootfs, its host name
    assert (log / "startContainer.hostname").read_text().strip() == "runsd-test"
    assert (log / "startContainer.mnt").read_text().strip() == container_mnt
    st = state_seen(log, "poststart")
    assert (st["id"], st["pid"], st["status"]) == (cid, pid, "running")
    assert (log / "poststart.mnt").read_text().strip() == host_mnt

    runsd.ok("kill", cid, "KILL")
    runsd.wait_status(cid, "stopped")
    assert "poststop" not in order(log)
    runsd.ok("delete", cid)
    assert order(log)[5:] == ["poststop"]
    st = state_seen(log, "poststop")
    assert (st["id"], st["status"], st["bundle"]) == (cid, "stopped", str(bundle.path))
    nothing_left(cid)


def test_run_calls_poststop_at_its_end(runsd, bundle, log, cid, nothing_left):
    # with a cgroup mount, which the init waits for its cgroup before: the
    # hooks' step comes after all mounts all the same
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.config["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                                    "options": ["ro", "nosuid", "noexec", "nodev"]})
    with_hooks(bundle, all_hooks(log), args=["true"])
    runsd.ok("run", "--bundle", bundle.path, cid)
    assert order(log) == ["prestart", "createRuntime", "createContainer", "startContainer",
                          "poststart", "poststop"]
    nothing_left(cid)


def test_args_and_env_are_exactly_the_hooks(host, runsd, bundle, log, cid):
    script = f'tr "\\0" "\\n" < /proc/$$/cmdline > {log}/args; tr "\\0" "\\n" < /proc/$$/environ > {log}/env'
    args = ["my-argv0", "-c", script, "two words", ""]
    env = ["ONE=1", "TWO=two words", "EMPTY="]
    with_hooks(bundle, {"createRuntime": [{"path": "/bin/sh", "args": args, "env": env}]})
    runsd.ok("create", "--bundle", bundle.path, cid)
    assert (log / "args").read_text().split("\n")[:-1] == args
    assert (log / "env").read_text().split("\n")[:-1] == env


def test_no_args_no_env(runsd, bundle, log, cid):
    # the path alone as argv, and an empty environment
    (bundle.path / "hook").write_text(f'#!/bin/sh\necho "$#" > {log}/argc; env > {log}/env\n')
    (bundle.path / "hook").chmod(0o755)
    with_hooks(bundle, {"createRuntime": [{"path": str(bundle.path / "hook")}]})
    runsd.ok("create", "--bundle", bundle.path, cid)
    assert (log / "argc").read_text() == "0\n"
    # what dash itself exports (PWD), nothing of runsd's
    assert "PATH=" not in (log / "env").read_text()


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
@pytest.mark.parametrize("cmd", ["create", "run"])
def test_failing_create_hook_fails_create_and_leaves_nothing(runsd, bundle, log, cid, kind, cmd,
                                                            nothing_left):
    hooks = {kind: [host_hook("first", log), script_hook("exit 3")],
             "createContainer" if kind != "createContainer" else "createRuntime": [host_hook("other", log)],
             "poststop": [host_hook("poststop", log)]}
    with_hooks(bundle, hooks)
    line = one_line(runsd.fail(cmd, "--bundle", bundle.path, cid))
    assert f"hooks.{kind}[1]: /bin/sh: exited with status 3" in line
    nothing_left(cid)
    # the container is deleted, and so, as the spec says, poststop runs
    assert order(log)[-1] == "poststop"
    assert "first" in order(log)


def test_failing_start_container_hook_fails_start(runsd, bundle, log, cid, nothing_left):
    with_hooks(bundle, {"startContainer": [{"path": "/bin/false"}],
                        "poststart": [host_hook("poststart", log)]})
    runsd.ok("create", "--bundle", bundle.path, cid)
    line = one_line(runsd.fail("start", cid))
    assert "hooks.startContainer[0]: /bin/false: exited with status 1" in line
    assert "poststart" not in order(log)
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)
    nothing_left(cid)


def test_failing_start_container_hook_fails_run(runsd, bundle, log, cid, nothing_left):
    with_hooks(bundle, {"startContainer": [{"path": "/nonexistent"}]})
    line = one_line(runsd.fail("run", "--bundle", bundle.path, cid))
    assert "hooks.startContainer[0]: exec /nonexistent: No such file or directory" in line
    nothing_left(cid)


def test_hook_past_its_timeout_is_killed(host, runsd, bundle, log, cid, nothing_left):
    # the hook's child too (its process group): it would hold runsd's stdout
    with_hooks(bundle, {"createRuntime": [script_hook(f"sleep 1000; echo late > {log}/late",
                                                      timeout=1)]})
    line = one_line(runsd.fail("create", "--bundle", bundle.path, cid))
    assert "hooks.createRuntime[0]: /bin/sh: killed after its timeout of 1 s" in line
    nothing_left(cid)
    assert "sleep 1000" not in host.run(["ps", "-eo", "args"]).stdout


def test_failing_post_hooks_only_warn(runsd, bundle, log, cid, nothing_left):
    with_hooks(bundle, {"poststart": [script_hook("exit 4"), host_hook("poststart", log)],
                        "poststop": [{"path": "/nonexistent"}, host_hook("poststop", log)]})
    runsd.ok("create", "--bundle", bundle.path, cid)
    r = runsd.run("start", cid)
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "hooks.poststart[0]: /bin/sh: exited with status 4" in r.stderr
    assert runsd.state(cid)["status"] == "running"
    r = runsd.run("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert "hooks.poststop[0]: exec /nonexistent: No such file or directory" in r.stderr
    # the rest ran
    assert order(log) == ["poststart", "poststop"]
    nothing_left(cid)


@pytest.mark.parametrize("hooks, field, reason", [
    ({"createRuntime": [{"path": "hook.sh"}]}, "hooks.createRuntime[0].path", "absolute"),
    ({"poststop": [{"args": ["x"]}]}, "hooks.poststop[0].path", "required"),
    ({"prestart": [{"path": "/bin/true", "timeout": 0}]}, "hooks.prestart[0].timeout", "greater than zero"),
    ({"prestart": [{"path": "/bin/true", "timeout": -5}]}, "hooks.prestart[0].timeout", "greater than zero"),
    ({"prestart": [{"path": "/bin/true", "timeout": "5"}]}, "hooks.prestart[0].timeout", "integer"),
    ({"poststart": [{"path": 7}]}, "hooks.poststart[0].path", "string"),
    ({"poststart": [{"path": "/bin/true", "args": "x"}]}, "hooks.poststart[0].args", "array"),
    ({"poststart": [{"path": "/bin/true", "env": ["NOEQUALS"]}]}, "hooks.poststart[0].env", "NAME=VALUE"),
    ({"poststart": {"path": "/bin/true"}}, "hooks.poststart", "array"),
    ({"poststart": ["/bin/true"]}, "hooks.poststart[0]", "object"),
    ({"postStop": []}, "hooks.postStop", "unknown hook type"),
    ([], "hooks", "object"),
])
def test_bad_hooks_are_refused(runsd, bundle, cid, hooks, field, reason, nothing_left):
    with_hooks(bundle, hooks)
    line = one_line(runsd.fail("create", "--bundle", bundle.path, cid))
    assert f"config.json: {field}: " in line and reason in line, line
    nothing_left(cid)
