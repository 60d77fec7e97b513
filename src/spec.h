/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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
        char **masked_paths;
        char **readonly_paths;
        unsigned long rootfs_propagation;  /* MS_* | MS_REC; 0 means rslave */
        char **annotations;     /* key, value, key, value, ..., NULL */
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

/* The default config.json `runsd spec` writes, as text. */
char *spec_default_text(void);
