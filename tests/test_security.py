"""What a container cannot reach of the host through runsd, tried from inside:

- runsd's binary (CVE-2019-5736): a container that can see another
  container's init while it waits on its exec FIFO (a shared pid namespace,
  or the host's) opens /proc/INIT/exe, holds it and, once the init has
  exec'd, reopens it through /proc/self/fd for writing.  The init is
  non-dumpable until it execs, so the first open fails and the binary's
  sha256 stays;
- the host's fds (CVE-2024-21626): the container's process, its init and
  an exec'd process hold stdio and the fds asked for (--preserve-fds), no
  fd of runsd's or of its caller; process.cwd cannot lead out of the
  container's root through one.
"""

import copy
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import RUNSD_ENV, _no_sanitizer_report
from test_userns import HOST_ID, reachable_by_mapped_ids, with_userns

ATTACK_SOURCE = Path(__file__).with_name("exe_overwrite.c")


@pytest.fixture(scope="session")
def exe_overwrite(tmp_path_factory):
    """The attack program, a static binary (the rootfs has no libc)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler to build the attack program")
    out = tmp_path_factory.mktemp("attack") / "exe_overwrite"
    r = subprocess.run([cc, "-static", "-O2", "-o", str(out), str(ATTACK_SOURCE)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot build a static program (glibc's libc.a?): {r.stderr.strip()}")
    return out


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def innermost_pid(host, pid):
    """pid as its own (innermost) pid namespace numbers it."""
    status = host.run(["cat", f"/proc/{pid}/status"]).stdout
    return next(line.split()[-1] for line in status.splitlines() if line.startswith("NSpid:"))


def drop_namespace(cfg, kind):
    cfg["linux"]["namespaces"] = [ns for ns in cfg["linux"]["namespaces"] if ns["type"] != kind]


@pytest.mark.parametrize("pid_namespace", ["shared", "host"])
def test_a_container_cannot_overwrite_the_runtime_binary_nor_reach_its_fds(host, runsd, make_bundle, new_cid, tmp_path,
                                                         exe_overwrite, pid_namespace):
    # The victim container is run by a copy of runsd, so a successful attack
    # overwrites the copy, not the binary under test, and nothing else runs
    # that copy once the victim's init has exec'd (else: ETXTBSY).
    victim_binary = tmp_path / "runsd"
    shutil.copy2(runsd.binary, victim_binary)
    before = sha256(victim_binary)
    victim_runsd = copy.copy(runsd)
    victim_runsd.binary = str(victim_binary)

    attacker, victim = make_bundle("attacker"), make_bundle("victim")
    shutil.copy2(exe_overwrite, attacker.rootfs / "bin" / "exe_overwrite")
    attacker_id, victim_id = new_cid(), new_cid()
    if pid_namespace == "host":
        attacker.configure(edit=lambda c: drop_namespace(c, "pid"))
    runsd.ok("run", "--detach", "--bundle", attacker.path, attacker_id)
    attacker_init = runsd.wait_status(attacker_id, "running")["pid"]

    def join_attackers_pid_namespace(cfg):
        for ns in cfg["linux"]["namespaces"]:
            if ns["type"] == "pid":
                ns["path"] = f"/proc/{attacker_init}/ns/pid"
    victim.configure(edit=join_attackers_pid_namespace if pid_namespace == "shared"
                     else lambda c: drop_namespace(c, "pid"))
    victim_runsd.ok("create", "--bundle", victim.path, victim_id)
    # blocked on its exec FIFO, running runsd's binary
    target = innermost_pid(host, victim_runsd.state(victim_id)["pid"])
    # nor can the attacker reach its fds (the state directory's, a host
    # directory, among them)
    r = runsd.run("exec", attacker_id, "sh", "-c",
                  f"for fd in /proc/{target}/fd/*; do readlink $fd; ls -a $fd/; done")
    assert r.stdout == "" and "Permission denied" in r.stderr, r

    p = runsd.popen("exec", attacker_id, "exe_overwrite", target, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    report = [p.stdout.readline(), p.stdout.readline()]
    victim_runsd.ok("start", victim_id)
    out, err = p.communicate("go\n", timeout=30)
    report = "".join(report) + out
    assert p.returncode == 0, f"the attack did not run: {err}{report}"

    # EACCES (not ETXTBSY): /proc/INIT/exe is out of reach altogether
    assert "open-wronly errno 13 " in report, report
    assert "open-path errno 13 " in report, report
    assert "overwrite" not in report, report
    assert sha256(victim_binary) == before


# ---------------------------------------------------------------- host fds

# sh's own fds, listed by a child (ls's own directory fd is not among them)
LIST_OWN_FDS = ["sh", "-c", "ls /proc/$$/fd; :"]


def with_fds(runsd, fds, *args):
    """runsd ARGS run by a caller that holds fds FDS (a host file, not
    close-on-exec), as a careless caller would."""
    script = " ".join(f"{n}</etc/hostname" for n in fds)
    r = runsd.host.run(["sh", "-c", f'exec {script}; exec "$@"', "sh", *runsd.argv(*args)], env=RUNSD_ENV)
    return _no_sanitizer_report(args, r)


def with_fd5(runsd, *args):
    return with_fds(runsd, [5], *args)


def fds(listing):
    return sorted(int(n) for n in listing.split())


def test_the_process_holds_only_stdio(runsd, bundle, cid):
    bundle.configure(args=LIST_OWN_FDS)
    r = with_fd5(runsd, "run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert fds(r.stdout) == [0, 1, 2]


def test_preserved_fds_are_the_only_others(runsd, bundle, cid):
    bundle.configure(args=LIST_OWN_FDS)
    r = with_fds(runsd, [3, 5], "run", "--preserve-fds", "1", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert fds(r.stdout) == [0, 1, 2, 3]


def test_a_service_containers_process_holds_only_stdio(runsd, bundle, cid):
    bundle.configure(args=LIST_OWN_FDS)
    r = with_fd5(runsd, "run", "--service", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert fds(r.stdout) == [0, 1, 2]


def test_the_init_and_an_exec_hold_only_stdio(runsd, bundle, cid):
    # created by a caller holding fd 5; the init, once it runs the
    # container's process, holds what the exec'd process sees of it
    r = with_fd5(runsd, "run", "--detach", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    runsd.wait_status(cid, "running")
    r = with_fd5(runsd, "exec", cid, "ls", "/proc/1/fd")
    assert r.returncode == 0, r.stderr
    assert fds(r.stdout) == [0, 1, 2]
    r = with_fd5(runsd, "exec", cid, *LIST_OWN_FDS)
    assert r.returncode == 0, r.stderr
    assert fds(r.stdout) == [0, 1, 2]


# ---------------------------------------------------------------- process.cwd

def test_cwd_through_a_parent_of_a_magic_link_is_refused(runsd, bundle, cid, nothing_left):
    # CVE-2024-21626's config: from a leaked fd upwards
    bundle.configure(edit=lambda c: c["process"].update(cwd="/proc/self/fd/7/.."))
    err = runsd.fail("run", "--bundle", bundle.path, cid)
    assert "process.cwd" in err and '".."' in err, err
    nothing_left(cid)


# What the process lists from its cwd, six levels up: the rootfs's top, if
# the cwd is inside it; the host's / if the cwd were a host directory.
LIST_FROM_CWD = ["sh", "-c", "ls -a ../../../../../.."]


def test_cwd_through_an_fd_of_runsds_stays_in_the_root(runsd, bundle, new_cid):
    # Whatever fd of runsd's is open while the init sets up, a cwd of
    # /proc/self/fd/N must not lead to it: refused, or inside the root.
    inside = set(os.listdir(bundle.rootfs)) | {".", ".."}
    for n in range(3, 16):
        cid = new_cid()
        bundle.configure(args=LIST_FROM_CWD, edit=lambda c: c["process"].update(cwd=f"/proc/self/fd/{n}"))
        r = runsd.run("run", "--bundle", bundle.path, cid)
        if r.returncode != 0:
            assert "process.cwd" in r.stderr, r.stderr
        else:
            assert set(r.stdout.split()) <= inside, f"cwd /proc/self/fd/{n}: outside the root:\n{r.stdout}"


def test_exec_cwd_through_an_fd_stays_in_the_root(runsd, bundle, cid):
    inside = set(os.listdir(bundle.rootfs)) | {".", ".."}
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    runsd.wait_status(cid, "running")
    for n in range(3, 16):
        r = runsd.run("exec", "--cwd", f"/proc/self/fd/{n}", cid, *LIST_FROM_CWD)
        if r.returncode != 0:
            assert "process.cwd" in r.stderr, r.stderr
        else:
            assert set(r.stdout.split()) <= inside, f"--cwd /proc/self/fd/{n}: outside the root:\n{r.stdout}"


# ---------------------------------------------------------------- a non-dumpable init

def test_the_init_sets_up_a_user_namespace_container(runsd, bundle, cid):
    # Non-dumpable, the init's /proc/self files are the host root's, not
    # its user namespace's root's: what it writes there still works.
    reachable_by_mapped_ids(bundle)
    bundle.configure(args=["sh", "-c", "cat /proc/self/oom_score_adj /proc/self/uid_map"],
                     edit=lambda c: (with_userns(c), c["process"].update(oomScoreAdj=500)))
    r = runsd.run("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["500", "0", str(HOST_ID), "65536"]


def test_runsds_hooks_stay_out_of_a_joined_pid_namespace(host, runsd, make_bundle, new_cid, tmp_path):
    # runsd joins the pid namespace to clone the init into it; its own
    # children after that (a createRuntime hook, a host binary run as the
    # host's root) stay in runsd's, where the other container cannot see them.
    other, joiner = make_bundle("other"), make_bundle("joiner")
    other_id, joiner_id = new_cid(), new_cid()
    runsd.ok("run", "--detach", "--bundle", other.path, other_id)
    other_init = runsd.wait_status(other_id, "running")["pid"]
    seen = tmp_path / "hook-pid-namespace"

    def edit(cfg):
        for ns in cfg["linux"]["namespaces"]:
            if ns["type"] == "pid":
                ns["path"] = f"/proc/{other_init}/ns/pid"
        cfg["hooks"] = {"createRuntime": [{"path": "/bin/sh",
                                           "args": ["sh", "-c", f"readlink /proc/self/ns/pid > {seen}"]}]}
    joiner.configure(edit=edit)
    runsd.ok("create", "--bundle", joiner.path, joiner_id)
    theirs = host.run(["readlink", f"/proc/{other_init}/ns/pid"]).stdout
    ours = host.run(["readlink", "/proc/self/ns/pid"]).stdout
    assert theirs != ours
    assert seen.read_text() == ours
