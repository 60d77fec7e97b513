"""What runsd sends to journald: its own messages (with the container's ID and
unit), and the output of a detached container that was given no stdio."""

import json

import pytest

import journal
from conftest import RUNSD_ENV

# the container's stdin, stdout and stderr as a shell redirects them for runsd
NO_STDIO = {
    "null": "</dev/null >/dev/null 2>&1",
    "closed": "<&- >&- 2>&-",
}


@pytest.fixture(autouse=True)
def journald(host):
    journal.require_journald(host)


def run_with_stdio(host, runsd, redirect, *args, **kw):
    """runsd ARGS in the host with its stdio as the shell redirect says."""
    return host.run(["sh", "-c", f'exec "$@" {redirect}', "sh", *runsd.argv(*args)],
                    env=RUNSD_ENV, **kw)


def own(host, cid, until=bool):
    return journal.entries(host, "SYSLOG_IDENTIFIER=runsd", f"CONTAINER_ID={cid}", until=until)


# ------------------------------------------------------------ runsd's own

def test_error_goes_to_stderr_and_journal_with_fields(host, runsd, bundle, cid):
    runsd.ok("create", "--bundle", bundle, cid)
    runsd.ok("start", cid)
    err = runsd.fail("start", cid)
    msg = f"cannot start an already running container: {cid}"
    # the caller still reads it where it always did
    assert f"runsd: {msg}" in err

    found = own(host, cid, until=lambda es: msg in journal.messages(es))
    mine = [e for e in found if e.get("MESSAGE") == msg]
    assert len(mine) == 1, found
    assert mine[0]["PRIORITY"] == "3"                      # LOG_ERR
    assert mine[0]["CONTAINER_UNIT"] == f"runsd-{cid}.scope"
    assert mine[0]["_TRANSPORT"] == "journal"                # native, not a stream


def test_debug_messages_have_debug_priority(host, runsd, bundle, cid):
    runsd.ok("--debug", "create", "--bundle", bundle, cid)
    found = own(host, cid, until=lambda es: any("created" in m for m in journal.messages(es)))
    created = [e for e in found if f"container {cid} created" in e.get("MESSAGE", "")]
    assert created, found
    assert created[0]["PRIORITY"] == "7"                   # LOG_DEBUG
    assert created[0]["CONTAINER_UNIT"] == f"runsd-{cid}.scope"


def test_error_without_unit_has_only_the_id(host, runsd, cid):
    runsd.fail("state", cid)
    found = own(host, cid)
    assert journal.messages(found) == [f"container does not exist: {cid}"]
    assert "CONTAINER_UNIT" not in found[0]


def test_log_file_takes_the_journals_place(host, runsd, tmp_path, cid):
    log = tmp_path / "log.json"
    runsd.fail("--log", log, "--log-format", "json", "state", cid)
    line = json.loads(log.read_text())
    assert line["level"] == "error" and line["msg"] == f"container does not exist: {cid}"
    assert set(line) == {"level", "msg", "time"}
    # then once without --log: the journal must hold that one only, so the
    # first did not go there (journald keeps one client's order)
    runsd.fail("state", cid)
    assert len(own(host, cid)) == 1


def test_no_journald_no_socket_and_stderr_as_ever(host, runsd, cid, tmp_path):
    trace = tmp_path / "strace"
    env = dict(RUNSD_ENV)
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":detect_leaks=0"    # LeakSanitizer does not work under ptrace
    # a mount namespace in which journald's sockets are not there
    r = host.run(["unshare", "-m", "sh", "-c",
                  'mount -t tmpfs none /run/systemd/journal && exec "$@"', "sh",
                  "strace", "-f", "-o", trace, "-e", "trace=socket,connect,sendmsg",
                  *runsd.argv("state", cid)], env=env)
    assert r.returncode == 1, r.stderr
    assert f"runsd: container does not exist: {cid}" in r.stderr
    calls = trace.read_text()
    assert "AF_UNIX" not in calls and "journal" not in calls, calls
    runsd.fail("state", cid)
    assert len(own(host, cid)) == 1


# ------------------------------------------------------- container output

def echo_bundle(bundle, cid):
    return bundle.configure(args=["sh", "-c", f"echo out-{cid}; echo err-{cid} >&2"])


