/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "cgroup.h"
#include "config.h"
#include "container.h"
#include "error.h"
#include "fileio.h"
#include "init.h"
#include "log.h"
#include "machine.h"
#include "path.h"
#include "pidref.h"
#include "resources.h"
#include "spec.h"
#include "strv.h"
#include "sync.h"
#include "systemd.h"
#include "timestamp.h"
#include "unit-name.h"

/* How long a killed container may take to die before delete gives up. */
#define KILL_TIMEOUT_MS 10000

static void state_dir_closep(StateDir *d) {
        state_dir_close(d);
}
#define _cleanup_state_dir_ _cleanup_(state_dir_closep)

static int not_found(int r, const char *id) {
        if (r == -ENOENT)
                return error_set(r, "container does not exist: %s", id);
        return r;
}

/* Open and load a container; -ENOENT with "container does not exist". */
static int container_open(const char *root, const char *id, int lock_op, StateDir *ret_dir, ContainerState **ret_state) {
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        int r;

        r = container_id_validate(id);
        if (r < 0)
                return r;
        r = state_dir_open(root, id, lock_op, &d);
        if (r < 0)
                return not_found(r, id);
        r = state_load(&d, ret_state);
        if (r < 0)
                return not_found(r, id);
        *ret_dir = d;
        d = STATE_DIR_NULL;
        return 0;
}

/* What the container is now, from the init process and the exec FIFO: the
 * state file only says what it was when last written. */
static ContainerStatus container_status(const StateDir *d, const ContainerState *s) {
        uint64_t start;
        bool zombie;

        if (s->status == STATUS_CREATING)
                return state_dir_is_locked(d) ? STATUS_CREATING : STATUS_STOPPED;
        if (process_start_time(s->pid, &start, &zombie) < 0 || start != s->pid_start_time || zombie)
                return STATUS_STOPPED;
        if (s->status == STATUS_PAUSED)
                return STATUS_PAUSED;
        return faccessat(d->fd, EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ? STATUS_CREATED : STATUS_RUNNING;
}

static char *unit_description(const char *id) {
        char *d;

        return asprintf(&d, "runsd container %s", id) < 0 ? NULL : d;
}

/* Whether the unit a state file names is this container's.  Only in doubt
 * for a create that died before it said "created": the unit may then never
 * have been started by it, and the name may be somebody else's. */
static bool unit_is_ours(sd_bus *bus, const ContainerState *s) {
        _cleanup_free_ char *want = NULL, *have = NULL;

        if (s->status != STATUS_CREATING)
                return true;
        want = unit_description(s->id);
        if (!want || systemd_unit_property(bus, s->unit, "Description", &have) < 0) {
                error_clear();
                return false;
        }
        return streq(want, have);
}

/* Kill every process of the container and make systemd and the disk forget
 * it.  Used by delete and by every failure path of create, so a failed
 * create leaves exactly what a delete does: nothing; but a unit that is not
 * ours (!unit_ours) is left alone. */
static int container_destroy(sd_bus *bus, StateDir *d, const ContainerState *s, bool unit_ours) {
        PidRef init = PIDREF_NULL;
        int r;

        /* Before its leader dies: machined would then drop the machine by
         * itself, but only some time after we return. */
        if (unit_ours)
                machine_unregister(s);
        if (s->pid > 0 && pidref_open(s->pid, s->pid_start_time, &init) >= 0) {
                (void) pidref_kill(&init, SIGKILL);
                r = pidref_wait_exit(&init, KILL_TIMEOUT_MS);
                if (r < 0)
                        log_warning("container %s: init %d did not die: %s", s->id, s->pid, strerror(-r));
                pidref_done(&init);
        }
        if (unit_ours) {
                /* Whatever lives outside the init's pid namespace, if it had one. */
                r = systemd_kill_unit(bus, s->unit, SIGKILL);
                if (r < 0 && r != -ESRCH)
                        return r;
                r = systemd_stop_unit(bus, s->unit);
                if (r < 0)
                        return r;
                cgroup_remove(s->cgroup);
        }
        return state_dir_remove(d);
}

static int write_pid_file(const char *path, pid_t pid) {
        _cleanup_free_ char *dir = strdup(path);
        _cleanup_close_ int dfd = -1;
        char *slash, buf[32];
        int n;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return error_set(-errno, "pid file %s: %m", path);
        n = snprintf(buf, sizeof buf, "%d", pid);
        /* Written atomically: containerd reads it as soon as create returns. */
        n = write_file_atomic(dfd, slash ? strrchr(path, '/') + 1 : path, buf, n, 0644);
        if (n < 0)
                return error_set(n, "write pid file %s: %m", path);
        return 0;
}

static int state_init(const Spec *spec, const char *id, ContainerState **ret, char **ret_slice) {
        _cleanup_(container_state_freep) ContainerState *s = calloc(1, sizeof *s);
        char created[64];
        size_t n;
        int r;

        if (!s)
                return -ENOMEM;
        timestamp_rfc3339(created, sizeof created, NULL);
        s->oci_version = strdup(spec->oci_version);
        s->id = strdup(id);
        s->bundle = strdup(spec->bundle);
        s->rootfs = strdup(spec->root_path);
        s->created = strdup(created);
        s->owner = strdup("");
        n = strv_length(spec->annotations);
        s->annotations = calloc(n + 1, sizeof(char *));
        if (!s->oci_version || !s->id || !s->bundle || !s->rootfs || !s->created || !s->owner || !s->annotations)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(s->annotations[i] = strdup(spec->annotations[i])))
                        return -ENOMEM;
        r = container_unit_name(id, spec->cgroups_path, &s->unit, ret_slice);
        if (r < 0)
                return r;
        s->status = STATUS_CREATING;
        *ret = TAKE_PTR(s);
        return 0;
}

