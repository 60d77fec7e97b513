/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "signal-name.h"

static const struct {
        const char *name;
        int sig;
} signals[] = {
        { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
        { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
        { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
        { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
        { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
        { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
        { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
        { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
        { "SYS", SIGSYS },
};

int signal_from_string(const char *s) {
        char *end;
        long n;

        if (!s || !*s)
                return -EINVAL;
        if (*s >= '0' && *s <= '9') {
                errno = 0;
                n = strtol(s, &end, 10);
                if (errno || *end || n <= 0 || n > SIGRTMAX)
                        return -EINVAL;
                return (int) n;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                if (strcasecmp(signals[i].name, s) == 0)
                        return signals[i].sig;
        /* RTMIN+n, RTMAX-n */
        if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
                int base = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;

                if (!s[5])
                        return base;
                if ((s[5] != '+' && s[5] != '-') || !s[6])
                        return -EINVAL;
                errno = 0;
                n = strtol(s + 5, &end, 10);
                if (errno || *end || n < -64 || n > 64 || base + n < SIGRTMIN || base + n > SIGRTMAX)
                        return -EINVAL;
                return (int) (base + n);
        }
        return -EINVAL;
}
