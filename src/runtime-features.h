/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>

/* (Not features.h: that is glibc's.)  What runsd is and what it takes: `runsd features` and `runsd --version`. */

/* The runtime-spec "features document" (features.md, features-linux.md):
 * every list read from the table the config parser uses, every "enabled"
 * true only for what runsd applies.  A new reference, or NULL. */
json_t *features_json(void);

/* runc's --version text, which containerd's shim and podman read:
 * "runsd version X\ncommit: C\nspec: S\nlibseccomp: L\n". */
char *features_version_text(void);
