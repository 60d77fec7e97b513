/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: arguments in, output out.  No kernel or D-Bus work
 * happens here; that is the library's (container.c and below). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "container.h"
#include "duration.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "service.h"
#include "macro.h"
#include "output.h"
#include "path.h"
#include "ps.h"
#include "runtime-features.h"
#include "signal-name.h"
#include "spec.h"

typedef struct Globals {
        const char *root;
} Globals;

typedef struct Command {
        const char *name;
        const char *args;       /* for usage */
        const char *summary;
        const char *options;    /* help text of the command's own options */
        /* <0: failed (error_message() says why); else the exit code */
        int (*run)(const Globals *g, int argc, char **argv);
} Command;

static const Command *find_command(const char *name);

static void print_version(void) {
        _cleanup_free_ char *text = features_version_text();

        fputs(text ?: "runsd version " PACKAGE_VERSION "\n", stdout);
}

static void print_command_help(const Command *c) {
        printf("Usage: runsd [global options] %s [options] %s\n\n%s\n\nOptions:\n%s  -h, --help                 show this help\n",
               c->name, c->args, c->summary, c->options);
}

enum { OPT_HELP = 'h', OPT_VERSION = 0x100 };

#define COMMON_LONG_OPTIONS \
        { "help", no_argument, NULL, OPT_HELP }, \
        { "version", no_argument, NULL, OPT_VERSION }

/* The option getopt_long() just refused (opterr is off: one message, ours). */
static const char *bad_option(char **argv) {
        static char short_opt[3];

        if (optind > 0 && strncmp(argv[optind - 1], "--", 2) == 0)
                return argv[optind - 1];
        if (optopt > 0 && optopt < 256) {
                snprintf(short_opt, sizeof short_opt, "-%c", optopt);
                return short_opt;
        }
        return argv[optind - 1];
}

/* Handle what every command takes; returns 1 if the command is done. */
static int common_option(const Command *c, int opt, char **argv) {
        switch (opt) {
        case OPT_HELP:
                print_command_help(c);
                return 1;
        case OPT_VERSION:
                print_version();
                return 1;
        case ':':
                return error_set(-EINVAL, "%s: option '%s' needs a value; see 'runsd %s --help'",
                                 c->name, bad_option(argv), c->name);
        default:
                return error_set(-EINVAL, "%s: unknown option '%s'; see 'runsd %s --help'",
                                 c->name, bad_option(argv), c->name);
        }
}

/* Exactly n positional arguments left (or between n and max). */
static int want_args(const Command *c, int argc, char **argv, int min, int max) {
        int left = argc - optind;

        if (left < min || left > max)
                return error_set(-EINVAL, "%s: expected %s; see 'runsd %s --help'", c->name, c->args, c->name);
        return 0;
}

/* --preserve-fds N */
static int parse_preserve_fds(const Command *c, const char *s, unsigned *ret) {
        char *end;
        long n;

        errno = 0;
        n = strtol(s, &end, 10);
        if (errno || end == s || *end || n < 0 || n > 65536)
                return error_set(-EINVAL, "%s: --preserve-fds \"%s\" is not a number of file descriptors", c->name, s);
        *ret = (unsigned) n;
        return 0;
}

enum { OPT_CONSOLE_SOCKET = 0x300, OPT_PRESERVE_FDS };

