/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "macro.h"
#include "unit-name.h"

/* systemd's UNIT_NAME_MAX: a unit name is shorter than this */
#define UNIT_NAME_MAX 256

static bool unit_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(":_.-", c);
}

static bool unit_part_ok(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!unit_char_ok(s[i]))
                        return false;
        return true;
}

/* Split "a:b:c" into its three parts; false if it is not of that form. */
static bool split_triple(const char *s, const char *part[3], size_t len[3]) {
        const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

        if (!c1 || !c2 || strchr(c2 + 1, ':'))
                return false;
        part[0] = s, len[0] = c1 - s;
        part[1] = c1 + 1, len[1] = c2 - c1 - 1;
        part[2] = c2 + 1, len[2] = strlen(c2 + 1);
        return true;
}

int cgroups_path_validate(const char *cgroups_path, const char **reason) {
        const char *part[3];
        size_t len[3];

        if (!cgroups_path || !split_triple(cgroups_path, part, len))
                return 0;
        if (len[0] > 0 && (len[0] < 7 || len[0] >= UNIT_NAME_MAX || strncmp(part[0] + len[0] - 6, ".slice", 6) != 0 || !unit_part_ok(part[0], len[0]))) {
                *reason = "the slice must be a slice unit name, such as machine.slice";
                return -EINVAL;
        }
        if (len[1] == 0 || len[2] == 0 || !unit_part_ok(part[1], len[1]) || !unit_part_ok(part[2], len[2])) {
                *reason = "PREFIX and NAME in SLICE:PREFIX:NAME must be non-empty and hold only letters, digits and \":_.-\"";
                return -EINVAL;
        }
        if (len[2] > 6 && strncmp(part[2] + len[2] - 6, ".slice", 6) == 0) {
                *reason = "a NAME ending in .slice (a slice per container) is not supported yet";
                return -EOPNOTSUPP;
        }
        if (len[1] + len[2] + strlen("-.scope") >= UNIT_NAME_MAX) {
                *reason = "the unit name PREFIX-NAME.scope would be too long";
                return -EINVAL;
        }
        return 0;
}

int container_unit_name(const char *id, const char *cgroups_path, bool service, char **ret_unit, char **ret_slice) {
        const char *suffix = service ? ".service" : ".scope";
        _cleanup_free_ char *unit = NULL, *slice = NULL;
        const char *part[3];
        size_t len[3];

        if (cgroups_path && split_triple(cgroups_path, part, len)) {
                if (asprintf(&unit, "%.*s-%.*s%s", (int) len[1], part[1], (int) len[2], part[2], suffix) < 0)
                        return -ENOMEM;
                slice = len[0] > 0 ? strndup(part[0], len[0]) : strdup("system.slice");
        } else {
                /* IDs may hold "+", which unit names may not: escape it as systemd does. */
                size_t n = 0;

                unit = malloc(strlen("runsd-") + 4 * strlen(id) + strlen(suffix) + 1);
                if (!unit)
                        return -ENOMEM;
                n += sprintf(unit, "runsd-");
                for (const char *c = id; *c; c++)
                        n += unit_char_ok(*c) ? sprintf(unit + n, "%c", *c) : sprintf(unit + n, "\\x%02x", (unsigned char) *c);
                strcpy(unit + n, suffix);
                slice = strdup(RUNSD_SLICE);
        }
        if (!slice)
                return -ENOMEM;
        if (strlen(unit) >= UNIT_NAME_MAX)
                return error_set(-ENAMETOOLONG, "container ID %s makes the unit name %s longer than systemd allows", id, unit);
        *ret_unit = TAKE_PTR(unit);
        *ret_slice = TAKE_PTR(slice);
        return 0;
}

bool unit_is_service(const char *unit) {
        size_t n = strlen(unit);

        return n > strlen(".service") && streq(unit + n - strlen(".service"), ".service");
}
