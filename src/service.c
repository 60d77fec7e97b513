/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroup.h"
#include "error.h"
#include "fdpass.h"
#include "fds.h"
#include "fileio.h"
#include "init.h"
#include "log.h"
#include "service.h"
#include "state.h"

#define SERVICE_SOCKET "service.sock"
#define SERVICE_PID_FILE "init.pid"

/* create -> helper, with the fds sync, fifo_dir, config (a memfd), then
 * with stdio create's 0, 1 and 2, with console the console socket's
 * connection, and create's fds 3..3+n_listen+n_preserve-1. */
typedef struct Request {
        char path[PATH_MAX];    /* the config's, for messages */
        char bundle[PATH_MAX];
        uint32_t stdio, console, n_listen, n_preserve;
} Request;

/* helper -> create, with the init's pidfd when pid > 0; else error says why. */
typedef struct Reply {
        int32_t pid;
        char error[1024];
} Reply;

/* helper -> create at last: go ahead, tell systemd. */
#define READY_BYTE 'R'

#define N_FDS_MAX FDPASS_MAX

int service_wanted(const Spec *spec, bool flag) {
        const char *value = spec_annotation(spec, UNIT_TYPE_ANNOTATION);

        if (value && !streq(value, "service") && !streq(value, "scope"))
                return error_set(-EINVAL, "%s: annotations." UNIT_TYPE_ANNOTATION ": must be service or scope, not \"%s\"",
                                 spec->path, value);
        return flag || (value && streq(value, "service"));
}

void service_handoff_done(ServiceHandoff *h) {
        closep(&h->fd);
        h->job = systemd_job_free(h->job);
}

/* One message of exactly size bytes, and the fds that came with it
 * (close-on-exec): -EBADMSG for anything else, -EPIPE at EOF. */
static int recv_exact(int sock, void *data, size_t size, int *fds, size_t *n_fds) {
        ssize_t n = fdpass_recv(sock, data, size, 0, fds, N_FDS_MAX, n_fds);

        if (n < 0)
                return (int) n;
        if (n == 0 || (size_t) n != size) {
                for (size_t i = 0; i < *n_fds; i++)
                        close(fds[i]);
                *n_fds = 0;
                return n == 0 ? -EPIPE : -EBADMSG;
        }
        return 0;
}

/* The peer must be the helper of this unit: in the unit's cgroup. */
static int check_peer(int sock, const char *unit) {
        _cleanup_free_ char *cgroup = NULL;
        struct ucred cred;
        socklen_t len = sizeof cred;
        const char *base;
        int r;

        if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        r = cgroup_path_of(cred.pid, cgroup_is_unified() ? "" : "name=systemd", &cgroup);
        if (r < 0)
                return r;
        base = strrchr(cgroup, '/');
        if (cred.uid != geteuid() || !base || !streq(base + 1, unit))
                return -EPERM;
        return 0;
}

static int send_request(int sock, const ServiceInit *si) {
        _cleanup_close_ int config = -1;
        Request req = {
                .stdio = si->pass_stdio,
                .console = si->fds->console >= 0,
                .n_listen = si->fds->n_listen,
                .n_preserve = si->fds->n_preserve,
        };
        int fds[N_FDS_MAX] = { si->sync_fd, si->fifo_dir_fd };
        size_t n_fds = 3, n_pass = req.n_listen + req.n_preserve;

        if (3 + 3 + 1 + n_pass > N_FDS_MAX)
                return error_set(-E2BIG, "service mode passes at most %d fds (--preserve-fds, LISTEN_FDS)",
                                 N_FDS_MAX - 7);
        /* What create checked is what the helper parses. */
        config = memfd_with("runsd-config", si->spec->text, si->spec->text_len, true);
        if (config < 0)
                return error_set(config, "make a memfd for the config: %m");
        fds[2] = config;
        if (req.stdio)
                for (int i = 0; i < 3; i++)
                        fds[n_fds++] = i;
        if (req.console)
                fds[n_fds++] = si->fds->console;
        for (size_t i = 0; i < n_pass; i++)
                fds[n_fds++] = 3 + (int) i;
        snprintf(req.path, sizeof req.path, "%s", si->spec->path);
        snprintf(req.bundle, sizeof req.bundle, "%s", si->spec->bundle);
        return fdpass_send(sock, &req, sizeof req, fds, n_fds);
}

