"""Service mode: `create --service` (or the annotation
run.oci.systemd.unit-type=service) makes the container's unit a transient
service whose main process is the container's init, a child of systemd, so
systemd records how it exits: `systemctl status` shows it as any service,
`runsd state` reports its exit, `systemctl stop` stops it, and the init still
waits for `runsd start`."""

import json
import time

import pytest

import journal
from conftest import RUNSD_ENV

pytestmark = pytest.mark.all_layouts

ANNOTATION = "run.oci.systemd.unit-type"


def show(host, unit, *props):
    r = host.systemctl("show", "-p", ",".join(props), unit)
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def status_field(host, pid, field):
    r = host.run(["cat", f"/proc/{pid}/status"])
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def service(cid):
    return f"runsd-{cid}.service"


def test_created_container_is_a_service_whose_main_process_is_the_init(host, runsd, bundle, cid):
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    st = runsd.state(cid)
    assert st["status"] == "created"
    assert st["systemd-unit"] == service(cid)

    props = show(host, service(cid), "Type", "MainPID", "ActiveState", "SubState", "ControlGroup")
    assert props["Type"] == "forking"
    assert props["ActiveState"] == "active" and props["SubState"] == "running", props
    assert int(props["MainPID"]) == st["pid"]
    # systemd is the init's parent: it is what records the exit
    assert status_field(host, st["pid"], "PPid") == "1"
    # no scope besides
    assert f"runsd-{cid}.scope" not in host.systemctl("list-units", "--all", "--plain").stdout
    # the init is in the service's cgroup
    cgroup = host.run(["cat", f"/proc/{st['pid']}/cgroup"]).stdout
    assert props["ControlGroup"] in cgroup, (props["ControlGroup"], cgroup)

    # and it still waits for start: sleep is not running yet
    assert "sleep" not in host.run(["cat", f"/proc/{st['pid']}/cmdline"]).stdout
    runsd.ok("start", cid)
    runsd.wait_status(cid, "running")
    assert host.run(["cat", f"/proc/{st['pid']}/cmdline"]).stdout.split("\0")[0] == "sleep"
    assert "Main PID: %d (sleep)" % st["pid"] in host.systemctl(
        "status", "--no-pager", service(cid)).stdout