@pytest.mark.parametrize("stdio", sorted(NO_STDIO))
def test_detached_container_without_stdio_writes_to_its_unit(host, runsd, bundle, cid, stdio):
    echo_bundle(bundle, cid)
    r = run_with_stdio(host, runsd, NO_STDIO[stdio], "run", "--detach", "--bundle", bundle, cid)
    assert r.returncode == 0, own(host, cid)
    want = {f"out-{cid}", f"err-{cid}"}
    unit = f"runsd-{cid}.scope"
    # runsd's relay, in the unit, sends each line with the container's ID
    found = journal.entries(host, "-u", unit, until=lambda es: want <= set(journal.messages(es)))
    assert want <= set(journal.messages(found)), found
    for e in found:
        assert e["OBJECT_SYSTEMD_UNIT"] == unit and e["_UID"] == "0"
        # journald leaves _SYSTEMD_UNIT out if the relay exited before it read the line
        assert e.get("_SYSTEMD_UNIT", unit) == unit
        assert e["SYSLOG_IDENTIFIER"] == cid and e["CONTAINER_ID"] == cid
        assert e["_TRANSPORT"] == "journal"
        assert e["PRIORITY"] == ("6" if e["MESSAGE"].startswith("out-") else "3")
    assert want <= set(journal.messages(journal.entries(host, f"CONTAINER_ID={cid}", f"SYSLOG_IDENTIFIER={cid}")))
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)


def test_journal_relay_after_runsd_logged(host, runsd, bundle, cid):
    # with --debug runsd has sent to journald before the relay is forked: the
    # relay's lines must not depend on what runsd's libsystemd had open
    echo_bundle(bundle, cid)
    r = run_with_stdio(host, runsd, NO_STDIO["null"], "--debug", "run", "--detach", "--bundle", bundle, cid)
    assert r.returncode == 0, own(host, cid)
    want = {f"out-{cid}", f"err-{cid}"}
    found = journal.entries(host, f"CONTAINER_ID={cid}", f"SYSLOG_IDENTIFIER={cid}",
                            until=lambda es: want <= set(journal.messages(es)))
    assert want <= set(journal.messages(found)), found
    runsd.wait_status(cid, "stopped")
    runsd.ok("delete", cid)


def test_journal_relay_outlives_a_stop_and_goes_with_the_container(host, runsd, bundle, cid, nothing_left):
    bundle.configure(args=["sh", "-c", f"trap 'echo bye-{cid}; exit 0' TERM; echo hi-{cid}; sleep 1000 & wait"])
    r = run_with_stdio(host, runsd, NO_STDIO["null"], "run", "--detach", "--bundle", bundle, cid)
    assert r.returncode == 0, own(host, cid)
    unit = f"runsd-{cid}.scope"
    journal.entries(host, f"CONTAINER_ID={cid}", until=lambda es: f"hi-{cid}" in journal.messages(es))
    # the unit's SIGTERM reaches the relay too: it must still send the last line
    assert host.systemctl("kill", unit).returncode == 0
    found = journal.entries(host, f"CONTAINER_ID={cid}", until=lambda es: f"bye-{cid}" in journal.messages(es))
    assert f"bye-{cid}" in journal.messages(found), found
    runsd.ok("delete", "--force", cid)
    nothing_left(cid)


def test_create_decides_where_the_output_goes(host, runsd, bundle, cid):
    echo_bundle(bundle, cid)
    r = run_with_stdio(host, runsd, NO_STDIO["null"], "create", "--bundle", bundle, cid)
    assert r.returncode == 0, own(host, cid)
    runsd.ok("start", cid)          # with stdio of its own: not the container's
    want = {f"out-{cid}", f"err-{cid}"}
    found = journal.entries(host, "-u", f"runsd-{cid}.scope",
                            until=lambda es: want <= set(journal.messages(es)))
    assert want <= set(journal.messages(found)), journal.entries(host, f"CONTAINER_ID={cid}")


@pytest.mark.parametrize("redirect", ["</dev/null >{out} 2>&1", "</dev/null >/dev/null 2>{out}"],
                         ids=["stdout-and-stderr", "stderr-only"])
def test_container_keeps_the_stdio_its_caller_gave(host, runsd, bundle, cid, tmp_path, redirect):
    echo_bundle(bundle, cid)
    out = tmp_path / "out"
    r = run_with_stdio(host, runsd, redirect.format(out=out), "run", "--detach", "--bundle", bundle, cid)
    assert r.returncode == 0, out.read_text()
    runsd.wait_status(cid, "stopped")
    # the init has exited, and so has every writer of the file
    want = {f"err-{cid}"} | ({f"out-{cid}"} if "2>&1" in redirect else set())
    assert set(out.read_text().split()) == want
    assert journal.entries(host, "-u", f"runsd-{cid}.scope", until=lambda es: True) == []
    runsd.ok("delete", cid)


