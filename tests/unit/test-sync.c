/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <unistd.h>

#include "macro.h"
#include "sync.h"

#include "test-util.h"

/* The init fails before it reads what runsd sent, says why and exits:
 * runsd must read why, not take the reset for the end. */
static void test_error_after_unread_message(void) {
        int fds[2];
        char buf[64];

        ASSERT_INT_EQ(sync_socketpair(fds), 0);
        ASSERT_INT_EQ(sync_send(fds[0], SYNC_CGROUP_READY, "42"), 0);
        ASSERT_INT_EQ(sync_send(fds[1], SYNC_ERROR, "mount /x: Invalid argument"), 0);
        close(fds[1]);
        ASSERT_INT_EQ(sync_recv(fds[0], buf, sizeof buf, false), SYNC_ERROR);
        ASSERT_STR_EQ(buf, "mount /x: Invalid argument");
        /* then the end */
        ASSERT_INT_EQ(sync_recv(fds[0], buf, sizeof buf, true), 0);
        close(fds[0]);
}

static void test_messages_in_order(void) {
        int fds[2];
        char buf[8];

        ASSERT_INT_EQ(sync_socketpair(fds), 0);
        ASSERT_INT_EQ(sync_send(fds[1], SYNC_INIT_READY, NULL), 0);
        ASSERT_INT_EQ(sync_send(fds[1], SYNC_ERROR, "a longer text than buf"), 0);
        ASSERT_INT_EQ(sync_recv(fds[0], buf, sizeof buf, true), SYNC_INIT_READY);
        ASSERT_STR_EQ(buf, "");
        ASSERT_INT_EQ(sync_recv(fds[0], buf, sizeof buf, true), SYNC_ERROR);
        ASSERT_STR_EQ(buf, "a longe");
        ASSERT_INT_EQ(sync_recv(fds[0], buf, sizeof buf, false), -EAGAIN);
        close(fds[1]);
        ASSERT_INT_EQ(sync_recv(fds[0], buf, sizeof buf, true), 0);
        close(fds[0]);
}

int main(void) {
        test_error_after_unread_message();
        test_messages_in_order();
        return 0;
}
