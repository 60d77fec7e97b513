/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "error.h"
#include "log.h"
#include "macro.h"
#include "systemd.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define SERVICE_IFACE "org.freedesktop.systemd1.Service"
#define PRIVATE_SOCKET "/run/systemd/private"

/* As runc: a job that has not finished in this time will not. */
#define JOB_TIMEOUT_USEC (30ULL * 1000000ULL)

/* sd-bus.h brings the *_unrefp() and sd_bus_error_free() cleanup helpers. */
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)
#define _cleanup_bus_message_ _cleanup_(sd_bus_message_unrefp)

static int bus_error(int r, const sd_bus_error *e, const char *what, const char *unit) {
        if (sd_bus_error_is_set(e))
                return error_set(r, "systemd: %s %s: %s", what, unit, e->message ?: e->name);
        return error_set(r, "systemd: %s %s: %m", what, unit);
}

static int unit_path(const char *unit, char **ret) {
        return sd_bus_path_encode(SYSTEMD_PATH "/unit", unit, ret);
}

int systemd_connect(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (geteuid() == 0 && access(PRIVATE_SOCKET, F_OK) == 0) {
                r = sd_bus_new(&bus);
                if (r < 0)
                        return r;
                r = sd_bus_set_address(bus, "unix:path=" PRIVATE_SOCKET);
                if (r < 0)
                        return r;
                r = sd_bus_start(bus);
                if (r >= 0) {
                        *ret = TAKE_PTR(bus);
                        return 0;
                }
                log_debug("connect to %s: %s; trying the system bus", PRIVATE_SOCKET, strerror(-r));
                bus = sd_bus_flush_close_unref(bus);
        }
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return error_set(r, "cannot connect to systemd (is it running as PID 1?): %m");
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Waiting for a job: JobRemoved is matched before the call that makes the
 * job, so it cannot be missed; it is only dispatched after the reply. */
struct SystemdJob {
        char *job;              /* the object path we wait for; NULL until the reply */
        char *result;
        char *unit;
        const char *what;       /* "start unit", for messages */
        sd_bus_slot *slot;
};

SystemdJob *systemd_job_free(SystemdJob *j) {
        if (!j)
                return NULL;
        free(j->job);
        free(j->result);
        free(j->unit);
        sd_bus_slot_unref(j->slot);
        free(j);
        return NULL;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdJob *j = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (j->job && streq(j->job, path) && !j->result)
                j->result = strdup(result);
        return 0;
}

/* Have systemd's signal member of path delivered to fn: on the private
 * socket systemd sends every signal to every peer and there is no sender
 * name; on the bus, ask it to send them. */
static int subscribe(sd_bus *bus, sd_bus_slot **ret_slot, const char *path, const char *interface,
                     const char *member, sd_bus_message_handler_t fn, void *userdata) {
        int r;

        r = sd_bus_match_signal(bus, ret_slot, sd_bus_is_bus_client(bus) ? SYSTEMD_DEST : NULL,
                                path, interface, member, fn, userdata);
        if (r < 0)
                return error_set(r, "systemd: subscribe to %s: %m", member);
        if (sd_bus_is_bus_client(bus)) {
                r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Subscribe", NULL, NULL, NULL);
                if (r < 0)
                        return error_set(r, "systemd: Subscribe: %m");
        }
        return 0;
}

static int job_prepare(sd_bus *bus, const char *what, const char *unit, SystemdJob **ret) {
        _cleanup_(systemd_job_freep) SystemdJob *j = calloc(1, sizeof *j);
        int r;

        if (!j || !(j->unit = strdup(unit)))
                return -ENOMEM;
        j->what = what;
        r = subscribe(bus, &j->slot, SYSTEMD_PATH, MANAGER_IFACE, "JobRemoved", on_job_removed, j);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

static int job_read_reply(SystemdJob *j, sd_bus_message *reply) {
        const char *path;
        int r;

        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return error_set(r, "systemd: %s %s: bad reply: %m", j->what, j->unit);
        j->job = strdup(path);
        return j->job ? 0 : -ENOMEM;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

int systemd_job_wait(sd_bus *bus, SystemdJob *j, int fd) {
        uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
        int r;

        while (!j->result) {
                struct pollfd p[2] = {
                        { .fd = sd_bus_get_fd(bus) },
                        { .fd = fd, .events = POLLIN },
                };
                uint64_t now, timeout, bus_timeout;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return error_set(r, "systemd: %s %s: waiting for job %s: %m", j->what, j->unit, j->job);
                if (r > 0)
                        continue;
                now = now_usec();
                if (now >= deadline)
                        return error_set(-ETIMEDOUT, "systemd: %s %s: job %s did not finish in %llu s",
                                         j->what, j->unit, j->job, JOB_TIMEOUT_USEC / 1000000ULL);
                r = sd_bus_get_events(bus);
                if (r < 0)
                        return error_set(r, "systemd: %s %s: waiting for job %s: %m", j->what, j->unit, j->job);
                p[0].events = (short) r;
                timeout = deadline - now;
                if (sd_bus_get_timeout(bus, &bus_timeout) >= 0 && bus_timeout != UINT64_MAX)
                        timeout = MIN(timeout, bus_timeout > now ? bus_timeout - now : 0);
                if (RETRY_EINTR(poll(p, fd >= 0 ? 2 : 1, (int) ((timeout + 999) / 1000))) < 0)
                        return error_set(-errno, "systemd: %s %s: waiting for job %s: %m", j->what, j->unit, j->job);
                if (p[1].revents)
                        return 1;
        }
        if (!streq(j->result, "done"))
                return error_set(-EIO, "systemd: %s %s: job %s", j->what, j->unit, j->result);
        return 0;
}

int systemd_property_open(sd_bus_message *m, const char *name, const char *contents) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", name);
        if (r < 0)
                return r;
        return sd_bus_message_open_container(m, 'v', contents);
}

int systemd_property_close(sd_bus_message *m) {
        int r = sd_bus_message_close_container(m);

        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int property_pids(sd_bus_message *m, const pid_t *pids, size_t n) {
        int r;

        r = systemd_property_open(m, "PIDs", "au");
        /* pid_t is the u of D-Bus's au: 32 bits */
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'u', pids, n * sizeof *pids);
        return r < 0 ? r : systemd_property_close(m);
}

/* ExecStart=argv (its path argv[0]), failure not ignored. */
static int property_exec_start(sd_bus_message *m, char **argv) {
        int r;

        r = systemd_property_open(m, "ExecStart", "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", 0);
        for (int i = 0; r >= 0 && i < 2; i++)
                r = sd_bus_message_close_container(m);
        return r < 0 ? r : systemd_property_close(m);
}

static int append_unit_properties(sd_bus_message *m, const UnitSpec *u) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)",
                                  "Description", "s", u->description,
                                  "Slice", "s", u->slice,
                                  /* the container may manage its own sub-cgroups */
                                  "Delegate", "b", 1,
                                  /* as runc and crun: the container's life is runsd's to decide */
                                  "DefaultDependencies", "b", 0);
        if (r < 0)
                return r;
        if (u->exec_start) {
                /* The start job ends once the process systemd started has
                 * exited (and been reaped: nothing of it is left in the
                 * cgroup to keep a later stop waiting on cgroup v1, which
                 * tells systemd of no empty cgroup); the main process is
                 * then the one pid_file names.  The unit stays after that
                 * exits, holding its exit status for `runsd state`. */
                r = sd_bus_message_append(m, "(sv)(sv)(sv)",
                                          "Type", "s", "forking",
                                          "PIDFile", "s", u->pid_file,
                                          "RemainAfterExit", "b", 1);
                if (r >= 0)
                        r = property_exec_start(m, u->exec_start);
        } else
                r = property_pids(m, u->pids, u->n_pids);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)",
                                  "MemoryAccounting", "b", 1,
                                  "CPUAccounting", "b", 1,
                                  "IOAccounting", "b", 1,
                                  "TasksAccounting", "b", 1);
        if (r < 0)
                return r;
        if (u->properties) {
                r = u->properties(m, u->userdata);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int start_transient_unit(sd_bus *bus, const UnitSpec *u, sd_bus_message **reply, sd_bus_error *e) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", u->name, "fail");
        if (r < 0)
                return r;
        r = append_unit_properties(m, u);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 0, e, reply);
}

