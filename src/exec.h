/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "pidref.h"
#include "spec.h"

/* `runsd exec`: a new process in a running container. */

typedef struct ExecOptions {
        const char *process_file;       /* --process: a runtime-spec "process" object */
        char **args;                    /* else: these args with config.json's process */
        /* over either: */
        const char *cwd;
        char **env;                     /* NAME=VALUE, replacing a NAME the process has */
        bool set_user;
        uid_t uid;
        bool set_gid;
        gid_t gid;
        char **caps;                    /* added to the bounding, effective and permitted sets */
        bool no_new_privs;
        bool tty;
        const char *console_socket;
        const char *pid_file;
        bool detach;
        unsigned preserve_fds;
} ExecOptions;

/* The container's config (in bundle), with the process to run as runc
 * makes it: the --process file's, or config.json's with o->args; then the
 * options over it.  Errors name the file, field or option. */
int exec_prepare(const ExecOptions *o, const char *bundle, Spec **ret);

/* Start spec's process in the container whose init is init: in its
 * cgroups and every namespace it does not share with us, set up by
 * process_setup() and under the container's seccomp filter.  The process
 * is our child (*ret) once it has exec'd; console_fd (-1: none) is where
 * its terminal's master goes; it gets our fds 3..3+n_preserve-1. */
int exec_spawn(const Spec *spec, const PidRef *init, int console_fd, unsigned n_preserve, PidRef *ret);
