/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sched.h>
#include <jansson.h>

#include "macro.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

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

/* One line of linux.uidMappings or gidMappings, as /proc/PID/uid_map
 * takes it: in one write of less than a page. */
typedef struct SpecIdMap {
        uint32_t container_id, host_id, size;
} SpecIdMap;
#define ID_MAP_LINE "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n"
#define ID_MAP_TEXT_MAX 4096

typedef struct SpecMount {
        char *destination;    /* absolute, inside the rootfs */
        char *type;           /* NULL for a bind mount */
        char *source;         /* for a bind mount: absolute, on the host */
        unsigned long flags;        /* MS_* to set, as the kernel takes them */
        unsigned long propagation;  /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE [|MS_REC] */
        /* rro, rnosuid, ...: MOUNT_ATTR_* set and cleared on the whole
         * tree with mount_setattr(AT_RECURSIVE), as runc does */
        uint64_t attr_set, attr_clr;
        bool bind, recursive, readonly;
        bool copyup;          /* tmpcopyup: the image's directory is copied into the new tmpfs */
        /* idmap, ridmap (idmap_recursive) or mappings given: a bind mount
         * whose ids are mapped through these, or with none the container's
         * user namespace's */
        bool idmap, idmap_recursive;
        SpecIdMap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        char *data;           /* the options that are not flags, comma-joined */
} SpecMount;

/* linux.devices: a node runsd creates in the container's /dev. */
typedef struct SpecDevice {
        char *path;             /* absolute, under /dev */
        char type;              /* 'c', 'b', 'u' (a character device) or 'p' (a fifo) */
        uint32_t major, minor;
        mode_t mode;            /* permission bits */
        uid_t uid;
        gid_t gid;
} SpecDevice;

/* S_IFCHR, S_IFBLK or S_IFIFO */
mode_t spec_device_ifmt(const SpecDevice *d);

typedef struct SpecRlimit {
        int resource;
        uint64_t soft, hard;
} SpecRlimit;

typedef struct SpecCapabilities {
        uint64_t bounding, effective, permitted, inheritable, ambient;
} SpecCapabilities;

/* A CPU or NUMA node list ("0-3,7") as the kernel's masks take it: bit i
 * of words[i / 64] (sched_setaffinity(2), set_mempolicy(2)). */
typedef struct SpecBitmap {
        unsigned long *words;   /* NULL: not given */
        size_t n_words;
} SpecBitmap;

/* process.scheduler, as sched_setattr(2) takes it (spec-process.c). */
typedef struct SpecScheduler {
        bool set;
        uint32_t policy;        /* SCHED_* */
        int32_t nice;
        uint32_t priority;
        uint64_t flags;         /* SCHED_FLAG_* */
        uint64_t runtime, deadline, period;     /* ns, SCHED_DEADLINE */
} SpecScheduler;

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
        bool terminal;          /* a new pty for stdio (terminal.c) */
        unsigned short console_height, console_width;  /* 0: not given */
        SpecScheduler scheduler;
        int io_priority;        /* ioprio_set(2)'s value; 0: not given */
        SpecBitmap cpus_initial, cpus_final;    /* execCPUAffinity */
        char *apparmor_profile, *selinux_label; /* NULL: not given ("" is not) */
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

#define UNIT_PROPERTY_PREFIX "org.systemd.property."

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

/* hooks: the points of the lifecycle, in the order they run. */
typedef enum HookType {
        HOOK_PRESTART,          /* deprecated; runs with createRuntime, before it */
        HOOK_CREATE_RUNTIME,
        HOOK_CREATE_CONTAINER,
        HOOK_START_CONTAINER,
        HOOK_POSTSTART,
        HOOK_POSTSTOP,
        _HOOK_MAX,
} HookType;

typedef struct SpecHook {
        char *path;             /* absolute */
        char **args;            /* argv as given (NULL: just the path) */
        char **env;             /* the whole environment (NULL: empty) */
        unsigned timeout;       /* seconds; 0: none */
} SpecHook;

typedef struct SpecHooks {
        SpecHook *list[_HOOK_MAX];
        size_t n[_HOOK_MAX];
} SpecHooks;

typedef enum TimeClock {
        TIME_MONOTONIC,
        TIME_BOOTTIME,
        _TIME_CLOCK_MAX,
} TimeClock;

/* linux.timeOffsets.<clock> */
typedef struct SpecTimeOffset {
        bool set;
        int64_t secs;
        uint32_t nanosecs;
} SpecTimeOffset;

/* What the container's own namespaces get (spec-namespaces.c). */
typedef struct SpecNamespaceSettings {
        SpecIdMap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        SpecTimeOffset time_offsets[_TIME_CLOCK_MAX];
        char **sysctl;          /* key, value, key, value, ..., NULL */
        char *domainname;
} SpecNamespaceSettings;

/* linux.seccomp, checked against libseccomp: actions, architectures and
 * comparisons are held as libseccomp takes them (seccomp-filter.c builds the
 * filter from this). */