int systemd_start_unit(sd_bus *bus, const UnitSpec *u, SystemdJob **ret_job) {
        _cleanup_(systemd_job_freep) SystemdJob *j = NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = job_prepare(bus, "start unit", u->name, &j);
        if (r < 0)
                return r;
        r = start_transient_unit(bus, u, &reply, &e);
        if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists")) {
                /* A failed unit of that name from an earlier container may
                 * linger; an active one is somebody else's. */
                log_debug("unit %s exists; resetting it and trying once more", u->name);
                sd_bus_error_free(&e);
                (void) sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit",
                                          NULL, NULL, "s", u->name);
                r = start_transient_unit(bus, u, &reply, &e);
        }
        if (r < 0)
                return bus_error(r, &e, "start unit", u->name);
        r = job_read_reply(j, reply);
        if (r < 0)
                return r;
        *ret_job = TAKE_PTR(j);
        return 0;
}

int systemd_set_unit_properties(sd_bus *bus, const char *unit, PropertiesFn properties, void *userdata) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "SetUnitProperties");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "sb", unit, 1);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = properties(m, userdata);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 0, &e, NULL);
        if (r < 0)
                return bus_error(r, &e, "set properties of", unit);
        return 0;
}

int systemd_unit_property(sd_bus *bus, const char *unit, const char *property, char **ret) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        /* Asking the unit's object path directly loads it on demand, so an
         * unknown unit answers too ("inactive", ""): one round trip, not
         * GetUnit + Get. */
        r = unit_path(unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, SYSTEMD_DEST, path, "org.freedesktop.systemd1.Unit", property, &e, ret);
        if (r < 0) {
                char what[128];

                snprintf(what, sizeof what, "read %s of", property);
                return bus_error(r, &e, what, unit);
        }
        return 0;
}

