"""linux.seccomp: the filter runsd loads into the container, seen from
inside it (errno, kill, /proc/self/status), a seccomp agent that gets the
notify fd, real-world profiles, and bad profiles refused cleanly."""

import errno
import fcntl
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading

import pytest

from conftest import SCRATCH
from test_reliability import assert_fails_cleanly

SIGSYS = 31


def profile(rules=(), default="SCMP_ACT_ALLOW", **extra):
    return {"defaultAction": default, "syscalls": list(rules), **extra}


def rule(names, action, **extra):
    return {"names": list(names), "action": action, **extra}


def set_seccomp(seccomp, nnp=True, uid=0):
    def edit(cfg):
        cfg["linux"]["seccomp"] = seccomp
        cfg["process"]["noNewPrivileges"] = nnp
        cfg["process"]["user"] = {"uid": uid, "gid": uid}
    return edit


def run(runsd, bundle, cid, args, seccomp, *flags, **kw):
    bundle.configure(args=args, edit=set_seccomp(seccomp, **kw))
    return runsd.run(*flags, "run", "--bundle", bundle.path, cid)


def status_fields(text, *names):
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())
            if k in names}


# Without no_new_privs the filter is loaded before the init drops its
# capabilities and switches user (loading needs CAP_SYS_ADMIN then); with it,
# just before the init reports ready.  Both, as a user other than root too.
BOTH_POINTS = pytest.mark.parametrize("nnp,uid", [(True, 0), (False, 65534), (True, 65534)],
                                      ids=["nnp-root", "no-nnp-nobody", "nnp-nobody"])


# ------------------------------------------------------------ what it does

@BOTH_POINTS
def test_errno_rule_and_status(runsd, bundle, cid, nothing_left, nnp, uid):
    seccomp = profile([rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=errno.EPERM)])
    r = run(runsd, bundle, cid, ["sh", "-c", "mkdir /dev/shm/d; test -d /dev/shm/d || echo absent; "
                                 "touch /dev/shm/f && echo touched; cat /proc/self/status"],
            seccomp, nnp=nnp, uid=uid)
    assert r.returncode == 0, r.stderr
    assert "Operation not permitted" in r.stderr, r.stderr
    assert "absent\ntouched\n" in r.stdout
    # the filter is the container's, and noNewPrivileges is the config's
    # own (libseccomp would set it when loading)
    assert status_fields(r.stdout, "Seccomp", "Seccomp_filters", "NoNewPrivs", "Uid") == {
        "Seccomp": "2", "Seccomp_filters": "1", "NoNewPrivs": str(int(nnp)),
        "Uid": "\t".join([str(uid)] * 4)}
    nothing_left(cid)


@BOTH_POINTS
def test_exec_is_under_the_containers_filter(runsd, bundle, cid, nnp, uid):
    # an exec'd process must not escape the profile (runc applies it too)
    seccomp = profile([rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=errno.EPERM)])
    bundle.configure(args=["sleep", "1000"], edit=set_seccomp(seccomp, nnp=nnp, uid=uid))
    runsd.ok("run", "--detach", "--bundle", bundle.path, cid)
    try:
        r = runsd.run("exec", cid, "sh", "-c", "mkdir /dev/shm/e || echo refused; cat /proc/self/status")
        assert r.returncode == 0, r.stderr
        assert "Operation not permitted" in r.stderr and "refused" in r.stdout, (r.stdout, r.stderr)
        assert status_fields(r.stdout, "Seccomp", "NoNewPrivs") == {"Seccomp": "2", "NoNewPrivs": str(int(nnp))}
        # and with --process, whose process object has no seccomp of its own
        proc = bundle.path / "process.json"
        proc.write_text(json.dumps({**bundle.config["process"], "args": ["mkdir", "/dev/shm/p"]}))
        r = runsd.run("exec", "--process", proc, cid)
        assert r.returncode != 0 and "Operation not permitted" in r.stderr, r.stderr
    finally:
        runsd.run("delete", "--force", cid)


