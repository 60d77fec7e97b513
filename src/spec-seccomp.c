/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stddef.h>
#include <seccomp.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "spec-parse.h"
#include "spec.h"
#include "strv.h"

/* linux.seccomp: every name checked against libseccomp here, so a bad
 * profile fails before anything exists; seccomp.c only builds and loads. */

typedef struct ActionName {
        const char *name;
        uint32_t action;
        bool takes_errno;       /* the 16 bits of data errnoRet fills */
} ActionName;

static const ActionName action_names[] = {
        { "SCMP_ACT_KILL",         SCMP_ACT_KILL_THREAD,  false },
        { "SCMP_ACT_KILL_THREAD",  SCMP_ACT_KILL_THREAD,  false },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
        { "SCMP_ACT_TRAP",         SCMP_ACT_TRAP,         false },
        { "SCMP_ACT_ERRNO",        SCMP_ACT_ERRNO(0),     true },
        { "SCMP_ACT_TRACE",        SCMP_ACT_TRACE(0),     true },
        { "SCMP_ACT_ALLOW",        SCMP_ACT_ALLOW,        false },
        { "SCMP_ACT_LOG",          SCMP_ACT_LOG,          false },
        { "SCMP_ACT_NOTIFY",       SCMP_ACT_NOTIFY,       false },
};

