/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Bring "lo" up in a new network namespace, as runc and crun do. */
int loopback_up(void);
