/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config.h"
#include "error.h"
#include "fdpass.h"
#include "seccomp-filter.h"
#include "sync.h"

static void seccomp_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

static int rule_error(int r, const Spec *s, size_t i, int nr) {
        _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

        return error_set(r, "%s: linux.seccomp.syscalls[%zu]: add the rule for %s: %m", s->path, i, name ?: "a syscall");
}

static struct scmp_arg_cmp arg_cmp(const SpecSeccompArg *a) {
        return (struct scmp_arg_cmp) { .arg = a->index, .op = a->op, .datum_a = a->value, .datum_b = a->value_two };
}

/* Rule i for syscall nr.  libseccomp takes one comparison per argument in
 * a rule; a rule that compares one argument twice is added as one rule per
 * comparison (any of them matches), as runc does. */
static int add_rule(scmp_filter_ctx ctx, const Spec *s, size_t i, int nr) {
        const SpecSeccompRule *rule = &s->seccomp->rules[i];
        struct scmp_arg_cmp cmp[6];
        bool repeated = false;
        int r;

        /* A rule that does what the default does is none; libseccomp
         * refuses it. */
        if (rule->action == s->seccomp->default_action)
                return 0;
        for (size_t a = 0; a < rule->n_args; a++) {
                for (size_t b = 0; b < a; b++)
                        repeated = repeated || rule->args[a].index == rule->args[b].index;
                if (a < ELEMENTSOF(cmp))
                        cmp[a] = arg_cmp(&rule->args[a]);
        }
        if (!repeated) {
                r = seccomp_rule_add_array(ctx, rule->action, nr, rule->n_args, cmp);
                return r < 0 ? rule_error(r, s, i, nr) : 0;
        }
        for (size_t a = 0; a < rule->n_args; a++) {
                struct scmp_arg_cmp one = arg_cmp(&rule->args[a]);

                r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &one);
                if (r < 0)
                        return rule_error(r, s, i, nr);
        }
        return 0;
}

static int set_flag(scmp_filter_ctx ctx, const Spec *s, bool set, enum scmp_filter_attr attr, const char *flag) {
        int r;

        if (!set)
                return 0;
        r = seccomp_attr_set(ctx, attr, 1);
        return r < 0 ? error_set(r, "%s: linux.seccomp.flags: %s: %m", s->path, flag) : 0;
}

static int build(const Spec *s, bool notify, scmp_filter_ctx *ret) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        const SpecSeccomp *sc = s->seccomp;
        int r;

        ctx = seccomp_init(sc->default_action);
        if (!ctx)
                return error_set(-EINVAL, "%s: linux.seccomp.defaultAction: libseccomp cannot make a filter "
                                 "with this action here", s->path);
        /* no_new_privs is process.noNewPrivileges's to set, and libseccomp
         * would set it when loading. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return error_set(r, "%s: linux.seccomp: %m", s->path);
        for (size_t i = 0; i < sc->n_architectures; i++) {
                r = seccomp_arch_add(ctx, sc->architectures[i]);
                if (r < 0 && r != -EEXIST)
                        return error_set(r, "%s: linux.seccomp.architectures[%zu]: %m", s->path, i);
        }
        if ((r = set_flag(ctx, s, sc->log, SCMP_FLTATR_CTL_LOG, "SECCOMP_FILTER_FLAG_LOG")) < 0 ||
            (r = set_flag(ctx, s, sc->spec_allow, SCMP_FLTATR_CTL_SSB, "SECCOMP_FILTER_FLAG_SPEC_ALLOW")) < 0)
                return r;
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
        if ((r = set_flag(ctx, s, sc->wait_killable_recv, SCMP_FLTATR_CTL_WAITKILL,
                          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")) < 0)
                return r;
#endif
        if (notify && seccomp_api_get() < 5)
                return error_set(-EOPNOTSUPP, "%s: linux.seccomp: SCMP_ACT_NOTIFY needs seccomp API level 5 "
                                 "(libseccomp 2.5, Linux 5.0), here it is %u", s->path, seccomp_api_get());
        for (size_t i = 0; i < sc->n_rules; i++)
                for (size_t k = 0; k < sc->rules[i].n_syscalls; k++) {
                        r = add_rule(ctx, s, i, sc->rules[i].syscalls[k]);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(ctx);
        return 0;
}

static SeccompPoint load_point(const Spec *s) {
        if (!s->process.no_new_privileges)
                return SECCOMP_BEFORE_PROCESS;
        return seccomp_uses_notify(s->seccomp) ? SECCOMP_BEFORE_READY : SECCOMP_BEFORE_EXEC;
}

static int load(const Spec *s, int sync_fd, scmp_filter_ctx ctx) {
        _cleanup_close_ int notify_fd = -1;
        int r;

        r = seccomp_load(ctx);
        if (r < 0)
                return error_set(r, "%s: linux.seccomp: load the filter: %m", s->path);
        if (!seccomp_uses_notify(s->seccomp))
                return 0;
        /* From here on, every syscall the filter sends to the agent waits
         * for it: the fd goes out first (sendmsg, which the parser keeps
         * out of NOTIFY rules). */
        notify_fd = seccomp_notify_fd(ctx);
        if (notify_fd < 0)
                return error_set(notify_fd, "%s: linux.seccomp: the notify fd: %m", s->path);
        r = sync_send_fd(sync_fd, SYNC_SECCOMP_FD, notify_fd);
        return r < 0 ? error_set(r, "send the seccomp notify fd to runsd: %m") : 0;
}

int seccomp_setup(const Spec *s, int sync_fd, SeccompPoint point, scmp_filter_ctx *filter) {
        SeccompPoint when;
        int r;

        if (!s->seccomp)
                return 0;
        when = load_point(s);
        /* Built before the init reports ready at the latest, so a filter
         * libseccomp cannot make fails create. */
        if (!*filter && (point == when || point == SECCOMP_BEFORE_READY)) {
                r = build(s, seccomp_uses_notify(s->seccomp), filter);
                if (r < 0)
                        return r;
        }
        return point == when ? load(s, sync_fd, *filter) : 0;
}

int seccomp_send_listener(const SpecSeccomp *sc, const ContainerState *s, int notify_fd) {
        _cleanup_(json_decrefp) json_t *o = NULL, *state = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        if (!sc || !sc->listener_path || notify_fd < 0)
                return error_set(-EPROTO, "container init sent a seccomp notify fd runsd did not expect");
        state = state_to_json(s, STATUS_CREATING, false);
        if (!state)
                return -ENOMEM;
        o = json_pack("{s:s, s:[s], s:I, s:O}", "ociVersion", OCI_VERSION, "fds", "seccompFd",
                      "pid", (json_int_t) s->pid, "state", state);
        if (!o || (sc->listener_metadata &&
                   json_object_set_new(o, "metadata", json_string(sc->listener_metadata)) < 0))
                return -ENOMEM;
        text = json_dumps(o, JSON_COMPACT);
        if (!text)
                return -ENOMEM;

        if (strlen(sc->listener_path) >= sizeof sa.sun_path)
                return error_set(-ENAMETOOLONG, "linux.seccomp.listenerPath: %s: longer than a socket address "
                                 "can be", sc->listener_path);
        strcpy(sa.sun_path, sc->listener_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return error_set(-errno, "linux.seccomp.listenerPath: connect to the seccomp agent at %s: %m",
                                 sc->listener_path);
        r = fdpass_send(fd, text, strlen(text), &notify_fd, 1);
        if (r < 0)
                return error_set(r, "linux.seccomp.listenerPath: send to the seccomp agent at %s: %m",
                                 sc->listener_path);
        return 0;
}