static const struct {
        const char *name;
        int op;
} op_names[] = {
        { "SCMP_CMP_NE",        SCMP_CMP_NE },
        { "SCMP_CMP_LT",        SCMP_CMP_LT },
        { "SCMP_CMP_LE",        SCMP_CMP_LE },
        { "SCMP_CMP_EQ",        SCMP_CMP_EQ },
        { "SCMP_CMP_GE",        SCMP_CMP_GE },
        { "SCMP_CMP_GT",        SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The syscall the init hands the notify fd to runsd with: a NOTIFY rule
 * on it would stop the init before any agent could answer. */
#define NOTIFY_SEND_SYSCALL "sendmsg"

SpecSeccomp *spec_seccomp_free(SpecSeccomp *sc) {
        if (!sc)
                return NULL;
        free(sc->architectures);
        free(sc->listener_path);
        free(sc->listener_metadata);
        for (size_t i = 0; i < sc->n_rules; i++) {
                free(sc->rules[i].syscalls);
                free(sc->rules[i].args);
        }
        free(sc->rules);
        free(sc);
        return NULL;
}

static void spec_seccomp_freep(SpecSeccomp **sc) {
        spec_seccomp_free(*sc);
}

/* key (an action's name) and errno_key of obj, named base.key and
 * base.errno_key in messages.  Without errnoRet ERRNO and TRACE return
 * EPERM, as the spec says. */
static int parse_action(const Parser *p, json_t *obj, const char *base, const char *key, const char *errno_key,
                        uint32_t *ret) {
        _cleanup_free_ char *name = NULL;
        const ActionName *a = NULL;
        long long e = EPERM;
        char f[256];
        int r;

        snprintf(f, sizeof f, "%s.%s", base, key);
        if ((r = get_required_string(p, obj, key, f, &name)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(action_names); i++)
                if (streq(action_names[i].name, name))
                        a = &action_names[i];
        if (!a)
                return field_error(p, f, "unknown action \"%s\"", name);

        snprintf(f, sizeof f, "%s.%s", base, errno_key);
        r = get_integer(p, obj, errno_key, f, 0, UINT16_MAX, &e);
        if (r < 0)
                return r;
        if (r > 0 && !a->takes_errno)
                return field_error(p, f, "is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", name);
        *ret = a->takes_errno ? a->action | (uint32_t) e : a->action;
        return 0;
}

static int parse_arg(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        _cleanup_free_ char *op = NULL;
        SpecSeccompArg *arg = element;
        long long index;
        char f[256];
        size_t k;
        int r;

        snprintf(f, sizeof f, "%s.index", name);
        if ((r = get_required_integer(p, v, "index", f, 0, 5, &index)) < 0)
                return r;
        arg->index = (unsigned) index;
        snprintf(f, sizeof f, "%s.value", name);
        if ((r = get_required_u64(p, v, "value", f, &arg->value)) < 0)
                return r;
        snprintf(f, sizeof f, "%s.valueTwo", name);
        if ((r = get_u64(p, v, "valueTwo", f, &arg->value_two)) < 0)
                return r;
        snprintf(f, sizeof f, "%s.op", name);
        if ((r = get_required_string(p, v, "op", f, &op)) < 0)
                return r;
        for (k = 0; k < ELEMENTSOF(op_names); k++)
                if (streq(op_names[k].name, op))
                        break;
        if (k == ELEMENTSOF(op_names))
                return field_error(p, f, "unknown operator \"%s\"", op);
        arg->op = op_names[k].op;
        return 0;
}

static int parse_rule(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        _cleanup_strv_free_ char **names = NULL;
        SpecSeccompRule *rule = element;
        char f[256];
        int r;

        snprintf(f, sizeof f, "%s.names", name);
        if ((r = get_strv(p, v, "names", f, &names)) < 0)
                return r;
        if (!names || !names[0])
                return field_error(p, f, "must be a non-empty array of syscall names");
        if ((r = parse_action(p, v, name, "action", "errnoRet", &rule->action)) < 0)
                return r;
        rule->syscalls = calloc(strv_length(names), sizeof(int));
        if (!rule->syscalls)
                return -ENOMEM;
        STRV_FOREACH(n, names) {
                int nr = seccomp_syscall_resolve_name(*n);

                if (rule->action == SCMP_ACT_NOTIFY && streq(*n, NOTIFY_SEND_SYSCALL))
                        return field_error(p, f, "SCMP_ACT_NOTIFY cannot be used for %s: runsd's init sends "
                                           "the notify fd with it", *n);
                /* As runc: a syscall libseccomp does not know (a newer
                 * one, another architecture's) cannot be made, so there is
                 * nothing to filter. */
                if (nr == __NR_SCMP_ERROR) {
                        log_debug("%s: %s: unknown syscall \"%s\", skipped", p->path, f, *n);
                        continue;
                }
                rule->syscalls[rule->n_syscalls++] = nr;
        }
        snprintf(f, sizeof f, "%s.args", name);
        r = get_object_array(p, v, "args", f, sizeof(SpecSeccompArg), (void **) &rule->args, &rule->n_args,
                             parse_arg, NULL);
        return r < 0 ? r : 0;
}

/* The runtime spec's architecture names (config-linux.md); libseccomp's
 * own are the same, lower case and unprefixed, and it decides which of
 * them this build can filter for. */
static const char *const arch_names[] = {
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
        "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
        "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
        "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};

/* libseccomp's token of one of arch_names, 0 if it is none of them or
 * libseccomp does not know it. */
static uint32_t arch_resolve(const char *name) {
        const char *prefix = "SCMP_ARCH_";
        char lower[64];
        size_t i, k;

        for (i = 0; i < ELEMENTSOF(arch_names); i++)
                if (streq(arch_names[i], name))
                        break;
        if (i == ELEMENTSOF(arch_names) || strlen(name + strlen(prefix)) >= sizeof lower)
                return 0;
        for (k = 0; name[strlen(prefix) + k]; k++)
                lower[k] = (char) tolower((unsigned char) name[strlen(prefix) + k]);
        lower[k] = '\0';
        return seccomp_arch_resolve_name(lower);
}

static int parse_architectures(const Parser *p, json_t *o, SpecSeccomp *sc) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = get_strv(p, o, "architectures", "linux.seccomp.architectures", &names);
        if (r <= 0)
                return r;
        sc->architectures = calloc(strv_length(names) + 1, sizeof(uint32_t));
        if (!sc->architectures)
                return -ENOMEM;
        STRV_FOREACH(n, names) {
                uint32_t arch = arch_resolve(*n);

                if (arch == 0) {
                        char f[96];

                        snprintf(f, sizeof f, "linux.seccomp.architectures[%zu]", (size_t) (n - names));
                        return field_error(p, f, "unknown architecture \"%s\"", *n);
                }
                sc->architectures[sc->n_architectures++] = arch;
        }
        return 0;
}

#define HAVE_WAIT_KILLABLE_RECV (SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6))

typedef struct FlagName {
        const char *name;
        /* the SpecSeccomp field it sets; none for TSYNC, which syncs the
         * threads of the loader: the init has one */
        size_t offset;
        bool supported;         /* by the libseccomp runsd is built with */
} FlagName;

#define NO_FIELD SIZE_MAX

static const FlagName flag_names[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC",              NO_FIELD,                                  true },
        { "SECCOMP_FILTER_FLAG_LOG",                offsetof(SpecSeccomp, log),                true },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW",         offsetof(SpecSeccomp, spec_allow),         true },
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", offsetof(SpecSeccomp, wait_killable_recv), HAVE_WAIT_KILLABLE_RECV },
};

static int parse_flags(const Parser *p, json_t *o, SpecSeccomp *sc) {
        _cleanup_strv_free_ char **flags = NULL;
        int r;

        r = get_strv(p, o, "flags", "linux.seccomp.flags", &flags);
        if (r <= 0)
                return r;
        STRV_FOREACH(fl, flags) {
                const FlagName *flag = NULL;
                char f[64];

                snprintf(f, sizeof f, "linux.seccomp.flags[%zu]", (size_t) (fl - flags));
                for (size_t i = 0; i < ELEMENTSOF(flag_names); i++)
                        if (streq(flag_names[i].name, *fl))
                                flag = &flag_names[i];
                if (!flag)
                        return field_error(p, f, "unknown flag \"%s\"", *fl);
                if (!flag->supported)
                        return error_set(-EOPNOTSUPP, "%s: %s: %s needs libseccomp 2.6, runsd is built with %d.%d",
                                         p->path, f, *fl, SCMP_VER_MAJOR, SCMP_VER_MINOR);
                if (flag->offset != NO_FIELD)
                        *(bool *) ((uint8_t *) sc + flag->offset) = true;
        }
        return 0;
}

int spec_seccomp_names(SeccompNames kind, const char ***ret, size_t *ret_n) {
        size_t max = MAX(MAX(ELEMENTSOF(action_names), ELEMENTSOF(op_names)),
                         MAX(ELEMENTSOF(arch_names), ELEMENTSOF(flag_names)));
        _cleanup_free_ const char **l = calloc(max, sizeof(char *));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        switch (kind) {
        case SECCOMP_NAMES_ACTIONS:
                for (size_t i = 0; i < ELEMENTSOF(action_names); i++)
                        l[n++] = action_names[i].name;
                break;
        case SECCOMP_NAMES_OPERATORS:
                for (size_t i = 0; i < ELEMENTSOF(op_names); i++)
                        l[n++] = op_names[i].name;
                break;
        case SECCOMP_NAMES_ARCHS:
                for (size_t i = 0; i < ELEMENTSOF(arch_names); i++)
                        if (arch_resolve(arch_names[i]) != 0)
                                l[n++] = arch_names[i];
                break;
        case SECCOMP_NAMES_KNOWN_FLAGS:
        case SECCOMP_NAMES_SUPPORTED_FLAGS:
                for (size_t i = 0; i < ELEMENTSOF(flag_names); i++)
                        if (kind == SECCOMP_NAMES_KNOWN_FLAGS || flag_names[i].supported)
                                l[n++] = flag_names[i].name;
                break;
        default:
                return -EINVAL;
        }
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

bool seccomp_uses_notify(const SpecSeccomp *sc) {
        for (size_t i = 0; i < sc->n_rules; i++)
                if (sc->rules[i].action == SCMP_ACT_NOTIFY)
                        return true;
        return false;
}

int spec_seccomp_parse(const Parser *p, json_t *linux_obj, SpecSeccomp **ret) {
        _cleanup_(spec_seccomp_freep) SpecSeccomp *sc = NULL;
        json_t *o;
        int r;

        r = get_object(p, linux_obj, "seccomp", "linux.seccomp", &o);
        if (r <= 0)
                return r;
        sc = calloc(1, sizeof *sc);
        if (!sc)
                return -ENOMEM;
        if ((r = parse_action(p, o, "linux.seccomp", "defaultAction", "defaultErrnoRet", &sc->default_action)) < 0)
                return r;
        if (sc->default_action == SCMP_ACT_NOTIFY)
                return field_error(p, "linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default "
                                   "action: runsd's init could not send the notify fd");
        if ((r = parse_architectures(p, o, sc)) < 0 || (r = parse_flags(p, o, sc)) < 0)
                return r;
        r = get_string(p, o, "listenerPath", "linux.seccomp.listenerPath", &sc->listener_path);
        if (r < 0 || (r > 0 && (r = check_absolute(p, "linux.seccomp.listenerPath", &sc->listener_path)) < 0))
                return r;
        r = get_string(p, o, "listenerMetadata", "linux.seccomp.listenerMetadata", &sc->listener_metadata);
        if (r < 0)
                return r;
        r = get_object_array(p, o, "syscalls", "linux.seccomp.syscalls", sizeof(SpecSeccompRule),
                             (void **) &sc->rules, &sc->n_rules, parse_rule, NULL);
        if (r < 0)
                return r;
        if (seccomp_uses_notify(sc) && !sc->listener_path)
                return field_error(p, "linux.seccomp.listenerPath", "is required when a rule's action is SCMP_ACT_NOTIFY");
        *ret = TAKE_PTR(sc);
        return 0;
}
