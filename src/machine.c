/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "machine.h"
#include "macro.h"

#define MACHINED_DEST "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"
/* Made by machined when it starts; it stays when machined exits idle, and
 * the bus starts machined again for the next call. */
#define MACHINED_STATE_DIR "/run/systemd/machines"
/* HOST_NAME_MAX on Linux */
#define MACHINE_NAME_MAX 64
#define STRINGIFY(x) #x
#define XSTRINGIFY(x) STRINGIFY(x)

#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

static bool ascii_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool machine_name_is_valid(const char *name) {
        char prev = '.';        /* as if a label had just ended */
        size_t n = 0;

        if (!name)
                return false;
        for (const char *c = name; *c; c++, n++) {
                if (*c == '.' && (prev == '.' || prev == '-'))
                        return false;   /* an empty label, or one ending with "-" */
                if (*c == '-' && prev == '.')
                        return false;   /* a label beginning with "-" */
                if (*c != '.' && *c != '-' && !ascii_alnum(*c))
                        return false;
                prev = *c;
        }
        return n > 0 && n <= MACHINE_NAME_MAX && prev != '.' && prev != '-';
}

int machine_wanted(const Spec *spec, bool no_machine) {
        const char *value = spec_annotation(spec, MACHINE_ANNOTATION);

        /* Checked even with --no-machine: bad input is an error wherever it is. */
        if (value && !streq(value, "true") && !streq(value, "false") && !streq(value, "1") && !streq(value, "0"))
                return error_set(-EINVAL, "%s: annotations." MACHINE_ANNOTATION ": must be true, false, 1 or 0, not \"%s\"",
                                 spec->path, value);
        if (no_machine || (value && (streq(value, "false") || streq(value, "0")))) {
                log_debug("not registering the container with systemd-machined: %s",
                          no_machine ? "--no-machine" : "annotation " MACHINE_ANNOTATION "=false");
                return 0;
        }
        return 1;
}

static int bus_error(int r, const sd_bus_error *e, const char *what, const char *name) {
        if (sd_bus_error_is_set(e))
                return error_set(r, "systemd-machined: %s %s: %s", what, name, e->message ?: e->name);
        return error_set(r, "systemd-machined: %s %s: %m", what, name);
}

static int register_machine(sd_bus *bus, const ContainerState *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        /* A container has no machine ID of its own; machined takes zeros
         * for "none". */
        static const uint8_t no_id[16] = {};
        int r;

        /* Not CreateMachine, which would make machined start a unit of its
         * own for the init; and not RegisterMachineWithNetwork: the
         * container's network interfaces (if any) are its caller's to set
         * up, after create. */
        r = sd_bus_message_new_method_call(bus, &m, MACHINED_DEST, MACHINED_PATH, MACHINED_MANAGER, "RegisterMachine");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", s->id);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', no_id, sizeof no_id);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssus", "runsd", "container", (uint32_t) s->pid, s->rootfs);
        if (r < 0)
                return error_set(r, "systemd-machined: register machine %s: %m", s->id);
        r = sd_bus_call(bus, m, 0, &e, NULL);
        if (r < 0)
                return bus_error(r, &e, "register machine", s->id);
        return 0;
}

void machine_register(const ContainerState *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *skip = NULL;
        int r;

        /* Escaping the ID into a valid name could give two containers one
         * name, and the name would not be the ID the user knows: such a
         * container goes without. */
        if (!machine_name_is_valid(s->id))
                skip = "its ID is not a valid machine name (letters, digits, \"-\" and \".\", "
                       "at most " XSTRINGIFY(MACHINE_NAME_MAX) " characters)";
        else if (geteuid() != 0)
                skip = "only root may register machines";
        /* An access(), not a question on the bus: runsd talks to systemd on
         * its private socket, so asking would cost every create a
         * connection to the system bus, machined or not. */
        else if (access(MACHINED_STATE_DIR, F_OK) < 0)
                skip = "it is not running (no " MACHINED_STATE_DIR ")";
        if (skip) {
                log_debug("not registering container %s with systemd-machined: %s", s->id, skip);
                return;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0)
                r = error_set(r, "connect to the system bus: %m");
        else
                r = register_machine(bus, s);
        /* Not an error: the container works the same without machined,
         * which only lists it.  Failing the create would make containers
         * depend on a service runc and crun never call, and on names
         * machined shares with other managers (a systemd-nspawn machine of
         * the same name makes RegisterMachine fail). */
        if (r < 0) {
                log_warning("container %s is not registered with systemd-machined: %s", s->id, error_message(r));
                error_clear();
                return;
        }
        log_debug("container %s registered with systemd-machined", s->id);
}

static bool machine_gone(const sd_bus_error *e) {
        return sd_bus_error_has_name(e, "org.freedesktop.machine1.NoSuchMachine") ||
               sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.UnknownObject");
}

/* Whether machined's machine name holds our unit, so is ours to remove. */
static int machine_is_ours(sd_bus *bus, const ContainerState *s) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL, *unit = NULL;
        int r;

        r = sd_bus_path_encode(MACHINED_PATH "/machine", s->id, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, MACHINED_DEST, path, "org.freedesktop.machine1.Machine", "Unit", &e, &unit);
        if (r < 0)
                return machine_gone(&e) ? 0 : bus_error(r, &e, "read the unit of machine", s->id);
        return streq(unit, s->unit);
}

void machine_unregister(const ContainerState *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *class = NULL;
        int r;

        /* machined's own record of its machines, through sd-login: no bus
         * connection for a container that has none.  Only root registers. */
        if (geteuid() != 0 || !machine_name_is_valid(s->id) || sd_machine_get_class(s->id, &class) < 0)
                return;
        r = sd_bus_open_system(&bus);
        if (r < 0)
                r = error_set(r, "connect to the system bus: %m");
        else
                r = machine_is_ours(bus, s);
        if (r > 0) {
                /* Synchronous, unlike leaving it to machined to notice the
                 * unit has gone: a create of the same ID right after the
                 * delete finds the name free.  It leaves the unit alone
                 * (TerminateMachine would stop it). */
                r = sd_bus_call_method(bus, MACHINED_DEST, MACHINED_PATH, MACHINED_MANAGER, "UnregisterMachine",
                                       &e, NULL, "s", s->id);
                if (r < 0)
                        r = machine_gone(&e) ? 0 : bus_error(r, &e, "unregister machine", s->id);
                else
                        log_debug("container %s unregistered from systemd-machined", s->id);
        }
        /* Not an error either: machined drops the machine by itself once
         * the unit has gone. */
        if (r < 0) {
                log_warning("container %s: %s", s->id, error_message(r));
                error_clear();
        }
}
