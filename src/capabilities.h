/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* Drop from the bounding set everything the config does not list; must run
 * while we still hold CAP_SETPCAP, before the user switch. */
int capabilities_drop_bounding(const SpecCapabilities *c);
/* Set effective, permitted, inheritable and ambient, after the user switch. */
int capabilities_apply(const SpecCapabilities *c);
