"""The units runsd ships (units/): runsd@.service runs a bundle as a service,
runsd.conf (tmpfiles.d) makes the state directory, meson installs them."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

import journal
import testhost
from conftest import REPO, SANITIZER_REPORTS, runsd_binary

UNITS = REPO / "units"
TEMPLATE = "runsd@.service"


def unit_dir(host):
    """A directory of units the host's systemd reads, in its private /run."""
    if isinstance(host, testhost.TestHost):
        return testhost.INNER_UNIT_DIR
    return "/run/systemd/system"


def write(host, path, text):
    r = host.run(["sh", "-c", 'mkdir -p "${1%/*}" && cat > "$1"', "sh", path], input=text)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def template(host, runsd_bin, tmp_path):
    """runsd@.service as meson configures it, for the runsd under test, with
    a drop-in that takes bundles from this test's tmp_path; removed after."""
    journal.require_journald(host)
    d = unit_dir(host)
    write(host, f"{d}/{TEMPLATE}",
          (UNITS / f"{TEMPLATE}.in").read_text().replace("@RUNSD@", str(runsd_bin)))
    sanitizers = "".join(f"Environment={k}={v}\n" for k, v in os.environ.items()
                         if k.endswith("SAN_OPTIONS"))
    write(host, f"{d}/{TEMPLATE}.d/test.conf",
          # the test host has no sysinit.target for the default dependencies
          "[Unit]\nDefaultDependencies=no\n"
          f"[Service]\nEnvironment=RUNSD_BUNDLE={tmp_path}/%i\n{sanitizers}")
    host.systemctl("daemon-reload", check=True)
    started = []
    yield started
    for cid in started:
        host.systemctl("stop", f"runsd@{cid}.service")
        host.systemctl("reset-failed", f"runsd@{cid}.service")
    host.run(["rm", "-rf", f"{d}/{TEMPLATE}", f"{d}/{TEMPLATE}.d"])
    host.systemctl("daemon-reload")


def service(cid):
    return f"runsd@{cid}.service"


def show(host, unit, *props):
    r = host.systemctl("show", "-p", ",".join(props), unit)
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def no_sanitizer_report(host, cid):
    for e in journal.entries(host, "-u", service(cid), until=lambda es: True):
        msg = e.get("MESSAGE")
        assert not (isinstance(msg, str) and any(m in msg for m in SANITIZER_REPORTS)), msg


def wait_props(host, unit, want, timeout=10):
    """systemctl show of unit once its properties are want (or the deadline passed)."""
    deadline = time.monotonic() + timeout
    while True:
        props = show(host, unit, *want)
        if props == want or time.monotonic() > deadline:
            return props
        time.sleep(0.05)


def start(host, template, cid):
    template.append(cid)
    return host.systemctl("start", service(cid))


def test_start_runs_the_container_and_stop_removes_it(host, runsd, template, make_bundle, cid, nothing_left):
    make_bundle(cid).configure(args=["sh", "-c", f"echo hello-{cid}; echo oops-{cid} >&2; "
                                     f"trap 'echo bye-{cid}; exit 0' TERM; sleep 1000 & wait"])
    r = start(host, template, cid)
    assert r.returncode == 0, r.stderr
    # Type=notify: started means the container's process runs
    st = runsd.state(cid)
    assert st["status"] == "running"
    assert show(host, service(cid), "ActiveState")["ActiveState"] == "active"
    scope = f"runsd-{cid}.scope"
    assert show(host, scope, "ActiveState")["ActiveState"] == "active"

    # the container's output is the service's (runsd relays it), under the
    # container's name: `journalctl -u runsd@NAME` alone shows it
    logs = ("-u", service(cid))
    found = journal.entries(host, *logs, until=lambda es: {f"hello-{cid}", f"oops-{cid}"} <= set(journal.messages(es)))
    for line in (f"hello-{cid}", f"oops-{cid}"):
        e = [e for e in found if e.get("MESSAGE") == line]
        assert e, (line, found)
        assert e[0]["_SYSTEMD_UNIT"] == service(cid) and e[0]["SYSLOG_IDENTIFIER"] == cid, e[0]

    r = host.systemctl("stop", service(cid))
    assert r.returncode == 0, r.stderr
    # SIGTERM reached the container, which exited 0: a clean stop
    props = show(host, service(cid), "ActiveState", "Result")
    assert props == {"ActiveState": "inactive", "Result": "success"}
    nothing_left(cid)
    found = journal.entries(host, *logs, until=lambda es: f"bye-{cid}" in journal.messages(es))
    assert f"bye-{cid}" in journal.messages(found)
    no_sanitizer_report(host, cid)