static int self_exe(char **ret) {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

        if (n < 0)
                return error_set(-errno, "readlink /proc/self/exe: %m");
        buf[n] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

typedef struct Properties {
        const UnitSpec *unit;
        const char *id;
} Properties;

/* The container's output, when it goes to the journal, is filed as that of
 * a scope-mode container is (output.c): under the ID; and findable by it. */
static int append_properties(sd_bus_message *m, void *userdata) {
        const Properties *p = userdata;
        _cleanup_free_ char *field = NULL;
        int r;

        if (asprintf(&field, "CONTAINER_ID=%s", p->id) < 0)
                return -ENOMEM;
        r = sd_bus_message_append(m, "(sv)", "SyslogIdentifier", "s", p->id);
        if (r >= 0)
                r = systemd_property_open(m, "LogExtraFields", "aay");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', field, strlen(field));
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = systemd_property_close(m);
        if (r < 0 || !p->unit->properties)
                return r;
        return p->unit->properties(m, p->unit->userdata);
}

/* Wait for fd to be readable while the unit starts: an error if the start
 * job ends first, which it does when the helper fails. */
static int wait_helper(sd_bus *bus, SystemdJob *job, int fd, const char *unit, const char *what) {
        int r = systemd_job_wait(bus, job, fd);

        if (r == 0)
                return error_set(-ECHILD, "service %s: started, but its helper exited before %s", unit, what);
        if (r < 0)
                return error_prefix(r, "service %s: (see journalctl -u %s)", unit, unit);
        return 0;
}

int service_spawn_init(sd_bus *bus, const UnitSpec *u, const ServiceInit *si, bool *ret_started,
                       PidRef *ret_init, ServiceHandoff *ret) {
        _cleanup_(systemd_job_freep) SystemdJob *job = NULL;
        _cleanup_close_ int listener = -1, sock = -1, pidfd = -1;
        _cleanup_free_ char *exe = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[64];
        Reply reply;
        int fds[N_FDS_MAX];
        size_t n_fds;
        int r;

        *ret_started = false;
        r = self_exe(&exe);
        if (r < 0)
                return r;
        /* The state directory's path may be longer than a socket's may. */
        snprintf(dir, sizeof dir, "/proc/self/fd/%d", si->state_dir_fd);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/" SERVICE_SOCKET, dir);
        listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (listener < 0 || bind(listener, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(listener, 1) < 0)
                return error_set(-errno, "service socket %s: %m", sa.sun_path);

        {
                char state_dir[PATH_MAX], pid_file[PATH_MAX + sizeof "/" SERVICE_PID_FILE];
                ssize_t n = readlink(dir, state_dir, sizeof state_dir - 1);
                UnitSpec service = *u;

                if (n < 0)
                        return error_set(-errno, "readlink %s: %m", dir);
                state_dir[n] = '\0';
                service.exec_start = (char *[]) { exe, (char *) "service-init", state_dir, NULL };
                snprintf(pid_file, sizeof pid_file, "%s/" SERVICE_PID_FILE, state_dir);
                service.pid_file = pid_file;
                service.properties = append_properties;
                service.userdata = &(Properties) { .unit = u, .id = si->id };
                r = systemd_start_unit(bus, &service, &job);
                if (r < 0)
                        return r;
        }
        *ret_started = true;

        r = wait_helper(bus, job, listener, u->name, "connecting");
        if (r < 0)
                return r;
        sock = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (sock < 0)
                return error_set(-errno, "service %s: accept its helper: %m", u->name);
        (void) unlinkat(si->state_dir_fd, SERVICE_SOCKET, 0);
        r = check_peer(sock, u->name);
        if (r < 0)
                return error_set(r, "service %s: the peer of %s is not its helper: %m", u->name, sa.sun_path);
        r = send_request(sock, si);
        if (r < 0)
                return error_set(r, "service %s: hand the init's setup to its helper: %m", u->name);

        r = wait_helper(bus, job, sock, u->name, "cloning the init");
        if (r < 0)
                return r;
        r = recv_exact(sock, &reply, sizeof reply, fds, &n_fds);
        if (r < 0)
                return error_set(r, "service %s: read its helper's reply: %m", u->name);
        if (n_fds == 1)
                pidfd = fds[0];
        else
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
        if (reply.pid <= 0) {
                reply.error[sizeof reply.error - 1] = '\0';
                return error_set(-EINVAL, "%s", reply.error);
        }
        if (pidfd < 0)
                return error_set(-EBADMSG, "service %s: its helper sent no pidfd", u->name);

        *ret_init = (PidRef) { .pid = reply.pid, .fd = TAKE_FD(pidfd) };
        *ret = (ServiceHandoff) { .fd = TAKE_FD(sock), .job = TAKE_PTR(job) };
        return 0;
}

int service_handoff_ready(sd_bus *bus, ServiceHandoff *h) {
        char byte = READY_BYTE;

        if (RETRY_EINTR(send(h->fd, &byte, 1, MSG_NOSIGNAL)) != 1)
                return error_set(-errno, "tell the service's helper the init is ready: %m");
        return systemd_job_wait(bus, h->job, -1);
}

/* ------------------------------------------------------------- the helper */

static int helper_fail(int sock, int r) {
        Reply reply = {};

        snprintf(reply.error, sizeof reply.error, "%s", error_message(r));
        (void) fdpass_send(sock, &reply, sizeof reply, NULL, 0);
        return r;
}

static int helper_clone(const char *state_dir, const Request *req, int *fds, PidRef *ret) {
        _cleanup_(container_state_freep) ContainerState *state = NULL;
        _cleanup_(spec_freep) Spec *spec = NULL;
        _cleanup_free_ char *text = NULL;
        int *next = fds + 3;
        InitFds init_fds = { .console = -1, .n_listen = req->n_listen, .n_preserve = req->n_preserve };
        size_t len;
        int r;

        /* What create wrote ("creating"): the init completes it for the hooks. */
        r = state_load(&(StateDir) { .root_fd = -1, .fd = fds[1], .path = (char *) state_dir }, &state);
        if (r < 0)
                return r;

        r = read_full_fd(fds[2], 16 * 1024 * 1024, &text, &len);
        if (r < 0)
                return error_set(r, "read the config from runsd create: %m");
        r = spec_parse(text, len, req->path, req->bundle, &spec);
        if (r < 0)
                return r;
        /* Else our stdio came from systemd: a journal stream under the unit. */
        if (req->stdio) {
                for (int i = 0; i < 3; i++)
                        if (dup2(next[i], i) < 0)
                                return error_set(-errno, "dup2: %m");
                next += 3;
        }
        if (req->console)
                init_fds.console = *next++;
        return init_spawn(&(InitArgs) { .spec = spec, .sync_fd = fds[0], .state_dir_fd = fds[1], .state = state,
                                        .fds = init_fds }, true, ret);
}

int service_helper(const char *state_dir) {
        _cleanup_close_ int dir = -1, sock = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        PidRef init = PIDREF_NULL;
        pid_t pid;
        Request req;
        int fds[N_FDS_MAX];
        size_t n_fds = 0, n_pass;
        char byte, text[32];
        int n, r;

        if (!getenv("INVOCATION_ID"))
                return error_set(-EINVAL, "service-init: only systemd runs this, for a service runsd create started");
        dir = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return error_set(-errno, "service-init: %s: %m", state_dir);
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/" SERVICE_SOCKET, dir);
        sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0 || connect(sock, (struct sockaddr *) &sa, sizeof sa) < 0)
                return error_set(-errno, "service-init: connect to runsd create at %s/" SERVICE_SOCKET ": %m", state_dir);

        r = recv_exact(sock, &req, sizeof req, fds, &n_fds);
        if (r < 0)
                return error_set(r, "service-init: read from runsd create: %m");
        n_pass = (size_t) req.n_listen + req.n_preserve;
        if (req.stdio > 1 || req.console > 1 || n_fds != 3 + 3 * req.stdio + req.console + n_pass) {
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
                return helper_fail(sock, error_set(-EBADMSG, "service-init: got %zu fds from runsd create", n_fds));
        }
        req.path[sizeof req.path - 1] = req.bundle[sizeof req.bundle - 1] = '\0';
        /* The caller's fds go to the container's process at 3..., as they
         * would from create itself: where the init expects them. */
        {
                size_t n_own = n_fds - n_pass;
                int keep[N_FDS_MAX + 2];

                memcpy(keep, fds, n_own * sizeof *keep);
                keep[n_own] = sock;
                keep[n_own + 1] = dir;
                r = fds_place(fds + n_own, n_pass, keep, n_own + 2);
                memcpy(fds, keep, n_own * sizeof *keep);
                sock = keep[n_own];
                dir = keep[n_own + 1];
        }
        if (r >= 0)
                r = helper_clone(state_dir, &req, fds, &init);
        for (size_t i = 0; i < n_fds; i++)
                close(fds[i]);
        if (r < 0)
                return helper_fail(sock, r);

        pid = init.pid;
        r = fdpass_send(sock, &(Reply) { .pid = pid }, sizeof(Reply), &init.fd, 1);
        pidref_done(&init);
        if (r < 0)
                return error_set(r, "service-init: reply to runsd create: %m");
        /* EOF: create failed, and stops the unit. */
        if (RETRY_EINTR(recv(sock, &byte, 1, 0)) != 1 || byte != READY_BYTE)
                return -ECANCELED;
        /* systemd reads it once we have exited: the init is the service's
         * main process from then on. */
        n = snprintf(text, sizeof text, "%d\n", (int) pid);
        r = write_file_atomic(dir, SERVICE_PID_FILE, text, (size_t) n, 0644);
        if (r < 0)
                return error_set(r, "service-init: write %s/" SERVICE_PID_FILE ": %m", state_dir);
        return 0;
}