static int clone_init(const Spec *spec, int *ret_pidfd) {
        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t) (uintptr_t) ret_pidfd,
                .exit_signal = SIGCHLD,
        };

        for (NamespaceType t = 0; t < _NS_MAX; t++)
                /* cgroup: unshared by the init once it is in the unit's cgroup */
                if (spec->namespaces[t].enabled && !spec->namespaces[t].path && t != NS_CGROUP)
                        args.flags |= namespace_clone_flag(t);
        return (int) syscall(SYS_clone3, &args, sizeof args);
}

static int join_pid_namespace(const Spec *spec) {
        _cleanup_close_ int fd = -1;
        const char *path = spec->namespaces[NS_PID].path;

        if (!path)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
                return error_set(-errno, "linux.namespaces: pid: join %s: %m", path);
        return 0;
}

/* Messages about linux.resources name the config's field. */
static const char *resources_where(const Spec *spec, char *buf, size_t size) {
        snprintf(buf, size, "%s: linux.resources.", spec->path);
        return buf;
}

static int append_spec_properties(sd_bus_message *m, void *userdata) {
        const Spec *spec = userdata;
        int r;

        if (spec->resources) {
                r = resources_append_properties(m, spec->resources, cgroup_is_unified());
                if (r < 0)
                        return r;
        }
        /* Last: the user's word goes over runsd's defaults. */
        return unit_properties_append(m, spec->unit_properties, spec->n_unit_properties);
}

/* The container's cgroup, once the unit has it: the init follows it into
 * every hierarchy, then gets the limits systemd has no property for. */
static int cgroup_setup(const Spec *spec, ContainerState *s) {
        char where[PATH_MAX + 64];
        int r;

        r = cgroup_follow_unit(s->pid, &s->cgroup);
        if (r < 0 || !spec->resources)
                return r;
        return resources_write_cgroup(spec->resources, cgroup_is_unified(), s->cgroup,
                                      resources_where(spec, where, sizeof where));
}

/* Start the init, put it in its unit, and wait until it is blocked on the
 * exec FIFO.  On success the init is ours in *ret_init. */
