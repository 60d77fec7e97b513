/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

/* Write the uid and gid maps of the new user namespace the init pid was
 * cloned into (runsd's half: only a process outside it may). */
int userns_write_maps(pid_t pid, const Spec *s);

/* A new user namespace with these maps, its fd (for an idmapped mount);
 * errors name them as base.uidMappings and base.gidMappings. */
int userns_open_mapped(const SpecIdMap *uid, size_t n_uid, const SpecIdMap *gid, size_t n_gid, const char *base);

/* In the init, once its maps are written: become root of the user
 * namespace, which the setup needs (creating files, mounting). */
int userns_become_root(void);

/* Whether setgroups(2) may be called in our user namespace: a namespace
 * made by an unprivileged user has "deny" in /proc/self/setgroups. */
bool userns_setgroups_allowed(void);
