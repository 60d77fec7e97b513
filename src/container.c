/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup.h"
#include "config.h"
#include "container.h"
#include "error.h"
#include "exec.h"
#include "fds.h"
#include "fileio.h"
#include "hooks.h"
#include "host-check.h"
#include "init.h"
#include "log.h"
#include "machine.h"
#include "netdev.h"
#include "nsjoin.h"
#include "output.h"
#include "path.h"
#include "pidref.h"
#include "resources.h"
#include "seccomp-filter.h"
#include "service.h"
#include "spec.h"
#include "stats.h"
#include "strv.h"
#include "sync.h"
#include "systemd.h"
#include "timens.h"
#include "terminal.h"
#include "timestamp.h"
#include "unit-name.h"
#include "userns.h"

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
        log_set_container(id, NULL);
        r = state_dir_open(root, id, lock_op, &d);
        if (r < 0)
                return not_found(r, id);
        r = state_load(&d, ret_state);
        if (r < 0)
                return not_found(r, id);
        log_set_container(id, (*ret_state)->unit);
        *ret_dir = d;
        d = STATE_DIR_NULL;
        return 0;
}

/* The exec FIFO exists until `start` has released the init. */
static bool exec_fifo_exists(const StateDir *d) {
        return faccessat(d->fd, EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
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
        return exec_fifo_exists(d) ? STATUS_CREATED : STATUS_RUNNING;
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

/* Freeze or thaw every process of the container: through systemd where it
 * can (cgroup v2), else with the v1 freezer in the cgroup runsd made. */
static int container_freeze(sd_bus *bus, const ContainerState *s, bool freeze) {
        int r;

        r = systemd_freeze_unit(bus, s->unit, freeze);
        if (r != -EOPNOTSUPP)
                return r;
        if (!s->cgroup)
                return error_set(r, "systemd cannot freeze unit %s, and it has no cgroup in a v1 freezer hierarchy",
                                 s->unit);
        return cgroup_v1_freeze(s->cgroup, freeze);
}

/* A task the v1 freezer holds dies of SIGKILL only once thawed: after
 * killing a paused container, thaw it.  It has nothing left to run, so a
 * failure (systemd refuses to thaw a unit that has just emptied) is fine. */
static void thaw_killed(sd_bus *bus, const ContainerState *s) {
        int r;

        r = container_freeze(bus, s, false);
        if (r < 0) {
                log_debug("container %s: thaw after SIGKILL: %s", s->id, error_message(r));
                error_clear();
        }
}

/* Kill every process of the container and make systemd and the disk forget
 * it.  Used by delete and by every failure path of create, so a failed
 * create leaves exactly what a delete does: nothing; but a unit that is not
 * ours (!unit_ours) is left alone. */
static int container_destroy(sd_bus *bus, StateDir *d, const ContainerState *s, bool unit_ours) {
        _cleanup_(spec_hooks_done) SpecHooks saved = {};
        PidRef init = PIDREF_NULL;
        int r;

        hooks_load(d, &saved);

        /* Before its leader dies: machined would then drop the machine by
         * itself, but only some time after we return. */
        if (unit_ours)
                machine_unregister(s);
        if (s->pid > 0 && pidref_open(s->pid, s->pid_start_time, &init) >= 0)
                (void) pidref_kill(&init, SIGKILL);
        if (s->status == STATUS_PAUSED && unit_ours) {
                (void) systemd_kill_unit(bus, s->unit, SIGKILL);
                thaw_killed(bus, s);
        }
        if (init.fd >= 0) {
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
        r = state_dir_remove(d);
        if (r >= 0)
                (void) hooks_run(&saved, HOOK_POSTSTOP, s);
        return r;
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

static int state_init(const Spec *spec, const char *id, bool service, ContainerState **ret, char **ret_slice) {
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
        r = container_unit_name(id, spec->cgroups_path, service, &s->unit, ret_slice);
        if (r < 0)
                return r;
        s->status = STATUS_CREATING;
        *ret = TAKE_PTR(s);
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

/* A new user namespace gets its id maps from us before the init goes on. */
static int userns_setup(const Spec *spec, pid_t pid, int sync_fd) {
        int r;

        if (!spec->namespaces[NS_USER].enabled || spec->namespaces[NS_USER].path)
                return 0;
        r = userns_write_maps(pid, spec);
        if (r < 0)
                return r;
        r = sync_send(sync_fd, SYNC_USERNS_READY, NULL);
        return r < 0 ? error_set(r, "container init died during setup") : 0;
}

/* Scope mode: clone the init, and while it sets up what does not need its
 * cgroup, start the scope holding it (and relay, if not 0) and wait for the
 * job. */
static int spawn_in_scope(sd_bus *bus, const UnitSpec *u, const InitArgs *a, pid_t relay, int sync_fd,
                          PidRef *ret_init, bool *ret_unit_started) {
        _cleanup_(systemd_job_freep) SystemdJob *job = NULL;
        UnitSpec scope = *u;
        int r;

        r = init_spawn(a, false, ret_init);
        if (r < 0)
                return r;
        r = userns_setup(a->spec, ret_init->pid, sync_fd);
        if (r < 0)
                return r;
        /* the journal relay of its output (output.h) is the unit's too */
        scope.pids = (pid_t[]) { ret_init->pid, relay };
        scope.n_pids = relay > 0 ? 2 : 1;
        r = systemd_start_unit(bus, &scope, &job);
        if (r < 0)
                return r;
        *ret_unit_started = true;
        return systemd_job_wait(bus, job, -1);
}

/* Wait until the init is blocked on the exec FIFO.  On the way it may stop
 * (once mounted, before pivot_root) for the hooks that run in our
 * namespaces, and send its seccomp notify fd, for the agent. */
static int wait_init_ready(int fd, const Spec *spec, const ContainerState *s) {
        char msg[4096];
        int r;

        for (;;) {
                _cleanup_close_ int notify_fd = -1;

                r = sync_recv_fd(fd, msg, sizeof msg, &notify_fd);
                if (r == SYNC_CREATE_RUNTIME) {
                        /* prestart, deprecated, is createRuntime's forerunner: before it, as in runc */
                        r = hooks_run(&spec->hooks, HOOK_PRESTART, s);
                        if (r >= 0)
                                r = hooks_run(&spec->hooks, HOOK_CREATE_RUNTIME, s);
                        if (r < 0)
                                return r;
                        /* if it died meanwhile, the next receive says so */
                        (void) sync_send(fd, SYNC_HOOKS_DONE, NULL);
                } else if (r == SYNC_SECCOMP_FD) {
                        r = seccomp_send_listener(spec->seccomp, s, notify_fd);
                        if (r < 0)
                                return r;
                } else
                        break;
        }
        if (r == SYNC_ERROR)
                return error_set(-EINVAL, "%s", msg);
        if (r != SYNC_INIT_READY)
                return error_set(r < 0 ? r : -ECHILD, "container init died during setup");
        return 0;
}

/* Start the init, put it in its unit, and wait until it is blocked on the
 * exec FIFO.  On success the init is ours in *ret_init (in service mode,
 * systemd's child, which we hold by its pidfd). */
static int spawn_init(sd_bus *bus, const Spec *spec, StateDir *d, ContainerState *s, const char *slice,
                      bool service, bool output_journal, const InitFds *init_fds, PidRef *ret_init,
                      bool *ret_unit_started) {
        _cleanup_(service_handoff_done) ServiceHandoff handoff = SERVICE_HANDOFF_NULL;
        _cleanup_close_ int parent_fd = -1, child_fd = -1, fifo_dir = -1;
        _cleanup_free_ char *description = NULL;
        UnitSpec u;
        char msg[4096];
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
        description = unit_description(s->id);
        if (!description)
                return -ENOMEM;
        u = (UnitSpec) {
                .name = s->unit,
                .slice = slice,
                .description = description,
                .properties = append_spec_properties,
                .userdata = (void *) spec,
        };

        /* Meanwhile the init sets up what does not need its cgroup; if that
         * failed, its own message says more than what it made fail here. */
        if (service) {
                r = service_spawn_init(bus, &u, &(ServiceInit) {
                                .id = s->id,
                                .spec = spec,
                                .state_dir_fd = d->fd,
                                .sync_fd = child_fd,
                                .fifo_dir_fd = fifo_dir,
                                .pass_stdio = !output_journal,
                                .fds = init_fds,
                        }, ret_unit_started, ret_init, &handoff);
                if (r >= 0)
                        r = userns_setup(spec, ret_init->pid, parent_fd);
        } else {
                _cleanup_(close_pairp) int output[2] = { -1, -1 };
                InitFds init_stdio = *init_fds;
                pid_t relay = 0;

                if (output_journal) {
                        r = output_journal_relay(s->id, s->unit, output, &relay);
                        if (r < 0)
                                return r;
                        init_stdio.relay_output = true;
                        init_stdio.output[0] = output[0], init_stdio.output[1] = output[1];
                }
                r = spawn_in_scope(bus, &u, &(InitArgs) {
                                .spec = spec, .sync_fd = child_fd, .state_dir_fd = fifo_dir, .state = s,
                                .fds = init_stdio,
                        }, relay, parent_fd, ret_init, ret_unit_started);
        }
        closep(&child_fd);
        if (ret_init->pid > 0) {
                s->pid = ret_init->pid;
                if (r >= 0) {
                        r = process_start_time(s->pid, &s->pid_start_time, NULL);
                        if (r < 0)
                                error_set(r, "read the start time of the init: %m");
                }
        }
        if (r >= 0)
                r = cgroup_setup(spec, s);
        if (r >= 0)
                r = net_devices_move(spec, s->pid);
        if (r >= 0) {
                char pid_text[16];

                snprintf(pid_text, sizeof pid_text, "%d", s->pid);
                r = sync_send(parent_fd, SYNC_CGROUP_READY, pid_text);
                if (r < 0)
                        error_set(r, "container init died during setup");
        }
        if (r < 0) {
                if (ret_init->pid > 0 && sync_recv(parent_fd, msg, sizeof msg, false) == SYNC_ERROR)
                        return error_set(-EINVAL, "%s", msg);
                return r;
        }
        r = wait_init_ready(parent_fd, spec, s);
        if (r < 0)
                return r;
        return service ? service_handoff_ready(bus, &handoff) : 0;
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
 * input is reported as such wherever runsd runs.  A container that will
 * outlive us (!foreground) and got no stdio from our caller writes to the
 * journal.  In the foreground, a terminal without --console-socket is
 * runsd's to relay: its master lands in *ret_console. */
static int create_locked(sd_bus **bus, const char *root, const char *id, const CreateOptions *o, bool foreground,
                         StateDir *ret_dir, ContainerState **ret_state, PidRef *ret_init, int *ret_console,
                         OutputRelay *relay) {
        _cleanup_(spec_freep) Spec *spec = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        _cleanup_free_ char *slice = NULL;
        _cleanup_close_ int console = -1, console_local = -1;
        InitFds fds = { .n_listen = fds_listen_count(), .n_preserve = o->preserve_fds };
        _cleanup_(close_pairp) int output[2] = { -1, -1 };
        PidRef init = PIDREF_NULL;
        bool unit_started = false, want_machine, service;
        int r;

        r = container_id_validate(id);
        if (r < 0)
                return r;
        log_set_container(id, NULL);
        r = spec_load(o->bundle ?: ".", &spec);
        if (r < 0)
                return r;
        r = host_check(spec);
        if (r < 0)
                return r;
        r = machine_wanted(spec, o->no_machine);
        if (r < 0)
                return r;
        want_machine = r;
        r = service_wanted(spec, o->service);
        if (r < 0)
                return r;
        service = r;
        r = console_open(spec->process.terminal, o->console_socket, foreground, &console, &console_local);
        if (r < 0)
                return r;
        fds.console = console;
        if (relay && console < 0 && !service && output_wants_relay()) {
                r = output_relay_begin(relay, output);
                if (r < 0)
                        return r;
                fds.relay_output = true;
                fds.output[0] = output[0], fds.output[1] = output[1];
        }
        r = state_init(spec, id, service, &s, &slice);
        if (r < 0)
                return r;
        log_set_container(id, s->unit);
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
        r = hooks_save(&d, &spec->hooks);
        if (r < 0)
                goto fail;

        /* (a terminal replaces the init's stdio) */
        r = spawn_init(*bus, spec, &d, s, slice, service, !foreground && !spec->process.terminal && output_wants_journal(),
                       &fds, &init, &unit_started);
        /* the init's now: ours would keep the relay from seeing its end */
        close_pair(output);
        if (r >= 0 && console_local >= 0)
                r = console_recv_master(console_local, ret_console);
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

        r = create_locked(&bus, root, id, o, false, &d, &s, &init, NULL, NULL);
        /* The init is not ours to wait for: it goes to our parent or a
         * subreaper (containerd's shim, conmon) when we exit. */
        pidref_done(&init);
        return r;
}

static int start_locked(sd_bus *bus, StateDir *d, ContainerState *s) {
        _cleanup_(spec_hooks_done) SpecHooks saved = {};
        _cleanup_free_ char *active = NULL;
        _cleanup_close_ int fifo = -1;
        PidRef init = PIDREF_NULL;
        struct pollfd p[2];
        char reply[4096];
        ssize_t n = 0;
        int r;

        switch (container_status(d, s)) {
        case STATUS_CREATED:
                break;
        case STATUS_RUNNING:
                return error_set(-EBUSY, "cannot start an already running container: %s", s->id);
        case STATUS_PAUSED:
                return error_set(-EBUSY, "cannot start a paused container: %s (resume it first)", s->id);
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
         * runs the startContainer hooks, writes a NUL (or why they failed)
         * and execs.  The pidfd tells us if it died instead. */
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
                        n = RETRY_EINTR(read(fifo, reply, sizeof reply - 1));
                        if (n > 0)
                                break;
                }
                if (p[1].revents) {
                        r = error_set(-ESRCH, "cannot start container %s: its init exited before it was started", s->id);
                        goto out;
                }
        }
        if (reply[0] != '\0') {
                reply[n] = '\0';
                r = error_set(-EPROTO, "cannot start container %s: %s", s->id, reply);
                goto out;
        }
        if (unlinkat(d->fd, EXEC_FIFO, 0) < 0) {
                r = error_set(-errno, "remove %s/%s: %m", d->path, EXEC_FIFO);
                goto out;
        }
        s->status = STATUS_RUNNING;
        r = state_save(d, s);
        if (r >= 0) {
                hooks_load(d, &saved);
                (void) hooks_run(&saved, HOOK_POSTSTART, s);
        }
out:
        pidref_done(&init);
        return r;
}

/* A container, locked, and a connection to systemd: what the commands that
 * change a container need. */
static int open_locked(const char *root, const char *id, StateDir *d, ContainerState **s, sd_bus **bus) {
        int r;

        r = container_open(root, id, LOCK_EX, d, s);
        if (r < 0)
                return r;
        return systemd_connect(bus);
}

int container_start(const char *root, const char *id) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        int r;

        r = open_locked(root, id, &d, &s, &bus);
        if (r < 0)
                return r;
        return start_locked(bus, &d, s);
}

/* Wait until the container's process has exited (not reaping it), passing
 * on the signals a terminal or a supervisor sends us, as runc does; with a
 * terminal relay, copy its input and output meanwhile, and pass a window
 * size change on to it. */
static int wait_forwarding_signals(const PidRef *p, TerminalRelay *t, OutputRelay *o) {
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
                struct pollfd pfd[6] = {
                        { .fd = p->fd, .events = POLLIN },
                        { .fd = sfd, .events = POLLIN },
                };
                size_t n_t = t ? terminal_relay_pollfds(t, pfd + 2) : 0;
                size_t n = 2 + n_t + (o ? output_relay_pollfds(o, pfd + 2 + n_t) : 0);
                struct signalfd_siginfo si;

                if (RETRY_EINTR(poll(pfd, n, -1)) < 0) {
                        r = -errno;
                        goto out;
                }
                if (pfd[0].revents) {
                        r = 0;
                        goto out;
                }
                if ((pfd[1].revents & POLLIN) && read(sfd, &si, sizeof si) == sizeof si) {
                        /* the kernel tells the terminal's processes itself */
                        if (t && si.ssi_signo == SIGWINCH)
                                terminal_relay_resize(t);
                        else
                                (void) pidref_kill(p, (int) si.ssi_signo);
                }
                if (t)
                        terminal_relay_io(t, pfd + 2, n_t);
                if (o)
                        output_relay_io(o, pfd + 2 + n_t, n - 2 - n_t);
        }
out:
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

/* The shell's view of how the init that has exited ended: its exit code,
 * or 128+N for signal N.  Ours to reap, unless systemd is its parent. */
static int exit_status(sd_bus *bus, const ContainerState *s, const PidRef *init) {
        int code, status, r;

        if (!unit_is_service(s->unit))
                return pidref_reap(init);
        r = systemd_service_wait_exit(bus, s->unit, &code, &status);
        if (r < 0)
                return r;
        return code == CLD_EXITED ? status : 128 + status;
}

/* Wait for p in the foreground: with its terminal's master (>= 0) relayed
 * to ours.  Takes master over. */
static int wait_foreground(const PidRef *p, int master, OutputRelay *output) {
        TerminalRelay relay = TERMINAL_RELAY_NULL;
        int r;

        if (master >= 0) {
                r = terminal_relay_begin(&relay, master);
                if (r < 0) {
                        terminal_relay_end(&relay);
                        return r;
                }
        }
        r = wait_forwarding_signals(p, master >= 0 ? &relay : NULL, output);
        terminal_relay_end(&relay);
        if (output)
                output_relay_end(output);
        return r;
}

int container_run(const char *root, const char *id, const CreateOptions *o, bool detach) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        _cleanup_(output_relay_end) OutputRelay relay = OUTPUT_RELAY_NULL;
        _cleanup_close_ int master = -1;
        PidRef init = PIDREF_NULL;
        int r, status;

        r = create_locked(&bus, root, id, o, !detach, &d, &s, &init, &master, detach ? NULL : &relay);
        if (r < 0)
                return r;
        r = start_locked(bus, &d, s);
        if (r < 0)
                return undo_create(bus, &d, s, true, &init, r);
        if (detach) {
                pidref_done(&init);
                return 0;
        }
        systemd_notify_ready();
        /* Unlocked while it runs, so `runsd state`, `kill` and `ps` work. */
        (void) state_dir_lock(&d, LOCK_UN);
        r = wait_foreground(&init, TAKE_FD(master), &relay);
        if (r < 0) {
                pidref_done(&init);
                return error_set(r, "wait for container %s: %m", id);
        }
        status = exit_status(bus, s, &init);
        pidref_done(&init);
        if (status < 0)
                return status;

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

int container_exec(const char *root, const char *id, const ExecOptions *o) {
        _cleanup_(spec_freep) Spec *spec = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        _cleanup_close_ int console = -1, console_local = -1, master = -1;
        PidRef init = PIDREF_NULL, proc = PIDREF_NULL;
        ContainerStatus status;
        int r;

        /* Shared: a delete waits until the process is in the container. */
        r = container_open(root, id, LOCK_SH, &d, &s);
        if (r < 0)
                return r;
        status = container_status(&d, s);
        if (status == STATUS_STOPPED)
                return error_set(-ESRCH, "cannot exec in a stopped container: %s", id);
        if (status != STATUS_RUNNING)
                return error_set(-ESRCH, "container not running: %s is %s; exec needs a running container",
                                 id, container_status_to_string(status));
        r = exec_prepare(o, s->bundle, &spec);
        if (r < 0)
                return r;
        r = console_open(spec->process.terminal, o->console_socket, !o->detach, &console, &console_local);
        if (r < 0)
                return r;
        r = pidref_open(s->pid, s->pid_start_time, &init);
        if (r < 0)
                return error_set(r, "container not running: %s", id);
        r = exec_spawn(spec, &init, console, o->preserve_fds, &proc);
        pidref_done(&init);
        (void) state_dir_lock(&d, LOCK_UN);
        if (r >= 0 && o->pid_file)
                r = write_pid_file(o->pid_file, proc.pid);
        if (r >= 0 && console_local >= 0)
                r = console_recv_master(console_local, &master);
        if (r < 0) {
                if (proc.fd >= 0) {
                        (void) pidref_kill(&proc, SIGKILL);
                        (void) pidref_reap(&proc);
                }
                pidref_done(&proc);
                return r;
        }
        if (o->detach) {
                pidref_done(&proc);
                return 0;
        }
        r = wait_foreground(&proc, TAKE_FD(master), NULL);
        if (r >= 0)
                r = pidref_reap(&proc);
        pidref_done(&proc);
        if (r < 0)
                return error_set(r, "wait for the process in container %s: %m", id);
        return r;
}

static int kill_init(const ContainerState *s, int sig) {
        PidRef init = PIDREF_NULL;
        int r;

        r = pidref_open(s->pid, s->pid_start_time, &init);
        if (r < 0)
                return error_set(r, "container not running: %s", s->id);
        r = pidref_kill(&init, sig);
        pidref_done(&init);
        if (r < 0)
                return error_set(r, r == -ESRCH ? "container not running: %s" : "kill container %s: %m", s->id);
        return 0;
}

int container_kill(const char *root, const char *id, int sig, bool all) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        ContainerStatus status;
        int r;

        /* No lock: signalling changes no state, and must get through while
         * a `run` or `delete` holds it. */
        r = container_open(root, id, 0, &d, &s);
        if (r < 0)
                return r;
        status = container_status(&d, s);
        /* As runc, --all signals what is left of a stopped container too:
         * the init's children outlive it when the init did not own its PID
         * namespace (a pod's containers share the sandbox's), and the runc
         * shim sends them the SIGKILL once the init has exited. */
        if (status == STATUS_CREATING || (status == STATUS_STOPPED && !all))
                return error_set(-ESRCH, "container not running: %s", id);
        if (all || status == STATUS_PAUSED) {
                r = systemd_connect(&bus);
                if (r < 0)
                        return r;
        }
        if (all) {
                r = systemd_kill_unit(bus, s->unit, sig);
                if (r == -ESRCH)
                        return status == STATUS_STOPPED ? 0 : error_set(r, "container not running: %s", id);
        } else
                r = kill_init(s, sig);
        /* Other signals wait for `resume`, as they do with runc. */
        if (r >= 0 && status == STATUS_PAUSED && sig == SIGKILL)
                thaw_killed(bus, s);
        return r;
}

/* Pause or resume, under the lock: the state file says which it is. */
static int freeze_locked(sd_bus *bus, StateDir *d, ContainerState *s, bool pause) {
        ContainerStatus status = container_status(d, s);
        char first[4096];
        int r, k;

        if (status == STATUS_STOPPED || status == STATUS_CREATING)
                return error_set(-ESRCH, "container not running: %s", s->id);
        if (pause && status == STATUS_PAUSED)
                return error_set(-EBUSY, "container already paused: %s", s->id);
        if (!pause && status != STATUS_PAUSED)
                return error_set(-EINVAL, "container not paused: %s", s->id);

        r = container_freeze(bus, s, pause);
        if (r < 0)
                return error_prefix(r, "%s container %s", pause ? "pause" : "resume", s->id);
        /* As runc: a created container may be paused too, and is created
         * again once resumed. */
        s->status = pause ? STATUS_PAUSED : exec_fifo_exists(d) ? STATUS_CREATED : STATUS_RUNNING;
        r = state_save(d, s);
        if (r >= 0)
                return 0;
        /* The state file must not lie: back to what it says, with r's message. */
        snprintf(first, sizeof first, "%s", error_message(r));
        k = container_freeze(bus, s, !pause);
        if (k < 0)
                log_warning("container %s: %s", s->id, error_message(k));
        return error_set(r, "%s", first);
}

static int pause_or_resume(const char *root, const char *id, bool pause) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        int r;

        r = open_locked(root, id, &d, &s, &bus);
        if (r < 0)
                return r;
        return freeze_locked(bus, &d, s, pause);
}

int container_pause(const char *root, const char *id) {
        return pause_or_resume(root, id, true);
}

int container_resume(const char *root, const char *id) {
        return pause_or_resume(root, id, false);
}

/* Read the state of a container that has processes (created, running or
 * paused), without holding its lock: a delete must not wait for a reader. */
static int open_live(const char *root, const char *id, ContainerState **ret) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        ContainerStatus status;
        int r;

        r = container_open(root, id, 0, &d, &s);
        if (r < 0)
                return r;
        status = container_status(&d, s);
        if (status == STATUS_STOPPED || status == STATUS_CREATING || !s->cgroup)
                return error_set(-ESRCH, "container not running: %s", id);
        *ret = TAKE_PTR(s);
        return 0;
}

int container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        int r;

        r = open_live(root, id, &s);
        if (r < 0)
                return r;
        r = systemd_connect(&bus);
        if (r < 0)
                return r;
        r = systemd_unit_pids(bus, s->unit, ret, ret_n);
        if (r == -ESRCH)
                return error_set(r, "container not running: %s", id);
        return r;
}