static int spawn_init(sd_bus *bus, const Spec *spec, StateDir *d, ContainerState *s, const char *slice,
                      PidRef *ret_init, bool *ret_unit_started) {
        _cleanup_close_ int parent_fd = -1, child_fd = -1, pidfd = -1, fifo_dir = -1;
        _cleanup_free_ char *description = NULL;
        char msg[4096];
        pid_t pid;
        int fds[2], r;

        r = sync_socketpair(fds);
        if (r < 0)
                return error_set(r, "socketpair: %m");
        parent_fd = fds[0];
        child_fd = fds[1];
        /* The init's own handle on the state directory: an O_PATH one
         * cannot hold our flock(), so the lock goes when runsd exits. */
        fifo_dir = openat(d->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fifo_dir < 0)
                return error_set(-errno, "open %s: %m", d->path);
        r = join_pid_namespace(spec);
        if (r < 0)
                return r;

        pid = clone_init(spec, &pidfd);
        if (pid < 0)
                return error_set(-errno, "clone the container's init: %m");
        if (pid == 0)
                container_init(&(InitArgs) { .spec = spec, .sync_fd = child_fd, .state_dir_fd = fifo_dir });
        closep(&child_fd);
        child_fd = -1;
        *ret_init = (PidRef) { .pid = pid, .fd = TAKE_FD(pidfd) };
        s->pid = pid;
        r = process_start_time(pid, &s->pid_start_time, NULL);
        if (r < 0)
                return error_set(r, "read the start time of the init: %m");

        description = unit_description(s->id);
        if (!description)
                return -ENOMEM;
        /* Meanwhile the init sets up what does not need its cgroup; if that
         * failed, its own message says more than what it made fail here. */
        r = systemd_start_scope(bus, &(UnitSpec) {
                        .name = s->unit,
                        .slice = slice,
                        .description = description,
                        .properties = append_spec_properties,
                        .userdata = (void *) spec,
                }, pid);
        *ret_unit_started = r >= 0;
        if (r >= 0)
                r = cgroup_setup(spec, s);
        if (r >= 0) {
                r = sync_send(parent_fd, SYNC_CGROUP_READY, NULL);
                if (r < 0)
                        error_set(r, "container init died during setup");
        }
        if (r < 0) {
                if (sync_recv(parent_fd, msg, sizeof msg, false) == SYNC_ERROR)
                        return error_set(-EINVAL, "%s", msg);
                return r;
        }
        r = sync_recv(parent_fd, msg, sizeof msg, true);
        if (r == SYNC_ERROR)
                return error_set(-EINVAL, "%s", msg);
        if (r != SYNC_INIT_READY)
                return error_set(r < 0 ? r : -ECHILD, "container init died during setup");
        return 0;
}

/* A create failed with r after its state directory existed: remove what it
 * made, reap its init, and return r with r's message, not the cleanup's. */
static int undo_create(sd_bus *bus, StateDir *d, ContainerState *s, bool unit_ours, PidRef *init, int r) {
        char first[4096];
        int k;

        snprintf(first, sizeof first, "%s", error_message(r));
        k = container_destroy(bus, d, s, unit_ours);
        if (k < 0)
                log_warning("cleaning up container %s: %s", s->id, error_message(k));
        if (init->fd >= 0)
                (void) pidref_reap(init);
        pidref_done(init);
        return error_set(r, "%s", first);
}

/* Connects to systemd into *bus once the input is known to be good, so bad
 * input is reported as such wherever runsd runs. */
