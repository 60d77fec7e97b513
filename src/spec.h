/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "macro.h"

/* config.json, parsed once and validated here; nothing past spec.c reads JSON. */

typedef enum NamespaceType {
        NS_PID,
        NS_NETWORK,
        NS_MOUNT,
        NS_IPC,
        NS_UTS,
        NS_CGROUP,
        NS_USER,
        NS_TIME,
        _NS_MAX,
} NamespaceType;

typedef struct SpecNamespace {
        bool enabled;
        char *path;           /* join this one instead of making a new one */
} SpecNamespace;

typedef struct SpecMount {
        char *destination;    /* absolute, inside the rootfs */
        char *type;           /* NULL for a bind mount */
        char *source;         /* for a bind mount: absolute, on the host */
        unsigned long flags;        /* MS_* to set, as the kernel takes them */
        unsigned long propagation;  /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE [|MS_REC] */
        bool bind, recursive, readonly;
        char *data;           /* the options that are not flags, comma-joined */
} SpecMount;

typedef struct SpecRlimit {
        int resource;
        uint64_t soft, hard;
} SpecRlimit;

typedef struct SpecCapabilities {
        uint64_t bounding, effective, permitted, inheritable, ambient;
} SpecCapabilities;

typedef struct SpecProcess {
        char **args;
        char **env;
        char *cwd;
        uid_t uid;
        gid_t gid;
        gid_t *additional_gids;
        size_t n_additional_gids;
        bool has_umask;
        mode_t umask;
        bool has_capabilities;
        SpecCapabilities capabilities;
        SpecRlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
} SpecProcess;

/* An optional number: set says whether the config gave it. */
typedef struct OptU64 {
        bool set;
        uint64_t value;
} OptU64;

typedef struct OptI64 {
        bool set;
        int64_t value;
} OptI64;

typedef struct SpecDeviceWeight {
        uint32_t major, minor;
        uint16_t weight;
} SpecDeviceWeight;

typedef struct SpecDeviceRate {
        uint32_t major, minor;
        uint64_t rate;
} SpecDeviceRate;

typedef enum Throttle {
        THROTTLE_READ_BPS,
        THROTTLE_WRITE_BPS,
        THROTTLE_READ_IOPS,
        THROTTLE_WRITE_IOPS,
        _THROTTLE_MAX,
} Throttle;

typedef struct SpecHugepageLimit {
        char *page_size;        /* "2MB", "1GB": as in the hugetlb file names */
        uint64_t limit;
} SpecHugepageLimit;

typedef struct SpecNetPriority {
        char *name;
        uint32_t priority;
} SpecNetPriority;

typedef struct SpecDeviceRule {
        bool allow;
        char type;              /* 'a', 'c' or 'b' */
        int64_t major, minor;   /* -1: any */
        char access[4];         /* a subset of "rwm" */
} SpecDeviceRule;

/* linux.resources.  Limits are as the spec has them (-1: unlimited); what
 * they become in systemd and the kernel is resources.c's business. */
typedef struct SpecResources {
        struct {
                OptI64 limit, reservation, swap, kernel, kernel_tcp;
                OptU64 swappiness;
                bool disable_oom_killer, use_hierarchy, check_before_update;
        } memory;
        struct {
                OptU64 shares, period, realtime_period, burst;
                OptI64 quota, realtime_runtime, idle;
                char *cpus, *mems;
        } cpu;
        OptI64 pids_limit;
        struct {
                OptU64 weight;
                SpecDeviceWeight *weight_device;
                size_t n_weight_device;
                SpecDeviceRate *throttle[_THROTTLE_MAX];
                size_t n_throttle[_THROTTLE_MAX];
        } block_io;
        SpecHugepageLimit *hugepage_limits;
        size_t n_hugepage_limits;
        struct {
                OptU64 class_id;
                SpecNetPriority *priorities;
                size_t n_priorities;
        } network;
        char **unified;         /* file, value, file, value, ..., NULL */
        SpecDeviceRule *devices;
        size_t n_devices;
} SpecResources;

/* An annotation org.systemd.property.NAME: a unit property, typed as
 * D-Bus types it: 'b', 's', 't', 'x', 'u' or 'i'. */
typedef struct SpecUnitProperty {
        char *name;
        char type;
        union {
                bool b;
                char *s;
                uint64_t t;
                int64_t x;      /* 'x', 'u' and 'i', range-checked */
        };
} SpecUnitProperty;

typedef struct Spec {
        char *path;             /* the config.json this came from, for messages */
        char *bundle;           /* absolute */
        char *oci_version;
        char *root_path;        /* absolute */
        bool root_readonly;
        char *hostname;
        SpecProcess process;
        SpecMount *mounts;
        size_t n_mounts;
        SpecNamespace namespaces[_NS_MAX];
        char *cgroups_path;
        SpecResources *resources;       /* NULL: none given */
        char **masked_paths;
        char **readonly_paths;
        unsigned long rootfs_propagation;  /* MS_* | MS_REC; 0 means rslave */
        char **annotations;     /* key, value, key, value, ..., NULL */
        SpecUnitProperty *unit_properties;
        size_t n_unit_properties;
} Spec;

/* Parse BUNDLE/config.json.  Errors name the file, the field and the reason. */
int spec_load(const char *bundle, Spec **ret);
/* Parse a config from a string; path is only used in messages, bundle to
 * resolve root.path.  Used by spec_load() and the unit tests/fuzzer. */
int spec_parse(const char *text, size_t len, const char *path, const char *bundle, Spec **ret);
Spec *spec_free(Spec *s);
static inline void spec_freep(Spec **s) {
        spec_free(*s);
}

const char *namespace_type_to_string(NamespaceType t);
int namespace_type_from_string(const char *s);
unsigned long namespace_clone_flag(NamespaceType t);

/* A linux.resources object on its own, as `runsd update --resources` takes
 * it; path names it in messages. */
int spec_resources_parse(const char *text, size_t len, const char *path, SpecResources **ret);
/* The same from a file (standard input for "-"; none for NULL) with the
 * fields of overrides (say, from command line options) put over it. */
int spec_resources_load(const char *path, json_t *overrides, SpecResources **ret);
SpecResources *spec_resources_free(SpecResources *r);
static inline void spec_resources_freep(SpecResources **r) {
        spec_resources_free(*r);
}

/* The default config.json `runsd spec` writes, as text. */
char *spec_default_text(void);
