/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>

#include "duration.h"

#include "test-util.h"

static void check(const char *s, int64_t want) {
        int64_t got = -12345;
        int r = duration_parse(s, &got);

        ASSERT_MSG(r == 0, "duration_parse(\"%s\"): %d", s, r);
        ASSERT_MSG(got == want, "duration_parse(\"%s\"): %lld, expected %lld", s, (long long) got, (long long) want);
}

static void check_error(const char *s, int want) {
        int64_t got;
        int r = duration_parse(s, &got);

        ASSERT_MSG(r == want, "duration_parse(\"%s\"): %d, expected %d", s, r, want);
}

#define SEC 1000000000LL

int main(void) {
        /* What Go's time.ParseDuration takes, as runc's --interval does. */
        check("0", 0);
        check("-0", 0);
        check("5s", 5 * SEC);
        check("+5s", 5 * SEC);
        check("-1.5h", -5400 * SEC);
        check("300ms", 300000000);
        check("2h45m", (2 * 3600 + 45 * 60) * SEC);
        check("1m30s", 90 * SEC);
        check("1.5s", 1500000000);
        check(".5s", 500000000);
        check("1.s", SEC);
        check("10us", 10000);
        check("10\xc2\xb5s", 10000);
        check("10\xce\xbcs", 10000);
        check("7ns", 7);
        check("1h1m1s1ms1us1ns", 3661 * SEC + 1001001);
        check("0.000000001s", 1);
        check("0.1234567891s", 123456789);
        check("9223372036s", 9223372036 * SEC);

        check_error("", -EINVAL);
        check_error("5", -EINVAL);              /* a unit is needed but for "0" */
        check_error("00", -EINVAL);
        check_error("s", -EINVAL);
        check_error(".s", -EINVAL);
        check_error("5x", -EINVAL);
        check_error("5 s", -EINVAL);
        check_error("-", -EINVAL);
        check_error("1.5", -EINVAL);
        check_error("9223372037s", -ERANGE);
        check_error("3000000h", -ERANGE);
        check_error("99999999999999999999ns", -ERANGE);
        return 0;
}
