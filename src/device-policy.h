/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

/* linux.resources.devices as systemd enforces it: DevicePolicy=strict and
 * an allow list of DeviceAllow= entries (systemd writes devices.allow on
 * cgroup v1 and attaches a BPF program on v2). */

typedef struct DeviceAllow {
        char path[96];          /* "/dev/char/1:3", "char-pts", "block-*" */
        char access[4];         /* "rwm" or a part of it */
} DeviceAllow;

/* Always DevicePolicy=strict: allowing every device is "char-*" and
 * "block-*" (see device_policy_from_rules()). */
typedef struct DevicePolicy {
        DeviceAllow *allow;
        size_t n_allow;
} DevicePolicy;

/* Apply rules in order, from a deny of all devices (as runc and crun), and
 * express the result in systemd's terms.  proc_devices is the text of
 * /proc/devices, for the names systemd takes for a whole major.  What
 * systemd cannot express is refused when it would grant more than the
 * rules (a deny list, a deny inside a wider allow) and left out, with a
 * warning if warn, when it grants less (an allow of one minor of every
 * major, or of a major /proc/devices has no unique name for).  where
 * prefixes messages: "<path>: linux.resources.". */
int device_policy_from_rules(const SpecDeviceRule *rules, size_t n, const char *proc_devices,
                             const char *where, bool warn, DevicePolicy *ret);
void device_policy_done(DevicePolicy *p);