static int create_locked(sd_bus **bus, const char *root, const char *id, const CreateOptions *o,
                         StateDir *ret_dir, ContainerState **ret_state, PidRef *ret_init) {
        _cleanup_(spec_freep) Spec *spec = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        _cleanup_free_ char *slice = NULL;
        PidRef init = PIDREF_NULL;
        bool unit_started = false, want_machine;
        int r;

        r = container_id_validate(id);
        if (r < 0)
                return r;
        r = spec_load(o->bundle ?: ".", &spec);
        if (r < 0)
                return r;
        r = machine_wanted(spec, o->no_machine);
        if (r < 0)
                return r;
        want_machine = r;
        r = state_init(spec, id, &s, &slice);
        if (r < 0)
                return r;
        if (spec->resources) {
                char where[PATH_MAX + 64];

                r = resources_check(spec->resources, cgroup_is_unified(), resources_where(spec, where, sizeof where));
                if (r < 0)
                        return r;
        }
        r = systemd_connect(bus);
        if (r < 0)
                return r;
        /* The state file exists, saying "creating" and naming the unit,
         * before anything else does: whatever happens to this process
         * from here on, `delete --force` finds all there is to remove. */
        r = state_dir_create(root, id, s, &d);
        if (r < 0)
                return r;
        /* The init opens it after switching to the container's user, so
         * that user must be able to write it; nobody else can reach it,
         * as the state root is 0700. */
        if (mkfifoat(d.fd, EXEC_FIFO, 0622) < 0 || fchmodat(d.fd, EXEC_FIFO, 0622, 0) < 0) {
                r = error_set(-errno, "create %s/%s: %m", d.path, EXEC_FIFO);
                goto fail;
        }

        r = spawn_init(*bus, spec, &d, s, slice, &init, &unit_started);
        if (r < 0)
                goto fail;
        /* machined takes the unit the init is in: it is there by now. */
        if (want_machine)
                machine_register(s);
        s->status = STATUS_CREATED;
        r = state_save(&d, s);
        if (r < 0)
                goto fail;
        if (o->pid_file) {
                r = write_pid_file(o->pid_file, s->pid);
                if (r < 0)
                        goto fail;
        }
        log_debug("container %s created: init %d in %s", id, s->pid, s->unit);
        *ret_dir = d;
        d = STATE_DIR_NULL;
        *ret_state = TAKE_PTR(s);
        *ret_init = init;
        return 0;

fail:
        return undo_create(*bus, &d, s, unit_started, &init, r);
}

int container_create(const char *root, const char *id, const CreateOptions *o) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        PidRef init = PIDREF_NULL;
        int r;

        r = create_locked(&bus, root, id, o, &d, &s, &init);
        /* The init is not ours to wait for: it goes to our parent or a
         * subreaper (containerd's shim, conmon) when we exit. */
        pidref_done(&init);
        return r;
}

static int start_locked(sd_bus *bus, StateDir *d, ContainerState *s) {
        _cleanup_free_ char *active = NULL;
        _cleanup_close_ int fifo = -1;
        PidRef init = PIDREF_NULL;
        struct pollfd p[2];
        char byte;
        int r;

        switch (container_status(d, s)) {
        case STATUS_CREATED:
                break;
        case STATUS_RUNNING:
        case STATUS_PAUSED:
                return error_set(-EBUSY, "cannot start an already running container: %s", s->id);
        case STATUS_STOPPED:
                /* Say what systemd thinks too: `systemctl stop` is the usual cause. */
                if (systemd_unit_property(bus, s->unit, "ActiveState", &active) < 0)
                        error_clear();
                return error_set(-ESRCH, "cannot start a container that has stopped: %s (its init %d has exited; "
                                 "its unit %s is %s)", s->id, s->pid, s->unit, active ?: "unknown");
        default:
                return error_set(-EBUSY, "cannot start container %s: it is still being created", s->id);
        }

        /* Created, and every source must agree: the state file, the init
         * process, and systemd's unit. */
        if (s->status != STATUS_CREATED)
                return error_set(-EIO, "cannot start container %s: its state file says \"%s\", not \"created\"",
                                 s->id, container_status_to_string(s->status));
        r = pidref_open(s->pid, s->pid_start_time, &init);
        if (r < 0)
                return error_set(r, "cannot start container %s: its init process %d is gone", s->id, s->pid);
        r = systemd_unit_property(bus, s->unit, "ActiveState", &active);
        if (r < 0)
                goto out;
        if (!streq(active, "active")) {
                r = error_set(-ESTALE, "cannot start container %s: systemd says its unit %s is %s, not active "
                              "(was it stopped outside runsd?)", s->id, s->unit, active);
                goto out;
        }

        /* Opening the read end releases the init's blocking open; it then
         * writes one byte and execs.  The pidfd tells us if it died instead. */
        fifo = openat(d->fd, EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fifo < 0) {
                r = error_set(-errno, "open %s/%s: %m", d->path, EXEC_FIFO);
                goto out;
        }
        p[0] = (struct pollfd) { .fd = fifo, .events = POLLIN };
        p[1] = (struct pollfd) { .fd = init.fd, .events = POLLIN };
        for (;;) {
                if (RETRY_EINTR(poll(p, 2, -1)) < 0) {
                        r = -errno;
                        goto out;
                }
                if (p[0].revents & POLLIN) {
                        if (RETRY_EINTR(read(fifo, &byte, 1)) == 1)
                                break;
                }
                if (p[1].revents) {
                        r = error_set(-ESRCH, "cannot start container %s: its init exited before it was started", s->id);
                        goto out;
                }
        }
        if (unlinkat(d->fd, EXEC_FIFO, 0) < 0) {
                r = error_set(-errno, "remove %s/%s: %m", d->path, EXEC_FIFO);
                goto out;
        }
        s->status = STATUS_RUNNING;
        r = state_save(d, s);
out:
        pidref_done(&init);
        return r;
}