def test_exec_refuses_notify_rules(runsd, bundle, cid, tmp_path):
    sock = tmp_path / "agent.sock"
    seccomp = profile([rule(["mkdir"], "SCMP_ACT_NOTIFY")], listenerPath=str(sock))
    bundle.configure(args=["sleep", "1000"], edit=set_seccomp(seccomp))
    # (create needs an agent; one that just holds the fd will do)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock))
    srv.listen(1)
    try:
        p = runsd.popen("run", "--detach", "--bundle", bundle.path, cid)
        conn, _ = srv.accept()
        conn.recvmsg(65536, socket.CMSG_SPACE(4))
        assert p.wait(timeout=30) == 0
        err = runsd.fail("exec", cid, "true")
        assert "SCMP_ACT_NOTIFY" in err and "not support" in err, err
        conn.close()
    finally:
        srv.close()
        runsd.run("delete", "--force", cid)


def test_no_seccomp_no_filter(runsd, bundle, cid, nothing_left):
    bundle.configure(args=["cat", "/proc/self/status"])
    out = runsd.ok("run", "--bundle", bundle.path, cid)
    assert status_fields(out, "Seccomp")["Seccomp"] == "0"
    nothing_left(cid)


def test_errno_without_errnoret_is_eperm(runsd, bundle, cid, nothing_left):
    # (with no_new_privs the filter comes after the init opened its exec
    # FIFO, so a profile may deny open too)
    seccomp = profile([rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO"),
                       rule(["open", "openat", "creat"], "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV)])
    r = run(runsd, bundle, cid, ["sh", "-c", "mkdir /dev/shm/d; touch /dev/shm/f; echo done"], seccomp)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done\n"
    assert "Operation not permitted" in r.stderr and "Invalid cross-device link" in r.stderr, r.stderr
    nothing_left(cid)


@pytest.mark.parametrize("op,value,value_two", [("SCMP_CMP_EQ", 8, 0), ("SCMP_CMP_MASKED_EQ", 0xFF, 8)])
def test_argument_conditions(runsd, bundle, cid, nothing_left, op, value, value_two):
    # linux32 calls personality(PER_LINUX32 = 8), linux64 personality(0):
    # only the first matches
    for name in ("linux32", "linux64"):
        (bundle.rootfs / "bin" / name).symlink_to("busybox")
    seccomp = profile([rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=errno.EPERM,
                            args=[{"index": 0, "value": value, "valueTwo": value_two, "op": op}])])
    r = run(runsd, bundle, cid, ["sh", "-c", "linux32 true; echo 32=$?; linux64 true; echo 64=$?"], seccomp)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["32=1", "64=0"], (r.stdout, r.stderr)
    assert "Operation not permitted" in r.stderr, r.stderr
    nothing_left(cid)


def test_same_argument_twice_matches_either(runsd, bundle, cid, nothing_left):
    # libseccomp takes one comparison per argument and rule: as runc, each
    # becomes a rule of its own
    for name in ("linux32", "linux64"):
        (bundle.rootfs / "bin" / name).symlink_to("busybox")
    seccomp = profile([rule(["personality"], "SCMP_ACT_ERRNO", errnoRet=errno.EPERM,
                            args=[{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                                  {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}])])
    r = run(runsd, bundle, cid, ["sh", "-c", "linux32 true; echo 32=$?; linux64 true; echo 64=$?"], seccomp)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["32=1", "64=1"], (r.stdout, r.stderr)
    nothing_left(cid)


# TRAP sends SIGSYS, which ends a process that does not handle it
@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                    "SCMP_ACT_TRAP"])
def test_kill(runsd, bundle, cid, nothing_left, action):
    r = run(runsd, bundle, cid, ["mkdir", "/dev/shm/d"], profile([rule(["mkdir", "mkdirat"], action)]))
    assert r.returncode == 128 + SIGSYS, (r.returncode, r.stderr)
    nothing_left(cid)


def test_trace_without_tracer_and_log(runsd, bundle, cid, nothing_left):
    # with no tracer attached a TRACE rule's syscall fails with ENOSYS; LOG
    # (here the default) lets everything else through
    seccomp = profile([rule(["mkdir", "mkdirat"], "SCMP_ACT_TRACE", errnoRet=1)], default="SCMP_ACT_LOG")
    r = run(runsd, bundle, cid, ["sh", "-c", "mkdir /dev/shm/d; echo done"], seccomp)
    assert r.returncode == 0, r.stderr
    assert "Function not implemented" in r.stderr and r.stdout == "done\n", (r.stdout, r.stderr)
    nothing_left(cid)


def test_unknown_syscall_names_are_skipped(runsd, bundle, cid, nothing_left):
    seccomp = profile([rule(["no_such_syscall", "mkdir", "mkdirat"], "SCMP_ACT_ERRNO")])
    r = run(runsd, bundle, cid, ["sh", "-c", "mkdir /dev/shm/d"], seccomp, "--debug")
    assert r.returncode == 1 and "Operation not permitted" in r.stderr, r.stderr
    assert ('linux.seccomp.syscalls[0].names: unknown syscall "no_such_syscall", skipped'
            in r.stderr), r.stderr
    nothing_left(cid)


# ------------------------------------------------------ real-world profiles

# The shape of Docker's and podman's default profile (containers-common's
# seccomp.json as podman writes it into config.json on x86_64): a long allow
# list under a default of ERRNO, syscalls of other architectures, argument
# rules for personality and clone.  mkdir and mkdirat are left out here, so
# they get defaultErrnoRet.
DOCKER_ALLOW = """
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime
clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create
epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd
eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync
ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64
getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername
getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32
getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch
io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set
io_setup io_submit io_uring_enter io_uring_register io_uring_setup ipc kill landlock_add_rule
landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen
listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier
memfd_create memfd_secret mincore mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr
mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64
mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at
nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2
pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64
process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink
readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr
rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop
semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32
setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat
shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall
socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range
syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime
timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink
unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
arch_prctl modify_ldt socket
""".split()


def docker_profile():
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": errno.EXDEV,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            rule(DOCKER_ALLOW, "SCMP_ACT_ALLOW"),
            *(rule(["personality"], "SCMP_ACT_ALLOW", args=[{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}])
              for v in (0, 8, 131072, 131080, 4294967295)),
            rule(["clone"], "SCMP_ACT_ALLOW",
                 args=[{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]),
            rule(["clone3"], "SCMP_ACT_ERRNO", errnoRet=errno.ENOSYS),
        ],
    }


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_docker_default_profile(runsd, bundle, cid, nothing_left, nnp):
    r = run(runsd, bundle, cid, ["sh", "-c", "echo ok; mkdir /dev/shm/d"], docker_profile(), nnp=nnp)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stdout == "ok\n"
    assert "Invalid cross-device link" in r.stderr, r.stderr
    nothing_left(cid)


