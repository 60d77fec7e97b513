/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

/* Join every namespace config.json gives by path but pid (runsd joins that
 * one before the clone: it applies to children), the user namespace first:
 * the others are then joined with its capabilities. */
int namespaces_join(const Spec *s);

/* Whether the init must be cloned by namespaces_clone_joined(): when a user
 * namespace is joined, or a new one is made while other namespaces are
 * joined.  Those joins must come before the clone that makes the new
 * namespaces, so that the container's user namespace owns them (else its
 * root has no capabilities over its own mount or network namespace), and a
 * joined namespace of the host's can only be entered from the host's user
 * namespace. */
bool namespaces_join_before_clone(const Spec *s);

/* Clone the init with clone3 flags from a short-lived helper that has
 * joined the namespaces first; with CLONE_PARENT the init is still our
 * child.  Returns its pid (0 in the init), its pidfd in *ret_pidfd. */
pid_t namespaces_clone_joined(const Spec *s, uint64_t flags, int *ret_pidfd);
