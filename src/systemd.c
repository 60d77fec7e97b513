/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "macro.h"
#include "systemd.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
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
typedef struct JobWait {
        char *job;              /* the object path we wait for; NULL until the reply */
        char *result;
        sd_bus_slot *slot;
} JobWait;

static void job_wait_done(JobWait *w) {
        free(w->job);
        free(w->result);
        sd_bus_slot_unrefp(&w->slot);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->job && streq(w->job, path) && !w->result)
                w->result = strdup(result);
        return 0;
}

static int job_wait_prepare(sd_bus *bus, JobWait *w) {
        int r;

        *w = (JobWait) {};
        /* On the private socket systemd sends every signal to every peer
         * and there is no sender name; on the bus, ask it to send them. */
        r = sd_bus_match_signal(bus, &w->slot, sd_bus_is_bus_client(bus) ? SYSTEMD_DEST : NULL,
                                SYSTEMD_PATH, MANAGER_IFACE, "JobRemoved", on_job_removed, w);
        if (r < 0)
                return error_set(r, "systemd: subscribe to JobRemoved: %m");
        if (sd_bus_is_bus_client(bus)) {
                r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Subscribe", NULL, NULL, NULL);
                if (r < 0)
                        return error_set(r, "systemd: Subscribe: %m");
        }
        return 0;
}

static int job_wait_run(sd_bus *bus, JobWait *w, sd_bus_message *reply, const char *what, const char *unit) {
        struct timespec ts;
        uint64_t deadline;
        const char *path;
        int r;

        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return error_set(r, "systemd: %s %s: bad reply: %m", what, unit);
        w->job = strdup(path);
        if (!w->job)
                return -ENOMEM;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        deadline = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000 + JOB_TIMEOUT_USEC;
        while (!w->result) {
                uint64_t now;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return error_set(r, "systemd: %s %s: waiting for job %s: %m", what, unit, w->job);
                if (r > 0)
                        continue;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                now = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
                if (now >= deadline)
                        return error_set(-ETIMEDOUT, "systemd: %s %s: job %s did not finish in %llu s",
                                         what, unit, w->job, JOB_TIMEOUT_USEC / 1000000ULL);
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        return error_set(r, "systemd: %s %s: waiting for job %s: %m", what, unit, w->job);
        }
        if (!streq(w->result, "done"))
                return error_set(-EIO, "systemd: %s %s: job %s", what, unit, w->result);
        return 0;
}

static int append_scope_properties(sd_bus_message *m, const UnitSpec *u, pid_t pid) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)",
                                  "Description", "s", u->description,
                                  "Slice", "s", u->slice,
                                  "PIDs", "au", 1, (uint32_t) pid,
                                  /* the container may manage its own sub-cgroups */
                                  "Delegate", "b", 1,
                                  /* as runc and crun: the container's life is runsd's to decide */
                                  "DefaultDependencies", "b", 0);
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

static int start_transient_unit(sd_bus *bus, const UnitSpec *u, pid_t pid, sd_bus_message **reply, sd_bus_error *e) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", u->name, "fail");
        if (r < 0)
                return r;
        r = append_scope_properties(m, u, pid);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 0, e, reply);
}

int systemd_start_scope(sd_bus *bus, const UnitSpec *u, pid_t pid) {
        _cleanup_(job_wait_done) JobWait w = {};
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = job_wait_prepare(bus, &w);
        if (r < 0)
                return r;
        r = start_transient_unit(bus, u, pid, &reply, &e);
        if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists")) {
                /* A failed unit of that name from an earlier container may
                 * linger; an active one is somebody else's. */
                log_debug("unit %s exists; resetting it and trying once more", u->name);
                sd_bus_error_free(&e);
                (void) sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit",
                                          NULL, NULL, "s", u->name);
                r = start_transient_unit(bus, u, pid, &reply, &e);
        }
        if (r < 0)
                return bus_error(r, &e, "start unit", u->name);
        return job_wait_run(bus, &w, reply, "start unit", u->name);
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
        r = sd_bus_path_encode(SYSTEMD_PATH "/unit", unit, &path);
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
        _cleanup_(job_wait_done) JobWait w = {};
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = job_wait_prepare(bus, &w);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "StopUnit", &e, &reply,
                               "ss", unit, "replace");
        if (r < 0 && !unit_gone(&e))
                return bus_error(r, &e, "stop unit", unit);
        if (r >= 0) {
                r = job_wait_run(bus, &w, reply, "stop unit", unit);
                if (r < 0)
                        return r;
        }
        sd_bus_error_free(&e);
        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit", &e, NULL, "s", unit);
        if (r < 0 && !unit_gone(&e))
                return bus_error(r, &e, "reset unit", unit);
        return 0;
}