int container_start(const char *root, const char *id) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        int r;

        r = container_open(root, id, LOCK_EX, &d, &s);
        if (r < 0)
                return r;
        r = systemd_connect(&bus);
        if (r < 0)
                return r;
        return start_locked(bus, &d, s);
}

/* Wait for the container's process, passing on the signals a terminal or
 * a supervisor sends us, as runc does. */
static int wait_forwarding_signals(const PidRef *init) {
        static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
        _cleanup_close_ int sfd = -1;
        sigset_t mask, old;
        int r;

        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&mask, forwarded[i]);
        if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
                return -errno;
        sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0) {
                r = -errno;
                goto out;
        }
        for (;;) {
                struct pollfd p[2] = {
                        { .fd = init->fd, .events = POLLIN },
                        { .fd = sfd, .events = POLLIN },
                };
                struct signalfd_siginfo si;

                if (RETRY_EINTR(poll(p, 2, -1)) < 0) {
                        r = -errno;
                        goto out;
                }
                if (p[0].revents) {
                        r = pidref_reap(init);
                        goto out;
                }
                if ((p[1].revents & POLLIN) && read(sfd, &si, sizeof si) == sizeof si)
                        (void) pidref_kill(init, (int) si.ssi_signo);
        }
out:
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

int container_run(const char *root, const char *id, const CreateOptions *o, bool detach) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        PidRef init = PIDREF_NULL;
        int r, status;

        r = create_locked(&bus, root, id, o, &d, &s, &init);
        if (r < 0)
                return r;
        r = start_locked(bus, &d, s);
        if (r < 0)
                return undo_create(bus, &d, s, true, &init, r);
        if (detach) {
                pidref_done(&init);
                return 0;
        }
        /* Unlocked while it runs, so `runsd state`, `kill` and `ps` work. */
        (void) state_dir_lock(&d, LOCK_UN);
        status = wait_forwarding_signals(&init);
        pidref_done(&init);
        if (status < 0)
                return error_set(status, "wait for container %s: %m", id);

        r = state_dir_lock(&d, LOCK_EX);
        if (r == -ENOENT)
                return status;  /* somebody ran `delete --force` meanwhile */
        if (r < 0)
                return r;
        r = container_destroy(bus, &d, s, true);
        if (r < 0)
                return r;
        return status;
}