static bool unit_gone(const sd_bus_error *e) {
        return sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
               sd_bus_error_has_name(e, "org.freedesktop.systemd1.LoadFailed");
}

int systemd_kill_unit(sd_bus *bus, const char *unit, int sig) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "KillUnit", &e, NULL,
                               "ssi", unit, "all", sig);
        if (r < 0)
                return unit_gone(&e) ? -ESRCH : bus_error(r, &e, "kill unit", unit);
        return 0;
}

int systemd_stop_unit(sd_bus *bus, const char *unit) {
        _cleanup_(systemd_job_freep) SystemdJob *j = NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = job_prepare(bus, "stop unit", unit, &j);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "StopUnit", &e, &reply,
                               "ss", unit, "replace");
        if (r < 0 && !unit_gone(&e))
                return bus_error(r, &e, "stop unit", unit);
        if (r >= 0) {
                r = job_read_reply(j, reply);
                if (r >= 0)
                        r = systemd_job_wait(bus, j, -1);
                if (r < 0)
                        return r;
        }
        sd_bus_error_free(&e);
        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit", &e, NULL, "s", unit);
        if (r < 0 && !unit_gone(&e))
                return bus_error(r, &e, "reset unit", unit);
        return 0;
}

int systemd_service_exit(sd_bus *bus, const char *unit, int *ret_code, int *ret_status) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int32_t code, status;
        int r;

        r = unit_path(unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(bus, SYSTEMD_DEST, path, SERVICE_IFACE, "ExecMainCode", &e, 'i', &code);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, SYSTEMD_DEST, path, SERVICE_IFACE, "ExecMainStatus", &e, 'i', &status);
        if (r < 0)
                return bus_error(r, &e, "read the exit status of", unit);
        /* An unknown unit answers too, with zeros. */
        if (code == 0)
                return -ENODATA;
        *ret_code = code;
        *ret_status = status;
        return 0;
}

int systemd_service_wait_exit(sd_bus *bus, const char *unit, int *ret_code, int *ret_status) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ char *path = NULL;
        uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
        int r;

        r = unit_path(unit, &path);
        if (r < 0)
                return r;
        /* Subscribed first, so a change between reading and waiting wakes us. */
        r = subscribe(bus, &slot, path, "org.freedesktop.DBus.Properties", "PropertiesChanged", NULL, NULL);
        if (r < 0)
                return r;
        for (;;) {
                uint64_t now;

                r = systemd_service_exit(bus, unit, ret_code, ret_status);
                if (r != -ENODATA)
                        return r;
                do
                        r = sd_bus_process(bus, NULL);
                while (r > 0);
                if (r < 0)
                        return error_set(r, "systemd: wait for %s to record its exit: %m", unit);
                now = now_usec();
                if (now >= deadline)
                        return error_set(-ETIMEDOUT, "systemd: %s recorded no exit of its main process", unit);
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        return error_set(r, "systemd: wait for %s to record its exit: %m", unit);
        }
}

int systemd_freeze_unit(sd_bus *bus, const char *unit, bool freeze) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, freeze ? "FreezeUnit" : "ThawUnit",
                               &e, NULL, "s", unit);
        if (r >= 0)
                return 0;
        if (sd_bus_error_has_name(&e, SD_BUS_ERROR_NOT_SUPPORTED))
                return -EOPNOTSUPP;
        return bus_error(r, &e, freeze ? "freeze unit" : "thaw unit", unit);
}

static int cmp_pid(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

        return (x > y) - (x < y);
}

int systemd_unit_pids(sd_bus *bus, const char *unit, pid_t **ret, size_t *ret_n) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        const char *cgroup, *cmdline;
        size_t n = 0, size = 0;
        uint32_t pid;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "GetUnitProcesses", &e, &reply,
                               "s", unit);
        if (r < 0)
                return unit_gone(&e) ? -ESRCH : bus_error(r, &e, "list the processes of", unit);
        r = sd_bus_message_enter_container(reply, 'a', "(sus)");
        if (r < 0)
                return error_set(r, "systemd: list the processes of %s: bad reply: %m", unit);
        while ((r = sd_bus_message_read(reply, "(sus)", &cgroup, &pid, &cmdline)) > 0) {
                if (n == size) {
                        pid_t *p = reallocarray(pids, size = size ? 2 * size : 16, sizeof *pids);

                        if (!p)
                                return -ENOMEM;
                        pids = p;
                }
                pids[n++] = (pid_t) pid;
        }
        if (r < 0)
                return error_set(r, "systemd: list the processes of %s: bad reply: %m", unit);
        if (n > 0)
                qsort(pids, n, sizeof *pids, cmp_pid);
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

void systemd_notify_ready(void) {
        (void) sd_notify(0, "READY=1");
}