def test_stop_of_a_container_that_ignores_sigterm(host, runsd, template, make_bundle, cid, nothing_left):
    # sleep as PID 1 of its namespace never sees SIGTERM: systemd kills runsd
    # when TimeoutStopSec= is up, and ExecStopPost= must remove the container
    make_bundle(cid).configure(args=["sleep", "1000"])
    write(host, f"{unit_dir(host)}/{service(cid)}.d/timeout.conf", "[Service]\nTimeoutStopSec=1\n")
    host.systemctl("daemon-reload", check=True)
    try:
        r = start(host, template, cid)
        assert r.returncode == 0, r.stderr
        assert runsd.state(cid)["status"] == "running"
        host.systemctl("stop", service(cid))
        nothing_left(cid)
        # systemd had to kill runsd: the stop timed out
        assert show(host, service(cid), "ActiveState", "Result") == {"ActiveState": "failed",
                                                                     "Result": "timeout"}
    finally:
        host.run(["rm", "-rf", f"{unit_dir(host)}/{service(cid)}.d"])
    no_sanitizer_report(host, cid)


def test_exit_code_of_the_container_is_the_services(host, template, make_bundle, cid, nothing_left):
    make_bundle(cid).configure(args=["sh", "-c", "exit 3"])
    start(host, template, cid)
    # the service ends with the container, and fails with its exit code
    want = {"ActiveState": "failed", "ExecMainStatus": "3", "Result": "exit-code"}
    assert wait_props(host, service(cid), want) == want
    nothing_left(cid)
    no_sanitizer_report(host, cid)


def test_failed_start_says_why_once(host, template, cid, nothing_left):
    r = start(host, template, cid)       # no bundle of that name
    assert r.returncode != 0
    found = journal.entries(host, "-u", service(cid),
                            until=lambda es: any("bundle" in str(m) for m in journal.messages(es)))
    errors = [e for e in found if "No such file or directory" in str(e.get("MESSAGE"))]
    # natively, with the fields; not a second time from runsd's stderr
    assert len(errors) == 1, found
    assert errors[0]["SYSLOG_IDENTIFIER"] == "runsd" and errors[0]["CONTAINER_ID"] == cid
    assert errors[0]["PRIORITY"] == "3"
    nothing_left(cid)
    no_sanitizer_report(host, cid)


def test_tmpfiles_makes_the_state_directory(host, tmp_path):
    r = host.run(["systemd-tmpfiles", "--create", f"--root={tmp_path}", UNITS / "runsd.conf"])
    assert r.returncode == 0, r.stderr
    st = (tmp_path / "run/runsd").stat()
    assert oct(st.st_mode & 0o7777) == "0o700" and st.st_uid == 0


def test_meson_installs_the_units_where_systemd_reads_them():
    build = runsd_binary().parent
    if not (build / "meson-info").is_dir():
        pytest.skip(f"{build} is not a meson build directory")
    installed = json.loads(subprocess.run(["meson", "introspect", "--installed", str(build)],
                                          capture_output=True, text=True, check=True).stdout)
    by_name = {Path(dest).name: (Path(src), Path(dest)) for src, dest in installed.items()}
    for name in (TEMPLATE, "runsd.slice"):
        assert by_name[name][1].parent.parts[-3:] == ("lib", "systemd", "system"), by_name[name]
    assert by_name["runsd.conf"][1].parent.name == "tmpfiles.d"
    # the unit runs the runsd that is installed beside it
    unit = by_name[TEMPLATE][0].read_text()
    # (by its path: the bash completion is called runsd too)
    runsd_dest = installed[str(runsd_binary())]
    assert f"ExecStart={runsd_dest} run --bundle ${{RUNSD_BUNDLE}} %i" in unit
    assert f"ExecStopPost={runsd_dest} delete --force %i" in unit
