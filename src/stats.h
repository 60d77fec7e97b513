/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* What the kernel counts for a container's cgroup, read from its cgroup
 * files (cgroup v1: each controller's hierarchy; v2: the one directory),
 * in the shape of runc's `events` (its types.Stats).  A value is set only
 * where the layout has it: nothing is made up. */

typedef struct StatsValue {
        uint64_t value;
        bool set;
} StatsValue;

typedef struct StatsArray {
        uint64_t *values;
        size_t n;
        bool set;
} StatsArray;

typedef struct MemoryEntry {
        StatsValue limit, usage, max, failcnt;
} MemoryEntry;

typedef struct BlkioEntry {
        unsigned major, minor;
        char op[16];
        uint64_t value;
} BlkioEntry;

typedef struct BlkioList {
        BlkioEntry *entries;
        size_t n;
        bool set;
} BlkioList;

typedef struct RawStat {
        char key[64];
        uint64_t value;
} RawStat;

typedef struct CgroupStats {
        struct {
                StatsValue total, kernel, user;         /* ns */
                StatsArray percpu, percpu_kernel, percpu_user;
                StatsValue periods, throttled_periods, throttled_time;
        } cpu;
        struct {
                StatsValue cache;
                MemoryEntry usage, swap;        /* swap: memory+swap, as v1 counts it */
                RawStat *raw;                   /* memory.stat */
                size_t n_raw;
        } memory;
        struct {
                StatsValue current, limit;
        } pids;
        struct {
                BlkioList service_bytes, serviced;
        } blkio;
} CgroupStats;

void cgroup_stats_done(CgroupStats *s);
/* Read the stats of the cgroup at path (as systemd names it).  -ENOENT
 * with a message if the cgroup is in no hierarchy (it is gone). */
int cgroup_stats_read(const char *path, CgroupStats *ret);
/* As runc prints it in an event's "data"; what is not set is left out. */
json_t *cgroup_stats_to_json(const CgroupStats *s);

/* Watching a cgroup for OOM kills: on v2 the rise of memory.events'
 * oom_kill (fd: an inotify watch on the file, which the kernel marks
 * modified), on v1 the notifications of an eventfd registered for
 * memory.oom_control (fd: that eventfd; the kernel signals it as the OOM
 * killer sets out).  fd is -1 where the layout has no memory controller. */
typedef struct OomWatch {
        int fd;
        int control_fd;         /* v1: memory.oom_control, held while registered */
        char *dir;              /* the cgroup's directory of the memory controller */
        uint64_t kills;         /* v2: oom_kill when last read */
} OomWatch;

#define OOM_WATCH_NULL ((OomWatch) { .fd = -1, .control_fd = -1 })

int oom_watch_open(const char *path, OomWatch *ret);
/* Whether an OOM kill happened since the last call (or the open); never
 * blocks, so call it whenever, not only once fd is readable. */
bool oom_watch_read(OomWatch *w);
void oom_watch_close(OomWatch *w);