def test_runsd_spec_default_config(runsd, host, tmp_path, rootfs_template, cid, nothing_left):
    # `runsd spec`'s config has no seccomp: the container runs unfiltered
    b = tmp_path / "spec"
    b.mkdir()
    shutil.copytree(rootfs_template, b / "rootfs", copy_function=os.link, symlinks=True)
    runsd.ok("spec", "--bundle", b)
    cfg = json.loads((b / "config.json").read_text())
    assert "seccomp" not in cfg.get("linux", {})
    cfg["process"]["args"] = ["sh", "-c", "echo ok; grep ^Seccomp: /proc/self/status"]
    (b / "config.json").write_text(json.dumps(cfg))
    assert runsd.ok("run", "--bundle", b, cid).split() == ["ok", "Seccomp:", "0"]
    nothing_left(cid)


# ------------------------------------------------------------ the agent

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100   # _IOWR('!', 0, struct seccomp_notif), 80 bytes
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101   # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes
NR_MKDIR, NR_MKDIRAT = 83, 258          # x86_64


class Agent(threading.Thread):
    """A seccomp agent: takes one connection on a unix socket, the state
    JSON and the notify fd that come with it, then answers every
    notification with -EXDEV until the filter has no process left."""

    def __init__(self):
        super().__init__(daemon=True)
        self.dir = tempfile.mkdtemp(prefix="agent-", dir=SCRATCH)    # a short socket path
        self.path = os.path.join(self.dir, "agent.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(60)
        self.state = self.fd_kind = self.error = None
        self.syscalls = []

    def run(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                msg, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 1)
            self.state = json.loads(msg)
            fd = fds[0]
            self.fd_kind = os.readlink(f"/proc/self/fd/{fd}")
            try:
                self.answer(fd)
            finally:
                os.close(fd)
        except Exception as e:  # reported by the test
            self.error = e

    def answer(self, fd):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            events = poller.poll(60_000)
            if not events or events[0][1] & (select.POLLHUP | select.POLLERR):
                return
            notif = bytearray(80)
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, notif)
            except OSError as e:
                if e.errno == errno.ENOENT:     # its process went meanwhile
                    continue
                raise
            nid, _pid, _flags, nr = struct.unpack_from("=QIIi", notif)
            self.syscalls.append(nr)
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(struct.pack("=QqiI", nid, 0, -errno.EXDEV, 0)))

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def agent():
    a = Agent()
    a.start()
    yield a
    a.close()


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_notify_reaches_the_agent(runsd, bundle, cid, nothing_left, agent, nnp):
    seccomp = profile([rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY")],
                      listenerPath=agent.path, listenerMetadata="meta-data 1")
    bundle.configure(args=["sh", "-c", "mkdir /dev/shm/d; test -d /dev/shm/d || echo absent"],
                     edit=set_seccomp(seccomp, nnp=nnp), annotations={"a": "b"})
    r = runsd.run("run", "--bundle", bundle.path, cid)
    agent.join(60)
    assert not agent.is_alive() and agent.error is None, agent.error
    assert r.returncode == 0, r.stderr
    # the agent's answer is what mkdir got
    assert "Invalid cross-device link" in r.stderr and r.stdout == "absent\n", (r.stdout, r.stderr)
    assert agent.fd_kind == "anon_inode:seccomp notify"
    assert set(agent.syscalls) & {NR_MKDIR, NR_MKDIRAT}, agent.syscalls
    st = agent.state
    assert st["fds"] == ["seccompFd"] and st["metadata"] == "meta-data 1", st
    assert st["ociVersion"].startswith("1.") and st["pid"] > 0, st
    assert st["state"]["id"] == cid and st["state"]["status"] == "creating", st
    assert st["state"]["pid"] == st["pid"] and st["state"]["annotations"] == {"a": "b"}, st
    assert st["state"]["bundle"] == str(bundle.path), st
    nothing_left(cid)


def test_notify_agent_not_listening(host, runsd, bundle, cid, tmp_path, nothing_left):
    gone = SCRATCH / "no-agent.sock"
    seccomp = profile([rule(["mkdir"], "SCMP_ACT_NOTIFY")], listenerPath=str(gone))
    bundle.configure(args=["true"], edit=set_seccomp(seccomp))
    assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path,
                         want=("linux.seccomp.listenerPath", str(gone), "No such file"))
    nothing_left(cid)