static int emit_stats(const char *cgroup, const char *id, ContainerEventFn fn, void *userdata) {
        CgroupStats stats;
        int r;

        r = cgroup_stats_read(cgroup, &stats);
        if (r < 0)
                return r;
        r = fn(&(ContainerEvent) { .type = "stats", .id = id, .stats = &stats }, userdata);
        cgroup_stats_done(&stats);
        return r;
}

static int emit_oom(OomWatch *w, const char *id, ContainerEventFn fn, void *userdata) {
        if (!oom_watch_read(w))
                return 0;
        return fn(&(ContainerEvent) { .type = "oom", .id = id }, userdata);
}

static uint64_t now_nsec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Stats every interval and OOM kills as they happen, until the init exits. */
static int watch_events(const ContainerState *s, const char *cgroup, uint64_t interval_nsec,
                        ContainerEventFn fn, void *userdata) {
        _cleanup_(oom_watch_close) OomWatch oom = OOM_WATCH_NULL;
        PidRef init = PIDREF_NULL;
        uint64_t next;
        int r;

        r = pidref_open(s->pid, s->pid_start_time, &init);
        if (r < 0)
                return error_set(r, "container not running: %s", s->id);
        r = oom_watch_open(cgroup, &oom);
        if (r < 0)
                goto out;
        for (next = now_nsec() + interval_nsec;;) {
                struct pollfd p[2] = {
                        { .fd = init.fd, .events = POLLIN },
                        { .fd = oom.fd, .events = POLLIN },
                };
                uint64_t now = now_nsec(), wait = next > now ? next - now : 0;
                struct timespec timeout = { .tv_sec = wait / 1000000000ULL, .tv_nsec = wait % 1000000000ULL };

                if (RETRY_EINTR(ppoll(p, oom.fd >= 0 ? 2 : 1, &timeout, NULL)) < 0) {
                        r = error_set(-errno, "wait for events of container %s: %m", s->id);
                        goto out;
                }
                /* v1 notifies as the OOM killer sets out, so look at every
                 * wakeup: the one that ends the container too. */
                r = emit_oom(&oom, s->id, fn, userdata);
                if (r < 0 || p[0].revents)
                        goto out;
                if (now_nsec() < next)
                        continue;
                r = emit_stats(cgroup, s->id, fn, userdata);
                if (r < 0 && pidref_wait_exit(&init, 0) == 0) {
                        /* the cgroup went with the init: the next poll ends it */
                        error_clear();
                        continue;
                }
                if (r < 0)
                        goto out;
                next = MAX(next + interval_nsec, now_nsec());
        }
out:
        pidref_done(&init);
        return r;
}