int container_kill(const char *root, const char *id, int sig, bool all) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        PidRef init = PIDREF_NULL;
        ContainerStatus status;
        int r;

        /* No lock: signalling changes no state, and must get through while
         * a `run` or `delete` holds it. */
        r = container_open(root, id, 0, &d, &s);
        if (r < 0)
                return r;
        status = container_status(&d, s);
        if (status == STATUS_STOPPED || status == STATUS_CREATING)
                return error_set(-ESRCH, "container not running: %s", id);
        if (all) {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

                r = systemd_connect(&bus);
                if (r < 0)
                        return r;
                r = systemd_kill_unit(bus, s->unit, sig);
                return r == -ESRCH ? error_set(r, "container not running: %s", id) : r;
        }
        r = pidref_open(s->pid, s->pid_start_time, &init);
        if (r < 0)
                return error_set(r, "container not running: %s", id);
        r = pidref_kill(&init, sig);
        pidref_done(&init);
        if (r < 0)
                return error_set(r, r == -ESRCH ? "container not running: %s" : "kill container %s: %m", id);
        return 0;
}

static int append_resources(sd_bus_message *m, void *userdata) {
        return resources_append_properties(m, userdata, cgroup_is_unified());
}

int container_update(const char *root, const char *id, const SpecResources *r, const char *where) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        ContainerStatus status;
        bool unified = cgroup_is_unified();
        int k;

        k = container_open(root, id, LOCK_EX, &d, &s);
        if (k < 0)
                return k;
        status = container_status(&d, s);
        if (status != STATUS_CREATED && status != STATUS_RUNNING && status != STATUS_PAUSED)
                return error_set(-ESRCH, "container not running: %s", id);
        k = resources_check(r, unified, where);
        if (k < 0)
                return k;
        if (r->memory.check_before_update) {
                k = resources_check_memory_usage(r, s->cgroup, where);
                if (k < 0)
                        return k;
        }
        k = systemd_connect(&bus);
        if (k < 0)
                return k;
        k = systemd_set_unit_properties(bus, s->unit, append_resources, (void *) r);
        if (k < 0)
                return k;
        return resources_write_cgroup(r, unified, s->cgroup, where);
}

int container_delete(const char *root, const char *id, bool force) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        ContainerStatus status;
        int r;

        r = container_open(root, id, LOCK_EX, &d, &s);
        if (r == -ENOENT && force) {
                /* As runc: containerd's shim deletes with --force after a
                 * delete, and expects success.  What a create of this ID
                 * that died before the ID existed left, goes now. */
                error_clear();
                state_remove_abandoned(root);
                return 0;
        }
        if (r < 0)
                return r;
        status = container_status(&d, s);
        /* A created container has run nothing of the user's yet, so, as runc
         * and crun do, delete kills it without --force. */
        if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !force)
                return error_set(-EBUSY, "cannot delete container %s that is not stopped: %s (use --force)",
                                 id, container_status_to_string(status));
        r = systemd_connect(&bus);
        if (r < 0)
                return r;
        return container_destroy(bus, &d, s, unit_is_ours(bus, s));
}

int container_state(const char *root, const char *id, ContainerState **ret, ContainerStatus *ret_status) {
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        int r;

        r = container_open(root, id, 0, &d, ret);
        if (r < 0)
                return r;
        *ret_status = container_status(&d, *ret);
        return 0;
}

void container_info_free_many(ContainerInfo *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                container_state_free(l[i].state);
        free(l);
}

int container_list(const char *root, ContainerInfo **ret, size_t *ret_n) {
        _cleanup_strv_free_ char **ids = NULL;
        ContainerInfo *l;
        size_t n = 0;
        int r;

        r = state_list(root, &ids);
        if (r < 0)
                return r;
        l = calloc(strv_length(ids) + 1, sizeof *l);
        if (!l)
                return -ENOMEM;
        STRV_FOREACH(id, ids) {
                r = container_state(root, *id, &l[n].state, &l[n].status);
                if (r == -ENOENT)
                        continue;  /* deleted while we looked */
                if (r < 0) {
                        log_warning("%s: %s", *id, error_message(r));
                        error_clear();
                        continue;
                }
                n++;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}
