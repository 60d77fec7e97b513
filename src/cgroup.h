/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* What runsd does on cgroupfs itself: systemd does the rest. */

/* cgroup v2 alone, mounted at /sys/fs/cgroup. */
bool cgroup_is_unified(void);

typedef struct CgroupHierarchy {
        const char *mountpoint; /* /sys/fs/cgroup/NAME */
        const char *name;       /* NAME */
        bool v2;
        const char *controllers;/* "cpu", "cpu,cpuacct", "name=systemd"; "" for v2 */
} CgroupHierarchy;

/* Call fn for each hierarchy mounted at /sys/fs/cgroup/NAME (a v1 or hybrid
 * layout), once each: one mounted twice, as when systemd stacks its own
 * /sys/fs/cgroup over an existing one, is listed once.  fn != 0 stops, and is returned. */
typedef int (*CgroupHierarchyFn)(const CgroupHierarchy *h, void *userdata);
int cgroup_hierarchies_foreach(CgroupHierarchyFn fn, void *userdata);

/* The cgroup of pid (0: ourselves) in the hierarchy with these controllers
 * ("" for v2), from /proc/PID/cgroup; -ENOENT if it has none there. */
int cgroup_path_of(pid_t pid, const char *controllers, char **ret);

/* On cgroup v1 systemd moves a scope's processes only in the hierarchies it
 * manages (not cpuset, cpuacct, blkio or freezer on systemd 252); move pid
 * into its unit's cgroup, the one it has in name=systemd, in all the
 * others too, as crun and runc do.  *ret_path is that cgroup (its path in
 * every hierarchy). */
int cgroup_follow_unit(pid_t pid, char **ret_path);
/* Remove path from the hierarchies systemd does not manage (what
 * cgroup_follow_unit() made); it must be empty. */
void cgroup_remove(const char *path);

/* The directory of the cgroup at path (as systemd names it: "/runsd.slice/
 * runsd-ID.scope") where controller's files are: on a unified layout the
 * one cgroup2 directory, else the v1 hierarchy that has controller.
 * -ENOENT (no message) if no mounted hierarchy has it. */
int cgroup_dir(const char *controller, const char *path, char **ret);
/* The file of a cgroup in the hierarchy of controller ("memory": on v1 its
 * own hierarchy, on v2 the one); -ENOENT if no hierarchy has it. */
int cgroup_attribute_path(const char *cgroup, const char *controller, const char *file, char **ret);
/* Write value into that file, with an error naming it. */
int cgroup_write_attribute(const char *cgroup, const char *controller, const char *file, const char *value);
/* Freeze or thaw the cgroup at path with the v1 freezer (freezer.state), and
 * wait until the kernel says the cgroup has reached that state. */
int cgroup_v1_freeze(const char *path, bool freeze);
/* Move the calling process into the cgroups of target, in every mounted
 * hierarchy (what /proc/TARGET/cgroup says): `runsd exec` joins the
 * container's init where it is. */
int cgroup_join_cgroups_of(pid_t target);