int container_events(const char *root, const char *id, bool stats_only, uint64_t interval_nsec,
                     ContainerEventFn fn, void *userdata) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        int r;

        r = open_live(root, id, &s);
        if (r < 0)
                return r;
        if (stats_only)
                return emit_stats(s->cgroup, id, fn, userdata);
        return watch_events(s, s->cgroup, interval_nsec, fn, userdata);
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

/* What systemd recorded of how a service-mode container's init exited, if
 * it can tell: the state is still worth printing without it. */
static void service_exit(ContainerState *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = systemd_connect(&bus);
        if (r >= 0)
                r = systemd_service_exit(bus, s->unit, &s->exit_code, &s->exit_status);
        if (r < 0 && r != -ENODATA)
                log_debug("container %s: exit status from %s: %s", s->id, s->unit, error_message(r));
        error_clear();
}

int container_state(const char *root, const char *id, ContainerState **ret, ContainerStatus *ret_status) {
        _cleanup_state_dir_ StateDir d = STATE_DIR_NULL;
        int r;

        r = container_open(root, id, 0, &d, ret);
        if (r < 0)
                return r;
        *ret_status = container_status(&d, *ret);
        if (*ret_status == STATUS_STOPPED && unit_is_service((*ret)->unit))
                service_exit((*ret));
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
        log_set_container(NULL, NULL);
        *ret = l;
        *ret_n = n;
        return 0;
}