def test_exit_code_recorded_by_systemd_and_reported_by_state(host, runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", "exit 7"])
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    st = runsd.wait_status(cid, "stopped")
    assert st["systemd-exit-code"] == "exited"
    assert st["systemd-exit-status"] == 7
    props = show(host, service(cid), "ExecMainCode", "ExecMainStatus", "Result")
    assert props == {"ExecMainCode": "1", "ExecMainStatus": "7", "Result": "exit-code"}

    runsd.ok("delete", cid)
    nothing_left(cid, units=[service(cid)])


def test_exit_zero_leaves_the_service_active_exited(host, runsd, bundle, cid):
    bundle.configure(args=["true"])
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    st = runsd.wait_status(cid, "stopped")
    assert (st["systemd-exit-code"], st["systemd-exit-status"]) == ("exited", 0)
    props = show(host, service(cid), "ActiveState", "SubState")
    assert (props["ActiveState"], props["SubState"]) == ("active", "exited")
    runsd.ok("delete", cid)


def test_killed_init_reports_the_signal(host, runsd, bundle, cid):
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    runsd.ok("kill", cid, "KILL")
    st = runsd.wait_status(cid, "stopped")
    assert (st["systemd-exit-code"], st["systemd-exit-status"]) == ("killed", 9)
    runsd.ok("delete", cid)


def test_scope_state_has_no_exit_fields(runsd, bundle, cid):
    bundle.configure(args=["true"])
    runsd.ok("create", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    st = runsd.wait_status(cid, "stopped")
    assert "systemd-exit-code" not in st and st["systemd-unit"] == f"runsd-{cid}.scope"
    runsd.ok("delete", cid)


def test_run_in_the_foreground_passes_output_and_exit_code(host, runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", "echo out; echo err >&2; exit 5"])
    r = runsd.run("run", "--service", "--bundle", bundle, cid)
    assert r.returncode == 5, r.stderr
    assert r.stdout == "out\n"
    assert "err\n" in r.stderr
    nothing_left(cid, units=[service(cid)])


def test_run_in_the_foreground_killed_by_a_signal(runsd, bundle, cid):
    # (PID 1 of a namespace cannot SIGKILL itself: the kill comes from outside)
    p = runsd.popen("run", "--service", "--bundle", bundle, cid)
    try:
        deadline = time.monotonic() + 30
        while runsd.run("state", cid).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        runsd.wait_status(cid, "running")
        runsd.ok("kill", cid, "KILL")
        assert p.wait(timeout=30) == 128 + 9
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_annotation_asks_for_a_service(host, runsd, bundle, cid):
    bundle.configure(annotations={ANNOTATION: "service"})
    runsd.ok("create", "--bundle", bundle, cid)
    assert runsd.state(cid)["systemd-unit"] == service(cid)
    assert show(host, service(cid), "ActiveState")["ActiveState"] == "active"
    runsd.ok("delete", "--force", cid)


def test_annotation_scope_and_bad_value(runsd, bundle, cid, nothing_left):
    bundle.configure(annotations={ANNOTATION: "scope"})
    runsd.ok("create", "--bundle", bundle, cid)
    assert runsd.state(cid)["systemd-unit"] == f"runsd-{cid}.scope"
    runsd.ok("delete", "--force", cid)

    bundle.configure(annotations={ANNOTATION: "timer"})
    err = runsd.fail("create", "--bundle", bundle, cid)
    assert f"annotations.{ANNOTATION}: must be service or scope, not \"timer\"" in err
    assert len(err.strip().splitlines()) == 1, err
    nothing_left(cid, units=[service(cid)])


def test_systemctl_stop_stops_the_container(host, runsd, bundle, cid):
    # PID 1 of its namespace gets no default action for TERM: it says how
    bundle.configure(args=["sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done"])
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    runsd.wait_status(cid, "running")
    r = host.systemctl("stop", service(cid))
    assert r.returncode == 0, r.stderr
    st = runsd.wait_status(cid, "stopped")
    assert (st["systemd-exit-code"], st["systemd-exit-status"]) == ("exited", 3)
    err = runsd.fail("start", cid)
    assert "cannot start" in err
    runsd.ok("delete", cid)


def test_systemctl_stop_of_a_created_container(host, runsd, bundle, cid):
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    assert host.systemctl("stop", service(cid)).returncode == 0
    runsd.wait_status(cid, "stopped")
    err = runsd.fail("start", cid)
    assert f"cannot start a container that has stopped: {cid}" in err
    runsd.ok("delete", cid)


def test_detached_output_goes_to_the_services_journal(host, runsd, bundle, cid):
    journal.require_journald(host)
    bundle.configure(args=["sh", "-c", "echo hello from $(hostname)"])
    r = host.run(["sh", "-c", 'exec "$@" </dev/null >/dev/null 2>&1', "sh",
                  *runsd.argv("run", "--detach", "--service", "--bundle", bundle, cid)], env=RUNSD_ENV)
    assert r.returncode == 0, r.stderr
    found = journal.entries(host, f"_SYSTEMD_UNIT={service(cid)}",
                            until=lambda es: any("hello" in m for m in journal.messages(es)))
    lines = [e for e in found if e.get("MESSAGE", "").startswith("hello from")]
    assert lines, found
    assert lines[0]["CONTAINER_ID"] == cid
    assert lines[0]["SYSLOG_IDENTIFIER"] == cid
    assert lines[0]["_TRANSPORT"] == "stdout"
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)


def test_failed_setup_leaves_nothing(runsd, bundle, cid, nothing_left):
    # the init fails while the unit is starting: its message, and no unit left
    bundle.configure(edit=lambda c: c["mounts"].append(
        {"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["size=nonsense"]}))
    err = runsd.fail("create", "--service", "--bundle", bundle, cid)
    assert "/x" in err, err
    nothing_left(cid, units=[service(cid)])


def test_pause_and_resume(runsd, bundle, cid):
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    runsd.ok("pause", cid)
    assert runsd.state(cid)["status"] == "paused"
    runsd.ok("resume", cid)
    assert runsd.state(cid)["status"] == "running"
    runsd.ok("delete", "--force", cid)


def test_helper_is_only_for_systemd(runsd, tmp_path):
    r = runsd.raw("service-init", tmp_path)
    assert r.returncode != 0
    assert "only systemd runs this" in r.stderr
    # and it is no command a user is shown
    assert "service-init" not in runsd.raw("--help").stdout


def test_hooks_see_the_container_state(runsd, bundle, cid, tmp_path):
    # createContainer runs in the init the helper cloned, from the state
    # file create wrote: same JSON as in scope mode
    hook = tmp_path / "hook.sh"
    hook.write_text("#!/bin/sh\ncat > \"$1\"\n")
    hook.chmod(0o755)
    bundle.configure(hooks={
        "createRuntime": [{"path": str(hook), "args": ["hook", str(tmp_path / "runtime.json")]}],
        "createContainer": [{"path": str(hook), "args": ["hook", str(tmp_path / "container.json")]}],
    })
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    pid = runsd.state(cid)["pid"]
    for name in ("runtime.json", "container.json"):
        st = json.loads((tmp_path / name).read_text())
        assert (st["id"], st["status"], st["pid"]) == (cid, "creating", pid), (name, st)
        assert st["bundle"] == str(bundle)
    runsd.ok("delete", cid)


def test_exec_joins_the_service(runsd, bundle, cid):
    runsd.ok("create", "--service", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    out = runsd.ok("exec", cid, "cat", "/proc/self/cgroup")
    assert f"/{service(cid)}" in out, out
    assert runsd.run("exec", cid, "sh", "-c", "exit 4").returncode == 4
    runsd.ok("delete", "--force", cid)