# ------------------------------------------------------------ bad profiles

def _syscall(**fields):
    return profile([{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", **fields}])


BAD = [
    ("unknown-action", _syscall(action="SCMP_ACT_FOO"),
     ['linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_FOO"']),
    ("unknown-default", profile(default="SCMP_ACT_NOPE"),
     ['linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"']),
    ("no-default", {"syscalls": []}, ["linux.seccomp.defaultAction: is required"]),
    ("unknown-op", _syscall(args=[{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]),
     ['linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_FOO"']),
    ("unknown-arch", profile(architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]),
     ['linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX"']),
    ("arch-without-prefix", profile(architectures=["x86_64"]),
     ['linux.seccomp.architectures[0]: unknown architecture "x86_64"']),
    ("arg-index", _syscall(args=[{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]),
     ["linux.seccomp.syscalls[0].args[0].index: 6 is out of range [0, 5]"]),
    ("arg-no-op", _syscall(args=[{"index": 0, "value": 1}]),
     ["linux.seccomp.syscalls[0].args[0].op: is required"]),
    ("notify-no-listener", profile([rule(["mkdir"], "SCMP_ACT_NOTIFY")]),
     ["linux.seccomp.listenerPath: is required when a rule's action is SCMP_ACT_NOTIFY"]),
    ("notify-default", profile(default="SCMP_ACT_NOTIFY", listenerPath="/run/x.sock"),
     ["linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"]),
    ("notify-sendmsg", profile([rule(["sendmsg"], "SCMP_ACT_NOTIFY")], listenerPath="/run/x.sock"),
     ["linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for sendmsg"]),
    ("listener-relative", profile([rule(["mkdir"], "SCMP_ACT_NOTIFY")], listenerPath="x.sock"),
     ['linux.seccomp.listenerPath: "x.sock" must be an absolute path']),
    ("errnoret-with-allow", _syscall(action="SCMP_ACT_ALLOW", errnoRet=1),
     ["linux.seccomp.syscalls[0].errnoRet: is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"]),
    ("default-errnoret-with-kill", profile(default="SCMP_ACT_KILL", defaultErrnoRet=1),
     ["linux.seccomp.defaultErrnoRet: is only valid with"]),
    ("errnoret-range", _syscall(errnoRet=70000), ["linux.seccomp.syscalls[0].errnoRet: 70000 is out of range"]),
    ("unknown-flag", profile(flags=["SECCOMP_FILTER_FLAG_FOO"]),
     ['linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_FOO"']),
    ("seccomp-type", "SCMP_ACT_ALLOW", ["linux.seccomp: must be an object, not a string"]),
    ("default-type", profile(default=5), ["linux.seccomp.defaultAction: must be a string, not an integer"]),
    ("syscalls-type", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}},
     ["linux.seccomp.syscalls: must be an array, not an object"]),
    ("rule-type", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ["mkdir"]},
     ["linux.seccomp.syscalls[0]: must be an object, not a string"]),
    ("names-type", _syscall(names="mkdir"), ["linux.seccomp.syscalls[0].names: must be an array, not a string"]),
    ("names-empty", _syscall(names=[]), ["linux.seccomp.syscalls[0].names: must be a non-empty array"]),
    ("value-type", _syscall(args=[{"index": 0, "value": "1", "op": "SCMP_CMP_EQ"}]),
     ["linux.seccomp.syscalls[0].args[0].value: must be an unsigned 64-bit integer"]),
    ("errnoret-type", _syscall(errnoRet="1"), ["linux.seccomp.syscalls[0].errnoRet: must be an integer"]),
    ("arch-type", profile(architectures="SCMP_ARCH_X86_64"),
     ["linux.seccomp.architectures: must be an array, not a string"]),
]


@pytest.mark.parametrize("seccomp,want", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_profile(host, runsd, bundle, cid, tmp_path, nothing_left, seccomp, want):
    bundle.configure(args=["true"], edit=set_seccomp(seccomp))
    assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path,
                         want=["config.json", *want])
    nothing_left(cid)


def _libseccomp_version():
    r = subprocess.run(["pkg-config", "--modversion", "libseccomp"], capture_output=True, text=True)
    return tuple(int(x) for x in r.stdout.strip().split(".")[:2]) if r.returncode == 0 else None


def test_wait_killable_recv(host, runsd, bundle, cid, tmp_path, nothing_left):
    flag = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
    version = _libseccomp_version()
    if version is None:
        pytest.skip("pkg-config does not know libseccomp's version")
    bundle.configure(args=["true"], edit=set_seccomp(profile(flags=[flag])))
    if version < (2, 6):
        # this libseccomp cannot set it: refused, naming the flag
        assert_fails_cleanly(host, runsd, ["create", "--bundle", bundle.path, cid], tmp_path,
                             want=["linux.seccomp.flags[0]", flag, "libseccomp 2.6"])
    else:
        runsd.ok("run", "--bundle", bundle.path, cid)
    nothing_left(cid)


@pytest.mark.parametrize("flags", [["SECCOMP_FILTER_FLAG_LOG"], ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
                                   ["SECCOMP_FILTER_FLAG_TSYNC"]])
def test_flags(runsd, bundle, cid, nothing_left, flags):
    seccomp = profile([rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO")], flags=flags)
    r = run(runsd, bundle, cid, ["sh", "-c", "mkdir /dev/shm/d"], seccomp)
    assert r.returncode == 1 and "Operation not permitted" in r.stderr, r.stderr
    nothing_left(cid)
