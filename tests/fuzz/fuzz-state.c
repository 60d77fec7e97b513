/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for state_parse(): any bytes as <root>/<id>/state.json.
 * What it accepts is written back as state_save() writes it
 * (state_to_json(..., true), compact); that text must parse again and
 * serialize to the same text, else abort(). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s as the state file's text; free() it. */
static char *dump(const ContainerState *s) {
        json_t *o = state_to_json(s, s->status, true);
        char *text;

        if (!o) {
                fprintf(stderr, "state_to_json() failed on a state state_parse() accepted\n");
                abort();
        }
        text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                abort();
        return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ContainerState *s = NULL, *t = NULL;
        char *first, *second;
        int r;

        error_clear();
        r = state_parse((const char *) data, size, &s);
        if (r < 0) {
                if (s)
                        abort();
                error_clear();
                return 0;
        }
        if (r != 0 || !s)
                abort();

        first = dump(s);
        r = state_parse(first, strlen(first), &t);
        if (r < 0) {
                fprintf(stderr, "state_parse() refused its own output (%d): %s\n", r, first);
                abort();
        }
        second = dump(t);
        if (!streq(first, second)) {
                fprintf(stderr, "round trip not stable:\n  first:  %s\n  second: %s\n", first, second);
                abort();
        }

        free(first);
        free(second);
        container_state_free(s);
        container_state_free(t);
        error_clear();
        return 0;
}
