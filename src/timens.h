/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "spec.h"

/* A new time namespace (linux.namespaces type time) for the init: the
 * kernel takes its clock offsets only until a first process is in it, and
 * a process clone3()d with CLONE_NEWTIME is in it at once.  So runsd itself
 * unshares one for its children (its own clocks stay), writes
 * linux.timeOffsets to /proc/self/timens_offsets, clones the init into it,
 * and then goes back: timens_prepare() before the clone, timens_restore()
 * after.  *ret_own is -1 when there is nothing to undo. */
int timens_prepare(const Spec *s, int *ret_own);
int timens_restore(int own);