static int cmd_create_or_run(const Globals *g, int argc, char **argv, bool run) {
        static const struct option options[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "pid-file", required_argument, NULL, 'p' },
                { "detach", no_argument, NULL, 'd' },
                { "no-new-keyring", no_argument, NULL, 'k' },
                { "no-pivot", no_argument, NULL, 'P' },
                { "no-machine", no_argument, NULL, 'm' },
                { "service", no_argument, NULL, 's' },
                { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
                { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command(run ? "run" : "create");
        CreateOptions o = {};
        bool detach = false;
        int opt, r;

        while ((opt = getopt_long(argc, argv, ":b:p:dh", options, NULL)) >= 0)
                switch (opt) {
                case 'b':
                        o.bundle = optarg;
                        break;
                case 'p':
                        o.pid_file = optarg;
                        break;
                case 'd':
                        if (!run)
                                return common_option(c, '?', argv);
                        detach = true;
                        break;
                case 'k':
                        /* runsd never makes a session keyring; nothing to do. */
                        break;
                case 'P':
                        /* runc's way around pivot_root(2) where it cannot work
                         * (a rootfs on initramfs).  Where it works, pivoting
                         * confines no less; where not, create fails saying so. */
                        break;
                case 'm':
                        o.no_machine = true;
                        break;
                case 's':
                        o.service = true;
                        break;
                case OPT_CONSOLE_SOCKET:
                        o.console_socket = optarg;
                        break;
                case OPT_PRESERVE_FDS:
                        r = parse_preserve_fds(c, optarg, &o.preserve_fds);
                        if (r < 0)
                                return r;
                        break;
                default:
                        r = common_option(c, opt, argv);
                        return r < 0 ? r : 0;
                }
        r = want_args(c, argc, argv, 1, 1);
        if (r < 0)
                return r;
        if (run)
                /* the container's exit code is ours */
                return container_run(g->root, argv[optind], &o, detach);
        return container_create(g->root, argv[optind], &o);
}

static int cmd_create(const Globals *g, int argc, char **argv) {
        return cmd_create_or_run(g, argc, argv, false);
}

static int cmd_run(const Globals *g, int argc, char **argv) {
        return cmd_create_or_run(g, argc, argv, true);
}

/* Not for users: what a service-mode container's unit runs (service.h). */
static int cmd_service_init(const Globals *g, int argc, char **argv) {
        if (argc != 2)
                return error_set(-EINVAL, "service-init: expected the state directory");
        return service_helper(argv[1]);
}

/* --user UID[:GID]: numbers, as runsd has no user database of the container's. */
static int parse_user(const char *arg, ExecOptions *o) {
        const char *s = arg;
        unsigned long uid, gid;
        char *end;

        errno = 0;
        uid = strtoul(s, &end, 10);
        if (errno || end == s || !isdigit((unsigned char) s[0]) || uid >= UINT32_MAX)
                goto bad;
        o->set_user = true;
        o->uid = (uid_t) uid;
        if (*end == '\0')
                return 0;
        if (*end != ':' || !isdigit((unsigned char) end[1]))
                goto bad;
        s = end + 1;
        gid = strtoul(s, &end, 10);
        if (errno || *end || gid >= UINT32_MAX)
                goto bad;
        o->set_gid = true;
        o->gid = (gid_t) gid;
        return 0;
bad:
        return error_set(-EINVAL, "exec: --user \"%s\" is not UID[:GID] (numbers: runsd does not look names up)", arg);
}

/* Append to a NULL-terminated array of argv's strings (not copied). */
static int push(char ***l, size_t *n, char *s) {
        char **m = realloc(*l, (*n + 2) * sizeof(char *));

        if (!m)
                return -ENOMEM;
        m[(*n)++] = s;
        m[*n] = NULL;
        *l = m;
        return 0;
}

static int cmd_exec(const Globals *g, int argc, char **argv) {
        enum { OPT_PID_FILE = 0x400, OPT_CWD, OPT_NO_NEW_PRIVS };
        static const struct option options[] = {
                { "process", required_argument, NULL, 'p' },
                { "detach", no_argument, NULL, 'd' },
                { "pid-file", required_argument, NULL, OPT_PID_FILE },
                { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
                { "tty", no_argument, NULL, 't' },
                { "cwd", required_argument, NULL, OPT_CWD },
                { "env", required_argument, NULL, 'e' },
                { "user", required_argument, NULL, 'u' },
                { "cap", required_argument, NULL, 'c' },
                { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
                { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command("exec");
        _cleanup_free_ char **env = NULL, **caps = NULL;
        size_t n_env = 0, n_caps = 0;
        ExecOptions o = {};
        int opt, r;

        /* "+": what follows the ID is the command's */
        while ((opt = getopt_long(argc, argv, "+:p:dte:u:c:h", options, NULL)) >= 0)
                switch (opt) {
                case 'p':
                        o.process_file = optarg;
                        break;
                case 'd':
                        o.detach = true;
                        break;
                case OPT_PID_FILE:
                        o.pid_file = optarg;
                        break;
                case OPT_CONSOLE_SOCKET:
                        o.console_socket = optarg;
                        break;
                case 't':
                        o.tty = true;
                        break;
                case OPT_CWD:
                        o.cwd = optarg;
                        break;
                case 'e':
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return error_set(-EINVAL, "exec: --env \"%s\" is not NAME=VALUE", optarg);
                        if (push(&env, &n_env, optarg) < 0)
                                return -ENOMEM;
                        break;
                case 'u':
                        r = parse_user(optarg, &o);
                        if (r < 0)
                                return r;
                        break;
                case 'c':
                        if (push(&caps, &n_caps, optarg) < 0)
                                return -ENOMEM;
                        break;
                case OPT_NO_NEW_PRIVS:
                        o.no_new_privs = true;
                        break;
                case OPT_PRESERVE_FDS:
                        r = parse_preserve_fds(c, optarg, &o.preserve_fds);
                        if (r < 0)
                                return r;
                        break;
                default:
                        r = common_option(c, opt, argv);
                        return r < 0 ? r : 0;
                }
        if (o.process_file ? argc - optind != 1 : argc - optind < 2)
                return error_set(-EINVAL, "exec: expected %s; see 'runsd exec --help'",
                                 o.process_file ? "only the ID with --process" : "ID COMMAND [ARGS...] or --process FILE ID");
        o.env = env;
        o.caps = caps;
        if (!o.process_file)
                o.args = argv + optind + 1;
        /* in the foreground, the process's exit code is ours */
        return container_exec(g->root, argv[optind], &o);
}

/* For commands whose only argument is the ID. */
static int parse_id_only(const Command *c, int argc, char **argv, const char **ret_id) {
        static const struct option options[] = { COMMON_LONG_OPTIONS, {} };
        int opt, r;

        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = common_option(c, opt, argv);
                if (r != 0)
                        return r;
        }
        r = want_args(c, argc, argv, 1, 1);
        if (r < 0)
                return r;
        *ret_id = argv[optind];
        return 0;
}

static int cmd_start(const Globals *g, int argc, char **argv) {
        const char *id;
        int r = parse_id_only(find_command("start"), argc, argv, &id);

        if (r != 0)
                return r < 0 ? r : 0;
        return container_start(g->root, id);
}

static int print_json(json_t *o, size_t flags) {
        _cleanup_free_ char *text = o ? json_dumps(o, flags) : NULL;

        if (!text)
                return -ENOMEM;
        printf("%s\n", text);
        return 0;
}

static int cmd_state(const Globals *g, int argc, char **argv) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_(json_decrefp) json_t *o = NULL;
        ContainerStatus status;
        const char *id;
        int r = parse_id_only(find_command("state"), argc, argv, &id);

        if (r != 0)
                return r < 0 ? r : 0;
        r = container_state(g->root, id, &s, &status);
        if (r < 0)
                return r;
        o = state_to_json(s, status, false);
        return print_json(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}

static int cmd_kill(const Globals *g, int argc, char **argv) {
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command("kill");
        bool all = false;
        int opt, r, sig = SIGTERM;

        while ((opt = getopt_long(argc, argv, ":ah", options, NULL)) >= 0)
                if (opt == 'a')
                        all = true;
                else if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        r = want_args(c, argc, argv, 1, 2);
        if (r < 0)
                return r;
        if (argc - optind == 2) {
                sig = signal_from_string(argv[optind + 1]);
                if (sig < 0)
                        return error_set(sig, "kill: invalid signal \"%s\"", argv[optind + 1]);
        }
        return container_kill(g->root, argv[optind], sig, all);
}

static int cmd_delete(const Globals *g, int argc, char **argv) {
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command("delete");
        bool force = false;
        int opt, r;

        while ((opt = getopt_long(argc, argv, ":fh", options, NULL)) >= 0)
                if (opt == 'f')
                        force = true;
                else if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        r = want_args(c, argc, argv, 1, 1);
        if (r < 0)
                return r;
        return container_delete(g->root, argv[optind], force);
}

/* runc's sizes: a number, with k, m, g or t (powers of 1024, "b" or "ib"
 * after it allowed), or -1 for no limit. */
static int parse_size(const char *s, long long *ret) {
        static const char units[] = "kmgt";
        long double v;
        char *end;
        const char *u;

        if (streq(s, "-1")) {
                *ret = -1;
                return 0;
        }
        errno = 0;
        v = strtold(s, &end);
        if (errno || end == s || v < 0 || s[0] == '-')
                return -EINVAL;
        if (*end && (u = strchr(units, tolower((unsigned char) *end)))) {
                for (const char *x = units; x <= u; x++)
                        v *= 1024;
                end++;
                if (strcasecmp(end, "b") == 0 || strcasecmp(end, "ib") == 0)
                        end = (char *) "";
        } else if (strcasecmp(end, "b") == 0)
                end = (char *) "";
        if (*end || v > 9.2e18L)
                return -EINVAL;
        *ret = (long long) v;
        return 0;
}

/* The option values of update, as the JSON object --resources takes. */
typedef struct UpdateOption {
        const char *name;
        const char *object, *field;
        char kind;              /* 's'ize, 'i'nteger, 't'ext */
} UpdateOption;

static const UpdateOption update_options[] = {
        { "memory", "memory", "limit", 's' },
        { "memory-reservation", "memory", "reservation", 's' },
        { "memory-swap", "memory", "swap", 's' },
        { "cpu-shares", "cpu", "shares", 'i' },
        { "cpu-quota", "cpu", "quota", 'i' },
        { "cpu-period", "cpu", "period", 'i' },
        { "cpu-rt-runtime", "cpu", "realtimeRuntime", 'i' },
        { "cpu-rt-period", "cpu", "realtimePeriod", 'i' },
        { "cpuset-cpus", "cpu", "cpus", 't' },
        { "cpuset-mems", "cpu", "mems", 't' },
        { "pids-limit", "pids", "limit", 'i' },
        { "blkio-weight", "blockIO", "weight", 'i' },
};

static int update_option(json_t *overrides, const UpdateOption *o, const char *value) {
        json_t *obj = json_object_get(overrides, o->object), *v;
        long long n;
        char *end;

        if (o->kind == 't')
                v = json_string(value);
        else {
                errno = 0;
                if (o->kind == 's' ? parse_size(value, &n) < 0 : (n = strtoll(value, &end, 10), errno || end == value || *end))
                        return error_set(-EINVAL, "update: --%s: \"%s\" is not %s", o->name, value,
                                         o->kind == 's' ? "a size like 512m or -1" : "an integer");
                v = json_integer(n);
        }
        if (!obj && (json_object_set_new(overrides, o->object, obj = json_object()) < 0))
                return -ENOMEM;
        if (!v || json_object_set_new(obj, o->field, v) < 0)
                return -ENOMEM;
        return 0;
}

static int cmd_update(const Globals *g, int argc, char **argv) {
        enum { OPT_FIRST = 0x200 };
        struct option options[ELEMENTSOF(update_options) + 4] = {
                { "resources", required_argument, NULL, 'r' },
                COMMON_LONG_OPTIONS,
        };
        _cleanup_(json_decrefp) json_t *overrides = json_object();
        _cleanup_(spec_resources_freep) SpecResources *res = NULL;
        const Command *c = find_command("update");
        const char *file = NULL;
        char where[PATH_MAX + 16];
        int opt, r;

        if (!overrides)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(update_options); i++)
                options[3 + i] = (struct option) { update_options[i].name, required_argument, NULL, OPT_FIRST + (int) i };
        while ((opt = getopt_long(argc, argv, ":r:h", options, NULL)) >= 0)
                if (opt == 'r')
                        file = optarg;
                else if (opt >= OPT_FIRST && opt < OPT_FIRST + (int) ELEMENTSOF(update_options)) {
                        r = update_option(overrides, &update_options[opt - OPT_FIRST], optarg);
                        if (r < 0)
                                return r;
                } else if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        r = want_args(c, argc, argv, 1, 1);
        if (r < 0)
                return r;
        if (!file && json_object_size(overrides) == 0)
                return error_set(-EINVAL, "update: nothing to update: give --resources FILE or a limit option");
        r = spec_resources_load(file, overrides, &res);
        if (r < 0)
                return r;
        snprintf(where, sizeof where, "%s: ", !file ? "update" : streq(file, "-") ? "standard input" : file);
        return container_update(g->root, argv[optind], res, where);
}

static int cmd_pause(const Globals *g, int argc, char **argv) {
        const char *id;
        int r = parse_id_only(find_command("pause"), argc, argv, &id);

        if (r != 0)
                return r < 0 ? r : 0;
        return container_pause(g->root, id);
}

static int cmd_resume(const Globals *g, int argc, char **argv) {
        const char *id;
        int r = parse_id_only(find_command("resume"), argc, argv, &id);

        if (r != 0)
                return r < 0 ? r : 0;
        return container_resume(g->root, id);
}

static int print_pids_json(const pid_t *pids, size_t n) {
        _cleanup_(json_decrefp) json_t *a = json_array();

        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_integer(pids[i])) < 0)
                        return -ENOMEM;
        return print_json(a, JSON_COMPACT);
}

static int cmd_ps(const Globals *g, int argc, char **argv) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command("ps");
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *table = NULL;
        const char *format = "table";
        char **ps_args;
        size_t n;
        int opt, r;

        /* "+": as runc, what follows the ID is ps's, "--" or not */
        while ((opt = getopt_long(argc, argv, "+:f:h", options, NULL)) >= 0)
                if (opt == 'f')
                        format = optarg;
                else if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        if (!streq(format, "table") && !streq(format, "json"))
                return error_set(-EINVAL, "ps: --format must be table or json, not \"%s\"", format);
        r = want_args(c, argc, argv, 1, INT_MAX);
        if (r < 0)
                return r;
        ps_args = argv + optind + 1;
        if (*ps_args && streq(*ps_args, "--"))
                ps_args++;
        if (*ps_args && streq(format, "json"))
                return error_set(-EINVAL, "ps: arguments for ps(1) go with --format table only");
        r = container_pids(g->root, argv[optind], &pids, &n);
        if (r < 0)
                return r;
        if (streq(format, "json"))
                return print_pids_json(pids, n);
        r = ps_table(ps_args, pids, n, &table);
        if (r < 0)
                return r;
        fputs(table, stdout);
        return 0;
}

static int print_event(const ContainerEvent *e, void *userdata) {
        _cleanup_(json_decrefp) json_t *o = json_pack("{s:s, s:s}", "type", e->type, "id", e->id);
        int r;

        if (!o || (e->stats && json_object_set_new(o, "data", cgroup_stats_to_json(e->stats)) < 0))
                return -ENOMEM;
        r = print_json(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        /* one line per event, as it happens, whatever stdout is */
        if (r >= 0 && fflush(stdout) != 0)
                r = error_set(-errno, "events: write to standard output: %m");
        return r;
}

static int cmd_events(const Globals *g, int argc, char **argv) {
        static const struct option options[] = {
                { "stats", no_argument, NULL, 's' },
                { "interval", required_argument, NULL, 'i' },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command("events");
        int64_t interval = 5LL * 1000000000;
        bool stats_only = false;
        int opt, r;

        while ((opt = getopt_long(argc, argv, ":si:h", options, NULL)) >= 0)
                if (opt == 's')
                        stats_only = true;
                else if (opt == 'i') {
                        r = duration_parse(optarg, &interval);
                        if (r == -ERANGE)
                                return error_set(r, "events: --interval \"%s\" is too long", optarg);
                        if (r < 0)
                                return error_set(r, "events: --interval \"%s\" is not a duration (such as 5s, 500ms, 1m30s)",
                                                 optarg);
                        if (interval <= 0)
                                return error_set(-EINVAL, "events: --interval must be greater than 0, not \"%s\"", optarg);
                } else if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        r = want_args(c, argc, argv, 1, 1);
        if (r < 0)
                return r;
        return container_events(g->root, argv[optind], stats_only, (uint64_t) interval, print_event, NULL);
}

static void print_table(const ContainerInfo *l, size_t n) {
        int w_id = 2, w_bundle = 6;

        for (size_t i = 0; i < n; i++) {
                w_id = MAX(w_id, (int) strlen(l[i].state->id));
                w_bundle = MAX(w_bundle, (int) strlen(l[i].state->bundle));
        }
        printf("%-*s   %-7s   %-8s   %-*s   %-30s   %s\n", w_id, "ID", "PID", "STATUS", w_bundle, "BUNDLE", "CREATED", "OWNER");
        for (size_t i = 0; i < n; i++) {
                const ContainerState *s = l[i].state;

                printf("%-*s   %-7d   %-8s   %-*s   %-30s   %s\n", w_id, s->id,
                       l[i].status == STATUS_STOPPED ? 0 : s->pid, container_status_to_string(l[i].status),
                       w_bundle, s->bundle, s->created, s->owner[0] ? s->owner : "root");
        }
}

static int cmd_list(const Globals *g, int argc, char **argv) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command("list");
        ContainerInfo *l = NULL;
        const char *format = "table";
        bool quiet = false;
        size_t n;
        int opt, r;

        while ((opt = getopt_long(argc, argv, ":f:qh", options, NULL)) >= 0)
                if (opt == 'f')
                        format = optarg;
                else if (opt == 'q')
                        quiet = true;
                else if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        if (!streq(format, "table") && !streq(format, "json"))
                return error_set(-EINVAL, "list: --format must be table or json, not \"%s\"", format);
        r = want_args(c, argc, argv, 0, 0);
        if (r < 0)
                return r;
        r = container_list(g->root, &l, &n);
        if (r < 0)
                return r;
        if (quiet)
                for (size_t i = 0; i < n; i++)
                        printf("%s\n", l[i].state->id);
        else if (streq(format, "json")) {
                _cleanup_(json_decrefp) json_t *a = json_array();

                for (size_t i = 0; a && i < n; i++)
                        if (json_array_append_new(a, state_to_json(l[i].state, l[i].status, false)) < 0)
                                r = -ENOMEM;
                if (r >= 0)
                        r = print_json(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
        } else
                print_table(l, n);
        container_info_free_many(l, n);
        return r;
}

static int cmd_spec(const Globals *g, int argc, char **argv) {
        static const struct option options[] = {
                { "bundle", required_argument, NULL, 'b' },
                COMMON_LONG_OPTIONS,
                {}
        };
        const Command *c = find_command("spec");
        _cleanup_free_ char *text = NULL, *path = NULL;
        _cleanup_close_ int fd = -1;
        const char *bundle = ".";
        int opt, r;

        while ((opt = getopt_long(argc, argv, ":b:h", options, NULL)) >= 0)
                if (opt == 'b')
                        bundle = optarg;
                else if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        r = want_args(c, argc, argv, 0, 0);
        if (r < 0)
                return r;
        text = spec_default_text();
        path = path_join(bundle, "config.json");
        if (!text || !path)
                return -ENOMEM;
        /* O_EXCL: as runc, never overwrite someone's config. */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return error_set(-errno, errno == EEXIST ? "spec: %s exists already; remove it first" : "spec: %s: %m", path);
        if (write(fd, text, strlen(text)) != (ssize_t) strlen(text)) {
                r = error_set(-errno, "spec: write %s: %m", path);
                unlink(path);
                return r;
        }
        return 0;
}

static int cmd_features(const Globals *g, int argc, char **argv) {
        static const struct option options[] = { COMMON_LONG_OPTIONS, {} };
        _cleanup_(json_decrefp) json_t *o = NULL;
        const Command *c = find_command("features");
        int opt, r;

        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                if ((r = common_option(c, opt, argv)) != 0)
                        return r < 0 ? r : 0;
        r = want_args(c, argc, argv, 0, 0);
        if (r < 0)
                return r;
        o = features_json();
        /* runc's indent */
        return print_json(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
}

static const Command commands[] = {
        { "create", "ID", "Create a container from the bundle; its process waits until 'runsd start'.",
          "  -b, --bundle DIR           the bundle (default: the current directory)\n"
          "  -p, --pid-file FILE        write the container's init pid to FILE\n"
          "      --console-socket SOCK  send the pty's master of process.terminal to this unix socket\n"
          "      --preserve-fds N       pass the caller's fds 3..3+N-1 to the container's process\n"
          "      --no-new-keyring       accepted: runsd never creates a session keyring\n"
          "      --no-pivot             accepted: runsd always uses pivot_root(2)\n"
          "      --no-machine           do not register the container with systemd-machined\n"
          "      --service              a transient service whose main process is the container's\n"
          "                             init (systemd records its exit), not a scope\n",
          cmd_create },
        { "start", "ID", "Start the process of a created container.", "", cmd_start },
        { "state", "ID", "Print the state of a container as JSON.", "", cmd_state },
        { "kill", "ID [SIGNAL]", "Send a signal (default TERM) to the container's init.",
          "  -a, --all                  signal every process of the container (systemd KillUnit)\n",
          cmd_kill },
        { "delete", "ID", "Delete a stopped or created container.",
          "  -f, --force                kill a running container first\n", cmd_delete },
        { "run", "ID", "Create and start a container; in the foreground, wait for it, delete it, and exit with its code.",
          "  -b, --bundle DIR           the bundle (default: the current directory)\n"
          "  -p, --pid-file FILE        write the container's init pid to FILE\n"
          "  -d, --detach               return once the container runs\n"
          "      --console-socket SOCK  send the pty's master of process.terminal to this unix socket\n"
          "                             (without it, in the foreground, runsd relays the pty itself)\n"
          "      --preserve-fds N       pass the caller's fds 3..3+N-1 to the container's process\n"
          "      --no-new-keyring       accepted: runsd never creates a session keyring\n"
          "      --no-pivot             accepted: runsd always uses pivot_root(2)\n"
          "      --no-machine           do not register the container with systemd-machined\n"
          "      --service              a transient service whose main process is the container's\n"
          "                             init (systemd records its exit), not a scope\n",
          cmd_run },
        { "exec", "ID COMMAND [ARGS...] | --process FILE ID",
          "Run a process in a running container; in the foreground, wait for it and exit with its code.",
          "  -p, --process FILE         the process: a runtime-spec \"process\" JSON object\n"
          "                             (else config.json's process, running COMMAND ARGS)\n"
          "  -d, --detach               return once the process runs\n"
          "      --pid-file FILE        write the process's pid to FILE\n"
          "  -t, --tty                  give the process a new pty (process.terminal)\n"
          "      --console-socket SOCK  send the pty's master to this unix socket\n"
          "      --cwd DIR              working directory in the container\n"
          "  -e, --env NAME=VALUE       set an environment variable (repeatable)\n"
          "  -u, --user UID[:GID]       run as this user (numeric)\n"
          "  -c, --cap CAP              add a capability (repeatable)\n"
          "      --no-new-privs         set no_new_privs\n"
          "      --preserve-fds N       pass the caller's fds 3..3+N-1 to the process\n",
          cmd_exec },
        { "update", "ID", "Change the resource limits of a container (its unit's properties and cgroup).",
          "  -r, --resources FILE       a linux.resources JSON object (\"-\": standard input)\n"
          "      --memory SIZE          memory.limit (512m, 2g, ...; -1: none)\n"
          "      --memory-reservation SIZE, --memory-swap SIZE\n"
          "      --cpu-shares N, --cpu-quota N, --cpu-period N\n"
          "      --cpu-rt-runtime N, --cpu-rt-period N\n"
          "      --cpuset-cpus LIST, --cpuset-mems LIST\n"
          "      --pids-limit N, --blkio-weight N\n"
          "                             each over the same field of --resources\n", cmd_update },
        { "list", "", "List the containers.",
          "  -f, --format table|json    output format (default: table)\n"
          "  -q, --quiet                only the IDs\n", cmd_list },
        { "spec", "", "Write a default config.json.",
          "  -b, --bundle DIR           where to write it (default: the current directory)\n", cmd_spec },
        { "pause", "ID", "Freeze every process of a container.", "", cmd_pause },
        { "resume", "ID", "Thaw a paused container.", "", cmd_resume },
        { "ps", "ID [[--] PS_ARGS]", "List the processes of a container.",
          "  -f, --format table|json    json: the PIDs as a JSON array; table (default): the\n"
          "                             lines of ps(1) PS_ARGS (default -ef) of those PIDs\n",
          cmd_ps },
        { "events", "ID", "Print a container's stats and OOM events as JSON, one per line, until it stops.",
          "  -s, --stats                print the stats once and exit\n"
          "  -i, --interval DURATION    time between stats (default: 5s; such as 500ms, 1m)\n",
          cmd_events },
        { "features", "", "Print what runsd supports as the runtime-spec features document (JSON).", "",
          cmd_features },
        { "service-init", "DIR", NULL, "", cmd_service_init },
};

static const Command *find_command(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

static void print_help(void) {
        printf("Usage: runsd [global options] COMMAND [options] ARGS\n\n"
               "An OCI container runtime whose containers are systemd units.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (commands[i].summary)
                        printf("  %-8s %s\n", commands[i].name, commands[i].summary);
        printf("\nGlobal options:\n"
               "      --root DIR             state directory (default: " RUNSD_DEFAULT_ROOT ")\n"
               "      --log FILE             also write messages to FILE\n"
               "      --log-format text|json format of --log (default: text)\n"
               "      --debug                debug messages\n"
               "      --systemd-cgroup       accepted: systemd manages the cgroups either way\n"
               "  -h, --help                 show this help\n"
               "  -v, --version              show the version\n");
}

/* Default state root: root's is fixed, as podman calls us without --root;
 * others get $XDG_RUNTIME_DIR/runsd (an empty variable counts as unset). */
static char *default_root(void) {
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        if (geteuid() == 0 || !xdg || !*xdg)
                return strdup(RUNSD_DEFAULT_ROOT);
        return path_join(xdg, "runsd");
}

int main(int argc, char **argv) {
        enum { OPT_ROOT = 0x200, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD_CGROUP };
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "log", required_argument, NULL, OPT_LOG },
                { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
                { "debug", no_argument, NULL, OPT_DEBUG },
                { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                {}
        };
        _cleanup_free_ char *root = NULL;
        const char *log_path = NULL, *log_format = "text";
        const Command *c;
        bool debug = false;
        int opt, r;

        r = output_fill_stdio();
        if (r < 0) {
                fprintf(stderr, "runsd: make closed stdin, stdout or stderr /dev/null: %s\n", strerror(-r));
                return 1;
        }
        /* Errors are ours to report, once. */
        opterr = 0;
        /* "+": stop at the command; its options are its own. */
        while ((opt = getopt_long(argc, argv, "+:hv", options, NULL)) >= 0)
                switch (opt) {
                case OPT_ROOT:
                        free(root);
                        root = strdup(optarg);
                        break;
                case OPT_LOG:
                        log_path = optarg;
                        break;
                case OPT_LOG_FORMAT:
                        log_format = optarg;
                        break;
                case OPT_DEBUG:
                        debug = true;
                        break;
                case OPT_SYSTEMD_CGROUP:
                        break;
                case 'h':
                        print_help();
                        return 0;
                case 'v':
                        print_version();
                        return 0;
                default:
                        log_error("%s option '%s'; see 'runsd --help'",
                                  opt == ':' ? "a value is missing for the" : "unknown global", bad_option(argv));
                        return 2;
                }

        if (!streq(log_format, "text") && !streq(log_format, "json")) {
                fprintf(stderr, "runsd: --log-format must be text or json, not \"%s\"\n", log_format);
                return 2;
        }
        r = log_open(log_path, streq(log_format, "json"), debug);
        if (r < 0) {
                fprintf(stderr, "runsd: --log %s: %s\n", log_path, strerror(-r));
                return 1;
        }
        if (root && !root[0]) {
                log_error("--root must not be empty");
                return 2;
        }
        if (!root)
                root = default_root();
        if (!root) {
                log_error("out of memory");
                return 1;
        }
        if (optind >= argc) {
                print_help();
                return 2;
        }
        c = find_command(argv[optind]);
        if (!c) {
                log_error("unknown command \"%s\"; see 'runsd --help'", argv[optind]);
                return 2;
        }

        /* The command parses from its own name on. */
        argc -= optind;
        argv += optind;
        optind = 0;
        r = c->run(&(Globals) { .root = root }, argc, argv);
        if (r < 0) {
                log_error("%s", error_message(r));
                r = 1;
        }
        log_close();
        return r;
}