typedef struct SpecSeccompArg {
        unsigned index;         /* 0..5 */
        int op;                 /* enum scmp_compare */
        uint64_t value, value_two;
} SpecSeccompArg;

typedef struct SpecSeccompRule {
        int *syscalls;          /* native numbers; names libseccomp does not know are left out */
        size_t n_syscalls;
        uint32_t action;        /* SCMP_ACT_*, with its errno */
        SpecSeccompArg *args;
        size_t n_args;
} SpecSeccompRule;

typedef struct SpecSeccomp {
        uint32_t default_action;
        uint32_t *architectures;        /* SCMP_ARCH_* tokens */
        size_t n_architectures;
        bool log, spec_allow, wait_killable_recv;       /* flags */
        char *listener_path;            /* where the NOTIFY fd goes */
        char *listener_metadata;
        SpecSeccompRule *rules;
        size_t n_rules;
} SpecSeccomp;

/* linux.memoryPolicy (spec-process.c). */
typedef struct SpecMemoryPolicy {
        bool set;
        int mode;               /* MPOL_* | MPOL_F_* */
        SpecBitmap nodes;
} SpecMemoryPolicy;

/* linux.netDevices: a host interface the container's network namespace gets. */
typedef struct SpecNetDevice {
        char *host_name;
        char *name;             /* its name inside */
} SpecNetDevice;

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
        SpecDevice *devices;
        size_t n_devices;
        SpecNamespaceSettings ns;
        char *cgroups_path;
        SpecResources *resources;       /* NULL: none given */
        SpecSeccomp *seccomp;           /* NULL: none given */
        char **masked_paths;
        char **readonly_paths;
        unsigned long rootfs_propagation;  /* MS_* | MS_REC; 0 means rslave */
        char **annotations;     /* key, value, key, value, ..., NULL */
        SpecUnitProperty *unit_properties;
        size_t n_unit_properties;
        SpecHooks hooks;
        bool has_personality;
        unsigned long personality;      /* PER_LINUX or PER_LINUX32 */
        SpecMemoryPolicy memory_policy;
        char *mount_label;      /* SELinux context= of the mounts; NULL: none */
        bool has_intel_rdt;     /* refused by host_check(): see there */
        SpecNetDevice *net_devices;
        size_t n_net_devices;
        /* The file as spec_load() read it: service mode hands exactly what
         * was checked to the helper that clones the init (service.h). */
        char *text;
        size_t text_len;
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

/* A runtime-spec "process" object on its own, as `runsd exec --process`
 * takes it: the same parser as config.json's "process". */
int spec_process_parse(const char *text, size_t len, const char *path, SpecProcess **ret);
int spec_process_load(const char *path, SpecProcess **ret);
void spec_process_done(SpecProcess *p);
SpecProcess *spec_process_free(SpecProcess *p);
static inline void spec_process_freep(SpecProcess **p) {
        spec_process_free(*p);
}

/* What the parser takes, for `runsd features` (features.c): read from the
 * tables the parser itself uses, so the two cannot disagree.  *ret gets an
 * array of *ret_n static names, to be freed (not its names). */
int spec_mount_option_names(const char ***ret, size_t *ret_n);
typedef enum SeccompNames {
        SECCOMP_NAMES_ACTIONS,
        SECCOMP_NAMES_OPERATORS,
        SECCOMP_NAMES_ARCHS,            /* the spec's that libseccomp knows */
        SECCOMP_NAMES_KNOWN_FLAGS,
        SECCOMP_NAMES_SUPPORTED_FLAGS,  /* those this build can apply */
} SeccompNames;
int spec_seccomp_names(SeccompNames kind, const char ***ret, size_t *ret_n);

/* The value of annotation key, or NULL. */
const char *spec_annotation(const Spec *s, const char *key);

const char *namespace_type_to_string(NamespaceType t);
const char *time_clock_to_string(TimeClock c);
int namespace_type_from_string(const char *s);
unsigned long namespace_clone_flag(NamespaceType t);
/* Its file in /proc/PID/ns/: "mnt" and "net" are not the spec's names. */
const char *namespace_proc_name(NamespaceType t);

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

/* hooks (spec-hooks.c).  The name is config.json's: "createRuntime". */
const char *hook_type_to_string(HookType t);
void spec_hooks_done(SpecHooks *h);
/* The hooks of the types in mask (1 << HookType) as a config's
 * {"hooks": {...}}, and such a text parsed back; path names it in messages. */
json_t *spec_hooks_to_json(const SpecHooks *h, unsigned mask);
int spec_hooks_parse_text(const char *text, size_t len, const char *path, SpecHooks *ret);

/* linux.seccomp (spec-seccomp.c). */
SpecSeccomp *spec_seccomp_free(SpecSeccomp *sc);
/* Whether any rule is SCMP_ACT_NOTIFY. */
bool seccomp_uses_notify(const SpecSeccomp *sc);

/* The default config.json `runsd spec` writes, as text. */
char *spec_default_text(void);
