/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for spec_parse(): any bytes as config.json.  It must
 * return 0 with a Spec or a negative errno with an error message, and
 * leak nothing either way (ASan's leak checker runs after each input).
 *
 * Its warnings (unknown capabilities) go to stderr through log.c; scripts/fuzz
 * runs it with -close_fd_mask=2 so they do not drown libFuzzer's output. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Spec *s = NULL;
        int r;

        error_clear();
        r = spec_parse((const char *) data, size, "config.json", "/bundle", &s);
        if (r < 0) {
                /* Failure: no Spec, and (README: "every validation error
                 * names the file") a message naming config.json. */
                if (s || (r != -ENOMEM && !strstr(error_message(r), "config.json")))
                        abort();
        } else if (r != 0 || !s)
                abort();
        spec_free(s);
        error_clear();
        return 0;
}
